#include "auth/client_assertion.h"

#include <nlohmann/json.hpp>

#include "auth/secret.h"
#include "core/text.h"

namespace upsync {

namespace {

AssertionRefusal refuse(int aadsts, std::string description) {
  return {401, "invalid_client", aadsts, std::move(description)};
}

AssertionRefusal malformed(std::string why) {
  return refuse(50027, "JWT token is invalid or malformed: " + why + ".");
}

// Azure AD's tail of its AADSTS700027 answers.
std::string keys_hint(std::string_view client_id) {
  return "Please visit the Azure Portal, Graph Explorer or directly use MS Graph to see "
         "configured keys for app Id '" +
         std::string(client_id) + "'.";
}

struct ParsedJwt {
  nlohmann::json header;
  nlohmann::json claims;
  std::string signing_input;
  std::string signature;
};

std::variant<ParsedJwt, AssertionRefusal> parse_jwt(std::string_view jwt) {
  size_t dot1 = jwt.find('.');
  size_t dot2 = dot1 == std::string_view::npos ? dot1 : jwt.find('.', dot1 + 1);
  if (dot2 == std::string_view::npos || jwt.find('.', dot2 + 1) != std::string_view::npos) {
    return malformed("it is not three base64url parts joined by dots");
  }
  auto header = base64url_decode(jwt.substr(0, dot1));
  auto claims = base64url_decode(jwt.substr(dot1 + 1, dot2 - dot1 - 1));
  auto signature = base64url_decode(jwt.substr(dot2 + 1));
  if (!header || !claims || !signature) return malformed("a part is not base64url");
  ParsedJwt out;
  out.header = nlohmann::json::parse(*header, nullptr, false);
  out.claims = nlohmann::json::parse(*claims, nullptr, false);
  if (!out.header.is_object() || !out.claims.is_object()) {
    return malformed("its header or claims are not a JSON object");
  }
  out.signing_input = std::string(jwt.substr(0, dot2));
  out.signature = std::move(*signature);
  return out;
}

std::string string_claim(const nlohmann::json& j, const char* name) {
  auto it = j.find(name);
  return it != j.end() && it->is_string() ? it->get<std::string>() : std::string();
}

// The time checks: exp required, nbf optional, both within the clock skew, and a lifetime no
// longer than kMaxAssertionLifetime.
std::optional<AssertionRefusal> check_times(const nlohmann::json& claims, int64_t now) {
  auto exp = claims.find("exp");
  if (exp == claims.end() || !exp->is_number_integer()) return malformed("it has no exp claim");
  auto nbf_it = claims.find("nbf");
  if (nbf_it != claims.end() && !nbf_it->is_number_integer()) {
    return malformed("its nbf claim is not a number");
  }
  const int64_t e = exp->get<int64_t>();
  const int64_t n = nbf_it != claims.end() ? nbf_it->get<int64_t>() : now;
  const bool in_window = now < e + kAssertionClockSkew && now + kAssertionClockSkew >= n;
  if (!in_window || e - n > kMaxAssertionLifetime || e <= n) {
    return refuse(700024, "Client assertion is not within its valid time range. Current time: " +
                              std::to_string(now) + ", assertion valid from " + std::to_string(n) +
                              ", expiry time of assertion " + std::to_string(e) + ".");
  }
  return std::nullopt;
}

}  // namespace

Result<AssertionOutcome> sign_in_with_assertion(CredentialStore& creds, const Tenant& tenant,
                                                std::string_view client_id,
                                                std::string_view assertion,
                                                std::string_view token_endpoint, int64_t now) {
  auto parsed = parse_jwt(assertion);
  if (auto* no = std::get_if<AssertionRefusal>(&parsed)) return AssertionOutcome(*no);
  const ParsedJwt& jwt = std::get<ParsedJwt>(parsed);

  auto app = creds.app_with_secret(tenant.id, client_id);
  if (!app) {
    if (app.status().code() != StatusCode::kNotFound) return app.status();
    return AssertionOutcome(
        AssertionRefusal{400, "unauthorized_client", 700016,
                         "Application with identifier '" + std::string(client_id) +
                             "' was not found in the directory '" + tenant.name + "'."});
  }
  const std::string iss = string_claim(jwt.claims, "iss");
  const std::string sub = string_claim(jwt.claims, "sub");
  if (!ascii_iequal(iss, client_id) || !ascii_iequal(sub, client_id)) {
    return AssertionOutcome(
        refuse(700021,
               "Client assertion application identifier doesn't match 'client_id' parameter. "
               "Review the documentation at https://learn.microsoft.com/entra/identity-platform/"
               "certificate-credentials ."));
  }
  if (string_claim(jwt.claims, "jti").empty()) {
    return AssertionOutcome(malformed("it has no jti claim"));
  }
  // A single audience, this tenant's token endpoint (Azure AD refuses an array of several).
  if (string_claim(jwt.claims, "aud") != token_endpoint) {
    return AssertionOutcome(
        refuse(50012,
               "Client assertion audience claim does not match Realm issuer. The "
               "audience must be '" +
                   std::string(token_endpoint) + "'."));
  }
  if (auto no = check_times(jwt.claims, now)) return AssertionOutcome(*no);

  // The certificate the header names: x5t#S256 (SHA-256) or x5t (SHA-1), base64url.
  const bool sha256 = jwt.header.contains("x5t#S256");
  const std::string named = string_claim(jwt.header, sha256 ? "x5t#S256" : "x5t");
  if (named.empty()) {
    return AssertionOutcome(
        malformed("its header names no certificate (x5t or x5t#S256 thumbprint)"));
  }
  auto raw = base64url_decode(named);
  if (!raw || raw->size() != (sha256 ? 32u : 20u)) {
    return AssertionOutcome(malformed("its header's certificate thumbprint is not base64url of a " +
                                      std::string(sha256 ? "SHA-256" : "SHA-1") + " digest"));
  }
  const std::string thumbprint = upper_hex(*raw);
  UPSYNC_ASSIGN_OR_RETURN(auto certs, creds.certificates(tenant.id, client_id));
  const AppCertificate* cert = nullptr;
  for (const auto& c : certs) {
    if ((sha256 ? c.thumbprint_sha256 : c.thumbprint_sha1) == thumbprint) cert = &c;
  }
  if (cert == nullptr) {
    return AssertionOutcome(
        refuse(700027,
               "The certificate with identifier used to sign the client assertion is not "
               "registered on application. [Reason - The key was not found., Thumbprint of key "
               "used by client: '" +
                   thumbprint + "', " + keys_hint(client_id) + "]"));
  }
  if (now < cert->not_before_unix || now >= cert->not_after_unix) {
    const bool expired = now >= cert->not_after_unix;
    return AssertionOutcome(refuse(
        700027, std::string("Client assertion contains an invalid signature. [Reason - The key "
                            "used is ") +
                    (expired ? "expired" : "not yet valid") +
                    "., Thumbprint of key used by client: '" + thumbprint +
                    "', Found key 'Start=" + cert->not_before + ", End=" + cert->not_after + "', " +
                    keys_hint(client_id) + "]"));
  }
  const std::string alg = string_claim(jwt.header, "alg");
  if (alg != "RS256" && alg != "PS256") {
    return AssertionOutcome(
        malformed("its alg '" + quote_for_message(alg, 40) + "' is not RS256 or PS256"));
  }
  Status verified =
      verify_jws_signature(cert->public_key_pem, alg, jwt.signing_input, jwt.signature);
  if (verified.code() == StatusCode::kUnauthenticated) {
    return AssertionOutcome(
        refuse(700027,
               "Client assertion failed signature validation. [Reason - The provided signature "
               "value did not match the expected signature value., Thumbprint of key used by "
               "client: '" +
                   thumbprint + "', " + keys_hint(client_id) + "]"));
  }
  UPSYNC_RETURN_IF_ERROR(verified);

  Principal p;
  p.tenant = tenant.name;
  p.role = Role::kApp;
  p.client_id = app->first.client_id;
  p.display_name = app->first.name;
  p.token_generation = app->first.token_generation;
  return AssertionOutcome(std::move(p));
}

}  // namespace upsync
