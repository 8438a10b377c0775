// Typed property values: checking raw text against a property's data type.
//
// Values are kept as text in one canonical form per type (dates as YYYY-MM-DD, GUIDs in lower
// case without braces, booleans as "true"/"false", ...), so that two spellings of the same
// value compare equal and every layer (store, REST, bulk import) agrees on what is stored.
// A value that does not fit is refused with a message naming the property, the expected type
// and the bad value:
//   property 'SPS-HireDate' expects a date (YYYY-MM-DD), got '2020-13-01': month 13 is out of range
#pragma once

#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/property.h"
#include "core/status.h"

namespace upsync {

// The values of one property: empty means "no value", one element for single-value
// properties, any number for multi-value ones.
using PropertyValues = std::vector<std::string>;

// How a value of `type` must be written, for messages ("a date (YYYY-MM-DD)").
std::string_view expected_value_form(DataType type);

// The canonical form of `raw` as a value of `def`, or InvalidArgument.
Result<std::string> normalize_value(const PropertyDefinition& def, std::string_view raw);

// The canonical values for setting `def` to `raw`. A single-value property takes at most one
// value, and an empty string clears it (returns no values). Multi-value properties refuse
// empty entries and drop repeated ones, keeping the first.
Result<PropertyValues> normalize_values(const PropertyDefinition& def,
                                        std::span<const std::string> raw);

}  // namespace upsync
