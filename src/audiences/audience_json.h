// Audiences and hybrid settings as JSON, the one shape the admin API and `--json` share:
//   {"id": 3, "name": "Sales", "description": "", "match": "any", "memberCount": 12,
//    "compiledAt": "...", "rules": [{"kind": "propertyEquals", "property": "Department",
//    "value": "Sales"}, {"kind": "memberOf", "group": "<object id>"},
//    {"kind": "reportsUnder", "manager": "i:0#.w|contoso\\ceo"}]}
//   {"onlineUrl": "https://contoso-my.sharepoint.com", "audience": "Sales" | null, ...}
#pragma once

#include <nlohmann/json.hpp>

#include "audiences/audiences.h"
#include "audiences/hybrid.h"

namespace upsync {

nlohmann::json audience_json(const Audience& audience);
nlohmann::json hybrid_settings_json(const Tenant& tenant,
                                    const std::optional<HybridSettings>& settings);

// A new audience from a request body: {"name", "description"?, "match"? ("all" by default),
// "rules": [...]} as above (a rule's group may be a display name, its manager a UPN). Any
// other member, or a member of the wrong type, is refused naming it.
Result<NewAudience> new_audience_from_json(const nlohmann::json& body);

}  // namespace upsync
