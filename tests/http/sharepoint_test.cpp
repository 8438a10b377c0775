// The SharePoint REST surface (src/http/sharepoint_routes.h) of the real `upsync serve`:
// each route, the three OData modes, the %40v alias, every permission rule and bad input,
// checking that a refused request changes nothing stored.
#include <gtest/gtest.h>
#include <httplib.h>

#include <nlohmann/json.hpp>
#include <regex>
#include <string>
#include <vector>

#include "http/server_process.h"
#include "test_support.h"

namespace upsync {
namespace {

using json = nlohmann::json;
using upsync::testing::binary;
using upsync::testing::run;
using upsync::testing::Server;
using upsync::testing::TempDir;

// Runs the CLI and returns its standard output ("" when it fails).
std::string run_output(const std::vector<std::string>& args) {
  std::string cmd = binary();
  for (const auto& a : args) cmd += " '" + a + "'";
  cmd += " 2>/dev/null";
  std::string out;
  FILE* p = popen(cmd.c_str(), "r");
  if (!p) return out;
  char buf[4096];
  size_t n;
  while ((n = fread(buf, 1, sizeof buf, p)) > 0) out.append(buf, n);
  return pclose(p) == 0 ? out : "";
}

constexpr const char* kVerbose = "application/json;odata=verbose";
constexpr const char* kNoMeta = "application/json;odata=nometadata";
constexpr const char* kMinimal = "application/json";
const std::string kAdele = "i:0#.f|membership|adele@contoso.com";
const std::string kMegan = "i:0#.f|membership|megan@contoso.com";
// PnPjs's form of getPropertiesFor(kAdele): URLSearchParams encodes the alias's key too.
const std::string kAdeleAlias = "%40v=%27i%3A0%23.f%7Cmembership%7Cadele%40contoso.com%27";
const std::string kApi = "/tenants/contoso/sites/hr/_api";
const std::string kPeople = kApi + "/sp.userprofiles.peoplemanager";
const std::string kTenantApi =
    kApi + "/Microsoft.Online.SharePoint.TenantManagement.Office365Tenant";
const std::string kLib = "/sites/hr/Shared Documents";

// One server for the suite: tenants contoso (online) and farm (server), an app, people with
// each role, profiles with a manager, custom properties.
class SharePointTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new TempDir();
    data_ = dir_->str() + "/data";
    auto cli = [](std::vector<std::string> args) {
      args.insert(args.begin(), {"--data-dir", data_});
      std::string line;
      for (const auto& a : args) line += a + " ";
      ASSERT_EQ(run(args), 0) << line;
    };
    cli({"tenant", "create", "contoso"});
    cli({"tenant", "create", "fabrikam"});
    cli({"tenant", "create", "farm", "--kind", "server"});
    cli({"tenant", "create", "school", "--education"});
    school_app_ = json::parse(
        run_output({"--data-dir", data_, "--json", "app", "add", "--tenant", "school", "x"}));
    cli({"user", "password", "set", "--tenant", "school", "pupil@school.edu", "--password",
         "pw-pupil"});
    app_ = json::parse(
        run_output({"--data-dir", data_, "--json", "app", "add", "--tenant", "contoso", "sync"}));
    fabrikam_app_ = json::parse(
        run_output({"--data-dir", data_, "--json", "app", "add", "--tenant", "fabrikam", "x"}));
    farm_app_ = json::parse(
        run_output({"--data-dir", data_, "--json", "app", "add", "--tenant", "farm", "x"}));
    cli({"user", "password", "set", "--tenant", "contoso", "adele@contoso.com", "--password",
         "pw-adele"});
    cli({"user", "password", "set", "--tenant", "contoso", "megan@contoso.com", "--role",
         "global-admin", "--password", "pw-megan"});
    cli({"user", "password", "set", "--tenant", "contoso", "sam@contoso.com", "--role",
         "sharepoint-admin", "--password", "pw-sam-pw"});
    cli({"property", "add", "--tenant", "contoso", "City"});
    cli({"property", "add", "--tenant", "contoso", "Pronouns", "--user-editable"});
    cli({"profile", "create", "--tenant", "contoso", kMegan, "--set", "PreferredName=Megan Bowen",
         "--set", "WorkEmail=megan@contoso.com"});
    cli({"profile", "create", "--tenant", "contoso", kAdele, "--set", "FirstName=Adele", "--set",
         "LastName=Vance", "--set", "WorkEmail=adele@contoso.com", "--set", "Title=Retail Manager",
         "--set", "Manager=" + kMegan, "--set", "SPS-Skills=C++", "--set", "SPS-Skills=Rust"});
    cli({"profile", "create", "--tenant", "contoso", "i:0#.f|membership|alex@contoso.com", "--set",
         "Manager=" + kMegan});
    cli({"profile", "create", "--tenant", "farm", "i:0#.w|farm\\bob", "--set",
         "PreferredName=Bob"});
    // Jobs stay Queued until a test runs them (`upsync import run-pending`); the embedded
    // worker has its own tests (import_worker_test.cpp).
    server_ = new Server(*dir_, {"--no-worker"});
    ASSERT_GT(server_->port(), 0) << server_->log();
  }
  static void TearDownTestSuite() {
    delete server_;
    delete dir_;
  }

  static httplib::Client client() {
    httplib::Client c("127.0.0.1", server_->port());
    c.set_url_encode(false);  // paths are sent as written, encoded like PnPjs encodes them
    return c;
  }

  static std::string token(const std::string& tenant, httplib::Params form) {
    form.emplace("scope", "https://" + tenant + ".sharepoint.com/.default");
    auto r = client().Post(("/" + tenant + "/oauth2/v2.0/token").c_str(), form);
    EXPECT_TRUE(r);
    if (!r) return "";
    EXPECT_EQ(r->status, 200) << r->body;
    return json::parse(r->body).value("access_token", "");
  }
  static std::string app_token(const json& app, const std::string& tenant = "contoso") {
    return token(tenant, {{"grant_type", "client_credentials"},
                          {"client_id", app["clientId"].get<std::string>()},
                          {"client_secret", app["clientSecret"].get<std::string>()}});
  }
  static std::string user_token(const std::string& upn, const std::string& password) {
    return token("contoso", {{"grant_type", "password"},
                             {"client_id", app_["clientId"].get<std::string>()},
                             {"username", upn},
                             {"password", password}});
  }
  static std::string app() { return app_token(app_); }
  static std::string adele() { return user_token("adele@contoso.com", "pw-adele"); }
  static std::string megan() { return user_token("megan@contoso.com", "pw-megan"); }
  static std::string sam() { return user_token("sam@contoso.com", "pw-sam-pw"); }

  static httplib::Headers headers(const std::string& token, const std::string& accept) {
    httplib::Headers h = {{"Accept", accept}};
    if (!token.empty()) h.emplace("Authorization", "Bearer " + token);
    return h;
  }

  static httplib::Result get(const std::string& path, const std::string& token,
                             const std::string& accept = kMinimal) {
    return client().Get(path.c_str(), headers(token, accept));
  }
  static httplib::Result post(const std::string& path, const std::string& token,
                              const std::string& body, const std::string& accept = kMinimal,
                              httplib::Headers extra = {}) {
    httplib::Headers h = headers(token, accept);
    h.insert(extra.begin(), extra.end());
    return client().Post(path.c_str(), h, body, "application/json;charset=utf-8");
  }

  // A profile as the CLI shows it (to check that refused requests changed nothing).
  static std::string profile(const std::string& account, const std::string& tenant = "contoso") {
    return run_output(
        {"--data-dir", data_, "--json", "profile", "get", "--tenant", tenant, account});
  }
  static std::string jobs() {
    return run_output({"--data-dir", data_, "--json", "import", "list", "--tenant", "contoso"});
  }

  static std::string error_message(const httplib::Result& r) {
    json j = json::parse(r->body);
    if (j.contains("odata.error")) return j["odata.error"]["message"]["value"];
    return j["error"]["message"]["value"];
  }

  static json set_body(const std::string& account, const std::string& prop, const json& value) {
    return {{"accountName", account}, {"propertyName", prop}, {"propertyValue", value}};
  }
  static httplib::Result set(const std::string& token, const json& body,
                             const std::string& method = "SetSingleValueProfileProperty") {
    return post(kApi + "/SP.UserProfiles.PeopleManager/" + method, token, body.dump(), kNoMeta);
  }

  static inline TempDir* dir_ = nullptr;
  static inline std::string data_;
  static inline Server* server_ = nullptr;
  static inline json app_, fabrikam_app_, farm_app_, school_app_;
};

