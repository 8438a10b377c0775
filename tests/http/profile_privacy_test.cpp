// Property policies (core/property_policy.h, http/profile_privacy.h) on the real `upsync
// serve`: each viewer of Adele's profile gets exactly the values her tenant's policies let
// them see, on every PeopleManager path that returns a profile; the policy is set with
// `property set` and the admin API; the person page's save (http/person_page.h) checks every
// value and who may change it before writing any.
#include <gtest/gtest.h>
#include <httplib.h>

#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <string>
#include <vector>

#include "http/server_process.h"
#include "test_support.h"

namespace upsync {
namespace {

using json = nlohmann::json;
using upsync::testing::run;
using upsync::testing::Server;
using upsync::testing::TempDir;

const std::string kApi = "/tenants/contoso/_api";
const std::string kPeople = kApi + "/sp.userprofiles.peoplemanager";
std::string claim(const std::string& who) { return "i:0#.f|membership|" + who + "@contoso.com"; }
std::string alias(const std::string& account) {
  return "%40v=%27" + httplib::detail::encode_query_param(account) + "%27";
}

// Adele's restricted properties, one per privacy narrower than Public, and her public one.
const std::map<std::string, std::string> kValues = {{"CellPhone", "+1 555 0100"},
                                                    {"HomePhone", "+1 555 0101"},
                                                    {"SPS-PastProjects", "Apollo"},
                                                    {"SPS-Interests", "Sailing"},
                                                    {"AboutMe", "Hello"}};

class ProfilePrivacyTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new TempDir();
    const std::string data = dir_->str() + "/data";
    auto cli = [&](std::vector<std::string> args) {
      args.insert(args.begin(), {"--data-dir", data});
      ASSERT_EQ(run(args), 0) << args[2] << " " << args[3];
    };
    cli({"tenant", "create", "contoso"});
    // boss manages adele and megan (peers); carol is followed by adele; zed is nobody to her.
    // They are cloud directory users, and the sync makes their profiles (with Manager), so
    // Graph's users and the profiles are the same people.
    const std::vector<std::pair<std::string, std::string>> people = {
        {"boss", ""}, {"adele", "boss"}, {"megan", "boss"}, {"carol", ""}, {"zed", ""}};
    for (const auto& [who, manager] : people) {
      cli({"user", "password", "set", "--tenant", "contoso", who + "@contoso.com", "--password",
           "pw-" + who + "-secret"});
      std::vector<std::string> add = {"--data-dir",
                                      data,
                                      "--json",
                                      "directory",
                                      "user",
                                      "add",
                                      "--tenant",
                                      "contoso",
                                      who + "@contoso.com",
                                      "--set",
                                      "displayName=" + who,
                                      "--set",
                                      "mobile=+1 555 01" + std::to_string(ids_.size())};
      if (!manager.empty()) {
        add.push_back("--set");
        add.push_back("manager=" + ids_[manager]);
      }
      ids_[who] = json::parse(testing::run_output(add))["objectId"].get<std::string>();
    }
    cli({"sync", "run", "-t", "contoso"});
    cli({"user", "password", "set", "--tenant", "contoso", "ga@contoso.com", "--password",
         "pw-ga-secret", "--role", "global-admin"});
    std::vector<std::string> set = {"profile", "set", "--tenant", "contoso", claim("adele")};
    for (const auto& [name, value] : kValues) {
      set.push_back("--set");
      set.push_back(name + "=" + value);
    }
    cli(set);
    cli({"property", "set", "-t", "contoso", "CellPhone", "--privacy", "Private"});
    cli({"property", "set", "-t", "contoso", "HomePhone", "--privacy", "Manager"});
    cli({"property", "set", "-t", "contoso", "SPS-PastProjects", "--privacy", "Organization"});
    app_ = dir_->str() + "/app.json";
    ASSERT_EQ(std::system((testing::binary() + " --data-dir " + data +
                           " --json app add -t contoso reader > " + app_)
                              .c_str()),
              0);
    server_ = new Server(*dir_, {"--no-worker"});
    ASSERT_GT(server_->port(), 0) << server_->log();
    // The fourth policy through the admin API; adele follows carol.
    auto r = call("PATCH", "/tenants/contoso/admin/v1/properties/sps-interests", "ga",
                  R"({"privacy":"Contacts"})");
    ASSERT_TRUE(r && r->status == 200) << (r ? r->body : "");
    EXPECT_EQ(json::parse(r->body)["privacy"], "Contacts");
    EXPECT_EQ(json::parse(r->body)["name"], "SPS-Interests");
    r = call("POST", kApi + "/social.following/follow", "adele",
             json{{"actor", {{"AccountName", claim("carol")}, {"ActorType", 0}, {"Id", nullptr}}}}
                 .dump());
    ASSERT_TRUE(r && r->status == 200) << (r ? r->body : "");
  }
  static void TearDownTestSuite() {
    delete server_;
    delete dir_;
  }

