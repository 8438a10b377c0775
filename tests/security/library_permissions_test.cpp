// Issue 15, finding 2: document libraries had no authorization (only "signed in" was checked).
// Against the real `upsync serve`: the attack as it was run (a plain user overwrote a queued
// import's source and read and deleted the job's ImportLog.txt), then the permissions that
// close it (sites/site_permissions.h): visitors read, members write, directory groups by
// transitive membership, a library with its own assignments, the CLI and REST that manage
// them, and bad input refused with nothing stored.
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
using testing::run;
using testing::run_output;
using testing::Server;
using testing::TempDir;

constexpr const char* kNoMeta = "application/json;odata=nometadata";
constexpr std::string_view kAccessDenied =
    "Access denied. You do not have permission to perform this action or access this resource.";
const std::string kApi = "/tenants/contoso/sites/hr/_api";
const std::string kLib = "/sites/hr/Shared Documents";

std::string folder_path(const std::string& url) {
  return kApi + "/web/GetFolderByServerRelativePath(decodedUrl='" + url + "')";
}
std::string file_path(const std::string& url) {
  return kApi + "/web/GetFileByServerRelativePath(decodedUrl='" + url + "')";
}
std::string encoded(std::string s) {
  for (size_t at; (at = s.find(' ')) != std::string::npos;) s.replace(at, 1, "%20");
  return s;
}

class LibraryPermissionsTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new TempDir();
    data_ = dir_->str() + "/data";
    ASSERT_EQ(cli({"tenant", "create", "contoso"}), 0);
    app_ = json::parse(
        run_output({"--data-dir", data_, "--json", "app", "add", "-t", "contoso", "sync"}));
    for (auto [upn, role] : {std::pair{"ga@contoso.com", "global-admin"},
                             {"adele@contoso.com", "user"},
                             {"bob@contoso.com", "user"},
                             {"carol@contoso.com", "user"}}) {
      ASSERT_EQ(cli({"user", "password", "set", "-t", "contoso", upn, "--role", role, "--password",
                     "pa55word!"}),
                0);
      ASSERT_EQ(cli({"profile", "create", "-t", "contoso", std::string("i:0#.f|membership|") + upn,
                     "--set", std::string("WorkEmail=") + upn}),
                0);
    }
    // Carol is in HR Editors, which is in HR Team: a grant to HR Team reaches her.
    const std::string ldif = dir_->str() + "/directory.ldif";
    testing::write_file(ldif,
                        "dn: CN=Adele,DC=contoso,DC=com\nobjectClass: user\n"
                        "objectGUID:: AAECAwQFBgcICQoLDA0ODw==\n"
                        "userPrincipalName: adele@contoso.com\n\n"
                        "dn: CN=Bob,DC=contoso,DC=com\nobjectClass: user\n"
                        "objectGUID:: EBESExQVFhcYGRobHB0eHw==\n"
                        "userPrincipalName: bob@contoso.com\n\n"
                        "dn: CN=Carol,DC=contoso,DC=com\nobjectClass: user\n"
                        "objectGUID:: ICEiIyQlJicoKSorLC0uLw==\n"
                        "userPrincipalName: carol@contoso.com\n\n"
                        "dn: CN=HR Editors,DC=contoso,DC=com\nobjectClass: group\n"
                        "cn: HR Editors\nobjectGUID:: MDEyMzQ1Njc4OTo7PD0+Pw==\n"
                        "member: CN=Carol,DC=contoso,DC=com\n\n"
                        "dn: CN=HR Team,DC=contoso,DC=com\nobjectClass: group\n"
                        "cn: HR Team\nobjectGUID:: QEFCQ0RFRkdISUpLTE1OTw==\n"
                        "member: CN=HR Editors,DC=contoso,DC=com\n\n");
    ASSERT_EQ(cli({"sync", "ldif", "-t", "contoso", ldif}), 0);
    server_ = new Server(*dir_, {"--no-worker"});
    ASSERT_GT(server_->port(), 0) << server_->log();
  }
  static void TearDownTestSuite() {
    delete server_;
    delete dir_;
  }

  static int cli(std::vector<std::string> args) {
    args.insert(args.begin(), {"--data-dir", data_});
    return run(args);
  }
  // The CLI's exit code and its standard error.
  static std::pair<int, std::string> cli_err(std::vector<std::string> args) {
    args.insert(args.begin(), {"--data-dir", data_});
    const std::string err = dir_->str() + "/cli.err";
    int code =
        WEXITSTATUS(std::system((testing::shell_command(args) + " >/dev/null 2>" + err).c_str()));
    return {code, testing::read_file(err)};
  }
  static json cli_json(std::vector<std::string> args) {
    args.insert(args.begin(), {"--data-dir", data_, "--json"});
    std::string out = run_output(args);
    return out.empty() ? json() : json::parse(out);
  }

  static httplib::Client client() {
    httplib::Client c("127.0.0.1", server_->port());
    c.set_url_encode(false);
    return c;
  }
  static std::string token(httplib::Params form) {
    form.emplace("scope", "https://contoso.sharepoint.com/.default");
    auto r = client().Post("/contoso/oauth2/v2.0/token", form);
    EXPECT_TRUE(r && r->status == 200) << (r ? r->body : "");
    return r ? json::parse(r->body).value("access_token", "") : "";
  }
  static std::string person(const std::string& upn) {
    return token({{"grant_type", "password"},
                  {"client_id", app_["clientId"].get<std::string>()},
                  {"username", upn},
                  {"password", "pa55word!"}});
  }
  static std::string app() {
    return token({{"grant_type", "client_credentials"},
                  {"client_id", app_["clientId"].get<std::string>()},
                  {"client_secret", app_["clientSecret"].get<std::string>()}});
  }
  static httplib::Headers headers(const std::string& t,
                                  std::vector<std::pair<std::string, std::string>> extra = {}) {
    httplib::Headers h = {{"Accept", kNoMeta}, {"Authorization", "Bearer " + t}};
    for (auto& [k, v] : extra) h.emplace(k, v);
    return h;
  }
  static httplib::Result get(const std::string& path, const std::string& t) {
    return client().Get(encoded(path), headers(t));
  }
  static httplib::Result post(const std::string& path, const std::string& t,
                              const std::string& body = "",
                              std::vector<std::pair<std::string, std::string>> extra = {}) {
    return client().Post(encoded(path), headers(t, std::move(extra)), body, "application/json");
  }
  static httplib::Result upload(const std::string& folder, const std::string& name,
                                const std::string& t, const std::string& body) {
    return post(
        folder_path(folder) + "/files/AddUsingPath(decodedurl='" + name + "',Overwrite=true)", t,
        body);
  }
  static std::string message(const httplib::Result& r) {
    if (!r) return "(no answer)";
    auto j = json::parse(r->body, nullptr, false);
    if (j.is_discarded() || !j.contains("odata.error")) return r->body;
    return j["odata.error"]["message"]["value"];
  }
  static std::string read(const std::string& url, const std::string& t) {
    auto r = get(file_path(url) + "/$value", t);
    return r && r->status == 200 ? r->body : "(status " + std::to_string(r ? r->status : 0) + ")";
  }
  static json permissions() {
    return cli_json({"site", "permission", "list", "-t", "contoso", "/sites/hr"});
  }

  static TempDir* dir_;
  static std::string data_;
  static json app_;
  static Server* server_;
};

TempDir* LibraryPermissionsTest::dir_ = nullptr;
std::string LibraryPermissionsTest::data_;
json LibraryPermissionsTest::app_;
Server* LibraryPermissionsTest::server_ = nullptr;

