// Connector documents (src/sync/connector.h): what a good one gives, and what each mistake
// says, with its line, column or key; the store keeps what was written.
#include "sync/connector.h"

#include <gtest/gtest.h>

#include "store/store_fixture.h"

namespace upsync {
namespace {

const std::string kGood = R"toml(type = "ldap"
url = "ldaps://dc1.contoso.com:636"
bind_dn = "CN=sync,OU=Service,DC=contoso,DC=com"
password_env = "DC1_PASSWORD"
base = "DC=contoso,DC=com"
filter = "(objectClass=user)"
scope = "one"
delta = "usn"
page_size = 250
full_compare_hours = 6
include_ous = ["OU=Staff,DC=contoso,DC=com"]
exclude_ous = ["OU=Disabled,OU=Staff,DC=contoso,DC=com"]

[flows]
JobTitle = "description"
telephoneNumber = ""
)toml";

TEST(ConnectorTest, AGoodDocumentGivesEverySetting) {
  auto c = parse_connector("dc1", kGood);
  ASSERT_TRUE(c) << c.status().to_string();
  EXPECT_EQ(c->ldap.url, "ldaps://dc1.contoso.com:636");
  EXPECT_EQ(c->ldap.bind_dn, "CN=sync,OU=Service,DC=contoso,DC=com");
  EXPECT_EQ(c->password_env, "DC1_PASSWORD");
  EXPECT_TRUE(c->ldap.one_level);
  EXPECT_EQ(c->ldap.page_size, 250);
  EXPECT_EQ(c->delta, DeltaMethod::kUsn);
  EXPECT_EQ(c->full_compare_hours, 6);
  EXPECT_EQ(c->include_ous, std::vector<std::string>{"OU=Staff,DC=contoso,DC=com"});
  EXPECT_EQ(c->exclude_ous.size(), 1u);
  // Cloud attribute names take their canonical spelling.
  EXPECT_EQ(c->flows, (std::map<std::string, std::string>{{"jobTitle", "description"},
                                                          {"telephoneNumber", ""}}));
  EXPECT_EQ(c->toml, kGood);
  // Defaults.
  auto d = parse_connector("min", "url = \"ldap://h\"\nbase = \"dc=x\"\n");
  ASSERT_TRUE(d) << d.status().to_string();
  EXPECT_EQ(d->ldap.filter, "(objectClass=*)");
  EXPECT_EQ(d->delta, DeltaMethod::kAuto);
  EXPECT_FALSE(d->ldap.one_level);
  EXPECT_EQ(d->full_compare_hours, 24);
}

TEST(ConnectorTest, EachMistakeSaysWhatAndWhere) {
  struct Case {
    std::string toml;
    std::string message;
  } cases[] = {
      {"url = \"ldap://h\"\nbase = \"dc=x\"\npage_size = = 3\n",
       "connector 'dc1': TOML line 3, column 13: "},
      {"url = \"ldap://h\"\nbase = \"dc=x\"\nbind_password = \"x\"\n",
       "connector 'dc1': 'bind_password' (line 3, column 17): unknown key"},
      {"url = \"http://h\"\nbase = \"dc=x\"\n",
       "'url' (line 1, column 7): expected ldap://host[:port] or ldaps://host[:port]"},
      {"base = \"dc=x\"\n", "'url' is missing"},
      {"url = \"ldap://h\"\n", "'base' is missing"},
      {"url = \"ldap://h\"\nbase = \"dc=x\"\nstart_tls = \"yes\"\n",
       "'start_tls' (line 3, column 13): expected true or false"},
      {"url = \"ldap://h\"\nbase = \"dc=x\"\npage_size = 0\n",
       "'page_size' (line 3, column 13): expected a whole number from 1 to 100000"},
      {"url = \"ldap://h\"\nbase = \"dc=x\"\ndelta = \"dirsync\"\n",
       "'delta' (line 3, column 9): "},
      {"url = \"ldap://h\"\nbase = \"dc=x\"\nfilter = \"objectClass=user\"\n",
       "'filter' (line 3, column 10): expected an LDAP filter in parentheses"},
      {"url = \"ldap://h\"\nbase = \"dc=x\"\ninclude_ous = [\"Staff\"]\n",
       "'include_ous' (line 3, column 16): expected a distinguished name"},
      {"url = \"ldap://h\"\nbase = \"dc=x\"\n[flows]\nshoeSize = \"shoe\"\n",
       "'shoeSize' (line 4, column 12): unknown directory attribute 'shoeSize' (known: "},
      {"url = \"ldap://h\"\nbase = \"dc=x\"\n[flows]\ndistinguishedName = \"cn\"\n",
       "the flow of distinguishedName is fixed"},
      {"url = \"ldap://h\"\nbase = \"dc=x\"\n[flows]\njobTitle = \"job title\"\n",
       "'jobTitle' (line 4, column 12): expected the name of a directory attribute"},
      {"url = \"ldap://h\"\nbase = \"dc=x\"\npassword_env = \"A\"\npassword_file = \"/p\"\n",
       "give password_file or password_env, not both"},
  };
  for (const Case& c : cases) {
    auto r = parse_connector("dc1", c.toml);
    ASSERT_FALSE(r) << c.toml;
    EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
    EXPECT_NE(r.status().message().find(c.message), std::string::npos)
        << "got: " << r.status().message() << "\nwanted: " << c.message;
  }
  auto bad_name = parse_connector("dc 1", "url = \"ldap://h\"\nbase = \"dc=x\"\n");
  ASSERT_FALSE(bad_name);
  EXPECT_NE(bad_name.status().message().find("connector name 'dc 1'"), std::string::npos);
}

class ConnectorStoreTest : public testing::StoreTest {};

TEST_P(ConnectorStoreTest, KeepsTheDocumentAsWrittenPerTenant) {
  auto s = open_connector_store(*store_);
  ASSERT_TRUE(s);
  auto c = parse_connector("DC1", kGood);
  ASSERT_TRUE(c);
  ASSERT_TRUE((*s)->add(tenant_.id, *c).is_ok());
  EXPECT_EQ((*s)->add(tenant_.id, *c).code(), StatusCode::kAlreadyExists);
  auto got = (*s)->get(tenant_.id, "dc1");
  ASSERT_TRUE(got) << got.status().to_string();
  EXPECT_EQ(got->name, "DC1");
  EXPECT_EQ(got->toml, kGood);
  auto other = store_->create_tenant({.name = "fabrikam"});
  ASSERT_TRUE(other);
  EXPECT_EQ((*s)->get(other->id, "dc1").status().code(), StatusCode::kNotFound);
  EXPECT_TRUE((*s)->list(other->id)->empty());
  auto changed = parse_connector("dc1", "url = \"ldap://h\"\nbase = \"dc=x\"\n");
  ASSERT_TRUE(changed);
  ASSERT_TRUE((*s)->replace(tenant_.id, *changed).is_ok());
  EXPECT_EQ((*s)->get(tenant_.id, "dc1")->ldap.url, "ldap://h");
  EXPECT_EQ((*s)->replace(other->id, *changed).code(), StatusCode::kNotFound);
  ASSERT_TRUE((*s)->remove(tenant_.id, "Dc1").is_ok());
  EXPECT_EQ((*s)->remove(tenant_.id, "dc1").code(), StatusCode::kNotFound);
}

UPSYNC_TEST_ON_EVERY_BACKEND(ConnectorStoreTest);

}  // namespace
}  // namespace upsync
