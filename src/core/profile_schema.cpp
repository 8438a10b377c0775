#include "core/profile_schema.h"

#include "core/property_catalog.h"
#include "core/text.h"

namespace upsync {

namespace {

// The default catalog, indexed once for every schema: a schema is made per request (the
// store hands out copies), so it indexes only its custom properties itself.
struct CatalogIndex {
  std::vector<const PropertyDefinition*> all;
  std::unordered_map<std::string, const PropertyDefinition*> by_lower_name;
};

const CatalogIndex& catalog_index() {
  static const CatalogIndex kIndex = [] {
    CatalogIndex index;
    for (const PropertyDefinition& d : default_property_catalog()) {
      index.all.push_back(&d);
      index.by_lower_name.emplace(ascii_lower(d.name), &d);
    }
    return index;
  }();
  return kIndex;
}

}  // namespace

ProfileSchema::ProfileSchema(std::vector<PropertyDefinition> custom,
                             std::unordered_map<std::string, PropertyPolicy> policies)
    : custom_(std::move(custom)), all_(catalog_index().all), policies_(std::move(policies)) {
  for (const auto& [name, p] : policies_) {
    if (p.privacy != Privacy::kPublic || p.user_can_override) any_restricted_ = true;
    if (p.user_can_override) any_overridable_ = true;
  }
  const auto& catalog = catalog_index().by_lower_name;
  for (const PropertyDefinition& d : custom_) {
    std::string key = ascii_lower(d.name);
    if (catalog.contains(key)) continue;  // a catalog property keeps its name
    if (custom_by_lower_name_.emplace(std::move(key), &d).second) all_.push_back(&d);
  }
}

const PropertyDefinition* ProfileSchema::find(std::string_view name) const {
  // Lowered into a buffer that keeps its capacity: a sync looks up every mapped property of
  // every profile it writes.
  thread_local std::string key;
  key.assign(name);
  for (char& c : key) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  const auto& catalog = catalog_index().by_lower_name;
  if (auto it = catalog.find(key); it != catalog.end()) return it->second;
  auto it = custom_by_lower_name_.find(key);
  return it == custom_by_lower_name_.end() ? nullptr : it->second;
}

const PropertyPolicy& ProfileSchema::policy(std::string_view name) const {
  static const PropertyPolicy kDefault;
  if (policies_.empty()) return kDefault;
  auto it = policies_.find(ascii_lower(name));
  return it == policies_.end() ? kDefault : it->second;
}

Result<const PropertyDefinition*> ProfileSchema::require(std::string_view name) const {
  if (const PropertyDefinition* d = find(name)) return d;
  return not_found("property '" + quote_for_message(name) +
                   "' does not exist in the user profile schema of this tenant");
}

Result<PropertyValues> ProfileSchema::normalize(std::string_view name,
                                                std::span<const std::string> raw) const {
  UPSYNC_ASSIGN_OR_RETURN(const PropertyDefinition* def, require(name));
  return normalize_values(*def, raw);
}

Status ProfileSchema::check_custom_definition(const PropertyDefinition& def) {
  const std::string& n = def.name;
  if (n.empty() || n.size() > 50) {
    return invalid_argument("custom property name must be 1 to 50 characters, got " +
                            std::to_string(n.size()));
  }
  auto letter = [](char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); };
  if (!letter(n[0])) {
    return invalid_argument("custom property name '" + quote_for_message(n) +
                            "' must start with a letter");
  }
  for (size_t i = 0; i < n.size(); ++i) {
    char c = n[i];
    if (!(letter(c) || (c >= '0' && c <= '9') || c == '-' || c == '_')) {
      return invalid_argument("custom property name '" + quote_for_message(n) + "' has '" +
                              quote_for_message(std::string_view(&n[i], 1)) + "' at position " +
                              std::to_string(i + 1) + " (allowed: letters, digits, '-', '_')");
    }
  }
  if (const PropertyDefinition* d = find_default_property(n)) {
    return already_exists("property '" + d->name + "' is a default property of the catalog");
  }
  if (def.max_length < 1 || def.max_length > 1000000) {
    return invalid_argument("custom property '" + n + "': max length must be 1 to 1000000");
  }
  if (def.directory_imported) {
    return invalid_argument("custom property '" + n +
                            "' cannot be a core directory property: only the catalog's are");
  }
  return Status::ok();
}

}  // namespace upsync
