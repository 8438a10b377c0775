// The cookie session of upsync's own pages (page_assets.h): how a browser that signed in on
// the sign-in page (authorize_routes.cpp) is recognised on later requests.
//
// The cookie: one per tenant, named "__Host-upsync-<tenant>" over https (the __Host- prefix
// makes the browser refuse it unless Secure, Path=/ and without Domain, so a sibling host
// cannot plant or overwrite it) and "upsync-<tenant>" over plain HTTP; HttpOnly (no script
// reads it), SameSite=Strict (no other site's page sends it, not even by a link), Secure over
// TLS, a session cookie (no Max-Age: the server's expiry rules, browser_sign_in.h). Its value
// is 32 random bytes; the store has only their SHA-256.
//
// The router (router.h) takes the cookie as the caller of a request that has no bearer token:
// the same Principal as a bearer token of that person (role from the store), provided the
// session is live (not signed out, within its idle and absolute expiry) and the person's token
// generation is still the one they signed in at. A write (any method but GET and HEAD) with
// the cookie must also carry the session's CSRF token in X-RequestDigest, else 403, whatever
// the route: SameSite already keeps other sites' requests from carrying the cookie, and the
// token makes that hold in browsers that ignore SameSite too. A bearer token, when sent, is the
// caller and the cookie is ignored: the cookie never weakens or widens bearer auth.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "auth/browser_sign_in.h"
#include "http/router.h"

namespace upsync {

inline constexpr std::string_view kCsrfHeader = "X-RequestDigest";

// Whether the request's public origin is https (served over TLS here, or by a TLS proxy named
// with --public-host https://...): the cookies are then Secure and __Host- prefixed.
inline bool https_origin(const Call& call) { return call.origin.starts_with("https://"); }

std::string session_cookie_name(bool tls, std::string_view tenant);
// The value of cookie `name` in the request's Cookie headers (the first), or nullopt.
std::optional<std::string> request_cookie(const HttpRequest& req, std::string_view name);
// Set-Cookie values: the session cookie, and one that removes it.
std::string session_set_cookie(bool tls, std::string_view tenant, std::string_view value);
std::string session_clear_cookie(bool tls, std::string_view tenant);

// For Router::dispatch: when `call` has no principal and carries the tenant's session cookie,
// sets call.principal and call.session from a live session. Returns PermissionDenied for a
// write without the session's CSRF token; OK otherwise (an unknown, expired or revoked session
// leaves the call without a caller, and a route that needs one answers 401).
Status attach_session_caller(Call& call);

// Writes the session's last use when it is older than the policy's touch interval (outside
// a read snapshot: the router calls it after the handler).
Status touch_session_if_stale(Store& store, const Tenant& tenant, const BrowserSession& session,
                              const SessionPolicy& policy);

}  // namespace upsync
