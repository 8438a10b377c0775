// The people picker (src/http/sharepoint_people_picker.cpp) of the real `upsync serve`:
// SharePoint's answer in each mode, search by every kind of prefix, principal types,
// MaximumEntitySuggestions, resolve (resolved, several matches, nobody, an e-mail address),
// each queryParams member applied or refused, and hostile input.
#include <gtest/gtest.h>
#include <httplib.h>

#include <nlohmann/json.hpp>
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

constexpr const char* kVerbose = "application/json;odata=verbose";
constexpr const char* kNoMeta = "application/json;odata=nometadata";
constexpr const char* kMinimal = "application/json";
const std::string kPicker =
    "/tenants/contoso/sites/hr/_api/"
    "SP.UI.ApplicationPages.ClientPeoplePickerWebServiceInterface.";
const std::string kSearch = kPicker + "clientPeoplePickerSearchUser";
const std::string kResolve = kPicker + "clientPeoplePickerResolveUser";

class PeoplePickerTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new TempDir();
    const std::string data = dir_->str() + "/data";
    auto cli = [&](std::vector<std::string> args) {
      args.insert(args.begin(), {"--data-dir", data});
      ASSERT_EQ(run(args), 0) << args[2] << " " << args[3];
    };
    cli({"tenant", "create", "contoso"});
    cli({"tenant", "create", "fabrikam"});
    cli({"user", "password", "set", "--tenant", "contoso", "adele@contoso.com", "--password",
         "pw-adele"});
    // Adele, Alex and Allan from the directory (with a security group and a distribution
    // list); Megan by hand; a fabrikam Adele who must never be found from contoso.
    const std::string ldif = dir_->str() + "/directory.ldif";
    testing::write_file(ldif,
                        "dn: CN=Adele,DC=contoso,DC=com\nobjectClass: user\n"
                        "objectGUID:: AAECAwQFBgcICQoLDA0ODw==\n"
                        "userPrincipalName: adele@contoso.com\ngivenName: Adele\nsn: Vance\n"
                        "displayName: Adele Vance\nmail: adele.vance@contoso.com\n"
                        "title: Retail Manager\ndepartment: Retail\n\n"
                        "dn: CN=Alex,DC=contoso,DC=com\nobjectClass: user\n"
                        "objectGUID:: EBESExQVFhcYGRobHB0eHw==\n"
                        "userPrincipalName: alex@contoso.com\ndisplayName: Alex Wilber\n\n"
                        "dn: CN=Allan,DC=contoso,DC=com\nobjectClass: user\n"
                        "objectGUID:: ICEiIyQlJicoKSorLC0uLw==\n"
                        "userPrincipalName: allan@contoso.com\ndisplayName: Allan Deyoung\n\n"
                        "dn: CN=Retail Team,DC=contoso,DC=com\nobjectClass: group\n"
                        "cn: Retail Team\nobjectGUID:: MDEyMzQ1Njc4OTo7PD0+Pw==\n"
                        "member: CN=Adele,DC=contoso,DC=com\n\n"
                        "dn: CN=Retail News,DC=contoso,DC=com\nobjectClass: group\n"
                        "cn: Retail News\nobjectGUID:: QEFCQ0RFRkdISUpLTE1OTw==\n"
                        "groupType: 2\nmail: news@contoso.com\n\n");
    cli({"sync", "ldif", "--tenant", "contoso", ldif});
    // A mobile phone is the person's own (user-editable, not synced).
    cli({"profile", "set", "--tenant", "contoso", "adele@contoso.com", "--set",
         "CellPhone=+1 555 0100"});
    cli({"profile", "create", "--tenant", "contoso", "i:0#.f|membership|megan@contoso.com", "--set",
         "PreferredName=Megan Bowen", "--set", "WorkEmail=megan@contoso.com"});
    cli({"profile", "create", "--tenant", "fabrikam", "i:0#.f|membership|adele@fabrikam.com",
         "--set", "PreferredName=Adele Fabrikam"});
    const std::string app_file = dir_->str() + "/app.json";
    ASSERT_EQ(std::system((testing::binary() + " --data-dir " + data +
                           " --json app add -t contoso picker > " + app_file)
                              .c_str()),
              0);
    const std::string client_id = json::parse(testing::read_file(app_file))["clientId"];
    server_ = new Server(*dir_, {"--no-worker"});
    ASSERT_GT(server_->port(), 0) << server_->log();
    httplib::Client c("127.0.0.1", server_->port());
    auto r = c.Post("/contoso/oauth2/v2.0/token",
                    httplib::Params{{"grant_type", "password"},
                                    {"client_id", client_id},
                                    {"username", "adele@contoso.com"},
                                    {"password", "pw-adele"},
                                    {"scope", "https://contoso.sharepoint.com/.default"}});
    if (r && r->status == 200) token_ = json::parse(r->body)["access_token"];
  }
  static void TearDownTestSuite() {
    delete server_;
    delete dir_;
  }

  static httplib::Result post(const std::string& path, const std::string& body,
                              const std::string& accept = kNoMeta,
                              const std::string& token = token_) {
    httplib::Client c("127.0.0.1", server_->port());
    c.set_url_encode(false);
    httplib::Headers h = {{"Accept", accept}};
    if (!token.empty()) h.emplace("Authorization", "Bearer " + token);
    return c.Post(path.c_str(), h, body, "application/json;charset=utf-8");
  }
  // The entities of an answer (its value, a JSON string, parsed).
  static json entities(const httplib::Result& r) {
    EXPECT_TRUE(r);
    if (!r) return json();
    EXPECT_EQ(r->status, 200) << r->body;
    json j = json::parse(r->body);
    if (j.contains("d")) {
      for (auto& [k, v] : j["d"].items()) return json::parse(v.get<std::string>());
    }
    return json::parse(j["value"].get<std::string>());
  }
  static json search(json params, const std::string& accept = kNoMeta) {
    if (!params.contains("MaximumEntitySuggestions")) params["MaximumEntitySuggestions"] = 30;
    return entities(post(kSearch, json{{"queryParams", params}}.dump(), accept));
  }
  static std::vector<std::string> names(const json& found) {
    std::vector<std::string> out;
    for (const auto& e : found) out.push_back(e["DisplayText"]);
    return out;
  }
  static std::string error_message(const httplib::Result& r) {
    json j = json::parse(r->body);
    return j["odata.error"]["message"]["value"];
  }

  static inline TempDir* dir_ = nullptr;
  static inline Server* server_ = nullptr;
  static inline std::string token_;
};

