// The PostgreSQL SitePermissionStore (src/sites/site_permissions.h): table
// site_permission_scopes, one row per scope with assignments of its own (library_key "" for
// the site collection); site_role_assignments, one row per principal of such a scope;
// site_principals, the principal ids of groups and Everyone, from the sequence site_users
// draws its ids from (as sqlite_site_permissions.cpp).
#include <algorithm>
#include <functional>

#include "core/clock.h"
#include "core/text.h"
#include "sites/site_permissions.h"
#include "store/postgres/pg_store.h"

namespace upsync {
namespace {

std::optional<PrincipalKind> kind_of(std::string_view name) {
  for (PrincipalKind k :
       {PrincipalKind::kPerson, PrincipalKind::kGroup, PrincipalKind::kEveryone}) {
    if (principal_kind_name(k) == name) return k;
  }
  return std::nullopt;
}

class PgSitePermissionStore : public SitePermissionStore {
 public:
  explicit PgSitePermissionStore(PgStore& s) : store_(s), db_(s.db()) {}

  Result<std::optional<PermissionScope>> scope(TenantId t, std::string_view site,
                                               std::string_view library) override {
    UPSYNC_ASSIGN_OR_RETURN(PgResult r,
                            db_.query("SELECT library FROM site_permission_scopes WHERE "
                                      "tenant_id = $1 AND site = $2 AND library_key = $3",
                                      {t, site, ascii_lower(library)}));
    if (r.rows() == 0) return std::optional<PermissionScope>();
    PermissionScope out;
    out.site = std::string(site);
    out.library = std::string(r.text(0, 0));
    UPSYNC_ASSIGN_OR_RETURN(out.assignments, assignments(t, site, library));
    return std::optional<PermissionScope>(std::move(out));
  }

  Result<std::vector<PermissionScope>> scopes(TenantId t, std::string_view site) override {
    UPSYNC_ASSIGN_OR_RETURN(PgResult r,
                            db_.query("SELECT library FROM site_permission_scopes WHERE "
                                      "tenant_id = $1 AND site = $2 ORDER BY library_key",
                                      {t, site}));
    std::vector<PermissionScope> out;
    for (int i = 0; i < r.rows(); ++i) {
      PermissionScope scope;
      scope.site = std::string(site);
      scope.library = std::string(r.text(i, 0));
      UPSYNC_ASSIGN_OR_RETURN(scope.assignments, assignments(t, site, scope.library));
      out.push_back(std::move(scope));
    }
    return out;
  }

