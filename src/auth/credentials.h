// Who may get a token: registered apps (client id + secret) and people with a password, per
// tenant. Only salted hashes of secrets are stored (auth/secret.h).
//
//   UPSYNC_ASSIGN_OR_RETURN(auto creds, open_credential_store(*store));
//   auto app = register_app(*creds, tenant, "hr-sync");      // app->secret is shown once
//   auto who = sign_in_app(*creds, tenant, client_id, secret); // Principal with Role::kApp
//   set_password(*creds, tenant, "adele@contoso.com", Role::kUser, "pa55word");
//   auto person = sign_in_user(*creds, tenant, "adele@contoso.com", "pa55word");
//
// A failed sign-in says whether the client/user is unknown or the secret is wrong, as Azure
// AD does (AADSTS700016 vs AADSTS7000215); the caller maps that to the wire.
//
// Apps may also sign in with a certificate (app_certificate.h, client_assertion.h): an app
// holds any number of them, named by thumbprint.
//
// Revocation: every principal (an app by client id, a person by UPN) has a token generation,
// which every change to it bumps: registering or removing the app, setting a password or a
// role, removing the password, removing one of an app's certificates (the app's tokens,
// whichever credential they were issued through, stop working then). It is never reset, not even by
// a removal, so a person removed and set again gets a higher one. Tokens carry the generation they
// were issued at (access_token.h), and the server refuses a token whose generation is no longer
// current.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "auth/app_certificate.h"
#include "auth/principal.h"
#include "core/status.h"
#include "core/tenant.h"
#include "store/store.h"

namespace upsync {

struct AppRegistration {
  std::string client_id;  // GUID
  std::string name;
  std::string created_at;
  int64_t token_generation = 0;  // read from the store; ignored by add_app
};

struct PasswordSignIn {
  std::string upn;  // as given, compared case-insensitively
  Role role = Role::kUser;
  std::string updated_at;
  int64_t token_generation = 0;  // read from the store; ignored by set_password
};

// Every change below bumps the principal's token generation in the same transaction.
class CredentialStore {
 public:
  virtual ~CredentialStore() = default;
  virtual Status add_app(TenantId tenant, const AppRegistration& app,
                         std::string_view secret_hash) = 0;
  virtual Result<std::vector<AppRegistration>> apps(TenantId tenant) = 0;
  // NotFound when the tenant has no such app.
  virtual Status remove_app(TenantId tenant, std::string_view client_id) = 0;
  // The app and its secret hash; NotFound when unknown.
  virtual Result<std::pair<AppRegistration, std::string>> app_with_secret(
      TenantId tenant, std::string_view client_id) = 0;

  // An app's certificates (cert.client_id names the app). Adding one does not bump the
  // generation (no token becomes wrong); NotFound for an unknown app, AlreadyExists for a
  // certificate the app has. Removing the app removes its certificates.
  virtual Status add_certificate(TenantId tenant, const AppCertificate& cert) = 0;
  // In the order they were added.
  virtual Result<std::vector<AppCertificate>> certificates(TenantId tenant,
                                                           std::string_view client_id) = 0;
  // By SHA-1 or SHA-256 thumbprint (hex, either case); bumps the app's generation. NotFound
  // when the app has no such certificate.
  virtual Status remove_certificate(TenantId tenant, std::string_view client_id,
                                    std::string_view thumbprint) = 0;

  // Creates or replaces the person's password and role.
  virtual Status set_password(TenantId tenant, const PasswordSignIn& who,
                              std::string_view password_hash) = 0;
  virtual Result<std::vector<PasswordSignIn>> people(TenantId tenant) = 0;
  virtual Status remove_password(TenantId tenant, std::string_view upn) = 0;
  virtual Result<std::pair<PasswordSignIn, std::string>> person_with_password(
      TenantId tenant, std::string_view upn) = 0;
};

// The CredentialStore over `store`'s connection, from its backend (store/store.h).
inline Result<std::unique_ptr<CredentialStore>> open_credential_store(Store& store) {
  return store.credential_store();
}

struct NewApp {
  AppRegistration app;
  std::string secret;  // only here, never stored
};

Result<NewApp> register_app(CredentialStore& creds, const Tenant& tenant, std::string_view name);
// NotFound (unknown client id) or Unauthenticated (wrong secret).
Result<Principal> sign_in_app(CredentialStore& creds, const Tenant& tenant,
                              std::string_view client_id, std::string_view secret);
// Passwords of fewer than 8 characters are refused.
Status set_password(CredentialStore& creds, const Tenant& tenant, std::string_view upn, Role role,
                    std::string_view password);
// Registers the certificate of `pem` (app_certificate.h) for the app; a certificate already
// past its not-after date is refused.
Result<AppCertificate> add_app_certificate(CredentialStore& creds, const Tenant& tenant,
                                           std::string_view client_id, std::string_view pem);
// NotFound (no password set for that user) or Unauthenticated (wrong password); both take
// one password hashing's time.
Result<Principal> sign_in_user(CredentialStore& creds, const Tenant& tenant, std::string_view upn,
                               std::string_view password);

}  // namespace upsync
