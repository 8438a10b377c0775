// The values of SharePoint's query options (sp_query.h), shared by its $filter parser
// (sp_filter.cpp) and the paging and ordering of sp_query.cpp. Internal to src/http.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>

#include "core/status.h"
#include "http/sp_query.h"

namespace upsync {

// A literal or an item's value, as its field's type reads it.
struct SpValue {
  bool null = true;
  std::string text;    // kString: lower-cased, SharePoint compares text without case
  int64_t number = 0;  // kInt, kBool (0/1), kDateTime (seconds since 1970 UTC)
};

// "Edm.Int32" and the like, for messages.
std::string_view sp_edm_name(SpType t);
// SharePoint's error for a property the type does not have.
Status sp_no_such_property(std::string_view name, const SpSchema& schema);
std::optional<int64_t> sp_parse_int64(std::string_view s);
// ISO 8601 as SharePoint writes and reads it: 2026-01-02[THH:MM[:SS[.fff]]][Z|+hh:mm], as
// seconds since 1970 UTC (a time without a zone is UTC).
std::optional<int64_t> sp_parse_datetime(std::string_view s);
// The value of `f` in `item` (null when absent, null or not of f's type).
SpValue sp_item_value(const nlohmann::json& item, const SpField& f);
// <0, 0, >0; both sides non-null.
int sp_compare(const SpValue& a, const SpValue& b, SpType t);

}  // namespace upsync
