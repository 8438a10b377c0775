#include "auth/secret.h"

#include <gtest/gtest.h>

namespace upsync {
namespace {

TEST(Base64Url, RoundTripsEveryLengthAndMatchesRfc4648) {
  // RFC 4648 §10 test vectors, in the URL alphabet without padding.
  EXPECT_EQ(base64url_encode(""), "");
  EXPECT_EQ(base64url_encode("f"), "Zg");
  EXPECT_EQ(base64url_encode("fo"), "Zm8");
  EXPECT_EQ(base64url_encode("foo"), "Zm9v");
  EXPECT_EQ(base64url_encode("foobar"), "Zm9vYmFy");
  EXPECT_EQ(base64url_encode("\xfb\xff"), "-_8");
  std::string bytes;
  for (int i = 0; i < 300; ++i) {
    bytes.push_back(static_cast<char>(i * 37));
    auto back = base64url_decode(base64url_encode(bytes));
    ASSERT_TRUE(back) << i;
    EXPECT_EQ(*back, bytes);
  }
}

TEST(Base64Url, RefusesForeignCharactersNamingThePosition) {
  auto r = base64url_decode("Zm9v+YmFy");
  ASSERT_FALSE(r);
  EXPECT_EQ(r.status().message(), "base64url: character 5 is not in the base64url alphabet");
  EXPECT_FALSE(base64url_decode("Zm9vY"));  // 5 characters cannot encode whole bytes
}

TEST(Secrets, HashVerifiesOnlyTheSameSecretAndIsSalted) {
  auto secret = new_client_secret();
  ASSERT_TRUE(secret);
  EXPECT_EQ(secret->size(), 43u);
  auto h1 = hash_secret(*secret, 1000);
  auto h2 = hash_secret(*secret, 1000);
  ASSERT_TRUE(h1 && h2);
  EXPECT_NE(*h1, *h2);  // different salts
  EXPECT_EQ(h1->rfind("pbkdf2-sha256$1000$", 0), 0u) << *h1;
  EXPECT_TRUE(verify_secret(*secret, *h1));
  EXPECT_TRUE(verify_secret(*secret, *h2));
  EXPECT_FALSE(verify_secret(*secret + "x", *h1));
  EXPECT_FALSE(verify_secret("", *h1));
}

TEST(Secrets, MalformedStoredHashesVerifyNothing) {
  for (const char* stored : {"", "plain", "pbkdf2-sha256$0$AAAA$AAAA", "md5$1$AA$AA",
                             "pbkdf2-sha256$10$!!$AAAA", "pbkdf2-sha256$10$AAAA$AAAA"}) {
    EXPECT_FALSE(verify_secret("secret", stored)) << stored;
  }
}

}  // namespace
}  // namespace upsync
