// The org chart, memberships, $count and advanced queries of the Graph API
// (src/http/graph_org.h, graph_query.h) against the real `upsync serve`: an AD export synced
// from LDIF, read over HTTP with app and user tokens from the token endpoint.
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

const std::string kBase = "/tenants/contoso/v1.0";
const httplib::Headers kEventual = {{"ConsistencyLevel", "eventual"}};

std::string guid_b64(int n) {
  std::string bytes(16, '\0');
  bytes[0] = static_cast<char>(n);
  bytes[15] = static_cast<char>(0x6B);
  return base64_encode(bytes);
}

// Megan leads Adele and Alex; Adele leads Bob; Carol has no manager. Sales (security) holds
// Adele and Leads; Leads (security) holds Bob; News (a distribution list) holds Bob.
// `changed`: Alex replaces Bob in Leads, and News is gone.
std::string org_ldif(bool changed = false) {
  auto user = [](int n, const std::string& cn, const std::string& upn, const std::string& extra) {
    return "dn: CN=" + cn +
           ",OU=Staff,DC=contoso,DC=com\nobjectClass: user\nobjectGUID:: " + guid_b64(n) +
           "\nuserPrincipalName: " + upn + "\nmail: " + upn + "\ndisplayName: " + cn + "\n" +
           extra + "\n";
  };
  auto group = [](int n, const std::string& cn, const std::string& type,
                  const std::vector<std::string>& members) {
    std::string e = "dn: CN=" + cn + ",OU=Groups,DC=contoso,DC=com\nobjectClass: group\ncn: " + cn +
                    "\nobjectGUID:: " + guid_b64(n) + "\ngroupType: " + type + "\n";
    for (const auto& m : members) e += "member: CN=" + m + "\n";
    return e + "\n";
  };
  return user(1, "Megan Bowen", "megan@contoso.com", "") +
         user(2, "Adele Vance", "adele@contoso.com",
              "manager: CN=Megan Bowen,OU=Staff,DC=contoso,DC=com\n"
              "proxyAddresses: SMTP:adele@contoso.com\nproxyAddresses: "
              "smtp:av@sales.contoso.com\n") +
         user(3, "Alex Wilber", "alex@contoso.com",
              "manager: CN=Megan Bowen,OU=Staff,DC=contoso,DC=com\n") +
         user(4, "Bob OneVideo", "bob@contoso.com",
              "manager: CN=Adele Vance,OU=Staff,DC=contoso,DC=com\n") +
         user(5, "Carol Zed", "carol@fabrikam.example", "") +
         group(10, "Sales", "-2147483646",
               {"Adele Vance,OU=Staff,DC=contoso,DC=com", "Leads,OU=Groups,DC=contoso,DC=com"}) +
         (changed ? group(11, "Leads", "-2147483646", {"Alex Wilber,OU=Staff,DC=contoso,DC=com"})
                  : group(11, "Leads", "-2147483646", {"Bob OneVideo,OU=Staff,DC=contoso,DC=com"}) +
                        group(12, "News", "2", {"Bob OneVideo,OU=Staff,DC=contoso,DC=com"}));
}

class GraphOrgTest : public ::testing::Test {
 protected:
  void SetUp() override {
    made_.fill(dir_.path(), [&] { make_folder(); });
    if (HasFatalFailure()) return;
    start_server();
  }
  void make_folder() {
    ASSERT_EQ(cli({"tenant", "create", "contoso"}), 0);
    auto app = json::parse(run_output(
        {"--data-dir", data(), "--json", "app", "add", "--tenant", "contoso", "org-test"}));
    client_id_ = app["clientId"];
    secret_ = app["clientSecret"];
    const std::string file = dir_.str() + "/org.ldif";
    write_file(file, org_ldif());
    ASSERT_EQ(cli({"sync", "ldif", "--tenant", "contoso", file}), 0);
    for (const char* upn : {"bob@contoso.com", "megan@contoso.com"}) {
      ASSERT_EQ(cli({"user", "password", "set", "--tenant", "contoso", upn, "--role", "user",
                     "--password", "correct horse battery"}),
                0);
    }
  }
  void start_server() {
    server_ = std::make_unique<Server>(dir_);
    ASSERT_GT(server_->port(), 0);
    http_ = std::make_unique<httplib::Client>("127.0.0.1", server_->port());
    app_token_ = token({{"grant_type", "client_credentials"}, {"client_secret", secret_}});
    bob_token_ = person_token("bob@contoso.com");
    for (const char* name : {"megan", "adele", "alex", "bob"}) {
      ids_[name] = get_json(kBase + "/users/" + name + "@contoso.com")["id"];
    }
    ids_["carol"] = get_json(kBase + "/users/carol@fabrikam.example")["id"];
    for (const char* name : {"Sales", "Leads", "News"}) {
      json page = get_json(kBase + "/groups?$filter=displayName%20eq%20%27" + name + "%27");
      ASSERT_EQ(page["value"].size(), 1u);
      ids_[name] = page["value"][0]["id"];
    }
  }

