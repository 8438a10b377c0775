// The Graph-compatible users API (src/http/graph_routes.h) against the real `upsync serve`:
// users edited with the CLI, read over HTTP with app and user tokens from the token endpoint.
#include <gtest/gtest.h>
#include <httplib.h>

#include <algorithm>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <string>
#include <vector>

#include "auth/secret.h"
#include "directory/ldif.h"
#include "http/server_process.h"
#include "test_support.h"

namespace upsync {
namespace {

using nlohmann::json;
using upsync::testing::run;
using upsync::testing::run_output;
using upsync::testing::Server;
using upsync::testing::TempDir;
using upsync::testing::write_file;

class GraphTest : public ::testing::Test {
 protected:
  void SetUp() override {
    made_.fill(dir_.path(), [&] { make_folder(); });
  }
  void make_folder() {
    for (const char* t : {"contoso", "fabrikam"}) {
      ASSERT_EQ(cli({"tenant", "create", t}), 0);
      auto app = json::parse(
          run_output({"--data-dir", data(), "--json", "app", "add", "--tenant", t, "graph-test"}));
      apps_[t] = {app["clientId"], app["clientSecret"]};
    }
  }

  std::string data() const { return dir_.str() + "/data"; }
  int cli(std::vector<std::string> args) {
    args.insert(args.begin(), {"--data-dir", data()});
    return run(args);
  }
  // Adds a cloud user with "attr=value" pairs; returns its object id.
  std::string add_user(const std::string& tenant, const std::string& upn,
                       const std::vector<std::string>& sets = {}) {
    std::vector<std::string> args = {"--data-dir", data(),     "--json", "directory", "user",
                                     "add",        "--tenant", tenant,   upn};
    for (const auto& s : sets) {
      args.push_back("--set");
      args.push_back(s);
    }
    std::string out = run_output(args);
    EXPECT_FALSE(out.empty()) << "directory user add " << upn;
    return out.empty() ? "" : json::parse(out)["objectId"].get<std::string>();
  }
  void set_user(const std::string& upn, const std::string& set) {
    ASSERT_EQ(cli({"directory", "user", "set", "--tenant", "contoso", upn, "--set", set}), 0);
  }

  void start() {
    server_ = std::make_unique<Server>(dir_);
    ASSERT_GT(server_->port(), 0);
    http_ = std::make_unique<httplib::Client>("127.0.0.1", server_->port());
    app_token_ = token("contoso", {{"grant_type", "client_credentials"}});
  }

  std::string token(const std::string& tenant, httplib::Params form) {
    form.emplace("client_id", apps_[tenant].first);
    if (form.find("password") == form.end()) form.emplace("client_secret", apps_[tenant].second);
    form.emplace("scope", "https://graph.microsoft.com/.default");
    auto r = http_->Post(("/" + tenant + "/oauth2/v2.0/token").c_str(), form);
    EXPECT_TRUE(r && r->status == 200) << (r ? r->body : "no answer");
    return r && r->status == 200 ? json::parse(r->body)["access_token"].get<std::string>() : "";
  }

  httplib::Result get(const std::string& path, const std::string& token,
                      httplib::Headers headers = {}) {
    if (!token.empty()) headers.emplace("Authorization", "Bearer " + token);
    return http_->Get(path.c_str(), headers);
  }
  // GET that must answer 200 with JSON.
  json get_json(const std::string& path, httplib::Headers headers = {}) {
    auto r = get(path, app_token_, std::move(headers));
    EXPECT_TRUE(r) << path;
    if (!r) return json();
    EXPECT_EQ(r->status, 200) << path << ": " << r->body;
    return json::parse(r->body, nullptr, false);
  }
  // The path and query of an absolute link on this server (checked to be one).
  std::string local(const std::string& link) {
    std::string origin = "http://127.0.0.1:" + std::to_string(server_->port());
    EXPECT_EQ(link.rfind(origin + "/tenants/contoso/v1.0/", 0), 0u) << link;
    return link.substr(origin.size());
  }
  // A GET that must fail: checks Graph's error shape and returns the error object.
  json error_of(const std::string& path, int status, const std::string& token = "",
                httplib::Headers headers = {}) {
    auto r = get(path, token.empty() ? app_token_ : token, std::move(headers));
    EXPECT_TRUE(r) << path;
    if (!r) return json();
    EXPECT_EQ(r->status, status) << path << ": " << r->body;
    json j = json::parse(r->body, nullptr, false);
    EXPECT_TRUE(j.contains("error")) << r->body;
    if (!j.contains("error")) return json();
    EXPECT_TRUE(j["error"]["innerError"].contains("request-id")) << r->body;
    EXPECT_TRUE(j["error"]["innerError"].contains("date")) << r->body;
    return j["error"];
  }

  // Every user of a listing, following @odata.nextLink; counts the pages.
  std::vector<json> all_pages(std::string path, int* pages = nullptr) {
    std::vector<json> out;
    for (int n = 1; n < 100; ++n) {
      json page = get_json(path);
      for (auto& u : page["value"]) out.push_back(u);
      if (pages) *pages = n;
      if (!page.contains("@odata.nextLink")) break;
      path = local(page["@odata.nextLink"]);
    }
    return out;
  }

