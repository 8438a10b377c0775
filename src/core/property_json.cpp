#include "core/property_json.h"

#include <set>

namespace upsync {

nlohmann::json property_json(const PropertyDefinition& d, const PropertyPolicy& policy) {
  return {{"name", d.name},
          {"displayName", d.display_name},
          {"type", data_type_name(d.type)},
          {"multiValue", d.multi_value},
          {"userEditable", d.user_editable},
          {"directoryImported", d.directory_imported},
          {"syncToSites", d.sync_to_sites},
          {"taxonomyBound", d.taxonomy_bound},
          {"custom", d.custom},
          {"maxLength", d.max_length},
          {"privacy", privacy_name(policy.privacy)},
          {"userCanOverride", policy.user_can_override},
          {"showOnProfile", policy.show_on_profile},
          {"showInEdit", policy.show_in_edit}};
}

Result<PropertyPolicy> property_policy_from_json(const nlohmann::json& j, PropertyPolicy current) {
  if (!j.is_object()) return invalid_argument("a property policy must be a JSON object");
  PropertyPolicy p = current;
  for (const auto& [key, value] : j.items()) {
    if (key == "privacy") {
      if (!value.is_string()) return invalid_argument("'privacy' must be a string");
      auto privacy = parse_privacy(value.get<std::string>());
      if (!privacy) {
        return invalid_argument("'privacy': unknown privacy '" + value.get<std::string>() +
                                "' (expected Public, Contacts, Organization, Manager or Private)");
      }
      p.privacy = *privacy;
      continue;
    }
    bool* flag = key == "userCanOverride" ? &p.user_can_override
                 : key == "showOnProfile" ? &p.show_on_profile
                 : key == "showInEdit"    ? &p.show_in_edit
                                          : nullptr;
    if (!flag) {
      return invalid_argument("unknown member '" + key +
                              "' (expected privacy, userCanOverride, showOnProfile, showInEdit)");
    }
    if (!value.is_boolean()) return invalid_argument("'" + key + "' must be true or false");
    *flag = value.get<bool>();
  }
  return p;
}

Result<PropertyDefinition> custom_property_from_json(const nlohmann::json& j) {
  if (!j.is_object()) return invalid_argument("a property definition must be a JSON object");
  static const std::set<std::string> kBool = {"multiValue", "userEditable", "syncToSites",
                                              "taxonomyBound"};
  static const std::set<std::string> kString = {"name", "displayName", "type"};
  PropertyDefinition d;
  for (const auto& [key, value] : j.items()) {
    if (kBool.count(key)) {
      if (!value.is_boolean()) return invalid_argument("'" + key + "' must be true or false");
    } else if (kString.count(key)) {
      if (!value.is_string()) return invalid_argument("'" + key + "' must be a string");
    } else if (key == "maxLength") {
      if (!value.is_number_integer() || value.get<int64_t>() < 1 ||
          value.get<int64_t>() > 1000000) {
        return invalid_argument("'maxLength' must be a whole number from 1 to 1000000");
      }
      d.max_length = value.get<int>();
    } else {
      return invalid_argument(
          "unknown member '" + key +
          "' (expected name, displayName, type, multiValue, userEditable, syncToSites, "
          "taxonomyBound, maxLength)");
    }
  }
  if (!j.contains("name")) return invalid_argument("'name' is required");
  d.name = j["name"].get<std::string>();
  d.display_name = j.value("displayName", "");
  std::string type = j.value("type", "string");
  auto parsed = parse_data_type(type);
  if (!parsed) return invalid_argument("'type': unknown data type '" + type + "'");
  d.type = *parsed;
  d.multi_value = j.value("multiValue", false);
  d.user_editable = j.value("userEditable", false);
  d.sync_to_sites = j.value("syncToSites", false);
  d.taxonomy_bound = j.value("taxonomyBound", false);
  return d;
}

}  // namespace upsync