  std::string data() const { return dir_.str() + "/data"; }
  int cli(std::vector<std::string> args) {
    args.insert(args.begin(), {"--data-dir", data()});
    return run(args);
  }
  std::string token(httplib::Params form) {
    form.emplace("client_id", client_id_);
    form.emplace("scope", "https://graph.microsoft.com/.default");
    auto r = http_->Post("/contoso/oauth2/v2.0/token", form);
    EXPECT_TRUE(r && r->status == 200) << (r ? r->body : "no answer");
    return r && r->status == 200 ? json::parse(r->body)["access_token"].get<std::string>() : "";
  }
  std::string person_token(const std::string& upn) {
    return token(
        {{"grant_type", "password"}, {"username", upn}, {"password", "correct horse battery"}});
  }
  httplib::Result get(const std::string& path, const std::string& token,
                      httplib::Headers headers = {}) {
    headers.emplace("Authorization", "Bearer " + token);
    return http_->Get(path.c_str(), headers);
  }
  json get_json(const std::string& path, httplib::Headers headers = {}, std::string tok = "") {
    auto r = get(path, tok.empty() ? app_token_ : tok, std::move(headers));
    EXPECT_TRUE(r) << path;
    if (!r) return json();
    EXPECT_EQ(r->status, 200) << path << ": " << r->body;
    return json::parse(r->body, nullptr, false);
  }
  json error_of(const std::string& path, int status, httplib::Headers headers = {},
                std::string tok = "") {
    auto r = get(path, tok.empty() ? app_token_ : tok, std::move(headers));
    EXPECT_TRUE(r) << path;
    if (!r) return json();
    EXPECT_EQ(r->status, status) << path << ": " << r->body;
    json j = json::parse(r->body, nullptr, false);
    EXPECT_TRUE(j.contains("error")) << r->body;
    return j.contains("error") ? j["error"] : json();
  }
  httplib::Result post(const std::string& path, const std::string& body, std::string tok = "") {
    httplib::Headers h = {{"Authorization", "Bearer " + (tok.empty() ? app_token_ : tok)}};
    return http_->Post(path.c_str(), h, body, "application/json");
  }
  std::string local(const std::string& link) {
    const std::string origin = "http://127.0.0.1:" + std::to_string(server_->port());
    EXPECT_EQ(link.rfind(origin, 0), 0u) << link;
    return link.substr(origin.size());
  }
  std::vector<std::string> ids_of(const json& value) {
    std::vector<std::string> out;
    for (const auto& o : value) out.push_back(o["id"]);
    std::sort(out.begin(), out.end());
    return out;
  }
  std::vector<std::string> ids(std::vector<std::string> names) {
    std::vector<std::string> out;
    for (const auto& n : names) out.push_back(ids_[n]);
    std::sort(out.begin(), out.end());
    return out;
  }

  TempDir dir_;
  static inline upsync::testing::FolderTemplate made_;
  static inline std::string client_id_, secret_;
  std::unique_ptr<Server> server_;
  std::unique_ptr<httplib::Client> http_;
  std::string app_token_, bob_token_;
  std::map<std::string, std::string> ids_;
};

