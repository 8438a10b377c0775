// The SQLite SiteUserStore (src/sites/site_users.h): table site_users, one row per person and
// site collection, the copied properties as a JSON object.
#include <nlohmann/json.hpp>

#include "core/clock.h"
#include "core/text.h"
#include "sites/site_users.h"
#include "store/sqlite/sqlite_store.h"

namespace upsync {
namespace {

constexpr std::string_view kSiteUserColumns =
    "site, id, login_name, profile_id, site_admin, props, created_at, updated_at";

std::string encode(const SiteProperties& p) { return nlohmann::json(p).dump(); }

std::optional<std::string> email_key(const SiteUser& u) {
  std::string email = u.first("WorkEmail");
  if (email.empty()) return std::nullopt;
  return ascii_lower(email);
}

class SqliteSiteUserStore : public SiteUserStore {
 public:
  explicit SqliteSiteUserStore(SqliteStore& s) : db_(s.db()) {}

  Result<SiteUser> add(TenantId t, const SiteUser& user) override {
    UPSYNC_ASSIGN_OR_RETURN(
        auto* next,
        // Groups and Everyone draw their principal ids from the same sequence
        // (sqlite_site_permissions.cpp): SharePoint's principal ids are one space per site.
        db_.prepare("SELECT max(coalesce((SELECT max(id) FROM site_users WHERE tenant_id = ?1 "
                    "AND site = ?2), 0), coalesce((SELECT max(id) FROM site_principals WHERE "
                    "tenant_id = ?1 AND site = ?2), 0)) + 1"));
    next->bind(1, t);
    next->bind(2, user.site);
    UPSYNC_ASSIGN_OR_RETURN(bool row, next->step());
    if (!row) return internal_error("no next site user id");
    SiteUser out = user;
    out.id = next->column_int(0);
    next->reset();
    out.created_at = out.updated_at = utc_now_iso();
    UPSYNC_ASSIGN_OR_RETURN(auto* ins,
                            db_.prepare("INSERT INTO site_users (tenant_id, site, id, login_key, "
                                        "login_name, email_key, profile_id, site_admin, props, "
                                        "created_at, updated_at) VALUES (?,?,?,?,?,?,?,?,?,?,?)"));
    ins->bind(1, t);
    ins->bind(2, out.site);
    ins->bind(3, out.id);
    ins->bind(4, ascii_lower(out.login_name));
    ins->bind(5, out.login_name);
    bind_email(*ins, 6, out);
    ins->bind(7, out.profile_id);
    ins->bind(8, int64_t{out.site_admin});
    ins->bind(9, encode(out.properties));
    ins->bind(10, out.created_at);
    ins->bind(11, out.updated_at);
    UPSYNC_RETURN_IF_ERROR(ins->run());
    return out;
  }

  Result<bool> update(TenantId t, const SiteUser& user) override {
    UPSYNC_ASSIGN_OR_RETURN(
        auto* s, db_.prepare("UPDATE site_users SET props = ?1, email_key = ?2, profile_id = ?3, "
                             "updated_at = ?4 WHERE tenant_id = ?5 AND site = ?6 AND id = ?7 AND "
                             "(props IS NOT ?1 OR profile_id IS NOT ?3)"));
    s->bind(1, encode(user.properties));
    bind_email(*s, 2, user);
    s->bind(3, user.profile_id);
    s->bind(4, utc_now_iso());
    s->bind(5, t);
    s->bind(6, user.site);
    s->bind(7, user.id);
    UPSYNC_RETURN_IF_ERROR(s->run());
    return db_.changes() > 0;
  }

  Result<bool> set_site_admin(TenantId t, std::string_view site, int64_t id, bool admin) override {
    UPSYNC_ASSIGN_OR_RETURN(
        auto* s, db_.prepare("UPDATE site_users SET site_admin = ?, updated_at = ? WHERE "
                             "tenant_id = ? AND site = ? AND id = ? AND site_admin <> ?"));
    s->bind(1, int64_t{admin});
    s->bind(2, utc_now_iso());
    s->bind(3, t);
    s->bind(4, site);
    s->bind(5, id);
    s->bind(6, int64_t{admin});
    UPSYNC_RETURN_IF_ERROR(s->run());
    return db_.changes() > 0;
  }

