// How a profile's properties are packed into one stored document.
//
// One row per profile holds all its properties as a JSON object: single values as strings,
// multi-values as arrays ({"FirstName":"Bob","SPS-Skills":["C++","SQL"]}). One row per profile
// (rather than one per value) keeps a profile read to one index lookup and lets the bulk
// import rewrite a profile with one UPDATE. Backends store the text as is (SQLite TEXT with
// the JSON1 functions for filters; PostgreSQL jsonb).
#pragma once

#include <map>
#include <string>
#include <string_view>

#include "core/profile_schema.h"
#include "core/property.h"
#include "core/property_value.h"
#include "core/status.h"

namespace upsync {

using PropertyMap = std::map<std::string, PropertyValues>;

// The schema says which properties are multi-valued, so that a one-element multi-value
// property is still written as an array.
std::string encode_properties(const PropertyMap& props, const ProfileSchema& schema);
Result<PropertyMap> decode_properties(std::string_view json);

}  // namespace upsync
