// Signed bearer tokens: RS256 JSON Web Tokens (RFC 7519) as Azure AD's v2 endpoint issues
// them, signed with the server's RSA key and published as a JWKS for clients (MSAL) to check.
//
//   UPSYNC_ASSIGN_OR_RETURN(auto signer, TokenSigner::open(data_dir));  // makes the key once
//   auto jwt = signer->sign({{"tid", "contoso"}, {"exp", now + 3600}, ...});
//   auto claims = signer->verify(jwt, now);   // signature, alg, kid, exp and nbf checked
//
// The key lives in <data_dir>/keys/token-signing.pem (mode 0600); its "kid" is the base64url
// SHA-256 of its public key (RFC 7638 thumbprint), so a replaced key invalidates old tokens.
//
// A client sends the same token with every request until it expires, so verify() remembers
// the tokens whose signature it has checked (a bounded set, keyed by the token's exact
// bytes): the RSA check and the JSON parsing happen once per token, while expiry and nbf are
// checked against `now` on every call, as for a token never seen. What a token's claims name
// (an app that may have been removed since) is the caller's to check on every request.
#pragma once

#include <cstdint>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

#include "core/status.h"

namespace upsync {

class TokenSigner {
 public:
  // Loads the key, or creates a 2048-bit one when the file does not exist.
  static Result<std::unique_ptr<TokenSigner>> open(const std::string& data_dir);
  ~TokenSigner();
  TokenSigner(const TokenSigner&) = delete;
  TokenSigner& operator=(const TokenSigner&) = delete;

  const std::string& kid() const { return kid_; }
  // header.payload.signature with {"typ":"JWT","alg":"RS256","kid":kid()}.
  Result<std::string> sign(const nlohmann::json& claims) const;
  // The claims of a token this signer made, or Unauthenticated saying what is wrong (malformed,
  // wrong algorithm or key, bad signature, expired, not yet valid).
  // Safe to call from several threads at once.
  Result<nlohmann::json> verify(std::string_view token, int64_t now_unix) const;
  // {"keys":[{"kty":"RSA","use":"sig","alg":"RS256","kid":...,"n":...,"e":...}]}
  nlohmann::json jwks() const;

 private:
  struct Key;
  struct VerifiedTokens;
  explicit TokenSigner(std::unique_ptr<Key> key);
  // The signature and shape checks of verify(), without the cache and the time checks.
  Result<nlohmann::json> check_signature(std::string_view token) const;
  std::unique_ptr<Key> key_;
  std::unique_ptr<VerifiedTokens> verified_;
  std::string kid_;
  std::string n_;  // base64url modulus
  std::string e_;  // base64url exponent
};

}  // namespace upsync
