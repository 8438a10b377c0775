// The SQLite CredentialStore (src/auth/credentials.h): tables apps, app_certificates and
// passwords, and token_generations, which outlives them.
#include "auth/credentials.h"
#include "core/text.h"
#include "store/sqlite/sqlite_store.h"

namespace upsync {
namespace {

std::string app_key(std::string_view client_id) { return "app:" + ascii_lower(client_id); }
std::string user_key(std::string_view upn) { return "user:" + ascii_lower(upn); }

class SqliteCredentialStore : public CredentialStore {
 public:
  explicit SqliteCredentialStore(SqliteStore& store) : store_(store), db_(store.db()) {}

  Status add_app(TenantId tenant, const AppRegistration& app,
                 std::string_view secret_hash) override {
    return changing(tenant, app_key(app.client_id), [&]() -> Status {
      UPSYNC_ASSIGN_OR_RETURN(SqliteStatement * s,
                              db_.prepare("INSERT INTO apps (tenant_id, client_id, name, "
                                          "secret_hash, created_at) VALUES (?,?,?,?,?)"));
      s->bind(1, tenant);
      s->bind(2, app.client_id);
      s->bind(3, app.name);
      s->bind(4, secret_hash);
      s->bind(5, app.created_at);
      return s->run();
    });
  }

  Result<std::vector<AppRegistration>> apps(TenantId tenant) override {
    UPSYNC_ASSIGN_OR_RETURN(
        SqliteStatement * s,
        db_.prepare("SELECT a.client_id, a.name, a.created_at, g.generation FROM apps a "
                    "LEFT JOIN token_generations g ON g.tenant_id = a.tenant_id AND "
                    "g.principal = 'app:' || lower(a.client_id) "
                    "WHERE a.tenant_id = ? ORDER BY a.created_at, a.client_id"));
    s->bind(1, tenant);
    std::vector<AppRegistration> out;
    while (true) {
      UPSYNC_ASSIGN_OR_RETURN(bool row, s->step());
      if (!row) break;
      out.push_back(read_app(*s));
    }
    return out;
  }

  Status remove_app(TenantId tenant, std::string_view client_id) override {
    return changing(tenant, app_key(client_id), [&]() -> Status {
      UPSYNC_ASSIGN_OR_RETURN(
          SqliteStatement * s,
          db_.prepare("DELETE FROM apps WHERE tenant_id = ? AND client_id = ?"));
      s->bind(1, tenant);
      s->bind(2, ascii_lower(client_id));
      UPSYNC_RETURN_IF_ERROR(s->run());
      if (db_.changes() == 0)
        return not_found("no app with client id '" + std::string(client_id) + "'");
      UPSYNC_ASSIGN_OR_RETURN(
          SqliteStatement * certs,
          db_.prepare("DELETE FROM app_certificates WHERE tenant_id = ? AND client_id = ?"));
      certs->bind(1, tenant);
      certs->bind(2, ascii_lower(client_id));
      UPSYNC_RETURN_IF_ERROR(certs->run());
      // Its redirect URIs go with it (auth/sign_in_store.h): a client id registered again is
      // a new app, with none.
      UPSYNC_ASSIGN_OR_RETURN(
          SqliteStatement * uris,
          db_.prepare("DELETE FROM app_redirect_uris WHERE tenant_id = ? AND client_id = ?"));
      uris->bind(1, tenant);
      uris->bind(2, ascii_lower(client_id));
      UPSYNC_RETURN_IF_ERROR(uris->run());
      // And the refresh tokens people got through it: the app's removal ends their offline
      // access through it.
      UPSYNC_ASSIGN_OR_RETURN(
          SqliteStatement * refresh,
          db_.prepare("DELETE FROM refresh_tokens WHERE tenant_id = ? AND client_id = ?"));
      refresh->bind(1, tenant);
      refresh->bind(2, ascii_lower(client_id));
      return refresh->run();
    });
  }

