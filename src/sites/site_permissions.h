// Document library permissions as SharePoint has them: who may read, and who may add, change
// and delete, the files of a site collection's libraries.
//
// A site collection has role assignments: a principal (a person, a directory group, or
// Everyone, SharePoint's "Everyone except external users") holds one of SharePoint's three
// default roles, named after the site groups that carry them:
//
//   owner    Full Control  1073741829   read, write, and change permissions
//   member   Contribute    1073741827   read, add, overwrite and delete files
//   visitor  Read          1073741826   read files and list folders
//
// A site collection nobody has configured has the default assignments: Everyone is a visitor.
// The first change to a site's assignments starts from those defaults, so Everyone stays a
// visitor until someone revokes it. A library may break inheritance (SharePoint's
// breakroleinheritance) and then has assignments of its own, copied from the site's or empty;
// resetting inheritance drops them. Folders inside a library have the library's permissions.
//
// Outside these assignments (never stored, never revocable): global admins, SharePoint admins
// and apps (seed 003 gives apps Sites.FullControl.All) are owners of every site collection;
// and a bulk import job's log folder (the folder named by the job's id beside its source file)
// is read and written by them only, whatever the library's assignments say.
//
//   auto perms = open_site_permission_store(store);
//   grant(**perms, tenant.id, "sites/hr", "", person_principal(profile), SiteRole::kMember);
//   auto role = site_role_of(**perms, tenant.id, "sites/hr", "Shared Documents", subject);
//   if (*role >= SiteRole::kMember) ... may write
//
// Principals are kept by key: a person by lower-case user principal name (what a token names),
// a directory group by lower-case object id (membership is transitive, looked up in the
// directory store by the caller of site_role_of), Everyone by "everyone". Each principal that
// is not a person gets a principal id of its own in the site collection, from the same
// sequence as the site's user ids (site_users.h), for SharePoint's REST principal ids.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"
#include "store/store.h"

