// The SQLite SitePermissionStore (src/sites/site_permissions.h): table site_permission_scopes,
// one row per scope with assignments of its own (library_key "" for the site collection);
// site_role_assignments, one row per principal of such a scope; site_principals, the
// principal ids of groups and Everyone, from the sequence site_users draws its ids from.
#include <algorithm>
#include <functional>

#include "core/clock.h"
#include "core/text.h"
#include "sites/site_permissions.h"
#include "store/sqlite/sqlite_store.h"

namespace upsync {
namespace {

std::optional<PrincipalKind> kind_of(std::string_view name) {
  for (PrincipalKind k :
       {PrincipalKind::kPerson, PrincipalKind::kGroup, PrincipalKind::kEveryone}) {
    if (principal_kind_name(k) == name) return k;
  }
  return std::nullopt;
}

class SqliteSitePermissionStore : public SitePermissionStore {
 public:
  explicit SqliteSitePermissionStore(SqliteStore& s) : store_(s), db_(s.db()) {}

  Result<std::optional<PermissionScope>> scope(TenantId t, std::string_view site,
                                               std::string_view library) override {
    UPSYNC_ASSIGN_OR_RETURN(
        auto* s, db_.prepare("SELECT library FROM site_permission_scopes WHERE tenant_id = ? AND "
                             "site = ? AND library_key = ?"));
    s->bind(1, t);
    s->bind(2, site);
    s->bind(3, ascii_lower(library));
    UPSYNC_ASSIGN_OR_RETURN(bool row, s->step());
    if (!row) return std::optional<PermissionScope>();
    PermissionScope out;
    out.site = std::string(site);
    out.library = std::string(s->column_text(0));
    s->reset();
    UPSYNC_ASSIGN_OR_RETURN(out.assignments, assignments(t, site, library));
    return std::optional<PermissionScope>(std::move(out));
  }

  Result<std::vector<PermissionScope>> scopes(TenantId t, std::string_view site) override {
    UPSYNC_ASSIGN_OR_RETURN(
        auto* s, db_.prepare("SELECT library FROM site_permission_scopes WHERE tenant_id = ? AND "
                             "site = ? ORDER BY library_key"));
    s->bind(1, t);
    s->bind(2, site);
    std::vector<PermissionScope> out;
    while (true) {
      UPSYNC_ASSIGN_OR_RETURN(bool row, s->step());
      if (!row) break;
      PermissionScope scope;
      scope.site = std::string(site);
      scope.library = std::string(s->column_text(0));
      out.push_back(std::move(scope));
    }
    for (PermissionScope& scope : out) {
      UPSYNC_ASSIGN_OR_RETURN(scope.assignments, assignments(t, site, scope.library));
    }
    return out;
  }

  Status put_scope(TenantId t, const PermissionScope& scope) override {
    const std::string key = ascii_lower(scope.library);
    return store_.in_transaction([&]() -> Status {
      UPSYNC_ASSIGN_OR_RETURN(
          auto* up,
          db_.prepare("INSERT INTO site_permission_scopes (tenant_id, site, library_key, library, "
                      "updated_at) VALUES (?1, ?2, ?3, ?4, ?5) ON CONFLICT DO UPDATE SET "
                      "updated_at = ?5"));
      up->bind(1, t);
      up->bind(2, scope.site);
      up->bind(3, key);
      up->bind(4, scope.library);
      up->bind(5, utc_now_iso());
      UPSYNC_RETURN_IF_ERROR(up->run());
      UPSYNC_RETURN_IF_ERROR(clear(t, scope.site, key));
      UPSYNC_ASSIGN_OR_RETURN(
          auto* ins, db_.prepare("INSERT INTO site_role_assignments (tenant_id, site, library_key, "
                                 "kind, principal_key, principal_name, role) VALUES "
                                 "(?,?,?,?,?,?,?)"));
      for (const RoleAssignment& a : scope.assignments) {
        for (SiteRole role : a.roles) {
          ins->bind(1, t);
          ins->bind(2, scope.site);
          ins->bind(3, key);
          ins->bind(4, principal_kind_name(a.principal.kind));
          ins->bind(5, a.principal.key);
          ins->bind(6, a.principal.name);
          ins->bind(7, site_role_name(role));
          UPSYNC_RETURN_IF_ERROR(ins->run());
        }
      }
      return Status::ok();
    });
  }

  Result<bool> remove_scope(TenantId t, std::string_view site, std::string_view library) override {
    const std::string key = ascii_lower(library);
    bool removed = false;
    UPSYNC_RETURN_IF_ERROR(store_.in_transaction([&]() -> Status {
      UPSYNC_RETURN_IF_ERROR(clear(t, site, key));
      UPSYNC_ASSIGN_OR_RETURN(
          auto* s, db_.prepare("DELETE FROM site_permission_scopes WHERE tenant_id = ? AND "
                               "site = ? AND library_key = ?"));
      s->bind(1, t);
      s->bind(2, site);
      s->bind(3, key);
      UPSYNC_RETURN_IF_ERROR(s->run());
      removed = db_.changes() > 0;
      return Status::ok();
    }));
    return removed;
  }