  Status add_certificate(TenantId tenant, const AppCertificate& cert) override {
    return store_.in_transaction([&]() -> Status {
      UPSYNC_ASSIGN_OR_RETURN(auto app, app_with_secret(tenant, cert.client_id));
      (void)app;  // only its existence matters: NotFound returned above
      UPSYNC_ASSIGN_OR_RETURN(
          SqliteStatement * s,
          db_.prepare("INSERT INTO app_certificates (tenant_id, client_id, thumbprint_sha1, "
                      "thumbprint_sha256, subject, not_before, not_after, not_before_unix, "
                      "not_after_unix, public_key, added_at) VALUES (?,?,?,?,?,?,?,?,?,?,?) "
                      "ON CONFLICT DO NOTHING"));
      s->bind(1, tenant);
      s->bind(2, ascii_lower(cert.client_id));
      s->bind(3, cert.thumbprint_sha1);
      s->bind(4, cert.thumbprint_sha256);
      s->bind(5, cert.subject);
      s->bind(6, cert.not_before);
      s->bind(7, cert.not_after);
      s->bind(8, cert.not_before_unix);
      s->bind(9, cert.not_after_unix);
      s->bind(10, cert.public_key_pem);
      s->bind(11, cert.added_at);
      UPSYNC_RETURN_IF_ERROR(s->run());
      if (db_.changes() == 0) {
        return already_exists("app '" + cert.client_id + "' already has the certificate " +
                              cert.thumbprint_sha1);
      }
      return Status::ok();
    });
  }

  Result<std::vector<AppCertificate>> certificates(TenantId tenant,
                                                   std::string_view client_id) override {
    UPSYNC_ASSIGN_OR_RETURN(
        SqliteStatement * s,
        db_.prepare("SELECT client_id, thumbprint_sha1, thumbprint_sha256, subject, not_before, "
                    "not_after, not_before_unix, not_after_unix, public_key, added_at FROM "
                    "app_certificates WHERE tenant_id = ? AND client_id = ? "
                    "ORDER BY added_at, thumbprint_sha1"));
    s->bind(1, tenant);
    s->bind(2, ascii_lower(client_id));
    std::vector<AppCertificate> out;
    while (true) {
      UPSYNC_ASSIGN_OR_RETURN(bool row, s->step());
      if (!row) break;
      AppCertificate c;
      c.client_id = s->column_text(0);
      c.thumbprint_sha1 = s->column_text(1);
      c.thumbprint_sha256 = s->column_text(2);
      c.subject = s->column_text(3);
      c.not_before = s->column_text(4);
      c.not_after = s->column_text(5);
      c.not_before_unix = s->column_int(6);
      c.not_after_unix = s->column_int(7);
      c.public_key_pem = s->column_text(8);
      c.added_at = s->column_text(9);
      out.push_back(std::move(c));
    }
    return out;
  }

  Status remove_certificate(TenantId tenant, std::string_view client_id,
                            std::string_view thumbprint) override {
    return changing(tenant, app_key(client_id), [&]() -> Status {
      UPSYNC_ASSIGN_OR_RETURN(
          SqliteStatement * s,
          db_.prepare("DELETE FROM app_certificates WHERE tenant_id = ? AND client_id = ? AND "
                      "(thumbprint_sha1 = ?3 OR thumbprint_sha256 = ?3)"));
      s->bind(1, tenant);
      s->bind(2, ascii_lower(client_id));
      std::string upper(thumbprint);
      for (char& c : upper) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
      s->bind(3, upper);
      UPSYNC_RETURN_IF_ERROR(s->run());
      if (db_.changes() == 0) {
        return not_found("app '" + std::string(client_id) +
                         "' has no certificate with thumbprint '" + std::string(thumbprint) + "'");
      }
      return Status::ok();
    });
  }

  Result<std::pair<AppRegistration, std::string>> app_with_secret(
      TenantId tenant, std::string_view client_id) override {
    UPSYNC_ASSIGN_OR_RETURN(
        SqliteStatement * s,
        db_.prepare("SELECT a.client_id, a.name, a.created_at, g.generation, a.secret_hash "
                    "FROM apps a LEFT JOIN token_generations g ON g.tenant_id = a.tenant_id AND "
                    "g.principal = 'app:' || lower(a.client_id) "
                    "WHERE a.tenant_id = ? AND a.client_id = ?"));
    s->bind(1, tenant);
    s->bind(2, ascii_lower(client_id));
    UPSYNC_ASSIGN_OR_RETURN(bool row, s->step());
    if (!row) return not_found("no app with client id '" + std::string(client_id) + "'");
    std::pair<AppRegistration, std::string> out{read_app(*s), std::string(s->column_text(4))};
    s->reset();
    return out;
  }

