#include "auth/credential_cache.h"

#include <gtest/gtest.h>

#include <chrono>
#include <thread>

#include "auth/credentials.h"
#include "store/store_fixture.h"

namespace upsync {
namespace {

class CredentialCacheTest : public testing::StoreTest {
 protected:
  void SetUp() override {
    StoreTest::SetUp();
    auto c = open_credential_store(*store_);
    ASSERT_TRUE(c);
    creds_ = std::move(*c);
  }
  std::unique_ptr<CredentialStore> creds_;
};

TEST_P(CredentialCacheTest, AChangeIsSeenOnceTheBoundHasPassed) {
  auto app = register_app(*creds_, tenant_, "hr-sync");
  ASSERT_TRUE(app);
  ASSERT_TRUE(
      set_password(*creds_, tenant_, "adele@contoso.com", Role::kGlobalAdmin, "pa55word!").is_ok());
  // Long enough for the two password hashes below, even under the sanitizers.
  CredentialCache cache(std::chrono::milliseconds(3000));
  auto a = cache.app(*store_, tenant_.id, app->app.client_id);
  ASSERT_TRUE(a);
  EXPECT_TRUE(a->present);
  EXPECT_EQ(a->name, "hr-sync");
  auto p = cache.person(*store_, tenant_.id, "ADELE@contoso.com");
  ASSERT_TRUE(p);
  EXPECT_EQ(p->role, Role::kGlobalAdmin);
  int64_t gen = p->token_generation;

  ASSERT_TRUE(creds_->remove_app(tenant_.id, app->app.client_id).is_ok());
  ASSERT_TRUE(
      set_password(*creds_, tenant_, "adele@contoso.com", Role::kUser, "pa55word!").is_ok());
  // Within the bound the remembered answers stand (that is the cache's whole point) ...
  EXPECT_TRUE(cache.app(*store_, tenant_.id, app->app.client_id)->present);
  EXPECT_EQ(cache.person(*store_, tenant_.id, "adele@contoso.com")->token_generation, gen);
  // ... and after it the store's answer is read again.
  std::this_thread::sleep_for(std::chrono::milliseconds(3100));
  EXPECT_FALSE(cache.app(*store_, tenant_.id, app->app.client_id)->present);
  auto now = cache.person(*store_, tenant_.id, "adele@contoso.com");
  ASSERT_TRUE(now);
  EXPECT_EQ(now->role, Role::kUser);
  EXPECT_EQ(now->token_generation, gen + 1);
  // Unknown principals are answers too (not present), not errors.
  auto nobody = cache.person(*store_, tenant_.id, "nobody@contoso.com");
  ASSERT_TRUE(nobody);
  EXPECT_FALSE(nobody->present);
}

TEST_P(CredentialCacheTest, ItNeverHoldsMoreThanItsCapacity) {
  CredentialCache cache(std::chrono::seconds(60), 3);
  for (int i = 0; i < 10; ++i) {
    ASSERT_TRUE(cache.person(*store_, tenant_.id, "p" + std::to_string(i) + "@contoso.com"));
    EXPECT_LE(cache.size(), 3u);
  }
  CredentialCache off(std::chrono::milliseconds(0));
  ASSERT_TRUE(off.person(*store_, tenant_.id, "p@contoso.com"));
  EXPECT_EQ(off.size(), 0u) << "a zero bound remembers nothing";
}

UPSYNC_TEST_ON_EVERY_BACKEND(CredentialCacheTest);

}  // namespace
}  // namespace upsync
