// The PostgreSQL SiteUserStore (src/sites/site_users.h): table site_users, one row per person
// and site collection, the copied properties as a JSON object (as sqlite_site_users.cpp).
#include <nlohmann/json.hpp>

#include "core/clock.h"
#include "core/text.h"
#include "sites/site_users.h"
#include "store/postgres/pg_store.h"

namespace upsync {
namespace {

constexpr std::string_view kSiteUserColumns =
    "site, id, login_name, profile_id, site_admin, props, created_at, updated_at";

std::string encode(const SiteProperties& p) { return nlohmann::json(p).dump(); }

PgParam email_key(const SiteUser& u) {
  std::string email = u.first("WorkEmail");
  if (email.empty()) return std::nullopt;
  return ascii_lower(email);
}

class PgSiteUserStore : public SiteUserStore {
 public:
  explicit PgSiteUserStore(PgStore& s) : store_(s), db_(s.db()) {}

  Result<SiteUser> add(TenantId t, const SiteUser& user) override {
    SiteUser out = user;
    Status s = store_.in_transaction([&]() -> Status {
      // Several processes add people at once: the site's principal ids are taken under a lock
      // of the site (held to the commit), or two would read the same largest id.
      UPSYNC_RETURN_IF_ERROR(
          db_.query("SELECT pg_advisory_xact_lock($1::integer, hashtext($2::text))",
                    {static_cast<int64_t>(t), user.site})
              .status());
      // Groups and Everyone draw their principal ids from the same sequence
      // (pg_site_permissions.cpp): SharePoint's principal ids are one space per site.
      UPSYNC_ASSIGN_OR_RETURN(
          PgResult next,
          db_.query("SELECT GREATEST(COALESCE((SELECT max(id) FROM site_users WHERE tenant_id = "
                    "$1 AND site = $2), 0), COALESCE((SELECT max(id) FROM site_principals WHERE "
                    "tenant_id = $1 AND site = $2), 0)) + 1",
                    {t, user.site}));
      if (next.rows() == 0) return internal_error("no next site user id");
      out.id = next.int64(0, 0);
      out.created_at = out.updated_at = utc_now_iso();
      return db_
          .run(
              "INSERT INTO site_users (tenant_id, site, id, login_key, login_name, email_key, "
              "profile_id, site_admin, props, created_at, updated_at) VALUES ($1, $2, $3, $4, "
              "$5, $6, $7, $8, $9, $10, $11)",
              {t, out.site, out.id, ascii_lower(out.login_name), out.login_name, email_key(out),
               out.profile_id, int64_t{out.site_admin}, encode(out.properties), out.created_at,
               out.updated_at})
          .status();
    });
    if (!s) return s;
    return out;
  }

  Result<bool> update(TenantId t, const SiteUser& user) override {
    UPSYNC_ASSIGN_OR_RETURN(
        const int64_t changed,
        db_.run("UPDATE site_users SET props = $1, email_key = $2, profile_id = $3, updated_at = "
                "$4 WHERE tenant_id = $5 AND site = $6 AND id = $7 AND (props IS DISTINCT FROM "
                "$1 OR profile_id IS DISTINCT FROM $3)",
                {encode(user.properties), email_key(user), user.profile_id, utc_now_iso(), t,
                 user.site, user.id}));
    return changed > 0;
  }

  Result<bool> set_site_admin(TenantId t, std::string_view site, int64_t id, bool admin) override {
    UPSYNC_ASSIGN_OR_RETURN(
        const int64_t changed,
        db_.run("UPDATE site_users SET site_admin = $1, updated_at = $2 WHERE tenant_id = $3 AND "
                "site = $4 AND id = $5 AND site_admin <> $1",
                {int64_t{admin}, utc_now_iso(), t, site, id}));
    return changed > 0;
  }

  Result<bool> remove(TenantId t, std::string_view site, int64_t id) override {
    UPSYNC_ASSIGN_OR_RETURN(
        const int64_t removed,
        db_.run("DELETE FROM site_users WHERE tenant_id = $1 AND site = $2 AND id = $3",
                {t, site, id}));
    return removed > 0;
  }

  Result<std::optional<SiteUser>> by_id(TenantId t, std::string_view site, int64_t id) override {
    return first(select("site = $2 AND id = $3", {t, site, id}));
  }

  Result<std::optional<SiteUser>> by_login(TenantId t, std::string_view site,
                                           std::string_view login) override {
    return first(select("login_key = $2 AND site = $3", {t, ascii_lower(login), site}));
  }

  Result<std::optional<SiteUser>> by_email(TenantId t, std::string_view site,
                                           std::string_view email) override {
    return first(
        select("site = $2 AND email_key = $3 ORDER BY id LIMIT 1", {t, site, ascii_lower(email)}));
  }

  Result<std::vector<SiteUser>> list(TenantId t, std::string_view site) override {
    return select("site = $2 ORDER BY id", {t, site});
  }

  Result<bool> any(TenantId t) override {
    UPSYNC_ASSIGN_OR_RETURN(
        PgResult r,
        db_.query("SELECT EXISTS (SELECT 1 FROM site_users WHERE tenant_id = $1)", {t}));
    return r.rows() > 0 && r.boolean(0, 0);
  }

  Result<std::vector<SiteUser>> of_login(TenantId t, std::string_view login) override {
    return select("login_key = $2 ORDER BY site", {t, ascii_lower(login)});
  }

 private:
  // The site users of tenant $1 where `where` holds.
  Result<std::vector<SiteUser>> select(std::string_view where,
                                       std::initializer_list<PgParam> params) {
    UPSYNC_ASSIGN_OR_RETURN(PgResult r, db_.query("SELECT " + std::string(kSiteUserColumns) +
                                                      " FROM site_users WHERE tenant_id = $1 "
                                                      "AND " +
                                                      std::string(where),
                                                  params));
    std::vector<SiteUser> out;
    for (int i = 0; i < r.rows(); ++i) {
      UPSYNC_ASSIGN_OR_RETURN(SiteUser u, read(r, i));
      out.push_back(std::move(u));
    }
    return out;
  }

  static Result<SiteUser> read(const PgResult& r, int i) {
    SiteUser u;
    u.site = r.text(i, 0);
    u.id = r.int64(i, 1);
    u.login_name = r.text(i, 2);
    u.profile_id = r.int64(i, 3);
    u.site_admin = r.int64(i, 4) != 0;
    try {
      u.properties = nlohmann::json::parse(r.text(i, 5)).get<SiteProperties>();
    } catch (const nlohmann::json::exception& e) {
      return data_loss("stored site user " + u.login_name + " of '" + u.site +
                       "' is corrupt: " + e.what());
    }
    u.created_at = r.text(i, 6);
    u.updated_at = r.text(i, 7);
    return u;
  }

  static Result<std::optional<SiteUser>> first(Result<std::vector<SiteUser>> found) {
    if (!found) return found.status();
    if (found->empty()) return std::optional<SiteUser>();
    return std::optional<SiteUser>(std::move(found->front()));
  }

  PgStore& store_;
  PgDb& db_;
};

}  // namespace

Result<std::unique_ptr<SiteUserStore>> PgStore::site_user_store() {
  return std::unique_ptr<SiteUserStore>(new PgSiteUserStore(*this));
}

}  // namespace upsync