  TempDir dir_;
  static inline upsync::testing::FolderTemplate made_;
  static inline std::map<std::string, std::pair<std::string, std::string>> apps_;
  std::unique_ptr<Server> server_;
  std::unique_ptr<httplib::Client> http_;
  std::string app_token_;
};

std::set<std::string> keys(const json& j) {
  std::set<std::string> out;
  for (auto& [k, v] : j.items()) out.insert(k);
  return out;
}

std::vector<std::string> upns(const json& value) {
  std::vector<std::string> out;
  for (const auto& u : value) out.push_back(u["userPrincipalName"]);
  std::sort(out.begin(), out.end());
  return out;
}

TEST_F(GraphTest, ListsUsersWithGraphsDefaultPropertiesAndSelect) {
  std::string adele = add_user(
      "contoso", "adele@contoso.com",
      {"displayName=Adele Vance", "givenName=Adele", "surname=Vance", "mail=adele@contoso.com",
       "jobTitle=Retail Manager", "physicalDeliveryOfficeName=18/2111",
       "telephoneNumber=+1 425 555 0109", "preferredLanguage=en-US", "department=Retail",
       "proxyAddresses=SMTP:adele@contoso.com", "proxyAddresses=smtp:av@contoso.com"});
  add_user("contoso", "bob@contoso.com", {"displayName=Bob"});
  add_user("contoso", "gone@contoso.com");
  ASSERT_EQ(cli({"directory", "user", "delete", "--tenant", "contoso", "gone@contoso.com"}), 0);
  add_user("fabrikam", "eve@fabrikam.com");
  start();

  json page = get_json("/tenants/contoso/v1.0/users");
  std::string base = "http://127.0.0.1:" + std::to_string(server_->port()) + "/tenants/contoso";
  EXPECT_EQ(page["@odata.context"], base + "/v1.0/$metadata#users");
  EXPECT_FALSE(page.contains("@odata.nextLink"));
  ASSERT_EQ(page["value"].size(), 2u) << page.dump();  // not the deleted one, not fabrikam's
  EXPECT_EQ(upns(page["value"]),
            (std::vector<std::string>{"adele@contoso.com", "bob@contoso.com"}));
  json a = page["value"][0]["id"] == adele ? page["value"][0] : page["value"][1];
  EXPECT_EQ(a, json::parse(R"({"businessPhones":["+1 425 555 0109"],"displayName":"Adele Vance",
    "givenName":"Adele","jobTitle":"Retail Manager","mail":"adele@contoso.com",
    "mobilePhone":null,"officeLocation":"18/2111","preferredLanguage":"en-US","surname":"Vance",
    "userPrincipalName":"adele@contoso.com","id":")" +
                           adele + R"("})"));

  page = get_json(
      "/tenants/contoso/v1.0/users?$select=id,accountEnabled,proxyAddresses,department,"
      "onPremisesSyncEnabled&$filter=id%20eq%20%27" +
      adele + "%27");
  EXPECT_EQ(page["@odata.context"],
            base +
                "/v1.0/$metadata#users(id,accountEnabled,proxyAddresses,department,"
                "onPremisesSyncEnabled)");
  ASSERT_EQ(page["value"].size(), 1u);
  EXPECT_EQ(page["value"][0], json::parse(R"({"id":")" + adele + R"(","accountEnabled":true,
    "proxyAddresses":["SMTP:adele@contoso.com","smtp:av@contoso.com"],"department":"Retail",
    "onPremisesSyncEnabled":null})"));

  // Names are case-insensitive; a percent-encoded "$" works as PnP and URLSearchParams send it.
  page = get_json("/tenants/contoso/v1.0/users?%24select=DISPLAYNAME");
  EXPECT_EQ(keys(page["value"][0]), std::set<std::string>{"displayName"});

  json e = error_of("/tenants/contoso/v1.0/users?$select=displayName,favouriteColour", 400);
  EXPECT_EQ(e["code"], "Request_BadRequest");
  EXPECT_EQ(e["message"],
            "Could not find a property named 'favouriteColour' on type 'microsoft.graph.user'.");
  e = error_of("/tenants/contoso/v1.0/users?$select=displayName,,mail", 400);
  EXPECT_NE(e["message"].get<std::string>().find("empty property name at position 12"),
            std::string::npos)
      << e;
  e = error_of("/tenants/contoso/v1.0/users?$orderby=jobTitle", 400);
  EXPECT_EQ(e["code"], "Request_UnsupportedQuery");
  EXPECT_EQ(e["message"], "Unsupported sort property 'jobTitle' for 'User'.") << e;
}

TEST_F(GraphTest, FiltersEachFormAndRefusesBadFiltersWithThePosition) {
  add_user("contoso", "adele@contoso.com",
           {"displayName=Adele Vance", "mail=Adele@contoso.com", "jobTitle=Retail Manager"});
  add_user("contoso", "alex@contoso.com", {"displayName=Alex Wilber", "jobTitle=Marketing"});
  add_user("contoso", "pat@contoso.com", {"displayName=Pat O'Neil", "jobTitle=Marketing"});
  ASSERT_EQ(cli({"directory", "user", "disable", "--tenant", "contoso", "alex@contoso.com"}), 0);
  start();

  struct Case {
    std::string filter;  // as sent (percent-encoded where a client would)
    std::vector<std::string> upns;
  };
  const Case cases[] = {
      {"userPrincipalName%20eq%20%27PAT@contoso.com%27", {"pat@contoso.com"}},
      {"mail eq 'adele@contoso.com'", {"adele@contoso.com"}},
      {"startswith(displayName,'a')", {"adele@contoso.com", "alex@contoso.com"}},
      {"startsWith(displayName,'Pat O''')", {"pat@contoso.com"}},
      {"displayName eq 'Pat O''Neil'", {"pat@contoso.com"}},
      {"accountEnabled eq true", {"adele@contoso.com", "pat@contoso.com"}},
      {"accountEnabled eq false", {"alex@contoso.com"}},
      {"jobTitle in ('Marketing', 'CEO')", {"alex@contoso.com", "pat@contoso.com"}},
      {"jobTitle eq 'Marketing' and accountEnabled eq true", {"pat@contoso.com"}},
      {"jobTitle eq 'Retail Manager' or startswith(userPrincipalName,'alex')",
       {"adele@contoso.com", "alex@contoso.com"}},
      {"mail eq null", {"alex@contoso.com", "pat@contoso.com"}},
      {"(jobTitle eq 'CEO')", {}},
  };
  for (const auto& c : cases) {
    json page = get_json("/tenants/contoso/v1.0/users?$filter=" + c.filter);
    EXPECT_EQ(upns(page["value"]), c.upns) << c.filter;
  }

  json e = error_of("/tenants/contoso/v1.0/users?$filter=displayName%20eq%20%27Adele", 400);
  EXPECT_EQ(e["code"], "BadRequest");
  EXPECT_EQ(e["message"],
            "Invalid filter clause: the string that starts here has no closing quote (at "
            "position 15 in 'displayName eq 'Adele').");
  e = error_of("/tenants/contoso/v1.0/users?$filter=accountEnabled%20eq%20%27yes%27", 400);
  EXPECT_EQ(e["code"], "BadRequest");
  EXPECT_NE(e["message"].get<std::string>().find("position 18"), std::string::npos) << e;
  e = error_of("/tenants/contoso/v1.0/users?$filter=endswith(mail,%27@contoso.com%27)", 400);
  EXPECT_EQ(e["code"], "Request_UnsupportedQuery");
  e = error_of("/tenants/contoso/v1.0/users?$filter=faxNumber%20eq%20%27x%27", 400);
  EXPECT_EQ(e["code"], "Request_UnsupportedQuery");
  EXPECT_NE(e["message"].get<std::string>().find("property 'faxNumber' of resource 'User'"),
            std::string::npos)
      << e;
  // 1,001 clauses (each value of an 'in' counts one): refused as Graph refuses a query too big.
  std::string many = "/tenants/contoso/v1.0/users?$filter=id%20in%20(";
  for (int i = 0; i < 1000; ++i) many += "%27a%27,";
  e = error_of(many + "%27b%27)", 400);
  EXPECT_EQ(e["code"], "Request_UnsupportedQuery");
  EXPECT_NE(e["message"].get<std::string>().find("more than 1000 clauses"), std::string::npos) << e;
}

TEST_F(GraphTest, PagesSeeEveryUserExactlyOnceInObjectIdOrder) {
  std::set<std::string> ids;
  for (int i = 0; i < 23; ++i) {
    std::string n = std::to_string(i);
    ids.insert(add_user("contoso", "user" + n + "@contoso.com",
                        {"displayName=User " + n, std::string("jobTitle=") + (i % 3 ? "A" : "B")}));
  }
  start();

  int pages = 0;
  auto users = all_pages("/tenants/contoso/v1.0/users?$top=5&$select=id,jobTitle", &pages);
  EXPECT_EQ(pages, 5);
  std::vector<std::string> seen;
  for (const auto& u : users) seen.push_back(u["id"]);
  EXPECT_TRUE(std::is_sorted(seen.begin(), seen.end()));
  EXPECT_EQ(std::set<std::string>(seen.begin(), seen.end()), ids);
  EXPECT_EQ(seen.size(), ids.size());
  for (const auto& u : users) EXPECT_EQ(keys(u), (std::set<std::string>{"id", "jobTitle"}));

  // The filter and $select ride along in the nextLink: 8 of the 23 have jobTitle B.
  users = all_pages("/tenants/contoso/v1.0/users?$top=3&$filter=jobTitle%20eq%20%27B%27", &pages);
  EXPECT_EQ(pages, 3);
  EXPECT_EQ(users.size(), 8u);
  std::set<std::string> filtered;
  for (const auto& u : users) {
    EXPECT_EQ(u["jobTitle"], "B");
    filtered.insert(u["id"]);
  }
  EXPECT_EQ(filtered.size(), 8u);  // several reads per page, none seen twice
  // One user per page: the filter scans past the others in growing reads.
  users = all_pages("/tenants/contoso/v1.0/users?$top=1&$filter=jobTitle%20eq%20%27B%27", &pages);
  EXPECT_EQ(pages, 8);
  EXPECT_EQ(users.size(), 8u);

  // $count needs ConsistencyLevel: eventual, as Graph's advanced queries do.
  json e = error_of("/tenants/contoso/v1.0/users?$count=true", 400);
  EXPECT_EQ(e["code"], "Request_UnsupportedQuery");
  EXPECT_NE(e["message"].get<std::string>().find("ConsistencyLevel: eventual"), std::string::npos);
  json page =
      get_json("/tenants/contoso/v1.0/users?$count=true&$top=2&$filter=jobTitle%20eq%20%27B%27",
               {{"ConsistencyLevel", "eventual"}});
  EXPECT_EQ(page["@odata.count"], 8);
  EXPECT_EQ(page["value"].size(), 2u);

  for (const char* top : {"0", "1000", "abc", "-1", "5x"}) {
    e = error_of(std::string("/tenants/contoso/v1.0/users?$top=") + top, 400);
    EXPECT_EQ(e["message"], std::string("Invalid page size specified: '") + top +
                                "'. Must be between 1 and 999 inclusive.");
  }
  e = error_of("/tenants/contoso/v1.0/users?$skiptoken=not*base64", 400);
  EXPECT_NE(e["message"].get<std::string>().find("$skiptoken is not valid"), std::string::npos);
}

// A filter that pins id, userPrincipalName or mail reads those users by index; its answers
// (pages, nextLinks, $count) are those of the same filter answered by reading everyone,
// which "or startswith(displayName,'~')" (no user's name starts so) forces.
TEST_F(GraphTest, IndexedEqualityFiltersAnswerAsAScanDoes) {
  std::vector<std::string> ids;
  for (int i = 0; i < 12; ++i) {
    std::string n = std::to_string(i);
    std::vector<std::string> sets = {"displayName=User " + n,
                                     std::string("jobTitle=") + (i % 2 ? "A" : "B")};
    // Mail: two users share one, case differs; some have none.
    if (i % 4 != 3) sets.push_back("mail=" + std::string(i < 6 ? "Team" : "user" + n) + "@x.com");
    if (i % 3 == 0) {
      sets.push_back("telephoneNumber=+1 555 010" + n);
      sets.push_back("extensionAttribute2=ext" + n);
      sets.push_back("accountEnabled=false");
    }
    ids.push_back(add_user("contoso", "user" + n + "@contoso.com", sets));
  }
  add_user("fabrikam", "user1@contoso.com", {"mail=team@x.com"});  // another tenant's
  ASSERT_EQ(cli({"directory", "user", "delete", "--tenant", "contoso", "user2@contoso.com"}), 0);
  start();

  const std::string filters[] = {
      "userPrincipalName eq 'USER1@contoso.com'",
      "userPrincipalName eq 'user2@contoso.com'",  // removed
      "userPrincipalName in ('user1@contoso.com', 'user5@contoso.com', 'nobody@x.com')",
      "mail eq 'team@X.com'",
      "mail eq 'team@x.com' and jobTitle eq 'A'",
      "mail eq 'team@x.com' or mail eq 'user8@x.com'",
      "id eq '" + ids[4] + "'",
      "id in ('" + ids[7] + "', '" + ids[1] + "') and accountEnabled eq true",
      "(userPrincipalName eq 'user9@contoso.com' or userPrincipalName eq 'user10@contoso.com')"
      " and startswith(displayName,'User 1')",
  };
  auto encode = [](const std::string& text) { return httplib::detail::encode_query_param(text); };
  for (const std::string& f : filters) {
    const std::string scan = "(" + f + ") or startswith(displayName,'~')";
    // An indexed read decodes only the attributes that the $select and the filter read.
    for (const char* select : {"", "$select=id&", "$select=accountEnabled,businessPhones&",
                               "$select=displayName,onPremisesExtensionAttributes&"}) {
      for (const char* top : {"1", "2", "100"}) {
        std::string base =
            std::string("/tenants/contoso/v1.0/users?") + select + "$top=" + top + "&$filter=";
        int indexed_pages = 0, scanned_pages = 0;
        auto indexed = all_pages(base + encode(f), &indexed_pages);
        auto scanned = all_pages(base + encode(scan), &scanned_pages);
        EXPECT_EQ(json(indexed), json(scanned)) << f << " " << select << "$top=" << top;
        EXPECT_EQ(indexed_pages, scanned_pages) << f << " " << select << "$top=" << top;
      }
    }
    const httplib::Headers eventual = {{"ConsistencyLevel", "eventual"}};
    json a =
        get_json("/tenants/contoso/v1.0/users?$count=true&$top=1&$filter=" + encode(f), eventual);
    json b = get_json("/tenants/contoso/v1.0/users?$count=true&$top=1&$filter=" + encode(scan),
                      eventual);
    EXPECT_EQ(a["@odata.count"], b["@odata.count"]) << f;
    EXPECT_EQ(a["value"], b["value"]) << f;
  }
  // Sanity: the shared mail finds the four live contoso users that have it.
  EXPECT_EQ(
      all_pages("/tenants/contoso/v1.0/users?$filter=" + encode("mail eq 'TEAM@x.com'")).size(),
      4u);
}

TEST_F(GraphTest, GetsOneUserByIdOrPrincipalName) {
  std::string adele = add_user("contoso", "adele@contoso.com", {"displayName=Adele Vance"});
  std::string gone = add_user("contoso", "gone@contoso.com");
  ASSERT_EQ(cli({"directory", "user", "delete", "--tenant", "contoso", "gone@contoso.com"}), 0);
  std::string eve = add_user("fabrikam", "eve@fabrikam.com");
  start();

  std::string base = "http://127.0.0.1:" + std::to_string(server_->port()) + "/tenants/contoso";
  json u = get_json("/tenants/contoso/v1.0/users/" + adele);
  EXPECT_EQ(u["@odata.context"], base + "/v1.0/$metadata#users/$entity");
  EXPECT_EQ(u["displayName"], "Adele Vance");
  EXPECT_EQ(u["id"], adele);
  u = get_json("/tenants/contoso/v1.0/users/ADELE@contoso.com?$select=id,accountEnabled");
  EXPECT_EQ(u, json::parse(R"({"@odata.context":")" + base +
                           R"(/v1.0/$metadata#users(id,accountEnabled)/$entity","id":")" + adele +
                           R"(","accountEnabled":true})"));