  Status put_scope(TenantId t, const PermissionScope& scope) override {
    const std::string key = ascii_lower(scope.library);
    return store_.in_transaction([&]() -> Status {
      UPSYNC_RETURN_IF_ERROR(
          db_.run("INSERT INTO site_permission_scopes (tenant_id, site, library_key, library, "
                  "updated_at) VALUES ($1, $2, $3, $4, $5) ON CONFLICT (tenant_id, site, "
                  "library_key) DO UPDATE SET updated_at = $5",
                  {t, scope.site, key, scope.library, utc_now_iso()})
              .status());
      UPSYNC_RETURN_IF_ERROR(clear(t, scope.site, key));
      for (const RoleAssignment& a : scope.assignments) {
        for (SiteRole role : a.roles) {
          UPSYNC_RETURN_IF_ERROR(
              db_.run("INSERT INTO site_role_assignments (tenant_id, site, library_key, kind, "
                      "principal_key, principal_name, role) VALUES ($1, $2, $3, $4, $5, $6, $7)",
                      {t, scope.site, key, principal_kind_name(a.principal.kind), a.principal.key,
                       a.principal.name, site_role_name(role)})
                  .status());
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
      UPSYNC_ASSIGN_OR_RETURN(const int64_t n,
                              db_.run("DELETE FROM site_permission_scopes WHERE tenant_id = $1 "
                                      "AND site = $2 AND library_key = $3",
                                      {t, site, key}));
      removed = n > 0;
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
      // The site's lock of pg_site_users.cpp: ids are taken one process at a time.
      UPSYNC_RETURN_IF_ERROR(
          db_.query("SELECT pg_advisory_xact_lock($1::integer, hashtext($2::text))",
                    {static_cast<int64_t>(t), site})
              .status());
      UPSYNC_ASSIGN_OR_RETURN(PgResult found,
                              db_.query("SELECT id FROM site_principals WHERE tenant_id = $1 AND "
                                        "site = $2 AND kind = $3 AND principal_key = $4",
                                        {t, site, principal_kind_name(p.kind), p.key}));
      if (found.rows() > 0) {
        id = found.int64(0, 0);
        return Status::ok();
      }
      // One sequence with site_users (pg_site_users.cpp draws from both tables too).
      UPSYNC_ASSIGN_OR_RETURN(
          PgResult next,
          db_.query("SELECT GREATEST(COALESCE((SELECT max(id) FROM site_users WHERE tenant_id = "
                    "$1 AND site = $2), 0), COALESCE((SELECT max(id) FROM site_principals WHERE "
                    "tenant_id = $1 AND site = $2), 0)) + 1",
                    {t, site}));
      if (next.rows() == 0) return internal_error("no next principal id");
      id = next.int64(0, 0);
      return db_
          .run(
              "INSERT INTO site_principals (tenant_id, site, id, kind, principal_key, name) "
              "VALUES ($1, $2, $3, $4, $5, $6)",
              {t, site, id, principal_kind_name(p.kind), p.key, p.name})
          .status();
    }));
    return id;
  }

  Result<std::optional<SitePrincipal>> principal_by_id(TenantId t, std::string_view site,
                                                       int64_t id) override {
    UPSYNC_ASSIGN_OR_RETURN(PgResult r,
                            db_.query("SELECT kind, principal_key, name FROM site_principals "
                                      "WHERE tenant_id = $1 AND site = $2 AND id = $3",
                                      {t, site, id}));
    if (r.rows() == 0) return std::optional<SitePrincipal>();
    auto kind = kind_of(r.text(0, 0));
    if (!kind) return data_loss("stored principal " + std::to_string(id) + " has an unknown kind");
    return std::optional<SitePrincipal>(
        SitePrincipal{*kind, std::string(r.text(0, 1)), std::string(r.text(0, 2))});
  }

 private:
  Status clear(TenantId t, std::string_view site, std::string_view key) {
    return db_
        .run(
            "DELETE FROM site_role_assignments WHERE tenant_id = $1 AND site = $2 AND "
            "library_key = $3",
            {t, site, key})
        .status();
  }

  Result<std::vector<RoleAssignment>> assignments(TenantId t, std::string_view site,
                                                  std::string_view library) {
    UPSYNC_ASSIGN_OR_RETURN(
        PgResult r,
        db_.query("SELECT kind, principal_key, principal_name, role FROM site_role_assignments "
                  "WHERE tenant_id = $1 AND site = $2 AND library_key = $3 ORDER BY kind DESC, "
                  "principal_key",
                  {t, site, ascii_lower(library)}));
    std::vector<RoleAssignment> out;
    for (int i = 0; i < r.rows(); ++i) {
      auto kind = kind_of(r.text(i, 0));
      auto role = parse_site_role(r.text(i, 3));
      if (!kind || !role) {
        return data_loss("stored role assignment of '" + std::string(r.text(i, 1)) + "' in '/" +
                         std::string(site) + "' is corrupt (kind or role unknown)");
      }
      SitePrincipal p{*kind, std::string(r.text(i, 1)), std::string(r.text(i, 2))};
      if (out.empty() || !(out.back().principal == p)) out.push_back({std::move(p), {}});
      out.back().roles.push_back(*role);
    }
    // Rows come by principal; each principal's roles highest first.
    for (RoleAssignment& a : out) std::sort(a.roles.begin(), a.roles.end(), std::greater<>());
    return out;
  }

  PgStore& store_;
  PgDb& db_;
};

}  // namespace

Result<std::unique_ptr<SitePermissionStore>> PgStore::site_permission_store() {
  return std::unique_ptr<SitePermissionStore>(new PgSitePermissionStore(*this));
}

}  // namespace upsync
