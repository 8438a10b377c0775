// The PostgreSQL CredentialStore (src/auth/credentials.h): tables apps, app_certificates and
// passwords, and token_generations, which outlives them (as sqlite_credentials.cpp).
#include <cctype>

#include "auth/credentials.h"
#include "core/text.h"
#include "store/postgres/pg_store.h"

namespace upsync {
namespace {

std::string app_key(std::string_view client_id) { return "app:" + ascii_lower(client_id); }
std::string user_key(std::string_view upn) { return "user:" + ascii_lower(upn); }

class PgCredentialStore : public CredentialStore {
 public:
  explicit PgCredentialStore(PgStore& store) : store_(store), db_(store.db()) {}

  Status add_app(TenantId tenant, const AppRegistration& app,
                 std::string_view secret_hash) override {
    return changing(tenant, app_key(app.client_id), [&]() -> Status {
      return db_
          .run(
              "INSERT INTO apps (tenant_id, client_id, name, secret_hash, created_at) VALUES "
              "($1, $2, $3, $4, $5)",
              {tenant, app.client_id, app.name, secret_hash, app.created_at})
          .status();
    });
  }

  Result<std::vector<AppRegistration>> apps(TenantId tenant) override {
    UPSYNC_ASSIGN_OR_RETURN(
        PgResult r,
        db_.query("SELECT a.client_id, a.name, a.created_at, g.generation FROM apps a LEFT JOIN "
                  "token_generations g ON g.tenant_id = a.tenant_id AND g.principal = 'app:' || "
                  "lower(a.client_id) WHERE a.tenant_id = $1 ORDER BY a.created_at, a.client_id",
                  {tenant}));
    std::vector<AppRegistration> out;
    for (int i = 0; i < r.rows(); ++i) out.push_back(read_app(r, i));
    return out;
  }

  Status remove_app(TenantId tenant, std::string_view client_id) override {
    const std::string id = ascii_lower(client_id);
    return changing(tenant, app_key(client_id), [&]() -> Status {
      UPSYNC_ASSIGN_OR_RETURN(
          const int64_t removed,
          db_.run("DELETE FROM apps WHERE tenant_id = $1 AND client_id = $2", {tenant, id}));
      if (removed == 0) return not_found("no app with client id '" + std::string(client_id) + "'");
      UPSYNC_RETURN_IF_ERROR(
          db_.run("DELETE FROM app_certificates WHERE tenant_id = $1 AND client_id = $2",
                  {tenant, id})
              .status());
      // Its redirect URIs go with it (auth/sign_in_store.h): a client id registered again is
      // a new app, with none.
      UPSYNC_RETURN_IF_ERROR(
          db_.run("DELETE FROM app_redirect_uris WHERE tenant_id = $1 AND client_id = $2",
                  {tenant, id})
              .status());
      // And the refresh tokens people got through it: the app's removal ends their offline
      // access through it.
      return db_
          .run("DELETE FROM refresh_tokens WHERE tenant_id = $1 AND client_id = $2", {tenant, id})
          .status();
    });
  }

  Status add_certificate(TenantId tenant, const AppCertificate& cert) override {
    return store_.in_transaction([&]() -> Status {
      // The app's row locked to the commit, so that a removal of the app (which takes its
      // certificates) cannot commit between this check and the insert and leave one behind.
      UPSYNC_ASSIGN_OR_RETURN(PgResult app,
                              db_.query("SELECT 1 FROM apps WHERE tenant_id = $1 AND client_id = "
                                        "$2 FOR UPDATE",
                                        {tenant, ascii_lower(cert.client_id)}));
      if (app.rows() == 0) {
        return not_found("no app with client id '" + cert.client_id + "'");
      }
      UPSYNC_ASSIGN_OR_RETURN(
          const int64_t added,
          db_.run("INSERT INTO app_certificates (tenant_id, client_id, thumbprint_sha1, "
                  "thumbprint_sha256, subject, not_before, not_after, not_before_unix, "
                  "not_after_unix, public_key, added_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, "
                  "$9, $10, $11) ON CONFLICT DO NOTHING",
                  {tenant, ascii_lower(cert.client_id), cert.thumbprint_sha1,
                   cert.thumbprint_sha256, cert.subject, cert.not_before, cert.not_after,
                   cert.not_before_unix, cert.not_after_unix, cert.public_key_pem, cert.added_at}));
      if (added == 0) {
        return already_exists("app '" + cert.client_id + "' already has the certificate " +
                              cert.thumbprint_sha1);
      }
      return Status::ok();
    });
  }

  Result<std::vector<AppCertificate>> certificates(TenantId tenant,
                                                   std::string_view client_id) override {
    UPSYNC_ASSIGN_OR_RETURN(
        PgResult r,
        db_.query("SELECT client_id, thumbprint_sha1, thumbprint_sha256, subject, not_before, "
                  "not_after, not_before_unix, not_after_unix, public_key, added_at FROM "
                  "app_certificates WHERE tenant_id = $1 AND client_id = $2 ORDER BY added_at, "
                  "thumbprint_sha1",
                  {tenant, ascii_lower(client_id)}));
    std::vector<AppCertificate> out;
    for (int i = 0; i < r.rows(); ++i) {
      AppCertificate c;
      c.client_id = r.text(i, 0);
      c.thumbprint_sha1 = r.text(i, 1);
      c.thumbprint_sha256 = r.text(i, 2);
      c.subject = r.text(i, 3);
      c.not_before = r.text(i, 4);
      c.not_after = r.text(i, 5);
      c.not_before_unix = r.int64(i, 6);
      c.not_after_unix = r.int64(i, 7);
      c.public_key_pem = r.text(i, 8);
      c.added_at = r.text(i, 9);
      out.push_back(std::move(c));
    }
    return out;
  }

