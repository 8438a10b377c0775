// The property schema of one tenant: the default catalog plus the tenant's custom properties.
//
//   ProfileSchema schema(store.custom_properties(tenant).value());
//   const PropertyDefinition* p = schema.find("sps-jobtitle");   // case-insensitive
//   Result<PropertyValues> v = schema.normalize("SPS-HireDate", {"2021-04-01"});
//
// Lookups are hash-based: the bulk import resolves property names once per job, but profile
// writes call normalize() per value.
#pragma once

#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "core/property.h"
#include "core/property_policy.h"
#include "core/property_value.h"
#include "core/status.h"

namespace upsync {

class ProfileSchema {
 public:
  // `policies`: the tenant's policies by lower-case property name; a property without one
  // has the default PropertyPolicy (Public, shown everywhere).
  explicit ProfileSchema(std::vector<PropertyDefinition> custom = {},
                         std::unordered_map<std::string, PropertyPolicy> policies = {});
  // all() points into the object itself: it moves, but is not copied.
  ProfileSchema(ProfileSchema&&) = default;
  ProfileSchema& operator=(ProfileSchema&&) = default;
  ProfileSchema(const ProfileSchema&) = delete;
  ProfileSchema& operator=(const ProfileSchema&) = delete;

  // The tenant's custom properties, in order of definition.
  const std::vector<PropertyDefinition>& custom() const { return custom_; }

  // The definition named `name` (case-insensitive), or nullptr.
  const PropertyDefinition* find(std::string_view name) const;
  // Like find(), but a missing property is a NotFound naming it.
  Result<const PropertyDefinition*> require(std::string_view name) const;

  // Catalog properties first (catalog order), then custom ones (in order of definition).
  const std::vector<const PropertyDefinition*>& all() const { return all_; }

  // The policy of the property named `name` (case-insensitive).
  const PropertyPolicy& policy(std::string_view name) const;
  // The policies the tenant set, by lower-case name (for the store to copy the schema).
  const std::unordered_map<std::string, PropertyPolicy>& policies() const { return policies_; }
  // Whether some property may be hidden from someone (by its policy, or by its owner's choice
  // where the policy lets them choose): when not, no viewer's relation to a profile's owner
  // needs working out.
  bool any_restricted() const { return any_restricted_; }
  // Whether some property's policy lets its owner choose who sees it.
  bool any_overridable() const { return any_overridable_; }

  Result<PropertyValues> normalize(std::string_view name, std::span<const std::string> raw) const;

  // Checks a new custom property: a name of 1-50 letters, digits, '-' and '_', starting with
  // a letter, not clashing with a catalog property; a sensible length limit.
  static Status check_custom_definition(const PropertyDefinition& def);

 private:
  std::vector<PropertyDefinition> custom_;
  std::vector<const PropertyDefinition*> all_;
  // The custom properties by lower-case name (the catalog's index is shared by all schemas).
  std::unordered_map<std::string, const PropertyDefinition*> custom_by_lower_name_;
  std::unordered_map<std::string, PropertyPolicy> policies_;
  bool any_restricted_ = false;
  bool any_overridable_ = false;
};

}  // namespace upsync
