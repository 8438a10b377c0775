#include "auth/token_signer.h"

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <filesystem>
#include <system_error>
#include <unordered_map>

#include "auth/secret.h"

namespace upsync {

struct TokenSigner::Key {
  EVP_PKEY* pkey = nullptr;
  ~Key() { EVP_PKEY_free(pkey); }
};

// Tokens whose signature checked out, with their claims. Bounded: when full, an arbitrary
// entry makes room (a client whose token is dropped pays one more RSA check).
struct TokenSigner::VerifiedTokens {
  static constexpr size_t kMaxTokens = 1024;
  std::mutex mu;
  std::unordered_map<std::string, nlohmann::json> claims;
};

namespace {

Result<std::string> bn_param(EVP_PKEY* pkey, const char* name) {
  BIGNUM* bn = nullptr;
  if (EVP_PKEY_get_bn_param(pkey, name, &bn) != 1) {
    return internal_error(std::string("token signing key: no RSA parameter ") + name);
  }
  std::string bytes(static_cast<size_t>(BN_num_bytes(bn)), '\0');
  BN_bn2bin(bn, reinterpret_cast<unsigned char*>(bytes.data()));
  BN_free(bn);
  return bytes;
}

Result<std::string> sha256(std::string_view data) {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  if (EVP_Digest(data.data(), data.size(), md, &len, EVP_sha256(), nullptr) != 1) {
    return internal_error("SHA-256 failed");
  }
  return std::string(reinterpret_cast<char*>(md), len);
}

Status invalid_token(std::string why) { return unauthenticated("invalid token: " + why); }

// The checks of a well-signed token's claims that depend on the time.
Status check_times(const nlohmann::json& claims, int64_t now_unix) {
  auto exp = claims.find("exp");
  if (exp == claims.end() || !exp->is_number_integer()) return invalid_token("no expiry (exp)");
  if (exp->get<int64_t>() <= now_unix) return invalid_token("the token has expired");
  auto nbf = claims.find("nbf");
  if (nbf != claims.end() && nbf->is_number_integer() && nbf->get<int64_t>() > now_unix + 300) {
    return invalid_token("the token is not valid yet (nbf)");
  }
  return Status::ok();
}

}  // namespace

TokenSigner::TokenSigner(std::unique_ptr<Key> key)
    : key_(std::move(key)), verified_(std::make_unique<VerifiedTokens>()) {}
TokenSigner::~TokenSigner() = default;

namespace {

Status read_key(const std::filesystem::path& file, EVP_PKEY** pkey) {
  FILE* f = std::fopen(file.c_str(), "r");
  if (!f) return unavailable("cannot read the token signing key " + file.string());
  *pkey = PEM_read_PrivateKey(f, nullptr, nullptr, nullptr);
  std::fclose(f);
  if (!*pkey || EVP_PKEY_get_base_id(*pkey) != EVP_PKEY_RSA) {
    return data_loss("the token signing key " + file.string() +
                     " is not an RSA private key in PEM form (move it away to make a new one)");
  }
  return Status::ok();
}

// Makes a key and publishes it as `file`, unless another process got there first: servers
// and workers started together on one shared data folder must all sign with one key, or a
// token from one would be refused by the next. The key is written whole to a name of this
// writer's own (mode 0600) and then hard-linked to `file`, which fails when `file` exists
// (atomic, NFS included, unlike rename, which would replace a key another process already
// signs with). The loser reads the winner's key.
Status create_or_read_key(const std::filesystem::path& dir, const std::filesystem::path& file,
                          EVP_PKEY** pkey) {
  namespace fs = std::filesystem;
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) return unavailable("cannot create " + dir.string() + ": " + ec.message());
  *pkey = EVP_PKEY_Q_keygen(nullptr, nullptr, "RSA", static_cast<size_t>(2048));
  if (!*pkey) return internal_error("cannot generate an RSA key for token signing");
  UPSYNC_ASSIGN_OR_RETURN(std::string unique, random_token(12));
  fs::path tmp = dir / ("token-signing.pem." + unique + ".tmp");
  mode_t old = umask(077);
  FILE* f = std::fopen(tmp.c_str(), "w");
  umask(old);
  if (!f) return unavailable("cannot write " + tmp.string());
  bool ok = PEM_write_PrivateKey(f, *pkey, nullptr, nullptr, 0, nullptr, nullptr) == 1;
  ok = std::fflush(f) == 0 && fsync(fileno(f)) == 0 && ok;
  ok = std::fclose(f) == 0 && ok;
  if (!ok) {
    fs::remove(tmp, ec);
    return unavailable("cannot write " + tmp.string());
  }
  const int linked = ::link(tmp.c_str(), file.c_str());
  const int link_errno = errno;
  fs::remove(tmp, ec);
  if (linked == 0) return Status::ok();
  if (link_errno != EEXIST) {
    return unavailable("cannot move the key into " + file.string() + ": " +
                       std::generic_category().message(link_errno));
  }
  EVP_PKEY_free(*pkey);
  *pkey = nullptr;
  return read_key(file, pkey);
}

}  // namespace

