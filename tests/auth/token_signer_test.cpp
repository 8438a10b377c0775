#include "auth/token_signer.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <thread>
#include <vector>

#include "auth/secret.h"
#include "test_support.h"

namespace upsync {
namespace {

using testing::TempDir;

nlohmann::json claims(int64_t exp) { return {{"tid", "contoso"}, {"exp", exp}, {"nbf", 0}}; }

TEST(TokenSigner, SignsAndVerifiesAndKeepsItsKey) {
  TempDir dir;
  auto signer = TokenSigner::open(dir.str());
  ASSERT_TRUE(signer) << signer.status().to_string();
  auto token = (*signer)->sign(claims(2000));
  ASSERT_TRUE(token);
  auto back = (*signer)->verify(*token, 1000);
  ASSERT_TRUE(back) << back.status().to_string();
  EXPECT_EQ((*back)["tid"], "contoso");

  struct stat st {};
  ASSERT_EQ(stat((dir.path() / "keys/token-signing.pem").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);

  // Reopening loads the same key: old tokens stay valid, the kid is the same.
  auto again = TokenSigner::open(dir.str());
  ASSERT_TRUE(again);
  EXPECT_EQ((*again)->kid(), (*signer)->kid());
  EXPECT_TRUE((*again)->verify(*token, 1000));

  auto jwks = (*signer)->jwks();
  ASSERT_EQ(jwks["keys"].size(), 1u);
  EXPECT_EQ(jwks["keys"][0]["kid"], (*signer)->kid());
  EXPECT_EQ(jwks["keys"][0]["e"], "AQAB");
}

TEST(TokenSigner, RefusesExpiredTamperedForeignAndMalformedTokens) {
  TempDir dir, other_dir;
  auto signer = TokenSigner::open(dir.str());
  auto other = TokenSigner::open(other_dir.str());
  ASSERT_TRUE(signer && other);
  auto token = *(*signer)->sign(claims(2000));

  auto expired = (*signer)->verify(token, 2000);
  ASSERT_FALSE(expired);
  EXPECT_EQ(expired.status().code(), StatusCode::kUnauthenticated);
  EXPECT_EQ(expired.status().message(), "invalid token: the token has expired");

  // Change the payload, keep the signature.
  size_t dot1 = token.find('.');
  size_t dot2 = token.find('.', dot1 + 1);
  std::string forged = token.substr(0, dot1 + 1) +
                       base64url_encode(R"({"tid":"fabrikam","exp":2000,"nbf":0})") +
                       token.substr(dot2);
  auto r = (*signer)->verify(forged, 1000);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.status().message(), "invalid token: the signature does not match");

  r = (*signer)->verify(*(*other)->sign(claims(2000)), 1000);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.status().message(),
            "invalid token: signed with a key this server does not hold (kid)");