TEST_F(PeoplePickerTest, SearchAnswersSharePointsShapeInEachMode) {
  auto r = post(kSearch, R"({"queryParams":{"QueryString":"adele","MaximumEntitySuggestions":5}})",
                kMinimal);
  ASSERT_EQ(r->status, 200) << r->body;
  json j = json::parse(r->body);
  EXPECT_TRUE(j["odata.metadata"].get<std::string>().ends_with("/_api/$metadata#Edm.String")) << j;
  ASSERT_TRUE(j["value"].is_string());
  // The entity's members in SharePoint's order, as its JSON string holds them.
  const std::string text = j["value"];
  EXPECT_TRUE(text.starts_with(R"([{"Key":"i:0#.f|membership|adele@contoso.com","DisplayText":)"
                               R"("Adele Vance","IsResolved":true,"Description":)"
                               R"("adele@contoso.com","EntityType":"User","EntityData":{)"))
      << text;
  json adele = json::parse(text);
  ASSERT_EQ(adele.size(), 1u);
  EXPECT_EQ(adele[0]["EntityData"]["Email"], "adele.vance@contoso.com");
  EXPECT_EQ(adele[0]["EntityData"]["Title"], "Retail Manager");
  EXPECT_EQ(adele[0]["EntityData"]["Department"], "Retail");
  EXPECT_EQ(adele[0]["EntityData"]["MobilePhone"], "+1 555 0100");
  EXPECT_EQ(adele[0]["EntityData"]["ObjectId"].get<std::string>().size(), 36u);
  EXPECT_EQ(adele[0]["MultipleMatches"], json::array());
  EXPECT_EQ(adele[0]["ProviderName"], "Tenant");
  EXPECT_EQ(adele[0]["ProviderDisplayName"], "Tenant");
  // Verbose: d.ClientPeoplePickerSearchUser, which PnPjs reads; nometadata: value alone.
  r = post(kSearch, R"({"queryParams":{"QueryString":"adele","MaximumEntitySuggestions":5}})",
           kVerbose);
  ASSERT_EQ(r->status, 200) << r->body;
  EXPECT_EQ(json::parse(r->body)["d"]["ClientPeoplePickerSearchUser"], text);
  r = post(kSearch, R"({"queryParams":{"QueryString":"adele","MaximumEntitySuggestions":5}})");
  EXPECT_EQ(json::parse(r->body), json({{"value", text}}));
}