Result<std::unique_ptr<TokenSigner>> TokenSigner::open(const std::string& data_dir) {
  namespace fs = std::filesystem;
  fs::path dir = fs::path(data_dir) / "keys";
  fs::path file = dir / "token-signing.pem";
  auto key = std::make_unique<Key>();
  std::error_code ec;
  if (fs::exists(file, ec)) {
    UPSYNC_RETURN_IF_ERROR(read_key(file, &key->pkey));
  } else {
    UPSYNC_RETURN_IF_ERROR(create_or_read_key(dir, file, &key->pkey));
  }
  std::unique_ptr<TokenSigner> signer(new TokenSigner(std::move(key)));
  UPSYNC_ASSIGN_OR_RETURN(std::string n, bn_param(signer->key_->pkey, OSSL_PKEY_PARAM_RSA_N));
  UPSYNC_ASSIGN_OR_RETURN(std::string e, bn_param(signer->key_->pkey, OSSL_PKEY_PARAM_RSA_E));
  signer->n_ = base64url_encode(n);
  signer->e_ = base64url_encode(e);
  // RFC 7638: members in lexicographic order, no whitespace.
  std::string jwk = R"({"e":")" + signer->e_ + R"(","kty":"RSA","n":")" + signer->n_ + R"("})";
  UPSYNC_ASSIGN_OR_RETURN(std::string thumb, sha256(jwk));
  signer->kid_ = base64url_encode(thumb);
  return signer;
}

Result<std::string> TokenSigner::sign(const nlohmann::json& claims) const {
  nlohmann::json header = {{"typ", "JWT"}, {"alg", "RS256"}, {"kid", kid_}};
  std::string input = base64url_encode(header.dump()) + "." + base64url_encode(claims.dump());
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  size_t len = 0;
  bool ok = ctx && EVP_DigestSignInit(ctx, nullptr, EVP_sha256(), nullptr, key_->pkey) == 1 &&
            EVP_DigestSign(ctx, nullptr, &len, reinterpret_cast<const unsigned char*>(input.data()),
                           input.size()) == 1;
  std::string sig(len, '\0');
  ok =
      ok && EVP_DigestSign(ctx, reinterpret_cast<unsigned char*>(sig.data()), &len,
                           reinterpret_cast<const unsigned char*>(input.data()), input.size()) == 1;
  EVP_MD_CTX_free(ctx);
  if (!ok) return internal_error("cannot sign a token (OpenSSL EVP_DigestSign failed)");
  sig.resize(len);
  return input + "." + base64url_encode(sig);
}

Result<nlohmann::json> TokenSigner::check_signature(std::string_view token) const {
  size_t dot1 = token.find('.');
  size_t dot2 = dot1 == std::string_view::npos ? dot1 : token.find('.', dot1 + 1);
  if (dot2 == std::string_view::npos || token.find('.', dot2 + 1) != std::string_view::npos) {
    return invalid_token("not a JSON Web Token (expected three parts separated by '.')");
  }
  auto header_text = base64url_decode(token.substr(0, dot1));
  auto payload_text = base64url_decode(token.substr(dot1 + 1, dot2 - dot1 - 1));
  auto sig = base64url_decode(token.substr(dot2 + 1));
  if (!header_text || !payload_text || !sig) return invalid_token("a part is not base64url");
  nlohmann::json header = nlohmann::json::parse(*header_text, nullptr, false);
  nlohmann::json claims = nlohmann::json::parse(*payload_text, nullptr, false);
  if (!header.is_object() || !claims.is_object()) {
    return invalid_token("the header or payload is not a JSON object");
  }
  if (header.value("alg", "") != "RS256") return invalid_token("the algorithm is not RS256");
  if (header.value("kid", "") != kid_) {
    return invalid_token("signed with a key this server does not hold (kid)");
  }
  std::string_view input = token.substr(0, dot2);
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  bool good =
      ctx && EVP_DigestVerifyInit(ctx, nullptr, EVP_sha256(), nullptr, key_->pkey) == 1 &&
      EVP_DigestVerify(ctx, reinterpret_cast<const unsigned char*>(sig->data()), sig->size(),
                       reinterpret_cast<const unsigned char*>(input.data()), input.size()) == 1;
  EVP_MD_CTX_free(ctx);
  if (!good) return invalid_token("the signature does not match");
  return claims;
}

Result<nlohmann::json> TokenSigner::verify(std::string_view token, int64_t now_unix) const {
  {
    std::lock_guard lock(verified_->mu);
    auto it = verified_->claims.find(std::string(token));
    if (it != verified_->claims.end()) {
      Status st = check_times(it->second, now_unix);
      if (!st) {
        verified_->claims.erase(it);
        return st;
      }
      return it->second;
    }
  }
  UPSYNC_ASSIGN_OR_RETURN(nlohmann::json claims, check_signature(token));
  UPSYNC_RETURN_IF_ERROR(check_times(claims, now_unix));
  std::lock_guard lock(verified_->mu);
  if (verified_->claims.size() >= VerifiedTokens::kMaxTokens) {
    verified_->claims.erase(verified_->claims.begin());
  }
  verified_->claims.emplace(std::string(token), claims);
  return claims;
}

nlohmann::json TokenSigner::jwks() const {
  return {{"keys", nlohmann::json::array({{{"kty", "RSA"},
                                           {"use", "sig"},
                                           {"alg", "RS256"},
                                           {"kid", kid_},
                                           {"x5t", kid_},
                                           {"n", n_},
                                           {"e", e_}}})}};
}

}  // namespace upsync
