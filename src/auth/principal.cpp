#include "auth/principal.h"

namespace upsync {

namespace {
constexpr std::pair<Role, std::string_view> kRoleNames[] = {
    {Role::kGlobalAdmin, "global-admin"},
    {Role::kSharePointAdmin, "sharepoint-admin"},
    {Role::kUser, "user"},
    {Role::kApp, "app"},
};
}  // namespace

std::string_view role_name(Role role) {
  for (const auto& [r, name] : kRoleNames) {
    if (r == role) return name;
  }
  return "user";
}

std::optional<Role> parse_role(std::string_view name) {
  for (const auto& [r, n] : kRoleNames) {
    if (n == name) return r;
  }
  return std::nullopt;
}

std::string Principal::describe() const {
  if (role == Role::kApp) return "app " + client_id;
  return std::string(role_name(role)) + " " + upn;
}

}  // namespace upsync
