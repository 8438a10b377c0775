// The sign-in form of a person in a browser, shared by the OAuth authorize endpoint (a client
// app's sign-in) and /_layouts/15/Authenticate.aspx (upsync's own pages): its checks, the
// form's HTML (src/pages/templates/signin.html) and the password check that ends it.
//
// Login CSRF: the form carries a random token that must come back both as a form field and as
// the sign-in cookie the same answer set ("__Host-upsync-signin" over TLS, else
// "upsync-signin"; HttpOnly, SameSite=Strict). Another site can make a browser post a form to
// us, but cannot read or set that cookie, so it cannot sign a victim's browser in to the
// attacker's account. A post whose Origin header names another origin is refused as well.
//
// A wrong password and an unknown account get the same form, message and delay; failures
// are counted per account and per address by the server's SignInThrottle (smart lockout,
// auth/sign_in_throttle.h), exactly as the password grant counts them.
#pragma once

#include <functional>
#include <string>
#include <utility>
#include <vector>

#include "auth/principal.h"
#include "http/router.h"

namespace upsync {

inline constexpr std::string_view kWrongPasswordMessage =
    "Your account or password is incorrect. If you don't remember your password, ask your "
    "administrator to reset it.";

struct SignInForm {
  std::string action;  // where the form posts (absolute path on this origin)
  std::vector<std::pair<std::string, std::string>> hidden;  // carried through the post
  std::string username;
  std::string error;        // shown above the fields, "" for none
  std::string form_action;  // extra origins for the page's CSP form-action (redirect target)
};

// Writes the form page (200) with a new login-CSRF token, in its field and its cookie.
Status write_sign_in_form(Call& call, SignInForm form);
// An error page (the authorize endpoint's errors that must not be redirected), with Azure
// AD's code: "AADSTS50011: The redirect URI ...".
void write_sign_in_error_page(Call& call, int http, int aadsts, std::string_view message);

// The login-CSRF check of a posted form: the token field equals the cookie, and the Origin
// (when sent) is this server's. A refusal re-renders `form` with a message and writes OK.
// Returns true when the post may go on.
Result<bool> check_sign_in_post(Call& call, const SignInForm& form);

// Checks the posted username and password on the sign-in pool (throttled as the password
// grant); on success calls `signed_in` there with the person, which writes the answer; on a
// failure re-renders `form` with the message.
using SignedIn = std::function<Status(Call&, const Principal&)>;
Status check_password_on_pool(Call& call, SignInForm form, SignedIn signed_in);

// After a successful sign-in: ends the browser's old session (if any), starts a new one with a
// new id (no session fixation) and sets its cookie on the answer.
Status start_session_for(Call& call, const Principal& person);

// The tenant base of the pages for this request: "/tenants/<t>" when the tenant came by path
// or by the authorize endpoint's path, else "" (host-named tenant).
std::string pages_base(const Call& call);

}  // namespace upsync
