// Client assertions (auth/client_assertion.h) and certificate credentials
// (auth/app_certificate.h): certificates and keys made here with OpenSSL, assertions signed as
// MSAL signs them, and each way Azure AD refuses one.
#include "auth/client_assertion.h"

#include <gtest/gtest.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>

#include "auth/secret.h"
#include "core/clock.h"
#include "store/store_fixture.h"

namespace upsync {
namespace {

constexpr std::string_view kEndpoint = "https://127.0.0.1:8443/contoso/oauth2/v2.0/token";

// An RSA key and a self-signed certificate valid from now + `from` to now + `to` seconds.
struct TestCert {
  EVP_PKEY* key = nullptr;
  std::string pem;
  std::string der;
  TestCert(long from, long to, int bits = 2048) {
    key = EVP_RSA_gen(bits);
    X509* x = X509_new();
    ASN1_INTEGER_set(X509_get_serialNumber(x), 1);
    X509_gmtime_adj(X509_getm_notBefore(x), from);
    X509_gmtime_adj(X509_getm_notAfter(x), to);
    X509_set_pubkey(x, key);
    X509_NAME* name = X509_get_subject_name(x);
    X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                               reinterpret_cast<const unsigned char*>("hr-sync"), -1, -1, 0);
    X509_set_issuer_name(x, name);
    X509_sign(x, key, EVP_sha256());
    BIO* bio = BIO_new(BIO_s_mem());
    PEM_write_bio_X509(bio, x);
    char* data = nullptr;
    long len = BIO_get_mem_data(bio, &data);
    pem.assign(data, static_cast<size_t>(len));
    BIO_free(bio);
    unsigned char* d = nullptr;
    int dlen = i2d_X509(x, &d);
    der.assign(reinterpret_cast<char*>(d), static_cast<size_t>(dlen));
    OPENSSL_free(d);
    X509_free(x);
  }
  ~TestCert() { EVP_PKEY_free(key); }
  std::string digest(const EVP_MD* md) const {
    unsigned char out[EVP_MAX_MD_SIZE];
    unsigned int n = 0;
    EVP_Digest(der.data(), der.size(), out, &n, md, nullptr);
    return std::string(reinterpret_cast<char*>(out), n);
  }
  std::string private_pem() const {
    BIO* bio = BIO_new(BIO_s_mem());
    PEM_write_bio_PrivateKey(bio, key, nullptr, nullptr, 0, nullptr, nullptr);
    char* data = nullptr;
    long len = BIO_get_mem_data(bio, &data);
    std::string out(data, static_cast<size_t>(len));
    BIO_free(bio);
    return out;
  }
  // header.claims signed with this key, RS256 or PS256.
  std::string sign(const nlohmann::json& header, const nlohmann::json& claims) const {
    std::string input = base64url_encode(header.dump()) + "." + base64url_encode(claims.dump());
    EVP_MD_CTX* ctx = EVP_MD_CTX_new();
    EVP_PKEY_CTX* pctx = nullptr;
    EVP_DigestSignInit(ctx, &pctx, EVP_sha256(), nullptr, key);
    if (header.value("alg", "") == "PS256") {
      EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PSS_PADDING);
      EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx, RSA_PSS_SALTLEN_DIGEST);
    }
    size_t len = 0;
    EVP_DigestSign(ctx, nullptr, &len, reinterpret_cast<const unsigned char*>(input.data()),
                   input.size());
    std::string sig(len, '\0');
    EVP_DigestSign(ctx, reinterpret_cast<unsigned char*>(sig.data()), &len,
                   reinterpret_cast<const unsigned char*>(input.data()), input.size());
    sig.resize(len);
    EVP_MD_CTX_free(ctx);
    return input + "." + base64url_encode(sig);
  }
};

class ClientAssertionTest : public testing::StoreTest {
 protected:
  void SetUp() override {
    StoreTest::SetUp();
    auto c = open_credential_store(*store_);
    ASSERT_TRUE(c);
    creds_ = std::move(*c);
    auto app = register_app(*creds_, tenant_, "hr-sync");
    ASSERT_TRUE(app);
    client_id_ = app->app.client_id;
  }
  nlohmann::json claims(int64_t now) const {
    return {{"aud", kEndpoint},  {"iss", client_id_}, {"sub", client_id_},
            {"jti", new_guid()}, {"nbf", now},        {"exp", now + 600}};
  }
  nlohmann::json sha1_header(const TestCert& c) const {
    return {{"alg", "RS256"}, {"typ", "JWT"}, {"x5t", base64url_encode(c.digest(EVP_sha1()))}};
  }
  nlohmann::json sha256_header(const TestCert& c) const {
    return {{"alg", "PS256"}, {"x5t#S256", base64url_encode(c.digest(EVP_sha256()))}};
  }
  // The refusal's AADSTS code, or 0 for a sign-in.
  int outcome(std::string_view jwt, int64_t now = unix_now()) {
    auto out = sign_in_with_assertion(*creds_, tenant_, client_id_, jwt, kEndpoint, now);
    EXPECT_TRUE(out) << out.status().to_string();
    if (!out) return -1;
    if (auto* no = std::get_if<AssertionRefusal>(&*out)) {
      last_refusal_ = no->description;
      return no->aadsts;
    }
    EXPECT_EQ(std::get<Principal>(*out).client_id, client_id_);
    EXPECT_EQ(std::get<Principal>(*out).role, Role::kApp);
    return 0;
  }
  std::unique_ptr<CredentialStore> creds_;
  std::string client_id_;
  std::string last_refusal_;
};

