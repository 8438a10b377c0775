// The SharePoint REST surface (src/http/sharepoint_routes.h) of the real `upsync serve`:
// contextinfo, web, and PeopleManager (GetPropertiesFor, GetMyProperties, the property
// setters) in the three OData modes with the %40v alias; every permission rule and bad input,
// checking that a refused request changes nothing stored. The server: sharepoint_fixture.h.
#include <gtest/gtest.h>
#include <httplib.h>

#include <nlohmann/json.hpp>
#include <regex>
#include <string>
#include <vector>

#include "http/sharepoint_fixture.h"

namespace upsync::testing {
namespace {

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

}  // namespace
}  // namespace upsync::testing
