// The rows and rules of a browser's sign-in (auth/sign_in_store.h, auth/browser_sign_in.h) on
// every backend: codes and refresh tokens taken once, sessions found only while live, redirect
// URIs checked.
#include "auth/browser_sign_in.h"

#include <gtest/gtest.h>

#include "auth/secret.h"
#include "store/store_fixture.h"

namespace upsync {
namespace {

class BrowserSignInTest : public testing::StoreTest {
 protected:
  void SetUp() override {
    StoreTest::SetUp();
    auto made =
        register_app_with_redirect_uris(*store_, tenant_, "web", {"https://app.example.com/cb"});
    ASSERT_TRUE(made) << made.status().to_string();
    client_id_ = made->app.client_id;
    auto s = open_sign_in_store(*store_);
    ASSERT_TRUE(s);
    sign_ins_ = std::move(*s);
  }
  AuthorizationCode grant() {
    AuthorizationCode c;
    c.client_id = client_id_;
    c.redirect_uri = "https://app.example.com/cb";
    c.code_challenge = base64url_encode(sha256_digest(std::string(43, 'v')));
    c.scope = "openid";
    c.upn = "adele@contoso.com";
    c.token_generation = 3;
    return c;
  }
  std::string client_id_;
  std::unique_ptr<SignInStore> sign_ins_;
};

TEST_P(BrowserSignInTest, ACodeIsTakenOnceThenIsAReplay) {
  auto code = issue_code(*sign_ins_, tenant_.id, grant(), 1000);
  ASSERT_TRUE(code) << code.status().to_string();
  auto first = sign_ins_->take_code(tenant_.id, code_key(*code), 1010);
  ASSERT_TRUE(first);
  EXPECT_EQ(first->state, CodeTake::kFresh);
  EXPECT_EQ(first->code.upn, "adele@contoso.com");
  EXPECT_EQ(first->code.token_generation, 3);
  EXPECT_EQ(first->code.expires_at, 1000 + kCodeLifetimeSeconds);
  EXPECT_EQ(sign_ins_->take_code(tenant_.id, code_key(*code), 1011)->state, CodeTake::kUsed);
  // Another connection (another process) sees the same.
  auto other = storage_->connect();
  ASSERT_TRUE(other);
  auto other_sign_ins = open_sign_in_store(**other);
  EXPECT_EQ((*other_sign_ins)->take_code(tenant_.id, code_key(*code), 1012)->state,
            CodeTake::kUsed);
  EXPECT_EQ(sign_ins_->take_code(tenant_.id, code_key("made-up"), 1012)->state, CodeTake::kUnknown);
}

TEST_P(BrowserSignInTest, AnExpiredCodeIsRefusedAndAnotherTenantsIsUnknown) {
  auto code = issue_code(*sign_ins_, tenant_.id, grant(), 1000);
  ASSERT_TRUE(code);
  auto fabrikam = store_->create_tenant({.name = "fabrikam"});
  ASSERT_TRUE(fabrikam);
  EXPECT_EQ(sign_ins_->take_code(fabrikam->id, code_key(*code), 1001)->state, CodeTake::kUnknown);
  EXPECT_EQ(sign_ins_->take_code(tenant_.id, code_key(*code), 1000 + kCodeLifetimeSeconds)->state,
            CodeTake::kExpired);
  // Long after expiry the row is gone.
  EXPECT_EQ(sign_ins_->take_code(tenant_.id, code_key(*code), 1000 + 2 * 3600)->state,
            CodeTake::kUnknown);
}

TEST_P(BrowserSignInTest, PkceTakesOnlyTheVerifierOfTheChallenge) {
  std::string verifier(43, 'v');
  std::string challenge = base64url_encode(sha256_digest(verifier));
  EXPECT_TRUE(is_s256_challenge(challenge));
  EXPECT_TRUE(pkce_matches(verifier, challenge));
  EXPECT_FALSE(pkce_matches(verifier + "v", challenge));
  EXPECT_FALSE(pkce_matches(challenge, challenge));  // "plain"
  EXPECT_FALSE(pkce_matches(std::string(42, 'v'),
                            base64url_encode(sha256_digest(std::string(42, 'v')))));  // too short
  EXPECT_FALSE(
      pkce_matches(std::string(43, '!'), base64url_encode(sha256_digest(std::string(43, '!')))));
  EXPECT_FALSE(is_s256_challenge(verifier + "=="));
}

TEST_P(BrowserSignInTest, ASessionIsFoundOnlyWhileLive) {
  Principal adele;
  adele.upn = "adele@contoso.com";
  adele.token_generation = 2;
  auto made = start_browser_session(*sign_ins_, tenant_.id, adele, 1000);
  ASSERT_TRUE(made) << made.status().to_string();
  EXPECT_NE(made->session.key, made->cookie_value);  // only the hash is stored
  SessionPolicy policy{.idle_seconds = 100, .absolute_seconds = 500};
  auto found = find_browser_session(*sign_ins_, tenant_.id, made->cookie_value, policy, 1050);
  ASSERT_TRUE(found && *found);
  EXPECT_EQ((*found)->upn, "adele@contoso.com");
  EXPECT_EQ((*found)->token_generation, 2);
  EXPECT_EQ((*found)->csrf_token.size(), 43u);
  EXPECT_FALSE(
      find_browser_session(*sign_ins_, tenant_.id, made->cookie_value, policy, 1100)->has_value());
  ASSERT_TRUE(sign_ins_->touch_session(tenant_.id, made->session.key, 1090).is_ok());
  EXPECT_TRUE(
      find_browser_session(*sign_ins_, tenant_.id, made->cookie_value, policy, 1150)->has_value());
  // However recently used, not past the absolute expiry.
  ASSERT_TRUE(sign_ins_->touch_session(tenant_.id, made->session.key, 1480).is_ok());
  EXPECT_FALSE(
      find_browser_session(*sign_ins_, tenant_.id, made->cookie_value, policy, 1500)->has_value());
  ASSERT_TRUE(sign_ins_->end_session(tenant_.id, made->session.key).is_ok());
  EXPECT_FALSE(
      find_browser_session(*sign_ins_, tenant_.id, made->cookie_value, policy, 1010)->has_value());
  // A value we never issue is not even looked up.
  EXPECT_FALSE(find_browser_session(*sign_ins_, tenant_.id, "'; DROP TABLE x; --", policy, 1010)
                   ->has_value());
}

TEST_P(BrowserSignInTest, ARefreshTokenIsTakenOnceAndRevokedByFamilyPersonOrApp) {
  RefreshGrant g;
  g.client_id = client_id_;
  g.upn = "Adele@contoso.com";
  g.scope = "openid offline_access https://graph.microsoft.com/.default";
  g.token_generation = 4;
  auto first = issue_refresh_token(*sign_ins_, tenant_.id, g, 1000);
  ASSERT_TRUE(first) << first.status().to_string();
  EXPECT_EQ(first->size(), 43u);
  auto taken = sign_ins_->take_refresh_token(tenant_.id, code_key(*first), 1010);
  ASSERT_TRUE(taken);
  ASSERT_EQ(taken->state, RefreshTake::kFresh);
  EXPECT_EQ(taken->grant.family, code_key(*first));  // the first of its family names it
  EXPECT_EQ(taken->grant.upn, "adele@contoso.com");
  EXPECT_EQ(taken->grant.token_generation, 4);
  EXPECT_EQ(taken->grant.expires_at, 1000 + kRefreshTokenLifetimeSeconds);
  // Rotation: the next one is of the same family; the first, presented again, is a replay.
  g.family = taken->grant.family;
  auto second = issue_refresh_token(*sign_ins_, tenant_.id, g, 1010);
  ASSERT_TRUE(second);
  auto replay = sign_ins_->take_refresh_token(tenant_.id, code_key(*first), 1020);
  ASSERT_TRUE(replay);
  EXPECT_EQ(replay->state, RefreshTake::kUsed);
  EXPECT_EQ(replay->grant.family, g.family);
  ASSERT_TRUE(sign_ins_->revoke_refresh_family(tenant_.id, g.family).is_ok());
  EXPECT_EQ(sign_ins_->take_refresh_token(tenant_.id, code_key(*second), 1030)->state,
            RefreshTake::kUnknown);

  // Expired; and revoked for a person (sign-out) or with the app.
  g.family.clear();
  auto old = issue_refresh_token(*sign_ins_, tenant_.id, g, 1000);
  ASSERT_TRUE(old);
  EXPECT_EQ(
      sign_ins_->take_refresh_token(tenant_.id, code_key(*old), 1000 + kRefreshTokenLifetimeSeconds)
          ->state,
      RefreshTake::kExpired);
  auto signed_out = issue_refresh_token(*sign_ins_, tenant_.id, g, 1000);
  ASSERT_TRUE(signed_out);
  ASSERT_TRUE(sign_ins_->revoke_refresh_tokens(tenant_.id, "ADELE@contoso.com").is_ok());
  EXPECT_EQ(sign_ins_->take_refresh_token(tenant_.id, code_key(*signed_out), 1010)->state,
            RefreshTake::kUnknown);
  auto with_app = issue_refresh_token(*sign_ins_, tenant_.id, g, 1000);
  ASSERT_TRUE(with_app);
  ASSERT_TRUE((*store_->credential_store())->remove_app(tenant_.id, client_id_).is_ok());
  EXPECT_EQ(sign_ins_->take_refresh_token(tenant_.id, code_key(*with_app), 1010)->state,
            RefreshTake::kUnknown);
  EXPECT_EQ(sign_ins_->take_refresh_token(tenant_.id, code_key("made-up"), 1010)->state,
            RefreshTake::kUnknown);
}

TEST_P(BrowserSignInTest, RedirectUrisAreCheckedAndRegisteredWithTheirAppOnly) {
  auto uris = sign_ins_->redirect_uris(tenant_.id, client_id_);
  ASSERT_TRUE(uris);
  EXPECT_EQ(*uris, std::vector<std::string>{"https://app.example.com/cb"});
  EXPECT_EQ(
      sign_ins_->add_redirect_uri(tenant_.id, client_id_, "https://app.example.com/cb").code(),
      StatusCode::kAlreadyExists);
  EXPECT_EQ(sign_ins_->add_redirect_uri(tenant_.id, "no-such-app", "https://x.example.com/").code(),
            StatusCode::kNotFound);
  for (const char* bad :
       {"http://app.example.com/cb", "https://app.example.com/cb#f", "https://u@app.example.com/cb",
        "https://", "javascript:alert(1)", "https://app.example.com/a b"}) {
    EXPECT_EQ(check_redirect_uri(bad).code(), StatusCode::kInvalidArgument) << bad;
  }
  for (const char* good : {"http://localhost:3000/cb", "http://127.0.0.1/cb", "http://[::1]:8/cb",
                           "https://app.example.com:8443/cb?x=1"}) {
    EXPECT_TRUE(check_redirect_uri(good).is_ok()) << good;
  }
  // A bad URI among good ones registers nothing.
  auto apps_before = (*store_->credential_store())->apps(tenant_.id);
  EXPECT_FALSE(register_app_with_redirect_uris(
      *store_, tenant_, "bad", {"https://ok.example.com/", "http://bad.example.com/"}));
  EXPECT_EQ((*store_->credential_store())->apps(tenant_.id)->size(), apps_before->size());
  // Removing the app removes its URIs.
  ASSERT_TRUE((*store_->credential_store())->remove_app(tenant_.id, client_id_).is_ok());
  EXPECT_TRUE(sign_ins_->redirect_uris(tenant_.id, client_id_)->empty());
}

UPSYNC_TEST_ON_EVERY_BACKEND(BrowserSignInTest);

}  // namespace
}  // namespace upsync
