// A property definition as JSON, the same for the CLI's --json output and the admin API:
//   {"name":"CostCenter","displayName":"Cost Center","type":"string","multiValue":false,
//    "userEditable":false,"directoryImported":false,"syncToSites":false,
//    "taxonomyBound":false,"custom":true,"maxLength":3600,"privacy":"Public",
//    "userCanOverride":false,"showOnProfile":true,"showInEdit":true}
// The last four are the property's policy (property_policy.h).
#pragma once

#include <nlohmann/json.hpp>

#include "core/property.h"
#include "core/property_policy.h"
#include "core/status.h"

namespace upsync {

nlohmann::json property_json(const PropertyDefinition& d, const PropertyPolicy& policy = {});

// `current` changed by the members of `j` (privacy, userCanOverride, showOnProfile,
// showInEdit; the absent ones keep their value): an unknown member, a wrong JSON type or an
// unknown privacy is refused naming the member.
Result<PropertyPolicy> property_policy_from_json(const nlohmann::json& j, PropertyPolicy current);

// A new custom property from JSON: "name" is required, "type" defaults to "string", the
// flags to false; an unknown member, a wrong JSON type or an unknown data type is refused
// naming the member.
Result<PropertyDefinition> custom_property_from_json(const nlohmann::json& j);

}  // namespace upsync
