// Signing in an app with a client assertion (RFC 7523 §2.2, "private_key_jwt"): a JWT the app
// signs with the private key of one of its registered certificates (app_certificate.h), as
// MSAL's `clientCertificate` makes it:
//   header  {"alg":"RS256","x5t":<base64url SHA-1 thumbprint>}  (msal-node `thumbprint`)
//        or {"alg":"PS256","x5t#S256":<base64url SHA-256 thumbprint>}  (`thumbprintSha256`),
//           optionally "x5c" (the certificate chain; not needed, the key is registered);
//   claims  aud = the token endpoint's URL, iss = sub = the client id, jti, nbf, exp.
//
//   UPSYNC_ASSIGN_OR_RETURN(auto outcome, sign_in_with_assertion(*creds, tenant, client_id,
//                                                   assertion, token_endpoint, unix_now()));
//   if (auto* no = std::get_if<AssertionRefusal>(&outcome)) ... // Azure AD's error to send
//
// A refusal carries Azure AD's answer (error, AADSTS code and description): an unknown
// thumbprint, a signature that does not verify and a certificate past its validity are
// AADSTS700027, as Azure AD words each; an assertion outside its time window AADSTS700024;
// iss/sub not the client id AADSTS700021; an audience that is not this token endpoint
// AADSTS50012; a malformed JWT AADSTS50027.
//
// A jti seen before is not refused: MSAL reuses its assertion for its 10 minutes while it
// asks for tokens for other resources, as Azure AD allows, so refusing a replay would break
// the client this serves. The assertion's lifetime is bounded instead (kMaxAssertionLifetime).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <variant>

#include "auth/credentials.h"
#include "auth/principal.h"
#include "core/status.h"
#include "core/tenant.h"

namespace upsync {

inline constexpr std::string_view kJwtBearerAssertionType =
    "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";
// Clock skew allowed on nbf and exp, and the longest exp - nbf accepted (MSAL uses 600 s).
inline constexpr int64_t kAssertionClockSkew = 300;
inline constexpr int64_t kMaxAssertionLifetime = 3600;

struct AssertionRefusal {
  int http_status = 401;
  std::string error;  // OAuth error: invalid_client, invalid_request
  int aadsts = 0;
  std::string description;  // without the "AADSTSnnn: " prefix
};

using AssertionOutcome = std::variant<Principal, AssertionRefusal>;

// The app's Principal when `assertion` is a valid client assertion of app `client_id` for
// `token_endpoint`; a refusal otherwise. A Status only when the store fails.
Result<AssertionOutcome> sign_in_with_assertion(CredentialStore& creds, const Tenant& tenant,
                                                std::string_view client_id,
                                                std::string_view assertion,
                                                std::string_view token_endpoint, int64_t now);

}  // namespace upsync