TEST_P(ClientAssertionTest, ACertificateIsParsedAndListedWithItsThumbprints) {
  TestCert cert(-60, 86400);
  auto added = add_app_certificate(*creds_, tenant_, client_id_, cert.pem);
  ASSERT_TRUE(added) << added.status().to_string();
  EXPECT_EQ(added->thumbprint_sha1, upper_hex(cert.digest(EVP_sha1())));
  EXPECT_EQ(added->thumbprint_sha256, upper_hex(cert.digest(EVP_sha256())));
  EXPECT_EQ(added->subject, "CN=hr-sync");
  EXPECT_NE(added->public_key_pem.find("BEGIN PUBLIC KEY"), std::string::npos);
  EXPECT_NEAR(static_cast<double>(added->not_after_unix), unix_now() + 86400, 5);
  auto listed = creds_->certificates(tenant_.id, client_id_);
  ASSERT_TRUE(listed);
  ASSERT_EQ(listed->size(), 1u);
  EXPECT_EQ((*listed)[0].thumbprint_sha256, added->thumbprint_sha256);
  EXPECT_EQ((*listed)[0].not_after, added->not_after);
  // The same certificate twice, and a certificate for an app that does not exist.
  EXPECT_EQ(add_app_certificate(*creds_, tenant_, client_id_, cert.pem).status().code(),
            StatusCode::kAlreadyExists);
  EXPECT_EQ(add_app_certificate(*creds_, tenant_, "00000000-0000-0000-0000-000000000000", cert.pem)
                .status()
                .code(),
            StatusCode::kNotFound);
}

TEST_P(ClientAssertionTest, BadCertificateFilesAreRefusedAndStoreNothing) {
  TestCert cert(-60, 86400);
  TestCert expired(-86400, -60);
  const std::vector<std::pair<std::string, std::string>> kBad = {
      {"", "no PEM certificate"},
      {"hello", "no PEM certificate"},
      {"-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n", "does not parse"},
      {cert.pem + cert.private_pem(), "private key"},
      {expired.pem, "expired"},
  };
  for (const auto& [pem, why] : kBad) {
    auto added = add_app_certificate(*creds_, tenant_, client_id_, pem);
    ASSERT_FALSE(added) << why;
    EXPECT_EQ(added.status().code(), StatusCode::kInvalidArgument);
    EXPECT_NE(added.status().message().find(why), std::string::npos) << added.status().message();
  }
  EXPECT_TRUE(creds_->certificates(tenant_.id, client_id_)->empty());
  // A key that is not RSA.
  EVP_PKEY* ec = EVP_EC_gen("P-256");
  X509* x = X509_new();
  X509_gmtime_adj(X509_getm_notBefore(x), -60);
  X509_gmtime_adj(X509_getm_notAfter(x), 3600);
  X509_set_pubkey(x, ec);
  X509_sign(x, ec, EVP_sha256());
  BIO* bio = BIO_new(BIO_s_mem());
  PEM_write_bio_X509(bio, x);
  char* data = nullptr;
  long len = BIO_get_mem_data(bio, &data);
  std::string ec_pem(data, static_cast<size_t>(len));
  BIO_free(bio);
  X509_free(x);
  EVP_PKEY_free(ec);
  auto added = add_app_certificate(*creds_, tenant_, client_id_, ec_pem);
  EXPECT_NE(added.status().message().find("not RSA"), std::string::npos);
}

TEST_P(ClientAssertionTest, MsalShapedAssertionsSignInWithEitherThumbprint) {
  TestCert cert(-60, 86400);
  ASSERT_TRUE(add_app_certificate(*creds_, tenant_, client_id_, cert.pem));
  const int64_t now = unix_now();
  EXPECT_EQ(outcome(cert.sign(sha1_header(cert), claims(now))), 0) << last_refusal_;
  EXPECT_EQ(outcome(cert.sign(sha256_header(cert), claims(now))), 0) << last_refusal_;
  // An RS256 assertion named by its SHA-256 thumbprint is fine too.
  auto h = sha256_header(cert);
  h["alg"] = "RS256";
  EXPECT_EQ(outcome(cert.sign(h, claims(now))), 0) << last_refusal_;
  // The same assertion twice: accepted, as MSAL reuses its assertion for ten minutes.
  const std::string jwt = cert.sign(sha1_header(cert), claims(now));
  EXPECT_EQ(outcome(jwt), 0);
  EXPECT_EQ(outcome(jwt), 0);
}

