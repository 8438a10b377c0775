#include "directory/ldif.h"

#include <gtest/gtest.h>

namespace upsync {
namespace {

TEST(LdifTest, ParsesContentRecordsWithFoldingBase64AndComments) {
  const std::string text =
      "version: 1\n"
      "\n"
      "# a comment\n"
      "#  folded comment\n"
      "dn: cn=Bob Smith,ou=people,dc=contoso,dc=com\n"
      "objectClass: inetOrgPerson\n"
      "cn: Bob Smith\n"
      "description: a long value that is\n"
      "  folded\n"
      "displayName:: QsO2YiBTbWl0aA==\n"
      "mail: bob@contoso.com\n"
      "\n"
      "dn: cn=Eve,ou=people,dc=contoso,dc=com\r\n"
      "cn: Eve\r\n";
  auto r = parse_ldif(text);
  ASSERT_TRUE(r) << r.status().to_string();
  ASSERT_EQ(r->size(), 2u);
  const LdifRecord& bob = (*r)[0];
  EXPECT_EQ(bob.line, 5);
  EXPECT_EQ(bob.dn, "cn=Bob Smith,ou=people,dc=contoso,dc=com");
  EXPECT_EQ(bob.first("description"), "a long value that is folded");
  EXPECT_EQ(bob.first("DISPLAYNAME"),
            "B\xC3\xB6"
            "b Smith");
  EXPECT_EQ(bob.values("objectclass").size(), 1u);
  EXPECT_EQ((*r)[1].first("cn"), "Eve");
}

TEST(LdifTest, ParsesChangeRecords) {
  const std::string text =
      "dn: uid=a,dc=x\n"
      "changetype: modify\n"
      "replace: title\n"
      "title: Boss\n"
      "-\n"
      "add: mail\n"
      "mail: a@x.com\n"
      "mail: a2@x.com\n"
      "-\n"
      "\n"
      "dn: uid=b,dc=x\n"
      "changetype: delete\n"
      "\n"
      "dn: uid=c,dc=x\n"
      "changetype: modrdn\n"
      "newrdn: uid=d\n"
      "deleteoldrdn: 1\n"
      "newsuperior: ou=gone,dc=x\n";
  auto r = parse_ldif(text);
  ASSERT_TRUE(r) << r.status().to_string();
  ASSERT_EQ(r->size(), 3u);
  EXPECT_EQ((*r)[0].change, LdifChange::kModify);
  ASSERT_EQ((*r)[0].modifications.size(), 2u);
  EXPECT_EQ((*r)[0].modifications[1].values.size(), 2u);
  EXPECT_EQ((*r)[1].change, LdifChange::kDelete);
  EXPECT_EQ((*r)[2].new_rdn, "uid=d");
  EXPECT_EQ((*r)[2].new_superior, "ou=gone,dc=x");
}

TEST(LdifTest, MalformedInputNamesTheLine) {
  struct Case {
    const char* text;
    const char* message;
  } cases[] = {
      {"cn: x\n", "LDIF line 1: a record must start with 'dn:', got 'cn'"},
      {"dn: a\nno colon here\n", "LDIF line 2: expected 'attribute: value', got 'no colon here'"},
      {"dn: a\ncn:: ***\n", "LDIF line 2: attribute 'cn': invalid base64 character '*'"},
      {"dn: a\nphoto:< file:///etc/passwd\n", "LDIF line 2: attribute 'photo': URL values"},
      {"dn: a\nchangetype: explode\n", "LDIF line 2: unknown changetype 'explode'"},
      {"\n\n dangling\n", "LDIF line 3: a continuation line"},
      {"dn: a\nchangetype: modify\nreplace: title\ntitle: x\n",
       "LDIF line 3: modification of "
       "'title' is not closed by '-'"},
      {"version: 2\n\ndn: a\n", "LDIF line 1: unsupported LDIF version '2'"},
      {"dn: a\ncn: b\xC3\x28\n", "LDIF line 2: attribute 'cn': invalid UTF-8"},
  };
  for (const Case& c : cases) {
    auto r = parse_ldif(c.text);
    ASSERT_FALSE(r) << c.text;
    EXPECT_NE(r.status().message().find(c.message), std::string::npos) << r.status().message();
  }
}

TEST(LdifTest, Base64RoundTrips) {
  for (const std::string& s :
       std::vector<std::string>{"", "a", "ab", "abc", "abcd", std::string("\0\xff\x10", 3)}) {
    auto d = base64_decode(base64_encode(s));
    ASSERT_TRUE(d);
    EXPECT_EQ(*d, s);
  }
}

}  // namespace
}  // namespace upsync

namespace upsync {
namespace {

TEST(CheckDnTest, AcceptsDistinguishedNamesAndSaysWhatIsWrongWithTheRest) {
  for (const char* good : {"CN=User 1,OU=Staff,DC=contoso,DC=com", "uid=a+cn=b,dc=x",
                           "CN=Smith\\, John,DC=x", "2.5.4.3=x,dc=y", "cn = spaced , dc = y"}) {
    EXPECT_TRUE(check_dn(good)) << good << ": " << check_dn(good).message();
  }
  struct Bad {
    const char* dn;
    const char* message;
  } bad[] = {
      {"", "the DN is empty"},
      {"not a dn", "RDN 1 'not a dn' has no '='"},
      {"cn=a,,dc=b", "RDN 2 '' has no '='"},
      {"cn=a,=b", "RDN 2 '=b' has no attribute type"},
      {"c n=a", "RDN 1 'c n=a' has an invalid attribute type"},
      {"1cn=a", "RDN 1 '1cn=a' has an invalid attribute type"},
  };
  for (const Bad& b : bad) {
    Status s = check_dn(b.dn);
    EXPECT_FALSE(s) << b.dn;
    EXPECT_EQ(s.message(), b.message) << b.dn;
  }
}

}  // namespace
}  // namespace upsync
