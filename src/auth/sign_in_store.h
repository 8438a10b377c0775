// What a person's sign-in in a browser leaves in the store: the redirect URIs registered for
// an app, the one-time authorization codes of the OAuth 2.0 code flow (RFC 6749 §4.1 with
// PKCE, RFC 7636), the refresh tokens of offline_access, and the server-side sessions behind
// upsync's own pages' cookie. All of it
// lives in the store, not in a process's memory, so that several `upsync serve` processes
// over one database share it: a code issued by one is redeemed at another, a sign-out at one
// ends the session at all.
//
//   UPSYNC_ASSIGN_OR_RETURN(auto sign_ins, open_sign_in_store(*store));
//   sign_ins->add_redirect_uri(tenant.id, client_id, "https://app.example.com/callback");
//   sign_ins->put_code(tenant.id, code);            // code.key = sha256 of the code's text
//   auto taken = sign_ins->take_code(tenant.id, key, now);  // at most once kFresh
//   sign_ins->put_session(tenant.id, session);      // session.key = sha256 of the cookie value
//
// Codes, refresh tokens and session ids are stored as their SHA-256 (the `key` fields, base64url),
// never as sent: a copy of the database gives nobody a usable code or cookie. The rules of expiry,
// binding and PKCE are browser_sign_in.h's; this interface only keeps the rows.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"
#include "core/tenant.h"
#include "store/store.h"

namespace upsync {

// A code the authorize endpoint gave a person's browser for one client.
struct AuthorizationCode {
  std::string key;  // base64url of the SHA-256 of the code
  std::string client_id;
  std::string redirect_uri;    // exactly as the authorize request named it
  std::string code_challenge;  // PKCE S256 challenge (base64url)
  std::string scope;
  std::string nonce;             // copied into the id token; "" when the request had none
  std::string upn;               // the person who signed in
  int64_t token_generation = 0;  // theirs at sign-in: a change since makes the code useless
  int64_t issued_at = 0;         // unix seconds
  int64_t expires_at = 0;
};

enum class CodeTake {
  kFresh,    // this call took it: the only one that ever will
  kUsed,     // redeemed before (a replay)
  kExpired,  // past its expiry, never redeemed
  kUnknown,  // never issued here (or purged long after expiry)
};

struct TakenCode {
  CodeTake state = CodeTake::kUnknown;
  AuthorizationCode code;  // set for kFresh
};

// A refresh token (scope offline_access) that a person's sign-in gave one client. Each is
// redeemed once: the redemption answers an access token and the next refresh token of the same
// family (rotation). A token presented again after its redemption is a replay, and revokes its
// whole family, since either the client or a thief holds a copy.
struct RefreshGrant {
  std::string key;     // base64url of the SHA-256 of the token
  std::string family;  // the key of the family's first token: one sign-in's chain
  std::string client_id;
  std::string upn;
  std::string scope;
  int64_t token_generation = 0;  // the person's when the family began
  int64_t issued_at = 0;         // unix seconds
  int64_t expires_at = 0;
};

enum class RefreshTake {
  kFresh,    // this call took it: the only one that ever will
  kUsed,     // redeemed before: a replay (the grant is set, for its family)
  kExpired,  // past its expiry
  kUnknown,  // never issued, revoked, or purged after expiry
};

struct TakenRefresh {
  RefreshTake state = RefreshTake::kUnknown;
  RefreshGrant grant;  // set for kFresh and kUsed
};

// A signed-in browser of upsync's own pages.
struct BrowserSession {
  std::string key;  // base64url of the SHA-256 of the cookie's value
  std::string upn;
  int64_t token_generation = 0;  // the person's at sign-in
  std::string csrf_token;        // sent back by the pages in a header on every write
  int64_t created_at = 0;        // unix seconds
  int64_t last_seen_at = 0;      // the idle expiry counts from here
};

class SignInStore {
 public:
  virtual ~SignInStore() = default;

  // AlreadyExists when the app has it; NotFound when the tenant has no such app.
  virtual Status add_redirect_uri(TenantId tenant, std::string_view client_id,
                                  std::string_view uri) = 0;
  // The app's redirect URIs in the order added (none for an unknown app).
  virtual Result<std::vector<std::string>> redirect_uris(TenantId tenant,
                                                         std::string_view client_id) = 0;

  virtual Status put_code(TenantId tenant, const AuthorizationCode& code) = 0;
  // Marks the code used and returns it, atomically: of two processes redeeming one code at
  // once, one gets kFresh and the other kUsed. Deletes codes expired long before `now`.
  virtual Result<TakenCode> take_code(TenantId tenant, std::string_view key, int64_t now) = 0;

  virtual Status put_refresh_token(TenantId tenant, const RefreshGrant& grant) = 0;
  // Marks the token used and returns it, atomically (as take_code). Deletes tokens expired
  // before `now`.
  virtual Result<TakenRefresh> take_refresh_token(TenantId tenant, std::string_view key,
                                                  int64_t now) = 0;
  // Deletes every token of a family (a replay), or of a person (sign-out); OK when none.
  virtual Status revoke_refresh_family(TenantId tenant, std::string_view family) = 0;
  virtual Status revoke_refresh_tokens(TenantId tenant, std::string_view upn) = 0;

  virtual Status put_session(TenantId tenant, const BrowserSession& session) = 0;
  virtual Result<std::optional<BrowserSession>> session(TenantId tenant, std::string_view key) = 0;
  virtual Status touch_session(TenantId tenant, std::string_view key, int64_t now) = 0;
  // Ends it (sign-out); OK when there was none.
  virtual Status end_session(TenantId tenant, std::string_view key) = 0;
  // Deletes the sessions created before `created_before` or idle since before `idle_before`.
  virtual Status purge_sessions(int64_t created_before, int64_t idle_before) = 0;
};

inline Result<std::unique_ptr<SignInStore>> open_sign_in_store(Store& store) {
  return store.sign_in_store();
}

}  // namespace upsync