TEST_F(PeoplePickerTest, FindsByEveryWordEmailAccountAndTitleAndNeverAnotherTenant) {
  using V = std::vector<std::string>;
  EXPECT_EQ(names(search({{"QueryString", "VAN"}})), V{"Adele Vance"});
  EXPECT_EQ(names(search({{"QueryString", "adele.vance@"}})), V{"Adele Vance"});
  EXPECT_EQ(names(search({{"QueryString", "alex@contoso"}})), V{"Alex Wilber"});
  EXPECT_EQ(names(search({{"QueryString", "retail man"}})), V{"Adele Vance"});
  EXPECT_EQ(names(search({{"QueryString", "i:0#.f|membership|meg"}})), V{"Megan Bowen"});
  // Sorted by display text; the fabrikam Adele is not contoso's.
  EXPECT_EQ(names(search({{"QueryString", "al"}})), (V{"Alex Wilber", "Allan Deyoung"}));
  EXPECT_TRUE(search({{"QueryString", "contoso"}}).empty());
  EXPECT_TRUE(search({{"QueryString", "  "}}).empty());
  EXPECT_TRUE(search({{"QueryString", "fabrikam"}}).empty());
}

TEST_F(PeoplePickerTest, PrincipalTypeChoosesUsersSecurityGroupsAndDistributionLists) {
  using V = std::vector<std::string>;
  EXPECT_EQ(names(search({{"QueryString", "retail"}})), V{"Adele Vance"});  // default: users
  json groups = search({{"QueryString", "retail"}, {"PrincipalType", 4}});
  ASSERT_EQ(groups.size(), 1u);
  EXPECT_EQ(groups[0]["DisplayText"], "Retail Team");
  EXPECT_EQ(groups[0]["EntityType"], "SecGroup");
  EXPECT_TRUE(groups[0]["Key"].get<std::string>().starts_with("c:0t.c|tenant|"));
  EXPECT_EQ(groups[0]["EntityData"]["PrincipalType"], "SecurityGroup");
  json lists = search({{"QueryString", "news@"}, {"PrincipalType", 2}});
  ASSERT_EQ(lists.size(), 1u);
  EXPECT_EQ(lists[0]["EntityType"], "DistributionList");
  EXPECT_EQ(names(search({{"QueryString", "retail"}, {"PrincipalType", 15}})),
            (V{"Adele Vance", "Retail News", "Retail Team"}));
  // SharePoint groups: upsync keeps none, so 8 alone finds nothing; 0 selects nothing.
  EXPECT_TRUE(search({{"QueryString", "retail"}, {"PrincipalType", 8}}).empty());
  EXPECT_TRUE(search({{"QueryString", "retail"}, {"PrincipalType", 0}}).empty());
  // The limit holds across kinds.
  EXPECT_EQ(
      search({{"QueryString", "retail"}, {"PrincipalType", 15}, {"MaximumEntitySuggestions", 2}})
          .size(),
      2u);
  EXPECT_EQ(search({{"QueryString", "a"}, {"MaximumEntitySuggestions", 1}}).size(), 1u);
}

