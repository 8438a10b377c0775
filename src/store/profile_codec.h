// How a profile's properties are packed into one stored document.
//
// A profile's properties are packed as JSON objects: single values as strings, multi-values
// as arrays ({"FirstName":"Bob","SPS-Skills":["C++","SQL"]}). The SQLite store keeps two per
// profile: its default properties in its row of profiles and its custom properties in a narrow
// row of profile_custom, so that a profile read is one index lookup and a join, and the bulk
// import (custom properties only) rewrites the short row. Backends store the text as is
// (SQLite TEXT with the JSON1 functions for filters; PostgreSQL jsonb).
#pragma once

#include <map>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>

#include "core/profile_schema.h"
#include "core/property.h"
#include "core/property_value.h"
#include "core/status.h"

namespace upsync {

using PropertyMap = std::map<std::string, PropertyValues>;

// The schema says which properties are multi-valued, so that a one-element multi-value
// property is still written as an array, and which are custom: `part` picks all of them, the
// default (not custom) ones or the custom ones, for the store's two rows of a profile.
enum class PropertyPart { kAll, kDefault, kCustom };
std::string encode_properties(const PropertyMap& props, const ProfileSchema& schema,
                              PropertyPart part = PropertyPart::kAll);
Result<PropertyMap> decode_properties(std::string_view json);
// One single-valued property of a stored document, read without decoding the rest: the
// document is read up to the property (encode_properties writes names in order, so an early
// name such as AccountName is found after a few bytes). nullopt when the document has no such
// property; DataLoss when the text is not a JSON object or the property is not a string.
Result<std::optional<std::string>> single_property(std::string_view json, std::string_view name);

// Sets single values in a stored document without decoding it: `sets` holds canonical
// property names and values ("" removes the property), applied in order (a later set of the
// same name wins). Writes the new document to `out` and returns whether the properties differ
// from the stored ones (a value set and cleared again in one call changes nothing),
// or nullopt when the document is not in encode_properties's form (keys in order, no
// spaces, no escapes in a value it would have to compare) or a target is multi-valued in
// `schema`: the caller then decodes, edits and encodes. The result is byte for byte what
// encode_properties would write for the edited map.
std::optional<bool> patch_single_values(std::string_view json,
                                        std::span<const std::pair<std::string, std::string>> sets,
                                        const ProfileSchema& schema, std::string& out);
// The same for a caller that knows every target of `sets` to be single-valued.
std::optional<bool> patch_single_values(std::string_view json,
                                        std::span<const std::pair<std::string, std::string>> sets,
                                        std::string& out);

}  // namespace upsync
