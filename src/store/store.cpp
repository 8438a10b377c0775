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

}  // namespace upsync
