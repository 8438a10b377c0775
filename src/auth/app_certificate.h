// An app's certificate credential: the public half of the key an app signs its client
// assertions with (RFC 7523, as MSAL's `clientCertificate` sends them), registered from a PEM
// certificate as Azure AD's "Certificates & secrets" does. Only public data is kept: the
// thumbprints Azure AD names certificates by, the validity window and the public key.
//
//   UPSYNC_ASSIGN_OR_RETURN(AppCertificate cert, parse_certificate_pem(pem_text));
//   cert.thumbprint_sha1;   // "3F2504E04F8911D39A0C0305E82C3301..." (upper-case hex)
//   UPSYNC_RETURN_IF_ERROR(verify_jws_signature(cert.public_key_pem, "RS256", input, sig));
//
// A file that holds a private key is refused: the server has no use for it, and keeping it
// would make the server a place to steal it from.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

#include "core/status.h"

namespace upsync {

struct AppCertificate {
  std::string client_id;          // the app it belongs to (set by the caller, not the PEM)
  std::string thumbprint_sha1;    // upper-case hex of SHA-1 over the DER certificate
  std::string thumbprint_sha256;  // upper-case hex of SHA-256 over the DER certificate
  std::string subject;            // one line, RFC 2253
  std::string not_before;         // ISO 8601 UTC, "2026-01-01T00:00:00Z"
  std::string not_after;
  int64_t not_before_unix = 0;
  int64_t not_after_unix = 0;
  std::string public_key_pem;  // SubjectPublicKeyInfo, "-----BEGIN PUBLIC KEY-----"
  std::string added_at;        // set when registered
};

// The first certificate of a PEM text. InvalidArgument, saying why, for text without a
// certificate, a certificate that does not parse, a key that is not RSA (client assertions
// are RS256 / PS256), or text that carries a private key.
Result<AppCertificate> parse_certificate_pem(std::string_view pem);

// Checks a JWS signature (`signature` as raw bytes) over `signing_input` (header.payload)
// with an RSA public key: alg RS256 (PKCS#1 v1.5) or PS256 (PSS, salt as long as the
// digest, RFC 7518 §3.5). Unauthenticated when it does not verify; InvalidArgument for
// another alg.
Status verify_jws_signature(std::string_view public_key_pem, std::string_view alg,
                            std::string_view signing_input, std::string_view signature);

// {"clientId","thumbprint" (SHA-1),"thumbprintSha256","subject","notBefore","notAfter",
//  "publicKey" (PEM),"addedAt"}: what the CLI's --json and the admin API show.
nlohmann::json app_certificate_json(const AppCertificate& cert);

// Upper-case hex of raw bytes (thumbprints as Azure AD shows them).
std::string upper_hex(std::string_view bytes);

}  // namespace upsync
