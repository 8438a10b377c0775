// AudienceStore and HybridStore (src/audiences/) on every backend: audiences by name and id,
// membership paging and single changes, a deleted profile leaving its audiences, tenants kept
// apart, and hybrid settings that pin their audience.
#include <gtest/gtest.h>

#include "audiences/audiences.h"
#include "audiences/hybrid.h"
#include "store/store_fixture.h"

namespace upsync {
namespace {

class AudienceStoreTest : public testing::StoreTest {
 protected:
  void SetUp() override {
    StoreTest::SetUp();
    auto farm = store_->create_tenant({.name = "farm", .kind = TenantKind::kServer});
    ASSERT_TRUE(farm);
    farm_ = *farm;
    auto a = open_audience_store(*store_);
    ASSERT_TRUE(a);
    audiences_ = std::move(*a);
    auto h = open_hybrid_store(*store_);
    ASSERT_TRUE(h);
    hybrid_ = std::move(*h);
  }

  Audience sales() {
    Audience a;
    a.name = "Sales";
    a.description = "the sales people";
    a.match = AudienceMatch::kAny;
    a.rules = {
        {.kind = AudienceRuleKind::kPropertyEquals, .property = "Department", .value = "Sales"},
        {.kind = AudienceRuleKind::kMemberOf, .group = "0a1b"},
        {.kind = AudienceRuleKind::kReportsUnder, .manager = "i:0#.w|farm\\boss"}};
    return a;
  }

  Profile person(const std::string& login) {
    auto p = store_->create_profile(farm_.id, "i:0#.w|farm\\" + login, {});
    EXPECT_TRUE(p) << p.status().to_string();
    return p ? *p : Profile{};
  }

