#include "http/query_secrets.h"

#include <gtest/gtest.h>

#include <vector>

namespace upsync {
namespace {

TEST(QuerySecrets, EverySpellingOfASecretNameIsRedactedAndTheRestKept) {
  struct Case {
    std::string target, logged;
  };
  const std::vector<Case> cases = {
      {"/t", "/t"},
      {"/t?", "/t?"},
      {"/t?scope=x", "/t?scope=x"},
      {"/t?password=p&scope=x", "/t?password=REDACTED&scope=x"},
      {"/t?a=1&Client_Secret=s", "/t?a=1&Client_Secret=REDACTED"},
      {"/t?%70assword=p", "/t?%70assword=REDACTED"},
      {"/t?client%5Fsecret=s&client%255Fsecret=s2",
       "/t?client%5Fsecret=REDACTED&client%255Fsecret=REDACTED"},
      {"/t?ACCESS_TOKEN=eyJ.a.b", "/t?ACCESS_TOKEN=REDACTED"},
      {"/t?refresh_token=r&code=c&id_token=i&code_verifier=v&assertion=a&client_assertion=ca",
       "/t?refresh_token=REDACTED&code=REDACTED&id_token=REDACTED&code_verifier=REDACTED"
       "&assertion=REDACTED&client_assertion=REDACTED"},
      {"/t?password=&password", "/t?password=&password"},  // no value to hide
      {"/t?passwords=x&xpassword=y", "/t?passwords=x&xpassword=y"},
      {"/t?password=a=b&x=1", "/t?password=REDACTED&x=1"},
  };
  for (const auto& c : cases) EXPECT_EQ(redact_query_secrets(c.target), c.logged) << c.target;
}

TEST(QuerySecrets, TheFirstSecretNameIsFoundDecoded) {
  EXPECT_EQ(secret_in_query("/t?scope=x"), std::nullopt);
  EXPECT_EQ(secret_in_query("/t/password=x"), std::nullopt);  // a path is not a query
  EXPECT_EQ(secret_in_query("/t?scope=x&Client%5FSecret=s"), "client_secret");
  EXPECT_EQ(secret_in_query("/t?password"), "password");
}

}  // namespace
}  // namespace upsync
