#include "http/oauth_routes.h"

#include "auth/access_token.h"
#include "auth/audience.h"
#include "auth/browser_sign_in.h"
#include "auth/client_assertion.h"
#include "auth/credentials.h"
#include "auth/secret.h"
#include "core/clock.h"
#include "core/text.h"
#include "directory/ldif.h"
#include "http/code_grant.h"
#include "http/query_secrets.h"

namespace upsync {

nlohmann::json aad_error(std::string_view error, int aadsts, std::string_view description) {
  std::string now = utc_now_iso();
  std::string trace = new_guid();
  return {
      {"error", std::string(error)},
      {"error_description", "AADSTS" + std::to_string(aadsts) + ": " + std::string(description) +
                                " Trace ID: " + trace + " Timestamp: " + now.substr(0, 19) + "Z"},
      {"error_codes", {aadsts}},
      {"timestamp", now.substr(0, 10) + " " + now.substr(11, 8) + "Z"},
      {"trace_id", trace},
      {"correlation_id", new_guid()}};
}

Status write_aad_error(Call& call, int http, std::string_view error, int aadsts,
                       std::string_view description) {
  write_json(call.res, http, aad_error(error, aadsts, description));
  return Status::ok();
}

std::string issuer_for(const Call& call) { return call.origin + "/" + call.tenant.name + "/v2.0"; }

namespace {

// The client's credentials from the form (client_secret_post) or an HTTP Basic header
// (client_secret_basic).
std::pair<std::string, std::string> client_credentials(const HttpRequest& req) {
  std::string id = req.get_param_value("client_id");
  std::string secret = req.get_param_value("client_secret");
  std::string auth = req.get_header_value("Authorization");
  if (secret.empty() && auth.size() > 6 && ascii_iequal(auth.substr(0, 6), "basic ")) {
    auto decoded_or = base64_decode(trim(std::string_view(auth).substr(6)));
    std::string decoded = decoded_or ? *decoded_or : "";
    size_t colon = decoded.find(':');
    if (colon != std::string::npos) {
      id = url_decode(decoded.substr(0, colon), true);
      secret = url_decode(decoded.substr(colon + 1), true);
    }
  }
  return {id, secret};
}

bool has_scope(std::string_view scopes, std::string_view want) {
  size_t start = 0;
  while (start <= scopes.size()) {
    size_t end = scopes.find(' ', start);
    if (end == std::string_view::npos) end = scopes.size();
    if (scopes.substr(start, end - start) == want) return true;
    start = end + 1;
  }
  return false;
}

}  // namespace

Status issue_token(Call& call, Principal who, const std::string& client_id,
                   const std::string& scope, const IdTokenExtras& extras) {
  int64_t now = unix_now();
  nlohmann::json answer = {{"token_type", "Bearer"},
                           {"expires_in", call.server.token_lifetime_seconds},
                           {"ext_expires_in", call.server.token_lifetime_seconds}};
  if (who.role != Role::kApp) answer["scope"] = scope;
  const std::string audience = resource_of_scopes(scope, call.origin);
  auto claims =
      access_token_claims(who, issuer_for(call), audience, now, call.server.token_lifetime_seconds);
  UPSYNC_ASSIGN_OR_RETURN(std::string jwt, call.server.signer->sign(claims));
  answer["access_token"] = jwt;
  if (who.role != Role::kApp && has_scope(scope, "openid")) {
    nlohmann::json id = {{"aud", client_id},
                         {"iss", issuer_for(call)},
                         {"iat", now},
                         {"nbf", now},
                         {"exp", now + 3600},
                         {"tid", call.tenant.name},
                         {"sub", who.upn},
                         {"oid", who.upn},
                         {"preferred_username", who.upn},
                         {"name", who.upn},
                         {"ver", "2.0"}};
    if (!extras.nonce.empty()) id["nonce"] = extras.nonce;
    if (extras.auth_time != 0) id["auth_time"] = extras.auth_time;
    UPSYNC_ASSIGN_OR_RETURN(std::string id_token, call.server.signer->sign(id));
    answer["id_token"] = id_token;
  }
  // Azure AD gives a person a refresh token when the client asked for offline_access; a
  // refresh grant always gets the next one of its family (rotation).
  if (who.role != Role::kApp && (extras.refresh_family || has_scope(scope, "offline_access"))) {
    UPSYNC_ASSIGN_OR_RETURN(auto sign_ins, open_sign_in_store(call.store));
    RefreshGrant grant;
    grant.family = extras.refresh_family.value_or("");
    grant.client_id = client_id;
    grant.upn = who.upn;
    grant.scope = scope;
    grant.token_generation = who.token_generation;
    UPSYNC_ASSIGN_OR_RETURN(answer["refresh_token"],
                            issue_refresh_token(*sign_ins, call.tenant.id, grant, now));
  }
  if (who.role != Role::kApp && extras.client_info) {
    // MSAL keys its account cache by client_info's uid.utid (its home account id).
    answer["client_info"] =
        base64url_encode(nlohmann::json({{"uid", who.upn}, {"utid", call.tenant.name}}).dump());
  }
  call.res.set_header("Cache-Control", "no-store, no-cache");
  write_json(call.res, 200, answer);
  return Status::ok();
}

Status sign_in_on_pool(Call& call, SignInStep step) {
  ServerContext& server = call.server;
  const HttpRequest* req = &call.req;
  Tenant tenant = call.tenant;
  std::string origin = call.origin, tenant_base = call.tenant_base, path = call.path;
  Surface surface = call.surface;
  call.res.later = [=, &server](FinishAnswer finish) {
    auto job = [=, &server] {
      HttpResponse res;
      std::chrono::milliseconds delay{0};
      auto store = server.thread_store();
      if (!store) {
        write_error(*req, res, surface, unavailable(store.status().message()));
      } else {
        Call c{*req,        res,  server, **store, tenant, std::nullopt, origin,
               tenant_base, path, {},     surface, {},     std::nullopt, {}};
        Status st = step(c, delay);
        if (!st.is_ok()) write_error(*req, res, surface, st, c.error_code);
      }
      if (delay.count() == 0) return finish(std::move(res));
      server.sign_in_pool->run_at(std::chrono::steady_clock::now() + delay,
                                  [finish, res] { finish(res); });
    };
    if (server.sign_in_pool->try_submit(job)) return;
    HttpResponse busy;
    busy.set_header("Retry-After", "1");
    write_json(busy, 503,
               aad_error("temporarily_unavailable", 90033,
                         "A transient error has occurred. Please try again."));
    finish(std::move(busy));
  };
  return Status::ok();
}

namespace {

Status write_locked(Call& call) {
  return write_aad_error(call, 400, "invalid_grant", 50053,
                         "The account is locked, you've tried to sign in too many times with an "
                         "incorrect user ID or password.");
}

// The password grant's check, on the sign-in pool: the client, then the person's password
// (an unknown account hashes as long as a known one), counted by the throttle.
Status password_sign_in(Call& call, std::chrono::milliseconds& delay, const std::string& client_id,
                        const std::string& secret, const std::string& username,
                        const std::string& password, const std::string& scope) {
  SignInThrottle& throttle = *call.server.sign_in_throttle;
  std::string account = std::to_string(call.tenant.id) + "/" + ascii_lower(username);
  // Locked while this attempt waited in the queue: refused without hashing.
  if (throttle.locked(account, call.req.remote_addr)) return write_locked(call);
  UPSYNC_ASSIGN_OR_RETURN(auto creds, open_credential_store(call.store));
  // The client a person signs in through must be registered in the tenant; a confidential
  // client that sends a secret must send the right one.
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
  auto person = sign_in_user(*creds, call.tenant, username, password);
  if (!person) {
    if (person.status().code() == StatusCode::kNotFound ||
        person.status().code() == StatusCode::kUnauthenticated) {
      delay = throttle.failed(account, call.req.remote_addr);
      return write_aad_error(call, 400, "invalid_grant", 50126,
                             "Error validating credentials due to invalid username or "
                             "password.");
    }
    return person.status();
  }
  throttle.succeeded(account);
  Principal who = std::move(*person);
  who.client_id = client_id;
  return issue_token(call, std::move(who), client_id, scope);
}

Status app_sign_in(Call& call, const std::string& client_id, const std::string& secret,
                   const std::string& scope) {
  UPSYNC_ASSIGN_OR_RETURN(auto creds, open_credential_store(call.store));
  auto app = sign_in_app(*creds, call.tenant, client_id, secret);
  if (!app) {
    if (app.status().code() == StatusCode::kNotFound) {
      return write_aad_error(call, 400, "unauthorized_client", 700016,
                             "Application with identifier '" + client_id +
                                 "' was not found in the directory '" + call.tenant.name + "'.");
    }
    if (app.status().code() == StatusCode::kUnauthenticated) {
      return write_aad_error(call, 401, "invalid_client", 7000215,
                             "Invalid client secret provided. Ensure the secret being sent in "
                             "the request is the client secret value, not the client secret "
                             "ID, for a secret added to app '" +
                                 client_id + "'.");
    }
    return app.status();
  }
  return issue_token(call, std::move(*app), client_id, scope);
}

// client_credentials with a certificate: the client assertion (auth/client_assertion.h). No
// hashing, so it runs on the request thread: one RSA verification.
Status assertion_sign_in(Call& call, const std::string& client_id, const std::string& scope) {
  const std::string type = call.req.get_param_value("client_assertion_type");
  const std::string assertion = call.req.get_param_value("client_assertion");
  if (type.empty() || assertion.empty()) {
    return write_aad_error(call, 400, "invalid_request", 900144,
                           std::string("The request body must contain the following parameter: "
                                       "'") +
                               (type.empty() ? "client_assertion_type" : "client_assertion") +
                               "'.");
  }
  if (type != kJwtBearerAssertionType) {
    return write_aad_error(call, 400, "invalid_request", 900144,
                           "The value of 'client_assertion_type' must be '" +
                               std::string(kJwtBearerAssertionType) + "', not '" +
                               quote_for_message(type, 100) + "'.");
  }
  UPSYNC_ASSIGN_OR_RETURN(auto creds, open_credential_store(call.store));
  const std::string endpoint = call.origin + "/" + call.tenant.name + "/oauth2/v2.0/token";
  UPSYNC_ASSIGN_OR_RETURN(auto outcome, sign_in_with_assertion(*creds, call.tenant, client_id,
                                                               assertion, endpoint, unix_now()));
  if (auto* no = std::get_if<AssertionRefusal>(&outcome)) {
    return write_aad_error(call, no->http_status, no->error, no->aadsts, no->description);
  }
  return issue_token(call, std::move(std::get<Principal>(outcome)), client_id, scope);
}

Status token(Call& call) {
  const auto& req = call.req;
  // Credentials only in the body: a query string stays in logs, proxies and browser history.
  // Azure AD reads a token request's parameters from the body alone and answers a missing one
  // with AADSTS900144 ("The request body must contain the following parameter: '{name}'",
  // invalid_request; Microsoft Entra's error code reference): the same answer here, however the
  // body reads, so a client that sends a secret in the query learns it must move it.
  if (auto secret_name = secret_in_query(req.target)) {
    return write_aad_error(call, 400, "invalid_request", 900144,
                           "The request body must contain the following parameter: '" +
                               *secret_name +
                               "'. It was sent in the query string, where "
                               "credentials and tokens are refused: send it in the "
                               "application/x-www-form-urlencoded POST body.");
  }
  std::string content_type = ascii_lower(req.get_header_value("Content-Type"));
  if (content_type.find("application/x-www-form-urlencoded") == std::string::npos) {
    return write_aad_error(call, 400, "invalid_request", 900144,
                           "The request body must be application/x-www-form-urlencoded.");
  }
  std::string grant = req.get_param_value("grant_type");
  std::string scope = req.get_param_value("scope");
  if (grant.empty()) {
    return write_aad_error(call, 400, "invalid_request", 900144,
                           "The request body must contain the following parameter: "
                           "'grant_type'.");
  }
  auto [client_id, secret] = client_credentials(req);
  if (client_id.empty()) {
    return write_aad_error(call, 400, "invalid_request", 900144,
                           "The request body must contain the following parameter: "
                           "'client_id'.");
  }
  if (scope.empty()) {
    return write_aad_error(call, 400, "invalid_scope", 1002012,
                           "The request body must contain the following parameter: 'scope'.");
  }
  // The resource must be one of the tenant's (audience.h), as Azure AD refuses a resource it
  // does not know in the tenant.
  const std::string audience = resource_of_scopes(scope, call.origin);
  if (!is_tenant_audience(audience, call.tenant.name,
                          call.server.public_hosts.tenant_origins(call.tenant.name))) {
    return write_aad_error(call, 400, "invalid_resource", 500011,
                           "The resource principal named " + audience +
                               " was not found in the tenant named " + call.tenant.name +
                               ". This can happen if the application has not been installed by "
                               "the administrator of the tenant or consented to by any user in "
                               "the tenant. You might have sent your authentication request to "
                               "the wrong tenant.");
  }
  if (grant == "client_credentials") {
    if (!scope.ends_with("/.default") || scope.find(' ') != std::string::npos) {
      return write_aad_error(call, 400, "invalid_scope", 1002012,
                             "The provided value for scope " + scope +
                                 " is not valid. Client credential flows must have a scope value "
                                 "with /.default suffixed to the resource identifier "
                                 "(application ID URI).");
    }
    if (req.has_param("client_assertion") || req.has_param("client_assertion_type")) {
      if (!secret.empty()) {
        return write_aad_error(call, 400, "invalid_request", 900144,
                               "Send either 'client_secret' or 'client_assertion', not both.");
      }
      return assertion_sign_in(call, client_id, scope);
    }
    if (secret.empty()) {
      return write_aad_error(call, 401, "invalid_client", 7000218,
                             "The request body must contain the following parameter: "
                             "'client_assertion' or 'client_secret'.");
    }
    return sign_in_on_pool(call, [client_id, secret, scope](Call& c, auto&) {
      return app_sign_in(c, client_id, secret, scope);
    });
  }
  if (grant == "authorization_code") return authorization_code_grant(call, client_id, secret);
  if (grant == "refresh_token") return refresh_token_grant(call, client_id, secret);
  if (grant == "password") {
    std::string username = req.get_param_value("username");
    std::string password = req.get_param_value("password");
    if (username.empty() || password.empty()) {
      return write_aad_error(call, 400, "invalid_request", 900144,
                             std::string("The request body must contain the following parameter: "
                                         "'") +
                                 (username.empty() ? "username" : "password") + "'.");
    }
    // A locked account or address is refused at once, without hashing (smart lockout).
    std::string account = std::to_string(call.tenant.id) + "/" + ascii_lower(username);
    if (call.server.sign_in_throttle->locked(account, req.remote_addr)) return write_locked(call);
    return sign_in_on_pool(call, [=, client_id = client_id, secret = secret](
                                     Call& c, std::chrono::milliseconds& delay) {
      return password_sign_in(c, delay, client_id, secret, username, password, scope);
    });
  }
  return write_aad_error(call, 400, "unsupported_grant_type", 70003,
                         "The app requested an unsupported grant type '" + grant + "'.");
}

Status discovery(Call& call) {
  std::string base = call.origin + "/" + call.tenant.name;
  write_json(call.res, 200,
             {{"issuer", base + "/v2.0"},
              {"authorization_endpoint", base + "/oauth2/v2.0/authorize"},
              {"token_endpoint", base + "/oauth2/v2.0/token"},
              {"device_authorization_endpoint", base + "/oauth2/v2.0/devicecode"},
              {"end_session_endpoint", base + "/oauth2/v2.0/logout"},
              {"jwks_uri", base + "/discovery/v2.0/keys"},
              {"token_endpoint_auth_methods_supported",
               {"client_secret_post", "client_secret_basic", "private_key_jwt"}},
              {"grant_types_supported",
               {"authorization_code", "client_credentials", "password", "refresh_token"}},
              {"response_modes_supported", {"query", "fragment", "form_post"}},
              {"response_types_supported", {"code"}},
              {"code_challenge_methods_supported", {"S256"}},
              {"subject_types_supported", {"pairwise"}},
              {"id_token_signing_alg_values_supported", {"RS256"}},
              {"scopes_supported", {"openid", "profile", "email", "offline_access"}},
              {"claims_supported",
               {"sub", "iss", "aud", "exp", "iat", "nbf", "tid", "oid", "upn", "preferred_username",
                "roles", "wids"}},
              {"request_uri_parameter_supported", false},
              {"http_logout_supported", false},
              {"frontchannel_logout_supported", false},
              {"tenant_region_scope", nullptr},
              {"cloud_instance_name", "upsync"},
              {"cloud_graph_host_name", call.origin},
              {"msgraph_host", call.origin}});
  return Status::ok();
}

Status keys(Call& call) {
  write_json(call.res, 200, call.server.signer->jwks());
  return Status::ok();
}

}  // namespace

nlohmann::json oauth_error_body(const Status& status) {
  switch (status.code()) {
    case StatusCode::kNotFound:
      return aad_error("invalid_request", 90002, status.message());
    case StatusCode::kInvalidArgument:
      return aad_error("invalid_request", 900144, status.message());
    case StatusCode::kUnauthenticated:
    case StatusCode::kPermissionDenied:
      return aad_error("invalid_client", 7000215, status.message());
    default:
      return aad_error("server_error", 90033, status.message());
  }
}

void add_oauth_routes(Router& router) {
  router.add_tenant_in_path("POST", R"(^/([^/]+)/oauth2/v2\.0/token$)", Surface::kOAuth, token);
  router.add_tenant_in_path("GET", R"(^/([^/]+)/v2\.0/\.well-known/openid-configuration$)",
                            Surface::kOAuth, discovery);
  router.add_tenant_in_path("GET", R"(^/([^/]+)/discovery/v2\.0/keys$)", Surface::kOAuth, keys);
}

}  // namespace upsync
