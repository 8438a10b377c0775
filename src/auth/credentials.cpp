#include "auth/credentials.h"

#include "auth/secret.h"
#include "core/clock.h"
#include "core/text.h"

namespace upsync {

Result<NewApp> register_app(CredentialStore& creds, const Tenant& tenant, std::string_view name) {
  std::string_view trimmed = trim(name);
  if (trimmed.empty()) return invalid_argument("an app needs a name (e.g. hr-sync)");
  if (trimmed.size() > 256) return invalid_argument("an app name is at most 256 characters");
  NewApp out;
  out.app.client_id = new_guid();
  out.app.name = std::string(trimmed);
  out.app.created_at = utc_now_iso();
  UPSYNC_ASSIGN_OR_RETURN(out.secret, new_client_secret());
  UPSYNC_ASSIGN_OR_RETURN(std::string hash, hash_secret(out.secret, kAppSecretIterations));
  UPSYNC_RETURN_IF_ERROR(creds.add_app(tenant.id, out.app, hash));
  return out;
}

Result<Principal> sign_in_app(CredentialStore& creds, const Tenant& tenant,
                              std::string_view client_id, std::string_view secret) {
  UPSYNC_ASSIGN_OR_RETURN(auto found, creds.app_with_secret(tenant.id, client_id));
  if (!verify_secret(secret, found.second)) {
    return unauthenticated("invalid client secret for app '" + std::string(client_id) + "'");
  }
  Principal p;
  p.tenant = tenant.name;
  p.role = Role::kApp;
  p.client_id = found.first.client_id;
  p.display_name = found.first.name;
  p.token_generation = found.first.token_generation;
  return p;
}

Result<AppCertificate> add_app_certificate(CredentialStore& creds, const Tenant& tenant,
                                           std::string_view client_id, std::string_view pem) {
  UPSYNC_ASSIGN_OR_RETURN(AppCertificate cert, parse_certificate_pem(pem));
  if (cert.not_after_unix <= unix_now()) {
    return invalid_argument("the certificate expired on " + cert.not_after +
                            ": an app could not sign in with it");
  }
  UPSYNC_ASSIGN_OR_RETURN(auto app, creds.app_with_secret(tenant.id, client_id));
  cert.client_id = app.first.client_id;
  cert.added_at = utc_now_iso();
  UPSYNC_RETURN_IF_ERROR(creds.add_certificate(tenant.id, cert));
  return cert;
}

Status set_password(CredentialStore& creds, const Tenant& tenant, std::string_view upn, Role role,
                    std::string_view password) {
  if (role == Role::kApp) return invalid_argument("a person cannot have the role 'app'");
  if (upn.find('@') == std::string_view::npos) {
    return invalid_argument("'" + std::string(upn) +
                            "' is not a user principal name (name@domain)");
  }
  if (password.size() < 8) return invalid_argument("a password needs at least 8 characters");
  UPSYNC_ASSIGN_OR_RETURN(std::string hash, hash_secret(password, kPasswordIterations));
  return creds.set_password(tenant.id, {std::string(upn), role, utc_now_iso()}, hash);
}

Result<Principal> sign_in_user(CredentialStore& creds, const Tenant& tenant, std::string_view upn,
                               std::string_view password) {
  auto found = creds.person_with_password(tenant.id, upn);
  if (!found) {
    // An unknown account costs the same hashing as a wrong password: timing must not tell
    // which accounts exist.
    if (found.status().code() == StatusCode::kNotFound) {
      static const std::string kDummy = [] {
        auto hash = hash_secret("no such account", kPasswordIterations);
        return hash ? *hash : std::string();
      }();
      (void)verify_secret(password, kDummy);
    }
    return found.status();
  }
  if (!verify_secret(password, found->second)) {
    return unauthenticated("invalid user name or password");
  }
  Principal p;
  p.tenant = tenant.name;
  p.role = found->first.role;
  p.upn = found->first.upn;
  p.token_generation = found->first.token_generation;
  return p;
}

}  // namespace upsync
