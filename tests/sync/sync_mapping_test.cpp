// Seed 002's and seed 003's mapping rows and skip rules, one directory entry at a time
// (the pipeline around them: pipeline_test.cpp).
#include <gtest/gtest.h>

#include "core/claims.h"
#include "sync/pipeline.h"
#include "sync/sync_fixture.h"

namespace upsync {
namespace {

using testing::ad_user;

// One row per mapping of seed 002's table and seed 003's FAQ table that a user carries.
TEST(SyncMappingTest, EveryMappingRowOfSeeds002And003) {
  DirectoryUser u;
  u.object_id = "3f2504e0-4f89-11d3-9a0c-0305e82c3301";
  u.attributes = {
      {"userPrincipalName", {"gherrera@contoso.com"}},
      {"displayName", {"Gabriel Herrera"}},
      {"givenName", {"Gabriel"}},
      {"surname", {"Herrera"}},
      {"telephoneNumber", {"(123) 456-7890"}},
      {"proxyAddresses",
       {"smtp:old@contoso.com", "SMTP:gherrera@contoso.com", "SIP:gherrera@contoso.com"}},
      {"physicalDeliveryOfficeName", {"Building 4"}},
      {"jobTitle", {"Engineer"}},
      {"department", {"Research"}},
      {"wWWHomePage", {"https://contoso.com/g"}},
      {"preferredLanguage", {"es-ES"}},
      {"msExchHideFromAddressList", {"true"}},
      {"objectSid", {"AQUAAAAAAAUVAAAA"}},
      {"objectGuidBytes", {"4AQlP4lP0xGaDAMF6CwzAQ=="}},
      {"distinguishedName", {"CN=Gabriel,DC=contoso,DC=com"}},
      {"msExchRecipientTypeDetails", {"1"}},
  };
  struct Row {
    const char* directory_attribute;
    const char* property;
    const char* value;
  } rows[] = {
      {"UserPrincipalName", "UserName", "gherrera@contoso.com"},
      {"UserPrincipalName", "SPS-UserPrincipalName", "gherrera@contoso.com"},
      {"msonline-UserPrincipalName", "SPS-ClaimID", "gherrera@contoso.com"},
      {"DisplayName", "PreferredName", "Gabriel Herrera"},
      {"GivenName", "FirstName", "Gabriel"},
      {"sn", "LastName", "Herrera"},
      {"telephoneNumber", "WorkPhone", "(123) 456-7890"},
      {"proxyAddresses (SMTP:)", "WorkEmail", "gherrera@contoso.com"},
      {"proxyAddresses (SIP:)", "SPS-SipAddress", "gherrera@contoso.com"},
      {"PhysicalDeliveryOfficeName", "Office", "Building 4"},
      {"Title", "Title", "Engineer"},
      {"Title", "SPS-JobTitle", "Engineer"},
      {"Department", "Department", "Research"},
      {"Department", "SPS-Department", "Research"},
      {"WWWHomePage", "PublicSiteRedirect", "https://contoso.com/g"},
      {"PreferredLanguage", "SPS-MUILanguages", "es-ES"},
      {"msExchHideFromAddressList", "SPS-HideFromAddressLists", "true"},
      {"Manager", "Manager", "i:0#.f|membership|boss@contoso.com"},
      {"ObjectSid", "SPS-SavedSID", "AQUAAAAAAAUVAAAA"},
      {"ObjectGuid", "ADGuid", "4AQlP4lP0xGaDAMF6CwzAQ=="},
      {"DistinguishedName", "SPS-DistinguishedName", "CN=Gabriel,DC=contoso,DC=com"},
      {"msOnline-ObjectId", "msOnline-ObjectId", "3f2504e0-4f89-11d3-9a0c-0305e82c3301"},
      {"msExchRecipientTypeDetails", "SPS-RecipientTypeDetails", "1"},
  };
  auto props = profile_properties_for(u, "i:0#.f|membership|boss@contoso.com");
  for (const Row& r : rows) {
    SCOPED_TRACE(std::string(r.directory_attribute) + " -> " + r.property);
    auto it = std::find_if(props.begin(), props.end(),
                           [&](const PropertyChange& c) { return c.name == r.property; });
    ASSERT_NE(it, props.end());
    ASSERT_EQ(it->values.size(), 1u);
    EXPECT_EQ(it->values[0], r.value);
  }
}

TEST(SyncMappingTest, MailStandsInWithoutAPrimaryProxyAddress) {
  DirectoryUser u;
  u.attributes = {{"mail", {"a@contoso.com"}}, {"proxyAddresses", {"smtp:b@contoso.com"}}};
  auto props = profile_properties_for(u, "");
  auto email = std::find_if(props.begin(), props.end(),
                            [](const PropertyChange& c) { return c.name == "WorkEmail"; });
  ASSERT_NE(email, props.end());
  EXPECT_EQ(email->values, std::vector<std::string>{"a@contoso.com"});
}

// Graph's user fields from an Active Directory user, as Azure AD Connect flows them.
TEST(SyncMappingTest, GraphUserFieldsFlowFromActiveDirectory) {
  std::string extra =
      "sAMAccountName: adele\nmobile: +1 555 0101\nl: Redmond\nco: United States\n"
      "company: Contoso Ltd\nemployeeID: E-42\notherMailbox: adele@home.example\n"
      "otherMailbox: av@home.example\nextensionAttribute1: one\nextensionAttribute15: fifteen\n";
  auto records = parse_ldif(ad_user(1, "adele@contoso.com", extra));
  ASSERT_TRUE(records) << records.status().to_string();
  auto u = cloud_user_from_entry(records->front());
  ASSERT_TRUE(u) << u.status().to_string();
  using V = std::vector<std::string>;
  const std::map<std::string, V> expected = {
      {"mobile", {"+1 555 0101"}},
      {"city", {"Redmond"}},
      {"country", {"United States"}},
      {"companyName", {"Contoso Ltd"}},
      {"employeeId", {"E-42"}},
      {"otherMails", {"adele@home.example", "av@home.example"}},
      {"onPremisesSamAccountName", {"adele"}},
      {"onPremisesUserPrincipalName", {"adele@contoso.com"}},
      {"onPremisesDomainName", {"contoso.com"}},
      {"extensionAttribute1", {"one"}},
      {"extensionAttribute15", {"fifteen"}},
  };
  for (const auto& [name, values] : expected) {
    auto it = u->attributes.find(name);
    ASSERT_NE(it, u->attributes.end()) << name;
    EXPECT_EQ(it->second, values) << name;
  }
  EXPECT_FALSE(u->attributes.contains("extensionAttribute2"));
  EXPECT_FALSE(u->attributes.contains("onPremisesLastSyncDateTime"))
      << "stamped when written, not when read";
}

TEST(SyncMappingTest, SkipRulesOfSeed002) {
  DirectoryUser u;
  u.attributes = {{"userPrincipalName", {"a@b.c"}}, {"licensed", {"true"}}};
  EXPECT_FALSE(skip_reason(u));
  u.attributes["accountEnabled"] = {"false"};
  EXPECT_EQ(skip_reason(u), "account disabled");
  u.attributes["accountEnabled"] = {"true"};
  u.attributes["signInBlocked"] = {"true"};
  EXPECT_EQ(skip_reason(u), "sign-in blocked");
  u.attributes["signInBlocked"] = {"false"};
  u.attributes["licensed"] = {"false"};
  EXPECT_EQ(skip_reason(u), "no license");
}

}  // namespace
}  // namespace upsync