std::string find_property(const json& props, const std::string& key) {
  for (const auto& p : props) {
    if (p["Key"] == key) return p["Value"];
  }
  return "<absent>";
}

TEST_F(SharePointTest, ContextInfoIsFlatJsonLightAndWrappedOnlyInVerbose) {
  std::string t = app();
  auto r = post(kApi + "/contextinfo", t, "");
  ASSERT_TRUE(r);
  ASSERT_EQ(r->status, 200) << r->body;
  json j = json::parse(r->body);
  std::string base = "http://127.0.0.1:" + std::to_string(server_->port()) + "/tenants/contoso";
  EXPECT_EQ(j["FormDigestTimeoutSeconds"], 1800);
  EXPECT_TRUE(std::regex_match(
      j["FormDigestValue"].get<std::string>(),
      std::regex(R"(0x[0-9A-F]{128},\d\d [A-Z][a-z]{2} \d{4} \d\d:\d\d:\d\d -0000)")))
      << j["FormDigestValue"];
  EXPECT_EQ(j["WebFullUrl"], base + "/sites/hr");
  EXPECT_EQ(j["SiteFullUrl"], base + "/sites/hr");
  EXPECT_FALSE(j["LibraryVersion"].get<std::string>().empty());
  EXPECT_EQ(j["SupportedSchemaVersions"], json({"14.0.0.0", "15.0.0.0"}));
  EXPECT_EQ(j["odata.metadata"], base + "/sites/hr/_api/$metadata#SP.ContextWebInformation");

  r = post("/tenants/contoso/_api/contextinfo", t, "", kVerbose);
  ASSERT_EQ(r->status, 200);
  j = json::parse(r->body)["d"]["GetContextWebInformation"];
  EXPECT_EQ(j["__metadata"]["type"], "SP.ContextWebInformation");
  EXPECT_EQ(j["WebFullUrl"], base);
  EXPECT_EQ(j["SupportedSchemaVersions"]["results"].size(), 2u);

  r = post(kApi + "/contextinfo", t, "", kNoMeta);
  j = json::parse(r->body);
  EXPECT_FALSE(j.contains("odata.metadata"));
  EXPECT_TRUE(j.contains("FormDigestValue"));

  // Trap 3: a digest is accepted, never required; a token is.
  r = client().Post((kPeople + "/SetSingleValueProfileProperty").c_str(),
                    {{"X-RequestDigest", j["FormDigestValue"]}}, "{}", "application/json");
  EXPECT_EQ(r->status, 401);
}

TEST_F(SharePointTest, WebAnswersInEachMode) {
  std::string t = adele();
  auto r = get(kApi + "/web", t);
  ASSERT_EQ(r->status, 200) << r->body;
  json j = json::parse(r->body);
  EXPECT_EQ(j["odata.type"], "SP.Web");
  EXPECT_EQ(j["Title"], "hr");
  EXPECT_EQ(j["ServerRelativeUrl"], "/sites/hr");
  EXPECT_EQ(j["Url"],
            "http://127.0.0.1:" + std::to_string(server_->port()) + "/tenants/contoso/sites/hr");
  EXPECT_EQ(j["Id"].get<std::string>().size(), 36u);

  j = json::parse(get("/tenants/contoso/teams/ops/_api/Web?$select=Title", t, kVerbose)->body);
  EXPECT_EQ(j["d"]["__metadata"]["type"], "SP.Web");
  EXPECT_EQ(j["d"]["Title"], "ops");
  j = json::parse(get(kApi + "/web", t, kNoMeta)->body);
  EXPECT_FALSE(j.contains("odata.type"));
  EXPECT_EQ(j["Title"], "hr");
}

TEST_F(SharePointTest, NoTokenOrAnotherTenantsTokenIs401) {
  for (std::string path : {kApi + "/web", kPeople + "/getmyproperties",
                           kPeople + "/getpropertiesfor(@v)?" + kAdeleAlias}) {
    auto r = get(path, "");
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 401) << path;
    EXPECT_NE(r->body.find("odata.error"), std::string::npos);
    r = get(path, app_token(fabrikam_app_, "fabrikam"));
    EXPECT_EQ(r->status, 401) << path << " " << r->body;
    r = get(path, "not.a.token");
    EXPECT_EQ(r->status, 401) << path;
  }
  std::string before = profile(kAdele);
  auto r = set(app_token(fabrikam_app_, "fabrikam"), set_body(kAdele, "City", "Paris"));
  EXPECT_EQ(r->status, 401);
  EXPECT_EQ(profile(kAdele), before);
}

TEST_F(SharePointTest, GetPropertiesForAnswersInAllThreeModes) {
  std::string t = app();
  std::string path = kPeople + "/getpropertiesfor(@v)?" + kAdeleAlias;
  auto r = get(path, t);
  ASSERT_EQ(r->status, 200) << r->body;
  json j = json::parse(r->body);
  EXPECT_EQ(j["odata.type"], "SP.UserProfiles.PersonProperties");
  EXPECT_TRUE(
      j["odata.editLink"].get<std::string>().starts_with("SP.UserProfiles.PersonProperties"));
  EXPECT_TRUE(j["odata.metadata"].get<std::string>().ends_with(
      "/_api/$metadata#SP.UserProfiles.PersonProperties/@Element"));
  EXPECT_EQ(j["AccountName"], kAdele);
  EXPECT_EQ(j["DisplayName"], "Adele Vance");
  EXPECT_EQ(j["Email"], "adele@contoso.com");
  EXPECT_EQ(j["Title"], "Retail Manager");
  EXPECT_EQ(j["ExtendedManagers"], json({kMegan}));
  EXPECT_EQ(j["Peers"], json({"i:0#.f|membership|alex@contoso.com"}));
  EXPECT_EQ(j["DirectReports"], json::array());
  EXPECT_EQ(find_property(j["UserProfileProperties"], "SPS-Skills"), "C++|Rust");
  EXPECT_EQ(find_property(j["UserProfileProperties"], "FirstName"), "Adele");
  EXPECT_EQ(find_property(j["UserProfileProperties"], "City"), "");  // every property
  for (const auto& p : j["UserProfileProperties"]) EXPECT_EQ(p["ValueType"], "Edm.String");
  // Every property of the schema, custom ones included.
  json schema = json::parse(
      run_output({"--data-dir", data_, "--json", "property", "list", "--tenant", "contoso"}));
  EXPECT_EQ(j["UserProfileProperties"].size(), schema.size());

  r = get(path, t, kVerbose);
  ASSERT_EQ(r->status, 200);
  json d = json::parse(r->body)["d"];
  EXPECT_EQ(d["__metadata"]["type"], "SP.UserProfiles.PersonProperties");
  EXPECT_TRUE(d["__metadata"]["uri"].get<std::string>().find("/_api/SP.UserProfiles.") !=
              std::string::npos);
  EXPECT_EQ(d["ExtendedManagers"]["results"], json({kMegan}));
  EXPECT_EQ(d["UserProfileProperties"]["results"][0]["__metadata"]["type"], "SP.KeyValue");

  r = get(path, t, kNoMeta);
  j = json::parse(r->body);
  EXPECT_FALSE(j.contains("odata.type"));
  EXPECT_FALSE(j["UserProfileProperties"][0].contains("__type"));
  EXPECT_EQ(j["AccountName"], kAdele);

  // The manager sees her reports; the account may be a UPN, and accountName=@v works too.
  j = json::parse(
      get(kPeople + "/GetPropertiesFor(accountName=@v)?@v='megan@contoso.com'", t, kNoMeta)->body);
  EXPECT_EQ(j["DisplayName"], "Megan Bowen");
  EXPECT_EQ(j["DirectReports"], json({kAdele, "i:0#.f|membership|alex@contoso.com"}));
  EXPECT_EQ(j["ExtendedReports"].size(), 3u);
}