TEST_F(GraphOrgTest, ManagerAndDirectReportsOfAUserAndOfMe) {
  json m = get_json(kBase + "/users/adele@contoso.com/manager");
  EXPECT_EQ(m["@odata.type"], "#microsoft.graph.user");
  EXPECT_EQ(m["id"], ids_["megan"]);
  EXPECT_EQ(m["displayName"], "Megan Bowen");
  EXPECT_NE(m["@odata.context"].get<std::string>().find("$metadata#directoryObjects/$entity"),
            std::string::npos);
  m = get_json(kBase + "/users/" + ids_["bob"] + "/manager?$select=id,mail");
  EXPECT_EQ(m.size(), 4u) << m;  // context, type, id, mail
  EXPECT_EQ(m["mail"], "adele@contoso.com");

  // No manager: Graph's 404.
  json e = error_of(kBase + "/users/megan@contoso.com/manager", 404);
  EXPECT_EQ(e["code"], "Request_ResourceNotFound");
  EXPECT_EQ(e["message"],
            "Resource 'manager' does not exist or one of its queried reference-property objects "
            "are not present.");
  e = error_of(kBase + "/users/nobody@contoso.com/manager", 404);
  EXPECT_EQ(e["code"], "Request_ResourceNotFound");

  json reports = get_json(kBase + "/users/megan@contoso.com/directReports");
  EXPECT_EQ(ids_of(reports["value"]), ids({"adele", "alex"}));
  for (const auto& r : reports["value"]) EXPECT_EQ(r["@odata.type"], "#microsoft.graph.user");
  json page = get_json(kBase + "/users/megan@contoso.com/directReports?$top=1&$select=id");
  ASSERT_EQ(page["value"].size(), 1u);
  ASSERT_TRUE(page.contains("@odata.nextLink"));
  json rest = get_json(local(page["@odata.nextLink"]));
  EXPECT_EQ(rest["value"].size(), 1u);
  EXPECT_TRUE(get_json(kBase + "/users/carol@fabrikam.example/directReports")["value"].empty());

  // /me for a person; apps have no /me.
  EXPECT_EQ(get_json("/v1.0/me/manager", {}, bob_token_)["id"], ids_["adele"]);
  EXPECT_TRUE(get_json("/v1.0/me/directReports", {}, bob_token_)["value"].empty());
  EXPECT_EQ(
      ids_of(get_json("/v1.0/me/directReports", {}, person_token("megan@contoso.com"))["value"]),
      ids({"adele", "alex"}));
  e = error_of(kBase + "/me/manager", 400);
  EXPECT_EQ(e["message"], "/me request is only valid with delegated authentication flow.");

  // Options the routes do not apply are refused.
  e = error_of(kBase + "/users/bob@contoso.com/manager?$top=1", 400);
  EXPECT_EQ(e["code"], "Request_UnsupportedQuery");
  e = error_of(kBase + "/users/megan@contoso.com/directReports?$orderby=displayName", 400);
  EXPECT_EQ(e["code"], "Request_UnsupportedQuery");
}

TEST_F(GraphOrgTest, ExpandManagerAndDirectReports) {
  json u = get_json(kBase + "/users/bob@contoso.com?$expand=manager");
  ASSERT_TRUE(u.contains("manager")) << u;
  EXPECT_EQ(u["manager"]["id"], ids_["adele"]);
  EXPECT_EQ(u["manager"]["@odata.type"], "#microsoft.graph.user");
  EXPECT_EQ(u["displayName"], "Bob OneVideo");

  u = get_json(kBase + "/users/bob@contoso.com?$select=id&$expand=manager($select=id,displayName)");
  EXPECT_EQ(u["manager"], json({{"@odata.type", "#microsoft.graph.user"},
                                {"id", ids_["adele"]},
                                {"displayName", "Adele Vance"}}));
  // Graph leaves out a manager that is not there.
  u = get_json(kBase + "/users/megan@contoso.com?$expand=manager");
  EXPECT_FALSE(u.contains("manager"));
  u = get_json(kBase + "/users/megan@contoso.com?$expand=directReports($select=id)");
  EXPECT_EQ(ids_of(u["directReports"]), ids({"adele", "alex"}));
  u = get_json("/v1.0/me?$expand=manager($select=id)", {}, bob_token_);
  EXPECT_EQ(u["manager"]["id"], ids_["adele"]);

  // On the list, each user with its manager; paging keeps the $expand.
  json page = get_json(kBase + "/users?$select=id&$expand=manager($select=id)&$top=2");
  std::map<std::string, std::string> managers;
  for (int n = 0; n < 5; ++n) {
    for (const auto& v : page["value"]) {
      managers[v["id"]] = v.contains("manager") ? v["manager"]["id"].get<std::string>() : "";
    }
    if (!page.contains("@odata.nextLink")) break;
    page = get_json(local(page["@odata.nextLink"]));
  }
  EXPECT_EQ(managers.size(), 5u);
  EXPECT_EQ(managers[ids_["bob"]], ids_["adele"]);
  EXPECT_EQ(managers[ids_["alex"]], ids_["megan"]);
  EXPECT_EQ(managers[ids_["megan"]], "");

  for (const char* bad : {"memberOf", "manager,directReports", "manager($filter=id%20eq%20%27x%27)",
                          "manager($levels=max)"}) {
    json e = error_of(kBase + "/users/bob@contoso.com?$expand=" + bad, 400);
    EXPECT_EQ(e["code"], "Request_UnsupportedQuery") << bad;
  }
  json e = error_of(kBase + "/users/bob@contoso.com?$expand=manager($select=colour)", 400);
  EXPECT_NE(e["message"].get<std::string>().find("colour"), std::string::npos);
  e = error_of(kBase + "/groups?$expand=members", 400);
  EXPECT_EQ(e["code"], "Request_UnsupportedQuery");
}

