#include "auth/browser_sign_in.h"

#include "auth/secret.h"
#include "core/text.h"

namespace upsync {

std::string code_key(std::string_view code) { return base64url_encode(sha256_digest(code)); }
std::string session_key(std::string_view cookie_value) {
  return base64url_encode(sha256_digest(cookie_value));
}

namespace {

bool all_of_alphabet(std::string_view s, std::string_view extra) {
  for (char c : s) {
    bool ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
              extra.find(c) != std::string_view::npos;
    if (!ok) return false;
  }
  return true;
}

}  // namespace

bool pkce_matches(std::string_view verifier, std::string_view challenge) {
  if (verifier.size() < 43 || verifier.size() > 128 || !all_of_alphabet(verifier, "-._~")) {
    return false;
  }
  return constant_time_equal(base64url_encode(sha256_digest(verifier)), challenge);
}

bool is_s256_challenge(std::string_view challenge) {
  return challenge.size() == 43 && all_of_alphabet(challenge, "-_");
}

Result<std::string> issue_code(SignInStore& store, TenantId tenant, AuthorizationCode grant,
                               int64_t now) {
  UPSYNC_ASSIGN_OR_RETURN(std::string code, random_token(32));
  grant.key = code_key(code);
  grant.issued_at = now;
  grant.expires_at = now + kCodeLifetimeSeconds;
  UPSYNC_RETURN_IF_ERROR(store.put_code(tenant, grant));
  return code;
}

Result<std::string> issue_refresh_token(SignInStore& store, TenantId tenant, RefreshGrant grant,
                                        int64_t now) {
  UPSYNC_ASSIGN_OR_RETURN(std::string token, random_token(32));
  grant.key = code_key(token);
  if (grant.family.empty()) grant.family = grant.key;
  grant.issued_at = now;
  grant.expires_at = now + kRefreshTokenLifetimeSeconds;
  UPSYNC_RETURN_IF_ERROR(store.put_refresh_token(tenant, grant));
  return token;
}

Status check_redirect_uri(std::string_view uri) {
  auto bad = [&](std::string why) {
    return invalid_argument("redirect URI " + quote_for_message(uri) + ": " + why);
  };
  if (uri.size() > 256) return bad("longer than 256 characters");
  for (unsigned char c : uri) {
    if (c <= 0x20 || c >= 0x7F) return bad("has a space, a control or a non-ASCII character");
  }
  if (uri.find('#') != std::string_view::npos) return bad("has a fragment (#...)");
  std::string lower = ascii_lower(uri);
  std::string_view rest;
  bool https = lower.starts_with("https://");
  if (https) {
    rest = std::string_view(lower).substr(8);
  } else if (lower.starts_with("http://")) {
    rest = std::string_view(lower).substr(7);
  } else {
    return bad("must start with https:// (or http:// for localhost)");
  }
  std::string_view authority = rest.substr(0, rest.find_first_of("/?"));
  if (authority.empty()) return bad("names no host");
  if (authority.find('@') != std::string_view::npos) return bad("has user info (@)");
  if (!https) {
    std::string_view host = authority;
    if (host.starts_with("[::1]")) {
      host = "[::1]";
    } else {
      host = host.substr(0, host.find(':'));
    }
    if (host != "localhost" && host != "127.0.0.1" && host != "[::1]") {
      return bad("http:// is allowed for localhost only; use https://");
    }
  }
  return Status::ok();
}

Result<NewApp> register_app_with_redirect_uris(Store& store, const Tenant& tenant,
                                               std::string_view name,
                                               const std::vector<std::string>& redirect_uris) {
  for (const auto& uri : redirect_uris) UPSYNC_RETURN_IF_ERROR(check_redirect_uri(uri));
  NewApp made;
  UPSYNC_RETURN_IF_ERROR(store.in_transaction([&]() -> Status {
    UPSYNC_ASSIGN_OR_RETURN(auto creds, open_credential_store(store));
    UPSYNC_ASSIGN_OR_RETURN(made, register_app(*creds, tenant, name));
    UPSYNC_ASSIGN_OR_RETURN(auto sign_ins, open_sign_in_store(store));
    for (const auto& uri : redirect_uris) {
      Status added = sign_ins->add_redirect_uri(tenant.id, made.app.client_id, uri);
      // The same URI twice in one registration is one URI.
      if (!added.is_ok() && added.code() != StatusCode::kAlreadyExists) return added;
    }
    return Status::ok();
  }));
  return made;
}

Result<NewBrowserSession> start_browser_session(SignInStore& store, TenantId tenant,
                                                const Principal& person, int64_t now) {
  NewBrowserSession out;
  UPSYNC_ASSIGN_OR_RETURN(out.cookie_value, random_token(32));
  UPSYNC_ASSIGN_OR_RETURN(std::string csrf, random_token(32));
  out.session = {session_key(out.cookie_value),
                 person.upn,
                 person.token_generation,
                 std::move(csrf),
                 now,
                 now};
  UPSYNC_RETURN_IF_ERROR(store.put_session(tenant, out.session));
  return out;
}

Result<std::optional<BrowserSession>> find_browser_session(SignInStore& store, TenantId tenant,
                                                           std::string_view cookie_value,
                                                           const SessionPolicy& policy,
                                                           int64_t now) {
  // A cookie value we never issue (wrong length or alphabet) is not looked up.
  if (cookie_value.size() != 43 || !all_of_alphabet(cookie_value, "-_")) {
    return std::optional<BrowserSession>();
  }
  UPSYNC_ASSIGN_OR_RETURN(auto found, store.session(tenant, session_key(cookie_value)));
  if (!found) return std::optional<BrowserSession>();
  // An expired row is left for purge_sessions (each sign-in runs it): this runs inside a
  // GET's read snapshot, where nothing is written.
  if (now - found->created_at >= policy.absolute_seconds ||
      now - found->last_seen_at >= policy.idle_seconds) {
    return std::optional<BrowserSession>();
  }
  return found;
}

}  // namespace upsync
