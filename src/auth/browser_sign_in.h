// The rules of a person's sign-in in a browser, over the rows of sign_in_store.h:
//
// Authorization codes (OAuth 2.0 code flow, RFC 6749 §4.1, with PKCE, RFC 7636): a code is
// 32 random bytes, good once, for kCodeLifetimeSeconds, and only for the client, the redirect
// URI and the PKCE challenge it was issued with (S256 only: "plain" would let whoever sees
// the authorize request redeem the code). The person's token generation is kept with it, so a
// password or role change between sign-in and redemption makes it useless.
//
//   UPSYNC_ASSIGN_OR_RETURN(std::string code, issue_code(*sign_ins, tenant.id, grant, now));
//   ... redirect_uri?code=<code>&state=...
//   UPSYNC_ASSIGN_OR_RETURN(TakenCode taken, sign_ins->take_code(tenant.id, code_key(code), now));
//   if (taken.state == CodeTake::kFresh && pkce_matches(verifier, taken.code.code_challenge)) ...
//
// Refresh tokens (offline_access): 32 random bytes, stored as their SHA-256, each redeemed
// once for the next of its family (sign_in_store.h), for kRefreshTokenLifetimeSeconds.
//
// Browser sessions (the cookie of upsync's own pages): a new random id at every sign-in (so
// an id planted before sign-in is never the signed-in one: no session fixation), a CSRF token
// of its own, an idle expiry and an absolute one (SessionPolicy). A session is the person's
// at one token generation: a password change, a role change or a removal ends it, as it
// revokes their bearer tokens (credentials.h).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "auth/credentials.h"
#include "auth/principal.h"
#include "auth/sign_in_store.h"
#include "core/status.h"
#include "core/tenant.h"

namespace upsync {

inline constexpr int64_t kCodeLifetimeSeconds = 300;
// Azure AD's refresh tokens last 90 days (each redemption gives a new one, for 90 more).
inline constexpr int64_t kRefreshTokenLifetimeSeconds = 90 * 24 * 3600;

struct SessionPolicy {
  int64_t idle_seconds = 3600;          // a session unused this long is over
  int64_t absolute_seconds = 8 * 3600;  // and any session this long after sign-in
  // last_seen_at is written at most this often (a write per request would serialise readers).
  int64_t touch_every_seconds = 60;
};

// base64url(SHA-256(text)): how codes and session ids are stored.
std::string code_key(std::string_view code);
std::string session_key(std::string_view cookie_value);

// PKCE S256: base64url(SHA-256(verifier)) == challenge, compared in constant time. A verifier
// must be 43-128 characters of [A-Za-z0-9-._~] (RFC 7636 §4.1); anything else never matches.
bool pkce_matches(std::string_view verifier, std::string_view challenge);
// A challenge as S256 makes it: 43 base64url characters.
bool is_s256_challenge(std::string_view challenge);

// Stores `grant` (key and times filled in here) and returns the code's text.
Result<std::string> issue_code(SignInStore& store, TenantId tenant, AuthorizationCode grant,
                               int64_t now);

// Stores `grant` (key, times and, when `grant.family` is empty, a new family filled in here)
// and returns the refresh token's text: 32 random bytes, base64url.
Result<std::string> issue_refresh_token(SignInStore& store, TenantId tenant, RefreshGrant grant,
                                        int64_t now);

// What a redirect URI may be when registered: absolute, https (or http to localhost /
// 127.0.0.1 / [::1], as Azure AD allows for native apps), no fragment, at most 256
// characters, no user info. InvalidArgument saying what is wrong.
Status check_redirect_uri(std::string_view uri);

// Registers an app with its redirect URIs, all or nothing: every URI is checked first, then
// the app and its URIs are stored in one transaction.
Result<NewApp> register_app_with_redirect_uris(Store& store, const Tenant& tenant,
                                               std::string_view name,
                                               const std::vector<std::string>& redirect_uris);

struct NewBrowserSession {
  std::string cookie_value;  // only here: the store keeps its SHA-256
  BrowserSession session;
};
Result<NewBrowserSession> start_browser_session(SignInStore& store, TenantId tenant,
                                                const Principal& person, int64_t now);
// The live session the cookie value names, or nullopt: unknown, signed out, or past an
// expiry. Reads only. The token generation is the caller's to compare.
Result<std::optional<BrowserSession>> find_browser_session(SignInStore& store, TenantId tenant,
                                                           std::string_view cookie_value,
                                                           const SessionPolicy& policy,
                                                           int64_t now);

}  // namespace upsync
