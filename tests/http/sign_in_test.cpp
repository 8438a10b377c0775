// A person's sign-in in a browser against the real `upsync serve` (sign_in_fixture.h), spoken as
// an OAuth client would: the authorize endpoint's checks, the one-time code and its redemption
// with PKCE, the redirect URIs registered for an app, and the attacks on each (open redirects,
// replayed or stolen codes). The form's failures and the pages' cookie session are in
// page_session_test.cpp.
#include <gtest/gtest.h>
#include <httplib.h>

#include <nlohmann/json.hpp>

#include "http/sign_in_fixture.h"

namespace upsync {
namespace {

using testing::challenge_of;
using testing::hidden_value;
using testing::jwt_claims;
using testing::kRedirect;
using testing::kVerifier;
using testing::location_params;
using testing::param;
using testing::run;
using testing::run_output;
using testing::SignInTest;

TEST_F(SignInTest, ARegisteredClientGetsACodeThatRedeemsForTokensWithTheNonce) {
  start();
  std::string c = code();
  ASSERT_EQ(c.size(), 43u);
  auto r = redeem(c, client_id_);
  ASSERT_TRUE(r);
  ASSERT_EQ(r->status, 200) << r->body;
  auto answer = nlohmann::json::parse(r->body);
  auto id = jwt_claims(answer["id_token"]);
  EXPECT_EQ(id["nonce"], "n0nce");
  EXPECT_EQ(id["aud"], client_id_);
  EXPECT_EQ(id["preferred_username"], "adele@contoso.com");
  auto info = nlohmann::json::parse(*base64url_decode(answer["client_info"].get<std::string>()));
  EXPECT_EQ(info["uid"], "adele@contoso.com");
  EXPECT_EQ(info["utid"], "contoso");
  auto access = jwt_claims(answer["access_token"]);
  EXPECT_EQ(access["aud"], "https://contoso.sharepoint.com");
  EXPECT_EQ(access["azp"], client_id_);
  httplib::Headers h = host_;
  h.emplace("Authorization", "Bearer " + answer["access_token"].get<std::string>());
  auto me = cli_->Get("/tenants/contoso/admin/v1/me", h);
  ASSERT_TRUE(me);
  EXPECT_EQ(me->status, 200) << me->body;
  EXPECT_EQ(nlohmann::json::parse(me->body)["userPrincipalName"], "adele@contoso.com");
}

TEST_F(SignInTest, ACodeIsGoodOnceAndOnlyForItsClientRedirectAndVerifier) {
  start();
  std::string c = code();
  ASSERT_EQ(redeem(c, client_id_)->status, 200);
  auto replay = redeem(c, client_id_);
  EXPECT_EQ(replay->status, 400);
  EXPECT_NE(replay->body.find("AADSTS54005"), std::string::npos) << replay->body;

  auto wrong_verifier = redeem(code(), client_id_, std::string(kVerifier) + "x");
  EXPECT_EQ(wrong_verifier->status, 400);
  EXPECT_NE(wrong_verifier->body.find("AADSTS501481"), std::string::npos) << wrong_verifier->body;

  // A wrong try spends the code: the right verifier after it is a replay.
  std::string spent = code();
  EXPECT_EQ(redeem(spent, client_id_, std::string(kVerifier) + "y")->status, 400);
  EXPECT_NE(redeem(spent, client_id_)->body.find("AADSTS54005"), std::string::npos);

  auto other_client = redeem(code(), other_id_);
  EXPECT_EQ(other_client->status, 400);
  EXPECT_NE(other_client->body.find("another client"), std::string::npos) << other_client->body;

  auto other_redirect = redeem(code(), client_id_, kVerifier, "https://app.example.com/other");
  EXPECT_EQ(other_redirect->status, 400);
  EXPECT_NE(other_redirect->body.find("AADSTS50011"), std::string::npos);

  auto made_up = redeem("AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", client_id_);
  EXPECT_EQ(made_up->status, 400);
  EXPECT_NE(made_up->body.find("AADSTS9002313"), std::string::npos);
}

TEST_F(SignInTest, APasswordChangeAfterSignInMakesTheCodeUseless) {
  start();
  std::string c = code();
  ASSERT_EQ(run({"--data-dir", data(), "user", "password", "set", "-t", "contoso",
                 "adele@contoso.com", "--password", "an0ther-pass"}),
            0);
  auto r = redeem(c, client_id_);
  EXPECT_EQ(r->status, 400);
  EXPECT_NE(r->body.find("AADSTS50173"), std::string::npos) << r->body;
}

TEST_F(SignInTest, ARedirectUriNotRegisteredIsRefusedOnThePageNeverFollowed) {
  start();
  for (std::string bad : {"https://evil.example.com/callback", "https://app.example.com/callback/",
                          "https://app.example.com/callback?x=1", "https://app.example.com",
                          "HTTPS://APP.EXAMPLE.COM/callback", "//evil.example.com/callback",
                          "https://app.example.com.evil.example.com/callback"}) {
    auto r = cli_->Get(authorize_query(bad), host_);
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 400) << bad;
    EXPECT_FALSE(r->has_header("Location")) << bad;
    EXPECT_NE(r->body.find("AADSTS50011"), std::string::npos) << bad;
    // The form's POST is held to the same rule.
    auto post = cli_->Post(
        "/contoso/oauth2/v2.0/authorize", host_,
        httplib::Params{
            {"client_id", client_id_}, {"redirect_uri", bad}, {"response_type", "code"}});
    EXPECT_EQ(post->status, 400);
    EXPECT_FALSE(post->has_header("Location"));
  }
  auto unknown = cli_->Get(
      "/contoso/oauth2/v2.0/authorize?response_type=code&client_id=nobody"
      "&redirect_uri=" +
          url_encode(kRedirect),
      host_);
  EXPECT_EQ(unknown->status, 400);
  EXPECT_NE(unknown->body.find("AADSTS700016"), std::string::npos);
  EXPECT_FALSE(unknown->has_header("Location"));
}

TEST_F(SignInTest, BadRequestsForARegisteredRedirectGoBackAsErrors) {
  start();
  struct Case {
    std::string query;
    std::string error;
    std::string code;
  };
  std::string base = "/contoso/oauth2/v2.0/authorize?client_id=" + client_id_ +
                     "&redirect_uri=" + url_encode(kRedirect) + "&scope=openid";
  std::string s256 = "&code_challenge=" + challenge_of(kVerifier) + "&code_challenge_method=S256";
  for (const Case& c : std::vector<Case>{
           {"&response_type=token&state=s" + s256, "unsupported_response_type", "700054"},
           {"&response_type=code" + s256, "invalid_request", "900144"},    // no state
           {"&response_type=code&state=s", "invalid_request", "9002325"},  // no PKCE
           {"&response_type=code&state=s&code_challenge=" + challenge_of(kVerifier) +
                "&code_challenge_method=plain",
            "invalid_request", "9002326"},
           {"&response_type=code&state=s&code_challenge=" + std::string(kVerifier) +
                "&code_challenge_method=S256",
            "invalid_request", "9002326"},
           {"&response_type=code&state=s&prompt=none" + s256, "login_required", "50058"},
       }) {
    auto r = cli_->Get(base + c.query, host_);
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 302) << c.query << r->body;
    std::string location = r->get_header_value("Location");
    EXPECT_TRUE(location.starts_with(std::string(kRedirect) + "?")) << location;
    auto p = location_params(location);
    EXPECT_EQ(param(p, "error"), c.error) << c.query;
    EXPECT_NE(param(p, "error_description").find("AADSTS" + c.code), std::string::npos)
        << param(p, "error_description");
  }
}