TEST_F(GraphOrgTest, MembershipsDirectTransitiveAndChecked) {
  json of = get_json("/v1.0/me/memberOf", {}, bob_token_);
  EXPECT_EQ(ids_of(of["value"]), ids({"Leads", "News"}));
  json t = get_json("/v1.0/me/transitiveMemberOf", {}, bob_token_);
  EXPECT_EQ(ids_of(t["value"]), ids({"Leads", "News", "Sales"}));
  for (const auto& g : t["value"]) EXPECT_EQ(g["@odata.type"], "#microsoft.graph.group");
  t = get_json(kBase + "/users/bob@contoso.com/transitiveMemberOf?$select=displayName");
  EXPECT_EQ(t["value"].size(), 3u);
  EXPECT_EQ(t["value"][0].size(), 2u);  // @odata.type and displayName
  EXPECT_TRUE(get_json(kBase + "/users/megan@contoso.com/transitiveMemberOf")["value"].empty());

  auto r = post(
      kBase + "/users/bob@contoso.com/checkMemberGroups",
      json({{"groupIds", {ids_["Sales"], ids_["Sales"], "00000000-0000-0000-0000-000000000001"}}})
          .dump());
  ASSERT_TRUE(r);
  ASSERT_EQ(r->status, 200) << r->body;
  json body = json::parse(r->body);
  EXPECT_NE(body["@odata.context"].get<std::string>().find("$metadata#Collection(Edm.String)"),
            std::string::npos);
  EXPECT_EQ(body["value"], json({ids_["Sales"]}));

  r = post("/v1.0/me/getMemberGroups", R"({"securityEnabledOnly":true})", bob_token_);
  ASSERT_TRUE(r);
  ASSERT_EQ(r->status, 200) << r->body;
  std::vector<std::string> got = json::parse(r->body)["value"];
  EXPECT_EQ(got, ids({"Leads", "Sales"}));
  r = post("/v1.0/me/getMemberGroups", R"({"securityEnabledOnly":false})", bob_token_);
  got = json::parse(r->body)["value"].get<std::vector<std::string>>();
  EXPECT_EQ(got, ids({"Leads", "News", "Sales"}));
  r = post(kBase + "/groups/" + ids_["Leads"] + "/getMemberGroups",
           R"({"securityEnabledOnly":true})");
  EXPECT_EQ(json::parse(r->body)["value"], json({ids_["Sales"]}));

  // Bad bodies, unknown objects and apps on /me.
  std::vector<std::string> too_many(21, ids_["Sales"]);
  for (const std::string& bad :
       {std::string("{}"), std::string(R"({"groupIds":"x"})"),
        std::string(R"({"groupIds":["not-a-guid"]})"), std::string(R"({"groupIds":[]})"),
        json({{"groupIds", too_many}}).dump(), std::string("{")}) {
    r = post(kBase + "/users/bob@contoso.com/checkMemberGroups", bad);
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 400) << bad << ": " << r->body;
  }
  r = post(kBase + "/users/bob@contoso.com/getMemberGroups", R"({"securityEnabledOnly":"yes"})");
  EXPECT_EQ(r->status, 400);
  r = post(kBase + "/users/nobody@contoso.com/getMemberGroups", R"({"securityEnabledOnly":true})");
  EXPECT_EQ(r->status, 404);
  r = post(kBase + "/me/getMemberGroups", R"({"securityEnabledOnly":true})");
  EXPECT_EQ(r->status, 400);
}

