#include "http/browser_session.h"

#include "auth/credential_cache.h"
#include "auth/secret.h"
#include "core/clock.h"
#include "core/text.h"

namespace upsync {

std::string session_cookie_name(bool tls, std::string_view tenant) {
  return std::string(tls ? "__Host-upsync-" : "upsync-") + std::string(tenant);
}

std::optional<std::string> request_cookie(const HttpRequest& req, std::string_view name) {
  auto [from, to] = req.headers.equal_range("Cookie");
  for (auto it = from; it != to; ++it) {
    std::string_view rest = it->second;
    while (!rest.empty()) {
      size_t semi = rest.find(';');
      std::string_view pair = trim(rest.substr(0, semi));
      rest = semi == std::string_view::npos ? std::string_view() : rest.substr(semi + 1);
      size_t eq = pair.find('=');
      if (eq == std::string_view::npos) continue;
      if (trim(pair.substr(0, eq)) == name) return std::string(trim(pair.substr(eq + 1)));
    }
  }
  return std::nullopt;
}

std::string session_set_cookie(bool tls, std::string_view tenant, std::string_view value) {
  return session_cookie_name(tls, tenant) + "=" + std::string(value) +
         "; Path=/; HttpOnly; SameSite=Strict" + (tls ? "; Secure" : "");
}

std::string session_clear_cookie(bool tls, std::string_view tenant) {
  return session_cookie_name(tls, tenant) + "=; Path=/; Max-Age=0; HttpOnly; SameSite=Strict" +
         (tls ? "; Secure" : "");
}

Status attach_session_caller(Call& call) {
  if (call.principal) return Status::ok();
  auto value = request_cookie(call.req, session_cookie_name(https_origin(call), call.tenant.name));
  if (!value) return Status::ok();
  UPSYNC_ASSIGN_OR_RETURN(auto sign_ins, open_sign_in_store(call.store));
  UPSYNC_ASSIGN_OR_RETURN(auto session,
                          find_browser_session(*sign_ins, call.tenant.id, *value,
                                               call.server.session_policy, unix_now()));
  if (!session) return Status::ok();
  CredentialCache* cache =
      call.server.thread_credentials ? &call.server.thread_credentials() : nullptr;
  UPSYNC_ASSIGN_OR_RETURN(CredentialRecord person,
                          cache ? cache->person(call.store, call.tenant.id, session->upn)
                                : read_person_record(call.store, call.tenant.id, session->upn));
  // A password removed or changed, or a new role, since the sign-in: the session is over, as
  // the person's bearer tokens are.
  if (!person.present || person.token_generation != session->token_generation) {
    return Status::ok();
  }
  const std::string& method = call.req.method;
  if (method != "GET" && method != "HEAD") {
    std::string sent = call.req.get_header_value(kCsrfHeader);
    if (sent.empty() || !constant_time_equal(sent, session->csrf_token)) {
      return permission_denied(
          "this write came with the session cookie of upsync's pages but without its CSRF "
          "token: send the token of GET /_layouts/15/upsync/session in the " +
          std::string(kCsrfHeader) + " header");
    }
  }
  Principal who;
  who.tenant = call.tenant.name;
  who.role = person.role;
  who.upn = person.name.empty() ? session->upn : person.name;
  who.display_name = who.upn;
  who.token_generation = person.token_generation;
  call.principal = std::move(who);
  call.session = std::move(*session);
  return Status::ok();
}

Status touch_session_if_stale(Store& store, const Tenant& tenant, const BrowserSession& session,
                              const SessionPolicy& policy) {
  int64_t now = unix_now();
  if (now - session.last_seen_at < policy.touch_every_seconds) return Status::ok();
  UPSYNC_ASSIGN_OR_RETURN(auto sign_ins, open_sign_in_store(store));
  return sign_ins->touch_session(tenant.id, session.key, now);
}

}  // namespace upsync
