// The admin API's profile routes (src/http/admin_profiles.cpp) on the real `upsync serve`:
// paging and filtering, edits checked against the schema with the refused field named and
// nothing stored, create and delete on server tenants only, clearing a custom property's
// values, and the callers who may not.
#include <gtest/gtest.h>

#include "http/admin_fixture.h"

namespace upsync {
namespace {

using testing::run;

class AdminProfilesTest : public testing::AdminFixture {
 protected:
  void SetUp() override {
    AdminFixture::SetUp();
    for (auto [who, dept] : {std::pair{"a", "Sales"},
                             {"b", "Legal"},
                             {"c", "Sales"},
                             {"d", "Sales"},
                             {"e", "Legal"}}) {
      ASSERT_EQ(run({"--data-dir", data(), "profile", "create", "-t", "contoso",
                     std::string("i:0#.f|membership|") + who + "@contoso.com", "--set",
                     std::string("Department=") + dept, "--set", "AboutMe=hello"}),
                0);
    }
    start();
    ga_ = token("ga@contoso.com");
  }
  std::string ga_;
};

TEST_F(AdminProfilesTest, ListsAPageAtATimeAndFiltersByAProperty) {
  auto [st, page] = call("GET", "/admin/v1/profiles?top=2", ga_);
  ASSERT_EQ(st, 200) << page;
  ASSERT_EQ(page["value"].size(), 2u);
  EXPECT_EQ(page["value"][0]["accountName"], "i:0#.f|membership|a@contoso.com");
  EXPECT_EQ(page["value"][0]["properties"]["Department"], "Sales");
  ASSERT_TRUE(page["nextAfter"].is_number());
  int seen = 2;
  while (!page["nextAfter"].is_null()) {
    std::tie(st, page) = call(
        "GET", "/admin/v1/profiles?top=2&after=" + std::to_string(page["nextAfter"].get<int64_t>()),
        ga_);
    ASSERT_EQ(st, 200) << page;
    seen += static_cast<int>(page["value"].size());
  }
  EXPECT_EQ(seen, 5);

  std::tie(st, page) = call("GET", "/admin/v1/profiles?property=department&value=Sales", ga_);
  ASSERT_EQ(st, 200) << page;
  EXPECT_EQ(page["value"].size(), 3u);
  for (const auto& p : page["value"]) EXPECT_EQ(p["properties"]["Department"], "Sales");
}

TEST_F(AdminProfilesTest, FindsPeopleAsThePeoplePickerDoes) {
  auto [st, page] = call("GET", "/admin/v1/profiles?search=C%40contoso", ga_);
  ASSERT_EQ(st, 200) << page;
  ASSERT_EQ(page["value"].size(), 1u) << page;
  EXPECT_EQ(page["value"][0]["accountName"], "i:0#.f|membership|c@contoso.com");
  EXPECT_TRUE(page["nextAfter"].is_null());
  std::tie(st, page) = call("GET", "/admin/v1/profiles?search=nobody-like-this", ga_);
  ASSERT_EQ(st, 200) << page;
  EXPECT_EQ(page["value"].size(), 0u);
  for (const char* q : {"?search=", "?search=%20", "?search=a&after=1",
                        "?search=a&property=Department&value=Sales"}) {
    std::tie(st, page) = call("GET", std::string("/admin/v1/profiles") + q, ga_);
    EXPECT_EQ(st, 400) << q << " " << page;
  }
}

TEST_F(AdminProfilesTest, RefusesQueriesItWouldNotApply) {
  for (const char* q :
       {"?top=0", "?top=501", "?top=x", "?after=-1", "?property=Department", "?value=Sales",
        "?find=ada", "?$filter=Department%20eq%20'Sales'", "?$top=2"}) {
    auto [st, body] = call("GET", std::string("/admin/v1/profiles") + q, ga_);
    EXPECT_EQ(st, 400) << q << " " << body;
    EXPECT_EQ(body["error"]["code"], "InvalidArgument") << q;
  }
  auto [st, body] = call("GET", "/admin/v1/profiles?property=NoSuchThing&value=x", ga_);
  EXPECT_EQ(st, 404) << body;
  EXPECT_NE(body["error"]["message"].get<std::string>().find("NoSuchThing"), std::string::npos);
  std::tie(st, body) = call("GET", "/admin/v1/profiles/1?$select=AboutMe", ga_);
  EXPECT_EQ(st, 400) << body;
  std::tie(st, body) = call("GET", "/admin/v1/profiles/abc", ga_);
  EXPECT_EQ(st, 400) << body;
  std::tie(st, body) = call("GET", "/admin/v1/profiles/999", ga_);
  EXPECT_EQ(st, 404) << body;
}

TEST_F(AdminProfilesTest, EditsNonSyncedPropertiesAndNamesTheFieldItRefuses) {
  auto [st, p] = call("PATCH", "/admin/v1/profiles/1", ga_,
                      R"({"properties":{"AboutMe":"Sells things","SPS-Birthday":"04-21",)"
                      R"("SPS-Responsibility":["pricing","quotes"]}})");
  ASSERT_EQ(st, 200) << p;
  EXPECT_EQ(p["properties"]["AboutMe"], "Sells things");
  EXPECT_EQ(p["properties"]["SPS-Responsibility"], nlohmann::json({"pricing", "quotes"}));

  struct Bad {
    const char* body;
    const char* target;
  };
  for (const Bad& bad : {
           Bad{R"({"properties":{"AboutMe":"changed","SPS-Birthday":"not a date"}})",
               "SPS-Birthday"},
           Bad{R"({"properties":{"AboutMe":"changed","SPS-EmailOptin":"many"}})", "SPS-EmailOptin"},
           Bad{R"({"properties":{"AboutMe":"changed","Department":"Legal"}})", "Department"},
           Bad{R"({"properties":{"AboutMe":"changed","NoSuchThing":"x"}})", "NoSuchThing"},
           Bad{R"({"properties":{"AboutMe":"changed","SPS-HireDate":12}})", "SPS-HireDate"},
           Bad{R"({"properties":{"AboutMe":"changed","SPS-Responsibility":[1]}})",
               "SPS-Responsibility"},
           Bad{R"({"properties":["AboutMe"]})", "properties"},
       }) {
    auto [st2, err] = call("PATCH", "/admin/v1/profiles/1", ga_, bad.body);
    EXPECT_EQ(st2, 400) << bad.body << " " << err;
    EXPECT_EQ(err["error"]["target"], bad.target) << bad.body;
    EXPECT_FALSE(err["error"]["message"].get<std::string>().empty());
  }
  for (const char* body : {R"({"AboutMe":"x"})", R"({"properties":{},"extra":1})", "[1]", "{"}) {
    auto [st2, err] = call("PATCH", "/admin/v1/profiles/1", ga_, body);
    EXPECT_EQ(st2, 400) << body << " " << err;
  }
  // Nothing of a refused request was stored.
  std::tie(st, p) = call("GET", "/admin/v1/profiles/1", ga_);
  ASSERT_EQ(st, 200);
  EXPECT_EQ(p["properties"]["AboutMe"], "Sells things");
  EXPECT_EQ(p["properties"]["Department"], "Sales");
  EXPECT_EQ(p["properties"]["SPS-Birthday"], "04-21");
  // null clears.
  std::tie(st, p) =
      call("PATCH", "/admin/v1/profiles/1", ga_, R"({"properties":{"AboutMe":null}})");
  ASSERT_EQ(st, 200) << p;
  EXPECT_FALSE(p["properties"].contains("AboutMe"));
}

TEST_F(AdminProfilesTest, CreatesAndDeletesOnlyOnServerTenants) {
  auto [st, body] = call("POST", "/admin/v1/profiles", ga_,
                         R"({"accountName":"i:0#.f|membership|new@contoso.com"})");
  EXPECT_EQ(st, 409) << body;
  EXPECT_NE(body["error"]["message"].get<std::string>().find("directory"), std::string::npos);
  std::tie(st, body) = call("DELETE", "/admin/v1/profiles/1", ga_);
  EXPECT_EQ(st, 409) << body;
  std::tie(st, body) = call("GET", "/admin/v1/profiles/1", ga_);
  EXPECT_EQ(st, 200) << "a refused delete removes nothing";

  const std::string farm = token("ga@farm.local", "farm");
  std::tie(st, body) = call("POST", "/admin/v1/profiles", farm,
                            R"({"accountName":"i:0#.w|farm\\adele","properties":)"
                            R"({"SPS-Birthday":"13-45"}})",
                            "farm");
  EXPECT_EQ(st, 400) << body;
  EXPECT_EQ(body["error"]["target"], "SPS-Birthday");
  for (const char* bad : {R"({})", R"({"accountName":""})", R"({"accountName":3})"}) {
    std::tie(st, body) = call("POST", "/admin/v1/profiles", farm, bad, "farm");
    EXPECT_EQ(st, 400) << bad << " " << body;
    EXPECT_EQ(body["error"]["target"], "accountName") << bad;
  }
  std::tie(st, body) =
      call("POST", "/admin/v1/profiles", farm, R"({"accountName":"x","who":1})", "farm");
  EXPECT_EQ(st, 400) << body;
  std::tie(st, body) = call("GET", "/admin/v1/profiles", farm, "", "farm");
  EXPECT_EQ(body["value"].size(), 0u) << "nothing was created by a refused request";

  std::tie(st, body) = call("POST", "/admin/v1/profiles", farm,
                            R"({"accountName":"i:0#.w|farm\\adele","properties":)"
                            R"({"AboutMe":"new here"}})",
                            "farm");
  ASSERT_EQ(st, 201) << body;
  EXPECT_EQ(body["properties"]["AboutMe"], "new here");
  const std::string id = std::to_string(body["id"].get<int64_t>());
  std::tie(st, body) = call("DELETE", "/admin/v1/profiles/" + id, farm, "", "farm");
  EXPECT_EQ(st, 204) << body;
  std::tie(st, body) = call("GET", "/admin/v1/profiles/" + id, farm, "", "farm");
  EXPECT_EQ(st, 404) << body;
}

TEST_F(AdminProfilesTest, UsersAndOtherTenantsAreRefusedAndChangeNothing) {
  const std::string user = token("adele@contoso.com");
  for (auto [method, path, body] :
       {std::tuple{"GET", "/admin/v1/profiles", ""},
        {"GET", "/admin/v1/profiles/1", ""},
        {"PATCH", "/admin/v1/profiles/1", R"({"properties":{"AboutMe":"pwned"}})"},
        {"POST", "/admin/v1/properties/Anything/clear", "{}"}}) {
    auto [st, answer] = call(method, path, user, body);
    EXPECT_EQ(st, 403) << method << " " << path << " " << answer;
  }
  // A farm admin's token is not contoso's: the tenant in the path decides, and refuses it.
  const std::string farm = token("ga@farm.local", "farm");
  auto [st, answer] = call("PATCH", "/admin/v1/profiles/1", farm,
                           R"({"properties":{"AboutMe":"pwned"}})", "contoso");
  EXPECT_EQ(st, 401) << answer;
  std::tie(st, answer) = call("GET", "/admin/v1/profiles/1", ga_);
  EXPECT_EQ(answer["properties"]["AboutMe"], "hello");
  // A SharePoint admin manages profiles.
  std::tie(st, answer) = call("PATCH", "/admin/v1/profiles/1", token("spa@contoso.com"),
                              R"({"properties":{"AboutMe":"by spa"}})");
  EXPECT_EQ(st, 200) << answer;
}

TEST_F(AdminProfilesTest, ACustomPropertyWithValuesIsClearedThenRemoved) {
  auto [st, body] = call("POST", "/admin/v1/properties", ga_, R"({"name":"CostCenter"})");
  ASSERT_EQ(st, 201) << body;
  for (const char* id : {"1", "3"}) {
    std::tie(st, body) = call("PATCH", std::string("/admin/v1/profiles/") + id, ga_,
                              R"({"properties":{"CostCenter":"42"}})");
    ASSERT_EQ(st, 200) << body;
  }
  std::tie(st, body) = call("DELETE", "/admin/v1/properties/CostCenter", ga_);
  EXPECT_EQ(st, 409) << body;
  EXPECT_NE(body["error"]["message"].get<std::string>().find("2 profile(s)"), std::string::npos)
      << body;
  std::tie(st, body) = call("POST", "/admin/v1/properties/CostCenter/clear", ga_, R"({"x":1})");
  EXPECT_EQ(st, 400) << body;
  std::tie(st, body) = call("POST", "/admin/v1/properties/AboutMe/clear", ga_, "{}");
  EXPECT_EQ(st, 409) << "a catalog property is not cleared in bulk: " << body;
  std::tie(st, body) = call("GET", "/admin/v1/profiles/1", ga_);
  EXPECT_EQ(body["properties"]["AboutMe"], "hello");
  std::tie(st, body) = call("POST", "/admin/v1/properties/NoSuch/clear", ga_, "{}");
  EXPECT_EQ(st, 404) << body;

  std::tie(st, body) = call("POST", "/admin/v1/properties/costcenter/clear", ga_, "{}");
  ASSERT_EQ(st, 200) << body;
  EXPECT_EQ(body["cleared"], 2);
  EXPECT_EQ(body["property"], "CostCenter");
  std::tie(st, body) = call("DELETE", "/admin/v1/properties/CostCenter", ga_);
  EXPECT_EQ(st, 204) << body;
}

TEST_F(AdminProfilesTest, ANewPropertysRefusalNamesItsField) {
  struct Bad {
    const char* body;
    int status;
    const char* target;
  };
  for (const Bad& bad :
       {Bad{R"({"name":"Bad Name!"})", 400, "name"}, Bad{R"({"name":""})", 400, "name"},
        Bad{R"({"name":"Ok","type":"colour"})", 400, "type"},
        Bad{R"({"name":"Ok","multiValue":"yes"})", 400, "multiValue"},
        Bad{R"({"name":"AboutMe"})", 409, "name"}}) {
    auto [st, err] = call("POST", "/admin/v1/properties", ga_, bad.body);
    EXPECT_EQ(st, bad.status) << bad.body << " " << err;
    EXPECT_EQ(err["error"]["target"], bad.target) << bad.body << " " << err;
  }
  auto [st, schema] = call("GET", "/admin/v1/properties", ga_);
  for (const auto& p : schema["value"]) EXPECT_FALSE(p["custom"].get<bool>()) << p;
}

// The list is written without a JSON tree (admin_routes.cpp): it must say exactly what
// property_json() says of each property, which the CLI prints, policies and escapes included.
TEST_F(AdminProfilesTest, ThePropertyListSaysWhatThePropertysJsonSays) {
  ASSERT_EQ(run({"--data-dir", data(), "property", "add", "-t", "contoso", "Team", "--multi",
                 "--display-name", "Team \"A\" \\ é\ttab", "--user-editable"}),
            0);
  ASSERT_EQ(run({"--data-dir", data(), "property", "set", "-t", "contoso", "Team", "--privacy",
                 "Manager", "--user-can-override", "true", "--show-in-edit", "false"}),
            0);
  auto [st, body] = call("GET", "/admin/v1/properties", ga_);
  ASSERT_EQ(st, 200) << body;
  const nlohmann::json cli = nlohmann::json::parse(
      testing::run_output({"--data-dir", data(), "--json", "property", "list", "-t", "contoso"}));
  ASSERT_GT(cli.size(), 50u);
  EXPECT_EQ(body, (nlohmann::json{{"value", cli}}));
  bool seen = false;
  for (const auto& p : body["value"]) {
    if (p["name"] != "Team") continue;
    seen = true;
    EXPECT_EQ(p["displayName"], "Team \"A\" \\ é\ttab");
    EXPECT_EQ(p["privacy"], "Manager");
    EXPECT_EQ(p["userCanOverride"], true);
    EXPECT_EQ(p["showInEdit"], false);
    EXPECT_EQ(p["multiValue"], true);
    EXPECT_EQ(p["custom"], true);
  }
  EXPECT_TRUE(seen) << body;
}

// The list is kept between requests while nothing changes (Store::kept_text): a change made
// by another process (the CLI) or through the server shows in the next answers, on whichever
// of the server's connections they are read.
TEST_F(AdminProfilesTest, ThePropertyListShowsEachChangeAtOnce) {
  auto display_name_of_team = [&] {
    auto [st, body] = call("GET", "/admin/v1/properties", ga_);
    EXPECT_EQ(st, 200) << body;
    for (const auto& p : body["value"]) {
      if (p["name"] == "Team") return p["displayName"].get<std::string>();
    }
    return std::string("(none)");
  };
  for (int i = 0; i < 8; ++i) EXPECT_EQ(display_name_of_team(), "(none)");
  ASSERT_EQ(run({"--data-dir", data(), "property", "add", "-t", "contoso", "Team", "--display-name",
                 "Team one"}),
            0);
  for (int i = 0; i < 8; ++i) EXPECT_EQ(display_name_of_team(), "Team one");
  auto [st, body] =
      call("PATCH", "/admin/v1/properties/team", ga_, R"({"displayName":"Team two"})");
  ASSERT_EQ(st, 200) << body;
  for (int i = 0; i < 8; ++i) EXPECT_EQ(display_name_of_team(), "Team two");
}

TEST_F(AdminProfilesTest, APropertysDisplayNameAndFlagsChange) {
  auto [st, body] = call("POST", "/admin/v1/properties", ga_, R"({"name":"Team"})");
  ASSERT_EQ(st, 201) << body;
  std::tie(st, body) = call("PATCH", "/admin/v1/properties/team", token("spa@contoso.com"),
                            R"({"displayName":"Team name","userEditable":true,"syncToSites":true,)"
                            R"("multiValue":true,"maxLength":100,"type":"string"})");
  ASSERT_EQ(st, 200) << body;
  EXPECT_EQ(body["name"], "Team");
  EXPECT_EQ(body["displayName"], "Team name");
  EXPECT_EQ(body["multiValue"], true);
  EXPECT_EQ(body["userEditable"], true);
  EXPECT_EQ(body["syncToSites"], true);
  EXPECT_EQ(body["maxLength"], 100);
  std::tie(st, body) = call("GET", "/admin/v1/properties", ga_);
  bool seen = false;
  for (const auto& p : body["value"]) {
    if (p["name"] != "Team") continue;
    seen = true;
    EXPECT_EQ(p["displayName"], "Team name");
    EXPECT_EQ(p["multiValue"], true);
  }
  EXPECT_TRUE(seen) << body;
}

TEST_F(AdminProfilesTest, APropertyChangeTheValuesForbidIsRefusedNamingItsMember) {
  auto [st, body] = call("POST", "/admin/v1/properties", ga_,
                         R"({"name":"Team","multiValue":true,"maxLength":50})");
  ASSERT_EQ(st, 201) << body;
  std::tie(st, body) = call("PATCH", "/admin/v1/profiles/1", ga_,
                            R"({"properties":{"Team":["Red","Green","A long team name"]}})");
  ASSERT_EQ(st, 200) << body;
  struct Bad {
    std::string path;
    std::string who;
    std::string body;
    int status;
    std::string target;  // "" when the refusal is about no one member
  };
  const std::string user = token("adele@contoso.com");
  for (const Bad& bad : std::vector<Bad>{
           {"Team", ga_, R"({"multiValue":false})", 409, "multiValue"},
           {"Team", ga_, R"({"maxLength":5})", 409, "maxLength"},
           {"Team", ga_, R"({"type":"integer"})", 409, "type"},
           {"Team", ga_, R"({"type":"colour"})", 400, "type"},
           {"Team", ga_, R"({"maxLength":0})", 400, "maxLength"},
           {"Team", ga_, R"({"maxLength":"9"})", 400, "maxLength"},
           {"Team", ga_, R"({"userEditable":"yes"})", 400, "userEditable"},
           {"Team", ga_, R"({"displayName":7})", 400, "displayName"},
           {"Team", ga_, R"({"name":"Crew"})", 400, "name"},
           {"Team", ga_, R"({"taxonomyBound":true})", 400, "taxonomyBound"},
           {"Team", ga_, R"({"privacy":"Nobody","displayName":"x"})", 400, "privacy"},
           // The policy and the definition change together or not at all.
           {"Team", ga_, R"({"privacy":"Private","maxLength":5})", 409, "maxLength"},
           {"Team", ga_, R"(["displayName"])", 400, ""},
           {"Team?$select=name", ga_, R"({"displayName":"x"})", 400, ""},
           {"Team?force=1", ga_, R"({"displayName":"x"})", 400, ""},
           {"AboutMe", ga_, R"({"displayName":"x"})", 409, ""},
           {"NoSuch", ga_, R"({"displayName":"x"})", 404, ""},
           {"Team", user, R"({"displayName":"pwned"})", 403, ""},
       }) {
    auto [code, err] = call("PATCH", "/admin/v1/properties/" + bad.path, bad.who, bad.body);
    EXPECT_EQ(code, bad.status) << bad.path << " " << bad.body << " " << err;
    if (!bad.target.empty()) {
      EXPECT_EQ(err["error"]["target"], bad.target) << bad.body << " " << err;
    }
  }
  // Another tenant's admin: refused on contoso's path, and its own tenant has no Team.
  const std::string farm = token("ga@farm.local", "farm");
  std::tie(st, body) =
      call("PATCH", "/admin/v1/properties/Team", farm, R"({"displayName":"pwned"})", "contoso");
  EXPECT_EQ(st, 401) << body;
  std::tie(st, body) =
      call("PATCH", "/admin/v1/properties/Team", farm, R"({"displayName":"pwned"})", "farm");
  EXPECT_EQ(st, 404) << body;

  std::tie(st, body) = call("GET", "/admin/v1/properties", ga_);
  for (const auto& p : body["value"]) {
    if (p["name"] == "AboutMe") {
      EXPECT_EQ(p["displayName"], "About me") << p;
    }
    if (p["name"] != "Team") continue;
    EXPECT_EQ(p["displayName"], "Team") << p;
    EXPECT_EQ(p["multiValue"], true) << p;
    EXPECT_EQ(p["maxLength"], 50) << p;
    EXPECT_EQ(p["privacy"], "Public") << p;
    EXPECT_EQ(p["type"], "string") << p;
    EXPECT_EQ(p["userEditable"], false) << p;
  }
  std::tie(st, body) = call("GET", "/admin/v1/profiles/1", ga_);
  EXPECT_EQ(body["properties"]["Team"].size(), 3u) << body;
}

}  // namespace
}  // namespace upsync
