// How an audience's rules are stored by the backends: one JSON array of rule objects, as
// [{"kind":"propertyEquals","property":"Department","value":"Sales"},{"kind":"memberOf",
// "group":"<object id>"}], members left out when empty. Every backend keeps the same text, so
// that a copy between them (upsync migrate) needs no conversion.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "audiences/audiences.h"
#include "core/status.h"

namespace upsync {

std::string encode_audience_rules(const std::vector<AudienceRule>& rules);
// DataLoss naming `audience` when `text` is not such an array.
Result<std::vector<AudienceRule>> decode_audience_rules(std::string_view text,
                                                        std::string_view audience);

}  // namespace upsync
