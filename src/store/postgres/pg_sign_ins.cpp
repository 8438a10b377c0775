// The PostgreSQL SignInStore (src/auth/sign_in_store.h): tables app_redirect_uris,
// authorization_codes, refresh_tokens and browser_sessions (as sqlite_sign_ins.cpp).
#include "auth/sign_in_store.h"
#include "core/text.h"
#include "store/postgres/pg_store.h"

namespace upsync {
namespace {

// A used or expired code's row stays this long past its expiry, so that a replay is told
// apart from a made-up code (AADSTS54005 rather than "not valid").
constexpr int64_t kCodeKeptSeconds = 3600;

class PgSignInStore : public SignInStore {
 public:
  explicit PgSignInStore(PgStore& store) : store_(store), db_(store.db()) {}

  Status add_redirect_uri(TenantId tenant, std::string_view client_id,
                          std::string_view uri) override {
    const std::string id = ascii_lower(client_id);
    return store_.in_transaction([&]() -> Status {
      // The app's row locked to the commit: a removal of the app waits (it would leave this
      // URI behind it otherwise), and so does another URI of it, which would take the same
      // position.
      UPSYNC_ASSIGN_OR_RETURN(
          PgResult app,
          db_.query("SELECT 1 FROM apps WHERE tenant_id = $1 AND client_id = $2 FOR UPDATE",
                    {tenant, id}));
      if (app.rows() == 0) {
        return not_found("no app with client id '" + std::string(client_id) + "'");
      }
      UPSYNC_ASSIGN_OR_RETURN(
          const int64_t added,
          db_.run("INSERT INTO app_redirect_uris (tenant_id, client_id, uri, position) VALUES "
                  "($1, $2, $3, (SELECT count(*) FROM app_redirect_uris WHERE tenant_id = $1 AND "
                  "client_id = $2)) ON CONFLICT DO NOTHING",
                  {tenant, id, uri}));
      if (added == 0) {
        return already_exists("the app '" + std::string(client_id) +
                              "' already has the redirect URI '" + std::string(uri) + "'");
      }
      return Status::ok();
    });
  }

  Result<std::vector<std::string>> redirect_uris(TenantId tenant,
                                                 std::string_view client_id) override {
    UPSYNC_ASSIGN_OR_RETURN(PgResult r,
                            db_.query("SELECT uri FROM app_redirect_uris WHERE tenant_id = $1 "
                                      "AND client_id = $2 ORDER BY position",
                                      {tenant, ascii_lower(client_id)}));
    std::vector<std::string> out;
    for (int i = 0; i < r.rows(); ++i) out.emplace_back(r.text(i, 0));
    return out;
  }

  Status put_code(TenantId tenant, const AuthorizationCode& c) override {
    return db_
        .run(
            "INSERT INTO authorization_codes (tenant_id, code_key, client_id, redirect_uri, "
            "code_challenge, scope, nonce, upn, token_generation, issued_at, expires_at, used) "
            "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, 0)",
            {tenant, c.key, ascii_lower(c.client_id), c.redirect_uri, c.code_challenge, c.scope,
             c.nonce, c.upn, c.token_generation, c.issued_at, c.expires_at})
        .status();
  }

