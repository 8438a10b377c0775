#include "http/admin_routes.h"

#include <nlohmann/json.hpp>

namespace upsync {

namespace {

Status me(Call& call) {
  UPSYNC_ASSIGN_OR_RETURN(Principal who, call.caller());
  nlohmann::json j = {{"tenant", call.tenant.name}, {"role", std::string(role_name(who.role))}};
  if (who.role == Role::kApp) {
    j["clientId"] = who.client_id;
    j["name"] = who.display_name;
  } else {
    j["userPrincipalName"] = who.upn;
  }
  write_json(call.res, 200, j);
  return Status::ok();
}

}  // namespace

void add_admin_routes(Router& router) {
  router.add("GET", R"(^/admin/v1/me$)", Surface::kAdmin, Access::kSignedIn, me);
}

}  // namespace upsync
