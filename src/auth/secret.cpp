#include "auth/secret.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include <charconv>
#include <vector>

namespace upsync {

namespace {

constexpr std::string_view kAlphabet =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

Result<std::string> random_bytes(size_t n) {
  std::string out(n, '\0');
  if (RAND_bytes(reinterpret_cast<unsigned char*>(out.data()), static_cast<int>(n)) != 1) {
    return internal_error("the system's random number generator failed (OpenSSL RAND_bytes)");
  }
  return out;
}

std::string pbkdf2(std::string_view secret, std::string_view salt, int iterations) {
  std::string out(32, '\0');
  PKCS5_PBKDF2_HMAC(secret.data(), static_cast<int>(secret.size()),
                    reinterpret_cast<const unsigned char*>(salt.data()),
                    static_cast<int>(salt.size()), iterations, EVP_sha256(),
                    static_cast<int>(out.size()), reinterpret_cast<unsigned char*>(out.data()));
  return out;
}

}  // namespace

Result<std::string> random_token(size_t bytes) {
  UPSYNC_ASSIGN_OR_RETURN(std::string raw, random_bytes(bytes));
  return base64url_encode(raw);
}

std::string sha256_digest(std::string_view data) {
  std::string out(32, '\0');
  unsigned int len = 0;
  EVP_Digest(data.data(), data.size(), reinterpret_cast<unsigned char*>(out.data()), &len,
             EVP_sha256(), nullptr);
  return out;
}

bool constant_time_equal(std::string_view a, std::string_view b) {
  return a.size() == b.size() && CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

std::string base64url_encode(std::string_view bytes) {
  std::string out;
  out.reserve((bytes.size() * 4 + 2) / 3);
  uint32_t acc = 0;
  int bits = 0;
  for (unsigned char c : bytes) {
    acc = (acc << 8) | c;
    bits += 8;
    while (bits >= 6) {
      bits -= 6;
      out.push_back(kAlphabet[(acc >> bits) & 0x3F]);
    }
  }
  if (bits > 0) out.push_back(kAlphabet[(acc << (6 - bits)) & 0x3F]);
  return out;
}

Result<std::string> base64url_decode(std::string_view text) {
  std::string out;
  out.reserve(text.size() * 3 / 4);
  uint32_t acc = 0;
  int bits = 0;
  for (size_t i = 0; i < text.size(); ++i) {
    size_t v = kAlphabet.find(text[i]);
    if (v == std::string_view::npos) {
      return invalid_argument("base64url: character " + std::to_string(i + 1) +
                              " is not in the base64url alphabet");
    }
    acc = (acc << 6) | static_cast<uint32_t>(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out.push_back(static_cast<char>((acc >> bits) & 0xFF));
    }
  }
  if (text.size() % 4 == 1) return invalid_argument("base64url: truncated text");
  return out;
}

Result<std::string> new_client_secret() {
  UPSYNC_ASSIGN_OR_RETURN(std::string bytes, random_bytes(32));
  return base64url_encode(bytes);
}

Result<std::string> hash_secret(std::string_view secret, int iterations) {
  UPSYNC_ASSIGN_OR_RETURN(std::string salt, random_bytes(16));
  return "pbkdf2-sha256$" + std::to_string(iterations) + "$" + base64url_encode(salt) + "$" +
         base64url_encode(pbkdf2(secret, salt, iterations));
}

bool verify_secret(std::string_view secret, std::string_view stored) {
  std::vector<std::string_view> parts;
  size_t start = 0;
  for (size_t i = 0; i <= stored.size(); ++i) {
    if (i == stored.size() || stored[i] == '$') {
      parts.push_back(stored.substr(start, i - start));
      start = i + 1;
    }
  }
  if (parts.size() != 4 || parts[0] != "pbkdf2-sha256") return false;
  int iterations = 0;
  auto [p, ec] = std::from_chars(parts[1].data(), parts[1].data() + parts[1].size(), iterations);
  if (ec != std::errc() || iterations <= 0) return false;
  auto salt = base64url_decode(parts[2]);
  auto want = base64url_decode(parts[3]);
  if (!salt || !want || want->size() != 32) return false;
  std::string got = pbkdf2(secret, *salt, iterations);
  return CRYPTO_memcmp(got.data(), want->data(), got.size()) == 0;
}

}  // namespace upsync