// The answer is written without a JSON tree; it reads exactly as the tree's printing would:
// members in key order, no whitespace, the same escapes, and the same members in each mode.
// ExtendedReports is everyone below, the person first, breadth first, each manager's reports in
// the order they were created; a cycle in the chain of managers lists nobody twice.
TEST_F(SharePointTest, ExtendedReportsAreEveryoneBelowBreadthFirst) {
  const auto claim = [](const std::string& name) {
    return "i:0#.f|membership|" + name + "@fabrikam.com";
  };
  // Created out of the tree's order: a2 before a1, c1 (boss's own manager: a cycle) first.
  const std::vector<std::pair<std::string, std::string>> people = {
      {"c1", "b1"}, {"boss", "c1"}, {"a2", "boss"}, {"a1", "boss"},
      {"b3", "a2"}, {"b1", "a1"},   {"b2", "a1"}};
  for (const auto& [name, manager] : people) {
    ASSERT_EQ(run({"--data-dir", data_, "profile", "create", "--tenant", "fabrikam", claim(name),
                   "--set", "Manager=" + claim(manager)}),
              0);
  }
  auto r = get("/tenants/fabrikam/_api/sp.userprofiles.peoplemanager/getpropertiesfor(@v)?@v='" +
                   claim("boss") + "'",
               app_token(fabrikam_app_, "fabrikam"), kNoMeta);
  ASSERT_EQ(r->status, 200) << r->body;
  json j = json::parse(r->body);
  EXPECT_EQ(j["DirectReports"], json({claim("a2"), claim("a1")}));
  EXPECT_EQ(j["ExtendedReports"], json({claim("boss"), claim("a2"), claim("a1"), claim("b3"),
                                        claim("b1"), claim("b2"), claim("c1")}));
  EXPECT_EQ(j["ExtendedManagers"], json({claim("a1"), claim("b1"), claim("c1")}));
  EXPECT_EQ(j["Peers"], json::array());  // c1 manages boss alone

  // Each list selected alone (only what is selected is gathered) is the one the whole answer
  // holds; a2's peers are a1's reports but hers.
  for (const std::string& who : {std::string("boss"), std::string("a2")}) {
    auto whole =
        get("/tenants/fabrikam/_api/sp.userprofiles.peoplemanager/getpropertiesfor(@v)"
            "?@v='" +
                claim(who) + "'",
            app_token(fabrikam_app_, "fabrikam"), kNoMeta);
    ASSERT_EQ(whole->status, 200) << whole->body;
    const json all = json::parse(whole->body);
    for (const char* list : {"DirectReports", "ExtendedReports", "ExtendedManagers", "Peers"}) {
      auto one =
          get("/tenants/fabrikam/_api/sp.userprofiles.peoplemanager/getpropertiesfor(@v)"
              "?@v='" +
                  claim(who) + "'&$select=" + list,
              app_token(fabrikam_app_, "fabrikam"), kNoMeta);
      ASSERT_EQ(one->status, 200) << one->body;
      EXPECT_EQ(json::parse(one->body), json({{list, all[list]}})) << who << " " << list;
    }
  }
  EXPECT_EQ(j["ExtendedReports"].size(), 7u);
}

TEST_F(SharePointTest, GetPropertiesForIsPrintedAsAJsonTreeWouldBe) {
  std::string t = app();
  auto keys = [](const json& j) {
    std::vector<std::string> out;
    for (const auto& [k, v] : j.items()) out.push_back(k);
    return out;
  };
  const std::vector<std::string> person = {"AccountName",
                                           "DirectReports",
                                           "DisplayName",
                                           "Email",
                                           "ExtendedManagers",
                                           "ExtendedReports",
                                           "IsFollowed",
                                           "LatestPost",
                                           "Peers",
                                           "PersonalSiteHostUrl",
                                           "PersonalUrl",
                                           "PictureUrl",
                                           "Title",
                                           "UserProfileProperties",
                                           "UserUrl"};
  for (const std::string& who : {std::string(kAdeleAlias), std::string("@v='megan@contoso.com'"),
                                 std::string("@v='alex@contoso.com'")}) {
    for (const std::string accept : {kMinimal, kVerbose, kNoMeta}) {
      auto r = get(kPeople + "/getpropertiesfor(@v)?" + who, t, accept);
      ASSERT_EQ(r->status, 200) << r->body;
      json j = json::parse(r->body);
      EXPECT_EQ(j.dump(-1, ' ', false, json::error_handler_t::replace), r->body) << who << accept;
      std::vector<std::string> expected = person;
      if (accept == kVerbose) {
        ASSERT_EQ(keys(j), std::vector<std::string>{"d"});
        j = j["d"];
        expected.push_back("__metadata");
        EXPECT_EQ(keys(j["__metadata"]), (std::vector<std::string>{"id", "type", "uri"}));
        EXPECT_EQ(j["__metadata"]["id"], j["__metadata"]["uri"]);
        for (const char* list : {"DirectReports", "ExtendedManagers", "ExtendedReports", "Peers",
                                 "UserProfileProperties"}) {
          EXPECT_EQ(keys(j[list]), std::vector<std::string>{"results"}) << list;
        }
        EXPECT_EQ(keys(j["UserProfileProperties"]["results"][0]),
                  (std::vector<std::string>{"Key", "Value", "ValueType", "__metadata"}));
      } else {
        if (accept == kMinimal) {
          for (const char* k : {"odata.editLink", "odata.id", "odata.metadata", "odata.type"}) {
            expected.push_back(k);
          }
          EXPECT_EQ(j["odata.id"].get<std::string>(),
                    j["odata.metadata"].get<std::string>().substr(
                        0, j["odata.metadata"].get<std::string>().find("$metadata")) +
                        j["odata.editLink"].get<std::string>());
        }
        EXPECT_EQ(keys(j["UserProfileProperties"][0]),
                  (std::vector<std::string>{"Key", "Value", "ValueType"}));
      }
      EXPECT_EQ(keys(j), expected) << who << accept;
      EXPECT_EQ(j["IsFollowed"], false);
      EXPECT_TRUE(j["LatestPost"].is_null());
      EXPECT_TRUE(j["PersonalSiteHostUrl"].is_null());
    }
  }
}

TEST_F(SharePointTest, AccountNamesAsClaimsUpnOrDomainUser) {
  std::string t = app();
  // A doubled quote inside the alias is undone (no such user: null).
  auto r = get(kPeople + "/getpropertiesfor(@v)?@v='o''brien@contoso.com'", t, kNoMeta);
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(json::parse(r->body), json({{"odata.null", true}}));
  r = get(kPeople + "/getpropertiesfor(@v)?@v='nobody@contoso.com'", t);
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(json::parse(r->body), json({{"odata.null", true}}));
  // Server tenants: DOMAIN\user.
  r = get("/tenants/farm/_api/sp.userprofiles.peoplemanager/getpropertiesfor(@v)?@v='farm%5Cbob'",
          app_token(farm_app_, "farm"), kNoMeta);
  ASSERT_EQ(r->status, 200) << r->body;
  EXPECT_EQ(json::parse(r->body)["AccountName"], "i:0#.w|farm\\bob");
  // A malformed claim is a 400 that says where.
  r = get(kPeople + "/getpropertiesfor(@v)?@v='i:0%23.x|membership|a@contoso.com'", t);
  EXPECT_EQ(r->status, 400);
  EXPECT_NE(error_message(r).find("position"), std::string::npos) << r->body;
  // A missing alias and a missing argument are 400s.
  r = get(kPeople + "/getpropertiesfor(@v)", t);
  EXPECT_EQ(r->status, 400);
  EXPECT_NE(error_message(r).find("@v"), std::string::npos);
  r = get(kPeople + "/getpropertiesfor()", t);
  EXPECT_EQ(r->status, 400);
  r = get(kPeople + "/getpropertiesfor(@v)?@v='unterminated", t);
  EXPECT_EQ(r->status, 400);
}

TEST_F(SharePointTest, GetMyPropertiesIsTheCallersProfileAndNullForApps) {
  auto r = get(kPeople + "/getmyproperties", adele(), kNoMeta);
  ASSERT_EQ(r->status, 200) << r->body;
  EXPECT_EQ(json::parse(r->body)["AccountName"], kAdele);
  r = get(kPeople + "/GetMyProperties", app(), kNoMeta);
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(json::parse(r->body), json({{"odata.null", true}}));
  r = get(kPeople + "/getmyproperties", sam(), kNoMeta);  // no profile
  EXPECT_EQ(json::parse(r->body), json({{"odata.null", true}}));
}

// Seed 002: education tenants get no profile from sync; the first access makes a stub.
TEST_F(SharePointTest, FirstAccessInAnEducationTenantMakesAStubProfile) {
  EXPECT_EQ(profile("pupil@school.edu", "school"), "") << "no profile before the first access";
  const std::string pupil = token("school", {{"grant_type", "password"},
                                             {"client_id", school_app_["clientId"]},
                                             {"username", "pupil@school.edu"},
                                             {"password", "pw-pupil"}});
  auto r =
      get("/tenants/school/_api/sp.userprofiles.peoplemanager/getmyproperties", pupil, kNoMeta);
  ASSERT_EQ(r->status, 200) << r->body;
  EXPECT_EQ(json::parse(r->body)["AccountName"], "i:0#.f|membership|pupil@school.edu");
  json stub = json::parse(profile("pupil@school.edu", "school"));
  EXPECT_EQ(stub["properties"]["UserName"], "pupil@school.edu");
  EXPECT_EQ(stub["properties"]["SPS-UserPrincipalName"], "pupil@school.edu");
  // Not in other tenants: there a person without a profile stays without one.
  EXPECT_EQ(json::parse(get(kPeople + "/getmyproperties", sam(), kNoMeta)->body),
            json({{"odata.null", true}}));
  EXPECT_EQ(profile("sam@contoso.com"), "");
}

