#include "auth/credentials.h"

#include <gtest/gtest.h>

#include "store/store_fixture.h"

namespace upsync {
namespace {

class CredentialsTest : public testing::StoreTest {
 protected:
  void SetUp() override {
    StoreTest::SetUp();
    auto c = open_credential_store(*store_);
    ASSERT_TRUE(c);
    creds_ = std::move(*c);
  }
  std::unique_ptr<CredentialStore> creds_;
};

TEST_P(CredentialsTest, AppsSignInWithTheirSecretOnly) {
  auto app = register_app(*creds_, tenant_, "  hr-sync ");
  ASSERT_TRUE(app) << app.status().to_string();
  EXPECT_EQ(app->app.name, "hr-sync");
  auto who = sign_in_app(*creds_, tenant_, app->app.client_id, app->secret);
  ASSERT_TRUE(who) << who.status().to_string();
  EXPECT_EQ(who->role, Role::kApp);
  EXPECT_EQ(who->client_id, app->app.client_id);
  EXPECT_TRUE(who->may_queue_bulk_import());

  auto wrong = sign_in_app(*creds_, tenant_, app->app.client_id, "nope");
  EXPECT_EQ(wrong.status().code(), StatusCode::kUnauthenticated);
  auto unknown = sign_in_app(*creds_, tenant_, "00000000-0000-0000-0000-000000000000", "x");
  EXPECT_EQ(unknown.status().code(), StatusCode::kNotFound);

  // The secret itself is nowhere in the database.
  auto listed = creds_->apps(tenant_.id);
  ASSERT_TRUE(listed);
  ASSERT_EQ(listed->size(), 1u);
  auto stored = creds_->app_with_secret(tenant_.id, app->app.client_id);
  ASSERT_TRUE(stored);
  EXPECT_EQ(stored->second.find(app->secret), std::string::npos);

  EXPECT_TRUE(creds_->remove_app(tenant_.id, app->app.client_id).is_ok());
  EXPECT_EQ(sign_in_app(*creds_, tenant_, app->app.client_id, app->secret).status().code(),
            StatusCode::kNotFound);
  EXPECT_EQ(creds_->remove_app(tenant_.id, app->app.client_id).code(), StatusCode::kNotFound);
  EXPECT_EQ(register_app(*creds_, tenant_, " ").status().code(), StatusCode::kInvalidArgument);
}

TEST_P(CredentialsTest, AppsOfOneTenantDoNotSignInToAnother) {
  auto other = store_->create_tenant({.name = "fabrikam"});
  ASSERT_TRUE(other);
  auto app = register_app(*creds_, tenant_, "a");
  ASSERT_TRUE(app);
  EXPECT_EQ(sign_in_app(*creds_, *other, app->app.client_id, app->secret).status().code(),
            StatusCode::kNotFound);
}

TEST_P(CredentialsTest, PeopleSignInWithRoleAndCaseInsensitiveUpn) {
  ASSERT_TRUE(
      set_password(*creds_, tenant_, "Adele@Contoso.com", Role::kSharePointAdmin, "correct horse")
          .is_ok());
  auto who = sign_in_user(*creds_, tenant_, "adele@contoso.com", "correct horse");
  ASSERT_TRUE(who) << who.status().to_string();
  EXPECT_EQ(who->role, Role::kSharePointAdmin);
  EXPECT_EQ(who->upn, "Adele@Contoso.com");
  EXPECT_FALSE(who->may_queue_bulk_import());  // seed 003: a SharePoint admin is not enough
  EXPECT_TRUE(who->manages_tenant());
  EXPECT_EQ(sign_in_user(*creds_, tenant_, "adele@contoso.com", "wrong").status().code(),
            StatusCode::kUnauthenticated);
  EXPECT_EQ(sign_in_user(*creds_, tenant_, "megan@contoso.com", "x").status().code(),
            StatusCode::kNotFound);

  // Setting again replaces password and role.
  ASSERT_TRUE(
      set_password(*creds_, tenant_, "adele@contoso.com", Role::kUser, "new password").is_ok());
  EXPECT_FALSE(sign_in_user(*creds_, tenant_, "adele@contoso.com", "correct horse"));
  who = sign_in_user(*creds_, tenant_, "adele@contoso.com", "new password");
  ASSERT_TRUE(who);
  EXPECT_EQ(who->role, Role::kUser);
  auto people = creds_->people(tenant_.id);
  ASSERT_TRUE(people);
  EXPECT_EQ(people->size(), 1u);
}

TEST_P(CredentialsTest, BadPasswordsAndNamesAreRefusedAndChangeNothing) {
  EXPECT_EQ(set_password(*creds_, tenant_, "adele@contoso.com", Role::kUser, "short").message(),
            "a password needs at least 8 characters");
  EXPECT_EQ(set_password(*creds_, tenant_, "adele", Role::kUser, "long enough").message(),
            "'adele' is not a user principal name (name@domain)");
  EXPECT_EQ(set_password(*creds_, tenant_, "a@b.c", Role::kApp, "long enough").message(),
            "a person cannot have the role 'app'");
  auto people = creds_->people(tenant_.id);
  ASSERT_TRUE(people);
  EXPECT_TRUE(people->empty());
}

// Issue 15: every change to a principal bumps its token generation, which no removal resets.
TEST_P(CredentialsTest, EveryChangeBumpsThePrincipalsTokenGeneration) {
  auto gen_of = [&](std::string_view upn) {
    auto who = creds_->person_with_password(tenant_.id, upn);
    return who ? who->first.token_generation : -1;
  };
  ASSERT_TRUE(
      set_password(*creds_, tenant_, "adele@contoso.com", Role::kUser, "pa55word!").is_ok());
  int64_t first = gen_of("ADELE@contoso.com");
  EXPECT_GT(first, 0);
  auto signed_in = sign_in_user(*creds_, tenant_, "adele@contoso.com", "pa55word!");
  ASSERT_TRUE(signed_in);
  EXPECT_EQ(signed_in->token_generation, first);
  // A new role, a new password, a removal and a new password again: each one higher.
  ASSERT_TRUE(
      set_password(*creds_, tenant_, "adele@contoso.com", Role::kGlobalAdmin, "pa55word!").is_ok());
  EXPECT_EQ(gen_of("adele@contoso.com"), first + 1);
  ASSERT_TRUE(creds_->remove_password(tenant_.id, "Adele@Contoso.com").is_ok());
  EXPECT_EQ(gen_of("adele@contoso.com"), -1);
  ASSERT_TRUE(
      set_password(*creds_, tenant_, "adele@contoso.com", Role::kUser, "pa55word!").is_ok());
  EXPECT_EQ(gen_of("adele@contoso.com"), first + 3);
  // A refused change bumps nothing.
  EXPECT_EQ(creds_->remove_password(tenant_.id, "nobody@contoso.com").code(),
            StatusCode::kNotFound);
  EXPECT_EQ(gen_of("nobody@contoso.com"), -1);

  auto app = register_app(*creds_, tenant_, "hr-sync");
  ASSERT_TRUE(app);
  auto stored = creds_->app_with_secret(tenant_.id, app->app.client_id);
  ASSERT_TRUE(stored);
  EXPECT_EQ(stored->first.token_generation, 1);
  auto who = sign_in_app(*creds_, tenant_, app->app.client_id, app->secret);
  ASSERT_TRUE(who);
  EXPECT_EQ(who->token_generation, 1);
  auto listed = creds_->apps(tenant_.id);
  ASSERT_TRUE(listed);
  EXPECT_EQ(listed->at(0).token_generation, 1);
}

UPSYNC_TEST_ON_EVERY_BACKEND(CredentialsTest);

}  // namespace
}  // namespace upsync
