// Directory attributes as stored (directory/directory_codec.h): what encode writes, decode reads
// back exactly; anything else a damaged row could hold is DataLoss naming what is wrong.
#include "directory/directory_codec.h"

#include <gtest/gtest.h>

#include <string>

namespace upsync {
namespace {

TEST(DirectoryCodecTest, DecodeReadsBackWhatEncodeWrote) {
  const DirectoryAttributes a = {
      {"displayName", {"Adele Vance"}},
      {"proxyAddresses", {"SMTP:adele@contoso.com", "smtp:av@contoso.com"}},
      {"userPrincipalName", {"adele@contoso.com"}},
      {"description", {"quote \" backslash \\ tab \t newline \n é 漢字"}},
      {"aaa", {""}},
  };
  const std::string text = encode_directory_attributes(a);
  auto back = decode_directory_attributes(text);
  ASSERT_TRUE(back) << back.status().message();
  EXPECT_EQ(*back, a);
  // Empty arrays are left out when written, so they come back absent.
  auto empty = decode_directory_attributes(encode_directory_attributes({{"x", {}}}));
  ASSERT_TRUE(empty);
  EXPECT_TRUE(empty->empty());
}

TEST(DirectoryCodecTest, KeysInAnyOrderAndWhitespaceAreRead) {
  auto a = decode_directory_attributes(R"( { "b" : [ "2" ] , "a" : ["1", "1b"] } )");
  ASSERT_TRUE(a) << a.status().message();
  EXPECT_EQ(*a, (DirectoryAttributes{{"a", {"1", "1b"}}, {"b", {"2"}}}));
  // A name given twice keeps its last values.
  auto twice = decode_directory_attributes(R"({"a":["1"],"a":["2","3"]})");
  ASSERT_TRUE(twice);
  EXPECT_EQ(*twice, (DirectoryAttributes{{"a", {"2", "3"}}}));
}

TEST(DirectoryCodecTest, DamagedTextIsDataLossNamingWhatIsWrong) {
  struct Case {
    std::string text;
    std::string message;
  };
  const Case cases[] = {
      {"", "stored directory attributes are corrupt: The document is empty. at offset 0"},
      {R"({"a":["1"])",
       "stored directory attributes are corrupt: Missing a comma or '}' after "
       "an object member. at offset 10"},
      {R"({"a":["1"]} x)",
       "stored directory attributes are corrupt: The document root must not "
       "be followed by other values. at offset 12"},
      {R"(["a"])", "stored directory attributes are not a JSON object"},
      {"42", "stored directory attributes are not a JSON object"},
      {R"({"mail":"a@b"})", "stored directory attribute 'mail' is not an array of strings"},
      {R"({"mail":[1]})", "stored directory attribute 'mail' is not an array of strings"},
      {R"({"mail":[["x"]]})", "stored directory attribute 'mail' is not an array of strings"},
      {R"({"mail":[{"x":"y"}]})", "stored directory attribute 'mail' is not an array of strings"},
      {R"({"mail":{"x":["y"]}})", "stored directory attribute 'mail' is not an array of strings"},
      {R"({"mail":null})", "stored directory attribute 'mail' is not an array of strings"},
      {std::string(R"({"a":["1"]})") + '\0' + "{}",
       "stored directory attributes are corrupt: a NUL byte at offset 11"},
  };
  // Read whole or for a few attributes: a damaged attribute the reader skips is as corrupt.
  const AttributeNames only = {"displayName"};
  for (const Case& c : cases) {
    for (const AttributeNames* names : {static_cast<const AttributeNames*>(nullptr), &only}) {
      auto a = decode_directory_attributes(c.text, names);
      ASSERT_FALSE(a) << c.text;
      EXPECT_EQ(a.status().code(), StatusCode::kDataLoss) << c.text;
      EXPECT_EQ(a.status().message(), c.message) << c.text;
    }
  }
}

TEST(DirectoryCodecTest, ReadsOnlyTheNamedAttributesWhenAsked) {
  const DirectoryAttributes a = {
      {"accountEnabled", {"true"}},
      {"displayName", {"Adele Vance"}},
      {"jobTitle", {"Engineer"}},
      {"proxyAddresses", {"SMTP:adele@contoso.com", "smtp:av@contoso.com"}},
      {"userPrincipalName", {"adele@contoso.com"}},
  };
  const std::string text = encode_directory_attributes(a);
  const AttributeNames only = {"displayName", "missing", "proxyAddresses"};
  auto some = decode_directory_attributes(text, &only);
  ASSERT_TRUE(some) << some.status().message();
  EXPECT_EQ(*some, (DirectoryAttributes{{"displayName", {"Adele Vance"}},
                                        {"proxyAddresses", a.at("proxyAddresses")}}));
  const AttributeNames none;
  auto nothing = decode_directory_attributes(text, &none);
  ASSERT_TRUE(nothing);
  EXPECT_TRUE(nothing->empty());
  auto all = decode_directory_attributes(text, nullptr);
  ASSERT_TRUE(all);
  EXPECT_EQ(*all, a);
}

}  // namespace
}  // namespace upsync