  Status remove_certificate(TenantId tenant, std::string_view client_id,
                            std::string_view thumbprint) override {
    return changing(tenant, app_key(client_id), [&]() -> Status {
      std::string upper(thumbprint);
      for (char& c : upper) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
      UPSYNC_ASSIGN_OR_RETURN(
          const int64_t removed,
          db_.run("DELETE FROM app_certificates WHERE tenant_id = $1 AND client_id = $2 AND "
                  "(thumbprint_sha1 = $3 OR thumbprint_sha256 = $3)",
                  {tenant, ascii_lower(client_id), upper}));
      if (removed == 0) {
        return not_found("app '" + std::string(client_id) +
                         "' has no certificate with thumbprint '" + std::string(thumbprint) + "'");
      }
      return Status::ok();
    });
  }

  Result<std::pair<AppRegistration, std::string>> app_with_secret(
      TenantId tenant, std::string_view client_id) override {
    UPSYNC_ASSIGN_OR_RETURN(
        PgResult r,
        db_.query("SELECT a.client_id, a.name, a.created_at, g.generation, a.secret_hash FROM "
                  "apps a LEFT JOIN token_generations g ON g.tenant_id = a.tenant_id AND "
                  "g.principal = 'app:' || lower(a.client_id) WHERE a.tenant_id = $1 AND "
                  "a.client_id = $2",
                  {tenant, ascii_lower(client_id)}));
    if (r.rows() == 0) return not_found("no app with client id '" + std::string(client_id) + "'");
    return std::pair<AppRegistration, std::string>{read_app(r, 0), std::string(r.text(0, 4))};
  }

  Status set_password(TenantId tenant, const PasswordSignIn& who,
                      std::string_view password_hash) override {
    return changing(tenant, user_key(who.upn), [&]() -> Status {
      return db_
          .run(
              "INSERT INTO passwords (tenant_id, upn_key, upn, role, password_hash, updated_at) "
              "VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (tenant_id, upn_key) DO UPDATE SET "
              "upn = excluded.upn, role = excluded.role, password_hash = "
              "excluded.password_hash, updated_at = excluded.updated_at",
              {tenant, ascii_lower(who.upn), who.upn, role_name(who.role), password_hash,
               who.updated_at})
          .status();
    });
  }

  Result<std::vector<PasswordSignIn>> people(TenantId tenant) override {
    UPSYNC_ASSIGN_OR_RETURN(
        PgResult r,
        db_.query("SELECT p.upn, p.role, p.updated_at, g.generation FROM passwords p LEFT JOIN "
                  "token_generations g ON g.tenant_id = p.tenant_id AND g.principal = 'user:' "
                  "|| p.upn_key WHERE p.tenant_id = $1 ORDER BY p.upn_key",
                  {tenant}));
    std::vector<PasswordSignIn> out;
    for (int i = 0; i < r.rows(); ++i) out.push_back(read_person(r, i));
    return out;
  }

  Status remove_password(TenantId tenant, std::string_view upn) override {
    return changing(tenant, user_key(upn), [&]() -> Status {
      UPSYNC_ASSIGN_OR_RETURN(const int64_t removed,
                              db_.run("DELETE FROM passwords WHERE tenant_id = $1 AND upn_key = $2",
                                      {tenant, ascii_lower(upn)}));
      if (removed == 0) return not_found("no password is set for '" + std::string(upn) + "'");
      return Status::ok();
    });
  }

  Result<std::pair<PasswordSignIn, std::string>> person_with_password(
      TenantId tenant, std::string_view upn) override {
    UPSYNC_ASSIGN_OR_RETURN(
        PgResult r,
        db_.query("SELECT p.upn, p.role, p.updated_at, g.generation, p.password_hash FROM "
                  "passwords p LEFT JOIN token_generations g ON g.tenant_id = p.tenant_id AND "
                  "g.principal = 'user:' || p.upn_key WHERE p.tenant_id = $1 AND p.upn_key = $2",
                  {tenant, ascii_lower(upn)}));
    if (r.rows() == 0) return not_found("no password is set for '" + std::string(upn) + "'");
    return std::pair<PasswordSignIn, std::string>{read_person(r, 0), std::string(r.text(0, 4))};
  }

 private:
  // Runs `change` and bumps the principal's token generation in one transaction: a change
  // that fails bumps nothing, and none is stored without its bump.
  template <typename Change>
  Status changing(TenantId tenant, const std::string& principal, Change change) {
    return store_.in_transaction([&]() -> Status {
      UPSYNC_RETURN_IF_ERROR(change());
      return db_
          .run(
              "INSERT INTO token_generations (tenant_id, principal, generation) VALUES ($1, $2, "
              "1) ON CONFLICT (tenant_id, principal) DO UPDATE SET generation = "
              "token_generations.generation + 1",
              {tenant, principal})
          .status();
    });
  }
  // Columns: client_id, name, created_at, generation (NULL before the first bump: 0).
  static AppRegistration read_app(const PgResult& r, int i) {
    return {std::string(r.text(i, 0)), std::string(r.text(i, 1)), std::string(r.text(i, 2)),
            r.int64(i, 3)};
  }
  // Columns: upn, role, updated_at, generation.
  static PasswordSignIn read_person(const PgResult& r, int i) {
    return {std::string(r.text(i, 0)), parse_role(r.text(i, 1)).value_or(Role::kUser),
            std::string(r.text(i, 2)), r.int64(i, 3)};
  }
  PgStore& store_;
  PgDb& db_;
};

}  // namespace

Result<std::unique_ptr<CredentialStore>> PgStore::credential_store() {
  return std::unique_ptr<CredentialStore>(new PgCredentialStore(*this));
}

}  // namespace upsync