TEST_F(PeoplePickerTest, ResolveAnswersOneEntityResolvedOrNot) {
  auto resolve = [](json params) {
    params["MaximumEntitySuggestions"] = 10;
    return entities(post(kResolve, json{{"queryParams", params}}.dump()));
  };
  json e = resolve({{"QueryString", "i:0#.f|membership|adele@contoso.com"}});
  EXPECT_EQ(e["IsResolved"], true);
  EXPECT_EQ(e["Key"], "i:0#.f|membership|adele@contoso.com");
  EXPECT_EQ(resolve({{"QueryString", "adele.vance@contoso.com"}})["DisplayText"], "Adele Vance");
  EXPECT_EQ(resolve({{"QueryString", "meg"}})["Key"], "i:0#.f|membership|megan@contoso.com");
  json team = resolve({{"QueryString", "retail t"}, {"PrincipalType", 4}});
  EXPECT_EQ(team["EntityType"], "SecGroup");
  EXPECT_EQ(resolve({{"QueryString", team["Key"]}, {"PrincipalType", 4}})["DisplayText"],
            "Retail Team");
  // A group's claim is not resolved when only users are asked for.
  EXPECT_EQ(resolve({{"QueryString", team["Key"]}})["IsResolved"], false);
  json several = resolve({{"QueryString", "al"}});
  EXPECT_EQ(several["IsResolved"], false);
  EXPECT_EQ(several["Key"], "al");
  EXPECT_EQ(names(several["MultipleMatches"]),
            (std::vector<std::string>{"Alex Wilber", "Allan Deyoung"}));
  json nobody = resolve({{"QueryString", "zz top"}});
  EXPECT_EQ(nobody, json::parse(R"({"Key":"zz top","DisplayText":"zz top","IsResolved":false,
      "Description":"zz top","EntityType":"","EntityData":{},"MultipleMatches":[],
      "ProviderName":"","ProviderDisplayName":""})"));
  json email = resolve({{"QueryString", "guest@example.com"}, {"AllowEmailAddresses", true}});
  EXPECT_EQ(email["EntityData"]["PrincipalType"], "UNVALIDATED_EMAIL_ADDRESS");
  EXPECT_EQ(resolve({{"QueryString", "guest@example.com"}})["IsResolved"], false);
  // Search offers the address beside the matches, unless someone has it.
  json offered = search({{"QueryString", "guest@example.com"}, {"AllowEmailAddresses", true}});
  ASSERT_EQ(offered.size(), 1u);
  EXPECT_EQ(offered[0]["Key"], "guest@example.com");
  json known = search({{"QueryString", "adele.vance@contoso.com"}, {"AllowEmailAddresses", true}});
  EXPECT_EQ(names(known), std::vector<std::string>{"Adele Vance"});
  // A malformed claim is the claims parser's 400, not "nobody".
  auto r =
      post(kResolve,
           R"({"queryParams":{"QueryString":"x:0#.f|membership|a","MaximumEntitySuggestions":1}})");
  EXPECT_EQ(r->status, 400) << r->body;
}

TEST_F(PeoplePickerTest, QueryParamsAreAppliedOrRefused) {
  // What PnP's PeoplePicker control sends (SharePointGroupID 0: no group) is served.
  auto r =
      post(kSearch, R"({"queryParams":{"AllowEmailAddresses":true,"AllowMultipleEntities":false,
      "AllUrlZones":false,"MaximumEntitySuggestions":5,"PrincipalSource":15,"PrincipalType":1,
      "QueryString":"adele","SharePointGroupID":0,"UseSubstrateSearch":false,
      "QuerySettings":{"ExcludeAllUsersOnTenantClaim":true,"IsSharing":false},
      "__metadata":{"type":"SP.UI.ApplicationPages.ClientPeoplePickerQueryParameters"}}})");
  EXPECT_EQ(r->status, 200) << r->body;
  const std::vector<std::pair<std::string, std::string>> refused = {
      {R"({"queryParams":{"QueryString":"a","MaximumEntitySuggestions":5,"SharePointGroupID":7}})",
       "Group cannot be found."},
      {R"({"queryParams":{"QueryString":"a","MaximumEntitySuggestions":5,"Nope":1}})",
       "The property 'Nope' does not exist on type"},
      {R"({"queryParams":{"QueryString":"a","MaximumEntitySuggestions":"five"}})", "Edm.Int32"},
      {R"({"queryParams":{"QueryString":"a","MaximumEntitySuggestions":0}})", "1 to 1000"},
      {R"({"queryParams":{"QueryString":"a"}})", "needs MaximumEntitySuggestions"},
      {R"({"queryParams":{"QueryString":7,"MaximumEntitySuggestions":5}})", "Edm.String"},
      {R"({"queryParams":{"QueryString":"a","MaximumEntitySuggestions":5,"PrincipalSource":1}})",
       "user information list"},
      {R"({"queryParams":{"QueryString":"a","MaximumEntitySuggestions":5,"PrincipalType":16}})",
       "PrincipalType must be"},
      {R"({"queryParams":{"QueryString":"a","MaximumEntitySuggestions":5,
          "AllowOnlyEmailAddresses":true}})",
       "AllowOnlyEmailAddresses"},
      {R"({"queryParams":{"QueryString":"a","MaximumEntitySuggestions":5,
          "EnabledClaimProviders":"AllUsers"}})",
       "EnabledClaimProviders"},
      {R"({"queryParams":{"QueryString":"a","MaximumEntitySuggestions":5,
          "UseSubstrateSearch":true}})",
       "UseSubstrateSearch"},
      {R"({"queryParams":{"QueryString":"a","MaximumEntitySuggestions":5,
          "QuerySettings":{"Other":true}}})",
       "PeoplePickerQuerySettings"},
      {R"({"query":{"QueryString":"a"}})", "The parameter query does not exist"},
      {R"({})", "needs queryParams"},
      {R"({"queryParams":"a"})", "queryParams"},
      {R"({"queryParams":{)", "not valid JSON"},
  };
  for (const auto& [body, message] : refused) {
    auto bad = post(kSearch, body);
    ASSERT_TRUE(bad);
    EXPECT_GE(bad->status, 400) << body;
    EXPECT_LT(bad->status, 500) << body;
    EXPECT_NE(error_message(bad).find(message), std::string::npos) << body << " → " << bad->body;
  }
  auto group = post(kSearch, R"({"queryParams":{"QueryString":"a","MaximumEntitySuggestions":5,)"
                             R"("SharePointGroupID":7}})");
  EXPECT_EQ(group->status, 404);
  // OData options: none applies to the picker.
  auto select = post(kSearch + "?$select=Key",
                     R"({"queryParams":{"QueryString":"a","MaximumEntitySuggestions":5}})");
  EXPECT_EQ(select->status, 400);
  EXPECT_NE(error_message(select).find("$select"), std::string::npos);
  // Only POST, only with a token, only the two methods.
  httplib::Client c("127.0.0.1", server_->port());
  EXPECT_EQ(c.Get(kSearch.c_str(), {{"Authorization", "Bearer " + token_}})->status, 405);
  EXPECT_EQ(post(kSearch, R"({"queryParams":{}})", kNoMeta, "")->status, 401);
  EXPECT_EQ(post(kPicker + "clientPeoplePickerNothing", "{}")->status, 404);
}

TEST_F(PeoplePickerTest, HostileQueriesAreAnsweredNotCrashedOn) {
  for (std::string q : {std::string("'; DROP TABLE profiles; --"), std::string(100000, 'a'),
                        std::string("\xff\xfe\x80"), std::string("%"), std::string("_"),
                        std::string("a\0b", 3), std::string("\xc3\xa9mile")}) {
    json params = {{"QueryString", json::string_t(q)}, {"MaximumEntitySuggestions", 1000}};
    // Invalid UTF-8 cannot travel in JSON text: it is sent escaped as nlohmann writes it.
    auto r = post(kSearch, json{{"queryParams", params}}.dump(-1, ' ', false,
                                                              json::error_handler_t::replace));
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 200) << r->body.substr(0, 200);
    EXPECT_TRUE(json::parse(json::parse(r->body)["value"].get<std::string>()).empty());
  }
  EXPECT_EQ(names(search({{"QueryString", "adele"}})), std::vector<std::string>{"Adele Vance"});
}

}  // namespace
}  // namespace upsync