  Tenant farm_;
  std::unique_ptr<AudienceStore> audiences_;
  std::unique_ptr<HybridStore> hybrid_;
};

TEST_P(AudienceStoreTest, AddFindListAndRemoveKeepTheRules) {
  auto added = audiences_->add(farm_.id, sales());
  ASSERT_TRUE(added) << added.status().to_string();
  EXPECT_GT(added->id, 0);
  auto by_name = audiences_->find(farm_.id, "SALES");
  ASSERT_TRUE(by_name && *by_name);
  EXPECT_EQ((*by_name)->id, added->id);
  EXPECT_EQ((*by_name)->match, AudienceMatch::kAny);
  EXPECT_EQ((*by_name)->description, "the sales people");
  ASSERT_EQ((*by_name)->rules.size(), 3u);
  EXPECT_EQ(format_audience_rule((*by_name)->rules[0]), "Department=Sales");
  EXPECT_EQ(format_audience_rule((*by_name)->rules[1]), "memberOf:0a1b");
  EXPECT_EQ(format_audience_rule((*by_name)->rules[2]), "reportsUnder:i:0#.w|farm\\boss");
  auto by_id = audiences_->find(farm_.id, std::to_string(added->id));
  ASSERT_TRUE(by_id && *by_id);
  EXPECT_EQ((*by_id)->name, "Sales");

  auto again = audiences_->add(farm_.id, sales());
  ASSERT_FALSE(again);
  EXPECT_EQ(again.status().code(), StatusCode::kAlreadyExists);

  EXPECT_EQ(audiences_->list(farm_.id)->size(), 1u);
  EXPECT_TRUE(*audiences_->remove(farm_.id, added->id));
  EXPECT_FALSE(*audiences_->remove(farm_.id, added->id));
  EXPECT_FALSE(*audiences_->find(farm_.id, "Sales"));
}

TEST_P(AudienceStoreTest, MembershipReplacedChangedPagedAndCounted) {
  auto a = audiences_->add(farm_.id, sales());
  ASSERT_TRUE(a);
  Profile p1 = person("p1"), p2 = person("p2"), p3 = person("p3");
  ASSERT_TRUE(audiences_->set_members(farm_.id, a->id, {p3.id, p1.id}));
  EXPECT_EQ(*audiences_->members(farm_.id, a->id, 0, 10), (std::vector<ProfileId>{p1.id, p3.id}));
  EXPECT_EQ(*audiences_->members(farm_.id, a->id, 0, 1), (std::vector<ProfileId>{p1.id}));
  EXPECT_EQ(*audiences_->members(farm_.id, a->id, p1.id, 10), (std::vector<ProfileId>{p3.id}));
  EXPECT_FALSE(audiences_->members(farm_.id, a->id, 0, 0));
  auto found = audiences_->find(farm_.id, "Sales");
  EXPECT_EQ((*found)->member_count, 2);
  EXPECT_FALSE((*found)->compiled_at.empty());

  EXPECT_TRUE(*audiences_->set_member(farm_.id, a->id, p2.id, true));
  EXPECT_FALSE(*audiences_->set_member(farm_.id, a->id, p2.id, true));
  EXPECT_TRUE(*audiences_->is_member(farm_.id, a->id, p2.id));
  EXPECT_TRUE(*audiences_->set_member(farm_.id, a->id, p1.id, false));
  EXPECT_FALSE(*audiences_->set_member(farm_.id, a->id, p1.id, false));
  EXPECT_FALSE(*audiences_->is_member(farm_.id, a->id, p1.id));

  // A full compile replaces everything.
  ASSERT_TRUE(audiences_->set_members(farm_.id, a->id, {p1.id}));
  EXPECT_EQ(*audiences_->members(farm_.id, a->id, 0, 10), (std::vector<ProfileId>{p1.id}));
  EXPECT_FALSE(audiences_->set_members(farm_.id, a->id + 99, {p1.id}));
}

TEST_P(AudienceStoreTest, ADeletedProfileLeavesEveryAudience) {
  auto a = audiences_->add(farm_.id, sales());
  Audience other = sales();
  other.name = "Others";
  auto b = audiences_->add(farm_.id, other);
  ASSERT_TRUE(a && b);
  Profile p1 = person("p1"), p2 = person("p2");
  ASSERT_TRUE(audiences_->set_members(farm_.id, a->id, {p1.id, p2.id}));
  ASSERT_TRUE(audiences_->set_members(farm_.id, b->id, {p1.id}));
  ASSERT_TRUE(store_->delete_profile(farm_.id, p1.id));
  EXPECT_EQ(*audiences_->members(farm_.id, a->id, 0, 10), (std::vector<ProfileId>{p2.id}));
  EXPECT_TRUE(audiences_->members(farm_.id, b->id, 0, 10)->empty());
  ASSERT_TRUE(audiences_->remove_profile(farm_.id, p2.id));
  EXPECT_TRUE(audiences_->members(farm_.id, a->id, 0, 10)->empty());
}

TEST_P(AudienceStoreTest, TenantsDoNotSeeEachOthersAudiences) {
  auto a = audiences_->add(farm_.id, sales());
  ASSERT_TRUE(a);
  auto other = store_->create_tenant({.name = "farm2", .kind = TenantKind::kServer});
  ASSERT_TRUE(other);
  EXPECT_FALSE(*audiences_->find(other->id, "Sales"));
  EXPECT_FALSE(*audiences_->find(other->id, std::to_string(a->id)));
  EXPECT_TRUE(audiences_->list(other->id)->empty());
  EXPECT_FALSE(*audiences_->remove(other->id, a->id));
  EXPECT_TRUE(*audiences_->find(farm_.id, "Sales"));
  // The same name is free in another tenant.
  EXPECT_TRUE(audiences_->add(other->id, sales()));
}

TEST_P(AudienceStoreTest, HybridSettingsSetReadClearAndPinTheirAudience) {
  EXPECT_FALSE(*hybrid_->get(farm_.id));
  auto a = audiences_->add(farm_.id, sales());
  ASSERT_TRUE(a);
  ASSERT_TRUE(hybrid_->set(
      farm_.id, {.online_url = "https://contoso-my.sharepoint.com", .audience_id = a->id}));
  auto s = hybrid_->get(farm_.id);
  ASSERT_TRUE(s && *s);
  EXPECT_EQ((*s)->online_url, "https://contoso-my.sharepoint.com");
  EXPECT_EQ((*s)->audience_id, a->id);
  EXPECT_EQ((*s)->audience_name, "Sales");
  EXPECT_FALSE((*s)->updated_at.empty());

  auto removed = audiences_->remove(farm_.id, a->id);
  ASSERT_FALSE(removed);
  EXPECT_EQ(removed.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_NE(removed.status().message().find("hybrid settings"), std::string::npos);
  EXPECT_TRUE(*audiences_->find(farm_.id, "Sales"));

  ASSERT_TRUE(hybrid_->set(farm_.id, {.online_url = "https://other.example.com"}));
  s = hybrid_->get(farm_.id);
  EXPECT_EQ((*s)->online_url, "https://other.example.com");
  EXPECT_FALSE((*s)->audience_id);
  EXPECT_TRUE(*audiences_->remove(farm_.id, a->id));
  EXPECT_FALSE(*hybrid_->get(tenant_.id));
  EXPECT_TRUE(*hybrid_->clear(farm_.id));
  EXPECT_FALSE(*hybrid_->clear(farm_.id));
  EXPECT_FALSE(*hybrid_->get(farm_.id));
}

UPSYNC_TEST_ON_EVERY_BACKEND(AudienceStoreTest);

}  // namespace
}  // namespace upsync