  for (std::string missing :
       {gone, std::string("gone@contoso.com"), eve, std::string("nobody@contoso.com")}) {
    json e = error_of("/tenants/contoso/v1.0/users/" + missing, 404, "",
                      {{"client-request-id", "my-request-7"}});
    EXPECT_EQ(e["code"], "Request_ResourceNotFound");
    EXPECT_EQ(e["message"], "Resource '" + missing +
                                "' does not exist or one of its queried reference-property "
                                "objects are not present.");
    EXPECT_EQ(e["innerError"]["client-request-id"], "my-request-7");
  }
}

TEST_F(GraphTest, MeIsTheSignedInPersonAndRefusesApps) {
  std::string adele = add_user("contoso", "adele@contoso.com", {"displayName=Adele Vance"});
  ASSERT_EQ(cli({"user", "password", "set", "--tenant", "contoso", "adele@contoso.com", "--role",
                 "user", "--password", "correct horse battery"}),
            0);
  ASSERT_EQ(cli({"user", "password", "set", "--tenant", "contoso", "nodir@contoso.com", "--role",
                 "user", "--password", "correct horse battery"}),
            0);
  start();
  std::string user_token = token("contoso", {{"grant_type", "password"},
                                             {"username", "adele@contoso.com"},
                                             {"password", "correct horse battery"}});
  auto r = get("/v1.0/me", user_token);  // the tenant comes from the token
  ASSERT_TRUE(r);
  ASSERT_EQ(r->status, 200) << r->body;
  json me = json::parse(r->body);
  EXPECT_EQ(me["id"], adele);
  EXPECT_EQ(me["displayName"], "Adele Vance");

  json e = error_of("/tenants/contoso/v1.0/me", 400);
  EXPECT_EQ(e["code"], "BadRequest");
  EXPECT_EQ(e["message"], "/me request is only valid with delegated authentication flow.");

  std::string other = token("contoso", {{"grant_type", "password"},
                                        {"username", "nodir@contoso.com"},
                                        {"password", "correct horse battery"}});
  e = error_of("/tenants/contoso/v1.0/me", 404, other);
  EXPECT_EQ(e["code"], "Request_ResourceNotFound");
}

TEST_F(GraphTest, CallersMustBeSignedInToTheTenant) {
  add_user("contoso", "adele@contoso.com");
  add_user("fabrikam", "eve@fabrikam.com");
  start();
  auto r = get("/tenants/contoso/v1.0/users", "");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 401);
  EXPECT_EQ(json::parse(r->body)["error"]["code"], "InvalidAuthenticationToken");
  EXPECT_FALSE(r->get_header_value("WWW-Authenticate").empty());

