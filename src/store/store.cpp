#include "store/store.h"

#include "core/property.h"

namespace upsync {

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
