// The token endpoint and bearer-token checks of the real `upsync serve`: every grant and every
// refusal in Azure AD's shape, and which tokens the server accepts.
#include <gtest/gtest.h>
#include <httplib.h>

#include <chrono>
#include <nlohmann/json.hpp>
#include <thread>

#include "auth/secret.h"
#include "auth/token_signer.h"
#include "core/clock.h"
#include "http/server_process.h"
#include "test_support.h"

namespace upsync {
namespace {

using testing::run;
using testing::Server;
using testing::TempDir;

// Runs the CLI and returns its stdout.
std::string cli_output(const TempDir& dir, const std::string& args) {
  std::string cmd = testing::binary() + " --data-dir " + dir.str() + "/data " + args;
  std::string out;
  FILE* p = popen(cmd.c_str(), "r");
  char buf[4096];
  size_t n;
  while ((n = fread(buf, 1, sizeof buf, p)) > 0) out.append(buf, n);
  pclose(p);
  return out;
}

class OAuthTest : public ::testing::Test {
 protected:
  void SetUp() override {
    for (const char* t : {"contoso", "fabrikam"}) {
      ASSERT_EQ(run({"--data-dir", data(), "tenant", "create", t}), 0);
    }
    auto app = nlohmann::json::parse(cli_output(dir_, "--json app add -t contoso hr-sync"));
    client_id_ = app["clientId"];
    secret_ = app["clientSecret"];
    auto other = nlohmann::json::parse(cli_output(dir_, "--json app add -t fabrikam other"));
    other_id_ = other["clientId"];
    other_secret_ = other["clientSecret"];
    for (auto [upn, role] : {std::pair{"ga@contoso.com", "global-admin"},
                             {"spa@contoso.com", "sharepoint-admin"},
                             {"adele@contoso.com", "user"}}) {
      ASSERT_EQ(run({"--data-dir", data(), "user", "password", "set", "-t", "contoso", upn,
                     "--role", role, "--password", "pa55word!"}),
                0);
    }
  }
  std::string data() const { return dir_.str() + "/data"; }

  httplib::Result token(httplib::Client& cli, const std::string& tenant,
                        const httplib::Params& form) {
    return cli.Post("/" + tenant + "/oauth2/v2.0/token", form);
  }
  std::string app_token(httplib::Client& cli) {
    auto r = token(cli, "contoso",
                   {{"grant_type", "client_credentials"},
                    {"client_id", client_id_},
                    {"client_secret", secret_},
                    {"scope", "https://contoso.sharepoint.com/.default"}});
    EXPECT_TRUE(r && r->status == 200) << (r ? r->body : "no answer");
    return nlohmann::json::parse(r->body)["access_token"];
  }
  nlohmann::json me(httplib::Client& cli, const std::string& token, int want_status,
                    const std::string& path = "/tenants/contoso/admin/v1/me") {
    auto r = cli.Get(path, {{"Authorization", "Bearer " + token}});
    EXPECT_TRUE(r);
    if (!r) return {};
    EXPECT_EQ(r->status, want_status) << r->body;
    return nlohmann::json::parse(r->body);
  }