// The attack of finding 2, step by step.
TEST_F(LibraryPermissionsTest, AUserCannotOverwriteAQueuedSourceNorReadOrDeleteTheJobLog) {
  const std::string ga = person("ga@contoso.com");
  const std::string adele = person("adele@contoso.com");
  const std::string source = kLib + "/import/users.json";
  const std::string admins_file = R"({"value":[{"IdName":"ghost@contoso.com","H":"x"}]})";
  ASSERT_EQ(upload(kLib + "/import", "users.json", ga, admins_file)->status, 200);
  auto r = post(kApi +
                    "/Microsoft.Online.SharePoint.TenantManagement.Office365Tenant/"
                    "QueueImportProfileProperties",
                ga,
                json({{"idType", 0},
                      {"sourceDataIdProperty", "IdName"},
                      {"propertyMap", {{"H", "SPS-HireDate"}}},
                      {"sourceUri", source}})
                    .dump());
  ASSERT_EQ(r->status, 200) << r->body;
  const std::string job = json::parse(r->body)["value"];

  // The user overwrites the queued source: refused as SharePoint refuses it, file unchanged.
  r = upload(kLib + "/import", "users.json", adele,
             R"({"value":[{"IdName":"adele@contoso.com","H":"2001-01-01"}]})");
  EXPECT_EQ(r->status, 403) << "AddUsingPath over a queued import's source as a plain user: "
                            << r->body;
  EXPECT_EQ(message(r), kAccessDenied);
  EXPECT_NE(r->body.find("System.UnauthorizedAccessException"), std::string::npos) << r->body;
  r = post(file_path(source) + "/$value", adele, "{}", {{"X-HTTP-Method", "PUT"}});
  EXPECT_EQ(r->status, 403) << r->body;
  EXPECT_EQ(read(source, ga), admins_file);
  // Reading stays open to visitors (everyone, by default).
  EXPECT_EQ(read(source, adele), admins_file);

  // The job runs and writes its log; the user can neither read it nor delete it.
  ASSERT_EQ(cli({"import", "run-pending"}), 0);
  const std::string log = kLib + "/import/" + job + "/ImportLog.txt";
  const std::string log_text = read(log, ga);
  ASSERT_NE(log_text.find("IdentityNotResolvable ghost@contoso.com"), std::string::npos)
      << log_text;
  r = get(file_path(log) + "/$value", adele);
  EXPECT_EQ(r->status, 403) << "reading ImportLog.txt as a plain user: " << r->body;
  r = get(file_path(log), adele);
  EXPECT_EQ(r->status, 403) << r->body;
  r = get(folder_path(kLib + "/import/" + job) + "/files", adele);
  EXPECT_EQ(r->status, 403) << r->body;
  r = client().Delete(encoded(file_path(log)), headers(adele));
  EXPECT_EQ(r->status, 403) << "deleting ImportLog.txt as a plain user: " << r->body;
  r = post(folder_path(kLib + "/import/" + job), adele, "", {{"X-HTTP-Method", "DELETE"}});
  EXPECT_EQ(r->status, 403) << r->body;
  // Nor can a member of the library: the log folder is the admins' and apps' only.
  ASSERT_EQ(cli({"site", "permission", "grant", "-t", "contoso", "/sites/hr", "--role", "member",
                 "--user", "adele@contoso.com"}),
            0);
  EXPECT_EQ(get(file_path(log) + "/$value", adele)->status, 403);
  EXPECT_EQ(upload(kLib + "/import/" + job, "ImportLog.txt", adele, "forged")->status, 403);
  EXPECT_EQ(read(log, ga), log_text);
  EXPECT_EQ(read(log, app()), log_text);
  ASSERT_EQ(cli({"site", "permission", "revoke", "-t", "contoso", "/sites/hr", "--user",
                 "adele@contoso.com"}),
            0);
}