  for (const char* bad : {"", "abc", "a.b", "a.b.c.d", "!!.!!.!!"}) {
    EXPECT_EQ((*signer)->verify(bad, 1000).status().code(), StatusCode::kUnauthenticated) << bad;
  }
  // alg "none" is refused whatever the rest says.
  std::string none =
      base64url_encode(R"({"alg":"none"})") + "." + base64url_encode(claims(2000).dump()) + ".";
  EXPECT_EQ((*signer)->verify(none, 1000).status().message(),
            "invalid token: the algorithm is not RS256");
}

// verify() remembers tokens it has checked; the time checks still apply on every call.
TEST(TokenSigner, ARememberedTokenStillExpiresAndForgeriesStayRefused) {
  TempDir dir;
  auto signer = TokenSigner::open(dir.str());
  ASSERT_TRUE(signer);
  auto token = *(*signer)->sign({{"tid", "contoso"}, {"exp", 2000}, {"nbf", 1500}});
  // Not valid yet (more than 300 s before nbf), then valid, then valid again (remembered).
  EXPECT_EQ((*signer)->verify(token, 1000).status().message(),
            "invalid token: the token is not valid yet (nbf)");
  ASSERT_TRUE((*signer)->verify(token, 1300));
  auto again = (*signer)->verify(token, 1999);
  ASSERT_TRUE(again) << again.status().to_string();
  EXPECT_EQ((*again)["tid"], "contoso");
  // A remembered token is refused once expired, and stays refused.
  EXPECT_EQ((*signer)->verify(token, 2000).status().message(),
            "invalid token: the token has expired");
  EXPECT_EQ((*signer)->verify(token, 2001).status().message(),
            "invalid token: the token has expired");
  // Before expiry it verifies again (from scratch).
  EXPECT_TRUE((*signer)->verify(token, 1999));
  // Remembering one token's bytes does not let a changed copy through.
  std::string tampered = token;
  char& c = tampered[tampered.rfind('.') + 10];  // inside the signature
  c = c == 'A' ? 'B' : 'A';
  EXPECT_EQ((*signer)->verify(tampered, 1999).status().code(), StatusCode::kUnauthenticated);
  EXPECT_EQ((*signer)->verify(token + ".", 1999).status().code(), StatusCode::kUnauthenticated);
  // More tokens than are remembered (1,024): each still verifies, with its own claims.
  std::vector<std::string> many;
  for (int i = 0; i < 1100; ++i) {
    many.push_back(*(*signer)->sign({{"tid", "t" + std::to_string(i)}, {"exp", 2000}}));
  }
  for (const auto& t : many) ASSERT_TRUE((*signer)->verify(t, 1999));
  for (size_t i = 0; i < many.size(); i += 99) {
    auto back = (*signer)->verify(many[i], 1999);
    ASSERT_TRUE(back);
    EXPECT_EQ((*back)["tid"], "t" + std::to_string(i));
    EXPECT_FALSE((*signer)->verify(many[i], 2000));
  }
}

// Servers and workers started together on one new data folder: every one signs with the one
// key that ends up in the file, so a token made by one is good at every other.
TEST(TokenSigner, SignersStartedTogetherOnANewFolderShareOneKey) {
  TempDir dir;
  constexpr int kSigners = 8;
  std::vector<std::unique_ptr<TokenSigner>> signers(kSigners);
  std::vector<std::thread> threads;
  for (int i = 0; i < kSigners; ++i) {
    threads.emplace_back([&, i] {
      auto signer = TokenSigner::open(dir.str());
      if (signer) signers[i] = std::move(*signer);
    });
  }
  for (auto& t : threads) t.join();
  auto reopened = TokenSigner::open(dir.str());
  ASSERT_TRUE(reopened) << reopened.status().message();
  for (const auto& signer : signers) {
    ASSERT_NE(signer, nullptr);
    EXPECT_EQ(signer->kid(), (*reopened)->kid());
    auto token = signer->sign(claims(2000));
    ASSERT_TRUE(token);
    EXPECT_TRUE((*reopened)->verify(*token, 1999));
  }
  // Nothing but the key is left in the folder.
  int files = 0;
  for (const auto& entry : std::filesystem::directory_iterator(dir.path() / "keys")) {
    EXPECT_EQ(entry.path().filename(), "token-signing.pem");
    ++files;
  }
  EXPECT_EQ(files, 1);
}

TEST(TokenSigner, ACorruptKeyFileIsRefusedAndLeftAlone) {
  TempDir dir;
  std::filesystem::create_directories(dir.path() / "keys");
  testing::write_file(dir.path() / "keys/token-signing.pem", "not a key");
  auto signer = TokenSigner::open(dir.str());
  ASSERT_FALSE(signer);
  EXPECT_EQ(signer.status().code(), StatusCode::kDataLoss);
  EXPECT_EQ(testing::read_file(dir.path() / "keys/token-signing.pem"), "not a key");
}

}  // namespace
}  // namespace upsync