  std::string fabrikam = token("fabrikam", {{"grant_type", "client_credentials"}});
  for (const char* path : {"/tenants/contoso/v1.0/users", "/tenants/contoso/v1.0/users/delta",
                           "/tenants/contoso/v1.0/users/adele@contoso.com"}) {
    r = get(path, fabrikam);
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 401) << path << ": " << r->body;
    EXPECT_EQ(json::parse(r->body)["error"]["code"], "InvalidAuthenticationToken");
  }
  // Without a path prefix the token names the tenant: fabrikam sees only its own.
  r = get("/v1.0/users", fabrikam);
  ASSERT_TRUE(r);
  ASSERT_EQ(r->status, 200);
  EXPECT_EQ(upns(json::parse(r->body)["value"]), std::vector<std::string>{"eve@fabrikam.com"});

  r = get("/v1.0/users", "not.a.token");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 401);
}

// One delta round from `path`: every page until the deltaLink; returns the objects and sets
// the deltaLink's local path.
struct Round {
  std::vector<json> objects;
  std::string delta_path;
  int pages = 0;
};

TEST_F(GraphTest, DeltaReportsEachChangeOnceInItsLatestState) {
  std::map<std::string, std::string> id;  // upn → object id
  for (const char* u : {"a", "b", "c", "d", "e"}) {
    id[u] = add_user("contoso", std::string(u) + "@contoso.com",
                     {std::string("displayName=") + u, "givenName=G"});
  }
  start();
  httplib::Headers small = {{"Prefer", "odata.maxpagesize=2"}};
  auto round = [&](std::string path) {
    Round out;
    for (int n = 0; n < 50; ++n) {
      auto r = get(path, app_token_, small);
      EXPECT_TRUE(r && r->status == 200) << path << ": " << (r ? r->body : "");
      if (!r || r->status != 200) break;
      EXPECT_EQ(r->get_header_value("Preference-Applied"), "odata.maxpagesize=2");
      json page = json::parse(r->body);
      ++out.pages;
      for (auto& o : page["value"]) out.objects.push_back(o);
      if (page.contains("@odata.deltaLink")) {
        EXPECT_FALSE(page.contains("@odata.nextLink"));
        out.delta_path = local(page["@odata.deltaLink"]);
        EXPECT_NE(out.delta_path.find("/v1.0/users/delta?$deltatoken="), std::string::npos);
        break;
      }
      path = local(page["@odata.nextLink"]);
      EXPECT_NE(path.find("/v1.0/users/delta?$skiptoken="), std::string::npos);
    }
    return out;
  };

  // Round 1: all five, two per page, with the selected properties and the id.
  Round r1 = round("/tenants/contoso/v1.0/users/microsoft.graph.delta?$select=displayName");
  EXPECT_EQ(r1.pages, 3);
  ASSERT_EQ(r1.objects.size(), 5u);
  std::set<std::string> seen;
  for (const auto& o : r1.objects) {
    EXPECT_EQ(keys(o), (std::set<std::string>{"displayName", "id"})) << o;
    seen.insert(o["id"]);
  }
  EXPECT_EQ(seen.size(), 5u);

  // Between rounds: add f, change b, delete c, change d three times, and a change that stores
  // the same value (no change at all) on e.
  id["f"] = add_user("contoso", "f@contoso.com", {"displayName=f"});
  set_user("b@contoso.com", "displayName=B2");
  ASSERT_EQ(cli({"directory", "user", "delete", "--tenant", "contoso", "c@contoso.com"}), 0);
  set_user("d@contoso.com", "displayName=D1");
  set_user("d@contoso.com", "givenName=H");  // not selected, still a change of d
  set_user("d@contoso.com", "displayName=D3");
  set_user("e@contoso.com", "displayName=e");

  Round r2 = round(r1.delta_path);
  std::map<std::string, json> by_id;
  for (const auto& o : r2.objects) {
    EXPECT_EQ(by_id.count(o["id"]), 0u) << "reported twice: " << o;
    by_id[o["id"]] = o;
  }
  EXPECT_EQ(by_id.size(), 4u);
  EXPECT_EQ(by_id[id["f"]], json({{"displayName", "f"}, {"id", id["f"]}}));
  EXPECT_EQ(by_id[id["b"]], json({{"displayName", "B2"}, {"id", id["b"]}}));
  EXPECT_EQ(by_id[id["c"]], json({{"id", id["c"]}, {"@removed", {{"reason", "deleted"}}}}));
  EXPECT_EQ(by_id[id["d"]], json({{"displayName", "D3"}, {"id", id["d"]}}));

  // Round 3: nothing changed, one empty page; then one change.
  Round r3 = round(r2.delta_path);
  EXPECT_EQ(r3.pages, 1);
  EXPECT_TRUE(r3.objects.empty());
  set_user("a@contoso.com", "displayName=A!");
  Round r4 = round(r3.delta_path);
  ASSERT_EQ(r4.objects.size(), 1u);
  EXPECT_EQ(r4.objects[0], json({{"displayName", "A!"}, {"id", id["a"]}}));
  // A deltaLink may be used again: the same changes since its round.
  Round again = round(r3.delta_path);
  EXPECT_EQ(again.objects, r4.objects);
}

