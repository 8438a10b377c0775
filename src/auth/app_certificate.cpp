#include "auth/app_certificate.h"

#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>

#include <ctime>
#include <memory>

namespace upsync {

namespace {

template <auto Free>
struct Freer {
  template <typename T>
  void operator()(T* p) const {
    Free(p);
  }
};
using BioPtr = std::unique_ptr<BIO, Freer<BIO_free_all>>;
using X509Ptr = std::unique_ptr<X509, Freer<X509_free>>;
using PkeyPtr = std::unique_ptr<EVP_PKEY, Freer<EVP_PKEY_free>>;
using MdCtxPtr = std::unique_ptr<EVP_MD_CTX, Freer<EVP_MD_CTX_free>>;

BioPtr memory_bio(std::string_view text) {
  return BioPtr(BIO_new_mem_buf(text.data(), static_cast<int>(text.size())));
}

std::string bio_text(BIO* bio) {
  char* data = nullptr;
  long len = BIO_get_mem_data(bio, &data);
  return len > 0 ? std::string(data, static_cast<size_t>(len)) : std::string();
}

Result<std::string> digest(const EVP_MD* md, std::string_view data) {
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  if (EVP_Digest(data.data(), data.size(), out, &len, md, nullptr) != 1) {
    return internal_error("certificate thumbprint: the digest failed");
  }
  return std::string(reinterpret_cast<char*>(out), len);
}

// An ASN1_TIME as Unix seconds and ISO 8601.
Result<std::pair<int64_t, std::string>> asn1_time(const ASN1_TIME* t, std::string_view which) {
  std::tm tm{};
  if (t == nullptr || ASN1_TIME_to_tm(t, &tm) != 1) {
    return invalid_argument("the certificate's " + std::string(which) + " date does not parse");
  }
  char iso[32];
  std::strftime(iso, sizeof iso, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return std::make_pair(static_cast<int64_t>(timegm(&tm)), std::string(iso));
}

}  // namespace

std::string upper_hex(std::string_view bytes) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(bytes.size() * 2);
  for (unsigned char c : bytes) {
    out += kHex[c >> 4];
    out += kHex[c & 15];
  }
  return out;
}

nlohmann::json app_certificate_json(const AppCertificate& cert) {
  return {{"clientId", cert.client_id},
          {"thumbprint", cert.thumbprint_sha1},
          {"thumbprintSha256", cert.thumbprint_sha256},
          {"subject", cert.subject},
          {"notBefore", cert.not_before},
          {"notAfter", cert.not_after},
          {"publicKey", cert.public_key_pem},
          {"addedAt", cert.added_at}};
}

Result<AppCertificate> parse_certificate_pem(std::string_view pem) {
  if (pem.find("PRIVATE KEY-----") != std::string_view::npos) {
    return invalid_argument(
        "the file holds a private key: give the certificate alone (its public half, "
        "-----BEGIN CERTIFICATE-----); the private key stays with the app");
  }
  if (pem.find("-----BEGIN CERTIFICATE-----") == std::string_view::npos) {
    return invalid_argument(
        "no PEM certificate found (expected a -----BEGIN CERTIFICATE----- block)");
  }
  BioPtr in = memory_bio(pem);
  X509Ptr cert(PEM_read_bio_X509(in.get(), nullptr, nullptr, nullptr));
  if (!cert) return invalid_argument("the PEM certificate does not parse as X.509");
  PkeyPtr key(X509_get_pubkey(cert.get()));
  if (!key || EVP_PKEY_base_id(key.get()) != EVP_PKEY_RSA) {
    return invalid_argument(
        "the certificate's key is not RSA: client assertions are signed RS256 or PS256");
  }
  unsigned char* der = nullptr;
  int der_len = i2d_X509(cert.get(), &der);
  if (der_len <= 0) return invalid_argument("the certificate does not encode as DER");
  std::string der_bytes(reinterpret_cast<char*>(der), static_cast<size_t>(der_len));
  OPENSSL_free(der);

  AppCertificate out;
  UPSYNC_ASSIGN_OR_RETURN(std::string sha1, digest(EVP_sha1(), der_bytes));
  UPSYNC_ASSIGN_OR_RETURN(std::string sha256, digest(EVP_sha256(), der_bytes));
  out.thumbprint_sha1 = upper_hex(sha1);
  out.thumbprint_sha256 = upper_hex(sha256);
  UPSYNC_ASSIGN_OR_RETURN(auto nb, asn1_time(X509_get0_notBefore(cert.get()), "not-before"));
  UPSYNC_ASSIGN_OR_RETURN(auto na, asn1_time(X509_get0_notAfter(cert.get()), "not-after"));
  std::tie(out.not_before_unix, out.not_before) = nb;
  std::tie(out.not_after_unix, out.not_after) = na;
  if (out.not_after_unix <= out.not_before_unix) {
    return invalid_argument("the certificate's not-after (" + out.not_after +
                            ") is not after its not-before (" + out.not_before + ")");
  }
  BioPtr subject(BIO_new(BIO_s_mem()));
  X509_NAME_print_ex(subject.get(), X509_get_subject_name(cert.get()), 0, XN_FLAG_RFC2253);
  out.subject = bio_text(subject.get());
  BioPtr pub(BIO_new(BIO_s_mem()));
  if (PEM_write_bio_PUBKEY(pub.get(), key.get()) != 1) {
    return internal_error("the certificate's public key does not encode as PEM");
  }
  out.public_key_pem = bio_text(pub.get());
  return out;
}

Status verify_jws_signature(std::string_view public_key_pem, std::string_view alg,
                            std::string_view signing_input, std::string_view signature) {
  const bool pss = alg == "PS256";
  if (!pss && alg != "RS256") {
    return invalid_argument("the signature algorithm '" + std::string(alg) +
                            "' is not RS256 or PS256");
  }
  BioPtr in = memory_bio(public_key_pem);
  PkeyPtr key(PEM_read_bio_PUBKEY(in.get(), nullptr, nullptr, nullptr));
  if (!key) return internal_error("a stored certificate's public key does not parse");
  MdCtxPtr ctx(EVP_MD_CTX_new());
  EVP_PKEY_CTX* pctx = nullptr;
  if (!ctx || EVP_DigestVerifyInit(ctx.get(), &pctx, EVP_sha256(), nullptr, key.get()) != 1) {
    return internal_error("the signature check could not start");
  }
  if (pss && (EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PSS_PADDING) != 1 ||
              EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx, RSA_PSS_SALTLEN_DIGEST) != 1)) {
    return internal_error("the PS256 check could not be set up");
  }
  int ok = EVP_DigestVerify(
      ctx.get(), reinterpret_cast<const unsigned char*>(signature.data()), signature.size(),
      reinterpret_cast<const unsigned char*>(signing_input.data()), signing_input.size());
  if (ok != 1) return unauthenticated("the signature does not verify with the certificate's key");
  return Status::ok();
}

}  // namespace upsync
