// The Graph-compatible users API (src/http/graph_routes.h) against the real `upsync serve`:
// users edited with the CLI, read over HTTP with app and user tokens from the token endpoint.
// Delta queries are in graph_delta_test.cpp, groups in graph_group_test.cpp.
#include <gtest/gtest.h>
#include <httplib.h>

#include "http/graph_fixture.h"

namespace upsync {
namespace {

using nlohmann::json;
using upsync::testing::GraphTest;
using upsync::testing::keys;
using upsync::testing::upns;
using upsync::testing::write_file;

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

}  // namespace
}  // namespace upsync
