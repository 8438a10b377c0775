// The pipeline's stage 3 (seed 002's step 4): profiles copied into every site's user
// information list that holds them, on every storage backend.
#include <gtest/gtest.h>

#include "sites/site_users.h"
#include "sync/sync_fixture.h"

namespace upsync {
namespace {

using testing::ad_user;
using testing::guid_b64;
using testing::SyncTest;

// ---- Stage 3: profiles → site user information lists (seed 002's step 4) ---------------------

class SiteSyncTest : public SyncTest {
 protected:
  void SetUp() override {
    SyncTest::SetUp();
    auto s = open_site_user_store(*store_);
    ASSERT_TRUE(s) << s.status().to_string();
    sites_ = std::move(*s);
  }
  SiteUser ensure(const std::string& site, const std::string& upn) {
    auto u = ensure_site_user(*store_, *sites_, tenant_, site, by_upn(upn));
    EXPECT_TRUE(u) << u.status().to_string();
    return u ? *u : SiteUser{};
  }
  SiteUser in_site(const std::string& site, const std::string& upn) {
    auto u = sites_->by_login(tenant_.id, site, "i:0#.f|membership|" + upn);
    EXPECT_TRUE(u && *u) << upn << " in " << site;
    return u && *u ? **u : SiteUser{};
  }
  std::unique_ptr<SiteUserStore> sites_;
};

TEST_P(SiteSyncTest, EnsuringAUserCopiesTheSyncToSitesPropertiesOnly) {
  ASSERT_TRUE(sync(kDirectory));
  SiteUser megan = ensure("/sites/HR", "megan@contoso.com");
  EXPECT_EQ(megan.site, "sites/hr");
  EXPECT_EQ(megan.id, 1);
  EXPECT_EQ(megan.login_name, "i:0#.f|membership|megan@contoso.com");
  // The Yes rows of seed 002.
  EXPECT_EQ(megan.first("PreferredName"), "Megan Bowen");
  EXPECT_EQ(megan.first("FirstName"), "Megan");
  EXPECT_EQ(megan.first("LastName"), "Bowen");
  EXPECT_EQ(megan.first("WorkPhone"), "(123) 456-7890");
  EXPECT_EQ(megan.first("WorkEmail"), "megan.bowen@contoso.com");
  EXPECT_EQ(megan.first("SPS-SipAddress"), "megan@contoso.com");
  EXPECT_EQ(megan.first("Office"), "Redmond");
  EXPECT_EQ(megan.first("Title"), "CEO");
  EXPECT_EQ(megan.first("SPS-JobTitle"), "CEO");
  EXPECT_EQ(megan.first("Department"), "Executive");
  EXPECT_EQ(megan.first("SPS-MUILanguages"), "en-US");
  EXPECT_EQ(megan.first("UserName"), "megan@contoso.com");
  // The No rows stay out: WWWHomePage (public site redirect), msExchHideFromAddressList.
  EXPECT_EQ(megan.properties.count("SPS-HideFromAddressLists"), 0u);
  for (const auto& [name, values] : megan.properties) {
    EXPECT_NE(values.front(), "https://contoso.com/megan") << name;
  }
  // Ids count per site collection; ensuring again keeps the id.
  EXPECT_EQ(ensure("/sites/hr", "vesa@contoso.com").id, 2);
  EXPECT_EQ(ensure("/teams/x", "vesa@contoso.com").id, 1);
  EXPECT_EQ(ensure("sites/hr/", "megan@contoso.com").id, 1);
  EXPECT_EQ(sites_->list(tenant_.id, "sites/hr")->size(), 2u);
}

TEST_P(SiteSyncTest, Stage3CopiesChangedProfilesIntoEverySiteThatHoldsThem) {
  ASSERT_TRUE(sync(kDirectory));
  ensure("/sites/hr", "vesa@contoso.com");
  ensure("/teams/x", "vesa@contoso.com");
  ensure("/sites/hr", "megan@contoso.com");
  const std::string megan_updated = in_site("sites/hr", "megan@contoso.com").updated_at;

  std::string changed = kDirectory;
  changed.replace(changed.find("title: PM"), 9, "title: Principal PM");
  auto delta = sync(changed);
  ASSERT_TRUE(delta) << delta.status().to_string();
  const StageReport& s3 = stage(*delta, "profiles-to-sites");
  EXPECT_EQ(s3.read, 1) << "only the changed profile is read";
  EXPECT_EQ(s3.updated, 2) << "Vesa's entries in both site collections";
  EXPECT_EQ(in_site("sites/hr", "vesa@contoso.com").first("Title"), "Principal PM");
  EXPECT_EQ(in_site("teams/x", "vesa@contoso.com").first("Title"), "Principal PM");
  EXPECT_EQ(in_site("sites/hr", "megan@contoso.com").updated_at, megan_updated);

  // Nothing changed: stage 3 reads nothing.
  auto idle = sync(changed);
  ASSERT_TRUE(idle);
  EXPECT_EQ(stage(*idle, "profiles-to-sites").read, 0);
}

TEST_P(SiteSyncTest, AdminEditsAndCustomSyncToSitesPropertiesReachTheSitesAtTheNextRun) {
  PropertyDefinition cost;
  cost.name = "CostCenter";
  cost.display_name = "Cost center";
  cost.type = DataType::kString;
  cost.sync_to_sites = true;
  ASSERT_TRUE(store_->add_custom_property(tenant_.id, cost));
  PropertyDefinition secret = cost;
  secret.name = "Badge";
  secret.sync_to_sites = false;
  ASSERT_TRUE(store_->add_custom_property(tenant_.id, secret));
  ASSERT_TRUE(sync(kDirectory));
  ensure("/sites/hr", "bert@contoso.com");

  Profile bert = by_upn("bert@contoso.com");
  ASSERT_TRUE(store_->update_profile(
      tenant_.id, bert.id,
      std::vector<PropertyChange>{{"CostCenter", {"4711"}}, {"Badge", {"B-17"}}}));
  EXPECT_EQ(in_site("sites/hr", "bert@contoso.com").first("CostCenter"), "")
      << "sites get the change from stage 3, not at once";
  auto r = run_sync(*store_, tenant_, nullptr, {});
  ASSERT_TRUE(r) << r.status().to_string();
  EXPECT_EQ(stage(*r, "profiles-to-sites").updated, 1);
  SiteUser copy = in_site("sites/hr", "bert@contoso.com");
  EXPECT_EQ(copy.first("CostCenter"), "4711");
  EXPECT_EQ(copy.properties.count("Badge"), 0u) << "not flagged sync to sites";
}

TEST_P(SiteSyncTest, ADeletedProfileStaysInTheSitesListAsInSharePoint) {
  ASSERT_TRUE(sync(kDirectory));
  ensure("/sites/hr", "bert@contoso.com");
  std::string without_bert = kDirectory;
  const size_t at = without_bert.find("dn: CN=User 3,");
  without_bert.erase(at, without_bert.find("\n\n", at) + 2 - at);
  auto r = sync(without_bert);
  ASSERT_TRUE(r) << r.status().to_string();
  EXPECT_EQ(stage(*r, "store-to-profiles").deleted, 1);
  EXPECT_FALSE(has_profile("bert@contoso.com"));
  EXPECT_EQ(in_site("sites/hr", "bert@contoso.com").first("FirstName"), "Bert");
  EXPECT_EQ(stage(*r, "profiles-to-sites").updated, 0);
}

TEST_P(SiteSyncTest, DryRunAndFullRunOfStage3) {
  ASSERT_TRUE(sync(kDirectory));
  ensure("/sites/hr", "vesa@contoso.com");
  std::string changed = kDirectory;
  changed.replace(changed.find("title: PM"), 9, "title: Principal PM");
  SyncOptions dry;
  dry.dry_run = true;
  auto d = sync(changed, dry);
  ASSERT_TRUE(d) << d.status().to_string();
  EXPECT_EQ(stage(*d, "profiles-to-sites").updated, 1);
  ASSERT_EQ(stage(*d, "profiles-to-sites").changes.size(), 1u);
  EXPECT_EQ(stage(*d, "profiles-to-sites").changes[0],
            "~ /sites/hr i:0#.f|membership|vesa@contoso.com");
  EXPECT_EQ(in_site("sites/hr", "vesa@contoso.com").first("Title"), "PM") << "dry: nothing written";

  ASSERT_TRUE(sync(changed));
  SyncOptions full;
  full.full = true;
  auto f = run_sync(*store_, tenant_, nullptr, full);
  ASSERT_TRUE(f) << f.status().to_string();
  EXPECT_GE(stage(*f, "profiles-to-sites").read, *store_->count_profiles(tenant_.id))
      << "a full run re-reads the whole profile feed";
  EXPECT_EQ(stage(*f, "profiles-to-sites").updated, 0) << "and ends where the delta run did";
  EXPECT_EQ(in_site("sites/hr", "vesa@contoso.com").first("Title"), "Principal PM");
}

TEST(SiteCollectionKeyTest, NamesTheRootSitesAndTeamsAndRefusesTheRest) {
  EXPECT_EQ(*site_collection_key(""), "");
  EXPECT_EQ(*site_collection_key("/"), "");
  EXPECT_EQ(*site_collection_key("/sites/HR"), "sites/hr");
  EXPECT_EQ(*site_collection_key("/teams/X/Shared Documents/a.json"), "teams/x");
  for (const char* bad : {"/hr", "/personal/bob", "/sites/", "/sites/..", "/sites/a\\b"}) {
    auto k = site_collection_key(bad);
    ASSERT_FALSE(k) << bad;
    EXPECT_EQ(k.status().code(), StatusCode::kInvalidArgument);
    EXPECT_NE(k.status().message().find(bad), std::string::npos) << k.status().message();
  }
}

UPSYNC_TEST_ON_EVERY_BACKEND(SiteSyncTest);

}  // namespace
}  // namespace upsync