  Status set_password(TenantId tenant, const PasswordSignIn& who,
                      std::string_view password_hash) override {
    return changing(tenant, user_key(who.upn), [&]() -> Status {
      UPSYNC_ASSIGN_OR_RETURN(
          SqliteStatement * s,
          db_.prepare("INSERT INTO passwords (tenant_id, upn_key, upn, role, password_hash, "
                      "updated_at) VALUES (?,?,?,?,?,?) ON CONFLICT (tenant_id, upn_key) DO "
                      "UPDATE SET upn = excluded.upn, role = excluded.role, "
                      "password_hash = excluded.password_hash, updated_at = excluded.updated_at"));
      s->bind(1, tenant);
      s->bind(2, ascii_lower(who.upn));
      s->bind(3, who.upn);
      s->bind(4, role_name(who.role));
      s->bind(5, password_hash);
      s->bind(6, who.updated_at);
      return s->run();
    });
  }

  Result<std::vector<PasswordSignIn>> people(TenantId tenant) override {
    UPSYNC_ASSIGN_OR_RETURN(
        SqliteStatement * s,
        db_.prepare("SELECT p.upn, p.role, p.updated_at, g.generation FROM passwords p "
                    "LEFT JOIN token_generations g ON g.tenant_id = p.tenant_id AND "
                    "g.principal = 'user:' || p.upn_key "
                    "WHERE p.tenant_id = ? ORDER BY p.upn_key"));
    s->bind(1, tenant);
    std::vector<PasswordSignIn> out;
    while (true) {
      UPSYNC_ASSIGN_OR_RETURN(bool row, s->step());
      if (!row) break;
      out.push_back(read_person(*s));
    }
    return out;
  }

  Status remove_password(TenantId tenant, std::string_view upn) override {
    return changing(tenant, user_key(upn), [&]() -> Status {
      UPSYNC_ASSIGN_OR_RETURN(
          SqliteStatement * s,
          db_.prepare("DELETE FROM passwords WHERE tenant_id = ? AND upn_key = ?"));
      s->bind(1, tenant);
      s->bind(2, ascii_lower(upn));
      UPSYNC_RETURN_IF_ERROR(s->run());
      if (db_.changes() == 0) {
        return not_found("no password is set for '" + std::string(upn) + "'");
      }
      return Status::ok();
    });
  }

  Result<std::pair<PasswordSignIn, std::string>> person_with_password(
      TenantId tenant, std::string_view upn) override {
    UPSYNC_ASSIGN_OR_RETURN(
        SqliteStatement * s,
        db_.prepare("SELECT p.upn, p.role, p.updated_at, g.generation, p.password_hash "
                    "FROM passwords p LEFT JOIN token_generations g ON "
                    "g.tenant_id = p.tenant_id AND g.principal = 'user:' || p.upn_key "
                    "WHERE p.tenant_id = ? AND p.upn_key = ?"));
    s->bind(1, tenant);
    s->bind(2, ascii_lower(upn));
    UPSYNC_ASSIGN_OR_RETURN(bool row, s->step());
    if (!row) return not_found("no password is set for '" + std::string(upn) + "'");
    std::pair<PasswordSignIn, std::string> out{read_person(*s), std::string(s->column_text(4))};
    s->reset();
    return out;
  }

 private:
  // Runs `change` and bumps the principal's token generation in one transaction: a change
  // that fails bumps nothing, and none is stored without its bump.
  template <typename Change>
  Status changing(TenantId tenant, const std::string& principal, Change change) {
    return store_.in_transaction([&]() -> Status {
      UPSYNC_RETURN_IF_ERROR(change());
      UPSYNC_ASSIGN_OR_RETURN(
          SqliteStatement * s,
          db_.prepare("INSERT INTO token_generations (tenant_id, principal, generation) "
                      "VALUES (?, ?, 1) ON CONFLICT (tenant_id, principal) DO UPDATE "
                      "SET generation = generation + 1"));
      s->bind(1, tenant);
      s->bind(2, principal);
      return s->run();
    });
  }
  // Columns: client_id, name, created_at, generation (NULL before the first bump: 0).
  static AppRegistration read_app(SqliteStatement& s) {
    return {std::string(s.column_text(0)), std::string(s.column_text(1)),
            std::string(s.column_text(2)), s.column_int(3)};
  }
  // Columns: upn, role, updated_at, generation.
  static PasswordSignIn read_person(SqliteStatement& s) {
    return {std::string(s.column_text(0)), parse_role(s.column_text(1)).value_or(Role::kUser),
            std::string(s.column_text(2)), s.column_int(3)};
  }
  SqliteStore& store_;
  SqliteDb& db_;
};

}  // namespace

Result<std::unique_ptr<CredentialStore>> SqliteStore::credential_store() {
  return std::unique_ptr<CredentialStore>(new SqliteCredentialStore(*this));
}

}  // namespace upsync
