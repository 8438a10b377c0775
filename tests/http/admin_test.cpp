// The admin API of the real `upsync serve`: its OpenAPI document matches its routes, each
// route works, roles are enforced, bad input is refused and changes nothing.
#include <gtest/gtest.h>
#include <httplib.h>

#include <chrono>
#include <nlohmann/json.hpp>
#include <thread>

#include "http/admin_fixture.h"
#include "http/server_process.h"
#include "test_support.h"

namespace upsync {
namespace {

using testing::run;
using testing::Server;
using testing::TempDir;

class AdminTest : public testing::AdminFixture {
 protected:
  void SetUp() override {
    AdminFixture::SetUp();
    start();
  }
};

TEST_F(AdminTest, TheOpenApiDocumentMatchesTheRoutes) {
  std::string ga = token("ga@contoso.com");
  auto [status, doc] = call("GET", "/admin/v1/openapi.json", "");
  ASSERT_EQ(status, 200);
  EXPECT_EQ(doc["openapi"], "3.0.3");
  EXPECT_EQ(doc["servers"][0]["url"],
            "http://127.0.0.1:" + std::to_string(srv_->port()) + "/tenants/contoso");
  int operations = 0;
  for (const auto& [path, methods] : doc["paths"].items()) {
    for (const auto& [method, op] : methods.items()) {
      ++operations;
      std::string concrete = std::regex_replace(path, std::regex(R"(\{[^}]+\})"), "x1");
      std::string m = method;
      for (char& c : m) c = static_cast<char>(std::toupper(c));
      auto [st, body] =
          call(m, concrete, ga, m == "POST" || m == "PUT" || m == "PATCH" ? "{}" : "");
      // Whatever the handler answers, the route exists: not 405, and no "cannot find".
      EXPECT_NE(st, 405) << m << " " << path;
      if (st == 404) {
        EXPECT_EQ(body["error"]["message"].get<std::string>().find("Cannot find resource"),
                  std::string::npos)
            << m << " " << path;
      }
      EXPECT_TRUE(op.contains("summary"));
    }
  }
  // 15, an app's certificates (list, add, remove), profiles (list, create, read, change,
  // delete, clear a property's values), people (list, set, remove), a job and its log, the
  // connector (read, set, test), the live sync progress, a property's policy (PATCH), and a
  // server tenant's audiences (6) and hybrid settings (3), and a person's own privacy (2).
  EXPECT_EQ(operations, 45);
  // And a path the document does not list is not served.
  auto [st, body] = call("GET", "/admin/v1/connectors", ga);
  EXPECT_EQ(st, 404);
  EXPECT_EQ(body["error"]["message"],
            "Cannot find resource for the request /tenants/contoso/admin/v1/connectors.");
}

TEST_F(AdminTest, CustomPropertiesCanBeDefinedListedAndRemoved) {
  std::string spa = token("spa@contoso.com");
  auto [st, added] = call("POST", "/admin/v1/properties", spa,
                          R"({"name":"CostCenter","displayName":"Cost Center","type":"string"})");
  ASSERT_EQ(st, 201) << added;
  EXPECT_EQ(added["custom"], true);
  EXPECT_EQ(added["displayName"], "Cost Center");

  auto [st2, dup] = call("POST", "/admin/v1/properties", spa, R"({"name":"costcenter"})");
  EXPECT_EQ(st2, 409) << dup;

  auto [st3, list] = call("GET", "/admin/v1/properties", spa);
  ASSERT_EQ(st3, 200);
  int found = 0;
  for (const auto& p : list["value"]) found += p["name"] == "CostCenter";
  EXPECT_EQ(found, 1);
  EXPECT_GT(list["value"].size(), 60u);  // the catalog's properties too

  EXPECT_EQ(call("DELETE", "/admin/v1/properties/CostCenter", spa).first, 204);
  EXPECT_EQ(call("DELETE", "/admin/v1/properties/CostCenter", spa).first, 404);
}

TEST_F(AdminTest, BadBodiesAreRefusedWithWhereAndChangeNothing) {
  std::string ga = token("ga@contoso.com");
  struct Case {
    std::string body;
    std::string message;
  };
  std::vector<Case> cases = {
      {"{\"name\":\n \"X\",}",
       "request body: invalid JSON at line 2, column 6 (byte 15): syntax error while parsing "
       "object key - unexpected '}'; expected string literal"},
      {R"({"name":"X","type":"colour"})", "'type': unknown data type 'colour'"},
      {R"({"name":"X","multiValue":"yes"})", "'multiValue' must be true or false"},
      {R"({"name":"X","color":"red"})", "unknown member 'color'"},
      {R"({"displayName":"X"})", "'name' is required"},
      {R"([1,2])", "a property definition must be a JSON object"},
  };
  for (const auto& c : cases) {
    auto [st, body] = call("POST", "/admin/v1/properties", ga, c.body);
    EXPECT_EQ(st, 400) << c.body;
    EXPECT_EQ(body["error"]["code"], "InvalidArgument");
    EXPECT_EQ(body["error"]["message"].get<std::string>().rfind(c.message, 0), 0u)
        << body["error"]["message"];
  }
  auto [st, list] = call("GET", "/admin/v1/properties", ga);
  for (const auto& p : list["value"]) EXPECT_FALSE(p["custom"].get<bool>()) << p;

  EXPECT_EQ(call("POST", "/admin/v1/sync/runs", ga, R"({"ful":true})").first, 400);
  EXPECT_EQ(call("POST", "/admin/v1/sync/runs", ga, R"({"full":1})").first, 400);
  EXPECT_EQ(call("GET", "/admin/v1/sync/runs/abc", ga).first, 400);
  EXPECT_EQ(call("GET", "/admin/v1/sync/runs?top=0", ga).first, 400);
  EXPECT_EQ(call("POST", "/admin/v1/apps", ga, R"({"nom":"x"})").first, 400);
  EXPECT_TRUE(call("GET", "/admin/v1/sync/runs", ga).second["value"].empty());
}

TEST_F(AdminTest, RolesDecideWhoManagesWhat) {
  std::string ga = token("ga@contoso.com");
  std::string spa = token("spa@contoso.com");
  std::string user = token("adele@contoso.com");

  EXPECT_EQ(call("GET", "/admin/v1/me", user).first, 200);
  auto [st, denied] = call("GET", "/admin/v1/tenant", user);
  EXPECT_EQ(st, 403);
  EXPECT_EQ(denied["error"]["message"],
            "user adele@contoso.com may not manage the tenant: this needs a global admin, a "
            "SharePoint admin or an app");
  EXPECT_EQ(call("POST", "/admin/v1/properties", user, R"({"name":"X"})").first, 403);
  EXPECT_EQ(call("GET", "/admin/v1/tenant", spa).first, 200);
  EXPECT_EQ(call("GET", "/admin/v1/apps", spa).first, 403);
  EXPECT_EQ(call("GET", "/admin/v1/tenant", "").first, 401);

  // A global admin registers an app; the app's own token then manages the tenant...
  auto [st2, app] = call("POST", "/admin/v1/apps", ga, R"({"name":"hr-sync"})");
  ASSERT_EQ(st2, 201) << app;
  auto r = cli_->Post("/contoso/oauth2/v2.0/token",
                      httplib::Params{{"grant_type", "client_credentials"},
                                      {"client_id", app["clientId"]},
                                      {"client_secret", app["clientSecret"]},
                                      {"scope", "https://contoso.sharepoint.com/.default"}});
  ASSERT_TRUE(r && r->status == 200);
  std::string app_token = nlohmann::json::parse(r->body)["access_token"];
  auto [st3, t] = call("GET", "/admin/v1/tenant", app_token);
  EXPECT_EQ(st3, 200);
  EXPECT_EQ(t["name"], "contoso");
  // ... but not apps: only a global admin registers them (issue 15: an app made apps).
  EXPECT_EQ(call("POST", "/admin/v1/apps", app_token, R"({"name":"by-an-app"})").first, 403);
  EXPECT_EQ(call("GET", "/admin/v1/apps", ga).second["value"].size(), 2u);
  EXPECT_EQ(call("DELETE", "/admin/v1/apps/" + app["clientId"].get<std::string>(), ga).first, 204);
  // Its tokens are refused once every request thread has read the store again (2 s at most).
  std::this_thread::sleep_for(std::chrono::milliseconds(2100));
  EXPECT_EQ(call("GET", "/admin/v1/tenant", app_token).first, 401);

  // Nothing crosses tenants: contoso's admin token at the farm tenant.
  EXPECT_EQ(call("GET", "/admin/v1/tenant", ga, "", "farm").first, 401);
}

TEST_F(AdminTest, AppCertificatesAreAddedListedAndRemovedByAGlobalAdminOnly) {
  const std::string ga = token("ga@contoso.com");
  const std::string key = dir_.str() + "/app.key", pem_file = dir_.str() + "/app.pem";
  ASSERT_EQ(std::system(("openssl req -x509 -newkey rsa:2048 -nodes -keyout " + key + " -out " +
                         pem_file + " -days 5 -subj /CN=hr-sync 2>/dev/null")
                            .c_str()),
            0);
  const std::string pem = testing::read_file(pem_file);
  const std::string base = "/admin/v1/apps/" + clients_["contoso"] + "/certificates";
  auto body = [](const std::string& text) {
    return nlohmann::json({{"certificate", text}}).dump();
  };
  auto [st, added] = call("POST", base, ga, body(pem));
  ASSERT_EQ(st, 201) << added;
  EXPECT_EQ(added["subject"], "CN=hr-sync");
  EXPECT_EQ(added["thumbprint"].get<std::string>().size(), 40u);
  EXPECT_EQ(added["thumbprintSha256"].get<std::string>().size(), 64u);
  auto [st2, listed] = call("GET", base, ga);
  ASSERT_EQ(st2, 200);
  ASSERT_EQ(listed["value"].size(), 1u);
  EXPECT_EQ(listed["value"][0]["thumbprint"], added["thumbprint"]);

  // Bad bodies change nothing.
  EXPECT_EQ(call("POST", base, ga, body(pem)).first, 409);
  EXPECT_EQ(call("POST", base, ga, body("not a certificate")).first, 400);
  EXPECT_EQ(call("POST", base, ga, body(pem + testing::read_file(key))).first, 400);
  EXPECT_EQ(call("POST", base, ga, R"({"cert":"x"})").first, 400);
  EXPECT_EQ(call("POST", base, ga, nlohmann::json({{"certificate", pem}, {"x", 1}}).dump()).first,
            400);
  EXPECT_EQ(call("GET", base, ga).second["value"].size(), 1u);
  // Another tenant's app is not found here; people who are not global admins are refused.
  EXPECT_EQ(call("GET", "/admin/v1/apps/" + clients_["farm"] + "/certificates", ga).first, 404);
  EXPECT_EQ(call("POST", base, token("spa@contoso.com"), body(pem)).first, 403);
  EXPECT_EQ(call("GET", base, token("adele@contoso.com")).first, 403);

  const std::string one = base + "/" + added["thumbprint"].get<std::string>();
  EXPECT_EQ(call("DELETE", one, ga).first, 204);
  EXPECT_EQ(call("DELETE", one, ga).first, 404);
  EXPECT_TRUE(call("GET", base, ga).second["value"].empty());
}

TEST_F(AdminTest, SyncSchedulesAreSetReadAndCleared) {
  std::string spa = token("spa@contoso.com");
  auto [st, none] = call("GET", "/admin/v1/sync/schedule", spa);
  EXPECT_EQ(st, 200);
  EXPECT_TRUE(none["intervalSeconds"].is_null());
  auto [st2, set] = call("PUT", "/admin/v1/sync/schedule", spa, R"({"intervalSeconds":300})");
  EXPECT_EQ(st2, 200) << set;
  EXPECT_EQ(set["intervalSeconds"], 300);
  EXPECT_EQ(call("PUT", "/admin/v1/sync/schedule", spa, R"({"intervalSeconds":0})").first, 400);
  EXPECT_EQ(call("PUT", "/admin/v1/sync/schedule", spa, R"({"every":5})").first, 400);
  EXPECT_EQ(call("GET", "/admin/v1/sync/schedule", spa).second["intervalSeconds"], 300);
  EXPECT_TRUE(call("PUT", "/admin/v1/sync/schedule", spa, R"({"intervalSeconds":null})")
                  .second["intervalSeconds"]
                  .is_null());
  // A server tenant imports from its connector: no schedule.
  std::string farm = token("ga@farm.local", "farm");
  EXPECT_EQ(call("PUT", "/admin/v1/sync/schedule", farm, R"({"intervalSeconds":60})", "farm").first,
            409);
}

TEST_F(AdminTest, SyncRunsStartNowAndLandInTheHistory) {
  ASSERT_EQ(run({"--data-dir", data(), "directory", "user", "add", "-t", "contoso",
                 "megan@contoso.com", "--set", "displayName=Megan Bowen"}),
            0);
  std::string ga = token("ga@contoso.com");
  auto [st, dry] = call("POST", "/admin/v1/sync/runs", ga, R"({"dryRun":true})");
  ASSERT_EQ(st, 201) << dry;
  EXPECT_EQ(dry["dryRun"], true);
  auto [st2, done] = call("POST", "/admin/v1/sync/runs", ga, "");
  ASSERT_EQ(st2, 201) << done;
  EXPECT_EQ(done["status"], "succeeded");
  EXPECT_EQ(done["trigger"], "api");
  int64_t added = 0;
  for (const auto& s : done["stages"]) added += s["added"].get<int64_t>();
  EXPECT_EQ(added, 2);  // into the directory store, then a profile

  auto [st3, history] = call("GET", "/admin/v1/sync/runs", ga);
  ASSERT_EQ(st3, 200);
  ASSERT_EQ(history["value"].size(), 2u);
  EXPECT_EQ(history["value"][0]["id"], done["id"]);
  auto [st4, one] =
      call("GET", "/admin/v1/sync/runs/" + std::to_string(done["id"].get<int64_t>()), ga);
  EXPECT_EQ(st4, 200);
  EXPECT_EQ(one, done);
  EXPECT_EQ(call("GET", "/admin/v1/sync/runs/99999", ga).first, 404);

  // One stage alone, and what is refused before a run is recorded.
  auto [st6, stage2] = call("POST", "/admin/v1/sync/runs", ga, R"({"stage":2,"full":true})");
  ASSERT_EQ(st6, 201) << stage2;
  ASSERT_EQ(stage2["stages"].size(), 1u);
  EXPECT_EQ(stage2["stages"][0]["stage"], "store-to-profiles");
  EXPECT_EQ(stage2["stages"][0]["unchanged"], 1);
  for (const char* bad : {R"({"stage":4})", R"({"stage":"2"})", R"({"stage":-1})"}) {
    auto [code, err] = call("POST", "/admin/v1/sync/runs", ga, bad);
    EXPECT_EQ(code, 400) << bad;
    EXPECT_EQ(err["error"]["message"], "request body: 'stage' must be a whole number from 0 to 3");
  }
  EXPECT_EQ(call("GET", "/admin/v1/sync/runs", ga).second["value"].size(), 3u);

  // A server tenant's profiles come from its connector: the run is refused and recorded.
  std::string farm = token("ga@farm.local", "farm");
  auto [st5, refused] = call("POST", "/admin/v1/sync/runs", farm, "{}", "farm");
  EXPECT_EQ(st5, 409);
  EXPECT_EQ(refused["run"]["status"], "failed");
  EXPECT_EQ(call("GET", "/admin/v1/sync/runs", farm, "", "farm").second["value"].size(), 1u);
}

}  // namespace
}  // namespace upsync
