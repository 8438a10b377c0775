// The token service, shaped like Azure AD's v2 endpoint so that MSAL accepts it as an
// authority (with knownAuthorities set to our host):
//   POST /{tenant}/oauth2/v2.0/token                      client_credentials, password,
//                                                         authorization_code, refresh_token
//   GET  /{tenant}/v2.0/.well-known/openid-configuration  OpenID discovery
//   GET  /{tenant}/discovery/v2.0/keys                    JWKS of the signing key
// Errors answer as Azure AD does: {"error":"invalid_client","error_description":
// "AADSTS7000215: Invalid client secret provided. ...","error_codes":[7000215],
// "timestamp":..,"trace_id":..,"correlation_id":..}.
#pragma once

#include <chrono>
#include <functional>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>

#include "core/status.h"
#include "http/router.h"

namespace upsync {

void add_oauth_routes(Router& router);

// What the token endpoint's handlers share (the grants of code_grant.h).

// Writes Azure AD's error body with `http` status; returns OK (the answer is written).
Status write_aad_error(Call& call, int http, std::string_view error, int aadsts,
                       std::string_view description);
// "<origin>/<tenant>/v2.0", the tokens' iss.
std::string issuer_for(const Call& call);

struct IdTokenExtras {
  std::string nonce;         // the authorize request's, for the client to check
  int64_t auth_time = 0;     // when the person entered their password (unix seconds)
  bool client_info = false;  // answer client_info (MSAL asks with client_info=1)
  // A refresh grant's family: the answer then carries the family's next refresh token,
  // whatever the scope (refresh_grant.h).
  std::optional<std::string> refresh_family;
};
// Answers the access token (and, with openid in `scope`, the id token) for `who`, as Azure
// AD answers it; for a person, with offline_access in `scope`, a refresh token too.
Status issue_token(Call& call, Principal who, const std::string& client_id,
                   const std::string& scope, const IdTokenExtras& extras = {});

// The rest of a request that hashes a secret or password and signs. `delay` is how long its
// answer waits (a failed password's growing delay).
using SignInStep = std::function<Status(Call&, std::chrono::milliseconds& delay)>;
// Runs `step` on the sign-in pool (auth/hash_pool.h) with a Call of the pool thread's own
// store, and answers when it is done: the request loop's thread is free meanwhile
// (HttpResponse::later). A full pool answers at once: 503, Retry-After, temporarily_unavailable.
Status sign_in_on_pool(Call& call, SignInStep step);

// An Azure AD style error body for a Status (used by the router for errors it finds itself).
nlohmann::json oauth_error_body(const Status& status);
// Azure AD's error body: {"error":..,"error_description":"AADSTS<code>: <description> Trace
// ID: ..","error_codes":[code],"timestamp":..,"trace_id":..,"correlation_id":..}.
nlohmann::json aad_error(std::string_view error, int aadsts, std::string_view description);

}  // namespace upsync
