// Refresh tokens (http/code_grant.h) at the real `upsync serve`: issued with offline_access,
// redeemed once for a new access token and the next refresh token, a replay revoking the
// family, and revoked by a password change, the app's removal and signing out of the pages;
// stored hashed and never in the server's log.
#include <gtest/gtest.h>
#include <httplib.h>

#include <nlohmann/json.hpp>
#include <string>

#include "http/server_process.h"
#include "test_support.h"

namespace upsync {
namespace {

using nlohmann::json;
using testing::run;
using testing::run_output;
using testing::Server;
using testing::TempDir;

const std::string kScope = "openid offline_access https://graph.microsoft.com/.default";

class RefreshTokenTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_EQ(cli({"tenant", "create", "contoso"}), 0);
    auto app = json::parse(
        run_output({"--data-dir", data(), "--json", "app", "add", "--tenant", "contoso", "mail"}));
    client_id_ = app["clientId"];
    secret_ = app["clientSecret"];
    ASSERT_EQ(cli({"user", "password", "set", "--tenant", "contoso", "adele@contoso.com",
                   "--password", "correct horse battery"}),
              0);
    server_ = std::make_unique<Server>(dir_, std::vector<std::string>{"--no-worker"});
    ASSERT_GT(server_->port(), 0);
    http_ = std::make_unique<httplib::Client>("127.0.0.1", server_->port());
  }
  std::string data() const { return dir_.str() + "/data"; }
  int cli(std::vector<std::string> args) {
    args.insert(args.begin(), {"--data-dir", data()});
    return run(args);
  }
  httplib::Result post_token(httplib::Params form) {
    form.emplace("client_id", client_id_);
    return http_->Post("/contoso/oauth2/v2.0/token", form);
  }
  json signed_in(const std::string& scope = kScope) {
    auto r = post_token({{"grant_type", "password"},
                         {"username", "adele@contoso.com"},
                         {"password", "correct horse battery"},
                         {"scope", scope}});
    EXPECT_TRUE(r && r->status == 200) << (r ? r->body : "no answer");
    return r && r->status == 200 ? json::parse(r->body) : json::object();
  }
  httplib::Result refresh(const std::string& token, const std::string& scope = kScope) {
    return post_token(
        {{"grant_type", "refresh_token"}, {"refresh_token", token}, {"scope", scope}});
  }
  // The AADSTS code of a refused token request, after checking its status and error.
  int refused(const httplib::Result& r, const std::string& error = "invalid_grant") {
    EXPECT_TRUE(r);
    if (!r) return 0;
    EXPECT_EQ(r->status, 400) << r->body;
    json j = json::parse(r->body);
    EXPECT_EQ(j["error"], error) << r->body;
    return j["error_codes"][0];
  }
  int me_status(const std::string& access_token) {
    auto r =
        http_->Get("/tenants/contoso/v1.0/users", {{"Authorization", "Bearer " + access_token}});
    return r ? r->status : 0;
  }

  TempDir dir_;
  std::string client_id_, secret_;
  std::unique_ptr<Server> server_;
  std::unique_ptr<httplib::Client> http_;
};

TEST_F(RefreshTokenTest, OfflineAccessGivesARefreshTokenThatRotates) {
  // Without offline_access, none (as Azure AD).
  EXPECT_FALSE(signed_in("https://graph.microsoft.com/.default").contains("refresh_token"));
  // Nor for an app.
  auto app = post_token({{"grant_type", "client_credentials"},
                         {"client_secret", secret_},
                         {"scope", "https://graph.microsoft.com/.default"}});
  ASSERT_TRUE(app && app->status == 200);
  EXPECT_FALSE(json::parse(app->body).contains("refresh_token"));

  json first = signed_in();
  ASSERT_TRUE(first["refresh_token"].is_string());
  const std::string rt1 = first["refresh_token"];
  auto r = refresh(rt1);
  ASSERT_TRUE(r && r->status == 200) << (r ? r->body : "");
  json second = json::parse(r->body);
  EXPECT_EQ(second["token_type"], "Bearer");
  EXPECT_TRUE(second["id_token"].is_string());
  ASSERT_TRUE(second["refresh_token"].is_string());
  const std::string rt2 = second["refresh_token"];
  EXPECT_NE(rt2, rt1);
  EXPECT_EQ(me_status(second["access_token"]), 200);
  // The next one works in turn, even for another resource of the tenant.
  auto third = refresh(rt2, "offline_access https://contoso.sharepoint.com/.default");
  ASSERT_TRUE(third && third->status == 200) << (third ? third->body : "");
  const std::string rt3 = json::parse(third->body)["refresh_token"];

  // A spent token presented again: refused, and its whole family with it.
  EXPECT_EQ(refused(refresh(rt1)), 50173);
  EXPECT_EQ(refused(refresh(rt3)), 9002313);
  // Made-up and missing tokens.
  EXPECT_EQ(refused(refresh("not-a-token")), 9002313);
  EXPECT_EQ(
      refused(post_token({{"grant_type", "refresh_token"}, {"scope", kScope}}), "invalid_request"),
      900144);
}

TEST_F(RefreshTokenTest, APasswordChangeAnotherClientOrTheAppsRemovalRevokes) {
  // Another client presenting it: refused, and its family revoked, so its own client's next
  // refresh finds nothing.
  std::string rt = signed_in()["refresh_token"];
  auto other = json::parse(
      run_output({"--data-dir", data(), "--json", "app", "add", "--tenant", "contoso", "other"}));
  auto stolen =
      http_->Post("/contoso/oauth2/v2.0/token", httplib::Params{{"grant_type", "refresh_token"},
                                                                {"client_id", other["clientId"]},
                                                                {"refresh_token", rt},
                                                                {"scope", kScope}});
  EXPECT_EQ(refused(stolen), 50173);
  EXPECT_EQ(refused(refresh(rt)), 9002313);

  // A password change (a new token generation).
  rt = signed_in()["refresh_token"];
  ASSERT_EQ(cli({"user", "password", "set", "--tenant", "contoso", "adele@contoso.com",
                 "--password", "another long password"}),
            0);
  EXPECT_EQ(refused(refresh(rt)), 50173);

  // The app's removal.
  auto r = post_token({{"grant_type", "password"},
                       {"username", "adele@contoso.com"},
                       {"password", "another long password"},
                       {"scope", kScope}});
  ASSERT_TRUE(r && r->status == 200);
  rt = json::parse(r->body)["refresh_token"];
  ASSERT_EQ(cli({"app", "remove", "--tenant", "contoso", client_id_}), 0);
  EXPECT_EQ(refused(refresh(rt), "unauthorized_client"), 700016);
}

TEST_F(RefreshTokenTest, StoredHashedAndNeverLogged) {
  std::string rt = signed_in()["refresh_token"];
  auto r = refresh(rt);
  ASSERT_TRUE(r && r->status == 200);
  std::string next = json::parse(r->body)["refresh_token"];
  const std::string db = testing::read_file(data() + "/upsync.db");
  EXPECT_FALSE(db.empty());
  for (const std::string& t : {rt, next}) {
    EXPECT_EQ(db.find(t), std::string::npos);
    EXPECT_EQ(server_->log().find(t), std::string::npos);
  }
}

}  // namespace
}  // namespace upsync
