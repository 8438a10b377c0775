#include "http/authorize_routes.h"

#include <algorithm>

#include "auth/browser_sign_in.h"
#include "auth/sign_in_store.h"
#include "core/clock.h"
#include "core/text.h"
#include "http/browser_session.h"
#include "http/oauth_routes.h"
#include "http/page_assets.h"
#include "http/query_secrets.h"
#include "http/sign_in_form.h"

namespace upsync {

namespace {

// The parameters of an authorize request that travel through the form.
constexpr std::string_view kCarried[] = {
    "client_id", "redirect_uri",   "response_type",         "response_mode", "scope",     "state",
    "nonce",     "code_challenge", "code_challenge_method", "prompt",        "login_hint"};

struct AuthorizeRequest {
  std::string client_id, redirect_uri, response_mode, scope, state, nonce, code_challenge, prompt;
};

// "https://app.example.com:8443" of a redirect URI (for the CSP's form-action).
std::string origin_of(std::string_view uri) {
  size_t scheme = uri.find("://");
  if (scheme == std::string_view::npos) return "";
  size_t end = uri.find_first_of("/?#", scheme + 3);
  return std::string(uri.substr(0, end));
}

// Sends the browser to the client's redirect URI with `params`, in the response mode asked.
void answer_to_client(Call& call, const AuthorizeRequest& a,
                      const std::vector<std::pair<std::string, std::string>>& params) {
  if (a.response_mode == "form_post") {
    std::string hidden;
    for (const auto& [k, v] : params) {
      hidden += "<input type=\"hidden\" name=\"" + html_escape(k) + "\" value=\"" + html_escape(v) +
                "\">\n";
    }
    call.res.status = 200;
    set_page_security_headers(call.res, origin_of(a.redirect_uri));
    call.res.set_header("Cache-Control", "no-store");
    call.res.set_content(render_template("form_post.html", {{"base", pages_base(call)},
                                                            {"action", a.redirect_uri},
                                                            {"hidden_html", hidden}}),
                         "text/html; charset=utf-8");
    return;
  }
  std::string encoded;
  for (const auto& [k, v] : params) {
    encoded += (encoded.empty() ? "" : "&") + k + "=" + url_encode(v);
  }
  std::string location = a.redirect_uri;
  if (a.response_mode == "fragment") {
    location += "#" + encoded;
  } else {
    location += (location.find('?') == std::string::npos ? "?" : "&") + encoded;
  }
  call.res.status = 302;
  call.res.set_header("Location", location);
  call.res.set_header("Cache-Control", "no-store");
  call.res.set_content("", "text/plain");
}

void error_to_client(Call& call, const AuthorizeRequest& a, std::string_view error, int aadsts,
                     std::string_view description) {
  std::vector<std::pair<std::string, std::string>> p = {
      {"error", std::string(error)},
      {"error_description", "AADSTS" + std::to_string(aadsts) + ": " + std::string(description)},
      {"error_codes", std::to_string(aadsts)}};
  if (!a.state.empty()) p.emplace_back("state", a.state);
  answer_to_client(call, a, p);
}

// Checks an authorize request. Returns the request when the sign-in may go on; otherwise
// writes the answer (an error page, or an error sent to the redirect URI) and returns nullopt.
Result<std::optional<AuthorizeRequest>> check_authorize(Call& call) {
  const HttpRequest& req = call.req;
  AuthorizeRequest a;
  a.client_id = req.get_param_value("client_id");
  a.redirect_uri = req.get_param_value("redirect_uri");
  const std::optional<AuthorizeRequest> stop;
  if (a.client_id.empty() || a.redirect_uri.empty()) {
    write_sign_in_error_page(call, 400, 900144,
                             "The request body must contain the following parameter: '" +
                                 std::string(a.client_id.empty() ? "client_id" : "redirect_uri") +
                                 "'.");
    return stop;
  }
  UPSYNC_ASSIGN_OR_RETURN(auto sign_ins, open_sign_in_store(call.store));
  UPSYNC_ASSIGN_OR_RETURN(auto creds, call.store.credential_store());
  auto app = creds->app_with_secret(call.tenant.id, a.client_id);
  if (!app) {
    if (app.status().code() != StatusCode::kNotFound) return app.status();
    write_sign_in_error_page(call, 400, 700016,
                             "Application with identifier '" + a.client_id +
                                 "' was not found in the directory '" + call.tenant.name +
                                 "'. This can happen if the application has not been installed "
                                 "by the administrator of the tenant.");
    return stop;
  }
  UPSYNC_ASSIGN_OR_RETURN(auto uris, sign_ins->redirect_uris(call.tenant.id, a.client_id));
  if (std::find(uris.begin(), uris.end(), a.redirect_uri) == uris.end()) {
    write_sign_in_error_page(
        call, 400, 50011,
        "The redirect URI '" + a.redirect_uri +
            "' specified in the request does not match the redirect URIs configured for the "
            "application '" +
            a.client_id +
            "'. Make sure the redirect URI sent in the request matches one added to your "
            "application (upsync app add ... --redirect-uri, or the admin API).");
    return stop;
  }
  // From here the redirect URI is the app's own: errors go back to it.
  a.response_mode = req.get_param_value("response_mode");
  if (a.response_mode.empty()) a.response_mode = "query";
  if (a.response_mode != "query" && a.response_mode != "fragment" &&
      a.response_mode != "form_post") {
    write_sign_in_error_page(call, 400, 900144,
                             "The response_mode '" + a.response_mode +
                                 "' is not supported: use query, fragment or form_post.");
    return stop;
  }
  a.state = req.get_param_value("state");
  a.scope = req.get_param_value("scope");
  a.nonce = req.get_param_value("nonce");
  a.prompt = req.get_param_value("prompt");
  a.code_challenge = req.get_param_value("code_challenge");
  std::string response_type = req.get_param_value("response_type");
  std::string method = req.get_param_value("code_challenge_method");
  if (response_type != "code") {
    error_to_client(call, a, "unsupported_response_type", 700054,
                    "response_type '" + response_type +
                        "' is not enabled for the application: only 'code' is.");
    return stop;
  }
  // The client checks that the answer carries the state it sent: without one, nothing ties
  // the answer to the client's own request (a login CSRF against the client).
  if (a.state.empty()) {
    error_to_client(call, a, "invalid_request", 900144,
                    "The request body must contain the following parameter: 'state'.");
    return stop;
  }
  if (a.scope.empty()) {
    error_to_client(call, a, "invalid_request", 900144,
                    "The request body must contain the following parameter: 'scope'.");
    return stop;
  }
  if (a.code_challenge.empty()) {
    error_to_client(call, a, "invalid_request", 9002325,
                    "Proof Key for Code Exchange is required: send code_challenge and "
                    "code_challenge_method=S256.");
    return stop;
  }
  if (method != "S256" || !is_s256_challenge(a.code_challenge)) {
    error_to_client(call, a, "invalid_request", 9002326,
                    "The code_challenge_method '" + method +
                        "' is not supported: only S256 is, with a 43-character base64url "
                        "code_challenge.");
    return stop;
  }
  if (a.prompt == "none") {
    error_to_client(call, a, "login_required", 50058,
                    "A silent sign-in request was sent but no user is signed in.");
    return stop;
  }
  if (!a.prompt.empty() && a.prompt != "login" && a.prompt != "select_account" &&
      a.prompt != "consent") {
    error_to_client(call, a, "invalid_request", 90023, "Invalid prompt value '" + a.prompt + "'.");
    return stop;
  }
  return std::optional<AuthorizeRequest>(std::move(a));
}

SignInForm authorize_form(Call& call, const AuthorizeRequest& a) {
  SignInForm form;
  form.action = "/" + call.tenant.name + "/oauth2/v2.0/authorize";
  for (std::string_view name : kCarried) {
    std::string value = call.req.get_param_value(name);
    if (!value.empty()) form.hidden.emplace_back(std::string(name), value);
  }
  form.username = call.req.get_param_value("login_hint");
  form.form_action = origin_of(a.redirect_uri);
  return form;
}

Status authorize_get(Call& call) {
  UPSYNC_ASSIGN_OR_RETURN(auto checked, check_authorize(call));
  if (!checked) return Status::ok();
  return write_sign_in_form(call, authorize_form(call, *checked));
}

Status authorize_post(Call& call) {
  if (auto secret = secret_in_query(call.req.target)) {
    write_sign_in_error_page(call, 400, 900144,
                             "The parameter '" + *secret +
                                 "' was sent in the query string: send the form's fields in "
                                 "its POST body.");
    return Status::ok();
  }
  UPSYNC_ASSIGN_OR_RETURN(auto checked, check_authorize(call));
  if (!checked) return Status::ok();
  SignInForm form = authorize_form(call, *checked);
  UPSYNC_ASSIGN_OR_RETURN(bool go_on, check_sign_in_post(call, form));
  if (!go_on) return Status::ok();
  AuthorizeRequest a = *checked;
  return check_password_on_pool(call, form, [a](Call& c, const Principal& person) -> Status {
    UPSYNC_RETURN_IF_ERROR(start_session_for(c, person));
    UPSYNC_ASSIGN_OR_RETURN(auto sign_ins, open_sign_in_store(c.store));
    AuthorizationCode grant;
    grant.client_id = a.client_id;
    grant.redirect_uri = a.redirect_uri;
    grant.code_challenge = a.code_challenge;
    grant.scope = a.scope;
    grant.nonce = a.nonce;
    grant.upn = person.upn;
    grant.token_generation = person.token_generation;
    UPSYNC_ASSIGN_OR_RETURN(std::string code,
                            issue_code(*sign_ins, c.tenant.id, std::move(grant), unix_now()));
    answer_to_client(c, a, {{"code", code}, {"state", a.state}});
    return Status::ok();
  });
}

// Where the pages' sign-in sends the browser: Source when it is a path on this server
// ("/..." but not "//host" or "/\host", which browsers read as another host), else home.
std::string pages_destination(const Call& call) {
  std::string source = call.req.get_param_value("Source");
  bool local = source.size() > 1 && source[0] == '/' && source[1] != '/' && source[1] != '\\';
  for (unsigned char c : source) {
    if (c < 0x21 || c == 0x7F || c == '\\') local = false;
  }
  if (local) return source;
  return pages_base(call) + "/_layouts/15/upsync/";
}

SignInForm pages_form(Call& call) {
  SignInForm form;
  form.action = pages_base(call) + "/_layouts/15/Authenticate.aspx";
  form.hidden.emplace_back("Source", pages_destination(call));
  return form;
}

Status authenticate_get(Call& call) {
  for (const auto& [name, value] : call.req.params) {
    if (name != "Source") {
      write_sign_in_error_page(
          call, 400, 900144,
          "The query parameter '" + name + "' is not one of this page's: only Source is.");
      return Status::ok();
    }
  }
  return write_sign_in_form(call, pages_form(call));
}

Status authenticate_post(Call& call) {
  if (auto secret = secret_in_query(call.req.target)) {
    write_sign_in_error_page(call, 400, 900144,
                             "The parameter '" + *secret +
                                 "' was sent in the query string: send the form's fields in "
                                 "its POST body.");
    return Status::ok();
  }
  SignInForm form = pages_form(call);
  UPSYNC_ASSIGN_OR_RETURN(bool go_on, check_sign_in_post(call, form));
  if (!go_on) return Status::ok();
  std::string destination = pages_destination(call);
  return check_password_on_pool(call, form,
                                [destination](Call& c, const Principal& person) -> Status {
                                  UPSYNC_RETURN_IF_ERROR(start_session_for(c, person));
                                  c.res.status = 303;
                                  c.res.set_header("Location", destination);
                                  c.res.set_header("Cache-Control", "no-store");
                                  c.res.set_content("", "text/plain");
                                  return Status::ok();
                                });
}

Status session_info(Call& call) {
  UPSYNC_ASSIGN_OR_RETURN(Principal who, call.caller());
  nlohmann::json out = {
      {"tenant", call.tenant.name}, {"upn", who.upn}, {"role", std::string(role_name(who.role))}};
  if (call.session) {
    const SessionPolicy& p = call.server.session_policy;
    out["csrfToken"] = call.session->csrf_token;
    out["csrfHeader"] = std::string(kCsrfHeader);
    out["signedInAt"] = call.session->created_at;
    out["expiresAt"] = std::min(call.session->created_at + p.absolute_seconds,
                                std::max(call.session->last_seen_at, unix_now()) + p.idle_seconds);
  }
  call.res.set_header("Cache-Control", "no-store");
  write_json(call.res, 200, out);
  return Status::ok();
}

Status sign_out(Call& call) {
  if (!call.session) {
    return invalid_argument(
        "no session to sign out of: this request came with a bearer token, not the session "
        "cookie of upsync's pages");
  }
  UPSYNC_ASSIGN_OR_RETURN(auto sign_ins, open_sign_in_store(call.store));
  UPSYNC_RETURN_IF_ERROR(sign_ins->end_session(call.tenant.id, call.session->key));
  // Signing out ends the person's offline access too: no refresh token outlives it.
  UPSYNC_RETURN_IF_ERROR(sign_ins->revoke_refresh_tokens(call.tenant.id, call.session->upn));
  call.res.headers.emplace("Set-Cookie",
                           session_clear_cookie(https_origin(call), call.tenant.name));
  call.res.set_header("Cache-Control", "no-store");
  write_json(
      call.res, 200,
      {{"signedOut", true}, {"signIn", pages_base(call) + "/_layouts/15/Authenticate.aspx"}});
  return Status::ok();
}

}  // namespace

void add_authorize_routes(Router& router) {
  router.add_tenant_in_path("GET", R"(^/([^/]+)/oauth2/v2\.0/authorize$)", Surface::kOAuth,
                            authorize_get);
  router.add_tenant_in_path("POST", R"(^/([^/]+)/oauth2/v2\.0/authorize$)", Surface::kOAuth,
                            authorize_post);
  router.add("GET", R"(^/_layouts/15/authenticate\.aspx$)", Surface::kPlain, Access::kSignIn,
             authenticate_get);
  router.add("POST", R"(^/_layouts/15/authenticate\.aspx$)", Surface::kPlain, Access::kSignIn,
             authenticate_post);
  router.add("GET", R"(^/_layouts/15/upsync/session$)", Surface::kPlain, Access::kSignedIn,
             session_info);
  router.add("POST", R"(^/_layouts/15/upsync/signout$)", Surface::kPlain, Access::kSignedIn,
             sign_out);
}

}  // namespace upsync
