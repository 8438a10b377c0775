// Server tenants: profiles straight from the connector's export with seed 001's 21 mapping
// rows (one table row each below), editable per tenant.
#include "sync/server_import.h"

#include <gtest/gtest.h>

#include <algorithm>

#include "audiences/audiences.h"
#include "sites/site_users.h"
#include "store/store_fixture.h"
#include "sync/run_history.h"

namespace upsync {
namespace {

class ServerImportTest : public testing::StoreTest {
 protected:
  void SetUp() override {
    StoreTest::SetUp();
    auto f = store_->create_tenant({.name = "farm", .kind = TenantKind::kServer});
    ASSERT_TRUE(f);
    farm_ = *f;
    auto m = open_mapping_store(*store_);
    ASSERT_TRUE(m);
    mappings_ = std::move(*m);
  }
  Result<SyncReport> import(const std::string& ldif, SyncOptions o = {}) {
    auto records = parse_ldif(ldif);
    if (!records) return records.status();
    return import_server_profiles(*store_, farm_, *records, o);
  }
  Profile profile(const std::string& account) {
    auto p = store_->profile(farm_.id, {ProfileKeyKind::kAccountName, account});
    EXPECT_TRUE(p) << account << ": " << p.status().to_string();
    return p ? *p : Profile{};
  }
  std::string values(const Profile& p, const std::string& name) {
    const PropertyValues* v = p.find(name);
    std::string out;
    if (v) {
      for (const auto& x : *v) out += (out.empty() ? "" : "|") + x;
    }
    return out;
  }
  Tenant farm_;
  std::unique_ptr<MappingStore> mappings_;
};

const std::string kAlice =
    "dn: CN=Alice,OU=Staff,DC=contoso,DC=com\n"
    "objectClass: user\n"
    "sAMAccountName: alice\n"
    "displayName: Alice Adams\n\n";

// sid bytes: S-1-5-21-1-2-3-1104 in binary; base64 below.
const std::string kSidBytes = std::string("\x01\x05\x00\x00\x00\x00\x00\x05", 8) +
                              std::string("\x15\x00\x00\x00\x01\x00\x00\x00", 8) +
                              std::string("\x02\x00\x00\x00\x03\x00\x00\x00", 8) +
                              std::string("\x50\x04\x00\x00", 4);

std::string bob_ldif() {
  return "dn: CN=Bob,OU=Staff,DC=contoso,DC=com\n"
         "objectClass: user\n"
         "objectSid:: " +
         base64_encode(kSidBytes) +
         "\n"
         "manager: CN=Alice,OU=Staff,DC=contoso,DC=com\n"
         "displayName: Bob Jansen\n"
         "givenName: Bob\n"
         "sn: Jansen\n"
         "msDS-PhoneticDisplayName: bob yahn-sen\n"
         "msDS-PhoneticFirstName: bob\n"
         "msDS-PhoneticLastName: yahn-sen\n"
         "telephoneNumber: +31 20 555 0100\n"
         "mail: bob@contoso.com\n"
         "physicalDeliveryOfficeName: Amsterdam 3.14\n"
         "title: Engineer\n"
         "department: R&D\n"
         "sAMAccountName: bob\n"
         "wWWHomePage: https://contoso.com/~bob\n"
         "proxyAddresses: SMTP:bob@contoso.com\n"
         "proxyAddresses: smtp:b.jansen@contoso.com\n"
         "msDS-SourceObjectDN: CN=Bob,OU=Users,DC=fabrikam,DC=com\n\n";
}

// Seed 001: User profile property (SPO) | AD DS attribute (AAD), and what each gives Bob.
struct Row {
  const char* property;
  const char* attribute;
  std::string expected;
};

TEST_P(ServerImportTest, EachOfSeed001sMappingRowsFlowsIntoTheProfile) {
  const std::vector<Row> rows = {
      {"SPS-DistinguishedName", "dn", "CN=Bob,OU=Staff,DC=contoso,DC=com"},
      {"SID", "objectSid", base64_encode(kSidBytes)},
      {"Manager", "manager", "i:0#.w|CONTOSO\\alice"},
      {"PreferredName", "displayName", "Bob Jansen"},
      {"FirstName", "givenName", "Bob"},
      {"LastName", "sn", "Jansen"},
      {"SPS-PhoneticDisplayName", "msDS-PhoneticDisplayName", "bob yahn-sen"},
      {"SPS-PhoneticFirstName", "msDS-PhoneticFirstName", "bob"},
      {"SPS-PhoneticLastName", "msDS-PhoneticLastName", "yahn-sen"},
      {"WorkPhone", "telephoneNumber", "+31 20 555 0100"},
      {"WorkEmail", "Mail/proxyAddress", "bob@contoso.com"},
      {"Office", "physicalDeliveryOfficeName", "Amsterdam 3.14"},
      {"SPS-JobTitle", "title", "Engineer"},
      {"Department", "department", "R&D"},
      {"UserName", "sAMAccountName", "bob"},
      {"PublicSiteRedirect", "wWWHomePage", "https://contoso.com/~bob"},
      {"SPS-ProxyAddresses", "proxyAddresses", "SMTP:bob@contoso.com|smtp:b.jansen@contoso.com"},
      {"SPS-SourceObjectDN", "msDS-SourceObjectDN", "CN=Bob,OU=Users,DC=fabrikam,DC=com"},
      {"SPS-ClaimID", "<specific to connection>", "contoso\\bob"},
      {"SPS-ClaimProviderID", "<specific to connection>", "Windows"},
      {"SPS-ClaimProviderType", "<specific to connection>", "Windows"},
  };
  // The defaults are seed 001's table, row for row.
  const auto& defaults = default_server_mappings();
  ASSERT_EQ(defaults.size(), rows.size());
  for (size_t i = 0; i < rows.size(); ++i) {
    EXPECT_EQ(defaults[i].property, rows[i].property);
    EXPECT_EQ(defaults[i].attribute, rows[i].attribute);
  }

  auto report = import(kAlice + bob_ldif());
  ASSERT_TRUE(report) << report.status().to_string();
  EXPECT_EQ(report->stages[0].added, 2);
  Profile bob = profile("i:0#.w|CONTOSO\\bob");
  for (const Row& r : rows) {
    EXPECT_EQ(values(bob, r.property), r.expected) << r.property << " <- " << r.attribute;
  }
  // A second run changes nothing.
  report = import(kAlice + bob_ldif());
  ASSERT_TRUE(report);
  EXPECT_EQ(report->stages[0].unchanged, 2);
  EXPECT_EQ(report->stages[0].added + report->stages[0].updated, 0);
}

TEST_P(ServerImportTest, WorkEmailFallsBackToThePrimarySmtpProxyAddress) {
  std::string ldif = bob_ldif();
  ldif.erase(ldif.find("mail: bob@contoso.com\n"), std::string("mail: bob@contoso.com\n").size());
  ASSERT_TRUE(import(kAlice + ldif));
  EXPECT_EQ(values(profile("i:0#.w|CONTOSO\\bob"), "WorkEmail"), "bob@contoso.com");
}

TEST_P(ServerImportTest, EditedMappingsApplyAndResetRestoresSeed001) {
  ASSERT_TRUE(mappings_->set(farm_, "Department", "departmentNumber").is_ok());
  ASSERT_TRUE(mappings_->set(farm_, "PublicSiteRedirect", "").is_ok());
  std::string ldif = bob_ldif() + kAlice;
  ldif.insert(ldif.find("sAMAccountName: bob"), "departmentNumber: 4711\n");
  ASSERT_TRUE(import(ldif));
  Profile bob = profile("i:0#.w|CONTOSO\\bob");
  EXPECT_EQ(values(bob, "Department"), "4711");
  EXPECT_EQ(values(bob, "PublicSiteRedirect"), "");
  auto list = mappings_->mappings(farm_);
  ASSERT_TRUE(list);
  EXPECT_EQ(list->size(), 20u);  // PublicSiteRedirect unmapped

  ASSERT_TRUE(mappings_->reset(farm_, "").is_ok());
  ASSERT_TRUE(import(ldif));
  bob = profile("i:0#.w|CONTOSO\\bob");
  EXPECT_EQ(values(bob, "Department"), "R&D");
  EXPECT_EQ(values(bob, "PublicSiteRedirect"), "https://contoso.com/~bob");
}

TEST_P(ServerImportTest, ARemovedPropertyTakesItsMappingWithIt) {
  PropertyDefinition badge;
  badge.name = "BadgeNumber";
  ASSERT_TRUE(store_->add_custom_property(farm_.id, badge));
  ASSERT_TRUE(mappings_->set(farm_, "badgenumber", "employeeNumber").is_ok());
  auto has_badge = [&]() {
    auto list = mappings_->mappings(farm_);
    EXPECT_TRUE(list) << list.status().to_string();
    return list && std::any_of(list->begin(), list->end(), [](const AttributeMapping& m) {
             return m.property == "BadgeNumber";
           });
  };
  EXPECT_TRUE(has_badge());
  ASSERT_TRUE(store_->remove_custom_property(farm_.id, "BadgeNumber").is_ok());
  EXPECT_FALSE(has_badge());
  // Defined again, the property starts unmapped, and a mapping to it is refused once it is gone.
  ASSERT_TRUE(store_->add_custom_property(farm_.id, badge));
  EXPECT_FALSE(has_badge());
  ASSERT_TRUE(store_->remove_custom_property(farm_.id, "BadgeNumber").is_ok());
  EXPECT_EQ(mappings_->set(farm_, "BadgeNumber", "employeeNumber").code(), StatusCode::kNotFound);
  EXPECT_FALSE(has_badge());
}

TEST_P(ServerImportTest, BadMappingsAreRefusedAndOnlineTenantsCannotEditThem) {
  EXPECT_EQ(mappings_->set(farm_, "NoSuchProperty", "x").code(), StatusCode::kNotFound);
  EXPECT_EQ(mappings_->set(farm_, "Department", "two words").code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(mappings_->set(farm_, "AccountName", "uid").code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(mappings_->reset(farm_, "Department").code(), StatusCode::kNotFound);
  auto online = mappings_->set(tenant_, "Department", "x");
  EXPECT_EQ(online.code(), StatusCode::kFailedPrecondition);
  EXPECT_EQ(online.message(),
            "tenant 'contoso' is an online tenant: its directory mappings are fixed (seed 002); "
            "only server tenants edit them");
}

TEST_P(ServerImportTest, UsersLeavingTheExportLoseTheirProfileWithinTheThreshold) {
  ASSERT_TRUE(import(kAlice + bob_ldif()));
  SyncOptions strict;
  strict.deletion_threshold = 0;
  auto refused = import(bob_ldif(), strict);
  ASSERT_FALSE(refused);
  EXPECT_NE(refused.status().message().find("would delete 1 profiles"), std::string::npos);
  EXPECT_TRUE(store_->profile(farm_.id, {ProfileKeyKind::kAccountName, "i:0#.w|CONTOSO\\alice"}));

  SyncOptions dry;
  dry.dry_run = true;
  auto preview = import(bob_ldif(), dry);
  ASSERT_TRUE(preview);
  EXPECT_EQ(preview->stages[0].deleted, 1);
  EXPECT_TRUE(store_->profile(farm_.id, {ProfileKeyKind::kAccountName, "i:0#.w|CONTOSO\\alice"}));

  auto report = import(bob_ldif());
  ASSERT_TRUE(report);
  EXPECT_EQ(report->stages[0].deleted, 1);
  EXPECT_FALSE(store_->profile(farm_.id, {ProfileKeyKind::kAccountName, "i:0#.w|CONTOSO\\alice"}));
  EXPECT_EQ(values(profile("i:0#.w|CONTOSO\\bob"), "Manager"), "");  // manager left the export
}

TEST_P(ServerImportTest, AnActiveDirectoryGroupWithAnAccountNameIsNotAProfile) {
  auto report = import(kAlice +
                       "dn: CN=Sales,OU=Groups,DC=contoso,DC=com\nobjectClass: top\n"
                       "objectClass: group\nsAMAccountName: sales\n"
                       "member: CN=Alice,OU=Staff,DC=contoso,DC=com\n\n");
  ASSERT_TRUE(report) << report.status().to_string();
  EXPECT_EQ(report->stages[0].added, 1);
  EXPECT_FALSE(store_->profile(farm_.id, {ProfileKeyKind::kAccountName, "i:0#.w|CONTOSO\\sales"}));
}

TEST_P(ServerImportTest, AValueTheSchemaRefusesSkipsThatUserOnly) {
  std::string ldif = bob_ldif();
  ldif.replace(ldif.find("mail: bob@contoso.com"), 21, "mail: not an address");
  auto report = import(kAlice + ldif);
  ASSERT_TRUE(report) << report.status().to_string();
  EXPECT_EQ(report->stages[0].added, 1);
  EXPECT_EQ(report->stages[0].skipped.at("a value the schema refuses"), 1);
  EXPECT_TRUE(store_->profile(farm_.id, {ProfileKeyKind::kAccountName, "i:0#.w|CONTOSO\\alice"}));
}

TEST_P(ServerImportTest, AnImportEndsByRefreshingTheSiteUserLists) {
  ASSERT_TRUE(import(kAlice));
  auto sites = open_site_user_store(*store_);
  ASSERT_TRUE(sites);
  auto alice = store_->profile(farm_.id, {ProfileKeyKind::kAccountName, "i:0#.w|CONTOSO\\alice"});
  ASSERT_TRUE(alice);
  ASSERT_TRUE(ensure_site_user(*store_, **sites, farm_, "/sites/intranet", *alice));
  std::string renamed = kAlice;
  renamed.replace(renamed.find("Alice Adams"), 11, "Alice Jones");
  auto report = import(renamed);
  ASSERT_TRUE(report) << report.status().to_string();
  ASSERT_EQ(report->stages.size(), 3u);
  EXPECT_EQ(report->stages[1].stage, "profiles-to-sites");
  EXPECT_EQ(report->stages[2].stage, "profiles-to-audiences");
  EXPECT_EQ(report->stages[1].updated, 1);
  auto copy = (*sites)->by_login(farm_.id, "sites/intranet", "i:0#.w|contoso\\alice");
  ASSERT_TRUE(copy && *copy);
  EXPECT_EQ((*copy)->first("PreferredName"), "Alice Jones");
}

TEST_P(ServerImportTest, AnImportEndsByKeepingAudiencesCurrent) {
  ASSERT_TRUE(import(kAlice + bob_ldif()));
  NewAudience rd;
  rd.name = "R&D";
  rd.rules = {*parse_audience_rule("Department=R&D"),
              *parse_audience_rule("reportsUnder:i:0#.w|CONTOSO\\alice")};
  auto added = add_audience(*store_, farm_, rd);
  ASSERT_TRUE(added) << added.status().to_string();
  EXPECT_EQ(added->member_count, 1);  // bob
  auto audiences = open_audience_store(*store_);
  ASSERT_TRUE(audiences);
  // Bob moves to another department: the import's last stage drops him.
  std::string moved = bob_ldif();
  moved.replace(moved.find("department: R&D"), 15, "department: Ops");
  auto report = import(kAlice + moved);
  ASSERT_TRUE(report) << report.status().to_string();
  EXPECT_EQ(report->stages.back().stage, "profiles-to-audiences");
  EXPECT_EQ(report->stages.back().deleted, 1);
  auto members = (*audiences)->members(farm_.id, added->id, 0, 10);
  ASSERT_TRUE(members);
  EXPECT_TRUE(members->empty());
  // A dry run changes nothing, the audience's membership included.
  SyncOptions dry;
  dry.dry_run = true;
  ASSERT_TRUE(import(kAlice + bob_ldif(), dry));
  EXPECT_TRUE((*audiences)->members(farm_.id, added->id, 0, 10)->empty());
  ASSERT_TRUE(import(kAlice + bob_ldif()));
  EXPECT_EQ((*audiences)->members(farm_.id, added->id, 0, 10)->size(), 1u);
}

TEST_P(ServerImportTest, TheRunHistoryRoutesServerTenantsHere) {
  auto records = parse_ldif(kAlice);
  ASSERT_TRUE(records);
  auto run = run_and_record(*store_, farm_, &*records, {}, "cli", "ldif");
  ASSERT_TRUE(run);
  EXPECT_TRUE(run->succeeded) << run->error;
  EXPECT_EQ(run->report.stages[0].stage, "connector-to-profiles");
  auto none = run_and_record(*store_, farm_, nullptr, {}, "cli", "cloud");
  ASSERT_TRUE(none);
  EXPECT_FALSE(none->succeeded);
  EXPECT_NE(none->error.find("is a server tenant"), std::string::npos);
  // And an online tenant is not imported this way.
  EXPECT_EQ(import_server_profiles(*store_, tenant_, *records, {}).status().code(),
            StatusCode::kFailedPrecondition);
}

UPSYNC_TEST_ON_EVERY_BACKEND(ServerImportTest);

}  // namespace
}  // namespace upsync
