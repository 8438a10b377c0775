// The admin API's routes for the people who sign in with a password (admin_routes.h), behind
// the admin pages' "Apps and people" page: list them with their roles, set a person's role
// and password, remove a person's password. A global admin only (Who::kPeopleAdmin): a role
// is what every other check reads.
//
// Every change bumps the person's token generation (auth/credentials.h), so their tokens and
// browser sessions stop at once; and the tenant keeps at least one global admin, so that no
// change locks every admin out of the tenant.
#include "auth/credentials.h"
#include "core/clock.h"
#include "core/text.h"
#include "http/admin_route_table.h"

namespace upsync {

namespace {

nlohmann::json person_json(const PasswordSignIn& p) {
  return {{"userPrincipalName", p.upn},
          {"role", std::string(role_name(p.role))},
          {"updatedAt", p.updated_at}};
}

Status list_people(Call& call) {
  if (!call.req.params.empty()) {
    return invalid_argument("query parameter '" +
                            quote_for_message(call.req.params.begin()->first) +
                            "' is not supported here: the list takes no query");
  }
  UPSYNC_ASSIGN_OR_RETURN(auto creds, open_credential_store(call.store));
  UPSYNC_ASSIGN_OR_RETURN(auto people, creds->people(call.tenant.id));
  nlohmann::json arr = nlohmann::json::array();
  for (const auto& p : people) arr.push_back(person_json(p));
  write_json(call.res, 200, {{"value", arr}});
  return Status::ok();
}

// FailedPrecondition when `upn` is the tenant's last global admin (and would stop being one).
Status keep_a_global_admin(CredentialStore& creds, const Tenant& tenant, std::string_view upn) {
  UPSYNC_ASSIGN_OR_RETURN(auto people, creds.people(tenant.id));
  bool is_one = false;
  int others = 0;
  for (const auto& p : people) {
    if (p.role != Role::kGlobalAdmin) continue;
    if (ascii_iequal(p.upn, upn)) {
      is_one = true;
    } else {
      ++others;
    }
  }
  if (is_one && others == 0) {
    return failed_precondition("'" + std::string(upn) + "' is the last global admin of tenant '" +
                               tenant.name +
                               "': make someone else a global admin first, or nobody could "
                               "manage the tenant's apps and people");
  }
  return Status::ok();
}

// PUT {"role": "...", "password": "..."}: a new person needs both; a person who has a password
// may change either alone.
Status put_person(Call& call) {
  const std::string upn = call.match[1].str();
  UPSYNC_ASSIGN_OR_RETURN(nlohmann::json body, json_body(call.req));
  if (!body.is_object()) return invalid_argument("request body: expected a JSON object");
  std::optional<Role> role;
  std::optional<std::string> password;
  for (const auto& [key, value] : body.items()) {
    if (key == "role") {
      std::optional<Role> r =
          value.is_string() ? parse_role(value.get<std::string>()) : std::nullopt;
      if (!r || *r == Role::kApp) {
        return write_field_error(call, key,
                                 "role must be one of global-admin, sharepoint-admin, user");
      }
      role = r;
    } else if (key == "password") {
      if (!value.is_string()) return write_field_error(call, key, "password must be a string");
      password = value.get<std::string>();
      if (password->size() < 8) {
        return write_field_error(call, key, "a password needs at least 8 characters");
      }
    } else {
      return invalid_argument("request body: unknown member '" + quote_for_message(key) +
                              "' (expected role and password)");
    }
  }
  if (!role && !password) {
    return invalid_argument("request body: give a role, a password or both");
  }
  if (upn.find('@') == std::string::npos) {
    return write_field_error(
        call, "userPrincipalName",
        "'" + quote_for_message(upn) + "' is not a user principal name (name@domain)");
  }
  UPSYNC_ASSIGN_OR_RETURN(auto creds, open_credential_store(call.store));
  bool refused = false;
  UPSYNC_RETURN_IF_ERROR(call.store.in_transaction([&]() -> Status {
    // The last global admin is checked, then changed: no other writer in between.
    UPSYNC_RETURN_IF_ERROR(call.store.take_tenant_turn(call.tenant.id));
    auto existing = creds->person_with_password(call.tenant.id, upn);
    if (!existing && existing.status().code() != StatusCode::kNotFound) return existing.status();
    if (!existing && !(role && password)) {
      refused = true;
      return write_field_error(call, password ? "role" : "password",
                               "'" + upn +
                                   "' has no password yet: a new person needs a role and a "
                                   "password");
    }
    if (existing && role && *role != Role::kGlobalAdmin) {
      UPSYNC_RETURN_IF_ERROR(keep_a_global_admin(*creds, call.tenant, upn));
    }
    const Role new_role = role ? *role : existing->first.role;
    if (password) return set_password(*creds, call.tenant, upn, new_role, *password);
    // A role alone keeps the password: the stored hash is written back with the new role.
    return creds->set_password(call.tenant.id, {upn, new_role, utc_now_iso()}, existing->second);
  }));
  if (refused) return Status::ok();  // a field error, already written
  UPSYNC_ASSIGN_OR_RETURN(auto stored, creds->person_with_password(call.tenant.id, upn));
  write_json(call.res, 200, person_json(stored.first));
  return Status::ok();
}

Status remove_person(Call& call) {
  const std::string upn = call.match[1].str();
  UPSYNC_ASSIGN_OR_RETURN(auto creds, open_credential_store(call.store));
  UPSYNC_RETURN_IF_ERROR(call.store.in_transaction([&]() -> Status {
    UPSYNC_RETURN_IF_ERROR(call.store.take_tenant_turn(call.tenant.id));
    UPSYNC_RETURN_IF_ERROR(keep_a_global_admin(*creds, call.tenant, upn));
    return creds->remove_password(call.tenant.id, upn);
  }));
  call.res.status = 204;
  return Status::ok();
}

const AdminRoute kPeopleRoutes[] = {
    {"GET", "/admin/v1/people", "People who sign in with a password, with their roles",
     Who::kPeopleAdmin, 200, list_people},
    {"PUT", "/admin/v1/people/{userPrincipalName}",
     "Set a person's role and/or password ({\"role\":..,\"password\":..}); their tokens and "
     "sessions stop",
     Who::kPeopleAdmin, 200, put_person},
    {"DELETE", "/admin/v1/people/{userPrincipalName}",
     "Remove a person's password; their tokens and sessions stop", Who::kPeopleAdmin, 204,
     remove_person},
};

}  // namespace

std::span<const AdminRoute> admin_people_routes() { return kPeopleRoutes; }

}  // namespace upsync