  static std::string token(const std::string& who, bool graph) {
    static std::map<std::string, std::string> cache;
    const std::string key = who + (graph ? " graph" : "");
    if (auto it = cache.find(key); it != cache.end()) return it->second;
    httplib::Client c("127.0.0.1", server_->port());
    httplib::Params form = {{"scope", graph ? "https://graph.microsoft.com/.default"
                                            : "https://contoso.sharepoint.com/.default"}};
    json app = json::parse(testing::read_file(app_));
    form.emplace("client_id", app["clientId"].get<std::string>());
    if (who == "app") {
      form.emplace("grant_type", "client_credentials");
      form.emplace("client_secret", app["clientSecret"].get<std::string>());
    } else {
      form.emplace("grant_type", "password");
      form.emplace("username", who + "@contoso.com");
      form.emplace("password", "pw-" + who + "-secret");
    }
    auto r = c.Post("/contoso/oauth2/v2.0/token", form);
    EXPECT_TRUE(r && r->status == 200) << (r ? r->body : "");
    std::string t =
        r && r->status == 200 ? json::parse(r->body)["access_token"].get<std::string>() : "";
    cache[key] = t;
    return t;
  }
  static httplib::Result call(const std::string& method, const std::string& path,
                              const std::string& who, const std::string& body = "") {
    httplib::Client c("127.0.0.1", server_->port());
    c.set_url_encode(false);
    httplib::Headers h = {
        {"Accept", "application/json;odata=nometadata"},
        {"Authorization", "Bearer " + token(who, path.find("/v1.0/") != std::string::npos)}};
    if (method == "GET") return c.Get(path.c_str(), h);
    if (method == "PATCH") return c.Patch(path.c_str(), h, body, "application/json");
    if (method == "PUT") return c.Put(path.c_str(), h, body, "application/json");
    return c.Post(path.c_str(), h, body, "application/json;charset=utf-8");
  }
  // The names of kValues whose value `who` gets from GetPropertiesFor.
  static std::set<std::string> seen_in_properties(const std::string& who) {
    auto r = call("GET", kPeople + "/getpropertiesfor(@v)?" + alias(claim("adele")), who);
    EXPECT_TRUE(r && r->status == 200) << (r ? r->body : "");
    std::set<std::string> out;
    if (!r || r->status != 200) return out;
    const json person = json::parse(r->body);
    for (const auto& kv : person["UserProfileProperties"]) {
      auto it = kValues.find(kv["Key"].get<std::string>());
      if (it == kValues.end()) continue;
      if (kv["Value"] == it->second) {
        out.insert(it->first);
      } else {
        EXPECT_EQ(kv["Value"], "") << who << " got a changed value of " << it->first;
      }
    }
    return out;
  }
  static std::set<std::string> seen_one_by_one(const std::string& who) {
    std::set<std::string> out;
    for (const auto& [name, value] : kValues) {
      auto r = call("GET",
                    kPeople + "/getuserprofilepropertyfor(accountname=@v,propertyname='" + name +
                        "')?" + alias(claim("adele")),
                    who);
      EXPECT_TRUE(r && r->status == 200) << (r ? r->body : "");
      if (!r || r->status != 200) continue;
      const json v = json::parse(r->body)["value"];
      if (v == value) out.insert(name);
    }
    return out;
  }

  static TempDir* dir_;
  static Server* server_;
  static std::string app_;
  static std::map<std::string, std::string> ids_;  // directory object ids by name
};

TempDir* ProfilePrivacyTest::dir_ = nullptr;
Server* ProfilePrivacyTest::server_ = nullptr;
std::string ProfilePrivacyTest::app_;
std::map<std::string, std::string> ProfilePrivacyTest::ids_;