TEST_F(GraphTest, ChangesDuringTheFirstRoundComeInTheNext) {
  std::map<std::string, std::string> id;
  for (const char* u : {"a", "b", "c", "d"}) {
    id[u] = add_user("contoso", std::string(u) + "@contoso.com", {"displayName=old"});
  }
  start();
  httplib::Headers small = {{"Prefer", "odata.maxpagesize=2"}};
  auto r = get("/tenants/contoso/v1.0/users/delta?$select=displayName", app_token_, small);
  ASSERT_TRUE(r && r->status == 200);
  json page = json::parse(r->body);
  ASSERT_EQ(page["value"].size(), 2u);
  std::string seen = page["value"][0]["id"];
  std::string upn_seen;
  for (const auto& [u, i] : id) {
    if (i == seen) upn_seen = u + "@contoso.com";
  }
  // Mid-round: change a user already sent, and add one.
  set_user(upn_seen, "displayName=new");
  std::string added = add_user("contoso", "late@contoso.com", {"displayName=late"});
  std::vector<json> round1 = page["value"];
  std::string path = local(page["@odata.nextLink"]);
  std::string delta_path;
  for (int n = 0; n < 10 && delta_path.empty(); ++n) {
    r = get(path, app_token_, small);
    ASSERT_TRUE(r && r->status == 200) << (r ? r->body : "");
    page = json::parse(r->body);
    for (auto& o : page["value"]) round1.push_back(o);
    if (page.contains("@odata.deltaLink")) {
      delta_path = local(page["@odata.deltaLink"]);
    } else {
      path = local(page["@odata.nextLink"]);
    }
  }
  std::set<std::string> ids1;
  for (const auto& o : round1) ids1.insert(o["id"]);
  EXPECT_EQ(ids1.size(), round1.size());  // no user twice in a round
  EXPECT_GE(round1.size(), 4u);
  // The next round carries both mid-round changes, whatever round 1 happened to show.
  r = get(delta_path, app_token_);
  ASSERT_TRUE(r && r->status == 200);
  std::map<std::string, json> round2;
  json body = json::parse(r->body);
  for (const auto& o : body["value"]) round2[o["id"]] = o;
  EXPECT_EQ(round2.size(), 2u);
  EXPECT_EQ(round2[seen], json({{"displayName", "new"}, {"id", seen}}));
  EXPECT_EQ(round2[added], json({{"displayName", "late"}, {"id", added}}));
}