TEST_F(SignInTest, ResponseModesFragmentAndFormPost) {
  start();
  auto frag = sign_in(authorize_query(kRedirect, "&response_mode=fragment"), "adele@contoso.com",
                      "pa55word!");
  ASSERT_EQ(frag->status, 302);
  std::string location = frag->get_header_value("Location");
  EXPECT_TRUE(location.starts_with(std::string(kRedirect) + "#code=")) << location;
  auto post = sign_in(authorize_query(kRedirect, "&response_mode=form_post"), "adele@contoso.com",
                      "pa55word!");
  ASSERT_EQ(post->status, 200);
  EXPECT_NE(post->body.find("action=\"https://app.example.com/callback\""), std::string::npos);
  EXPECT_EQ(hidden_value(post->body, "state"), "st4te");
  EXPECT_EQ(hidden_value(post->body, "code").size(), 43u);
  EXPECT_EQ(post->body.find("<script>"), std::string::npos);  // no inline script
  EXPECT_NE(post->get_header_value("Content-Security-Policy")
                .find("form-action 'self' https://app.example.com;"),
            std::string::npos);
}

TEST_F(SignInTest, RedirectUrisAreCheckedWhenRegistered) {
  for (std::string bad : {"http://app.example.com/cb", "ftp://x/cb", "https://app.example.com/cb#x",
                          "https://user@app.example.com/cb", "not a uri", "https:///cb"}) {
    EXPECT_EQ(
        run({"--data-dir", data(), "app", "add", "-t", "contoso", "bad", "--redirect-uri", bad}), 1)
        << bad;
  }
  auto apps = nlohmann::json::parse(
      run_output({"--data-dir", data(), "--json", "app", "list", "-t", "contoso"}));
  EXPECT_EQ(apps.size(), 2u);  // nothing half-registered
  EXPECT_EQ(run({"--data-dir", data(), "app", "add", "-t", "contoso", "native", "--redirect-uri",
                 "http://localhost:3000/cb"}),
            0);
}

}  // namespace
}  // namespace upsync

