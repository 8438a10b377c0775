// The admin API's audiences and hybrid settings (src/http/admin_audiences.cpp) on a real
// `upsync serve`, and seed 000's redirection in PeopleManager's answers: a hybrid user's
// UserUrl and PersonalUrl point to the online tenant for every viewer, the others' stay.
#include <gtest/gtest.h>
#include <httplib.h>

#include <nlohmann/json.hpp>

#include "http/server_process.h"
#include "test_support.h"

namespace upsync {
namespace {

using testing::run;
using testing::Server;
using testing::TempDir;

class AdminAudiencesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_EQ(run({"--data-dir", data(), "tenant", "create", "contoso"}), 0);
    ASSERT_EQ(run({"--data-dir", data(), "tenant", "create", "farm", "--kind", "server"}), 0);
    for (auto [t, upn, role] : {std::tuple{"contoso", "ga@contoso.com", "global-admin"},
                                {"farm", "ga@farm.local", "global-admin"},
                                {"farm", "ann@farm.local", "user"}}) {
      ASSERT_EQ(run({"--data-dir", data(), "user", "password", "set", "-t", t, upn, "--role", role,
                     "--password", "pa55word!"}),
                0);
    }
    for (auto [login, dept] : {std::pair{"ann", "Sales"}, {"bob", "Support"}}) {
      ASSERT_EQ(run({"--data-dir", data(), "profile", "create", "-t", "farm",
                     std::string("i:0#.w|farm\\") + login, "--set",
                     std::string("SPS-UserPrincipalName=") + login + "@farm.local", "--set",
                     std::string("Department=") + dept}),
                0);
    }
    std::string out = dir_.str() + "/app.json";
    for (const char* t : {"contoso", "farm"}) {
      std::string cmd = testing::binary() + " --data-dir " + data() + " --json app add -t " + t +
                        " portal > " + out;
      ASSERT_EQ(std::system(cmd.c_str()), 0);
      clients_[t] = nlohmann::json::parse(testing::read_file(out))["clientId"];
    }
    srv_ = std::make_unique<Server>(dir_);
    ASSERT_GT(srv_->port(), 0);
    cli_ = std::make_unique<httplib::Client>("127.0.0.1", srv_->port());
  }
  std::string data() const { return dir_.str() + "/data"; }

  std::string token(const std::string& upn, const std::string& tenant) {
    auto r =
        cli_->Post("/" + tenant + "/oauth2/v2.0/token",
                   httplib::Params{{"grant_type", "password"},
                                   {"client_id", clients_[tenant]},
                                   {"username", upn},
                                   {"password", "pa55word!"},
                                   {"scope", "https://" + tenant + ".sharepoint.com/.default"}});
    EXPECT_TRUE(r && r->status == 200) << (r ? r->body : "");
    return nlohmann::json::parse(r->body)["access_token"];
  }

  std::pair<int, nlohmann::json> call(const std::string& method, const std::string& path,
                                      const std::string& tok, const std::string& body = "",
                                      const std::string& tenant = "farm") {
    std::string full = "/tenants/" + tenant + path;
    httplib::Headers h = {{"Authorization", "Bearer " + tok}, {"Accept", "application/json"}};
    httplib::Result r = method == "POST"     ? cli_->Post(full, h, body, "application/json")
                        : method == "PUT"    ? cli_->Put(full, h, body, "application/json")
                        : method == "DELETE" ? cli_->Delete(full, h)
                                             : cli_->Get(full, h);
    EXPECT_TRUE(r) << method << " " << path;
    if (!r) return {0, nullptr};
    return {r->status, r->body.empty() ? nlohmann::json() : nlohmann::json::parse(r->body)};
  }

  TempDir dir_;
  std::map<std::string, std::string> clients_;
  std::unique_ptr<Server> srv_;
  std::unique_ptr<httplib::Client> cli_;
};

