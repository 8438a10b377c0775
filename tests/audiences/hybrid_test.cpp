// Hybrid settings and seed 000's redirection decision (src/audiences/hybrid.h): the base URL's
// checks, the audience that picks the hybrid users, and where their profile is online.
#include "audiences/hybrid.h"

#include <gtest/gtest.h>

#include "audiences/audiences.h"
#include "store/store_fixture.h"

namespace upsync {
namespace {

TEST(NormalizeOnlineUrlTest, KeepsTheFormAndRefusesWhatIsNotABaseUrl) {
  const std::pair<const char*, const char*> good[] = {
      {"https://contoso-my.sharepoint.com", "https://contoso-my.sharepoint.com"},
      {"HTTPS://Contoso-My.SharePoint.com/", "https://contoso-my.sharepoint.com"},
      {"http://127.0.0.1:8080/tenants/Contoso//", "http://127.0.0.1:8080/tenants/Contoso"},
  };
  for (const auto& [in, out] : good) {
    auto r = normalize_online_url(in);
    ASSERT_TRUE(r) << in << ": " << r.status().to_string();
    EXPECT_EQ(*r, out);
  }
  const std::pair<const char*, const char*> bad[] = {
      {"", "empty"},
      {"ftp://contoso.com", "not an http"},
      {"contoso.com", "not an http"},
      {"https://", "no host"},
      {"https:///path", "no host"},
      {"https://contoso.com/?a=1", "no query"},
      {"https://contoso.com/#x", "no query or fragment"},
      {"https://user:pw@contoso.com", "user information"},
      {"https://contoso.com/a b", "spaces"},
      {"javascript:alert(1)", "not an http"},
  };
  for (const auto& [in, why] : bad) {
    auto r = normalize_online_url(in);
    ASSERT_FALSE(r) << in;
    EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
    EXPECT_NE(r.status().message().find(why), std::string::npos) << r.status().message();
  }
}

class HybridTest : public testing::StoreTest {
 protected:
  void SetUp() override {
    StoreTest::SetUp();
    auto farm = store_->create_tenant({.name = "farm", .kind = TenantKind::kServer});
    ASSERT_TRUE(farm);
    farm_ = *farm;
  }
  Profile person(const std::string& login, std::vector<PropertyChange> props) {
    auto p = store_->create_profile(farm_.id, "i:0#.w|farm\\" + login, props);
    EXPECT_TRUE(p) << p.status().to_string();
    return p ? *p : Profile{};
  }
  std::optional<HybridProfileTarget> target(const Tenant& t, const Profile& p) {
    auto r = hybrid_profile_target(*store_, t, p);
    EXPECT_TRUE(r) << r.status().to_string();
    return r ? *r : std::nullopt;
  }
  Tenant farm_;
};

TEST_P(HybridTest, EveryoneIsHybridWithoutAnAudience) {
  Profile ann = person("ann", {{"SPS-UserPrincipalName", {"Ann.Lee@Contoso.com"}}});
  EXPECT_FALSE(target(farm_, ann));  // no settings: the server page
  auto s = set_hybrid_settings(*store_, farm_, "https://contoso-my.sharepoint.com/", std::nullopt);
  ASSERT_TRUE(s) << s.status().to_string();
  EXPECT_EQ(s->online_url, "https://contoso-my.sharepoint.com");
  auto t = target(farm_, ann);
  ASSERT_TRUE(t);
  EXPECT_EQ(t->person_url,
            "https://contoso-my.sharepoint.com/person.aspx?accountname="
            "i%3A0%23.f%7Cmembership%7Cann.lee%40contoso.com");
  EXPECT_EQ(t->personal_url, "https://contoso-my.sharepoint.com/personal/ann_lee_contoso_com/");
  EXPECT_EQ(*hybrid_person_url(*store_, farm_, ann), t->person_url);

  // Without a UPN, the work e-mail names them online; without either, they stay.
  Profile bob = person("bob", {{"WorkEmail", {"bob@contoso.com"}}});
  EXPECT_NE(target(farm_, bob)->person_url.find("bob%40contoso.com"), std::string::npos);
  Profile cy = person("cy", {});
  EXPECT_FALSE(target(farm_, cy));
}

TEST_P(HybridTest, OnlyTheAudienceIsHybridWhenOneIsNamed) {
  Profile ann =
      person("ann", {{"SPS-UserPrincipalName", {"ann@contoso.com"}}, {"Department", {"Sales"}}});
  Profile bob =
      person("bob", {{"SPS-UserPrincipalName", {"bob@contoso.com"}}, {"Department", {"Support"}}});
  auto a = add_audience(*store_, farm_,
                        {.name = "Hybrid", .rules = {*parse_audience_rule("Department=Sales")}});
  ASSERT_TRUE(a) << a.status().to_string();
  auto s = set_hybrid_settings(*store_, farm_, "https://contoso-my.sharepoint.com", "hybrid");
  ASSERT_TRUE(s) << s.status().to_string();
  EXPECT_EQ(s->audience_name, "Hybrid");
  EXPECT_TRUE(target(farm_, ann));
  EXPECT_FALSE(target(farm_, bob));  // seed 000: keeps the server profile

  // A cleared setting sends nobody online.
  auto hybrid = open_hybrid_store(*store_);
  ASSERT_TRUE((*hybrid)->clear(farm_.id));
  EXPECT_FALSE(target(farm_, ann));
}

TEST_P(HybridTest, BadSettingsAreRefusedAndLeaveTheOldOnes) {
  ASSERT_TRUE(set_hybrid_settings(*store_, farm_, "https://a.example.com", std::nullopt));
  auto no_audience = set_hybrid_settings(*store_, farm_, "https://b.example.com", "Nobody");
  ASSERT_FALSE(no_audience);
  EXPECT_EQ(no_audience.status().code(), StatusCode::kNotFound);
  EXPECT_NE(no_audience.status().message().find("Nobody"), std::string::npos);
  auto bad_url = set_hybrid_settings(*store_, farm_, "b.example.com", std::nullopt);
  EXPECT_EQ(bad_url.status().code(), StatusCode::kInvalidArgument);
  auto kept = (*open_hybrid_store(*store_))->get(farm_.id);
  EXPECT_EQ((*kept)->online_url, "https://a.example.com");

  // The online tenant has no hybrid settings, and its people no redirection.
  auto online = set_hybrid_settings(*store_, tenant_, "https://a.example.com", std::nullopt);
  EXPECT_EQ(online.status().code(), StatusCode::kFailedPrecondition);
  auto p = store_->create_profile(tenant_.id, "i:0#.f|membership|x@contoso.com",
                                  std::vector<PropertyChange>{});
  ASSERT_TRUE(p);
  EXPECT_FALSE(target(tenant_, *p));
}

UPSYNC_TEST_ON_EVERY_BACKEND(HybridTest);

}  // namespace
}  // namespace upsync
