// Secrets at rest and on the wire: random client secrets, salted PBKDF2-SHA256 hashes of
// secrets and passwords (only the hash is stored), and base64url (RFC 4648 §5) for tokens.
//
//   auto secret = new_client_secret();                  // shown once to the admin
//   auto stored = hash_secret(*secret, kAppSecretIterations);
//   verify_secret(*secret, *stored);                    // true; constant-time compare
#pragma once

#include <string>
#include <string_view>

#include "core/status.h"

namespace upsync {

// Passwords are guessable, so they get many rounds; client secrets are 256 random bits,
// for which a few rounds cost an attacker as much as any number would.
inline constexpr int kPasswordIterations = 200000;
inline constexpr int kAppSecretIterations = 1000;

// 32 random bytes as base64url (43 characters).
Result<std::string> new_client_secret();
// "pbkdf2-sha256$<iterations>$<salt, base64url>$<hash, base64url>".
Result<std::string> hash_secret(std::string_view secret, int iterations);
// False for a wrong secret and for a stored hash that is not in the form above.
bool verify_secret(std::string_view secret, std::string_view stored);

// `bytes` random bytes as base64url: session ids, authorization codes, CSRF tokens.
Result<std::string> random_token(size_t bytes = 32);
// The SHA-256 digest of `data` (32 raw bytes): PKCE's S256, and the keys under which codes and
// session ids are stored (a reader of the database cannot use them).
std::string sha256_digest(std::string_view data);
// Compares without an early exit, for secrets.
bool constant_time_equal(std::string_view a, std::string_view b);

std::string base64url_encode(std::string_view bytes);
// Refuses characters outside the base64url alphabet, naming the position.
Result<std::string> base64url_decode(std::string_view text);

}  // namespace upsync
