#include "store/store.h"

#include "core/claims.h"
#include "core/property.h"
#include "core/text.h"

namespace upsync {

Result<std::string> check_privacy_choice(const ProfileSchema& schema, std::string_view property) {
  UPSYNC_ASSIGN_OR_RETURN(const PropertyDefinition* def, schema.require(property));
  if (!schema.policy(def->name).user_can_override) {
    return failed_precondition(
        "the policy of property '" + def->name + "' does not let people choose who sees it (" +
        std::string(privacy_name(schema.policy(def->name).privacy)) + " for everyone)");
  }
  return def->name;
}

Result<std::string> unique_profile_key(ProfileKeyKind kind, std::string_view value) {
  switch (kind) {
    case ProfileKeyKind::kAccountName: {
      auto claim = parse_claim(value);
      if (!claim) return invalid_argument("account name: " + claim.status().message());
      return ascii_lower(format_claim(*claim));
    }
    case ProfileKeyKind::kCloudId:
      return ascii_lower(value);
    case ProfileKeyKind::kPrincipalName:
    case ProfileKeyKind::kEmail:
    case ProfileKeyKind::kId:
      break;
  }
  return invalid_argument("profiles are read many at a time by account name or cloud id, not by " +
                          std::string(profile_key_kind_name(kind)));
}

Result<std::vector<std::string>> unique_profile_keys(ProfileKeyKind kind,
                                                     std::span<const std::string> values) {
  if (values.size() > Store::kMaxProfilesPerQuery) {
    return invalid_argument("at most " + std::to_string(Store::kMaxProfilesPerQuery) +
                            " profiles per query, got " + std::to_string(values.size()));
  }
  std::vector<std::string> keys;
  keys.reserve(values.size());
  for (const std::string& v : values) {
    UPSYNC_ASSIGN_OR_RETURN(std::string key, unique_profile_key(kind, v));
    keys.push_back(std::move(key));
  }
  return keys;
}

Result<ManagerKeys> ManagerKeys::of(const ProfileSchema& schema,
                                    std::span<const std::string> managers) {
  if (managers.size() > Store::kMaxManagersPerQuery) {
    return invalid_argument("at most " + std::to_string(Store::kMaxManagersPerQuery) +
                            " managers per query, got " + std::to_string(managers.size()));
  }
  UPSYNC_ASSIGN_OR_RETURN(const PropertyDefinition* manager, schema.require("Manager"));
  ManagerKeys out;
  for (size_t i = 0; i < managers.size(); ++i) {
    UPSYNC_ASSIGN_OR_RETURN(std::string value, normalize_value(*manager, managers[i]));
    out.places_[ascii_lower(value)].push_back(i);
  }
  out.reports_.resize(managers.size());
  return out;
}

std::vector<std::string> ManagerKeys::keys() const {
  std::vector<std::string> out;
  out.reserve(places_.size());
  for (const auto& [key, places] : places_) out.push_back(key);
  return out;
}

void ManagerKeys::add(const std::string& manager_key, std::string account_name) {
  auto it = places_.find(manager_key);
  if (it == places_.end()) return;
  for (size_t i = 1; i < it->second.size(); ++i) reports_[it->second[i]].push_back(account_name);
  reports_[it->second[0]].push_back(std::move(account_name));
}

const PropertyValues* Profile::find(std::string_view name) const {
  // Keys are canonical names: callers that pass one find it without the case-blind walk.
  if (auto it = properties.find(std::string(name)); it != properties.end()) return &it->second;
  for (const auto& [n, v] : properties) {
    if (property_name_equal(n, name)) return &v;
  }
  return nullptr;
}

std::string Profile::first(std::string_view name) const {
  const PropertyValues* v = find(name);
  return (v && !v->empty()) ? (*v)[0] : std::string();
}

std::string_view profile_key_kind_name(ProfileKeyKind kind) {
  switch (kind) {
    case ProfileKeyKind::kAccountName:
      return "account name";
    case ProfileKeyKind::kPrincipalName:
      return "principal name";
    case ProfileKeyKind::kEmail:
      return "work email";
    case ProfileKeyKind::kCloudId:
      return "cloud id";
    case ProfileKeyKind::kId:
      return "id";
  }
  return "key";
}

Status check_property_update(const PropertyDefinition& now, const PropertyDefinition& next,
                             const StoredValueQueries& stored) {
  if (next.type != now.type) {
    return failed_precondition(
        "the type of property '" + now.name + "' cannot change (" +
        std::string(data_type_name(now.type)) + " to " + std::string(data_type_name(next.type)) +
        "): its stored values, import mappings and site copies were made for its type; remove "
        "the property and add it again");
  }
  if (next.max_length < 1 || next.max_length > 1000000) {
    return invalid_argument("custom property '" + now.name + "': max length must be 1 to 1000000");
  }
  if (now.multi_value && !next.multi_value) {
    UPSYNC_ASSIGN_OR_RETURN(int64_t n, stored.profiles_with_several_values());
    if (n > 0) {
      return failed_precondition("property '" + now.name +
                                 "' cannot become single-value: " + std::to_string(n) +
                                 " profile(s) have more than one value; leave one value each "
                                 "first");
    }
  }
  if (next.max_length < now.max_length) {
    UPSYNC_ASSIGN_OR_RETURN(int64_t longest, stored.longest_value());
    if (longest > next.max_length) {
      return failed_precondition("property '" + now.name + "' cannot have max length " +
                                 std::to_string(next.max_length) + ": a stored value has " +
                                 std::to_string(longest) + " characters");
    }
  }
  return Status::ok();
}

}  // namespace upsync