TEST_F(LibraryPermissionsTest, VisitorsReadMembersWriteAndRevokingTakesItBack) {
  const std::string ga = person("ga@contoso.com");
  const std::string bob = person("bob@contoso.com");
  ASSERT_EQ(upload(kLib + "/team", "plan.txt", ga, "v1")->status, 200);
  EXPECT_EQ(read(kLib + "/team/plan.txt", bob), "v1");
  EXPECT_EQ(get(folder_path(kLib + "/team") + "/files", bob)->status, 200);
  EXPECT_EQ(upload(kLib + "/team", "plan.txt", bob, "bob's")->status, 403);
  EXPECT_EQ(client().Delete(encoded(file_path(kLib + "/team/plan.txt")), headers(bob))->status,
            403);

  ASSERT_EQ(cli({"site", "permission", "grant", "-t", "contoso", "/sites/hr", "--role", "member",
                 "--user", "bob@contoso.com"}),
            0);
  json perms = permissions();
  ASSERT_TRUE(perms.is_array()) << perms;
  EXPECT_EQ(perms[0]["library"], "");
  EXPECT_EQ(perms[0]["default"], false);
  bool listed = false;
  for (const json& a : perms[0]["assignments"]) {
    if (a["principal"] == "bob@contoso.com") {
      listed = true;
      EXPECT_EQ(a["kind"], "person");
      EXPECT_EQ(a["roles"], json({"member"}));
    }
  }
  EXPECT_TRUE(listed) << perms;
  EXPECT_EQ(upload(kLib + "/team", "plan.txt", bob, "bob's")->status, 200);
  EXPECT_EQ(read(kLib + "/team/plan.txt", ga), "bob's");
  EXPECT_EQ(client().Delete(encoded(file_path(kLib + "/team/plan.txt")), headers(bob))->status,
            200);

  ASSERT_EQ(cli({"site", "permission", "revoke", "-t", "contoso", "/sites/hr", "--user",
                 "bob@contoso.com"}),
            0);
  EXPECT_EQ(upload(kLib + "/team", "plan.txt", bob, "again")->status, 403);
  EXPECT_EQ(read(kLib + "/team/plan.txt", bob), "(status 404)");  // still a visitor
  // Revoking Everyone leaves people without a role: nothing to read.
  ASSERT_EQ(upload(kLib + "/team", "plan.txt", ga, "v2")->status, 200);
  ASSERT_EQ(cli({"site", "permission", "revoke", "-t", "contoso", "/sites/hr", "--everyone"}), 0);
  EXPECT_EQ(get(file_path(kLib + "/team/plan.txt") + "/$value", bob)->status, 403);
  ASSERT_EQ(cli({"site", "permission", "grant", "-t", "contoso", "/sites/hr", "--role", "visitor",
                 "--everyone"}),
            0);
  EXPECT_EQ(read(kLib + "/team/plan.txt", bob), "v2");
}

TEST_F(LibraryPermissionsTest, AGroupGrantReachesItsTransitiveMembersOnly) {
  const std::string ga = person("ga@contoso.com");
  ASSERT_EQ(upload(kLib + "/groups", "a.txt", ga, "a")->status, 200);
  EXPECT_EQ(upload(kLib + "/groups", "a.txt", person("carol@contoso.com"), "c")->status, 403);
  ASSERT_EQ(cli({"site", "permission", "grant", "-t", "contoso", "/sites/hr", "--role", "member",
                 "--group", "HR Team"}),
            0);
  EXPECT_EQ(upload(kLib + "/groups", "a.txt", person("carol@contoso.com"), "c")->status, 200);
  EXPECT_EQ(upload(kLib + "/groups", "a.txt", person("bob@contoso.com"), "b")->status, 403);
  EXPECT_EQ(read(kLib + "/groups/a.txt", ga), "c");
  ASSERT_EQ(
      cli({"site", "permission", "revoke", "-t", "contoso", "/sites/hr", "--group", "HR Team"}), 0);
  EXPECT_EQ(upload(kLib + "/groups", "a.txt", person("carol@contoso.com"), "c2")->status, 403);
}