TEST_F(GraphTest, BadDeltaTokensAreRefusedAsGraphDoes) {
  add_user("contoso", "a@contoso.com");
  add_user("fabrikam", "eve@fabrikam.com");
  start();
  json first = get_json("/tenants/contoso/v1.0/users/delta");
  std::string link = local(first["@odata.deltaLink"]);
  std::string dtoken = link.substr(link.find("$deltatoken=") + 12);
  auto claims = json::parse(*base64url_decode(dtoken));

  const std::string delta = "/tenants/contoso/v1.0/users/delta?";
  json e = error_of(delta + "$deltatoken=@@@", 400);
  EXPECT_EQ(e["code"], "Request_BadRequest");
  EXPECT_NE(e["message"].get<std::string>().find("$deltatoken is not valid"), std::string::npos);
  e = error_of(delta + "$deltatoken=" + base64url_encode("[1,2]"), 400);
  EXPECT_EQ(e["code"], "Request_BadRequest");
  e = error_of(delta + "$skiptoken=" + dtoken, 400);  // a deltatoken is no skiptoken
  EXPECT_NE(e["message"].get<std::string>().find("not a token of this kind"), std::string::npos);

  json broken = claims;
  broken["s"] = "seven";
  e = error_of(delta + "$deltatoken=" + base64url_encode(broken.dump()), 400);
  EXPECT_NE(e["message"].get<std::string>().find("missing or of the wrong type"),
            std::string::npos);

  json foreign = claims;
  foreign["t"] = "fabrikam";
  e = error_of(delta + "$deltatoken=" + base64url_encode(foreign.dump()), 400);
  EXPECT_EQ(e["message"], "The $deltatoken was issued for another tenant, not 'contoso'.");

  // fabrikam's own deltaLink, brought to contoso.
  std::string fabrikam = token("fabrikam", {{"grant_type", "client_credentials"}});
  auto fr = get("/v1.0/users/delta", fabrikam);
  ASSERT_TRUE(fr);
  std::string flink = json::parse(fr->body)["@odata.deltaLink"];
  e = error_of(delta + flink.substr(flink.find("$deltatoken=")), 400);
  EXPECT_EQ(e["message"], "The $deltatoken was issued for another tenant, not 'contoso'.");

  json future = claims;
  future["s"] = claims["s"].get<int64_t>() + 1000;
  e = error_of(delta + "$deltatoken=" + base64url_encode(future.dump()), 410);
  EXPECT_EQ(e["code"], "syncStateNotFound");

  e = error_of(delta + "$filter=id%20eq%20%27x%27", 400);
  EXPECT_EQ(e["code"], "Request_UnsupportedQuery");
  e = error_of("/tenants/contoso/v1.0/users/delta?$select=nope", 400);
  EXPECT_EQ(e["code"], "Request_BadRequest");

  // "latest": no users, a deltaLink from now on.
  json latest = get_json(delta + "$deltatoken=latest");
  EXPECT_TRUE(latest["value"].empty());
  add_user("contoso", "new@contoso.com");
  json next = get_json(local(latest["@odata.deltaLink"]));
  ASSERT_EQ(next["value"].size(), 1u);
  EXPECT_EQ(next["value"][0]["userPrincipalName"], "new@contoso.com");
}

