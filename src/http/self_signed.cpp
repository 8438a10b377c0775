#include "http/self_signed.h"

#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <sys/stat.h>

#include <cstdio>
#include <filesystem>
#include <memory>

#include "core/files.h"

namespace upsync {

namespace {
struct FileCloser {
  void operator()(FILE* f) const { std::fclose(f); }
};

Result<std::string> read_pem(const std::string& path) {
  auto text = read_whole_file(path);
  if (!text) return invalid_argument("cannot read the TLS file '" + path + "'");
  return text;
}

}  // namespace

Result<TlsPem> read_tls_pair(const TlsFiles& files) {
  TlsPem pem;
  UPSYNC_ASSIGN_OR_RETURN(pem.cert, read_pem(files.cert));
  UPSYNC_ASSIGN_OR_RETURN(pem.key, read_pem(files.key));
  std::unique_ptr<BIO, decltype(&BIO_free)> cert_bio(
      BIO_new_mem_buf(pem.cert.data(), static_cast<int>(pem.cert.size())), BIO_free);
  std::unique_ptr<X509, decltype(&X509_free)> x509(
      PEM_read_bio_X509(cert_bio.get(), nullptr, nullptr, nullptr), X509_free);
  if (!x509) return invalid_argument("'" + files.cert + "' holds no PEM certificate");
  std::unique_ptr<BIO, decltype(&BIO_free)> key_bio(
      BIO_new_mem_buf(pem.key.data(), static_cast<int>(pem.key.size())), BIO_free);
  std::unique_ptr<EVP_PKEY, decltype(&EVP_PKEY_free)> pkey(
      PEM_read_bio_PrivateKey(key_bio.get(), nullptr, nullptr, nullptr), EVP_PKEY_free);
  if (!pkey) {
    return invalid_argument("'" + files.key +
                            "' holds no PEM private key (or one with a passphrase)");
  }
  if (X509_check_private_key(x509.get(), pkey.get()) != 1) {
    return invalid_argument("the key in '" + files.key +
                            "' is not the private key of the certificate in '" + files.cert + "'");
  }
  return pem;
}

Result<TlsFiles> ensure_self_signed(const std::string& dir) {
  TlsFiles files{dir + "/self-signed-cert.pem", dir + "/self-signed-key.pem"};
  std::error_code ec;
  if (std::filesystem::exists(files.cert, ec) && std::filesystem::exists(files.key, ec)) {
    return files;
  }
  std::filesystem::create_directories(dir, ec);
  if (ec) return internal_error("cannot create '" + dir + "': " + ec.message());

  std::unique_ptr<EVP_PKEY, decltype(&EVP_PKEY_free)> pkey(EVP_RSA_gen(2048), EVP_PKEY_free);
  if (!pkey) return internal_error("cannot generate an RSA key for the self-signed certificate");
  std::unique_ptr<X509, decltype(&X509_free)> x509(X509_new(), X509_free);
  if (!x509) return internal_error("cannot allocate a certificate");
  X509_set_version(x509.get(), 2);
  ASN1_INTEGER_set(X509_get_serialNumber(x509.get()), static_cast<long>(std::time(nullptr)));
  X509_gmtime_adj(X509_getm_notBefore(x509.get()), -60);
  X509_gmtime_adj(X509_getm_notAfter(x509.get()), 365L * 24 * 3600);
  X509_set_pubkey(x509.get(), pkey.get());
  X509_NAME* name = X509_get_subject_name(x509.get());
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                             reinterpret_cast<const unsigned char*>("localhost"), -1, -1, 0);
  X509_set_issuer_name(x509.get(), name);
  X509V3_CTX ctx;
  X509V3_set_ctx_nodb(&ctx);
  X509V3_set_ctx(&ctx, x509.get(), x509.get(), nullptr, nullptr, 0);
  X509_EXTENSION* san =
      X509V3_EXT_conf_nid(nullptr, &ctx, NID_subject_alt_name, "DNS:localhost,IP:127.0.0.1");
  if (!san) return internal_error("cannot build the subjectAltName extension");
  X509_add_ext(x509.get(), san, -1);
  X509_EXTENSION_free(san);
  if (X509_sign(x509.get(), pkey.get(), EVP_sha256()) == 0) {
    return internal_error("cannot sign the self-signed certificate");
  }

  {
    std::unique_ptr<FILE, FileCloser> f(std::fopen(files.key.c_str(), "wb"));
    if (!f) return internal_error("cannot write '" + files.key + "'");
    ::chmod(files.key.c_str(), 0600);
    if (!PEM_write_PrivateKey(f.get(), pkey.get(), nullptr, nullptr, 0, nullptr, nullptr)) {
      return internal_error("cannot write the key to '" + files.key + "'");
    }
  }
  {
    std::unique_ptr<FILE, FileCloser> f(std::fopen(files.cert.c_str(), "wb"));
    if (!f) return internal_error("cannot write '" + files.cert + "'");
    if (!PEM_write_X509(f.get(), x509.get())) {
      return internal_error("cannot write the certificate to '" + files.cert + "'");
    }
  }
  return files;
}

}  // namespace upsync