// Viewer → what of Adele's they see. Each level includes the narrower ones.
const std::vector<std::pair<std::string, std::set<std::string>>> kViewers = {
    {"adele", {"CellPhone", "HomePhone", "SPS-PastProjects", "SPS-Interests", "AboutMe"}},
    {"boss", {"HomePhone", "SPS-PastProjects", "SPS-Interests", "AboutMe"}},
    {"megan", {"SPS-PastProjects", "SPS-Interests", "AboutMe"}},
    {"carol", {"SPS-Interests", "AboutMe"}},
    {"zed", {"AboutMe"}},
    {"ga", {"CellPhone", "HomePhone", "SPS-PastProjects", "SPS-Interests", "AboutMe"}},
    {"app", {"CellPhone", "HomePhone", "SPS-PastProjects", "SPS-Interests", "AboutMe"}},
};

TEST_F(ProfilePrivacyTest, GetPropertiesForAnswersEachViewerWhatThePolicyAllows) {
  for (const auto& [who, expected] : kViewers) {
    EXPECT_EQ(seen_in_properties(who), expected) << who;
  }
}

TEST_F(ProfilePrivacyTest, GetUserProfilePropertyForAnswersAHiddenValueEmpty) {
  for (const auto& [who, expected] : kViewers) {
    EXPECT_EQ(seen_one_by_one(who), expected) << who;
  }
}

TEST_F(ProfilePrivacyTest, FollowListsApplyThePolicyToEachPerson) {
  // Zed follows Adele: the list of people he follows carries her profile as he may see it.
  auto r = call(
      "POST", kApi + "/social.following/follow", "zed",
      json{{"actor", {{"AccountName", claim("adele")}, {"ActorType", 0}, {"Id", nullptr}}}}.dump());
  ASSERT_TRUE(r && r->status == 200) << (r ? r->body : "");
  r = call("GET", kPeople + "/getpeoplefollowedby(@v)?" + alias(claim("zed")), "zed");
  ASSERT_TRUE(r && r->status == 200) << (r ? r->body : "");
  bool found = false;
  const json followed = json::parse(r->body);
  for (const auto& p : followed["value"]) {
    if (p["AccountName"] != claim("adele")) continue;
    found = true;
    for (const auto& kv : p["UserProfileProperties"]) {
      if (kv["Key"] == "CellPhone" || kv["Key"] == "HomePhone") {
        EXPECT_EQ(kv["Value"], "");
      }
    }
  }
  EXPECT_TRUE(found) << r->body;
}

TEST_F(ProfilePrivacyTest, PolicyIsListedWithTheSchemaForEveryoneSignedIn) {
  auto r = call("GET", "/tenants/contoso/admin/v1/properties", "zed");
  ASSERT_TRUE(r && r->status == 200) << (r ? r->body : "");
  std::map<std::string, std::string> privacy;
  const json schema = json::parse(r->body);
  for (const auto& p : schema["value"]) privacy[p["name"]] = p["privacy"];
  EXPECT_EQ(privacy["CellPhone"], "Private");
  EXPECT_EQ(privacy["HomePhone"], "Manager");
  EXPECT_EQ(privacy["SPS-PastProjects"], "Organization");
  EXPECT_EQ(privacy["SPS-Interests"], "Contacts");
  EXPECT_EQ(privacy["AboutMe"], "Public");
}

TEST_F(ProfilePrivacyTest, BadPoliciesAreRefusedNamingWhatIsWrong) {
  auto r = call("PATCH", "/tenants/contoso/admin/v1/properties/AboutMe", "ga",
                R"({"privacy":"Friends"})");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 400);
  EXPECT_NE(r->body.find("unknown privacy 'Friends'"), std::string::npos) << r->body;
  r = call("PATCH", "/tenants/contoso/admin/v1/properties/AboutMe", "ga", R"({"visible":true})");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 400);
  EXPECT_NE(r->body.find("unknown member 'visible'"), std::string::npos) << r->body;
  r = call("PATCH", "/tenants/contoso/admin/v1/properties/NoSuchThing", "ga",
           R"({"privacy":"Private"})");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 404) << r->body;
  r = call("PATCH", "/tenants/contoso/admin/v1/properties/AboutMe", "adele",
           R"({"privacy":"Public"})");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 403) << r->body;
  // Nothing changed.
  EXPECT_EQ(seen_in_properties("zed"), std::set<std::string>{"AboutMe"});
  const std::string data = dir_->str() + "/data";
  EXPECT_NE(run({"--data-dir", data, "property", "set", "-t", "contoso", "AboutMe", "--privacy",
                 "Friends"}),
            0);
}

