// The default profile property catalog every tenant starts with.
//
// Seed 001's table of 60 default properties (name, display name, data type, single or
// multi-value), plus the properties that seed 002's and seed 003's mapping tables add
// (SPS-UserPrincipalName, SPS-Department, SPS-MUILanguages, msOnline-ObjectId, ...). The flags
// follow SharePoint Online: the properties those mapping tables name are directory-imported,
// the seed 002 rows marked "Yes" are synced to sites.
#pragma once

#include <span>
#include <string_view>

#include "core/property.h"

namespace upsync {

std::span<const PropertyDefinition> default_property_catalog();

// The catalog entry named `name` (case-insensitive: seed 003's "SPS-SIPAddress" is seed 001's
// "SPS-SipAddress"), or nullptr.
const PropertyDefinition* find_default_property(std::string_view name);

}  // namespace upsync
