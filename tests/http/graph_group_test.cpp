// Graph's groups (src/http/graph_group.h) against the real `upsync serve`: groups synced from
// an LDIF file, listed, read with their members and transitive members, and a user's groups.
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