TEST_F(ProfilePrivacyTest, SaveChecksEveryValueBeforeWritingAny) {
  const std::string save = "/tenants/contoso/_layouts/15/upsync/profile";
  // A good value beside a bad one: both refused, the bad one named, nothing written.
  auto r = call("POST", save, "adele",
                R"({"SPS-Skills":["C++","SQL"],"SPS-Birthday":"the 40th of May"})");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 400) << r->body;
  json details = json::parse(r->body)["error"]["details"];
  ASSERT_EQ(details.size(), 1u) << r->body;
  EXPECT_EQ(details[0]["target"], "SPS-Birthday");
  r = call("GET",
           kPeople + "/getuserprofilepropertyfor(accountname=@v,propertyname='SPS-Skills')?" +
               alias(claim("adele")),
           "adele");
  ASSERT_TRUE(r && r->status == 200);
  EXPECT_EQ(json::parse(r->body)["value"], "");
  // A synced property, or someone else's profile, is refused with 403.
  r = call("POST", save, "adele", R"({"Department":"Sales"})");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 403) << r->body;
  r = call("POST", save + "?accountname=" + httplib::detail::encode_query_param(claim("megan")),
           "adele", R"({"AboutMe":"hacked"})");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 403) << r->body;
  r = call("POST", save + "?nosuch=1", "adele", R"({"AboutMe":"x"})");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 400) << r->body;
  // The good save, then an admin's change to someone else's non-synced property.
  r = call("POST", save, "adele", R"({"SPS-Skills":["C++","SQL"]})");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200) << r->body;
  r = call("POST", save + "?accountname=" + httplib::detail::encode_query_param(claim("megan")),
           "ga", R"({"Fax":"+1 555 0199"})");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200) << r->body;
  r = call("POST", save + "?accountname=" + httplib::detail::encode_query_param(claim("megan")),
           "ga", R"({"Department":"Sales"})");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 403) << r->body;
  r = call("GET",
           kPeople + "/getuserprofilepropertyfor(accountname=@v,propertyname='SPS-Skills')?" +
               alias(claim("adele")),
           "adele");
  ASSERT_TRUE(r && r->status == 200);
  EXPECT_EQ(json::parse(r->body)["value"], "C++|SQL");
}

TEST_F(ProfilePrivacyTest, PersonPageIsServedAtSharePointsAddressesAndLinked) {
  httplib::Client c("127.0.0.1", server_->port());
  c.set_url_encode(false);
  for (const std::string& path : {"/tenants/contoso/person.aspx?accountname=" +
                                      httplib::detail::encode_query_param(claim("adele")),
                                  std::string("/tenants/contoso/my/Person.aspx")}) {
    auto r = c.Get(path.c_str());
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 200) << path;
    EXPECT_NE(r->body.find("/tenants/contoso/_layouts/15/upsync/person.js"), std::string::npos);
    EXPECT_NE(r->get_header_value("Content-Security-Policy").find("script-src 'self'"),
              std::string::npos);
  }
  auto r = c.Get("/tenants/contoso/person.aspx?user=x");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 400);
  r = call("GET", kPeople + "/getpropertiesfor(@v)?" + alias(claim("adele")), "zed");
  ASSERT_TRUE(r && r->status == 200);
  json p = json::parse(r->body);
  const std::string host = "http://127.0.0.1:" + std::to_string(server_->port());
  EXPECT_EQ(p["UserUrl"], host + "/tenants/contoso/person.aspx?accountname=" +
                              httplib::detail::encode_query_param(claim("adele")));
  EXPECT_EQ(p["PersonalUrl"], host + "/tenants/contoso/my/Person.aspx?accountname=" +
                                  httplib::detail::encode_query_param(claim("adele")));
  r = call("GET", kPeople + "/EditProfileLink", "zed");
  ASSERT_TRUE(r && r->status == 200) << r->body;
  EXPECT_EQ(json::parse(r->body)["value"], host + "/tenants/contoso/my/Person.aspx");
}

