#include "sites/site_permissions.h"

#include <algorithm>
#include <functional>

#include "core/claims.h"
#include "core/text.h"

namespace upsync {

namespace {

struct RoleRow {
  SiteRole role;
  std::string_view name;
  std::string_view definition;
  int64_t id;
  int kind;
};

// SharePoint's built-in role definitions (SP.RoleDefinition Id and RoleTypeKind).
constexpr RoleRow kRoles[] = {
    {SiteRole::kOwner, "owner", "Full Control", 1073741829, 5},
    {SiteRole::kMember, "member", "Contribute", 1073741827, 3},
    {SiteRole::kVisitor, "visitor", "Read", 1073741826, 2},
};

const RoleRow& row_of(SiteRole role) {
  for (const RoleRow& r : kRoles) {
    if (r.role == role) return r;
  }
  return kRoles[2];
}

std::string scope_name(std::string_view site, std::string_view library) {
  return library.empty() ? "site collection '/" + std::string(site) + "'"
                         : "library '" + std::string(library) + "' of '/" + std::string(site) + "'";
}

std::string principal_text(const SitePrincipal& p) {
  switch (p.kind) {
    case PrincipalKind::kPerson:
      return "user '" + p.key + "'";
    case PrincipalKind::kGroup:
      return "group '" + p.name + "' (" + p.key + ")";
    case PrincipalKind::kEveryone:
      return "Everyone";
  }
  return p.key;
}

// Highest first, each once.
void normalize_roles(std::vector<SiteRole>& roles) {
  std::sort(roles.begin(), roles.end(), std::greater<>());
  roles.erase(std::unique(roles.begin(), roles.end()), roles.end());
}

void sort_assignments(std::vector<RoleAssignment>& a) {
  std::sort(a.begin(), a.end(), [](const RoleAssignment& x, const RoleAssignment& y) {
    if (x.principal.kind != y.principal.kind) return x.principal.kind < y.principal.kind;
    return x.principal.key < y.principal.key;
  });
}

// The scope a change applies to: the site's own or default assignments, or the library's own
// (FailedPrecondition while it inherits).
Result<PermissionScope> scope_to_change(SitePermissionStore& perms, TenantId tenant,
                                        std::string_view site, std::string_view library) {
  UPSYNC_ASSIGN_OR_RETURN(auto own, perms.scope(tenant, site, library));
  if (own) return *own;
  if (!library.empty()) {
    return failed_precondition("The " + scope_name(site, library) +
                               " inherits its permissions from the site collection; break its "
                               "inheritance first to give it assignments of its own.");
  }
  return effective_scope(perms, tenant, site, "");
}

}  // namespace

std::string_view site_role_name(SiteRole role) { return row_of(role).name; }

std::optional<SiteRole> parse_site_role(std::string_view name) {
  for (const RoleRow& r : kRoles) {
    if (ascii_iequal(r.name, name)) return r.role;
  }
  return std::nullopt;
}

std::string_view role_definition_name(SiteRole role) { return row_of(role).definition; }
int64_t role_definition_id(SiteRole role) { return row_of(role).id; }
int role_type_kind(SiteRole role) { return row_of(role).kind; }

std::optional<SiteRole> role_of_definition_id(int64_t id) {
  for (const RoleRow& r : kRoles) {
    if (r.id == id) return r.role;
  }
  return std::nullopt;
}

std::optional<SiteRole> role_of_definition_name(std::string_view name) {
  for (const RoleRow& r : kRoles) {
    if (ascii_iequal(r.definition, name)) return r.role;
  }
  return std::nullopt;
}

std::optional<SiteRole> role_of_type_kind(int64_t kind) {
  for (const RoleRow& r : kRoles) {
    if (r.kind == kind) return r.role;
  }
  return std::nullopt;
}

std::string_view principal_kind_name(PrincipalKind kind) {
  switch (kind) {
    case PrincipalKind::kPerson:
      return "person";
    case PrincipalKind::kGroup:
      return "group";
    case PrincipalKind::kEveryone:
      return "everyone";
  }
  return "";
}

SitePrincipal everyone_principal() { return {PrincipalKind::kEveryone, "everyone", "Everyone"}; }

SitePrincipal person_principal(std::string_view account_name, std::string_view upn) {
  std::string key(upn);
  if (key.empty()) {
    auto claim = parse_claim(account_name);
    key = claim ? claim->value : std::string(account_name);
  }
  return {PrincipalKind::kPerson, ascii_lower(key), std::string(account_name)};
}

SitePrincipal person_principal(const Profile& profile) {
  return person_principal(profile.account_name, profile.first("SPS-UserPrincipalName"));
}

SitePrincipal group_principal(std::string_view object_id, std::string_view display_name) {
  return {PrincipalKind::kGroup, ascii_lower(object_id), std::string(display_name)};
}

std::string principal_login(const SitePrincipal& p) {
  switch (p.kind) {
    case PrincipalKind::kPerson:
      return p.name;
    case PrincipalKind::kGroup:
      return "c:0t.c|tenant|" + p.key;
    case PrincipalKind::kEveryone:
      return "c:0-.f|rolemanager|spo-grid-all-users";
  }
  return p.key;
}

Result<PermissionScope> effective_scope(SitePermissionStore& perms, TenantId tenant,
                                        std::string_view site, std::string_view library) {
  if (!library.empty()) {
    UPSYNC_ASSIGN_OR_RETURN(auto own, perms.scope(tenant, site, library));
    if (own) return *own;
  }
  UPSYNC_ASSIGN_OR_RETURN(auto site_scope, perms.scope(tenant, site, ""));
  if (site_scope) return *site_scope;
  // Never configured: SharePoint Online's default, Everyone in the Visitors group.
  PermissionScope defaults;
  defaults.site = std::string(site);
  defaults.assignments.push_back({everyone_principal(), {SiteRole::kVisitor}});
  return defaults;
}

namespace {

// grant()'s read and write, in the tenant's turn.
Result<bool> grant_in_turn(SitePermissionStore& perms, TenantId tenant, std::string_view site,
                           std::string_view library, const SitePrincipal& principal, SiteRole role,
                           GrantMode mode) {
  UPSYNC_ASSIGN_OR_RETURN(PermissionScope scope, scope_to_change(perms, tenant, site, library));
  auto it = std::find_if(scope.assignments.begin(), scope.assignments.end(),
                         [&](const RoleAssignment& a) { return a.principal == principal; });
  if (it == scope.assignments.end()) {
    scope.assignments.push_back({principal, {role}});
  } else {
    std::vector<SiteRole> roles = mode == GrantMode::kReplace ? std::vector<SiteRole>{} : it->roles;
    roles.push_back(role);
    normalize_roles(roles);
    if (roles == it->roles) return false;
    it->roles = std::move(roles);
  }
  sort_assignments(scope.assignments);
  scope.library = std::string(library);
  UPSYNC_RETURN_IF_ERROR(perms.put_scope(tenant, scope));
  return true;
}

// revoke()'s read and write, in the tenant's turn.
Status revoke_in_turn(SitePermissionStore& perms, TenantId tenant, std::string_view site,
                      std::string_view library, const SitePrincipal& principal,
                      std::optional<SiteRole> only) {
  UPSYNC_ASSIGN_OR_RETURN(PermissionScope scope, scope_to_change(perms, tenant, site, library));
  auto it = std::find_if(scope.assignments.begin(), scope.assignments.end(),
                         [&](const RoleAssignment& a) { return a.principal == principal; });
  if (it == scope.assignments.end()) {
    return not_found("The " + principal_text(principal) + " has no role in the " +
                     scope_name(site, library) + ".");
  }
  if (only) {
    auto role = std::find(it->roles.begin(), it->roles.end(), *only);
    if (role == it->roles.end()) {
      return not_found("The " + principal_text(principal) + " is not " +
                       std::string(site_role_name(*only)) + " (" +
                       std::string(role_definition_name(*only)) + ") in the " +
                       scope_name(site, library) + ".");
    }
    it->roles.erase(role);
  }
  if (!only || it->roles.empty()) scope.assignments.erase(it);
  scope.library = std::string(library);
  return perms.put_scope(tenant, scope);
}

// break_inheritance()'s read and write, in the tenant's turn.
Result<bool> break_in_turn(SitePermissionStore& perms, TenantId tenant, std::string_view site,
                           std::string_view library, bool copy) {
  UPSYNC_ASSIGN_OR_RETURN(auto own, perms.scope(tenant, site, library));
  if (own) return false;
  PermissionScope scope;
  if (copy) {
    UPSYNC_ASSIGN_OR_RETURN(scope, effective_scope(perms, tenant, site, ""));
  }
  scope.site = std::string(site);
  scope.library = std::string(library);
  if (!copy) scope.assignments.clear();
  UPSYNC_RETURN_IF_ERROR(perms.put_scope(tenant, scope));
  return true;
}

}  // namespace

// Each reads the scope and puts it back whole: outside the tenant's turn, two changes of one
// scope at once (two admins, two processes) would both start from the same assignments and the
// later put_scope would drop the other's change.
Result<bool> grant(Store& store, SitePermissionStore& perms, TenantId tenant, std::string_view site,
                   std::string_view library, const SitePrincipal& principal, SiteRole role,
                   GrantMode mode) {
  bool changed = false;
  UPSYNC_RETURN_IF_ERROR(store.in_tenant_turn(tenant, [&]() -> Status {
    UPSYNC_ASSIGN_OR_RETURN(changed,
                            grant_in_turn(perms, tenant, site, library, principal, role, mode));
    return Status::ok();
  }));
  return changed;
}

Status revoke(Store& store, SitePermissionStore& perms, TenantId tenant, std::string_view site,
              std::string_view library, const SitePrincipal& principal,
              std::optional<SiteRole> only) {
  return store.in_tenant_turn(tenant, [&]() -> Status {
    return revoke_in_turn(perms, tenant, site, library, principal, only);
  });
}

Result<bool> break_inheritance(Store& store, SitePermissionStore& perms, TenantId tenant,
                               std::string_view site, std::string_view library, bool copy) {
  if (library.empty()) {
    return invalid_argument("A site collection has no parent to inherit from; name a library.");
  }
  bool changed = false;
  UPSYNC_RETURN_IF_ERROR(store.in_tenant_turn(tenant, [&]() -> Status {
    UPSYNC_ASSIGN_OR_RETURN(changed, break_in_turn(perms, tenant, site, library, copy));
    return Status::ok();
  }));
  return changed;
}

Result<bool> reset_inheritance(SitePermissionStore& perms, TenantId tenant, std::string_view site,
                               std::string_view library) {
  if (library.empty()) {
    return invalid_argument("A site collection has no parent to inherit from; name a library.");
  }
  return perms.remove_scope(tenant, site, library);
}

Result<std::optional<SiteRole>> role_in(const std::vector<RoleAssignment>& assignments,
                                        const PermissionSubject& who) {
  if (who.tenant_owner) return std::optional<SiteRole>(SiteRole::kOwner);
  std::optional<SiteRole> best;
  auto raise = [&](SiteRole r) {
    if (!best || r > *best) best = r;
  };
  // People and Everyone first: a group's membership costs a directory lookup, needed only
  // when it could raise the role.
  for (const RoleAssignment& a : assignments) {
    if (a.roles.empty() || who.person_key.empty()) continue;
    if (a.principal.kind == PrincipalKind::kEveryone) raise(a.highest());
    if (a.principal.kind == PrincipalKind::kPerson && a.principal.key == who.person_key) {
      raise(a.highest());
    }
  }
  for (const RoleAssignment& a : assignments) {
    if (a.principal.kind != PrincipalKind::kGroup || a.roles.empty()) continue;
    if ((best && *best >= a.highest()) || who.person_key.empty() || !who.in_group) continue;
    UPSYNC_ASSIGN_OR_RETURN(bool member, who.in_group(a.principal.key));
    if (member) raise(a.highest());
  }
  return best;
}

Result<std::optional<SiteRole>> site_role_of(SitePermissionStore& perms, TenantId tenant,
                                             std::string_view site, std::string_view library,
                                             const PermissionSubject& who) {
  if (who.tenant_owner) return std::optional<SiteRole>(SiteRole::kOwner);
  UPSYNC_ASSIGN_OR_RETURN(PermissionScope scope, effective_scope(perms, tenant, site, library));
  return role_in(scope.assignments, who);
}

}  // namespace upsync
