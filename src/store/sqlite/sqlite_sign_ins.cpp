// The SQLite SignInStore (src/auth/sign_in_store.h): tables app_redirect_uris,
// authorization_codes, refresh_tokens and browser_sessions.
#include "auth/sign_in_store.h"
#include "core/text.h"
#include "store/sqlite/sqlite_store.h"

namespace upsync {
namespace {

// A used or expired code's row stays this long past its expiry, so that a replay is told
// apart from a made-up code (AADSTS54005 rather than "not valid").
constexpr int64_t kCodeKeptSeconds = 3600;

class SqliteSignInStore : public SignInStore {
 public:
  explicit SqliteSignInStore(SqliteStore& store) : store_(store), db_(store.db()) {}

  Status add_redirect_uri(TenantId tenant, std::string_view client_id,
                          std::string_view uri) override {
    return store_.in_transaction([&]() -> Status {
      UPSYNC_ASSIGN_OR_RETURN(
          SqliteStatement * app,
          db_.prepare("SELECT 1 FROM apps WHERE tenant_id = ? AND client_id = ?"));
      app->bind(1, tenant);
      app->bind(2, ascii_lower(client_id));
      UPSYNC_ASSIGN_OR_RETURN(bool known, app->step());
      app->reset();
      if (!known) return not_found("no app with client id '" + std::string(client_id) + "'");
      UPSYNC_ASSIGN_OR_RETURN(
          SqliteStatement * s,
          db_.prepare("INSERT INTO app_redirect_uris (tenant_id, client_id, uri, position) "
                      "VALUES (?, ?, ?, (SELECT count(*) FROM app_redirect_uris WHERE "
                      "tenant_id = ?1 AND client_id = ?2)) ON CONFLICT DO NOTHING"));
      s->bind(1, tenant);
      s->bind(2, ascii_lower(client_id));
      s->bind(3, uri);
      UPSYNC_RETURN_IF_ERROR(s->run());
      if (db_.changes() == 0) {
        return already_exists("the app '" + std::string(client_id) +
                              "' already has the redirect URI '" + std::string(uri) + "'");
      }
      return Status::ok();
    });
  }

  Result<std::vector<std::string>> redirect_uris(TenantId tenant,
                                                 std::string_view client_id) override {
    UPSYNC_ASSIGN_OR_RETURN(
        SqliteStatement * s,
        db_.prepare("SELECT uri FROM app_redirect_uris WHERE tenant_id = ? AND client_id = ? "
                    "ORDER BY position"));
    s->bind(1, tenant);
    s->bind(2, ascii_lower(client_id));
    std::vector<std::string> out;
    while (true) {
      UPSYNC_ASSIGN_OR_RETURN(bool row, s->step());
      if (!row) break;
      out.emplace_back(s->column_text(0));
    }
    return out;
  }

  Status put_code(TenantId tenant, const AuthorizationCode& c) override {
    UPSYNC_ASSIGN_OR_RETURN(
        SqliteStatement * s,
        db_.prepare("INSERT INTO authorization_codes (tenant_id, code_key, client_id, "
                    "redirect_uri, code_challenge, scope, nonce, upn, token_generation, "
                    "issued_at, expires_at, used) VALUES (?,?,?,?,?,?,?,?,?,?,?,0)"));
    s->bind(1, tenant);
    s->bind(2, c.key);
    s->bind(3, ascii_lower(c.client_id));
    s->bind(4, c.redirect_uri);
    s->bind(5, c.code_challenge);
    s->bind(6, c.scope);
    s->bind(7, c.nonce);
    s->bind(8, c.upn);
    s->bind(9, c.token_generation);
    s->bind(10, c.issued_at);
    s->bind(11, c.expires_at);
    return s->run();
  }