// Graph's users show the directory's values of the same facts: mobilePhone is the profile's
// CellPhone (Private), so only Adele, admins and apps get hers, on every path.
TEST_F(ProfilePrivacyTest, GraphUsersHideWhatTheProfilePolicyHides) {
  const std::string user = "/tenants/contoso/v1.0/users/" + ids_["adele"];
  auto mobile_of = [&](const std::string& path, const std::string& who) {
    auto r = call("GET", path, who);
    EXPECT_TRUE(r && r->status == 200) << path << " " << (r ? r->body : "");
    return r && r->status == 200 ? json::parse(r->body) : json();
  };
  for (const char* who : {"adele", "ga", "app"}) {
    EXPECT_EQ(mobile_of(user, who)["mobilePhone"], "+1 555 011") << who;
  }
  for (const char* who : {"boss", "megan", "zed"}) {
    json j = mobile_of(user, who);
    EXPECT_TRUE(j["mobilePhone"].is_null()) << who << j.dump();
    EXPECT_EQ(j["displayName"], "adele") << "a Public property stays";
    EXPECT_TRUE(mobile_of(user + "?$select=mobilePhone,id", who)["mobilePhone"].is_null());
  }
  // The list, her manager's directReports and $expand, and $batch: Adele is in each, without.
  auto adele_in = [&](const json& list, const std::string& where) {
    int found = 0;
    for (const auto& v : list) {
      if (v["id"] != ids_["adele"]) continue;
      ++found;
      EXPECT_TRUE(v["mobilePhone"].is_null()) << where << v.dump();
    }
    EXPECT_EQ(found, 1) << where << list.dump();
  };
  const json listed = mobile_of("/tenants/contoso/v1.0/users?$select=id,mobilePhone", "zed");
  adele_in(listed["value"], "users");
  const json reports = mobile_of(
      "/tenants/contoso/v1.0/users/" + ids_["boss"] + "/directReports?$select=id,mobilePhone",
      "megan");
  adele_in(reports["value"], "directReports");
  const json expanded =
      mobile_of("/tenants/contoso/v1.0/users/" + ids_["boss"] + "?$expand=directReports", "zed");
  adele_in(expanded["directReports"], "$expand");
  auto r = call(
      "POST", "/tenants/contoso/v1.0/$batch", "zed",
      json{{"requests", {{{"id", "1"}, {"method", "GET"}, {"url", "/users/" + ids_["adele"]}}}}}
          .dump());
  ASSERT_TRUE(r && r->status == 200) << (r ? r->body : "");
  json answer = json::parse(r->body)["responses"][0];
  EXPECT_EQ(answer["status"], 200) << answer.dump();
  EXPECT_TRUE(answer["body"]["mobilePhone"].is_null()) << answer.dump();
  // Filtering or sorting people on it would tell the values: refused for people, not apps.
  r = call("GET",
           "/tenants/contoso/v1.0/users?$filter=" +
               httplib::detail::encode_query_param("mobilePhone eq '+1 555 011'"),
           "zed");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 400) << r->body;
  EXPECT_EQ(json::parse(r->body)["error"]["code"], "Request_UnsupportedQuery");
  EXPECT_NE(r->body.find("mobilePhone"), std::string::npos);
  r = call("GET",
           "/tenants/contoso/v1.0/users?$filter=" +
               httplib::detail::encode_query_param("mobilePhone eq '+1 555 011'"),
           "app");
  ASSERT_TRUE(r);
  EXPECT_NE(r->status, 400) << r->body;
}