TEST_F(LibraryPermissionsTest, ALibraryWithItsOwnAssignmentsThroughPnPjsCalls) {
  const std::string ga = person("ga@contoso.com");
  const std::string adele = person("adele@contoso.com");
  const std::string restricted = "/sites/hr/Restricted";
  ASSERT_EQ(upload(restricted, "salaries.txt", ga, "secret")->status, 200);
  ASSERT_EQ(upload(kLib, "open.txt", ga, "open")->status, 200);
  const std::string list = kApi + "/web/lists/getByTitle('Restricted')";
  auto r = get(list, adele);
  ASSERT_EQ(r->status, 200) << r->body;
  EXPECT_EQ(json::parse(r->body)["HasUniqueRoleAssignments"], false);
  EXPECT_EQ(read(restricted + "/salaries.txt", adele), "secret");

  // Only owners break inheritance or read assignments.
  r = post(list + "/breakroleinheritance(copyroleassignments=false, clearsubscopes=true)", adele);
  EXPECT_EQ(r->status, 403) << r->body;
  EXPECT_EQ(get(kApi + "/web/roleassignments", adele)->status, 403);
  r = post(list + "/breakroleinheritance(copyroleassignments=false, clearsubscopes=true)", ga);
  ASSERT_EQ(r->status, 200) << r->body;
  EXPECT_EQ(json::parse(get(list, ga)->body)["HasUniqueRoleAssignments"], true);
  EXPECT_EQ(get(file_path(restricted + "/salaries.txt") + "/$value", adele)->status, 403);
  EXPECT_EQ(read(kLib + "/open.txt", adele), "open");  // the site's other library

  // Adele's principal id is her id in the site's user list.
  r = post(kApi + "/web/ensureuser", ga, R"({"logonName":"adele@contoso.com"})");
  ASSERT_EQ(r->status, 200) << r->body;
  const int64_t id = json::parse(r->body)["Id"];
  r = post(list + "/roleassignments/addroleassignment(principalid=" + std::to_string(id) +
               ", roledefid=1073741826)",
           ga);
  ASSERT_EQ(r->status, 200) << r->body;
  EXPECT_EQ(read(restricted + "/salaries.txt", adele), "secret");
  EXPECT_EQ(upload(restricted, "salaries.txt", adele, "raise")->status, 403);
  r = get(list + "/roleassignments?$expand=Member,RoleDefinitionBindings", ga);
  ASSERT_EQ(r->status, 200) << r->body;
  json items = json::parse(r->body)["value"];
  ASSERT_EQ(items.size(), 1u) << items;
  EXPECT_EQ(items[0]["PrincipalId"], id);
  EXPECT_EQ(items[0]["Member"]["LoginName"], "i:0#.f|membership|adele@contoso.com");
  EXPECT_EQ(items[0]["RoleDefinitionBindings"][0]["Id"], 1073741826);
  EXPECT_EQ(items[0]["RoleDefinitionBindings"][0]["Name"], "Read");
  r = get(list + "/roleassignments?$filter=PrincipalId%20eq%20" + std::to_string(id), ga);
  ASSERT_EQ(r->status, 200) << r->body;
  EXPECT_EQ(json::parse(r->body)["value"].size(), 1u) << r->body;
  r = get(list + "/roleassignments?$filter=PrincipalId%20ne%20" + std::to_string(id), ga);
  ASSERT_EQ(r->status, 200) << r->body;
  EXPECT_EQ(json::parse(r->body)["value"].size(), 0u) << "a filter is applied: " << r->body;
  r = get(list + "/roleassignments?$search=adele", ga);
  EXPECT_EQ(r->status, 400) << "an unimplemented query option is refused: " << r->body;
  r = post(list + "/roleassignments/removeroleassignment(principalid=" + std::to_string(id) +
               ", roledefid=1073741826)",
           ga);
  ASSERT_EQ(r->status, 200) << r->body;
  EXPECT_EQ(get(file_path(restricted + "/salaries.txt") + "/$value", adele)->status, 403);

  r = post(list + "/resetroleinheritance", ga);
  ASSERT_EQ(r->status, 200) << r->body;
  EXPECT_EQ(json::parse(get(list, ga)->body)["HasUniqueRoleAssignments"], false);
  EXPECT_EQ(read(restricted + "/salaries.txt", adele), "secret");

  // Role definitions carry SharePoint's ids.
  r = get(kApi + "/web/roledefinitions/getbyname('Contribute')", adele);
  ASSERT_EQ(r->status, 200) << r->body;
  EXPECT_EQ(json::parse(r->body)["Id"], 1073741827);
  EXPECT_EQ(json::parse(get(kApi + "/web/roledefinitions", adele)->body)["value"].size(), 3u);
}