TEST_F(GraphOrgTest, CountNeedsTheHeaderAsGraph) {
  auto r = get(kBase + "/users/$count", app_token_, kEventual);
  ASSERT_TRUE(r);
  ASSERT_EQ(r->status, 200) << r->body;
  EXPECT_EQ(r->body, "5");
  EXPECT_NE(r->get_header_value("Content-Type").find("text/plain"), std::string::npos);
  r = get(kBase + "/groups/$count", app_token_, kEventual);
  EXPECT_EQ(r->body, "3");
  r = get(kBase + "/users/$count?$filter=endswith(mail,%27@contoso.com%27)", app_token_, kEventual);
  EXPECT_EQ(r->body, "4");
  r = get(kBase + "/users/$count?$search=%22displayName:video%22", app_token_, kEventual);
  EXPECT_EQ(r->body, "1");

  json e = error_of(kBase + "/users/$count", 400);
  EXPECT_EQ(e["code"], "Request_BadRequest");
  EXPECT_EQ(e["message"], "$count is not currently supported.");
  e = error_of(kBase + "/groups/$count?$top=1", 400, kEventual);
  EXPECT_EQ(e["code"], "Request_UnsupportedQuery");

  json page = get_json(kBase + "/users?$count=true&$top=2", kEventual);
  EXPECT_EQ(page["@odata.count"], 5);
  EXPECT_EQ(page["value"].size(), 2u);
}

TEST_F(GraphOrgTest, SearchTokenizesAsGraphAndNeedsTheHeader) {
  auto names = [&](const std::string& query) {
    json page = get_json(kBase + "/users?$select=displayName&" + query, kEventual);
    std::vector<std::string> out;
    for (const auto& u : page["value"]) out.push_back(u["displayName"]);
    std::sort(out.begin(), out.end());
    return out;
  };
  using V = std::vector<std::string>;
  EXPECT_EQ(names("$search=%22displayName:ade%22"), V({"Adele Vance"}));
  // "OneVideo" is two tokens: "video" starts the second.
  EXPECT_EQ(names("$search=%22displayName:video%22"), V({"Bob OneVideo"}));
  EXPECT_EQ(names("$search=%22displayName:ideo%22"), V());
  EXPECT_EQ(names("$search=%22displayName:wil%22%20OR%20%22displayName:zed%22"),
            V({"Alex Wilber", "Carol Zed"}));
  EXPECT_EQ(names("$search=%22displayName:a%22%20AND%20%22mail:alex%22"), V({"Alex Wilber"}));
  // mail and userPrincipalName: startswith of the whole value.
  EXPECT_EQ(names("$search=%22mail:carol@fab%22"), V({"Carol Zed"}));
  EXPECT_EQ(names("$search=%22mail:fabrikam%22"), V());

  json e = error_of(kBase + "/users?$search=%22displayName:ade%22", 400);
  EXPECT_EQ(e["code"], "Request_UnsupportedQuery");
  EXPECT_EQ(e["message"],
            "Request with $search query parameter only works through MSGraph with a special "
            "request header: 'ConsistencyLevel: eventual'");
  e = error_of(kBase + "/users?$search=displayName:ade", 400, kEventual);
  EXPECT_EQ(e["code"], "BadRequest");
  EXPECT_EQ(e["message"],
            "Syntax error: character ':' is not valid at position 11 in 'displayName:ade'.");
  for (const char* bad : {"%22ade%22", "%22colour:red%22", "%22displayName:ade",
                          "%22displayName:a%22%20XOR%20%22mail:b%22", "%22displayName:%20%22"}) {
    e = error_of(kBase + "/users?$search=" + bad, 400, kEventual);
    EXPECT_TRUE(e["code"] == "BadRequest" || e["code"] == "Request_UnsupportedQuery") << bad;
  }
  // Groups search too; the members of a group do not.
  json page = get_json(kBase + "/groups?$search=%22displayName:lea%22", kEventual);
  ASSERT_EQ(page["value"].size(), 1u);
  EXPECT_EQ(page["value"][0]["id"], ids_["Leads"]);
  e = error_of(kBase + "/groups/" + ids_["Sales"] + "/members?$search=%22displayName:a%22", 400,
               kEventual);
  EXPECT_EQ(e["code"], "Request_UnsupportedQuery");
}