  Result<int64_t> principal_id(TenantId t, std::string_view site, const SitePrincipal& p) override {
    if (p.kind == PrincipalKind::kPerson) {
      return invalid_argument("a person's principal id is their id in the site's user list");
    }
    int64_t id = 0;
    UPSYNC_RETURN_IF_ERROR(store_.in_transaction([&]() -> Status {
      UPSYNC_ASSIGN_OR_RETURN(
          auto* find, db_.prepare("SELECT id FROM site_principals WHERE tenant_id = ? AND site = ? "
                                  "AND kind = ? AND principal_key = ?"));
      find->bind(1, t);
      find->bind(2, site);
      find->bind(3, principal_kind_name(p.kind));
      find->bind(4, p.key);
      UPSYNC_ASSIGN_OR_RETURN(bool row, find->step());
      if (row) {
        id = find->column_int(0);
        find->reset();
        return Status::ok();
      }
      // One sequence with site_users (sqlite_site_users.cpp draws from both tables too).
      UPSYNC_ASSIGN_OR_RETURN(
          auto* next,
          db_.prepare("SELECT max(coalesce((SELECT max(id) FROM site_users WHERE tenant_id = ?1 "
                      "AND site = ?2), 0), coalesce((SELECT max(id) FROM site_principals WHERE "
                      "tenant_id = ?1 AND site = ?2), 0)) + 1"));
      next->bind(1, t);
      next->bind(2, site);
      UPSYNC_ASSIGN_OR_RETURN(bool got, next->step());
      if (!got) return internal_error("no next principal id");
      id = next->column_int(0);
      next->reset();
      UPSYNC_ASSIGN_OR_RETURN(auto* ins,
                              db_.prepare("INSERT INTO site_principals (tenant_id, site, id, kind, "
                                          "principal_key, name) VALUES (?,?,?,?,?,?)"));
      ins->bind(1, t);
      ins->bind(2, site);
      ins->bind(3, id);
      ins->bind(4, principal_kind_name(p.kind));
      ins->bind(5, p.key);
      ins->bind(6, p.name);
      return ins->run();
    }));
    return id;
  }

  Result<std::optional<SitePrincipal>> principal_by_id(TenantId t, std::string_view site,
                                                       int64_t id) override {
    UPSYNC_ASSIGN_OR_RETURN(
        auto* s, db_.prepare("SELECT kind, principal_key, name FROM site_principals WHERE "
                             "tenant_id = ? AND site = ? AND id = ?"));
    s->bind(1, t);
    s->bind(2, site);
    s->bind(3, id);
    UPSYNC_ASSIGN_OR_RETURN(bool row, s->step());
    if (!row) return std::optional<SitePrincipal>();
    auto kind = kind_of(s->column_text(0));
    SitePrincipal p{kind.value_or(PrincipalKind::kGroup), std::string(s->column_text(1)),
                    std::string(s->column_text(2))};
    s->reset();
    if (!kind) return data_loss("stored principal " + std::to_string(id) + " has an unknown kind");
    return std::optional<SitePrincipal>(std::move(p));
  }

 private:
  Status clear(TenantId t, std::string_view site, std::string_view key) {
    UPSYNC_ASSIGN_OR_RETURN(
        auto* s, db_.prepare("DELETE FROM site_role_assignments WHERE tenant_id = ? AND site = ? "
                             "AND library_key = ?"));
    s->bind(1, t);
    s->bind(2, site);
    s->bind(3, key);
    return s->run();
  }

  Result<std::vector<RoleAssignment>> assignments(TenantId t, std::string_view site,
                                                  std::string_view library) {
    UPSYNC_ASSIGN_OR_RETURN(
        auto* s, db_.prepare("SELECT kind, principal_key, principal_name, role FROM "
                             "site_role_assignments WHERE tenant_id = ? AND site = ? AND "
                             "library_key = ? ORDER BY kind DESC, principal_key"));
    s->bind(1, t);
    s->bind(2, site);
    s->bind(3, ascii_lower(library));
    std::vector<RoleAssignment> out;
    while (true) {
      UPSYNC_ASSIGN_OR_RETURN(bool row, s->step());
      if (!row) break;
      auto kind = kind_of(s->column_text(0));
      auto role = parse_site_role(s->column_text(3));
      if (!kind || !role) {
        const std::string what(s->column_text(1));
        s->reset();
        return data_loss("stored role assignment of '" + what + "' in '/" + std::string(site) +
                         "' is corrupt (kind or role unknown)");
      }
      SitePrincipal p{*kind, std::string(s->column_text(1)), std::string(s->column_text(2))};
      if (out.empty() || !(out.back().principal == p)) out.push_back({std::move(p), {}});
      out.back().roles.push_back(*role);
    }
    // Rows come by principal; each principal's roles highest first.
    for (RoleAssignment& a : out) std::sort(a.roles.begin(), a.roles.end(), std::greater<>());
    return out;
  }

  SqliteStore& store_;
  SqliteDb& db_;
};

}  // namespace

Result<std::unique_ptr<SitePermissionStore>> SqliteStore::site_permission_store() {
  return std::unique_ptr<SitePermissionStore>(new SqliteSitePermissionStore(*this));
}

}  // namespace upsync