// ---- Groups ----

std::string guid_b64(int n) {
  std::string bytes(16, '\0');
  bytes[0] = static_cast<char>(n);
  bytes[15] = static_cast<char>(0x6B);
  return base64_encode(bytes);
}

// An AD export: Adele and Bob; Sales holds Adele and Leads; Leads holds Bob and Sales (a
// cycle); Team 1..5 for paging.
std::string group_ldif() {
  auto user = [](int n, const std::string& cn, const std::string& upn) {
    return "dn: CN=" + cn +
           ",OU=Staff,DC=contoso,DC=com\nobjectClass: user\nobjectGUID:: " + guid_b64(n) +
           "\nuserPrincipalName: " + upn + "\ndisplayName: " + cn + "\n\n";
  };
  auto group = [](int n, const std::string& cn, const std::vector<std::string>& members,
                  const std::string& extra) {
    std::string e = "dn: CN=" + cn + ",OU=Groups,DC=contoso,DC=com\nobjectClass: group\ncn: " + cn +
                    "\nobjectGUID:: " + guid_b64(n) + "\ngroupType: -2147483646\n" + extra;
    for (const auto& m : members) e += "member: " + m + "\n";
    return e + "\n";
  };
  std::string out =
      user(1, "Adele", "adele@contoso.com") + user(2, "Bob", "bob@contoso.com") +
      group(10, "Sales",
            {"CN=Adele,OU=Staff,DC=contoso,DC=com", "CN=Leads,OU=Groups,DC=contoso,DC=com"},
            "mail: sales@contoso.com\nmailNickname: sales\ndescription: Sellers\n") +
      group(11, "Leads",
            {"CN=Bob,OU=Staff,DC=contoso,DC=com", "CN=Sales,OU=Groups,DC=contoso,DC=com"}, "");
  for (int i = 1; i <= 5; ++i) out += group(20 + i, "Team " + std::to_string(i), {}, "");
  return out;
}

std::vector<std::string> names_of(const json& value) {
  std::vector<std::string> out;
  for (const auto& o : value) {
    out.push_back(o.contains("userPrincipalName") ? o["userPrincipalName"] : o["displayName"]);
  }
  std::sort(out.begin(), out.end());
  return out;
}

class GraphGroupTest : public GraphTest {
 protected:
  void SetUp() override {
    GraphTest::SetUp();
    const std::string file = dir_.str() + "/groups.ldif";
    write_file(file, group_ldif());
    ASSERT_EQ(cli({"sync", "ldif", "--tenant", "contoso", file}), 0);
    start();
    json page = get_json("/tenants/contoso/v1.0/groups?$filter=displayName%20eq%20%27Sales%27");
    ASSERT_EQ(page["value"].size(), 1u) << page.dump();
    sales_ = page["value"][0]["id"];
    page = get_json("/tenants/contoso/v1.0/groups?$filter=displayName%20eq%20%27Leads%27");
    ASSERT_EQ(page["value"].size(), 1u) << page.dump();
    leads_ = page["value"][0]["id"];
  }
  std::string sales_, leads_;
};

