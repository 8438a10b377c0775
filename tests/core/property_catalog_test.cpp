// The default catalog against seed 001's table (every row, verbatim) and the properties
// that seeds 002 and 003 add.
#include "core/property_catalog.h"

#include <gtest/gtest.h>

#include <set>
#include <string>

#include "core/text.h"

namespace upsync {
namespace {

struct SeedRow {
  const char* name;
  const char* display_name;
  const char* seed_type;  // the seed's third column, as written there
};

// Seed 001, "the list of the 60 user properties inclusive data type", copied row by row.
constexpr SeedRow kSeed001[] = {
    {"AboutMe", "About me", "HTML"},
    {"AccountName", "Account name", "Person"},
    {"ADGuid", "Active Directory Id", "binary"},
    {"Assistant", "Assistant", "Person"},
    {"CellPhone", "Mobile phone", "string (single-value)"},
    {"Department", "Department", "string (single-value)"},
    {"Fax", "Fax", "string (single-value)"},
    {"FirstName", "First name", "string (single-value)"},
    {"HomePhone", "Home phone", "string (single-value"},
    {"LastName", "Last name", "string (single-value)"},
    {"Manager", "Manager", "Person"},
    {"Office", "Office", "string (single-value)"},
    {"PersonalSpace", "Personal site", "URL"},
    {"PictureURL", "Picture", "URL"},
    {"PreferredName", "Name", "string (single-value)"},
    {"PublicSiteRedirect", "Public site redirect", "URL"},
    {"QuickLinks", "Quick links", "string (single-value)"},
    {"SID", "SID", "binary"},
    {"SPS-Birthday", "Birthday", "date no year"},
    {"SPS-ClaimID", "Claim User Identifier", "string (single-value)"},
    {"SPS-ClaimProviderID", "Claim Provider Identifier", "string (single-value)"},
    {"SPS-ClaimProviderType", "Claim Provider Type", "string (single-value)"},
    {"SPS-DataSource", "Data source", "string (single-value)"},
    {"SPS-DisplayOrder", "Display Order", "integer"},
    {"SPS-DistinguishedName", "Distinguished Name", "string (single-value)"},
    {"SPS-DontSuggestList", "Don't Suggest List", "Person"},
    {"SPS-Dotted-line", "Dotted-line Manager", "Person"},
    {"SPS-EmailOptin", "Email Notifications", "integer"},
    {"SPS-HireDate", "Hire date", "date"},
    {"SPS-Interests", "Interests", "string (multi-value)"},
    {"SPS-JobTitle", "Job Title", "string (single-value)"},
    {"SPS-LastColleagueAdded", "Last Colleague Added", "date"},
    {"SPS-LastKeywordAdded", "Last Keyword Added", "date"},
    {"SPS-Location", "Office Location", "string (single-value)"},
    {"SPS-MemberOf", "MemberOf", "string (multi-value)"},
    {"SPS-MySiteUpgrade", "My Site Upgrade", "boolean"},
    {"SPS-ObjectExists", "Object Exists", "string (single-value)"},
    {"SPS-OWAUrl", "Outlook Web Access URL", "URL"},
    {"SPS-PastProjects", "Past projects", "string (multi-value)"},
    {"SPS-Peers", "Peers", "string (single-value)"},
    {"SPS-PhoneticDisplayName", "Phonetic Display Name", "string (single-value)"},
    {"SPS-PhoneticFirstName", "Phonetic First Name", "string (single-value)"},
    {"SPS-PhoneticLastName", "Phonetic Last Name", "string (single-value)"},
    {"SPS-ProxyAddresses", "Proxy addresses", "string (multi-value)"},
    {"SPS-ResourceSID", "Resource Forest SID", "binary"},
    {"SPS-Responsibility", "Ask Me About", "string (multi-value)"},
    {"SPS-SavedAccountName", "Saved Account Name", "string (single-value)"},
    {"SPS-SavedSID", "Saved SID", "binary"},
    {"SPS-School", "Schools", "string (multi-value)"},
    {"SPS-SipAddress", "SIP Address", "string (single-value)"},
    {"SPS-Skills", "Skills", "string (multi-value)"},
    {"SPS-SourceObjectDN", "Source Object Distinguished Name", "string (multi-value)"},
    {"SPS-StatusNotes", "Status Message", "string (single-value)"},
    {"SPS-TimeZone", "Time Zone", "time zone"},
    {"Title", "Title", "string (single-value)"},
    {"UserName", "User name", "string (single-value)"},
    {"UserProfile_GUID", "Id", "unique identifier"},
    {"WebSite", "Web site", "URL"},
    {"WorkEmail", "Work e-mail", "E-mail"},
    {"WorkPhone", "Work phone", "string (single-value)"},
};

// Seed 001's type column → the data type and multi-value flag it states.
void expect_type(const PropertyDefinition& d, std::string_view seed_type) {
  const std::string t = ascii_lower(seed_type);
  if (t.starts_with("string (single-value")) {  // one row lacks the closing parenthesis
    EXPECT_EQ(d.type, DataType::kString);
    EXPECT_FALSE(d.multi_value);
    return;
  }
  if (t == "string (multi-value)") {
    EXPECT_EQ(d.type, DataType::kString);
    EXPECT_TRUE(d.multi_value);
    return;
  }
  EXPECT_FALSE(d.multi_value);
  auto parsed = parse_data_type(t);
  ASSERT_TRUE(parsed.has_value()) << "seed type '" << seed_type << "' has no DataType";
  EXPECT_EQ(d.type, *parsed) << "seed type '" << seed_type << "'";
}

TEST(PropertyCatalogTest, HoldsEveryRowOfSeed001AsStated) {
  EXPECT_EQ(std::size(kSeed001), 60u);
  for (const SeedRow& row : kSeed001) {
    SCOPED_TRACE(row.name);
    const PropertyDefinition* d = find_default_property(row.name);
    ASSERT_NE(d, nullptr);
    EXPECT_EQ(d->name, row.name);
    EXPECT_EQ(d->display_name, row.display_name);
    expect_type(*d, row.seed_type);
    EXPECT_FALSE(d->custom);
  }
}

TEST(PropertyCatalogTest, AddsThePropertiesOfSeeds002And003) {
  // Profile properties named in seed 002's sync table and seed 003's FAQ table that seed
  // 001's list lacks; all of them are written by directory sync.
  for (const char* name :
       {"SPS-UserPrincipalName", "SPS-Department", "SPS-MUILanguages", "SPS-HideFromAddressLists",
        "msOnline-ObjectId", "SPS-RecipientTypeDetails", "SPS-UserType", "IsUnifiedGroup",
        "IsPublic", "GroupType", "SPO-IsSPO"}) {
    SCOPED_TRACE(name);
    const PropertyDefinition* d = find_default_property(name);
    ASSERT_NE(d, nullptr);
    EXPECT_TRUE(d->directory_imported);
    EXPECT_FALSE(d->multi_value);
  }
  EXPECT_EQ(default_property_catalog().size(), 60u + 11u);
}

TEST(PropertyCatalogTest, NamesAreUniqueAndCaseInsensitive) {
  std::set<std::string> seen;
  for (const PropertyDefinition& d : default_property_catalog()) {
    EXPECT_TRUE(seen.insert(ascii_lower(d.name)).second) << d.name;
  }
  // Seed 003 spells seed 001's SPS-SipAddress as SPS-SIPAddress.
  const PropertyDefinition* sip = find_default_property("SPS-SIPAddress");
  ASSERT_NE(sip, nullptr);
  EXPECT_EQ(sip->name, "SPS-SipAddress");
  EXPECT_EQ(find_default_property("NoSuchProperty"), nullptr);
}

// Seed 002's table: which properties sync writes, and its "Sync to sites" column.
TEST(PropertyCatalogTest, FlagsFollowSeed002SyncTable) {
  struct Row {
    const char* name;
    bool sync_to_sites;
  };
  constexpr Row kSeed002[] = {
      {"AccountName", true},
      {"UserName", true},
      {"SPS-UserPrincipalName", true},
      {"PreferredName", true},
      {"FirstName", true},
      {"LastName", true},
      {"WorkPhone", true},
      {"WorkEmail", true},
      {"SPS-SipAddress", true},
      {"Office", true},
      {"Title", true},
      {"SPS-JobTitle", true},
      {"Department", true},
      {"PublicSiteRedirect", false},
      {"SPS-MUILanguages", true},
      {"SPS-HideFromAddressLists", false},
      {"Manager", true},
  };
  for (const Row& r : kSeed002) {
    SCOPED_TRACE(r.name);
    const PropertyDefinition* d = find_default_property(r.name);
    ASSERT_NE(d, nullptr);
    EXPECT_TRUE(d->directory_imported);
    EXPECT_EQ(d->sync_to_sites, r.sync_to_sites);
    EXPECT_FALSE(d->user_editable) << "synced properties are not user-editable";
  }
  // "Job Title contains the same value as Title and is connected to a term set."
  EXPECT_TRUE(find_default_property("SPS-JobTitle")->taxonomy_bound);
  EXPECT_TRUE(find_default_property("SPS-Department")->taxonomy_bound);
}

// Seed 003's FAQ table: every profile property there is a core directory property.
TEST(PropertyCatalogTest, Seed003CoreDirectoryPropertiesAreDirectoryImported) {
  for (const char* name : {"SPS-SavedSID",
                           "UserName",
                           "AccountName",
                           "SPS-ClaimID",
                           "SPS-UserPrincipalName",
                           "FirstName",
                           "LastName",
                           "Manager",
                           "PreferredName",
                           "WorkPhone",
                           "WorkEmail",
                           "SPS-SIPAddress",
                           "Office",
                           "Title",
                           "SPS-JobTitle",
                           "Department",
                           "SPS-Department",
                           "ADGuid",
                           "PublicSiteRedirect",
                           "SPS-DistinguishedName",
                           "msOnline-ObjectId",
                           "SPS-MUILanguages",
                           "SPS-HideFromAddressLists",
                           "SPS-RecipientTypeDetails",
                           "IsUnifiedGroup",
                           "IsPublic",
                           "SPS-UserType",
                           "GroupType",
                           "SPO-IsSPO"}) {
    SCOPED_TRACE(name);
    const PropertyDefinition* d = find_default_property(name);
    ASSERT_NE(d, nullptr);
    EXPECT_TRUE(d->directory_imported);
  }
  // Seed 003's example: AboutMe is editable by users.
  EXPECT_TRUE(find_default_property("AboutMe")->user_editable);
}

}  // namespace
}  // namespace upsync