TEST_F(GraphOrgTest, OrderByPagesInOrder) {
  auto order = [&](const std::string& query, httplib::Headers h = {}) {
    std::vector<std::string> out;
    std::string path = kBase + "/users?$select=displayName,mail&$top=2&" + query;
    for (int n = 0; n < 5; ++n) {
      json page = get_json(path, h);
      for (const auto& u : page["value"]) out.push_back(u["displayName"]);
      if (!page.contains("@odata.nextLink")) break;
      path = local(page["@odata.nextLink"]);
    }
    return out;
  };
  using V = std::vector<std::string>;
  EXPECT_EQ(order("$orderby=displayName"),
            V({"Adele Vance", "Alex Wilber", "Bob OneVideo", "Carol Zed", "Megan Bowen"}));
  EXPECT_EQ(order("$orderby=displayName%20desc"),
            V({"Megan Bowen", "Carol Zed", "Bob OneVideo", "Alex Wilber", "Adele Vance"}));
  EXPECT_EQ(order("$orderby=userPrincipalName"),
            V({"Adele Vance", "Alex Wilber", "Bob OneVideo", "Carol Zed", "Megan Bowen"}));
  EXPECT_EQ(
      order("$orderby=mail%20desc&$filter=endswith(mail,%27contoso.com%27)&$count=true", kEventual),
      V({"Megan Bowen", "Bob OneVideo", "Alex Wilber", "Adele Vance"}));
  EXPECT_EQ(order("$orderby=displayName&$search=%22displayName:a%22", kEventual),
            V({"Adele Vance", "Alex Wilber"}));

  json e = error_of(kBase + "/users?$orderby=jobTitle", 400);
  EXPECT_EQ(e["code"], "Request_UnsupportedQuery");
  EXPECT_EQ(e["message"], "Unsupported sort property 'jobTitle' for 'User'.");
  e = error_of(kBase + "/users?$orderby=displayName%20sideways", 400);
  EXPECT_EQ(e["code"], "BadRequest");
  e = error_of(kBase + "/users?$orderby=displayName&$filter=startswith(mail,%27a%27)", 400);
  EXPECT_EQ(e["message"], "Sorting not supported for current query.");
  e = error_of(kBase + "/groups?$orderby=userPrincipalName", 400);
  EXPECT_EQ(e["message"], "Unsupported sort property 'userPrincipalName' for 'Group'.");
  e = error_of(kBase + "/users?$orderby=displayName&$skiptoken=garbage", 400);
  EXPECT_EQ(e["code"], "Request_BadRequest");
}