namespace upsync {
namespace {

TEST_F(SignInTest, TheAdminApiRegistersRedirectUrisAllOrNothing) {
  start();
  auto t = cli_->Post("/contoso/oauth2/v2.0/token", host_,
                      httplib::Params{{"grant_type", "password"},
                                      {"client_id", client_id_},
                                      {"username", "ga@contoso.com"},
                                      {"password", "pa55word!"},
                                      {"scope", "https://contoso.sharepoint.com/.default"}});
  ASSERT_EQ(t->status, 200) << t->body;
  httplib::Headers h = host_;
  h.emplace("Authorization",
            "Bearer " + nlohmann::json::parse(t->body)["access_token"].get<std::string>());
  for (std::string bad : {R"({"name":"x","redirectUris":["http://evil.example.com/cb"]})",
                          R"({"name":"x","redirectUris":"https://app.example.com/cb"})",
                          R"({"name":"x","redirectUris":[1]})",
                          R"({"name":"x","redirect_uris":["https://app.example.com/cb"]})"}) {
    auto r = cli_->Post("/tenants/contoso/admin/v1/apps", h, bad, "application/json");
    EXPECT_EQ(r->status, 400) << bad << r->body;
  }
  auto listed = nlohmann::json::parse(cli_->Get("/tenants/contoso/admin/v1/apps", h)->body);
  EXPECT_EQ(listed["value"].size(), 2u);  // nothing half-registered
  auto made = cli_->Post("/tenants/contoso/admin/v1/apps", h,
                         R"({"name":"spa","redirectUris":["https://spa.example.com/"]})",
                         "application/json");
  ASSERT_EQ(made->status, 201) << made->body;
  auto app = nlohmann::json::parse(made->body);
  EXPECT_EQ(app["redirectUris"], nlohmann::json::array({"https://spa.example.com/"}));
  listed = nlohmann::json::parse(cli_->Get("/tenants/contoso/admin/v1/apps", h)->body);
  ASSERT_EQ(listed["value"].size(), 3u);
  for (const auto& a : listed["value"]) {
    if (a["clientId"] == app["clientId"]) {
      EXPECT_EQ(a["redirectUris"], app["redirectUris"]);
    }
  }
  EXPECT_EQ(
      cli_->Get(authorize_query("https://spa.example.com/", "", app["clientId"]), host_)->status,
      200);
}

}  // namespace
}  // namespace upsync