  Result<TakenCode> take_code(TenantId tenant, std::string_view key, int64_t now) override {
    TakenCode out;
    Status st = store_.in_transaction([&]() -> Status {
      UPSYNC_ASSIGN_OR_RETURN(SqliteStatement * purge,
                              db_.prepare("DELETE FROM authorization_codes WHERE expires_at < ?"));
      purge->bind(1, now - kCodeKeptSeconds);
      UPSYNC_RETURN_IF_ERROR(purge->run());
      UPSYNC_ASSIGN_OR_RETURN(
          SqliteStatement * s,
          db_.prepare("SELECT client_id, redirect_uri, code_challenge, scope, nonce, upn, "
                      "token_generation, issued_at, expires_at, used FROM authorization_codes "
                      "WHERE tenant_id = ? AND code_key = ?"));
      s->bind(1, tenant);
      s->bind(2, key);
      UPSYNC_ASSIGN_OR_RETURN(bool row, s->step());
      if (!row) return Status::ok();
      AuthorizationCode c{std::string(key),
                          std::string(s->column_text(0)),
                          std::string(s->column_text(1)),
                          std::string(s->column_text(2)),
                          std::string(s->column_text(3)),
                          std::string(s->column_text(4)),
                          std::string(s->column_text(5)),
                          s->column_int(6),
                          s->column_int(7),
                          s->column_int(8)};
      bool used = s->column_int(9) != 0;
      s->reset();
      if (used) {
        out.state = CodeTake::kUsed;
        return Status::ok();
      }
      if (c.expires_at <= now) {
        out.state = CodeTake::kExpired;
        return Status::ok();
      }
      // The UPDATE's condition makes the take atomic across processes: only one write of
      // used = 1 changes a row.
      UPSYNC_ASSIGN_OR_RETURN(
          SqliteStatement * mark,
          db_.prepare("UPDATE authorization_codes SET used = 1 WHERE tenant_id = ? AND "
                      "code_key = ? AND used = 0"));
      mark->bind(1, tenant);
      mark->bind(2, key);
      UPSYNC_RETURN_IF_ERROR(mark->run());
      if (db_.changes() == 0) {
        out.state = CodeTake::kUsed;
        return Status::ok();
      }
      out.state = CodeTake::kFresh;
      out.code = std::move(c);
      return Status::ok();
    });
    if (!st.is_ok()) return st;
    return out;
  }

  Status put_refresh_token(TenantId tenant, const RefreshGrant& g) override {
    UPSYNC_ASSIGN_OR_RETURN(
        SqliteStatement * s,
        db_.prepare("INSERT INTO refresh_tokens (tenant_id, token_key, family, client_id, upn, "
                    "scope, token_generation, issued_at, expires_at, used) "
                    "VALUES (?,?,?,?,?,?,?,?,?,0)"));
    s->bind(1, tenant);
    s->bind(2, g.key);
    s->bind(3, g.family);
    s->bind(4, ascii_lower(g.client_id));
    s->bind(5, ascii_lower(g.upn));
    s->bind(6, g.scope);
    s->bind(7, g.token_generation);
    s->bind(8, g.issued_at);
    s->bind(9, g.expires_at);
    return s->run();
  }

  Result<TakenRefresh> take_refresh_token(TenantId tenant, std::string_view key,
                                          int64_t now) override {
    TakenRefresh out;
    Status st = store_.in_transaction([&]() -> Status {
      UPSYNC_ASSIGN_OR_RETURN(SqliteStatement * purge,
                              db_.prepare("DELETE FROM refresh_tokens WHERE expires_at < ?"));
      purge->bind(1, now);
      UPSYNC_RETURN_IF_ERROR(purge->run());
      UPSYNC_ASSIGN_OR_RETURN(
          SqliteStatement * s,
          db_.prepare("SELECT family, client_id, upn, scope, token_generation, issued_at, "
                      "expires_at, used FROM refresh_tokens WHERE tenant_id = ? AND "
                      "token_key = ?"));
      s->bind(1, tenant);
      s->bind(2, key);
      UPSYNC_ASSIGN_OR_RETURN(bool row, s->step());
      if (!row) return Status::ok();
      RefreshGrant g{std::string(key),
                     std::string(s->column_text(0)),
                     std::string(s->column_text(1)),
                     std::string(s->column_text(2)),
                     std::string(s->column_text(3)),
                     s->column_int(4),
                     s->column_int(5),
                     s->column_int(6)};
      bool used = s->column_int(7) != 0;
      s->reset();
      out.grant = g;
      if (used) {
        out.state = RefreshTake::kUsed;
        return Status::ok();
      }
      if (g.expires_at <= now) {
        out.state = RefreshTake::kExpired;
        return Status::ok();
      }
      UPSYNC_ASSIGN_OR_RETURN(
          SqliteStatement * mark,
          db_.prepare("UPDATE refresh_tokens SET used = 1 WHERE tenant_id = ? AND "
                      "token_key = ? AND used = 0"));
      mark->bind(1, tenant);
      mark->bind(2, key);
      UPSYNC_RETURN_IF_ERROR(mark->run());
      out.state = db_.changes() == 0 ? RefreshTake::kUsed : RefreshTake::kFresh;
      return Status::ok();
    });
    if (!st.is_ok()) return st;
    return out;
  }

