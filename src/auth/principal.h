// Who makes a request: the roles of seed 003 and DESIGN.md §3, and the principal a bearer
// token names.
//
// Roles: a global admin and a SharePoint admin manage the tenant (only a global admin may
// queue a bulk import: seed 003 says a SharePoint admin is "not sufficient"); a user reads
// profiles and edits only their own user-editable properties; an app (client id + secret,
// app-only) has the rights seed 003 gives Sites.FullControl.All + User.ReadWrite.All.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "core/tenant.h"

namespace upsync {

enum class Role { kGlobalAdmin, kSharePointAdmin, kUser, kApp };

std::string_view role_name(Role role);  // "global-admin", "sharepoint-admin", "user", "app"
std::optional<Role> parse_role(std::string_view name);

struct Principal {
  std::string tenant;  // tenant name (the token's tid)
  Role role = Role::kUser;
  std::string client_id;  // the app's client id (apps), or the client a user signed in with
  std::string upn;        // the signed-in user (people); empty for apps
  std::string display_name;
  // The principal's token generation when it signed in (credentials.h); a token carries it.
  int64_t token_generation = 0;

  bool is_admin() const { return role == Role::kGlobalAdmin || role == Role::kSharePointAdmin; }
  // May change any profile and read tenant-wide state (jobs, logs, runs).
  bool manages_tenant() const { return is_admin() || role == Role::kApp; }
  // Seed 003: queuing a bulk import needs a global admin or an app.
  bool may_queue_bulk_import() const { return role == Role::kGlobalAdmin || role == Role::kApp; }
  // For messages and logs: "app 1234-..." or "user adele@contoso.com".
  std::string describe() const;
};

}  // namespace upsync
