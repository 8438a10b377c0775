// The token service, shaped like Azure AD's v2 endpoint so that MSAL accepts it as an
// authority (with knownAuthorities set to our host):
//   POST /{tenant}/oauth2/v2.0/token                      client_credentials, password
//   GET  /{tenant}/v2.0/.well-known/openid-configuration  OpenID discovery
//   GET  /{tenant}/discovery/v2.0/keys                    JWKS of the signing key
// Errors answer as Azure AD does: {"error":"invalid_client","error_description":
// "AADSTS7000215: Invalid client secret provided. ...","error_codes":[7000215],
// "timestamp":..,"trace_id":..,"correlation_id":..}.
#pragma once

#include <nlohmann/json.hpp>
#include <string_view>

#include "core/status.h"
#include "http/router.h"

namespace upsync {

void add_oauth_routes(Router& router);

// An Azure AD style error body for a Status (used by the router for errors it finds itself).
nlohmann::json oauth_error_body(const Status& status);
// Azure AD's error body: {"error":..,"error_description":"AADSTS<code>: <description> Trace
// ID: ..","error_codes":[code],"timestamp":..,"trace_id":..,"correlation_id":..}.
nlohmann::json aad_error(std::string_view error, int aadsts, std::string_view description);

}  // namespace upsync