// Where a property's policy lets its owner choose, Megan picks who sees her Department: the
// choice holds on PeopleManager and Graph for everyone but her, admins and apps; the level must
// be one of SharePoint's; a property whose policy allows no choice, and an app (which has no
// profile), are refused; clearing it brings back the policy's default.
TEST_F(ProfilePrivacyTest, APersonChoosesWhoSeesTheirValueWhereThePolicyAllows) {
  const std::string data = dir_->str() + "/data";
  ASSERT_EQ(run({"--data-dir", data, "directory", "user", "set", "--tenant", "contoso",
                 "megan@contoso.com", "--set", "department=Sales"}),
            0);
  ASSERT_EQ(run({"--data-dir", data, "sync", "run", "-t", "contoso"}), 0);
  auto r = call("PATCH", "/tenants/contoso/admin/v1/properties/Department", "ga",
                R"({"userCanOverride":true})");
  ASSERT_TRUE(r && r->status == 200) << (r ? r->body : "");
  const std::string mine = "/tenants/contoso/admin/v1/me/privacy";

  r = call("GET", mine, "megan");
  ASSERT_TRUE(r && r->status == 200) << (r ? r->body : "");
  EXPECT_EQ(json::parse(r->body)["value"],
            json::parse(R"([{"name":"Department","displayName":"Department","default":"Public",)"
                        R"("privacy":"Public","chosen":false}])"));
  // SharePoint's label "My Team": her manager, peers and reports.
  r = call("PUT", mine + "/department", "megan", R"({"privacy":"My Team"})");
  ASSERT_TRUE(r && r->status == 200) << (r ? r->body : "");
  EXPECT_EQ(json::parse(r->body)["privacy"], "Organization");
  EXPECT_EQ(json::parse(r->body)["chosen"], true);

  auto department_for = [&](const std::string& who) {
    auto p = call("GET", kPeople + "/getpropertiesfor(@v)?" + alias(claim("megan")), who);
    EXPECT_TRUE(p && p->status == 200) << (p ? p->body : "");
    if (!p || p->status != 200) return std::string("?");
    const json person = json::parse(p->body);
    for (const auto& kv : person["UserProfileProperties"]) {
      if (kv["Key"] == "Department") return kv["Value"].get<std::string>();
    }
    ADD_FAILURE() << "no Department in the answer to " << who;
    return std::string("?");
  };
  auto graph_department_for = [&](const std::string& who) {
    auto g =
        call("GET", "/tenants/contoso/v1.0/users/" + ids_["megan"] + "?$select=id,department", who);
    EXPECT_TRUE(g && g->status == 200) << (g ? g->body : "");
    return g && g->status == 200 ? json::parse(g->body)["department"] : json("?");
  };
  for (const char* who : {"megan", "adele", "boss", "ga", "app"}) {
    EXPECT_EQ(department_for(who), "Sales") << who;
    EXPECT_EQ(graph_department_for(who), "Sales") << who;
  }
  for (const char* who : {"carol", "zed"}) {
    EXPECT_EQ(department_for(who), "") << who;
    EXPECT_TRUE(graph_department_for(who).is_null()) << who;
  }
  // Filtering people on a property whose owners may hide it could tell the hidden values.
  r = call("GET",
           "/tenants/contoso/v1.0/users?$filter=" +
               httplib::detail::encode_query_param("department eq 'Sales'"),
           "zed");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 400) << r->body;

  // Refusals change nothing.
  r = call("PUT", mine + "/Department", "megan", R"({"privacy":"Nobody"})");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 400) << r->body;
  EXPECT_EQ(json::parse(r->body)["error"]["target"], "privacy");
  r = call("PUT", mine + "/Department", "megan", R"({"privacy":"Private","extra":1})");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 400) << r->body;
  r = call("PUT", mine + "/CellPhone", "megan", R"({"privacy":"Public"})");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 409) << r->body;
  EXPECT_NE(r->body.find("does not let people choose"), std::string::npos) << r->body;
  r = call("PUT", mine + "/NoSuchProperty", "megan", R"({"privacy":"Public"})");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 404) << r->body;
  r = call("PUT", mine + "/Department", "app", R"({"privacy":"Public"})");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 409) << r->body;
  EXPECT_EQ(department_for("zed"), "");

  // Back to the policy's default: everyone sees it again.
  r = call("PUT", mine + "/Department", "megan", R"({"privacy":null})");
  ASSERT_TRUE(r && r->status == 200) << (r ? r->body : "");
  EXPECT_EQ(json::parse(r->body)["chosen"], false);
  EXPECT_EQ(department_for("zed"), "Sales");
  // A choice left in place stops counting once the policy allows none.
  r = call("PUT", mine + "/Department", "megan", R"({"privacy":"Private"})");
  ASSERT_TRUE(r && r->status == 200) << (r ? r->body : "");
  EXPECT_EQ(department_for("adele"), "");
  r = call("PATCH", "/tenants/contoso/admin/v1/properties/Department", "ga",
           R"({"userCanOverride":false})");
  ASSERT_TRUE(r && r->status == 200) << (r ? r->body : "");
  EXPECT_EQ(department_for("adele"), "Sales");
  EXPECT_EQ(department_for("zed"), "Sales");
}

}  // namespace
}  // namespace upsync
