// The auth matrix: every route that needs a caller × every kind of caller → the expected
// status. Prints the matrix size; any success where a refusal was expected fails the test.
#include <gtest/gtest.h>
#include <httplib.h>

#include <iostream>
#include <map>
#include <nlohmann/json.hpp>

#include "auth/secret.h"
#include "auth/token_signer.h"
#include "core/clock.h"
#include "http/server_process.h"
#include "test_support.h"

namespace upsync {
namespace {

using testing::run;
using testing::Server;
using testing::TempDir;

// Who may call a route. Apps are the tenant's, so only a global admin manages them (an app
// that could register apps would mint credentials that outlive its own removal).
enum class Needs { kNobody, kAnyone, kManager, kGlobalAdminOrApp, kGlobalAdmin };

struct RouteCase {
  std::string method;
  // Under /tenants/contoso. "{who}" becomes the caller's name, "{group}" a group's object id,
  // "{app}" the client id of an app registered for this caller to remove, "{job}" the id of
  // a queued bulk import job, "{log}" the log folder of a job that ran (its ImportLog.txt).
  std::string path;
  std::string body;
  Needs needs;
  int success;
  int as_app = 0;  // what an app gets instead of `success`, for routes about a person
  httplib::Headers headers = {};  // beside the caller's Authorization
};

const httplib::Headers kEventual = {{"ConsistencyLevel", "eventual"}};

// Every route of the admin API and the token-protected routes of the other surfaces.
const std::vector<RouteCase>& routes() {
  static const std::vector<RouteCase> kRoutes = {
      {"GET", "/admin/v1/openapi.json", "", Needs::kNobody, 200},
      {"GET", "/admin/v1/me", "", Needs::kAnyone, 200},
      {"GET", "/admin/v1/tenant", "", Needs::kManager, 200},
      {"GET", "/admin/v1/properties", "", Needs::kManager, 200},
      {"POST", "/admin/v1/properties", R"({"name":"P{who}"})", Needs::kManager, 201},
      {"DELETE", "/admin/v1/properties/Q{who}", "", Needs::kManager, 204},
      {"GET", "/admin/v1/apps", "", Needs::kGlobalAdmin, 200},
      {"POST", "/admin/v1/apps", R"({"name":"a-{who}"})", Needs::kGlobalAdmin, 201},
      {"DELETE", "/admin/v1/apps/{app}", "", Needs::kGlobalAdmin, 204},
      {"GET", "/admin/v1/sync/runs", "", Needs::kManager, 200},
      {"POST", "/admin/v1/sync/runs", R"({"dryRun":true})", Needs::kManager, 201},
      {"GET", "/admin/v1/sync/runs/1", "", Needs::kManager, 200},
      {"GET", "/admin/v1/import/jobs", "", Needs::kManager, 200},
      {"GET", "/v1.0/users", "", Needs::kAnyone, 200},
      {"GET", "/v1.0/users?$select=id&$filter=accountEnabled%20eq%20true", "", Needs::kAnyone, 200},
      {"GET", "/v1.0/users/delta", "", Needs::kAnyone, 200},
      {"GET", "/v1.0/users/adele@contoso.com", "", Needs::kAnyone, 200},
      {"GET", "/v1.0/users/adele@contoso.com/memberOf", "", Needs::kAnyone, 200},
      {"GET", "/v1.0/me", "", Needs::kAnyone, 200, 400},
      {"GET", "/v1.0/groups", "", Needs::kAnyone, 200},
      {"GET", "/v1.0/groups?$select=id&$filter=startswith(displayName,%27S%27)", "", Needs::kAnyone,
       200},
      {"GET", "/v1.0/groups/{group}", "", Needs::kAnyone, 200},
      {"GET", "/v1.0/groups/{group}/members", "", Needs::kAnyone, 200},
      {"GET", "/v1.0/groups/{group}/transitiveMembers", "", Needs::kAnyone, 200},
      // The org chart and memberships (graph_org.h); every person of the directory has a
      // manager, so /me/manager answers each of them.
      {"GET", "/v1.0/users/adele@contoso.com/manager", "", Needs::kAnyone, 200},
      {"GET", "/v1.0/users/ga@contoso.com/directReports", "", Needs::kAnyone, 200},
      {"GET", "/v1.0/users/adele@contoso.com/transitiveMemberOf", "", Needs::kAnyone, 200},
      {"GET", "/v1.0/users/adele@contoso.com?$expand=manager", "", Needs::kAnyone, 200},
      {"GET", "/v1.0/users?$expand=manager($select=id)", "", Needs::kAnyone, 200},
      {"GET", "/v1.0/me/manager", "", Needs::kAnyone, 200, 400},
      {"GET", "/v1.0/me/directReports", "", Needs::kAnyone, 200, 400},
      {"GET", "/v1.0/me/memberOf", "", Needs::kAnyone, 200, 400},
      {"GET", "/v1.0/me/transitiveMemberOf", "", Needs::kAnyone, 200, 400},
      {"GET", "/v1.0/me?$expand=directReports", "", Needs::kAnyone, 200, 400},
      {"POST", "/v1.0/users/adele@contoso.com/checkMemberGroups", R"({"groupIds":["{group}"]})",
       Needs::kAnyone, 200},
      {"POST", "/v1.0/users/adele@contoso.com/getMemberGroups", R"({"securityEnabledOnly":true})",
       Needs::kAnyone, 200},
      {"POST", "/v1.0/groups/{group}/checkMemberGroups", R"({"groupIds":["{group}"]})",
       Needs::kAnyone, 200},
      {"POST", "/v1.0/groups/{group}/getMemberGroups", R"({"securityEnabledOnly":false})",
       Needs::kAnyone, 200},
      {"POST", "/v1.0/me/checkMemberGroups", R"({"groupIds":["{group}"]})", Needs::kAnyone, 200,
       400},
      {"POST", "/v1.0/me/getMemberGroups", R"({"securityEnabledOnly":true})", Needs::kAnyone, 200,
       400},
      {"GET", "/v1.0/users/$count", "", Needs::kAnyone, 200, 0, kEventual},
      {"GET", "/v1.0/groups/$count", "", Needs::kAnyone, 200, 0, kEventual},
      {"GET", "/v1.0/users?$search=%22displayName:a%22&$orderby=displayName&$count=true", "",
       Needs::kAnyone, 200, 0, kEventual},
      {"GET", "/v1.0/groups?$orderby=displayName", "", Needs::kAnyone, 200},
      {"GET", "/v1.0/groups/delta", "", Needs::kAnyone, 200},
      {"GET", "/v1.0/groups/delta?$select=displayName,members", "", Needs::kAnyone, 200},
      {"GET", "/admin/v1/sync/schedule", "", Needs::kManager, 200},
      {"PUT", "/admin/v1/sync/schedule", R"({"intervalSeconds":3600})", Needs::kManager, 200},
      // SharePoint REST (sharepoint_routes.h).
      {"POST", "/_api/contextinfo", "", Needs::kAnyone, 200},
      {"GET", "/sites/hr/_api/web", "", Needs::kAnyone, 200},
      {"GET", "/_api/sp.userprofiles.peoplemanager/getpropertiesfor(@v)?@v='nobody'", "",
       Needs::kAnyone, 200},
      {"GET", "/_api/sp.userprofiles.peoplemanager/getmyproperties", "", Needs::kAnyone, 200},
      // A person sets their own properties; someone else's need a tenant admin or an app.
      {"POST", "/_api/SP.UserProfiles.PeopleManager/SetSingleValueProfileProperty",
       R"({"accountName":"i:0#.f|membership|adele@contoso.com","propertyName":"AboutMe",)"
       R"("propertyValue":"set by {who}"})",
       Needs::kAnyone, 200},
      {"POST", "/_api/SP.UserProfiles.PeopleManager/SetSingleValueProfileProperty",
       R"({"accountName":"i:0#.f|membership|ga@contoso.com","propertyName":"AboutMe",)"
       R"("propertyValue":"set by {who}"})",
       Needs::kManager, 200},
      // Document libraries (site_permissions.h): users are visitors, admins and apps owners;
      // a job's log folder is the admins' and apps' only.
      {"POST",
       "/sites/hr/_api/web/GetFolderByServerRelativeUrl('/sites/hr/Shared%20Documents')"
       "/Files/add(url='{who}.txt',overwrite=true)",
       "text", Needs::kManager, 200},
      {"GET",
       "/sites/hr/_api/web/GetFileByServerRelativeUrl('/sites/hr/Shared%20Documents/shared.txt')"
       "/$value",
       "", Needs::kAnyone, 200},
      {"GET",
       "/sites/hr/_api/web/GetFolderByServerRelativeUrl('/sites/hr/Shared%20Documents')/files", "",
       Needs::kAnyone, 200},
      {"DELETE",
       "/sites/hr/_api/web/GetFileByServerRelativeUrl('/sites/hr/Shared%20Documents/{who}.txt')",
       "", Needs::kManager, 200},
      {"GET", "/sites/hr/_api/web/GetFileByServerRelativeUrl('{log}/ImportLog.txt')/$value", "",
       Needs::kManager, 200},
      {"GET", "/sites/hr/_api/web/GetFolderByServerRelativeUrl('{log}')/files", "", Needs::kManager,
       200},
      {"POST",
       "/sites/hr/_api/web/GetFolderByServerRelativeUrl('{log}')/Files/add(url='{who}.txt')",
       "forged", Needs::kManager, 200},
      {"GET", "/sites/hr/_api/web/roleassignments?$expand=Member,RoleDefinitionBindings", "",
       Needs::kManager, 200},
      {"GET", "/sites/hr/_api/web/roledefinitions", "", Needs::kAnyone, 200},
      {"GET", "/sites/hr/_api/web/lists/getbytitle('Shared%20Documents')", "", Needs::kAnyone, 200},
      {"POST",
       "/sites/hr/_api/web/lists/getbytitle('Shared%20Documents')/"
       "breakroleinheritance(copyroleassignments=true,clearsubscopes=true)",
       "", Needs::kManager, 200},
      {"GET", "/sites/hr/_api/web/lists/getbytitle('Shared%20Documents')/roleassignments", "",
       Needs::kManager, 200},
      {"POST", "/sites/hr/_api/web/lists/getbytitle('Shared%20Documents')/resetroleinheritance", "",
       Needs::kManager, 200},
      {"GET", "/sites/hr/_api/web/siteusers", "", Needs::kAnyone, 200},
      {"GET", "/sites/hr/_api/web/currentuser", "", Needs::kAnyone, 200, 404},
      {"GET", "/sites/hr/_api/web/siteuserinfolist/items", "", Needs::kAnyone, 200},
      {"POST", "/sites/hr/_api/web/ensureuser",
       R"({"logonName":"i:0#.f|membership|adele@contoso.com"})", Needs::kManager, 200},
      {"POST",
       "/_api/Microsoft.Online.SharePoint.TenantManagement.Office365Tenant/"
       "GetImportProfilePropertyJobs",
       "", Needs::kManager, 200},
      {"POST",
       "/_api/Microsoft.Online.SharePoint.TenantManagement.Office365Tenant/"
       "QueueImportProfileProperties",
       R"({"idType":0,"sourceDataIdProperty":"IdName","propertyMap":{"H":"SPS-HireDate"},)"
       R"("sourceUri":"/sites/hr/Shared Documents/{who}.json"})",
       Needs::kGlobalAdminOrApp, 200},
      {"POST",
       "/_api/Microsoft.Online.SharePoint.TenantManagement.Office365Tenant/"
       "GetImportProfilePropertyJob",
       R"({"jobId":"{job}"})", Needs::kManager, 200},
  };
  return kRoutes;
}

struct Caller {
  std::string name;
  std::string token;
  enum Kind { kRefused, kUser, kSharePointAdmin, kGlobalAdmin, kApp } kind;
};

int expected(const RouteCase& r, const Caller& c) {
  // A public route serves anyone without a token; a token it is given must still be valid.
  if (r.needs == Needs::kNobody)
    return c.kind == Caller::kRefused && !c.token.empty() ? 401 : r.success;
  switch (c.kind) {
    case Caller::kRefused:
      return 401;
    case Caller::kUser:
      return r.needs == Needs::kAnyone ? r.success : 403;
    case Caller::kSharePointAdmin:
      return r.needs == Needs::kGlobalAdminOrApp || r.needs == Needs::kGlobalAdmin ? 403
                                                                                   : r.success;
    case Caller::kGlobalAdmin:
      return r.success;
    case Caller::kApp:
      if (r.needs == Needs::kGlobalAdmin) return 403;
      return r.as_app ? r.as_app : r.success;
  }
  return 0;
}

TEST(AuthMatrix, EveryRouteRefusesWhomItShouldAndServesTheRest) {
  TempDir dir;
  const std::string data = dir.str() + "/data";
  auto cli_json = [&](const std::string& args) {
    std::string out = dir.str() + "/out.json";
    EXPECT_EQ(
        std::system(
            (testing::binary() + " --data-dir " + data + " --json " + args + " > " + out).c_str()),
        0);
    return nlohmann::json::parse(testing::read_file(out));
  };
  for (const char* t : {"contoso", "fabrikam"}) {
    ASSERT_EQ(run({"--data-dir", data, "tenant", "create", t}), 0);
  }
  auto app = cli_json("app add -t contoso matrix");
  auto other_app = cli_json("app add -t fabrikam portal");
  for (auto [t, upn, role] : {std::tuple{"contoso", "ga@contoso.com", "global-admin"},
                              {"contoso", "spa@contoso.com", "sharepoint-admin"},
                              {"contoso", "adele@contoso.com", "user"},
                              {"contoso", "gone@contoso.com", "user"},
                              {"contoso", "demoted@contoso.com", "global-admin"},
                              {"contoso", "via@contoso.com", "global-admin"},
                              {"fabrikam", "ga@fabrikam.com", "global-admin"}}) {
    ASSERT_EQ(run({"--data-dir", data, "user", "password", "set", "-t", t, upn, "--role", role,
                   "--password", "pa55word!"}),
              0);
  }
  for (const char* upn : {"adele@contoso.com", "ga@contoso.com"}) {
    ASSERT_EQ(run({"--data-dir", data, "profile", "create", "-t", "contoso",
                   std::string("i:0#.f|membership|") + upn}),
              0);
  }
  // A file every caller may read, and a job that ran and wrote its log ("{log}").
  const std::string shared = dir.str() + "/shared.txt";
  testing::write_file(shared, "shared");
  ASSERT_EQ(run({"--data-dir", data, "file", "put", "-t", "contoso", shared,
                 "/sites/hr/Shared Documents/shared.txt"}),
            0);
  const std::string bad = dir.str() + "/bad.json";
  testing::write_file(bad, R"({"value":[{"IdName":"ghost@contoso.com","H":"x"}]})");
  ASSERT_EQ(run({"--data-dir", data, "file", "put", "-t", "contoso", bad,
                 "/sites/hr/Shared Documents/import/bad.json"}),
            0);
  const std::string ran = cli_json(
      "import queue -t contoso --id-type Email --id-property IdName --map H=SPS-HireDate "
      "--source '/sites/hr/Shared Documents/import/bad.json'")["JobId"];
  ASSERT_EQ(run({"--data-dir", data, "import", "run-pending"}), 0);
  const std::string log_folder = "/sites/hr/Shared%20Documents/import/" + ran;
  Server srv(dir);
  ASSERT_GT(srv.port(), 0);
  httplib::Client http("127.0.0.1", srv.port());

  auto token = [&](const std::string& tenant, httplib::Params form) {
    form.emplace("scope", "https://" + tenant + ".sharepoint.com/.default");
    auto r = http.Post("/" + tenant + "/oauth2/v2.0/token", form);
    EXPECT_TRUE(r && r->status == 200) << (r ? r->body : "");
    return nlohmann::json::parse(r->body)["access_token"].get<std::string>();
  };
  auto person = [&](const std::string& tenant, const std::string& client, const std::string& upn) {
    return token(tenant, {{"grant_type", "password"},
                          {"client_id", client},
                          {"username", upn},
                          {"password", "pa55word!"}});
  };
  std::string cid = app["clientId"];
  std::string app_token = token("contoso", {{"grant_type", "client_credentials"},
                                            {"client_id", cid},
                                            {"client_secret", app["clientSecret"]}});
  std::string bad_signature = app_token;
  bad_signature[bad_signature.size() - 5] =
      bad_signature[bad_signature.size() - 5] == 'A' ? 'B' : 'A';
  auto signer = TokenSigner::open(data);
  ASSERT_TRUE(signer);
  std::string expired = *(*signer)->sign(
      {{"tid", "contoso"}, {"idtyp", "app"}, {"appid", cid}, {"exp", unix_now() - 60}});
  // Tokens of principals changed since (issue 15, finding 5): a person whose password was
  // removed, a global admin demoted to user, an app removed and a person's token issued
  // through it; and a genuine token re-signed for another audience (finding 8).
  std::string gone = person("contoso", cid, "gone@contoso.com");
  std::string demoted = person("contoso", cid, "demoted@contoso.com");
  auto removed_app = cli_json("app add -t contoso removed");
  std::string removed_app_token =
      token("contoso", {{"grant_type", "client_credentials"},
                        {"client_id", removed_app["clientId"]},
                        {"client_secret", removed_app["clientSecret"]}});
  std::string via_removed = person("contoso", removed_app["clientId"], "via@contoso.com");
  ASSERT_EQ(
      run({"--data-dir", data, "user", "password", "remove", "-t", "contoso", "gone@contoso.com"}),
      0);
  ASSERT_EQ(run({"--data-dir", data, "user", "password", "set", "-t", "contoso",
                 "demoted@contoso.com", "--role", "user", "--password", "pa55word!"}),
            0);
  ASSERT_EQ(run({"--data-dir", data, "app", "remove", "-t", "contoso",
                 removed_app["clientId"].get<std::string>()}),
            0);
  size_t dot1 = app_token.find('.'), dot2 = app_token.rfind('.');
  auto claims =
      nlohmann::json::parse(*base64url_decode(app_token.substr(dot1 + 1, dot2 - dot1 - 1)));
  claims["aud"] = "https://evil.example.com";
  std::string other_audience = *(*signer)->sign(claims);
  const std::vector<Caller> callers = {
      {"none", "", Caller::kRefused},
      {"badsig", bad_signature, Caller::kRefused},
      {"expired", expired, Caller::kRefused},
      {"other", person("fabrikam", other_app["clientId"], "ga@fabrikam.com"), Caller::kRefused},
      {"gone", gone, Caller::kRefused},
      {"demoted", demoted, Caller::kRefused},
      {"removedapp", removed_app_token, Caller::kRefused},
      {"viaremoved", via_removed, Caller::kRefused},
      {"audience", other_audience, Caller::kRefused},
      {"user", person("contoso", cid, "adele@contoso.com"), Caller::kUser},
      {"spa", person("contoso", cid, "spa@contoso.com"), Caller::kSharePointAdmin},
      {"ga", person("contoso", cid, "ga@contoso.com"), Caller::kGlobalAdmin},
      {"app", app_token, Caller::kApp},
  };
  // What the DELETE and run-by-id rows act on.
  std::map<std::string, std::string> app_to_remove;
  for (const auto& c : callers) {
    ASSERT_EQ(run({"--data-dir", data, "property", "add", "-t", "contoso", "Q" + c.name}), 0);
    app_to_remove[c.name] = cli_json("app add -t contoso del-" + c.name)["clientId"];
  }
  auto queued = http.Post(
      "/tenants/contoso/_api/Microsoft.Online.SharePoint.TenantManagement.Office365Tenant/"
      "QueueImportProfileProperties",
      {{"Authorization", "Bearer " + app_token}, {"Accept", "application/json;odata=nometadata"}},
      R"({"idType":0,"sourceDataIdProperty":"IdName","propertyMap":{"H":"SPS-HireDate"},)"
      R"("sourceUri":"/sites/hr/Shared Documents/none.json"})",
      "application/json");
  ASSERT_TRUE(queued && queued->status == 200) << (queued ? queued->body : "");
  const std::string job_id = nlohmann::json::parse(queued->body)["value"];
  // A directory with a group, for the group routes ("{group}" is its object id).
  const std::string ldif = dir.str() + "/directory.ldif";
  testing::write_file(ldif,
                      "dn: CN=Adele,DC=contoso,DC=com\nobjectClass: user\n"
                      "objectGUID:: AAECAwQFBgcICQoLDA0ODw==\nuserPrincipalName: "
                      "adele@contoso.com\nmanager: CN=Global Admin,DC=contoso,DC=com\n\n"
                      "dn: CN=SharePoint Admin,DC=contoso,DC=com\nobjectClass: user\n"
                      "objectGUID:: ICEiIyQlJicoKSorLC0uLw==\nuserPrincipalName: "
                      "spa@contoso.com\nmanager: CN=Global Admin,DC=contoso,DC=com\n\n"
                      "dn: CN=Global Admin,DC=contoso,DC=com\nobjectClass: user\n"
                      "objectGUID:: MDEyMzQ1Njc4OTo7PD0+Pw==\nuserPrincipalName: "
                      "ga@contoso.com\nmanager: CN=SharePoint Admin,DC=contoso,DC=com\n\n"
                      "dn: CN=Sales,DC=contoso,DC=com\nobjectClass: group\ncn: Sales\n"
                      "objectGUID:: EBESExQVFhcYGRobHB0eHw==\n"
                      "member: CN=Adele,DC=contoso,DC=com\n\n");
  ASSERT_EQ(run({"--data-dir", data, "sync", "ldif", "-t", "contoso", ldif}), 0);
  const std::string group_id = cli_json("directory group list -t contoso")[0]["objectId"];

  int cells = 0, unexpected_successes = 0;
  for (const auto& r : routes()) {
    for (const auto& c : callers) {
      auto fill = [&](std::string s) {
        for (size_t at; (at = s.find("{who}")) != std::string::npos;) s.replace(at, 5, c.name);
        for (size_t at; (at = s.find("{group}")) != std::string::npos;) s.replace(at, 7, group_id);
        for (size_t at; (at = s.find("{app}")) != std::string::npos;)
          s.replace(at, 5, app_to_remove[c.name]);
        for (size_t at; (at = s.find("{job}")) != std::string::npos;) s.replace(at, 5, job_id);
        for (size_t at; (at = s.find("{log}")) != std::string::npos;) s.replace(at, 5, log_folder);
        return s;
      };
      std::string path = "/tenants/contoso" + fill(r.path);
      httplib::Headers headers = r.headers;
      if (!c.token.empty()) headers.emplace("Authorization", "Bearer " + c.token);
      auto send = [&]() -> httplib::Result {
        if (r.method == "POST") return http.Post(path, headers, fill(r.body), "application/json");
        if (r.method == "DELETE") return http.Delete(path, headers);
        if (r.method == "PUT") return http.Put(path, headers, fill(r.body), "application/json");
        return http.Get(path, headers);
      };
      auto res = send();
      ASSERT_TRUE(res) << r.method << " " << path;
      int want = expected(r, c);
      ++cells;
      if (want >= 400 && res->status < 400) ++unexpected_successes;
      EXPECT_EQ(res->status, want)
          << r.method << " " << path << " as " << c.name << ": " << res->body;
    }
  }
  std::cout << "auth matrix: " << routes().size() << " routes x " << callers.size()
            << " callers = " << cells << " cells, " << unexpected_successes
            << " unexpected successes\n";
  EXPECT_EQ(unexpected_successes, 0);
}

}  // namespace
}  // namespace upsync