TEST_F(AdminAudiencesTest, AudiencesAreAddedReadCompiledAndRemoved) {
  const std::string ga = token("ga@farm.local", "farm");
  auto [status, added] = call("POST", "/admin/v1/audiences", ga,
                              R"({"name":"Sales","description":"sales people","match":"any",)"
                              R"("rules":[{"kind":"propertyEquals","property":"department",)"
                              R"("value":"sales"}]})");
  ASSERT_EQ(status, 201) << added.dump();
  EXPECT_EQ(added["memberCount"], 1);
  EXPECT_EQ(added["rules"][0]["property"], "Department");  // canonical
  const std::string id = std::to_string(added["id"].get<int64_t>());

  auto [ls, list] = call("GET", "/admin/v1/audiences", ga);
  ASSERT_EQ(ls, 200);
  ASSERT_EQ(list["value"].size(), 1u);
  EXPECT_EQ(call("GET", "/admin/v1/audiences/sales", ga).second["id"], added["id"]);
  EXPECT_EQ(call("GET", "/admin/v1/audiences/" + id, ga).second["name"], "Sales");

  auto [ms, members] = call("GET", "/admin/v1/audiences/Sales/members", ga);
  ASSERT_EQ(ms, 200) << members.dump();
  ASSERT_EQ(members["value"].size(), 1u);
  EXPECT_EQ(members["value"][0]["accountName"], "i:0#.w|farm\\ann");
  EXPECT_FALSE(members.contains("nextLink"));
  auto [ps, page] = call("GET", "/admin/v1/audiences/Sales/members?top=1", ga);
  ASSERT_EQ(ps, 200);
  EXPECT_TRUE(page.contains("nextLink"));

  // A profile changed outside the sync is picked up by a compile.
  ASSERT_EQ(run({"--data-dir", data(), "profile", "set", "-t", "farm", "i:0#.w|farm\\bob", "--set",
                 "Department=Sales"}),
            0);
  auto [cs, compiled] = call("POST", "/admin/v1/audiences/Sales/compile", ga);
  ASSERT_EQ(cs, 200) << compiled.dump();
  EXPECT_EQ(compiled["memberCount"], 2);

  EXPECT_EQ(call("DELETE", "/admin/v1/audiences/Sales", ga).first, 204);
  EXPECT_EQ(call("GET", "/admin/v1/audiences/Sales", ga).first, 404);
}