  Result<bool> remove(TenantId t, std::string_view site, int64_t id) override {
    UPSYNC_ASSIGN_OR_RETURN(
        auto* s, db_.prepare("DELETE FROM site_users WHERE tenant_id = ? AND site = ? AND id = ?"));
    s->bind(1, t);
    s->bind(2, site);
    s->bind(3, id);
    UPSYNC_RETURN_IF_ERROR(s->run());
    return db_.changes() > 0;
  }

  Result<std::optional<SiteUser>> by_id(TenantId t, std::string_view site, int64_t id) override {
    UPSYNC_ASSIGN_OR_RETURN(auto* s, select("site = ? AND id = ?"));
    s->bind(1, t);
    s->bind(2, site);
    s->bind(3, id);
    return first(*s);
  }

  Result<std::optional<SiteUser>> by_login(TenantId t, std::string_view site,
                                           std::string_view login) override {
    UPSYNC_ASSIGN_OR_RETURN(auto* s, select("login_key = ? AND site = ?"));
    s->bind(1, t);
    s->bind(2, ascii_lower(login));
    s->bind(3, site);
    return first(*s);
  }

  Result<std::optional<SiteUser>> by_email(TenantId t, std::string_view site,
                                           std::string_view email) override {
    UPSYNC_ASSIGN_OR_RETURN(auto* s, select("site = ? AND email_key = ? ORDER BY id"));
    s->bind(1, t);
    s->bind(2, site);
    s->bind(3, ascii_lower(email));
    return first(*s);
  }

  Result<std::vector<SiteUser>> list(TenantId t, std::string_view site) override {
    UPSYNC_ASSIGN_OR_RETURN(auto* s, select("site = ? ORDER BY id"));
    s->bind(1, t);
    s->bind(2, site);
    return all(*s);
  }

  Result<bool> any(TenantId t) override {
    UPSYNC_ASSIGN_OR_RETURN(
        auto* s, db_.prepare("SELECT EXISTS (SELECT 1 FROM site_users WHERE tenant_id = ?)"));
    s->bind(1, t);
    UPSYNC_ASSIGN_OR_RETURN(bool row, s->step());
    const bool found = row && s->column_int(0) != 0;
    s->reset();
    return found;
  }

  Result<std::vector<SiteUser>> of_login(TenantId t, std::string_view login) override {
    UPSYNC_ASSIGN_OR_RETURN(auto* s, select("login_key = ? ORDER BY site"));
    s->bind(1, t);
    s->bind(2, ascii_lower(login));
    return all(*s);
  }

 private:
  static void bind_email(SqliteStatement& s, int i, const SiteUser& u) {
    if (auto key = email_key(u)) {
      s.bind(i, *key);
    } else {
      s.bind_null(i);
    }
  }

  Result<SqliteStatement*> select(std::string_view where) {
    return db_.prepare("SELECT " + std::string(kSiteUserColumns) +
                       " FROM site_users WHERE tenant_id = ? AND " + std::string(where));
  }

  static Result<SiteUser> read(SqliteStatement& s) {
    SiteUser u;
    u.site = s.column_text(0);
    u.id = s.column_int(1);
    u.login_name = s.column_text(2);
    u.profile_id = s.column_int(3);
    u.site_admin = s.column_int(4) != 0;
    try {
      u.properties = nlohmann::json::parse(s.column_text(5)).get<SiteProperties>();
    } catch (const nlohmann::json::exception& e) {
      return data_loss("stored site user " + u.login_name + " of '" + u.site +
                       "' is corrupt: " + e.what());
    }
    u.created_at = s.column_text(6);
    u.updated_at = s.column_text(7);
    return u;
  }

  static Result<std::optional<SiteUser>> first(SqliteStatement& s) {
    UPSYNC_ASSIGN_OR_RETURN(bool row, s.step());
    if (!row) return std::optional<SiteUser>();
    auto u = read(s);
    s.reset();
    if (!u) return u.status();
    return std::optional<SiteUser>(std::move(*u));
  }

  static Result<std::vector<SiteUser>> all(SqliteStatement& s) {
    std::vector<SiteUser> out;
    while (true) {
      UPSYNC_ASSIGN_OR_RETURN(bool row, s.step());
      if (!row) break;
      UPSYNC_ASSIGN_OR_RETURN(SiteUser u, read(s));
      out.push_back(std::move(u));
    }
    return out;
  }

  SqliteDb& db_;
};

}  // namespace

Result<std::unique_ptr<SiteUserStore>> SqliteStore::site_user_store() {
  return std::unique_ptr<SiteUserStore>(new SqliteSiteUserStore(*this));
}

}  // namespace upsync