TEST_F(SharePointTest, GetUserProfilePropertyForIsAScalar) {
  std::string t = adele();
  // PnPjs: a literal space after the comma, sent as %20.
  std::string path = kPeople +
                     "/getuserprofilepropertyfor(accountname=@v,%20propertyname='SPS-Skills')?" +
                     kAdeleAlias;
  auto r = get(path, t);
  ASSERT_EQ(r->status, 200) << r->body;
  json j = json::parse(r->body);
  EXPECT_EQ(j["value"], "C++|Rust");
  EXPECT_TRUE(j["odata.metadata"].get<std::string>().ends_with("$metadata#Edm.String"));
  EXPECT_EQ(json::parse(get(path, t, kNoMeta)->body), json({{"value", "C++|Rust"}}));
  EXPECT_EQ(json::parse(get(path, t, kVerbose)->body),
            json({{"d", {{"GetUserProfilePropertyFor", "C++|Rust"}}}}));
  // An empty property is "".
  r = get(
      kPeople + "/getuserprofilepropertyfor(accountname=@v,%20propertyname='City')?" + kAdeleAlias,
      t, kNoMeta);
  EXPECT_EQ(json::parse(r->body), json({{"value", ""}}));
  // Unknown property: 400, never 500 (pnp/pnpjs#340). Unknown user: 404.
  r = get(
      kPeople + "/getuserprofilepropertyfor(accountname=@v,%20propertyname='Nope')?" + kAdeleAlias,
      t);
  EXPECT_EQ(r->status, 400);
  EXPECT_NE(error_message(r).find("'Nope' does not exist"), std::string::npos);
  r = get(
      kPeople +
          "/getuserprofilepropertyfor(accountname=@v,%20propertyname='City')?@v='x@contoso.com'",
      t);
  EXPECT_EQ(r->status, 404);
  EXPECT_EQ(error_message(r), "The specified user x@contoso.com could not be found.");
  r = get(kPeople + "/getuserprofilepropertyfor(accountname=@v)?" + kAdeleAlias, t);
  EXPECT_EQ(r->status, 400);
}

TEST_F(SharePointTest, UsersSetOnlyTheirOwnUserEditableProperties) {
  const std::string kDenied =
      "This operation requires you to be managing your own data or have administrator "
      "privileges.";
  std::string a = adele();
  // Own, user-editable: allowed.
  auto r = set(a, set_body(kAdele, "Pronouns", "she/her"));
  ASSERT_EQ(r->status, 200) << r->body;
  EXPECT_EQ(json::parse(r->body), json({{"odata.null", true}}));
  EXPECT_NE(profile(kAdele).find("she/her"), std::string::npos);

  std::string adele_before = profile(kAdele), megan_before = profile(kMegan);
  // Own, not user-editable; someone else's, editable: refused, nothing changes.
  r = set(a, set_body(kAdele, "City", "Oslo"));
  EXPECT_EQ(r->status, 403);
  EXPECT_TRUE(error_message(r).starts_with(kDenied)) << r->body;
  r = set(a, set_body("megan@contoso.com", "Pronouns", "x"));
  EXPECT_EQ(r->status, 403);
  EXPECT_TRUE(error_message(r).starts_with(kDenied));
  EXPECT_EQ(profile(kAdele), adele_before);
  EXPECT_EQ(profile(kMegan), megan_before);

  // Global admin, SharePoint admin and app set anyone's.
  int n = 0;
  for (const std::string& t : {megan(), sam(), app()}) {
    std::string city = "City" + std::to_string(++n);
    r = set(t, set_body(kAdele, "City", city));
    EXPECT_EQ(r->status, 200) << r->body;
    EXPECT_NE(profile(kAdele).find(city), std::string::npos);
  }
}

TEST_F(SharePointTest, BadSetRequestsAre4xxAndChangeNothing) {
  std::string t = app();
  std::string before = profile(kAdele);
  struct Case {
    std::string body;
    int status;
    std::string message;  // a part of the error message
  };
  std::vector<Case> cases = {
      {R"({"accountName":"i:0#.f|membership|adele@contoso.com","propertyName":)", 400,
       "line 1, column"},
      {"[1,2]", 400, "must be a JSON object"},
      {set_body(kAdele, "Nope", "x").dump(), 400, "'Nope' does not exist"},
      {set_body(kAdele, "SPS-HireDate", "not-a-date").dump(), 400, "not-a-date"},
      {set_body(kAdele, "SPS-HireDate", "not-a-date").dump(), 400, "SPS-HireDate"},
      {set_body("ghost@contoso.com", "City", "x").dump(), 404,
       "The specified user ghost@contoso.com could not be found."},
      {json({{"accountName", kAdele}, {"propertyValue", "x"}}).dump(), 400, "'propertyName'"},
      {json({{"propertyName", "City"}, {"propertyValue", "x"}}).dump(), 400, "'accountName'"},
      {json({{"accountName", kAdele}, {"propertyName", "City"}}).dump(), 400, "'propertyValue'"},
      {set_body(kAdele, "City", json::object()).dump(), 400, "propertyValue"},
      {set_body(kAdele, "AccountName", "i:0#.f|membership|x@contoso.com").dump(), 400,
       "cannot be set"},
      {set_body(kAdele, "SPS-Skills", "x").dump(), 200, ""},  // one value of a multi-value
  };
  for (const Case& c : cases) {
    auto r = post(kApi + "/SP.UserProfiles.PeopleManager/SetSingleValueProfileProperty", t, c.body);
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, c.status) << c.body << " → " << r->body;
    if (c.status != 200) {
      EXPECT_NE(error_message(r).find(c.message), std::string::npos) << r->body;
      EXPECT_EQ(profile(kAdele), before) << c.body;
    }
  }
  // Put SPS-Skills back; multi-values on a single-value property are refused.
  auto r = set(t,
               {{"accountName", kAdele},
                {"propertyName", "SPS-Skills"},
                {"propertyValues", {"C++", "Rust"}}},
               "SetMultiValuedProfileProperty");
  ASSERT_EQ(r->status, 200) << r->body;
  EXPECT_EQ(json::parse(profile(kAdele))["properties"], json::parse(before)["properties"]);
  before = profile(kAdele);
  r = set(t, {{"accountName", kAdele}, {"propertyName", "City"}, {"propertyValues", {"a", "b"}}},
          "SetMultiValuedProfileProperty");
  EXPECT_EQ(r->status, 400);
  EXPECT_NE(error_message(r).find("single value"), std::string::npos) << r->body;
  r = set(t, {{"accountName", kAdele}, {"propertyName", "SPS-Skills"}, {"propertyValues", "x"}},
          "SetMultiValuedProfileProperty");
  EXPECT_EQ(r->status, 400);
  EXPECT_EQ(profile(kAdele), before);
  // GET on a setter is a 405.
  r = get(kPeople + "/SetSingleValueProfileProperty", t);
  EXPECT_EQ(r->status, 405);
}

TEST_F(SharePointTest, SetMultiValuedTakesEveryValue) {
  std::string t = app();
  auto r = set(t,
               {{"accountName", "adele@contoso.com"},
                {"propertyName", "SPS-School"},
                {"propertyValues", {"Aalto", "ETH"}}},
               "SetMultiValuedProfileProperty");
  ASSERT_EQ(r->status, 200) << r->body;
  r = get(kPeople + "/getuserprofilepropertyfor(accountname=@v,%20propertyname='sps-school')?" +
              kAdeleAlias,
          t, kNoMeta);
  EXPECT_EQ(json::parse(r->body)["value"], "Aalto|ETH");
  // Verbose clients send Collection(Edm.String) as {"results":[...]}.
  r = set(t,
          {{"accountName", kAdele},
           {"propertyName", "SPS-School"},
           {"propertyValues", {{"results", {"MIT"}}}}},
          "SetMultiValuedProfileProperty");
  ASSERT_EQ(r->status, 200) << r->body;
  r = get(kPeople + "/getuserprofilepropertyfor(accountname=@v,%20propertyname='SPS-School')?" +
              kAdeleAlias,
          t, kNoMeta);
  EXPECT_EQ(json::parse(r->body)["value"], "MIT");
}