TEST_F(GraphOrgTest, AdvancedFilterOperatorsNeedTheHeader) {
  auto upns = [&](const std::string& filter) {
    json page = get_json(kBase + "/users?$select=userPrincipalName&$count=true&$filter=" + filter,
                         kEventual);
    std::vector<std::string> out;
    for (const auto& u : page["value"]) out.push_back(u["userPrincipalName"]);
    std::sort(out.begin(), out.end());
    return out;
  };
  using V = std::vector<std::string>;
  EXPECT_EQ(upns("endswith(mail,%27@fabrikam.example%27)"), V({"carol@fabrikam.example"}));
  EXPECT_EQ(upns("mail%20ne%20%27bob@contoso.com%27%20and%20endswith(mail,%27contoso.com%27)"),
            V({"adele@contoso.com", "alex@contoso.com", "megan@contoso.com"}));
  EXPECT_EQ(upns("not(endswith(mail,%27contoso.com%27))"), V({"carol@fabrikam.example"}));
  EXPECT_EQ(
      upns("not%20startswith(displayName,%27A%27)%20and%20not(mail%20eq%20%27bob@contoso.com%27)"),
      V({"carol@fabrikam.example", "megan@contoso.com"}));
  EXPECT_EQ(upns("proxyAddresses/any(x:startswith(x,%27smtp:av@%27))"), V({"adele@contoso.com"}));
  EXPECT_EQ(upns("proxyAddresses/any(p:endswith(p,%27sales.contoso.com%27))"),
            V({"adele@contoso.com"}));
  EXPECT_EQ(upns("proxyAddresses/any(x:x%20eq%20%27SMTP:adele@contoso.com%27)"),
            V({"adele@contoso.com"}));
  EXPECT_EQ(upns("otherMails/any(x:x%20eq%20%27a@b.c%27)"), V());

  // Without the header: eq and startswith in any() are standard; ne, not, endswith are not.
  json page = get_json(kBase + "/users?$filter=proxyAddresses/any(x:startswith(x,%27smtp:av%27))");
  EXPECT_EQ(page["value"].size(), 1u);
  for (const char* f : {"mail%20ne%20%27x%27", "not(mail%20eq%20%27x%27)",
                        "endswith(mail,%27.com%27)", "proxyAddresses/any(x:endswith(x,%27m%27))"}) {
    json e = error_of(kBase + "/users?$filter=" + f, 400);
    EXPECT_EQ(e["code"], "Request_UnsupportedQuery") << f;
    EXPECT_NE(e["message"].get<std::string>().find("ConsistencyLevel: eventual"), std::string::npos)
        << f;
  }
  for (const char* f : {"proxyAddresses%20eq%20%27x%27", "proxyAddresses/all(x:x%20eq%20%27a%27)",
                        "displayName/any(x:x%20eq%20%27a%27)"}) {
    json e = error_of(kBase + "/users?$filter=" + f, 400, kEventual);
    EXPECT_EQ(e["code"], "Request_UnsupportedQuery") << f;
  }
  json e =
      error_of(kBase + "/users?$filter=proxyAddresses/any(x:y%20eq%20%27a%27)", 400, kEventual);
  EXPECT_EQ(e["code"], "BadRequest");
}

TEST_F(GraphOrgTest, UserFieldsReadTheDirectorysAttributes) {
  for (const char* set :
       {"mobile=+1 555 0101", "city=Redmond", "country=United States", "companyName=Contoso Ltd",
        "employeeId=E-42", "otherMails=adele@home.example", "extensionAttribute3=three",
        "onPremisesSamAccountName=adele"}) {
    ASSERT_EQ(
        cli({"directory", "user", "set", "--tenant", "contoso", "adele@contoso.com", "--set", set}),
        0)
        << set;
  }
  json u = get_json(kBase +
                    "/users/adele@contoso.com?$select=mobilePhone,city,country,companyName,"
                    "employeeId,otherMails,onPremisesSamAccountName,onPremisesDomainName,"
                    "onPremisesExtensionAttributes,onPremisesSyncEnabled");
  EXPECT_EQ(u["mobilePhone"], "+1 555 0101");
  EXPECT_EQ(u["city"], "Redmond");
  EXPECT_EQ(u["country"], "United States");
  EXPECT_EQ(u["companyName"], "Contoso Ltd");
  EXPECT_EQ(u["employeeId"], "E-42");
  EXPECT_EQ(u["otherMails"], json({"adele@home.example"}));
  EXPECT_EQ(u["onPremisesSamAccountName"], "adele");
  EXPECT_EQ(u["onPremisesDomainName"], "contoso.com");  // from the DN, at sync
  EXPECT_EQ(u["onPremisesSyncEnabled"], true);
  ASSERT_EQ(u["onPremisesExtensionAttributes"].size(), 15u);
  EXPECT_EQ(u["onPremisesExtensionAttributes"]["extensionAttribute3"], "three");
  EXPECT_TRUE(u["onPremisesExtensionAttributes"]["extensionAttribute1"].is_null());
  // The default properties carry mobilePhone, as Graph's do.
  EXPECT_EQ(get_json(kBase + "/users/adele@contoso.com")["mobilePhone"], "+1 555 0101");

  json page = get_json(kBase + "/users?$filter=city%20eq%20%27redmond%27&$select=id");
  EXPECT_EQ(ids_of(page["value"]), ids({"adele"}));
  page = get_json(kBase + "/users?$filter=otherMails/any(x:startswith(x,%27adele@%27))&$select=id");
  EXPECT_EQ(ids_of(page["value"]), ids({"adele"}));
  json e = error_of(kBase + "/users?$select=shoeSize", 400);
  EXPECT_EQ(e["message"],
            "Could not find a property named 'shoeSize' on type 'microsoft.graph.user'.");
}