TEST_P(ClientAssertionTest, EachBadAssertionGetsAzureAdsCode) {
  TestCert cert(-60, 86400);
  TestCert stranger(-60, 86400);
  ASSERT_TRUE(add_app_certificate(*creds_, tenant_, client_id_, cert.pem));
  const int64_t now = unix_now();
  auto with = [&](const char* key, nlohmann::json value) {
    auto c = claims(now);
    if (value.is_null()) {
      c.erase(key);
    } else {
      c[key] = value;
    }
    return cert.sign(sha1_header(cert), c);
  };
  struct Case {
    std::string name;
    std::string jwt;
    int aadsts;
  };
  std::string tampered = cert.sign(sha1_header(cert), claims(now));
  char& flipped = tampered[tampered.rfind('.') + 5];
  flipped = flipped == 'A' ? 'B' : 'A';
  auto no_thumb = sha1_header(cert);
  no_thumb.erase("x5t");
  auto hs256 = sha1_header(cert);
  hs256["alg"] = "HS256";
  auto none = sha1_header(cert);
  none["alg"] = "none";
  const std::vector<Case> kCases = {
      {"not a JWT", "abc", 50027},
      {"two parts", "a.b", 50027},
      {"not JSON", base64url_encode("x") + "." + base64url_encode("y") + ".z", 50027},
      {"unknown certificate", stranger.sign(sha1_header(stranger), claims(now)), 700027},
      {"signed by another key", stranger.sign(sha1_header(cert), claims(now)), 700027},
      {"tampered signature", tampered, 700027},
      {"no thumbprint", cert.sign(no_thumb, claims(now)), 50027},
      {"HS256", cert.sign(hs256, claims(now)), 50027},
      {"alg none", cert.sign(none, claims(now)), 50027},
      {"audience of another endpoint",
       with("aud", "https://login.microsoftonline.com/contoso/oauth2/v2.0/token"), 50012},
      {"audience as an array", with("aud", nlohmann::json::array({kEndpoint})), 50012},
      {"iss of another app", with("iss", "00000000-0000-0000-0000-000000000000"), 700021},
      {"no sub", with("sub", nullptr), 700021},
      {"no jti", with("jti", nullptr), 50027},
      {"no exp", with("exp", nullptr), 50027},
      {"expired", with("exp", now - 400), 700024},
      {"not yet valid", with("nbf", now + 400), 700024},
      {"a lifetime over an hour", with("exp", now + 7200), 700024},
  };
  for (const auto& c : kCases) {
    EXPECT_EQ(outcome(c.jwt), c.aadsts) << c.name << ": " << last_refusal_;
  }
  // The unknown certificate's answer names its thumbprint, as Azure AD's does.
  outcome(stranger.sign(sha1_header(stranger), claims(now)));
  EXPECT_NE(last_refusal_.find(upper_hex(stranger.digest(EVP_sha1()))), std::string::npos);
}

TEST_P(ClientAssertionTest, ACertificatePastItsValidityIsRefused) {
  // Stored directly: registering refuses an expired certificate, but one expires in place.
  TestCert cert(-86400, -60);
  auto parsed = parse_certificate_pem(cert.pem);
  ASSERT_TRUE(parsed);
  parsed->client_id = client_id_;
  parsed->added_at = utc_now_iso();
  ASSERT_TRUE(creds_->add_certificate(tenant_.id, *parsed).is_ok());
  EXPECT_EQ(outcome(cert.sign(sha1_header(cert), claims(unix_now()))), 700027);
  EXPECT_NE(last_refusal_.find("The key used is expired"), std::string::npos) << last_refusal_;
}

TEST_P(ClientAssertionTest, RemovingACertificateRefusesItAndBumpsTheAppsGeneration) {
  TestCert cert(-60, 86400);
  auto added = add_app_certificate(*creds_, tenant_, client_id_, cert.pem);
  ASSERT_TRUE(added);
  const int64_t before = creds_->app_with_secret(tenant_.id, client_id_)->first.token_generation;
  EXPECT_EQ(creds_->remove_certificate(tenant_.id, client_id_, "nope").code(),
            StatusCode::kNotFound);
  // By SHA-256 thumbprint, in lower case.
  std::string lower = added->thumbprint_sha256;
  for (char& ch : lower) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
  ASSERT_TRUE(creds_->remove_certificate(tenant_.id, client_id_, lower).is_ok());
  EXPECT_GT(creds_->app_with_secret(tenant_.id, client_id_)->first.token_generation, before);
  EXPECT_EQ(outcome(cert.sign(sha1_header(cert), claims(unix_now()))), 700027);
  // Removing the app removes its certificates.
  ASSERT_TRUE(add_app_certificate(*creds_, tenant_, client_id_, cert.pem));
  ASSERT_TRUE(creds_->remove_app(tenant_.id, client_id_).is_ok());
  EXPECT_TRUE(creds_->certificates(tenant_.id, client_id_)->empty());
}

UPSYNC_TEST_ON_EVERY_BACKEND(ClientAssertionTest);

}  // namespace
}  // namespace upsync