TEST_F(SharePointTest, MethodsWithoutDataInUpsyncAre501) {
  std::string t = app();
  for (std::string path : {kPeople + "/getfollowedtags(20)", kPeople + "/getmysuggestions"}) {
    auto r = get(path, t);
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 501) << path;
    EXPECT_TRUE(error_message(r).starts_with("upsync does not support")) << r->body;
  }
  for (std::string path :
       {kApi + "/sp.userprofiles.profileloader.getprofileloader/getuserprofile"}) {
    auto r = post(path, t, "");
    EXPECT_EQ(r->status, 501) << path;
  }
  EXPECT_EQ(get(kPeople + "/nosuchmethod", t)->status, 404);
}

// ---- files -----------------------------------------------------------------------------------

std::string folder_path(const std::string& decoded_url) {
  return kApi + "/web/getFolderByServerRelativePath(decodedUrl='" +
         httplib::detail::encode_query_param(decoded_url) + "')";
}
std::string file_path(const std::string& decoded_url) {
  return kApi + "/web/getFileByServerRelativePath(decodedUrl='" +
         httplib::detail::encode_query_param(decoded_url) + "')";
}

// ---- Site users (web/siteusers, ensureuser, currentuser, siteuserinfolist) --------------------

TEST_F(SharePointTest, EnsureUserAddsFromTheProfileAndSiteUsersListsInEachMode) {
  const std::string api = "/tenants/contoso/sites/people/_api/web";
  // PnPjs: sp.web.ensureUser(login) posts {logonName}.
  auto r = post(api + "/ensureuser", app(), json({{"logonName", kAdele}}).dump(), kNoMeta);
  ASSERT_EQ(r->status, 200) << r->body;
  json adele_user = json::parse(r->body);
  EXPECT_EQ(adele_user["Id"], 1);
  EXPECT_EQ(adele_user["LoginName"], kAdele);
  EXPECT_EQ(adele_user["Title"], "adele@contoso.com") << "no PreferredName: the UPN";
  EXPECT_EQ(adele_user["Email"], "adele@contoso.com");
  EXPECT_EQ(adele_user["PrincipalType"], 1);
  EXPECT_EQ(adele_user["IsSiteAdmin"], false);
  // A UPN or e-mail names the same person; ensuring again keeps the id.
  r = post(api + "/ensureuser", megan(), json({{"logonName", "adele@contoso.com"}}).dump(),
           kNoMeta);
  ASSERT_EQ(r->status, 200) << r->body;
  EXPECT_EQ(json::parse(r->body)["Id"], 1);
  r = post(api + "/ensureuser", app(), json({{"logonName", "megan@contoso.com"}}).dump(), kNoMeta);
  ASSERT_EQ(r->status, 200) << r->body;
  EXPECT_EQ(json::parse(r->body)["Title"], "Megan Bowen");
  EXPECT_EQ(json::parse(r->body)["Id"], 2);

  r = get(api + "/siteusers", adele(), kNoMeta);
  ASSERT_EQ(r->status, 200) << r->body;
  json list = json::parse(r->body)["value"];
  ASSERT_EQ(list.size(), 2u);
  EXPECT_EQ(list[1]["LoginName"], kMegan);
  r = get(api + "/siteusers", adele(), kVerbose);
  ASSERT_EQ(r->status, 200) << r->body;
  json verbose = json::parse(r->body)["d"]["results"];
  ASSERT_EQ(verbose.size(), 2u);
  EXPECT_EQ(verbose[0]["__metadata"]["type"], "SP.User");
  r = get(api + "/siteusers", adele(), kMinimal);
  ASSERT_EQ(r->status, 200) << r->body;
  EXPECT_NE(json::parse(r->body)["odata.metadata"].get<std::string>().find("SP.User"),
            std::string::npos);
  // Another site collection has its own list.
  r = get("/tenants/contoso/sites/other/_api/web/siteusers", adele(), kNoMeta);
  EXPECT_EQ(json::parse(r->body)["value"].size(), 0u);
}

TEST_F(SharePointTest, SiteUsersAreFoundByIdEmailAndLoginName) {
  const std::string api = "/tenants/contoso/sites/lookup/_api/web";
  ASSERT_EQ(post(api + "/ensureuser", app(), json({{"logonName", kMegan}}).dump())->status, 200);
  ASSERT_EQ(post(api + "/ensureuser", app(), json({{"logonName", kAdele}}).dump())->status, 200);
  auto login = [](const httplib::Result& r) {
    EXPECT_EQ(r->status, 200) << r->body;
    return r->status == 200 ? json::parse(r->body)["LoginName"].get<std::string>() : "";
  };
  EXPECT_EQ(login(get(api + "/siteusers/getbyid(2)", adele(), kNoMeta)), kAdele);
  EXPECT_EQ(login(get(api + "/getuserbyid(1)", adele(), kNoMeta)), kMegan);
  EXPECT_EQ(login(get(api + "/siteusers/getByEmail('ADELE@contoso.com')", adele(), kNoMeta)),
            kAdele);
  // PnPjs's getByLoginName: siteusers('!@v::login') becomes siteusers(@v1)?@v1='login'.
  EXPECT_EQ(
      login(get(api + "/siteusers(@v1)?@v1=%27i%3A0%23.f%7Cmembership%7Cadele%40contoso.com%27",
                adele(), kNoMeta)),
      kAdele);
  EXPECT_EQ(login(get(api + "/siteusers/getbyloginname(@v)?" + kAdeleAlias, adele(), kNoMeta)),
            kAdele);
  // Not there: 404 in SharePoint's shape.
  auto r = get(api + "/siteusers/getbyid(99)", adele(), kNoMeta);
  EXPECT_EQ(r->status, 404);
  EXPECT_EQ(error_message(r),
            "User id 99 is not in the user list of site collection '/sites/lookup'.");
  r = get(api + "/siteusers/getbyid(x1)", adele(), kNoMeta);
  EXPECT_EQ(r->status, 400);
  EXPECT_EQ(error_message(r), "The user id 'x1' in getbyid is not a positive whole number.");
  r = get(api + "/siteusers/getbyemail('nobody@contoso.com')", adele(), kNoMeta);
  EXPECT_EQ(r->status, 404);
  r = get(api + "/siteusers/frobnicate(1)", adele(), kNoMeta);
  EXPECT_EQ(r->status, 404);
}