  TempDir dir_;
  std::string client_id_, secret_, other_id_, other_secret_;
};

TEST_F(OAuthTest, ClientCredentialsGiveAnAppTokenShapedLikeAzureAds) {
  Server srv(dir_);
  ASSERT_GT(srv.port(), 0);
  httplib::Client cli("127.0.0.1", srv.port());
  auto r = token(cli, "contoso",
                 {{"grant_type", "client_credentials"},
                  {"client_id", client_id_},
                  {"client_secret", secret_},
                  {"scope", "https://contoso.sharepoint.com/.default"}});
  ASSERT_TRUE(r);
  ASSERT_EQ(r->status, 200) << r->body;
  auto j = nlohmann::json::parse(r->body);
  EXPECT_EQ(j["token_type"], "Bearer");
  EXPECT_EQ(j["expires_in"], 3599);
  std::string jwt = j["access_token"];
  auto payload =
      base64url_decode(jwt.substr(jwt.find('.') + 1, jwt.rfind('.') - jwt.find('.') - 1));
  ASSERT_TRUE(payload);
  auto claims = nlohmann::json::parse(*payload);
  EXPECT_EQ(claims["aud"], "https://contoso.sharepoint.com");
  EXPECT_EQ(claims["tid"], "contoso");
  EXPECT_EQ(claims["idtyp"], "app");
  EXPECT_EQ(claims["appid"], client_id_);
  EXPECT_EQ(claims["iss"], "http://127.0.0.1:" + std::to_string(srv.port()) + "/contoso/v2.0");
  EXPECT_EQ(claims["exp"].get<int64_t>() - claims["iat"].get<int64_t>(), 3599);

  auto who = me(cli, jwt, 200);
  EXPECT_EQ(who["role"], "app");
  EXPECT_EQ(who["clientId"], client_id_);

  // HTTP Basic client authentication (client_secret_basic) works as well.
  httplib::Client basic("127.0.0.1", srv.port());
  basic.set_basic_auth(client_id_, secret_);
  r = basic.Post("/contoso/oauth2/v2.0/token",
                 httplib::Params{{"grant_type", "client_credentials"},
                                 {"scope", "https://contoso.sharepoint.com/.default"}});
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200) << r->body;
}

TEST_F(OAuthTest, PasswordGrantCarriesThePersonsRole) {
  Server srv(dir_);
  httplib::Client cli("127.0.0.1", srv.port());
  for (auto [upn, role] : {std::pair{"ga@contoso.com", "global-admin"},
                           {"spa@contoso.com", "sharepoint-admin"},
                           {"ADELE@contoso.com", "user"}}) {
    auto r = token(cli, "contoso",
                   {{"grant_type", "password"},
                    {"client_id", client_id_},
                    {"username", upn},
                    {"password", "pa55word!"},
                    {"scope", "openid https://contoso.sharepoint.com/.default"}});
    ASSERT_TRUE(r);
    ASSERT_EQ(r->status, 200) << r->body;
    auto j = nlohmann::json::parse(r->body);
    EXPECT_TRUE(j.contains("id_token")) << "openid was asked for";
    auto who = me(cli, j["access_token"], 200);
    EXPECT_EQ(who["role"], role) << upn;
  }
}

// Each refusal: HTTP status, Azure AD's error and AADSTS code.
TEST_F(OAuthTest, RefusalsNameTheProblemAsAzureAdDoes) {
  Server srv(dir_);
  httplib::Client cli("127.0.0.1", srv.port());
  const std::string scope = "https://contoso.sharepoint.com/.default";
  struct Case {
    std::string tenant;
    httplib::Params form;
    int status;
    std::string error;
    int code;
  };
  std::vector<Case> cases = {
      {"contoso", {{"client_id", client_id_}, {"scope", scope}}, 400, "invalid_request", 900144},
      {"contoso",
       {{"grant_type", "client_credentials"}, {"client_secret", secret_}, {"scope", scope}},
       400,
       "invalid_request",
       900144},
      {"contoso",
       {{"grant_type", "client_credentials"},
        {"client_id", client_id_},
        {"client_secret", "wrong"},
        {"scope", scope}},
       401,
       "invalid_client",
       7000215},
      {"contoso",
       {{"grant_type", "client_credentials"}, {"client_id", client_id_}, {"scope", scope}},
       401,
       "invalid_client",
       7000218},
      {"contoso",
       {{"grant_type", "client_credentials"},
        {"client_id", other_id_},
        {"client_secret", other_secret_},
        {"scope", scope}},
       400,
       "unauthorized_client",
       700016},
      {"contoso",
       {{"grant_type", "client_credentials"},
        {"client_id", client_id_},
        {"client_secret", secret_},
        {"scope", "https://contoso.sharepoint.com/AllSites.Read"}},
       400,
       "invalid_scope",
       1002012},
      {"contoso",
       {{"grant_type", "client_credentials"},
        {"client_id", client_id_},
        {"client_secret", secret_}},
       400,
       "invalid_scope",
       1002012},
      {"contoso",
       {{"grant_type", "urn:ietf:params:oauth:grant-type:device_code"},
        {"client_id", client_id_},
        {"scope", scope}},
       400,
       "unsupported_grant_type",
       70003},
      // The code grant (tests/http/sign_in_test.cpp) names what it lacks.
      {"contoso",
       {{"grant_type", "authorization_code"}, {"client_id", client_id_}, {"scope", scope}},
       400,
       "invalid_request",
       900144},
      {"contoso",
       {{"grant_type", "password"},
        {"client_id", client_id_},
        {"username", "ga@contoso.com"},
        {"password", "wrong"},
        {"scope", scope}},
       400,
       "invalid_grant",
       50126},
      {"contoso",
       {{"grant_type", "password"},
        {"client_id", client_id_},
        {"username", "nobody@contoso.com"},
        {"password", "pa55word!"},
        {"scope", scope}},
       400,
       "invalid_grant",
       50126},
      {"contoso",
       {{"grant_type", "password"},
        {"client_id", client_id_},
        {"username", "ga@contoso.com"},
        {"scope", scope}},
       400,
       "invalid_request",
       900144},
      {"nosuchtenant",
       {{"grant_type", "client_credentials"},
        {"client_id", client_id_},
        {"client_secret", secret_},
        {"scope", scope}},
       400,
       "invalid_request",
       90002},
  };
  for (const auto& c : cases) {
    auto r = token(cli, c.tenant, c.form);
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, c.status) << r->body;
    auto j = nlohmann::json::parse(r->body);
    EXPECT_EQ(j["error"], c.error) << r->body;
    EXPECT_EQ(j["error_codes"][0], c.code) << r->body;
    EXPECT_EQ(j["error_description"].get<std::string>().rfind(
                  "AADSTS" + std::to_string(c.code) + ": ", 0),
              0u)
        << r->body;
    EXPECT_FALSE(j.contains("access_token"));
  }
  // A JSON body is not a token request.
  auto r = cli.Post("/contoso/oauth2/v2.0/token", R"({"grant_type":"client_credentials"})",
                    "application/json");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 400);
  EXPECT_EQ(nlohmann::json::parse(r->body)["error"], "invalid_request");
}

