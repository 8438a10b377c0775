#include "http/sign_in_form.h"

#include "auth/browser_sign_in.h"
#include "auth/credentials.h"
#include "auth/secret.h"
#include "core/clock.h"
#include "core/text.h"
#include "http/browser_session.h"
#include "http/oauth_routes.h"
#include "http/page_assets.h"

namespace upsync {

namespace {

std::string flow_cookie_name(bool tls) { return tls ? "__Host-upsync-signin" : "upsync-signin"; }

void write_html(Call& call, int http, std::string html, std::string_view form_action = "") {
  call.res.status = http;
  set_page_security_headers(call.res, form_action);
  call.res.set_header("Cache-Control", "no-store");
  call.res.set_content(std::move(html), "text/html; charset=utf-8");
}

constexpr std::string_view kLockedMessage =
    "Your account is locked: you've tried to sign in too many times with an incorrect user ID "
    "or password. Try again later.";

}  // namespace

std::string pages_base(const Call& call) {
  if (call.tenant_base.size() > call.origin.size())
    return call.tenant_base.substr(call.origin.size());
  // The authorize endpoint names its tenant in its own path: the pages are under /tenants/.
  if (call.path.starts_with("/" + call.tenant.name + "/")) return "/tenants/" + call.tenant.name;
  return "";
}

Status write_sign_in_form(Call& call, SignInForm form) {
  UPSYNC_ASSIGN_OR_RETURN(std::string flow, random_token(24));
  std::string hidden;
  form.hidden.emplace_back("flowToken", flow);
  for (const auto& [name, value] : form.hidden) {
    hidden += "<input type=\"hidden\" name=\"" + html_escape(name) + "\" value=\"" +
              html_escape(value) + "\">\n";
  }
  std::string error;
  if (!form.error.empty()) {
    error = "<p class=\"error\" role=\"alert\" id=\"error-message\">" + html_escape(form.error) +
            "</p>";
  }
  std::string html = render_template("signin.html", {{"tenant", call.tenant.name},
                                                     {"base", pages_base(call)},
                                                     {"action", form.action},
                                                     {"username", form.username},
                                                     {"error_html", error},
                                                     {"hidden_html", hidden}});
  call.res.set_header("Set-Cookie", flow_cookie_name(https_origin(call)) + "=" + flow +
                                        "; Path=/; HttpOnly; SameSite=Strict" +
                                        (https_origin(call) ? "; Secure" : ""));
  write_html(call, 200, std::move(html), form.form_action);
  return Status::ok();
}

void write_sign_in_error_page(Call& call, int http, int aadsts, std::string_view message) {
  std::string text = "AADSTS" + std::to_string(aadsts) + ": " + std::string(message);
  write_html(call, http,
             render_template("error.html", {{"base", pages_base(call)}, {"message", text}}));
}

Result<bool> check_sign_in_post(Call& call, const SignInForm& form) {
  std::string origin = call.req.get_header_value("Origin");
  std::string sent = call.req.get_param_value("flowToken");
  auto cookie = request_cookie(call.req, flow_cookie_name(https_origin(call)));
  bool same_origin = origin.empty() || origin == call.origin;
  if (same_origin && !sent.empty() && cookie && constant_time_equal(sent, *cookie)) return true;
  SignInForm again = form;
  again.error =
      "This sign-in form expired or was sent from another site. Enter your user name and "
      "password again.";
  UPSYNC_RETURN_IF_ERROR(write_sign_in_form(call, std::move(again)));
  call.res.status = 400;
  return false;
}

Status check_password_on_pool(Call& call, SignInForm form, SignedIn signed_in) {
  std::string username(trim(call.req.get_param_value("username")));
  std::string password = call.req.get_param_value("password");
  form.username = username;
  if (username.empty() || password.empty()) {
    form.error = username.empty() ? "Enter your user name." : "Enter your password.";
    return write_sign_in_form(call, std::move(form));
  }
  std::string account = std::to_string(call.tenant.id) + "/" + ascii_lower(username);
  SignInThrottle* throttle = call.server.sign_in_throttle.get();
  if (throttle->locked(account, call.req.remote_addr)) {
    form.error = std::string(kLockedMessage);
    return write_sign_in_form(call, std::move(form));
  }
  return sign_in_on_pool(call, [=](Call& c, std::chrono::milliseconds& delay) -> Status {
    SignInForm f = form;
    // Locked while this attempt waited in the queue: refused without hashing.
    if (throttle->locked(account, c.req.remote_addr)) {
      f.error = std::string(kLockedMessage);
      return write_sign_in_form(c, std::move(f));
    }
    UPSYNC_ASSIGN_OR_RETURN(auto creds, open_credential_store(c.store));
    auto person = sign_in_user(*creds, c.tenant, username, password);
    if (!person) {
      if (person.status().code() != StatusCode::kNotFound &&
          person.status().code() != StatusCode::kUnauthenticated) {
        return person.status();
      }
      // The same message for an unknown account and a wrong password (both hashed once).
      delay = throttle->failed(account, c.req.remote_addr);
      f.error = std::string(kWrongPasswordMessage);
      return write_sign_in_form(c, std::move(f));
    }
    throttle->succeeded(account);
    return signed_in(c, *person);
  });
}

Status start_session_for(Call& call, const Principal& person) {
  UPSYNC_ASSIGN_OR_RETURN(auto sign_ins, open_sign_in_store(call.store));
  int64_t now = unix_now();
  const SessionPolicy& policy = call.server.session_policy;
  UPSYNC_RETURN_IF_ERROR(
      sign_ins->purge_sessions(now - policy.absolute_seconds, now - policy.idle_seconds));
  // Whatever session id the browser brought (one planted by someone else, or its own) ends
  // here; the signed-in session gets a new one.
  if (auto old =
          request_cookie(call.req, session_cookie_name(https_origin(call), call.tenant.name))) {
    UPSYNC_RETURN_IF_ERROR(sign_ins->end_session(call.tenant.id, session_key(*old)));
  }
  UPSYNC_ASSIGN_OR_RETURN(NewBrowserSession made,
                          start_browser_session(*sign_ins, call.tenant.id, person, now));
  call.res.headers.emplace(
      "Set-Cookie", session_set_cookie(https_origin(call), call.tenant.name, made.cookie_value));
  // The login-CSRF cookie has done its work.
  call.res.headers.emplace("Set-Cookie", flow_cookie_name(https_origin(call)) +
                                             "=; Path=/; Max-Age=0; HttpOnly; SameSite=Strict" +
                                             (https_origin(call) ? "; Secure" : ""));
  return Status::ok();
}

}  // namespace upsync