  Result<TakenCode> take_code(TenantId tenant, std::string_view key, int64_t now) override {
    TakenCode out;
    Status st = store_.in_transaction([&]() -> Status {
      out = TakenCode{};  // the body may run again (a retried transaction)
      UPSYNC_RETURN_IF_ERROR(
          db_.run("DELETE FROM authorization_codes WHERE expires_at < $1", {now - kCodeKeptSeconds})
              .status());
      UPSYNC_ASSIGN_OR_RETURN(
          PgResult r,
          db_.query("SELECT client_id, redirect_uri, code_challenge, scope, nonce, upn, "
                    "token_generation, issued_at, expires_at, used FROM authorization_codes "
                    "WHERE tenant_id = $1 AND code_key = $2",
                    {tenant, key}));
      if (r.rows() == 0) return Status::ok();
      AuthorizationCode c{std::string(key),
                          std::string(r.text(0, 0)),
                          std::string(r.text(0, 1)),
                          std::string(r.text(0, 2)),
                          std::string(r.text(0, 3)),
                          std::string(r.text(0, 4)),
                          std::string(r.text(0, 5)),
                          r.int64(0, 6),
                          r.int64(0, 7),
                          r.int64(0, 8)};
      if (r.int64(0, 9) != 0) {
        out.state = CodeTake::kUsed;
        return Status::ok();
      }
      if (c.expires_at <= now) {
        out.state = CodeTake::kExpired;
        return Status::ok();
      }
      // The UPDATE's condition makes the take atomic across processes: only one write of
      // used = 1 changes a row (a second waits for the first's commit, then finds used = 1).
      UPSYNC_ASSIGN_OR_RETURN(const int64_t marked,
                              db_.run("UPDATE authorization_codes SET used = 1 WHERE tenant_id = "
                                      "$1 AND code_key = $2 AND used = 0",
                                      {tenant, key}));
      if (marked == 0) {
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
    return db_
        .run(
            "INSERT INTO refresh_tokens (tenant_id, token_key, family, client_id, upn, scope, "
            "token_generation, issued_at, expires_at, used) "
            "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, 0)",
            {tenant, g.key, g.family, ascii_lower(g.client_id), ascii_lower(g.upn), g.scope,
             g.token_generation, g.issued_at, g.expires_at})
        .status();
  }

  Result<TakenRefresh> take_refresh_token(TenantId tenant, std::string_view key,
                                          int64_t now) override {
    TakenRefresh out;
    Status st = store_.in_transaction([&]() -> Status {
      out = TakenRefresh{};  // the body may run again (a retried transaction)
      UPSYNC_RETURN_IF_ERROR(
          db_.run("DELETE FROM refresh_tokens WHERE expires_at < $1", {now}).status());
      UPSYNC_ASSIGN_OR_RETURN(PgResult r,
                              db_.query("SELECT family, client_id, upn, scope, token_generation, "
                                        "issued_at, expires_at, used FROM refresh_tokens WHERE "
                                        "tenant_id = $1 AND token_key = $2",
                                        {tenant, key}));
      if (r.rows() == 0) return Status::ok();
      out.grant = RefreshGrant{std::string(key),
                               std::string(r.text(0, 0)),
                               std::string(r.text(0, 1)),
                               std::string(r.text(0, 2)),
                               std::string(r.text(0, 3)),
                               r.int64(0, 4),
                               r.int64(0, 5),
                               r.int64(0, 6)};
      if (r.int64(0, 7) != 0) {
        out.state = RefreshTake::kUsed;
        return Status::ok();
      }
      if (out.grant.expires_at <= now) {
        out.state = RefreshTake::kExpired;
        return Status::ok();
      }
      // As for codes: the UPDATE's condition lets one redemption across processes change the
      // row; a second waits for the first's commit, then finds used = 1 (a replay).
      UPSYNC_ASSIGN_OR_RETURN(const int64_t marked,
                              db_.run("UPDATE refresh_tokens SET used = 1 WHERE tenant_id = $1 "
                                      "AND token_key = $2 AND used = 0",
                                      {tenant, key}));
      out.state = marked == 0 ? RefreshTake::kUsed : RefreshTake::kFresh;
      return Status::ok();
    });
    if (!st.is_ok()) return st;
    return out;
  }

  Status revoke_refresh_family(TenantId tenant, std::string_view family) override {
    return db_
        .run("DELETE FROM refresh_tokens WHERE tenant_id = $1 AND family = $2", {tenant, family})
        .status();
  }

  Status revoke_refresh_tokens(TenantId tenant, std::string_view upn) override {
    return db_
        .run("DELETE FROM refresh_tokens WHERE tenant_id = $1 AND upn = $2",
             {tenant, ascii_lower(upn)})
        .status();
  }

  Status put_session(TenantId tenant, const BrowserSession& b) override {
    return db_
        .run(
            "INSERT INTO browser_sessions (tenant_id, session_key, upn, token_generation, "
            "csrf_token, created_at, last_seen_at) VALUES ($1, $2, $3, $4, $5, $6, $7)",
            {tenant, b.key, b.upn, b.token_generation, b.csrf_token, b.created_at, b.last_seen_at})
        .status();
  }

  Result<std::optional<BrowserSession>> session(TenantId tenant, std::string_view key) override {
    UPSYNC_ASSIGN_OR_RETURN(
        PgResult r,
        db_.query("SELECT upn, token_generation, csrf_token, created_at, last_seen_at FROM "
                  "browser_sessions WHERE tenant_id = $1 AND session_key = $2",
                  {tenant, key}));
    if (r.rows() == 0) return std::optional<BrowserSession>();
    return std::optional<BrowserSession>(BrowserSession{std::string(key), std::string(r.text(0, 0)),
                                                        r.int64(0, 1), std::string(r.text(0, 2)),
                                                        r.int64(0, 3), r.int64(0, 4)});
  }

  Status touch_session(TenantId tenant, std::string_view key, int64_t now) override {
    return db_
        .run(
            "UPDATE browser_sessions SET last_seen_at = GREATEST(last_seen_at, $1) WHERE "
            "tenant_id = $2 AND session_key = $3",
            {now, tenant, key})
        .status();
  }

  Status end_session(TenantId tenant, std::string_view key) override {
    return db_
        .run("DELETE FROM browser_sessions WHERE tenant_id = $1 AND session_key = $2",
             {tenant, key})
        .status();
  }

  Status purge_sessions(int64_t created_before, int64_t idle_before) override {
    return db_
        .run("DELETE FROM browser_sessions WHERE created_at < $1 OR last_seen_at < $2",
             {created_before, idle_before})
        .status();
  }

 private:
  PgStore& store_;
  PgDb& db_;
};

}  // namespace

Result<std::unique_ptr<SignInStore>> PgStore::sign_in_store() {
  return std::unique_ptr<SignInStore>(new PgSignInStore(*this));
}

}  // namespace upsync