TEST_F(OAuthTest, TheServerRefusesTokensItShouldNotTrust) {
  Server srv(dir_);
  httplib::Client cli("127.0.0.1", srv.port());
  std::string good = app_token(cli);

  // No token: 401 with a WWW-Authenticate challenge.
  auto r = cli.Get("/tenants/contoso/admin/v1/me");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 401);
  EXPECT_NE(r->get_header_value("WWW-Authenticate").find("Bearer"), std::string::npos);

  // A contoso token at fabrikam.
  auto j = me(cli, good, 401, "/tenants/fabrikam/admin/v1/me");
  EXPECT_EQ(j["error"]["message"], "the token was issued for tenant 'contoso', not 'fabrikam'");

  // Tampered, malformed, expired (signed with the server's own key, so only exp is wrong).
  std::string tampered = good.substr(0, good.size() - 4) + (good.back() == 'A' ? "BBBB" : "AAAA");
  EXPECT_EQ(me(cli, tampered, 401)["error"]["message"],
            "invalid token: the signature does not match");
  EXPECT_EQ(me(cli, "garbage", 401)["error"]["code"], "Unauthenticated");
  auto signer = TokenSigner::open(data());
  ASSERT_TRUE(signer);
  auto expired = (*signer)->sign(
      {{"tid", "contoso"}, {"idtyp", "app"}, {"appid", client_id_}, {"exp", unix_now() - 10}});
  ASSERT_TRUE(expired);
  EXPECT_EQ(me(cli, *expired, 401)["error"]["message"], "invalid token: the token has expired");

  // The token's tenant also addresses the request when nothing else does (Graph style).
  EXPECT_EQ(me(cli, good, 200, "/admin/v1/me")["tenant"], "contoso");

  // Removing the app revokes its tokens: every request thread reads the store again within
  // two seconds (the bound of its cache of principals).
  ASSERT_EQ(run({"--data-dir", data(), "app", "remove", "-t", "contoso", client_id_}), 0);
  std::this_thread::sleep_for(std::chrono::milliseconds(2100));
  EXPECT_EQ(me(cli, good, 401)["error"]["message"],
            "the app '" + client_id_ + "' of this token has been removed");
}

TEST_F(OAuthTest, DiscoveryAndKeysDescribeTheTokenService) {
  Server srv(dir_);
  httplib::Client cli("127.0.0.1", srv.port());
  std::string origin = "http://127.0.0.1:" + std::to_string(srv.port());
  auto r = cli.Get("/contoso/v2.0/.well-known/openid-configuration");
  ASSERT_TRUE(r);
  ASSERT_EQ(r->status, 200);
  auto config = nlohmann::json::parse(r->body);
  EXPECT_EQ(config["issuer"], origin + "/contoso/v2.0");
  EXPECT_EQ(config["token_endpoint"], origin + "/contoso/oauth2/v2.0/token");
  EXPECT_EQ(config["jwks_uri"], origin + "/contoso/discovery/v2.0/keys");
  EXPECT_TRUE(config.contains("authorization_endpoint"));  // MSAL checks for it
  r = cli.Get("/contoso/discovery/v2.0/keys");
  ASSERT_TRUE(r);
  auto keys = nlohmann::json::parse(r->body);
  ASSERT_EQ(keys["keys"].size(), 1u);
  auto signer = TokenSigner::open(data());
  ASSERT_TRUE(signer);
  EXPECT_EQ(keys["keys"][0]["kid"], (*signer)->kid());
}

}  // namespace
}  // namespace upsync