  Status revoke_refresh_family(TenantId tenant, std::string_view family) override {
    UPSYNC_ASSIGN_OR_RETURN(
        SqliteStatement * s,
        db_.prepare("DELETE FROM refresh_tokens WHERE tenant_id = ? AND family = ?"));
    s->bind(1, tenant);
    s->bind(2, family);
    return s->run();
  }

  Status revoke_refresh_tokens(TenantId tenant, std::string_view upn) override {
    UPSYNC_ASSIGN_OR_RETURN(
        SqliteStatement * s,
        db_.prepare("DELETE FROM refresh_tokens WHERE tenant_id = ? AND upn = ?"));
    s->bind(1, tenant);
    s->bind(2, ascii_lower(upn));
    return s->run();
  }

  Status put_session(TenantId tenant, const BrowserSession& b) override {
    UPSYNC_ASSIGN_OR_RETURN(
        SqliteStatement * s,
        db_.prepare("INSERT INTO browser_sessions (tenant_id, session_key, upn, "
                    "token_generation, csrf_token, created_at, last_seen_at) "
                    "VALUES (?,?,?,?,?,?,?)"));
    s->bind(1, tenant);
    s->bind(2, b.key);
    s->bind(3, b.upn);
    s->bind(4, b.token_generation);
    s->bind(5, b.csrf_token);
    s->bind(6, b.created_at);
    s->bind(7, b.last_seen_at);
    return s->run();
  }

  Result<std::optional<BrowserSession>> session(TenantId tenant, std::string_view key) override {
    UPSYNC_ASSIGN_OR_RETURN(
        SqliteStatement * s,
        db_.prepare("SELECT upn, token_generation, csrf_token, created_at, last_seen_at "
                    "FROM browser_sessions WHERE tenant_id = ? AND session_key = ?"));
    s->bind(1, tenant);
    s->bind(2, key);
    UPSYNC_ASSIGN_OR_RETURN(bool row, s->step());
    if (!row) return std::optional<BrowserSession>();
    BrowserSession b{std::string(key), std::string(s->column_text(0)),
                     s->column_int(1), std::string(s->column_text(2)),
                     s->column_int(3), s->column_int(4)};
    s->reset();
    return std::optional<BrowserSession>(std::move(b));
  }

  Status touch_session(TenantId tenant, std::string_view key, int64_t now) override {
    UPSYNC_ASSIGN_OR_RETURN(
        SqliteStatement * s,
        db_.prepare("UPDATE browser_sessions SET last_seen_at = max(last_seen_at, ?) "
                    "WHERE tenant_id = ? AND session_key = ?"));
    s->bind(1, now);
    s->bind(2, tenant);
    s->bind(3, key);
    return s->run();
  }

  Status end_session(TenantId tenant, std::string_view key) override {
    UPSYNC_ASSIGN_OR_RETURN(
        SqliteStatement * s,
        db_.prepare("DELETE FROM browser_sessions WHERE tenant_id = ? AND session_key = ?"));
    s->bind(1, tenant);
    s->bind(2, key);
    return s->run();
  }

  Status purge_sessions(int64_t created_before, int64_t idle_before) override {
    UPSYNC_ASSIGN_OR_RETURN(
        SqliteStatement * s,
        db_.prepare("DELETE FROM browser_sessions WHERE created_at < ? OR last_seen_at < ?"));
    s->bind(1, created_before);
    s->bind(2, idle_before);
    return s->run();
  }

 private:
  SqliteStore& store_;
  SqliteDb& db_;
};

}  // namespace

Result<std::unique_ptr<SignInStore>> SqliteStore::sign_in_store() {
  return std::unique_ptr<SignInStore>(new SqliteSignInStore(*this));
}

}  // namespace upsync