TEST_F(GraphGroupTest, ListsGroupsWithSelectFilterPagingAndCount) {
  json page = get_json("/tenants/contoso/v1.0/groups");
  std::string base = "http://127.0.0.1:" + std::to_string(server_->port()) + "/tenants/contoso";
  EXPECT_EQ(page["@odata.context"], base + "/v1.0/$metadata#groups");
  ASSERT_EQ(page["value"].size(), 7u);
  json sales = json::parse(R"({"id":")" + sales_ + R"(","deletedDateTime":null,
    "classification":null,"createdDateTime":null,"description":"Sellers","displayName":"Sales",
    "groupTypes":[],"mail":"sales@contoso.com","mailEnabled":true,"mailNickname":"sales",
    "onPremisesSamAccountName":null,"onPremisesSecurityIdentifier":null,
    "onPremisesSyncEnabled":true,"proxyAddresses":[],"securityEnabled":true,"visibility":null})");
  bool found = false;
  for (const auto& g : page["value"]) {
    if (g["id"] == sales_) {
      EXPECT_EQ(g, sales);
      found = true;
    }
  }
  EXPECT_TRUE(found);

  page = get_json(
      "/tenants/contoso/v1.0/"
      "groups?$select=id,displayName&$filter=startswith(displayName,%27Team%27)");
  EXPECT_EQ(page["@odata.context"], base + "/v1.0/$metadata#groups(id,displayName)");
  ASSERT_EQ(page["value"].size(), 5u);
  EXPECT_EQ(keys(page["value"][0]), (std::set<std::string>{"id", "displayName"}));
  for (const char* f : {"mail%20eq%20%27SALES@contoso.com%27", "mailNickname%20eq%20%27sales%27",
                        "startswith(mail,%27sal%27)"}) {
    page = get_json(std::string("/tenants/contoso/v1.0/groups?$filter=") + f);
    ASSERT_EQ(page["value"].size(), 1u) << f;
    EXPECT_EQ(page["value"][0]["id"], sales_) << f;
  }

  // Paging by absolute nextLinks: every group once, in object id order; $count with the header.
  std::vector<std::string> ids;
  int pages = 0;
  std::string path = "/tenants/contoso/v1.0/groups?$top=2&$count=true";
  for (; pages < 10; ++pages) {
    page = get_json(path, {{"ConsistencyLevel", "eventual"}});
    EXPECT_EQ(page["@odata.count"], 7);
    for (const auto& g : page["value"]) ids.push_back(g["id"]);
    if (!page.contains("@odata.nextLink")) break;
    path = local(page["@odata.nextLink"]);
  }
  EXPECT_EQ(pages, 3);
  EXPECT_EQ(ids.size(), 7u);
  EXPECT_TRUE(std::is_sorted(ids.begin(), ids.end()));
  EXPECT_EQ(std::set<std::string>(ids.begin(), ids.end()).size(), 7u);

  json e = error_of("/tenants/contoso/v1.0/groups?$count=true", 400);
  EXPECT_EQ(e["code"], "Request_UnsupportedQuery");
  e = error_of("/tenants/contoso/v1.0/groups?$select=favouriteColour", 400);
  EXPECT_EQ(e["message"],
            "Could not find a property named 'favouriteColour' on type 'microsoft.graph.group'.");
  e = error_of("/tenants/contoso/v1.0/groups?$filter=surname%20eq%20%27x%27", 400);
  EXPECT_EQ(e["code"], "Request_UnsupportedQuery");
  e = error_of("/tenants/contoso/v1.0/groups?$top=0", 400);
  EXPECT_EQ(e["code"], "Request_UnsupportedQuery");
}

TEST_F(GraphGroupTest, OneGroupItsMembersTransitiveMembersAndAUsersGroups) {
  json g = get_json("/tenants/contoso/v1.0/groups/" + sales_ + "?$select=displayName,mail");
  EXPECT_EQ(g["displayName"], "Sales");
  EXPECT_EQ(g["mail"], "sales@contoso.com");
  EXPECT_NE(
      g["@odata.context"].get<std::string>().find("$metadata#groups(displayName,mail)/$entity"),
      std::string::npos);

  json members = get_json("/tenants/contoso/v1.0/groups/" + sales_ + "/members");
  EXPECT_NE(members["@odata.context"].get<std::string>().find("$metadata#directoryObjects"),
            std::string::npos);
  ASSERT_EQ(members["value"].size(), 2u);
  EXPECT_EQ(names_of(members["value"]), (std::vector<std::string>{"Leads", "adele@contoso.com"}));
  for (const auto& m : members["value"]) {
    EXPECT_EQ(m["@odata.type"],
              m.contains("userPrincipalName") ? "#microsoft.graph.user" : "#microsoft.graph.group");
  }
  // Through Leads (and back round the cycle): Bob comes in; Sales itself does not.
  json transitive = get_json("/tenants/contoso/v1.0/groups/" + sales_ + "/transitiveMembers");
  EXPECT_EQ(names_of(transitive["value"]),
            (std::vector<std::string>{"Leads", "adele@contoso.com", "bob@contoso.com"}));
  // $select on a mixed collection, paging by $top.
  json page = get_json("/tenants/contoso/v1.0/groups/" + sales_ +
                       "/transitiveMembers?$select=id,userPrincipalName&$top=2");
  ASSERT_EQ(page["value"].size(), 2u);
  ASSERT_TRUE(page.contains("@odata.nextLink"));
  json rest = get_json(local(page["@odata.nextLink"]));
  ASSERT_EQ(rest["value"].size(), 1u);
  for (const auto& m : page["value"]) EXPECT_FALSE(m.contains("displayName")) << m;

  json of = get_json("/tenants/contoso/v1.0/users/bob@contoso.com/memberOf");
  ASSERT_EQ(of["value"].size(), 1u);
  EXPECT_EQ(of["value"][0]["@odata.type"], "#microsoft.graph.group");
  EXPECT_EQ(of["value"][0]["id"], leads_);

  for (const char* path :
       {"/tenants/contoso/v1.0/groups/00000000-0000-0000-0000-000000000000",
        "/tenants/contoso/v1.0/groups/not-a-guid/members",
        "/tenants/contoso/v1.0/groups/00000000-0000-0000-0000-000000000000/transitiveMembers",
        "/tenants/contoso/v1.0/users/nobody@contoso.com/memberOf"}) {
    json e = error_of(path, 404);
    EXPECT_EQ(e["code"], "Request_ResourceNotFound") << path;
  }
  json e = error_of(
      "/tenants/contoso/v1.0/groups/" + sales_ + "/members?$filter=displayName%20eq%20%27x%27",
      400);
  EXPECT_EQ(e["code"], "Request_UnsupportedQuery");
  // Another tenant does not see contoso's groups.
  std::string fabrikam = token("fabrikam", {{"grant_type", "client_credentials"}});
  auto r = get("/tenants/fabrikam/v1.0/groups/" + sales_, fabrikam);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 404);
}

TEST_F(GraphGroupTest, ADeletedMemberLeavesTheGroupOverHttp) {
  ASSERT_EQ(cli({"directory", "user", "delete", "--tenant", "contoso", "adele@contoso.com"}), 0);
  json members = get_json("/tenants/contoso/v1.0/groups/" + sales_ + "/members");
  EXPECT_EQ(names_of(members["value"]), (std::vector<std::string>{"Leads"}));
}

}  // namespace
}  // namespace upsync
