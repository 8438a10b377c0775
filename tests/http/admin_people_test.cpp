// The admin API's people routes (src/http/admin_people.cpp) on the real `upsync serve`: a
// global admin sets roles and passwords, a changed person's tokens stop at once, bad input
// names its field and stores nothing, the last global admin stays, and nobody else may.
#include <gtest/gtest.h>

#include <chrono>
#include <thread>

#include "http/admin_fixture.h"

namespace upsync {
namespace {

class AdminPeopleTest : public testing::AdminFixture {
 protected:
  void SetUp() override {
    AdminFixture::SetUp();
    start();
    ga_ = token("ga@contoso.com");
  }
  // Whether `upn` signs in with `password` (a token request, without the fixture's checks).
  bool signs_in(const std::string& upn, const std::string& password) {
    auto r = cli_->Post("/contoso/oauth2/v2.0/token",
                        httplib::Params{{"grant_type", "password"},
                                        {"client_id", clients_["contoso"]},
                                        {"username", upn},
                                        {"password", password},
                                        {"scope", "https://contoso.sharepoint.com/.default"}});
    return r && r->status == 200;
  }
  // The status `tok` gets on GET `path`, polled until it is `want` or the credential cache's
  // bound (2 s, auth/credential_cache.h) and a margin have passed.
  int status_within_bound(const std::string& tok, const std::string& path, int want) {
    int got = 0;
    for (int i = 0; i < 30; ++i) {
      got = call("GET", path, tok).first;
      if (got == want) break;
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    return got;
  }
  std::string ga_;
};

TEST_F(AdminPeopleTest, AGlobalAdminListsPeopleAndSetsRolesAndPasswords) {
  auto [st, list] = call("GET", "/admin/v1/people", ga_);
  ASSERT_EQ(st, 200) << list;
  EXPECT_EQ(list["value"].size(), 3u);
  for (const auto& p : list["value"]) {
    EXPECT_FALSE(p.contains("passwordHash")) << "no secret leaves the store: " << p;
    if (p["userPrincipalName"] == "spa@contoso.com") {
      EXPECT_EQ(p["role"], "sharepoint-admin");
    }
  }

  auto [st2, made] = call("PUT", "/admin/v1/people/megan@contoso.com", ga_,
                          R"({"role":"user","password":"megans-secret"})");
  ASSERT_EQ(st2, 200) << made;
  EXPECT_EQ(made["role"], "user");
  EXPECT_TRUE(signs_in("megan@contoso.com", "megans-secret"));

  // A role alone keeps the password, and ends the person's tokens at once.
  const std::string before = token("adele@contoso.com");
  std::tie(st, made) = call("GET", "/admin/v1/me", before);
  ASSERT_EQ(st, 200);
  std::tie(st, made) =
      call("PUT", "/admin/v1/people/adele@contoso.com", ga_, R"({"role":"sharepoint-admin"})");
  ASSERT_EQ(st, 200) << made;
  EXPECT_EQ(made["role"], "sharepoint-admin");
  EXPECT_EQ(status_within_bound(before, "/admin/v1/me", 401), 401)
      << "the old token stops with the role change";
  EXPECT_TRUE(signs_in("adele@contoso.com", "pa55word!"));
  EXPECT_EQ(status_within_bound(token("adele@contoso.com"), "/admin/v1/tenant", 200), 200)
      << "the new role is what the server reads";

  // A password alone keeps the role.
  std::tie(st, made) =
      call("PUT", "/admin/v1/people/adele@contoso.com", ga_, R"({"password":"new-password"})");
  ASSERT_EQ(st, 200) << made;
  EXPECT_EQ(made["role"], "sharepoint-admin");
  EXPECT_FALSE(signs_in("adele@contoso.com", "pa55word!"));
  EXPECT_TRUE(signs_in("adele@contoso.com", "new-password"));

  std::tie(st, made) = call("DELETE", "/admin/v1/people/adele@contoso.com", ga_);
  EXPECT_EQ(st, 204) << made;
  EXPECT_FALSE(signs_in("adele@contoso.com", "new-password"));
  std::tie(st, made) = call("DELETE", "/admin/v1/people/adele@contoso.com", ga_);
  EXPECT_EQ(st, 404) << made;
}

TEST_F(AdminPeopleTest, BadInputNamesItsFieldAndStoresNothing) {
  struct Bad {
    const char* upn;
    const char* body;
    const char* target;  // "" for a refusal about the whole body
  };
  for (const Bad& bad : {
           Bad{"adele@contoso.com", R"({"password":"short"})", "password"},
           Bad{"adele@contoso.com", R"({"password":12345678})", "password"},
           Bad{"adele@contoso.com", R"({"role":"app"})", "role"},
           Bad{"adele@contoso.com", R"({"role":"emperor","password":"long-enough"})", "role"},
           Bad{"nobody@contoso.com", R"({"role":"user"})", "password"},
           Bad{"nobody@contoso.com", R"({"password":"long-enough"})", "role"},
           Bad{"not-an-upn", R"({"role":"user","password":"long-enough"})", "userPrincipalName"},
           Bad{"adele@contoso.com", R"({})", ""},
           Bad{"adele@contoso.com", R"({"role":"user","isAdmin":true})", ""},
           Bad{"adele@contoso.com", R"(["user"])", ""},
       }) {
    auto [st, err] = call("PUT", std::string("/admin/v1/people/") + bad.upn, ga_, bad.body);
    EXPECT_EQ(st, 400) << bad.body << " " << err;
    if (*bad.target) {
      EXPECT_EQ(err["error"]["target"], bad.target) << bad.body << " " << err;
    }
  }
  EXPECT_TRUE(signs_in("adele@contoso.com", "pa55word!"));
  auto [st, list] = call("GET", "/admin/v1/people", ga_);
  EXPECT_EQ(list["value"].size(), 3u) << list;
  std::tie(st, list) = call("GET", "/admin/v1/people?top=1", ga_);
  EXPECT_EQ(st, 400) << list;
  std::tie(st, list) = call("GET", "/admin/v1/people?$top=1", ga_);
  EXPECT_EQ(st, 400) << list;
}

TEST_F(AdminPeopleTest, TheLastGlobalAdminStays) {
  auto [st, err] = call("PUT", "/admin/v1/people/ga@contoso.com", ga_, R"({"role":"user"})");
  EXPECT_EQ(st, 409) << err;
  EXPECT_NE(err["error"]["message"].get<std::string>().find("last global admin"),
            std::string::npos);
  std::tie(st, err) = call("DELETE", "/admin/v1/people/GA@contoso.com", ga_);
  EXPECT_EQ(st, 409) << err;
  std::tie(st, err) = call("GET", "/admin/v1/people", ga_);
  EXPECT_EQ(st, 200) << "still a global admin: " << err;
  // With a second one, the first may step down.
  std::tie(st, err) =
      call("PUT", "/admin/v1/people/spa@contoso.com", ga_, R"({"role":"global-admin"})");
  ASSERT_EQ(st, 200) << err;
  std::tie(st, err) = call("PUT", "/admin/v1/people/ga@contoso.com", ga_, R"({"role":"user"})");
  EXPECT_EQ(st, 200) << err;
}

TEST_F(AdminPeopleTest, OnlyAGlobalAdminSetsRoles) {
  // A SharePoint admin making themselves a global admin is the attack this refuses.
  const std::string spa = token("spa@contoso.com");
  const std::string user = token("adele@contoso.com");
  for (const std::string& who : {spa, user}) {
    for (auto [method, path, body] :
         {std::tuple{"GET", "/admin/v1/people", ""},
          {"PUT", "/admin/v1/people/spa@contoso.com", R"({"role":"global-admin"})"},
          {"PUT", "/admin/v1/people/adele@contoso.com", R"({"role":"global-admin"})"},
          {"DELETE", "/admin/v1/people/ga@contoso.com", ""}}) {
      auto [st, answer] = call(method, path, who, body);
      EXPECT_EQ(st, 403) << method << " " << path << " " << answer;
    }
  }
  auto [st, list] = call("GET", "/admin/v1/people", ga_);
  for (const auto& p : list["value"]) {
    if (p["userPrincipalName"] == "spa@contoso.com") {
      EXPECT_EQ(p["role"], "sharepoint-admin");
    }
    if (p["userPrincipalName"] == "adele@contoso.com") {
      EXPECT_EQ(p["role"], "user");
    }
  }
  EXPECT_TRUE(signs_in("ga@contoso.com", "pa55word!"));
  // An app is not a person who administers: it may not set roles either.
  std::string out = dir_.str() + "/robot.json";
  ASSERT_EQ(std::system((testing::binary() + " --data-dir " + data() +
                         " --json app add -t contoso robot > " + out)
                            .c_str()),
            0);
  auto robot = nlohmann::json::parse(testing::read_file(out));
  auto r = cli_->Post("/contoso/oauth2/v2.0/token",
                      httplib::Params{{"grant_type", "client_credentials"},
                                      {"client_id", robot["clientId"]},
                                      {"client_secret", robot["clientSecret"]},
                                      {"scope", "https://contoso.sharepoint.com/.default"}});
  ASSERT_TRUE(r && r->status == 200);
  const std::string app = nlohmann::json::parse(r->body)["access_token"];
  auto [st2, answer] =
      call("PUT", "/admin/v1/people/adele@contoso.com", app, R"({"role":"global-admin"})");
  EXPECT_EQ(st2, 403) << answer;
}

}  // namespace
}  // namespace upsync