TEST_F(AdminAudiencesTest, BadInputIsRefusedNamingTheCauseAndStoresNothing) {
  const std::string ga = token("ga@farm.local", "farm");
  struct Case {
    std::string body;
    std::string expected;
  };
  const Case cases[] = {
      {R"({"name":"A","rules":[{"kind":"propertyEquals","property":"Nope","value":"x"}]})", "Nope"},
      {R"({"name":"A","rules":[{"kind":"memberOf","group":"No Such Group"}]})", "No Such Group"},
      {R"({"name":"A","rules":[{"kind":"reportsUnder","manager":"ghost@farm.local"}]})",
       "no profile 'ghost@farm.local'"},
      {R"({"name":"A","rules":[{"kind":"isCool"}]})", "isCool"},
      {R"({"name":"A","rules":[{"kind":"memberOf","group":"x","extra":1}]})", "extra"},
      {R"({"name":"A","rules":[]})", "no rule"},
      {R"({"name":"A","match":"most","rules":[]})", "most"},
      {R"({"name":"A","rules":{},"colour":"red"})", "colour"},
      {R"(["A"])", "request body"},
  };
  for (const Case& c : cases) {
    auto [status, body] = call("POST", "/admin/v1/audiences", ga, c.body);
    EXPECT_EQ(status, 400) << c.body << " " << body.dump();
    EXPECT_NE(body.dump().find(c.expected), std::string::npos) << body.dump();
  }
  EXPECT_TRUE(call("GET", "/admin/v1/audiences", ga).second["value"].empty());

  // Query options and parameters a route does not apply are refused, not ignored.
  EXPECT_EQ(call("GET", "/admin/v1/audiences?$top=1", ga).first, 400);
  EXPECT_EQ(call("GET", "/admin/v1/audiences?colour=red", ga).first, 400);
  EXPECT_EQ(call("GET", "/admin/v1/hybrid?$select=onlineUrl", ga).first, 400);
  EXPECT_EQ(call("GET", "/admin/v1/audiences/1/members?top=0", ga).first, 404);  // no audience 1
  auto [hs, hybrid] =
      call("PUT", "/admin/v1/hybrid", ga,
           R"({"onlineUrl":"https://contoso-my.sharepoint.com","audience":"Nope"})");
  EXPECT_EQ(hs, 404) << hybrid.dump();
  EXPECT_EQ(call("PUT", "/admin/v1/hybrid", ga, R"({"onlineUrl":"ftp://x"})").first, 400);
  EXPECT_EQ(call("PUT", "/admin/v1/hybrid", ga, R"({"onlineUrl":"https://x","y":1})").first, 400);
  EXPECT_TRUE(call("GET", "/admin/v1/hybrid", ga).second["onlineUrl"].is_null());

  // The online tenant has neither audiences nor hybrid settings: 409 with the reason.
  const std::string online = token("ga@contoso.com", "contoso");
  auto [os, refused] = call("GET", "/admin/v1/audiences", online, "", "contoso");
  EXPECT_EQ(os, 409);
  EXPECT_NE(refused.dump().find("online tenant"), std::string::npos) << refused.dump();
  EXPECT_EQ(
      call("PUT", "/admin/v1/hybrid", online, R"({"onlineUrl":"https://x"})", "contoso").first,
      409);

  // A user of the server tenant manages neither.
  const std::string user = token("ann@farm.local", "farm");
  EXPECT_EQ(call("GET", "/admin/v1/audiences", user).first, 403);
  EXPECT_EQ(call("PUT", "/admin/v1/hybrid", user, R"({"onlineUrl":"https://x"})").first, 403);
}

TEST_F(AdminAudiencesTest, HybridUsersUrlsPointOnlineForEveryViewer) {
  const std::string ga = token("ga@farm.local", "farm");
  const std::string ann = token("ann@farm.local", "farm");
  auto urls = [&](const std::string& who, const std::string& tok) {
    auto [status, body] =
        call("GET",
             "/_api/SP.UserProfiles.PeopleManager/GetPropertiesFor(accountName=@v)?@v=%27i%3A0%23."
             "w%7Cfarm%5C" +
                 who + "%27",
             tok);
    EXPECT_EQ(status, 200) << body.dump();
    // PersonalUrl is null for a person without a personal site.
    auto text = [&](const char* key) {
      return body.contains(key) && body[key].is_string() ? body[key].get<std::string>() : "";
    };
    return std::pair<std::string, std::string>(text("UserUrl"), text("PersonalUrl"));
  };
  const std::string online = "https://contoso-my.sharepoint.com";
  EXPECT_EQ(urls("ann", ga).first.find(online), std::string::npos);  // no settings yet

  ASSERT_EQ(call("POST", "/admin/v1/audiences", ga,
                 R"({"name":"Hybrid","rules":[{"kind":"propertyEquals","property":"Department",)"
                 R"("value":"Sales"}]})")
                .first,
            201);
  auto [hs, hybrid] = call("PUT", "/admin/v1/hybrid", ga,
                           R"({"onlineUrl":")" + online + R"(/","audience":"Hybrid"})");
  ASSERT_EQ(hs, 200) << hybrid.dump();
  EXPECT_EQ(hybrid["onlineUrl"], online);
  EXPECT_EQ(hybrid["audience"], "Hybrid");
  EXPECT_EQ(call("GET", "/admin/v1/hybrid", ga).second, hybrid);

  // Ann is in the audience: online, for an admin and for herself alike. Bob stays.
  for (const std::string& viewer : {ga, ann}) {
    auto [user_url, personal_url] = urls("ann", viewer);
    EXPECT_EQ(user_url,
              online + "/person.aspx?accountname=i%3A0%23.f%7Cmembership%7Cann%40farm.local");
    EXPECT_EQ(personal_url, online + "/personal/ann_farm_local/");
    EXPECT_EQ(urls("bob", viewer).first.find(online), std::string::npos);
  }
  // The person page itself: Ann's answers 302 online for every signed-in viewer; Bob's, the
  // server page; before signing in, the page (which signs in and comes back) for both.
  auto person_page = [&](const std::string& login, const std::string& tok) {
    httplib::Headers h;
    if (!tok.empty()) h.emplace("Authorization", "Bearer " + tok);
    auto r = cli_->Get("/tenants/farm/person.aspx?accountname=i%3A0%23.w%7Cfarm%5C" + login, h);
    EXPECT_TRUE(r);
    return std::pair<int, std::string>(r->status, r->get_header_value("Location"));
  };
  for (const std::string& viewer : {ga, ann}) {
    auto [status, location] = person_page("ann", viewer);
    EXPECT_EQ(status, 302);
    // cpp-httplib's client hands the Location header back URL-decoded.
    EXPECT_EQ(location, online + "/person.aspx?accountname=i:0#.f|membership|ann@farm.local");
    EXPECT_EQ(person_page("bob", viewer).first, 200);
  }
  EXPECT_EQ(person_page("ann", "").first, 200);
  // The audience cannot go while the settings name it; cleared, everyone stays.
  EXPECT_EQ(call("DELETE", "/admin/v1/audiences/Hybrid", ga).first, 409);
  EXPECT_EQ(call("DELETE", "/admin/v1/hybrid", ga).first, 204);
  EXPECT_EQ(urls("ann", ga).first.find(online), std::string::npos);
  EXPECT_EQ(call("DELETE", "/admin/v1/audiences/Hybrid", ga).first, 204);

  // Without an audience every user is hybrid.
  ASSERT_EQ(call("PUT", "/admin/v1/hybrid", ga, R"({"onlineUrl":")" + online + R"("})").first, 200);
  EXPECT_EQ(urls("bob", ann).first.find(online), 0u);
}

}  // namespace
}  // namespace upsync
