// Following (src/sites/following.h) on every backend: follow, again, stop, the lists newest
// first, the limit, no self-follow, unknown profiles, and deletion of a profile's follows.
#include "sites/following.h"

#include <gtest/gtest.h>

#include "store/store_fixture.h"

namespace upsync {
namespace {

class FollowingTest : public testing::StoreTest {
 protected:
  void SetUp() override {
    StoreTest::SetUp();
    auto f = open_following_store(*store_);
    ASSERT_TRUE(f);
    following_ = std::move(*f);
  }
  std::unique_ptr<FollowingStore> following_;
};

TEST_P(FollowingTest, FollowStopAndTheListsBothWays) {
  Profile a = make_profile("a@contoso.com"), b = make_profile("b@contoso.com"),
          c = make_profile("c@contoso.com");
  const TenantId t = tenant_.id;
  EXPECT_EQ(*following_->follow(t, a.id, b.id), FollowOutcome::kFollowed);
  EXPECT_EQ(*following_->follow(t, a.id, b.id), FollowOutcome::kAlreadyFollowing);
  EXPECT_EQ(*following_->follow(t, a.id, c.id), FollowOutcome::kFollowed);
  EXPECT_EQ(*following_->follow(t, c.id, b.id), FollowOutcome::kFollowed);
  EXPECT_TRUE(*following_->is_following(t, a.id, b.id));
  EXPECT_FALSE(*following_->is_following(t, b.id, a.id));
  EXPECT_EQ(*following_->followed_by(t, a.id, 10), (std::vector<ProfileId>{c.id, b.id}));
  EXPECT_EQ(*following_->followed_by(t, a.id, 1), (std::vector<ProfileId>{c.id}));
  EXPECT_EQ(*following_->followers_of(t, b.id, 10), (std::vector<ProfileId>{c.id, a.id}));
  EXPECT_EQ(*following_->count_followed_by(t, a.id), 2);
  EXPECT_TRUE(*following_->stop_following(t, a.id, b.id));
  EXPECT_FALSE(*following_->stop_following(t, a.id, b.id));
  EXPECT_EQ(*following_->followers_of(t, b.id, 10), (std::vector<ProfileId>{c.id}));
}

TEST_P(FollowingTest, RefusesSelfUnknownAndOtherTenantsProfiles) {
  Profile a = make_profile("a@contoso.com");
  const TenantId t = tenant_.id;
  auto self = following_->follow(t, a.id, a.id);
  ASSERT_FALSE(self);
  EXPECT_EQ(self.status().code(), StatusCode::kInvalidArgument);
  auto nobody = following_->follow(t, a.id, a.id + 1000);
  ASSERT_FALSE(nobody);
  EXPECT_EQ(nobody.status().code(), StatusCode::kNotFound);
  auto other = store_->create_tenant({.name = "fabrikam"});
  ASSERT_TRUE(other);
  auto stranger = store_->create_profile(other->id, "i:0#.f|membership|s@fabrikam.com", {});
  ASSERT_TRUE(stranger);
  EXPECT_EQ(following_->follow(t, a.id, stranger->id).status().code(), StatusCode::kNotFound);
  EXPECT_TRUE(following_->followed_by(t, a.id, 10)->empty());
  EXPECT_FALSE(following_->followed_by(t, a.id, 0));
}

TEST_P(FollowingTest, DeletingAProfileDeletesItsFollowsBothWays) {
  Profile a = make_profile("a@contoso.com"), b = make_profile("b@contoso.com"),
          c = make_profile("c@contoso.com");
  const TenantId t = tenant_.id;
  ASSERT_TRUE(following_->follow(t, a.id, b.id));
  ASSERT_TRUE(following_->follow(t, b.id, c.id));
  ASSERT_TRUE(store_->delete_profile(t, b.id));
  EXPECT_TRUE(following_->followed_by(t, a.id, 10)->empty());
  EXPECT_TRUE(following_->followers_of(t, c.id, 10)->empty());
}

TEST_P(FollowingTest, APersonFollowsAtMostTheLimit) {
  Profile me = make_profile("me@contoso.com");
  const TenantId t = tenant_.id;
  ASSERT_TRUE(store_->in_bulk_transaction([&]() -> Status {
    for (int i = 0; i < kMaxFollowedPeople; ++i) {
      UPSYNC_ASSIGN_OR_RETURN(
          Profile p, store_->create_profile(
                         t, "i:0#.f|membership|p" + std::to_string(i) + "@contoso.com", {}));
      UPSYNC_RETURN_IF_ERROR(following_->follow(t, me.id, p.id).status());
    }
    return Status::ok();
  }));
  Profile last = make_profile("last@contoso.com");
  EXPECT_EQ(*following_->follow(t, me.id, last.id), FollowOutcome::kLimitReached);
  EXPECT_FALSE(*following_->is_following(t, me.id, last.id));
}

UPSYNC_TEST_ON_EVERY_BACKEND(FollowingTest);

}  // namespace
}  // namespace upsync