namespace upsync {

// Ordered: a higher role can do everything a lower one can.
enum class SiteRole { kVisitor = 1, kMember = 2, kOwner = 3 };

std::string_view site_role_name(SiteRole role);  // "owner", "member", "visitor"
// "owner", "member", "visitor" (case-insensitive).
std::optional<SiteRole> parse_site_role(std::string_view name);
// SharePoint's role definition of the role: name ("Full Control", "Contribute", "Read"), id
// (1073741829, 1073741827, 1073741826) and RoleTypeKind (5, 3, 2).
std::string_view role_definition_name(SiteRole role);
int64_t role_definition_id(SiteRole role);
int role_type_kind(SiteRole role);
std::optional<SiteRole> role_of_definition_id(int64_t id);
std::optional<SiteRole> role_of_definition_name(std::string_view name);  // case-insensitive
std::optional<SiteRole> role_of_type_kind(int64_t kind);

enum class PrincipalKind { kPerson, kGroup, kEveryone };
std::string_view principal_kind_name(PrincipalKind kind);  // "person", "group", "everyone"

struct SitePrincipal {
  PrincipalKind kind = PrincipalKind::kPerson;
  std::string key;   // lower-case UPN, lower-case group object id, or "everyone"
  std::string name;  // claims login of a person, display name of a group, "Everyone"
  bool operator==(const SitePrincipal& o) const { return kind == o.kind && key == o.key; }
};

// Everyone except external users: every signed-in person of the tenant.
SitePrincipal everyone_principal();
// A person by claims account name and UPN ("" to take the claim's value as the UPN).
SitePrincipal person_principal(std::string_view account_name, std::string_view upn);
// A person from their profile (UPN from SPS-UserPrincipalName, else the claim's value).
SitePrincipal person_principal(const Profile& profile);
// A directory group by object id and display name.
SitePrincipal group_principal(std::string_view object_id, std::string_view display_name);
// The claims login SharePoint shows for a principal: a person's account name,
// c:0t.c|tenant|<object id> for a group, c:0-.f|rolemanager|spo-grid-all-users for Everyone.
std::string principal_login(const SitePrincipal& p);

// A principal's roles in a scope (SharePoint's RoleDefinitionBindings): one or more, highest
// first, each once. The highest decides.
struct RoleAssignment {
  SitePrincipal principal;
  std::vector<SiteRole> roles;
  SiteRole highest() const { return roles.empty() ? SiteRole::kVisitor : roles.front(); }
};

// The assignments of one scope: the site collection itself (library "") or one library that
// broke inheritance.
struct PermissionScope {
  std::string site;     // site_collection_key()
  std::string library;  // "" for the site collection; else the library's name as first given
  std::vector<RoleAssignment> assignments;  // one per principal, by kind then key
};

class SitePermissionStore {
 public:
  virtual ~SitePermissionStore() = default;
  // The scope's own assignments; nullopt when it has none (a site collection then has the
  // defaults, a library inherits the site's). Libraries compare case-insensitively.
  virtual Result<std::optional<PermissionScope>> scope(TenantId tenant, std::string_view site,
                                                       std::string_view library) = 0;
  // Every scope of a site collection with assignments of its own, the site's first.
  virtual Result<std::vector<PermissionScope>> scopes(TenantId tenant, std::string_view site) = 0;
  // Creates or replaces a scope with exactly `scope.assignments`, atomically.
  virtual Status put_scope(TenantId tenant, const PermissionScope& scope) = 0;
  // Drops a scope's own assignments; false when it had none.
  virtual Result<bool> remove_scope(TenantId tenant, std::string_view site,
                                    std::string_view library) = 0;
  // The principal id of a group or Everyone in the site collection, given on first use from
  // the site's user id sequence. InvalidArgument for a person (their id is their site user id).
  virtual Result<int64_t> principal_id(TenantId tenant, std::string_view site,
                                       const SitePrincipal& principal) = 0;
  // The group or Everyone that holds principal id `id`, if any.
  virtual Result<std::optional<SitePrincipal>> principal_by_id(TenantId tenant,
                                                               std::string_view site,
                                                               int64_t id) = 0;
};

inline Result<std::unique_ptr<SitePermissionStore>> open_site_permission_store(Store& store) {
  return store.site_permission_store();
}

// The assignments that apply to `library` ("" for the site collection itself): the library's
// own, else the site's, else the defaults. The result's `library` says which: the library's
// name when they are its own, "" when they come from the site collection.
Result<PermissionScope> effective_scope(SitePermissionStore& perms, TenantId tenant,
                                        std::string_view site, std::string_view library);

// How grant() treats the roles a principal already has in the scope.
enum class GrantMode {
  kReplace,  // the principal ends with exactly `role` (`upsync site permission grant`)
  kAdd,      // `role` joins the ones it has (REST addroleassignment)
};
// Gives `principal` `role` in the scope. A library must have broken inheritance first
// (FailedPrecondition otherwise, as SharePoint refuses to change an inheriting list's
// assignments); a site collection never configured starts from the defaults. Returns false,
// changing nothing, when the principal's roles would stay the same.
//
// grant(), revoke() and break_inheritance() read the scope and write it back whole, in one
// transaction of `store` (perms' own) in the tenant's turn (Store::in_tenant_turn): two
// changes of one scope at once, from two processes, both stay.
Result<bool> grant(Store& store, SitePermissionStore& perms, TenantId tenant, std::string_view site,
                   std::string_view library, const SitePrincipal& principal, SiteRole role,
                   GrantMode mode = GrantMode::kReplace);
// Removes the principal's roles from the scope (only `only` when given); NotFound naming the
// principal and the scope when it has none (or not that one). Same precondition as grant().
Status revoke(Store& store, SitePermissionStore& perms, TenantId tenant, std::string_view site,
              std::string_view library, const SitePrincipal& principal,
              std::optional<SiteRole> only = std::nullopt);
// Gives the library assignments of its own: a copy of the site's when `copy`, else none (only
// admins and apps may then reach it). False, changing nothing, when it already has its own.
Result<bool> break_inheritance(Store& store, SitePermissionStore& perms, TenantId tenant,
                               std::string_view site, std::string_view library, bool copy);
// Makes the library inherit the site's assignments again; false when it already did. One
// DELETE: nothing read first.
Result<bool> reset_inheritance(SitePermissionStore& perms, TenantId tenant, std::string_view site,
                               std::string_view library);

// Who asks, for site_role_of.
struct PermissionSubject {
  // Global admins, SharePoint admins and apps: owners everywhere.
  bool tenant_owner = false;
  std::string person_key;  // lower-case UPN of a person, "" for none
  // Whether the person is a member, directly or through nested groups, of the directory group
  // with this object id (called only for groups that hold an assignment in the scope).
  std::function<Result<bool>(std::string_view group_object_id)> in_group;
};

// The highest role `who` holds in the scope's effective assignments; nullopt for none.
Result<std::optional<SiteRole>> site_role_of(SitePermissionStore& perms, TenantId tenant,
                                             std::string_view site, std::string_view library,
                                             const PermissionSubject& who);
// The same over given assignments.
Result<std::optional<SiteRole>> role_in(const std::vector<RoleAssignment>& assignments,
                                        const PermissionSubject& who);

}  // namespace upsync