TEST_F(SharePointTest, OnlyAdminsAndAppsChangeASitesUsersAndBadRequestsChangeNothing) {
  const std::string api = "/tenants/contoso/sites/perm/_api/web";
  auto users = [&] { return get(api + "/siteusers", app(), kNoMeta)->body; };
  const std::string empty = users();
  auto r = post(api + "/ensureuser", adele(), json({{"logonName", kMegan}}).dump(), kNoMeta);
  EXPECT_EQ(r->status, 403) << r->body;
  EXPECT_NE(error_message(r).find("site users are managed by admins and apps"), std::string::npos);
  r = post(api + "/ensureuser", app(), json({{"logonName", "nobody@contoso.com"}}).dump(), kNoMeta);
  EXPECT_EQ(r->status, 404);
  EXPECT_EQ(error_message(r), "The specified user nobody@contoso.com could not be found.");
  r = post(api + "/ensureuser", app(), "{\"logonName\": ", kNoMeta);
  EXPECT_EQ(r->status, 400);
  r = post(api + "/ensureuser", app(), json({{"logonName", 7}}).dump(), kNoMeta);
  EXPECT_EQ(r->status, 400);
  EXPECT_EQ(error_message(r), "'logonName' in the request body must be a string, got number.");
  r = post(api + "/siteusers", app(), json({{"Title", "x"}}).dump(), kNoMeta);
  EXPECT_EQ(r->status, 400);
  EXPECT_EQ(error_message(r), "The request body has no 'LoginName'.");
  EXPECT_EQ(users(), empty);

  // PnPjs siteUsers.add(login) posts {LoginName}.
  r = post(api + "/siteusers", sam(), json({{"LoginName", kAdele}}).dump(), kNoMeta);
  ASSERT_EQ(r->status, 200) << r->body;
  const std::string one = users();
  // MERGE: only IsSiteAdmin; the rest comes from the profile.
  r = post(api + "/siteusers/getbyid(1)", adele(), json({{"IsSiteAdmin", true}}).dump(), kNoMeta,
           {{"X-HTTP-Method", "MERGE"}});
  EXPECT_EQ(r->status, 403);
  r = post(api + "/siteusers/getbyid(1)", app(), json({{"Title", "Boss"}}).dump(), kNoMeta,
           {{"X-HTTP-Method", "MERGE"}});
  EXPECT_EQ(r->status, 400);
  EXPECT_NE(error_message(r).find("'Title' of a site user cannot be set"), std::string::npos);
  r = post(api + "/siteusers/getbyid(1)", app(), json({{"IsSiteAdmin", "yes"}}).dump(), kNoMeta,
           {{"X-HTTP-Method", "MERGE"}});
  EXPECT_EQ(r->status, 400);
  EXPECT_EQ(users(), one);
  r = post(api + "/siteusers/getbyid(1)", app(),
           json({{"__metadata", {{"type", "SP.User"}}}, {"IsSiteAdmin", true}}).dump(), kVerbose,
           {{"X-HTTP-Method", "MERGE"}});
  EXPECT_EQ(r->status, 204) << r->body;
  EXPECT_EQ(json::parse(get(api + "/getuserbyid(1)", adele(), kNoMeta)->body)["IsSiteAdmin"], true);

  // Removal: by id (PnPjs removeById), by login name, or DELETE on the user.
  r = post(api + "/siteusers/removebyid(1)", adele(), "", kNoMeta);
  EXPECT_EQ(r->status, 403);
  r = post(api + "/siteusers/removebyid(1)", megan(), "", kNoMeta);
  EXPECT_EQ(r->status, 200) << r->body;
  EXPECT_EQ(json::parse(r->body), json({{"odata.null", true}}));
  EXPECT_EQ(users(), empty);
  ASSERT_EQ(post(api + "/ensureuser", app(), json({{"logonName", kMegan}}).dump())->status, 200);
  r = post(
      api +
          "/siteusers/removebyloginname(@v)?@v=%27i%3A0%23.f%7Cmembership%7Cmegan%40contoso.com%27",
      app(), "", kNoMeta);
  EXPECT_EQ(r->status, 200) << r->body;
  EXPECT_EQ(users(), empty);
}

TEST_F(SharePointTest, CurrentUserJoinsTheSiteOnFirstAccess) {
  const std::string api = "/tenants/contoso/sites/visit/_api/web";
  auto r = get(api + "/currentuser", adele(), kNoMeta);
  ASSERT_EQ(r->status, 200) << r->body;
  json me = json::parse(r->body);
  EXPECT_EQ(me["LoginName"], kAdele);
  EXPECT_EQ(me["Id"], 1);
  EXPECT_EQ(json::parse(get(api + "/currentuser", adele(), kNoMeta)->body)["Id"], 1);
  r = get(api + "/currentuser", app(), kNoMeta);
  EXPECT_EQ(r->status, 404);
  r = get(api + "/currentuser", sam(), kNoMeta);  // no profile, not an education tenant
  EXPECT_EQ(r->status, 404);
  r = post(api + "/currentuser", adele(), "", kNoMeta);
  EXPECT_EQ(r->status, 405);
}

TEST_F(SharePointTest, TheUserInformationListShowsTheCopiedFields) {
  const std::string api = "/tenants/contoso/sites/uil/_api/web";
  ASSERT_EQ(post(api + "/ensureuser", app(), json({{"logonName", kAdele}}).dump())->status, 200);
  auto r = get(api + "/siteuserinfolist", adele(), kNoMeta);
  ASSERT_EQ(r->status, 200) << r->body;
  EXPECT_EQ(json::parse(r->body)["Title"], "User Information List");
  EXPECT_EQ(json::parse(r->body)["ItemCount"], 1);
  r = get(api + "/siteuserinfolist/items", adele(), kNoMeta);
  ASSERT_EQ(r->status, 200) << r->body;
  json item = json::parse(r->body)["value"][0];
  EXPECT_EQ(item["Id"], 1);
  EXPECT_EQ(item["Name"], kAdele);
  EXPECT_EQ(item["FirstName"], "Adele");
  EXPECT_EQ(item["LastName"], "Vance");
  EXPECT_EQ(item["EMail"], "adele@contoso.com");
  EXPECT_EQ(item["JobTitle"], "Retail Manager");
  EXPECT_EQ(item["Manager"], kMegan);
  EXPECT_FALSE(item.contains("SPS_x002d_Skills")) << "not synced to sites";
  r = get(api + "/siteuserinfolist/items(1)", adele(), kVerbose);
  ASSERT_EQ(r->status, 200) << r->body;
  EXPECT_EQ(json::parse(r->body)["d"]["__metadata"]["type"], "SP.Data.UserInfoItem");
  EXPECT_EQ(get(api + "/siteuserinfolist/items/getbyid(1)", adele(), kNoMeta)->status, 200);
  EXPECT_EQ(get(api + "/siteuserinfolist/items(5)", adele(), kNoMeta)->status, 404);
  EXPECT_EQ(post(api + "/siteuserinfolist/items", app(), "{}", kNoMeta)->status, 405);
}

TEST_F(SharePointTest, FilesUploadListReadAndDelete) {
  // A person writes once the site makes them a member (everyone else only reads).
  ASSERT_EQ(run({"--data-dir", data_, "site", "permission", "grant", "-t", "contoso", "/sites/hr",
                 "--role", "member", "--user", "adele@contoso.com"}),
            0);
  std::string t = adele();
  std::string content("{\"value\":[]}\0binary\xff", 20);
  auto r =
      post(folder_path(kLib + "/files") + "/files/AddUsingPath(decodedurl='a.json',Overwrite=true)",
           t, content);
  ASSERT_EQ(r->status, 200) << r->body;
  json f = json::parse(r->body);
  EXPECT_EQ(f["odata.type"], "SP.File");
  EXPECT_EQ(f["Name"], "a.json");
  EXPECT_EQ(f["ServerRelativeUrl"], kLib + "/files/a.json");
  EXPECT_EQ(f["Length"], "20");
  EXPECT_EQ(f["UniqueId"].get<std::string>().size(), 36u);
  EXPECT_FALSE(f["TimeLastModified"].get<std::string>().empty());

  // Legacy form with a literal path, and a doubled quote in the name.
  r = post(kApi +
               "/web/GetFolderByServerRelativeUrl('/sites/hr/Shared%20Documents/files')"
               "/Files/add(url='it''s.txt',overwrite=true)",
           t, "hello", kNoMeta);
  ASSERT_EQ(r->status, 200) << r->body;
  EXPECT_EQ(json::parse(r->body)["Name"], "it's.txt");

  r = get(file_path(kLib + "/files/a.json") + "/$value", t);
  ASSERT_EQ(r->status, 200);
  EXPECT_EQ(r->body, content);
  r = get(
      kApi +
          "/web/GetFileByServerRelativeUrl('/sites/hr/Shared%20Documents/files/it''s.txt')/$value",
      t);
  EXPECT_EQ(r->body, "hello");
  r = get(file_path(kLib + "/files/a.json"), t, kVerbose);
  EXPECT_EQ(json::parse(r->body)["d"]["__metadata"]["type"], "SP.File");

  // Listing: files and folders.
  r = post(folder_path(kLib + "/files/sub") + "/files/AddUsingPath(decodedurl='b.txt')", t, "b");
  ASSERT_EQ(r->status, 200) << r->body;
  r = get(folder_path(kLib + "/files") + "/files", t, kNoMeta);
  ASSERT_EQ(r->status, 200) << r->body;
  json files = json::parse(r->body)["value"];
  ASSERT_EQ(files.size(), 2u);
  EXPECT_EQ(files[0]["Name"], "a.json");
  EXPECT_EQ(files[1]["Name"], "it's.txt");
  r = get(folder_path(kLib + "/files") + "/folders", t, kVerbose);
  json folders = json::parse(r->body)["d"]["results"];
  ASSERT_EQ(folders.size(), 1u);
  EXPECT_EQ(folders[0]["Name"], "sub");
  EXPECT_EQ(folders[0]["ItemCount"], 1);
  r = get(folder_path(kLib + "/files"), t, kNoMeta);
  EXPECT_EQ(json::parse(r->body)["ItemCount"], 3);

  // No overwrite: refused, content kept.
  r = post(folder_path(kLib + "/files") + "/files/AddUsingPath(decodedurl='a.json')", t, "new");
  EXPECT_EQ(r->status, 409);
  EXPECT_NE(error_message(r).find("Overwrite=true"), std::string::npos);
  EXPECT_EQ(get(file_path(kLib + "/files/a.json") + "/$value", t)->body, content);

  // Replace the content, then delete (tunnelled and plain DELETE).
  r = post(file_path(kLib + "/files/a.json") + "/$value", t, "v2", kMinimal,
           {{"X-HTTP-Method", "PUT"}});
  EXPECT_EQ(r->status, 200) << r->body;
  EXPECT_EQ(get(file_path(kLib + "/files/a.json") + "/$value", t)->body, "v2");
  r = post(file_path(kLib + "/files/a.json"), t, "", kMinimal, {{"X-HTTP-Method", "DELETE"}});
  EXPECT_EQ(r->status, 200) << r->body;
  EXPECT_EQ(get(file_path(kLib + "/files/a.json"), t)->status, 404);
  auto d = client().Delete(file_path(kLib + "/files/sub/b.txt").c_str(), headers(t, kMinimal));
  EXPECT_EQ(d->status, 200) << d->body;
  EXPECT_EQ(get(file_path(kLib + "/files/sub/b.txt") + "/$value", t)->status, 404);
  // Writes need a token.
  r = post(folder_path(kLib + "/files") + "/files/AddUsingPath(decodedurl='c.json')", "", "x");
  EXPECT_EQ(r->status, 401);
  EXPECT_EQ(get(file_path(kLib + "/files/c.json"), t)->status, 404);
}

