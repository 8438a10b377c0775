#include "http/code_grant.h"

#include "auth/browser_sign_in.h"
#include "auth/credentials.h"
#include "auth/secret.h"
#include "core/clock.h"
#include "core/text.h"
#include "http/oauth_routes.h"

namespace upsync {

namespace {

Status invalid_grant(Call& call, int aadsts, std::string_view description) {
  return write_aad_error(call, 400, "invalid_grant", aadsts, description);
}

// Redeems `code` on the sign-in pool (a confidential client's secret is hashed there).
Status redeem(Call& call, const std::string& client_id, const std::string& secret,
              const std::string& code, const std::string& redirect_uri, const std::string& verifier,
              const std::string& scope, bool client_info) {
  UPSYNC_ASSIGN_OR_RETURN(auto creds, open_credential_store(call.store));
  auto app = creds->app_with_secret(call.tenant.id, client_id);
  if (!app) {
    if (app.status().code() != StatusCode::kNotFound) return app.status();
    return write_aad_error(call, 400, "unauthorized_client", 700016,
                           "Application with identifier '" + client_id +
                               "' was not found in the directory '" + call.tenant.name + "'.");
  }
  if (!secret.empty() && !verify_secret(secret, app->second)) {
    return write_aad_error(call, 401, "invalid_client", 7000215, "Invalid client secret provided.");
  }
  UPSYNC_ASSIGN_OR_RETURN(auto sign_ins, open_sign_in_store(call.store));
  UPSYNC_ASSIGN_OR_RETURN(TakenCode taken,
                          sign_ins->take_code(call.tenant.id, code_key(code), unix_now()));
  switch (taken.state) {
    case CodeTake::kUsed:
      return invalid_grant(call, 54005,
                           "OAuth2 Authorization code was already redeemed, please retry with a "
                           "new valid code or use an existing refresh token.");
    case CodeTake::kExpired:
      return invalid_grant(call, 70008,
                           "The provided authorization code or refresh token has expired due to "
                           "inactivity. Send a new interactive authorization request for this "
                           "user and resource.");
    case CodeTake::kUnknown:
      return invalid_grant(call, 9002313,
                           "Invalid request. Request is malformed or invalid. - The provided "
                           "value for the 'code' parameter is not valid.");
    case CodeTake::kFresh:
      break;
  }
  const AuthorizationCode& c = taken.code;
  // The code is spent from here on, whatever follows: one try per code.
  if (c.client_id != ascii_lower(client_id)) {
    return invalid_grant(call, 70000,
                         "The provided value for the 'code' parameter is not valid. The code "
                         "was issued to another client.");
  }
  if (c.redirect_uri != redirect_uri) {
    return invalid_grant(call, 50011,
                         "The redirect URI '" + redirect_uri +
                             "' specified in the request does not match the redirect URI the "
                             "authorization code was issued for.");
  }
  if (!pkce_matches(verifier, c.code_challenge)) {
    return invalid_grant(call, 501481,
                         "The Code_Verifier does not match the code_challenge supplied in the "
                         "authorization request.");
  }
  auto person = creds->person_with_password(call.tenant.id, c.upn);
  if (!person && person.status().code() != StatusCode::kNotFound) return person.status();
  if (!person || person->first.token_generation != c.token_generation) {
    return invalid_grant(call, 50173,
                         "The provided grant has expired due to it being revoked, a fresh auth "
                         "token is needed. The user might have changed or reset their password.");
  }
  Principal who;
  who.tenant = call.tenant.name;
  who.role = person->first.role;
  who.upn = person->first.upn;
  who.display_name = person->first.upn;
  who.client_id = app->first.client_id;
  who.token_generation = person->first.token_generation;
  // The token is for the resource the token request names (MSAL repeats the scopes), else
  // the one the person consented to at the authorize endpoint.
  IdTokenExtras extras{c.nonce, c.issued_at, client_info, std::nullopt};
  return issue_token(call, std::move(who), client_id, scope.empty() ? c.scope : scope, extras);
}

// Redeems a refresh token on the sign-in pool (a confidential client's secret is hashed there).
Status redeem_refresh(Call& call, const std::string& client_id, const std::string& secret,
                      const std::string& token, const std::string& scope, bool client_info) {
  UPSYNC_ASSIGN_OR_RETURN(auto creds, open_credential_store(call.store));
  auto app = creds->app_with_secret(call.tenant.id, client_id);
  if (!app) {
    if (app.status().code() != StatusCode::kNotFound) return app.status();
    return write_aad_error(call, 400, "unauthorized_client", 700016,
                           "Application with identifier '" + client_id +
                               "' was not found in the directory '" + call.tenant.name + "'.");
  }
  if (!secret.empty() && !verify_secret(secret, app->second)) {
    return write_aad_error(call, 401, "invalid_client", 7000215, "Invalid client secret provided.");
  }
  UPSYNC_ASSIGN_OR_RETURN(auto sign_ins, open_sign_in_store(call.store));
  UPSYNC_ASSIGN_OR_RETURN(TakenRefresh taken, sign_ins->take_refresh_token(
                                                  call.tenant.id, code_key(token), unix_now()));
  const RefreshGrant& g = taken.grant;
  auto revoked = [&](std::string_view why) -> Status {
    UPSYNC_RETURN_IF_ERROR(sign_ins->revoke_refresh_family(call.tenant.id, g.family));
    return invalid_grant(call, 50173,
                         "The provided grant has expired due to it being revoked, a fresh auth "
                         "token is needed. " +
                             std::string(why));
  };
  switch (taken.state) {
    case RefreshTake::kUsed:
      return revoked(
          "The refresh token was redeemed before; every refresh token of its sign-in is now "
          "revoked.");
    case RefreshTake::kExpired:
      return invalid_grant(call, 700082,
                           "The refresh token has expired due to inactivity. The token was "
                           "issued at " +
                               std::to_string(g.issued_at) +
                               " (Unix time) and was inactive for 90 days.");
    case RefreshTake::kUnknown:
      return invalid_grant(call, 9002313,
                           "Invalid request. Request is malformed or invalid. - The provided "
                           "value for the 'refresh_token' parameter is not valid.");
    case RefreshTake::kFresh:
      break;
  }
  // The token is spent from here on, whatever follows.
  if (g.client_id != ascii_lower(client_id)) {
    return revoked("The refresh token was issued to another client.");
  }
  auto person = creds->person_with_password(call.tenant.id, g.upn);
  if (!person && person.status().code() != StatusCode::kNotFound) return person.status();
  if (!person || person->first.token_generation != g.token_generation) {
    return revoked("The user might have changed or reset their password.");
  }
  Principal who;
  who.tenant = call.tenant.name;
  who.role = person->first.role;
  who.upn = person->first.upn;
  who.display_name = person->first.upn;
  who.client_id = app->first.client_id;
  who.token_generation = person->first.token_generation;
  IdTokenExtras extras;
  extras.client_info = client_info;
  extras.refresh_family = g.family;
  return issue_token(call, std::move(who), client_id, scope, extras);
}

}  // namespace

Status refresh_token_grant(Call& call, const std::string& client_id, const std::string& secret) {
  std::string token = call.req.get_param_value("refresh_token");
  if (token.empty()) {
    return write_aad_error(call, 400, "invalid_request", 900144,
                           "The request body must contain the following parameter: "
                           "'refresh_token'.");
  }
  std::string scope = call.req.get_param_value("scope");
  bool client_info = call.req.get_param_value("client_info") == "1";
  return sign_in_on_pool(call, [=](Call& c, auto&) {
    return redeem_refresh(c, client_id, secret, token, scope, client_info);
  });
}

Status authorization_code_grant(Call& call, const std::string& client_id,
                                const std::string& secret) {
  const HttpRequest& req = call.req;
  for (std::string_view name : {"code", "redirect_uri", "code_verifier"}) {
    if (req.get_param_value(name).empty()) {
      return write_aad_error(
          call, 400, "invalid_request", 900144,
          "The request body must contain the following parameter: '" + std::string(name) + "'.");
    }
  }
  std::string code = req.get_param_value("code");
  std::string redirect_uri = req.get_param_value("redirect_uri");
  std::string verifier = req.get_param_value("code_verifier");
  std::string scope = req.get_param_value("scope");
  bool client_info = req.get_param_value("client_info") == "1";
  return sign_in_on_pool(call, [=](Call& c, auto&) {
    return redeem(c, client_id, secret, code, redirect_uri, verifier, scope, client_info);
  });
}

}  // namespace upsync