TEST_F(GraphOrgTest, GroupsDeltaRoundsWithMemberChanges) {
  const httplib::Headers two = {{"Prefer", "odata.maxpagesize=2"}};
  // First round: every group with its members, two a page.
  std::map<std::string, json> seen;
  std::string path = kBase + "/groups/delta";
  json page;
  int pages = 0;
  for (; pages < 5; ++pages) {
    page = get_json(path, two);
    for (const auto& g : page["value"]) seen[g["id"]] = g;
    if (!page.contains("@odata.nextLink")) break;
    path = local(page["@odata.nextLink"]);
  }
  EXPECT_EQ(pages, 1);  // 3 groups: pages 0 and 1
  ASSERT_EQ(seen.size(), 3u);
  EXPECT_EQ(seen[ids_["Leads"]]["displayName"], "Leads");
  EXPECT_EQ(seen[ids_["Leads"]]["members@delta"],
            json::array({{{"@odata.type", "#microsoft.graph.user"}, {"id", ids_["bob"]}}}));
  EXPECT_EQ(seen[ids_["Sales"]]["members@delta"].size(), 2u);
  ASSERT_TRUE(page.contains("@odata.deltaLink")) << page;
  const std::string delta = local(page["@odata.deltaLink"]);

  // Nothing changed: an empty round.
  page = get_json(delta);
  EXPECT_TRUE(page["value"].empty());
  EXPECT_TRUE(page.contains("@odata.deltaLink"));

  // Alex replaces Bob in Leads; News goes.
  const std::string file = dir_.str() + "/changed.ldif";
  write_file(file, org_ldif(true));
  ASSERT_EQ(cli({"sync", "ldif", "--tenant", "contoso", file}), 0);
  page = get_json(delta);
  std::map<std::string, json> changed;
  for (const auto& g : page["value"]) changed[g["id"]] = g;
  ASSERT_EQ(changed.size(), 2u) << page;
  json leads = changed[ids_["Leads"]];
  std::map<std::string, json> members;
  for (const auto& m : leads["members@delta"]) members[m["id"]] = m;
  ASSERT_EQ(members.size(), 2u) << leads;
  EXPECT_EQ(members[ids_["alex"]],
            json({{"@odata.type", "#microsoft.graph.user"}, {"id", ids_["alex"]}}));
  EXPECT_EQ(members[ids_["bob"]]["@removed"], json({{"reason", "deleted"}}));
  EXPECT_EQ(changed[ids_["News"]],
            json({{"id", ids_["News"]}, {"@removed", {{"reason", "deleted"}}}}));
  const std::string next = local(page["@odata.deltaLink"]);
  EXPECT_TRUE(get_json(next)["value"].empty());

  // $select is remembered; without "members" no members@delta.
  page = get_json(kBase + "/groups/delta?$select=displayName");
  ASSERT_FALSE(page["value"].empty());
  for (const auto& g : page["value"]) {
    EXPECT_EQ(g.size(), 2u) << g;  // displayName and id
  }
  page = get_json(kBase + "/groups/microsoft.graph.delta?$select=displayName,members");
  EXPECT_TRUE(page["value"][0].contains("members@delta"));
  EXPECT_NE(page["@odata.context"].get<std::string>().find("groups(displayName,members)"),
            std::string::npos);

  for (const char* bad : {"?$top=1", "?$filter=displayName%20eq%20%27x%27", "?$deltatoken=junk",
                          "?$skiptoken=junk", "?$select=colour"}) {
    json e = error_of(kBase + "/groups/delta" + bad, 400);
    EXPECT_FALSE(e["code"].get<std::string>().empty()) << bad;
  }
  // A users/delta token is not a groups/delta token.
  json users = get_json(kBase + "/users/delta");
  std::string users_link = users["@odata.deltaLink"];
  json e =
      error_of(kBase + "/groups/delta?" + users_link.substr(users_link.find("$deltatoken")), 400);
  EXPECT_EQ(e["code"], "Request_BadRequest");
}

}  // namespace
}  // namespace upsync