TEST_F(SharePointTest, BadFilePathsAre4xxAndWriteNothing) {
  std::string t = app();
  std::string listing = get(folder_path(kLib) + "/files", t, kNoMeta)->body;
  struct Case {
    std::string path;
    int status;
  };
  std::vector<Case> cases = {
      {folder_path(kLib + "/../../etc") + "/files/AddUsingPath(decodedurl='x.json')", 400},
      {folder_path(kLib) + "/files/AddUsingPath(decodedurl='..%2F..%2Fx.json')", 400},
      {kApi + "/web/GetFolderByServerRelativeUrl('/sites/hr/Shared%20Documents/..')/Files/"
              "add(url='x.json',overwrite=true)",
       400},
      {folder_path("/tenants/fabrikam" + kLib) + "/files/AddUsingPath(decodedurl='x.json')", 400},
      {folder_path("https://fabrikam.sharepoint.com" + kLib) +
           "/files/AddUsingPath(decodedurl='x.json')",
       400},
      {folder_path("/nosite") + "/files/AddUsingPath(decodedurl='x.json')", 400},
      {folder_path(kLib) + "/files/AddUsingPath(decodedurl='x.json',Overwrite=maybe)", 400},
      {folder_path(kLib) + "/files/AddUsingPath()", 400},
      {kApi + "/web/getFolderByServerRelativePath(decodedUrl='/sites/hr/Shared Documents)/files",
       400},
      {folder_path(kLib) + "/files/Unknown(x=1)", 404},
      {kApi + "/web/lists", 404},
  };
  for (const Case& c : cases) {
    auto r = post(c.path, t, "{}");
    ASSERT_TRUE(r) << c.path;
    EXPECT_EQ(r->status, c.status) << c.path << " → " << r->body;
    EXPECT_NE(r->body.find("odata.error"), std::string::npos);
  }
  EXPECT_EQ(get(folder_path(kLib) + "/files", t, kNoMeta)->body, listing);
  // Another tenant's files are never visible from this one.
  auto up = post("/tenants/fabrikam/sites/hr/_api/web/getFolderByServerRelativePath(decodedUrl='" +
                     httplib::detail::encode_query_param(kLib) +
                     "')/files/AddUsingPath(decodedurl='secret.txt')",
                 app_token(fabrikam_app_, "fabrikam"), "fabrikam's");
  ASSERT_EQ(up->status, 200) << up->body;
  EXPECT_EQ(get(file_path("/tenants/fabrikam" + kLib + "/secret.txt") + "/$value", t)->status, 400);
  EXPECT_EQ(get(file_path(kLib + "/secret.txt") + "/$value", t)->status, 404);
}

// ---- Office365Tenant ---------------------------------------------------------------------------

class BulkImportRestTest : public SharePointTest {
 protected:
  static void SetUpTestSuite() {
    SharePointTest::SetUpTestSuite();
    auto r = post(folder_path(kLib + "/import") +
                      "/files/AddUsingPath(decodedurl='users.json',"
                      "Overwrite=true)",
                  app(), R"({"value":[{"IdName":"adele@contoso.com","City":"Bergen"}]})");
    ASSERT_EQ(r->status, 200) << r->body;
  }
  static httplib::Result call(const std::string& method, const std::string& token, const json& body,
                              const std::string& accept = kMinimal) {
    return post(kTenantApi + "/" + method, token, body.is_null() ? "" : body.dump(), accept);
  }
  static json queue_body(const json& map) {
    return {{"idType", 0},
            {"sourceDataIdProperty", "IdName"},
            {"propertyMap", map},
            {"sourceUri", kLib + "/import/users.json"}};
  }
};

TEST_F(BulkImportRestTest, QueueAcceptsTheThreePropertyMapEncodings) {
  std::string t = app();
  std::string origin = "http://127.0.0.1:" + std::to_string(server_->port());
  std::vector<json> maps = {
      {{"City", "City"}},
      json::array({{{"Key", "City"}, {"Value", "City"}, {"ValueType", "Edm.String"}}}),
      {{"__metadata", {{"type", "Collection(SP.KeyValue)"}}},
       {"results", json::array({{{"Key", "City"}, {"Value", "City"}}})}},
  };
  for (const json& map : maps) {
    json body = queue_body(map);
    // Absolute on this server (with its tenant prefix) works like server-relative.
    body["sourceUri"] = origin + "/tenants/contoso" + kLib + "/import/users.json";
    body["idType"] = "Email";
    auto r = call("QueueImportProfileProperties", t, body);
    ASSERT_EQ(r->status, 200) << map.dump() << " → " << r->body;
    json j = json::parse(r->body);
    EXPECT_TRUE(j["odata.metadata"].get<std::string>().ends_with("$metadata#Edm.Guid"));
    std::string id = j["value"];
    EXPECT_TRUE(std::regex_match(id, std::regex("[0-9a-f-]{36}"))) << id;

    r = call("GetImportProfilePropertyJob", t, {{"jobId", id}});
    ASSERT_EQ(r->status, 200) << r->body;
    j = json::parse(r->body);
    EXPECT_EQ(j["odata.type"],
              "Microsoft.Online.SharePoint.TenantManagement.ImportProfilePropertiesJobInfo");
    EXPECT_EQ(j["JobId"], id);
    EXPECT_EQ(j["State"], 3);  // Queued
    EXPECT_EQ(j["Error"], 0);
    EXPECT_TRUE(j["ErrorMessage"].is_null());
    EXPECT_TRUE(j["LogFolderUri"].is_null());
    EXPECT_EQ(j["SourceUri"],
              origin + "/tenants/contoso/sites/hr/Shared%20Documents/import/users.json");
  }
  auto r = call("GetImportProfilePropertyJobs", t, nullptr, kVerbose);
  ASSERT_EQ(r->status, 200) << r->body;
  EXPECT_GE(json::parse(r->body)["d"]["results"].size(), 3u);
  EXPECT_EQ(json::parse(r->body)["d"]["results"][0]["__metadata"]["type"],
            "Microsoft.Online.SharePoint.TenantManagement.ImportProfilePropertiesJobInfo");
}

TEST_F(BulkImportRestTest, OnlyAGlobalAdminOrAnAppQueues) {
  std::string before = jobs();
  auto r = call("QueueImportProfileProperties", sam(), queue_body({{"City", "City"}}));
  EXPECT_EQ(r->status, 403);
  EXPECT_NE(error_message(r).find("requires a global admin or app-only access"), std::string::npos)
      << r->body;
  EXPECT_NE(error_message(r).find("a SharePoint admin is not sufficient"), std::string::npos);
  r = call("QueueImportProfileProperties", adele(), queue_body({{"City", "City"}}));
  EXPECT_EQ(r->status, 403);
  r = call("QueueImportProfileProperties", "", queue_body({{"City", "City"}}));
  EXPECT_EQ(r->status, 401);
  EXPECT_EQ(jobs(), before);
  // A user may not read jobs either; a SharePoint admin may.
  EXPECT_EQ(call("GetImportProfilePropertyJobs", adele(), nullptr)->status, 403);
  EXPECT_EQ(call("GetImportProfilePropertyJobs", sam(), nullptr)->status, 200);
  r = call("QueueImportProfileProperties", megan(), queue_body({{"City", "City"}}));
  EXPECT_EQ(r->status, 200) << r->body;
}