TEST_F(LibraryPermissionsTest, TheCliManagesALibrarysOwnAssignments) {
  const std::string ga = person("ga@contoso.com");
  const std::string bob = person("bob@contoso.com");
  ASSERT_EQ(upload("/sites/hr/Board", "minutes.txt", ga, "m")->status, 200);
  auto [code, err] =
      cli_err({"site", "permission", "grant", "-t", "contoso", "/sites/hr", "--library", "Board",
               "--role", "member", "--user", "bob@contoso.com"});
  EXPECT_NE(code, 0);
  EXPECT_NE(err.find("inherits"), std::string::npos) << err;
  ASSERT_EQ(cli({"site", "permission", "break-inheritance", "-t", "contoso", "/sites/hr",
                 "--library", "Board", "--empty"}),
            0);
  EXPECT_EQ(get(file_path("/sites/hr/Board/minutes.txt") + "/$value", bob)->status, 403);
  ASSERT_EQ(cli({"site", "permission", "grant", "-t", "contoso", "/sites/hr", "--library", "Board",
                 "--role", "member", "--user", "bob@contoso.com"}),
            0);
  EXPECT_EQ(upload("/sites/hr/Board", "minutes.txt", bob, "bob")->status, 200);
  EXPECT_EQ(upload(kLib + "/team", "x.txt", bob, "x")->status, 403);  // only that library
  json perms = permissions();
  bool board = false;
  for (const json& scope : perms) board = board || scope["library"] == "Board";
  EXPECT_TRUE(board) << perms;
  ASSERT_EQ(cli({"site", "permission", "reset-inheritance", "-t", "contoso", "/sites/hr",
                 "--library", "Board"}),
            0);
  EXPECT_EQ(upload("/sites/hr/Board", "minutes.txt", bob, "bob2")->status, 403);
  EXPECT_EQ(read("/sites/hr/Board/minutes.txt", bob), "bob");
}

TEST_F(LibraryPermissionsTest, BadInputIsRefusedByNameAndStoresNothing) {
  const json before = permissions();
  struct Case {
    std::vector<std::string> args;
    std::string names;
  };
  const std::vector<Case> cases = {
      {{"grant", "--role", "member", "--user", "nobody@contoso.com"}, "nobody@contoso.com"},
      {{"grant", "--role", "member", "--group", "No Such Group"}, "No Such Group"},
      {{"grant", "--role", "editor", "--user", "bob@contoso.com"}, "editor"},
      {{"grant", "--role", "member"}, "--user"},
      {{"grant", "--role", "member", "--user", "bob@contoso.com", "--group", "HR Team"}, "one"},
      {{"grant", "--library", "Nope", "--role", "member", "--user", "bob@contoso.com"}, "Nope"},
      {{"break-inheritance", "--library", "Nope"}, "Nope"},
      {{"break-inheritance"}, "--library"},
      {{"revoke", "--user", "carol@contoso.com"}, "carol@contoso.com"},
  };
  for (const Case& c : cases) {
    std::vector<std::string> args = {"site", "permission", c.args[0], "-t", "contoso", "/sites/hr"};
    args.insert(args.end(), c.args.begin() + 1, c.args.end());
    auto [code, err] = cli_err(args);
    EXPECT_NE(code, 0) << c.args[0] << " " << c.names;
    EXPECT_NE(err.find(c.names), std::string::npos)
        << "message does not name '" << c.names << "': " << err;
  }
  auto [code, err] = cli_err({"site", "permission", "list", "-t", "contoso", "/nosite/x"});
  EXPECT_NE(code, 0);
  EXPECT_EQ(permissions(), before);

  // REST: unknown role definitions, principals and lists; nothing stored either.
  const std::string ga = person("ga@contoso.com");
  auto r = post(kApi + "/web/roleassignments/addroleassignment(principalid=1, roledefid=5)", ga);
  EXPECT_EQ(r->status, 400) << r->body;
  EXPECT_NE(message(r).find("roledefid 5"), std::string::npos) << r->body;
  r = post(kApi + "/web/roleassignments/addroleassignment(principalid=999, roledefid=1073741826)",
           ga);
  EXPECT_EQ(r->status, 400) << r->body;
  EXPECT_NE(message(r).find("999"), std::string::npos) << r->body;
  r = post(kApi + "/web/lists/getByTitle('Nope')/breakroleinheritance(copyroleassignments=true)",
           ga);
  EXPECT_EQ(r->status, 404) << r->body;
  r = get(kApi + "/web/roledefinitions?$top=1", ga);
  EXPECT_EQ(r->status, 400) << r->body;
  EXPECT_EQ(permissions(), before);
}

}  // namespace
}  // namespace upsync