TEST_F(BulkImportRestTest, BadQueueRequestsAre400WithSeed003sMessagesAndQueueNothing) {
  std::string t = app();
  std::string before = jobs();
  auto with = [](json body, const std::string& key, const json& value) {
    if (value.is_null()) {
      body.erase(key);
    } else {
      body[key] = value;
    }
    return body.dump();
  };
  json ok = queue_body({{"City", "City"}});
  struct Case {
    std::string body;
    std::string message;
  };
  std::vector<Case> cases = {
      {with(ok, "propertyMap", {{"About", "AboutMe"}}),
       "Property Names [AboutMe] are editable by user."},
      {with(ok, "propertyMap", {{"T", "Title"}}), "Property Names [Title] are core directory"},
      {with(ok, "propertyMap", {{"X", "NoSuchProperty"}}), "[NoSuchProperty] do not exist"},
      {with(ok, "propertyMap", json::object()), "The property map is empty"},
      {with(ok, "propertyMap", json::array({{{"Key", "City"}}})), "propertyMap[0]"},
      {with(ok, "propertyMap", 5), "propertyMap must be"},
      {with(ok, "idType", 7), "idType 7 is not one of 0 (Email), 1 (CloudId), 2 (PrincipalName)"},
      {with(ok, "idType", "Phone"), "idType 'Phone'"},
      {with(ok, "idType", nullptr), "'idType'"},
      {with(ok, "sourceUri", nullptr), "'sourceUri'"},
      {with(ok, "sourceUri", "relative/path.json"), "neither server-relative"},
      {with(ok, "sourceDataIdProperty", ""), "sourceDataIdProperty is empty"},
      {R"({"idType":0, "sourceDataIdProperty":)", "line 1, column"},
      {with(ok, "multiValue", true),
       "The parameter multiValue does not exist in method QueueImportProfileProperties."},
      // upsync's extension takes a boolean, and lifts only the multi-value refusal.
      {with(ok, "upsyncMultiValueArrays", "yes"),
       "The parameter upsyncMultiValueArrays must be true or false, got string."},
      {with(json::parse(with(ok, "upsyncMultiValueArrays", true)), "propertyMap",
            {{"About", "AboutMe"}}),
       "Property Names [AboutMe] are editable by user."},
  };
  for (const Case& c : cases) {
    auto r = post(kTenantApi + "/QueueImportProfileProperties", t, c.body);
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 400) << c.body << " → " << r->body;
    EXPECT_NE(error_message(r).find(c.message), std::string::npos) << c.body << " → " << r->body;
  }
  EXPECT_EQ(jobs(), before);
  // GET is not how PnPjs calls it.
  EXPECT_EQ(get(kTenantApi + "/GetImportProfilePropertyJobs", t)->status, 405);
  // Jobs: bad GUIDs and unknown ids.
  auto r = call("GetImportProfilePropertyJob", t, {{"jobId", "not-a-guid"}});
  EXPECT_EQ(r->status, 400);
  EXPECT_NE(error_message(r).find("is not a GUID"), std::string::npos);
  r = call("GetImportProfilePropertyJob", t, {{"jobId", "00000000-0000-0000-0000-000000000000"}});
  EXPECT_EQ(r->status, 404);
  r = call("GetImportProfilePropertyJob", t, json::object());
  EXPECT_EQ(r->status, 400);
  EXPECT_EQ(call("NoSuchMethod", t, nullptr)->status, 501);
  EXPECT_EQ(jobs(), before);
}

TEST_F(BulkImportRestTest, AFileOfAnotherTenantOrMissingEndsTheJobWithItsError) {
  std::string t = app();
  json body = queue_body({{"City", "City"}});
  body["sourceUri"] = "https://fabrikam.sharepoint.com" + kLib + "/import/users.json";
  auto r = call("QueueImportProfileProperties", t, body);
  ASSERT_EQ(r->status, 200) << r->body;
  json job = json::parse(
      call("GetImportProfilePropertyJob", t, {{"jobId", json::parse(r->body)["value"]}})->body);
  EXPECT_EQ(job["State"], 5);
  EXPECT_EQ(job["Error"], 21);  // DataFileNotInTenant
  body["sourceUri"] = "/tenants/fabrikam" + kLib + "/import/users.json";
  r = call("QueueImportProfileProperties", t, body);
  ASSERT_EQ(r->status, 200) << r->body;
  job = json::parse(
      call("GetImportProfilePropertyJob", t, {{"jobId", json::parse(r->body)["value"]}})->body);
  EXPECT_EQ(job["Error"], 21);
  body["sourceUri"] = kLib + "/import/missing.json";
  r = call("QueueImportProfileProperties", t, body);
  job = json::parse(
      call("GetImportProfilePropertyJob", t, {{"jobId", json::parse(r->body)["value"]}})->body);
  EXPECT_EQ(job["Error"], 20);  // DataFileNotExist
}

TEST_F(BulkImportRestTest, DeleteRemovesOnlyJobsThatHaveNotStarted) {
  std::string t = app();
  auto r = call("QueueImportProfileProperties", t, queue_body({{"City", "City"}}));
  ASSERT_EQ(r->status, 200) << r->body;
  std::string id = json::parse(r->body)["value"];
  // A SharePoint admin may not delete; nothing changes.
  EXPECT_EQ(call("DeleteImportProfilePropertiesJob", sam(), {{"jobId", id}})->status, 403);
  EXPECT_EQ(call("GetImportProfilePropertyJob", t, {{"jobId", id}})->status, 200);
  r = call("DeleteImportProfilePropertiesJob", t, {{"jobId", id}}, kNoMeta);
  ASSERT_EQ(r->status, 200) << r->body;
  EXPECT_EQ(json::parse(r->body), json({{"value", true}}));
  EXPECT_EQ(call("GetImportProfilePropertyJob", t, {{"jobId", id}})->status, 404);
  EXPECT_EQ(call("DeleteImportProfilePropertiesJob", t, {{"jobId", id}})->status, 404);

  // A job that ran cannot be deleted.
  r = call("QueueImportProfileProperties", t, queue_body({{"City", "City"}}));
  id = json::parse(r->body)["value"];
  ASSERT_EQ(run({"--data-dir", data_, "import", "run-pending"}), 0);
  r = call("GetImportProfilePropertyJob", t, {{"jobId", id}});
  EXPECT_EQ(json::parse(r->body)["State"], 4) << r->body;  // Succeeded
  EXPECT_NE(profile(kAdele).find("Bergen"), std::string::npos);
  r = call("DeleteImportProfilePropertiesJob", t, {{"jobId", id}});
  EXPECT_EQ(r->status, 409);
  EXPECT_NE(error_message(r).find("only jobs that have not started can be deleted"),
            std::string::npos);
}

TEST_F(BulkImportRestTest, AFailedImportsLogFolderIsServedByTheFileEndpoints) {
  std::string t = app();
  auto r = post(folder_path(kLib + "/import") +
                    "/files/AddUsingPath(decodedurl='bad.json',"
                    "Overwrite=true)",
                t, R"({"value":[{"IdName":"ghost@contoso.com","City":"Nowhere"}]})");
  ASSERT_EQ(r->status, 200);
  json body = queue_body({{"City", "City"}});
  body["sourceUri"] = kLib + "/import/bad.json";
  r = call("QueueImportProfileProperties", t, body);
  std::string id = json::parse(r->body)["value"];
  ASSERT_EQ(run({"--data-dir", data_, "import", "run-pending"}), 0);
  json job = json::parse(call("GetImportProfilePropertyJob", t, {{"jobId", id}}, kNoMeta)->body);
  EXPECT_EQ(job["State"], 5);
  EXPECT_EQ(job["Error"], 30);  // ImportCompleteWithError
  std::string base = "http://127.0.0.1:" + std::to_string(server_->port()) + "/tenants/contoso";
  std::string folder = "/sites/hr/Shared%20Documents/import/" + id;
  EXPECT_EQ(job["LogFolderUri"], base + folder);
  EXPECT_EQ(job["LogFileUri"], base + folder);
  r = get(folder_path(kLib + "/import/" + id) + "/files", t, kNoMeta);
  ASSERT_EQ(r->status, 200) << r->body;
  json files = json::parse(r->body)["value"];
  ASSERT_EQ(files.size(), 1u);
  r = get(file_path(files[0]["ServerRelativeUrl"]) + "/$value", t);
  EXPECT_EQ(r->body, "IdentityNotResolvable ghost@contoso.com User identity cannot be resolved\n");
}

}  // namespace
}  // namespace upsync
