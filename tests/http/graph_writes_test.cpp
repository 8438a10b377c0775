// Graph writes (src/http/graph_writes.h) against the real `upsync serve`: users and groups
// created, changed and deleted over HTTP land in the cloud directory, where users/delta and the
// sync see them; synced objects, bad bodies and callers without the right are refused as Graph
// refuses them, and change nothing.
#include <gtest/gtest.h>
#include <httplib.h>

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

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

constexpr const char* kSynced =
    "Unable to update the specified properties for on-premises mastered Directory Sync objects "
    "or objects currently undergoing migration.";

class GraphWritesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    made_.fill(dir_.path(), [&] { make_folder(); });
    if (HasFatalFailure()) return;
    server_ = std::make_unique<Server>(dir_);
    ASSERT_GT(server_->port(), 0);
    http_ = std::make_unique<httplib::Client>("127.0.0.1", server_->port());
    app_ = token({{"grant_type", "client_credentials"}, {"client_secret", secret_}});
  }
  void make_folder() {
    ASSERT_EQ(cli({"tenant", "create", "contoso"}), 0);
    auto app = json::parse(
        run_output({"--data-dir", data(), "--json", "app", "add", "-t", "contoso", "w"}));
    client_id_ = app["clientId"];
    secret_ = app["clientSecret"];
    for (auto [upn, role] : {std::pair{"ga@contoso.com", "global-admin"},
                             {"spa@contoso.com", "sharepoint-admin"},
                             {"adele@contoso.com", "user"}}) {
      ASSERT_EQ(cli({"user", "password", "set", "-t", "contoso", upn, "--role", role, "--password",
                     "pa55word!"}),
                0);
    }
    // One synced user and group (from LDIF), one cloud-only user for the admin.
    const std::string ldif = dir_.str() + "/d.ldif";
    write_file(ldif,
               "dn: CN=Synced,DC=contoso,DC=com\nobjectClass: user\n"
               "objectGUID:: AAECAwQFBgcICQoLDA0ODw==\nuserPrincipalName: synced@contoso.com\n"
               "displayName: Synced\n\n"
               "dn: CN=Onprem,DC=contoso,DC=com\nobjectClass: group\ncn: Onprem\n"
               "objectGUID:: EBESExQVFhcYGRobHB0eHw==\n"
               "member: CN=Synced,DC=contoso,DC=com\n\n");
    ASSERT_EQ(cli({"sync", "ldif", "-t", "contoso", ldif}), 0);
    ASSERT_EQ(cli({"directory", "user", "add", "-t", "contoso", "ga@contoso.com"}), 0);
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
  std::string person(const std::string& upn, const std::string& pw = "pa55word!") {
    return token({{"grant_type", "password"}, {"username", upn}, {"password", pw}});
  }
  // method, path under /tenants/contoso/v1.0, body → (status, parsed body or null)
  std::pair<int, json> call(const std::string& method, const std::string& path,
                            const std::string& body = "", const std::string& tok = "") {
    httplib::Headers h = {{"Authorization", "Bearer " + (tok.empty() ? app_ : tok)}};
    const std::string full = "/tenants/contoso/v1.0" + path;
    httplib::Result r = method == "POST"     ? http_->Post(full, h, body, "application/json")
                        : method == "PATCH"  ? http_->Patch(full, h, body, "application/json")
                        : method == "DELETE" ? http_->Delete(full, h)
                                             : http_->Get(full, h);
    EXPECT_TRUE(r) << method << " " << path;
    if (!r) return {0, nullptr};
    return {r->status, r->body.empty() ? json() : json::parse(r->body, nullptr, false)};
  }
  // A refusal: the status and Graph's error code and message.
  void expect_error(const std::pair<int, json>& got, int status, const std::string& code,
                    const std::string& message_part) {
    EXPECT_EQ(got.first, status) << got.second;
    EXPECT_EQ(got.second["error"]["code"], code) << got.second;
    EXPECT_NE(got.second["error"]["message"].get<std::string>().find(message_part),
              std::string::npos)
        << got.second;
  }
  std::string new_user_body(const std::string& upn) {
    return json({{"accountEnabled", true},
                 {"displayName", "New Person"},
                 {"mailNickname", "newperson"},
                 {"userPrincipalName", upn},
                 {"passwordProfile",
                  {{"forceChangePasswordNextSignIn", false}, {"password", "Xy7!secret"}}}})
        .dump();
  }
  std::string user_id(const std::string& upn) {
    auto [st, u] = call("GET", "/users/" + upn);
    EXPECT_EQ(st, 200) << u;
    return st == 200 ? u["id"].get<std::string>() : "";
  }

  static inline upsync::testing::FolderTemplate made_;
  static inline std::string client_id_, secret_;
  TempDir dir_;
  std::string app_;
  std::unique_ptr<Server> server_;
  std::unique_ptr<httplib::Client> http_;
};

TEST_F(GraphWritesTest, CreatedUsersAreInTheDirectoryDeltaAndSignIn) {
  auto [st, delta] = call("GET", "/users/delta");
  ASSERT_EQ(st, 200);
  std::string next = delta["@odata.deltaLink"];
  next = next.substr(next.find("/v1.0") + 5);

  auto [st2, made] = call("POST", "/users", new_user_body("new@contoso.com"));
  ASSERT_EQ(st2, 201) << made;
  EXPECT_EQ(made["userPrincipalName"], "new@contoso.com");
  EXPECT_EQ(made["displayName"], "New Person");
  EXPECT_EQ(made["@odata.context"].get<std::string>().find("$metadata#users/$entity") !=
                std::string::npos,
            true);
  const std::string id = made["id"];
  EXPECT_EQ(user_id("new@contoso.com"), id);
  // The password it was given signs it in.
  EXPECT_FALSE(person("new@contoso.com", "Xy7!secret").empty());

  ASSERT_EQ(call("PATCH", "/users/" + id, R"({"jobTitle":"Buyer","officeLocation":"B2"})").first,
            204);
  auto [st3, got] = call("GET", "/users/" + id);
  EXPECT_EQ(got["jobTitle"], "Buyer");
  EXPECT_EQ(got["officeLocation"], "B2");
  // null clears.
  ASSERT_EQ(call("PATCH", "/users/new@contoso.com", R"({"jobTitle":null})").first, 204);
  EXPECT_TRUE(call("GET", "/users/" + id).second["jobTitle"].is_null());

  // A new password (hashed on the sign-in pool) replaces the old one; a rename of a user who
  // signs in needs one, and moves it to the new name.
  ASSERT_EQ(call("PATCH", "/users/" + id, R"({"passwordProfile":{"password":"Zz9?other"}})").first,
            204);
  EXPECT_FALSE(person("new@contoso.com", "Zz9?other").empty());
  expect_error(call("PATCH", "/users/" + id, R"({"userPrincipalName":"renamed@contoso.com"})"), 400,
               "Request_BadRequest", "needs a new passwordProfile");
  ASSERT_EQ(call("PATCH", "/users/" + id,
                 R"({"userPrincipalName":"renamed@contoso.com",)"
                 R"("passwordProfile":{"password":"Zz9?third"}})")
                .first,
            204);
  EXPECT_FALSE(person("renamed@contoso.com", "Zz9?third").empty());
  ASSERT_EQ(
      call("PATCH", "/users/" + id,
           R"({"userPrincipalName":"new@contoso.com","passwordProfile":{"password":"Xy7!secret"}})")
          .first,
      204);

  auto [st4, changes] = call("GET", next);
  ASSERT_EQ(st4, 200) << changes;
  ASSERT_EQ(changes["value"].size(), 1u) << changes;
  EXPECT_EQ(changes["value"][0]["id"], id);

  // The sync carries it into a profile.
  ASSERT_EQ(cli({"sync", "run", "-t", "contoso"}), 0);
  EXPECT_NE(run_output({"--data-dir", data(), "profile", "list", "-t", "contoso"})
                .find("new@contoso.com"),
            std::string::npos);

  ASSERT_EQ(call("DELETE", "/users/" + id).first, 204);
  EXPECT_EQ(call("GET", "/users/" + id).first, 404);
  EXPECT_EQ(call("DELETE", "/users/" + id).first, 404);
  auto [st5, after] = call("GET", next);
  ASSERT_EQ(after["value"].size(), 1u) << after;
  EXPECT_EQ(after["value"][0]["@removed"]["reason"], "deleted");
  // Deleted, the user signs in no more.
  auto r = http_->Post("/contoso/oauth2/v2.0/token",
                       httplib::Params{{"grant_type", "password"},
                                       {"client_id", client_id_},
                                       {"username", "new@contoso.com"},
                                       {"password", "Xy7!secret"},
                                       {"scope", "https://graph.microsoft.com/.default"}});
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 400);
}

TEST_F(GraphWritesTest, SyncedObjectsAreRefusedAsAzureAdRefusesThem) {
  const std::string synced = user_id("synced@contoso.com");
  expect_error(call("PATCH", "/users/" + synced, R"({"jobTitle":"x"})"), 400, "Request_BadRequest",
               kSynced);
  expect_error(call("PATCH", "/users/synced@contoso.com", R"({"displayName":"x"})"), 400,
               "Request_BadRequest", kSynced);
  expect_error(call("DELETE", "/users/" + synced), 400, "Request_BadRequest", kSynced);
  EXPECT_EQ(call("GET", "/users/" + synced).second["displayName"], "Synced");
  auto [st, groups] = call("GET", "/groups");
  const std::string group = groups["value"][0]["id"];
  expect_error(call("PATCH", "/groups/" + group, R"({"description":"x"})"), 400,
               "Request_BadRequest", kSynced);
  expect_error(call("DELETE", "/groups/" + group), 400, "Request_BadRequest", kSynced);
  expect_error(call("DELETE", "/groups/" + group + "/members/" + synced + "/$ref"), 400,
               "Request_BadRequest", kSynced);
  EXPECT_EQ(call("GET", "/groups/" + group + "/members").second["value"].size(), 1u);
}

TEST_F(GraphWritesTest, BadBodiesGetGraphsMessagesAndChangeNothing) {
  auto body = [&](const std::string& key, json value) {
    json b = json::parse(new_user_body("bad@contoso.com"));
    if (value.is_discarded()) {
      b.erase(key);
    } else {
      b[key] = value;
    }
    return b.dump();
  };
  const json kRemove = json(json::value_t::discarded);
  struct Case {
    std::string body;
    std::string message;
  };
  const std::vector<Case> kCases = {
      {body("accountEnabled", kRemove), "Invalid value specified for property 'accountEnabled'"},
      {body("displayName", kRemove), "Invalid value specified for property 'displayName'"},
      {body("mailNickname", kRemove), "Invalid value specified for property 'mailNickname'"},
      {body("userPrincipalName", kRemove), "property 'userPrincipalName' of resource 'User'"},
      {body("passwordProfile", kRemove), "Invalid value specified for property 'passwordProfile'"},
      {body("accountEnabled", "yes"), "Invalid value specified for property 'accountEnabled'"},
      {body("displayName", 42), "Invalid value specified for property 'displayName'"},
      {body("userPrincipalName", "no-at-sign"), "property 'userPrincipalName'"},
      {body("mailNickname", "has space"), "property 'mailNickname'"},
      {body("businessPhones", json::array({"1", "2"})), "property 'businessPhones'"},
      {body("favouriteColour", "red"),
       "Property 'favouriteColour' does not exist as a declared property or extension property."},
      {body("id", "00000000-0000-0000-0000-000000000000"), "Property 'id' is read-only"},
      {body("onPremisesImmutableId", "abc"), "Property 'onPremisesImmutableId' is read-only"},
      {body("city", "Oslo"), "Property 'city' is not supported by upsync"},
      {body("passwordProfile", {{"password", "short"}}), "password complexity requirements"},
      {body("passwordProfile", {{"password", "Xy7!secret"}, {"x", 1}}), "Property 'x' does not"},
      {body("userPrincipalName", "synced@contoso.com"), "Another object with the same value"},
      {body("userPrincipalName", "spa@contoso.com"), "Another object with the same value"},
      {"[1,2]", "must be a JSON object"},
  };
  for (const auto& c : kCases) {
    auto got = call("POST", "/users", c.body);
    EXPECT_EQ(got.first, 400) << c.body << " " << got.second;
    EXPECT_NE(got.second.dump().find(c.message), std::string::npos) << c.body << " " << got.second;
  }
  EXPECT_EQ(call("GET", "/users/bad@contoso.com").first, 404);
  // Malformed JSON, and query options writes do not apply.
  EXPECT_EQ(call("POST", "/users", "{").first, 400);
  expect_error(call("POST", "/users?$select=id", new_user_body("q@contoso.com")), 400,
               "Request_UnsupportedQuery", "$select");
  EXPECT_EQ(call("GET", "/users/q@contoso.com").first, 404);
}

TEST_F(GraphWritesTest, OnlyAppsAndGlobalAdminsWriteAndAdminsAreTheGlobalAdminsOwn) {
  for (const std::string who : {"adele@contoso.com", "spa@contoso.com"}) {
    expect_error(call("POST", "/users", new_user_body("x@contoso.com"), person(who)), 403,
                 "Authorization_RequestDenied", "Insufficient privileges");
  }
  EXPECT_EQ(call("POST", "/users", new_user_body("x@contoso.com"), person("ga@contoso.com")).first,
            201);
  // An app may not disable, rename, re-password or delete a global admin's account.
  const std::string ga = user_id("ga@contoso.com");
  expect_error(call("PATCH", "/users/" + ga, R"({"accountEnabled":false})"), 403,
               "Authorization_RequestDenied", "Insufficient privileges");
  expect_error(call("DELETE", "/users/" + ga), 403, "Authorization_RequestDenied",
               "Insufficient privileges");
  EXPECT_FALSE(person("ga@contoso.com").empty());
}

TEST_F(GraphWritesTest, GroupsAndTheirMembersAreWritten) {
  const std::string adele = user_id("ga@contoso.com");
  auto [st, g] = call(
      "POST", "/groups",
      json({{"displayName", "Buyers"},
            {"mailEnabled", false},
            {"mailNickname", "buyers"},
            {"securityEnabled", true},
            {"members@odata.bind", {"https://graph.microsoft.com/v1.0/directoryObjects/" + adele}}})
          .dump());
  ASSERT_EQ(st, 201) << g;
  const std::string id = g["id"];
  EXPECT_EQ(g["displayName"], "Buyers");
  EXPECT_EQ(g["securityEnabled"], true);
  EXPECT_EQ(call("GET", "/groups/" + id + "/members").second["value"].size(), 1u);

  ASSERT_EQ(call("PATCH", "/groups/" + id, R"({"description":"People who buy"})").first, 204);
  EXPECT_EQ(call("GET", "/groups/" + id).second["description"], "People who buy");

  const std::string synced = user_id("synced@contoso.com");
  const std::string ref =
      json({{"@odata.id", "https://graph.microsoft.com/v1.0/directoryObjects/" + synced}}).dump();
  ASSERT_EQ(call("POST", "/groups/" + id + "/members/$ref", ref).first, 204);
  expect_error(call("POST", "/groups/" + id + "/members/$ref", ref), 400, "Request_BadRequest",
               "already exist");
  expect_error(call("POST", "/groups/" + id + "/members/$ref",
                    R"({"@odata.id":"https://graph.microsoft.com/v1.0/directoryObjects/)"
                    R"(00000000-0000-0000-0000-000000000000"})"),
               404, "Request_ResourceNotFound", "does not exist");
  expect_error(call("POST", "/groups/" + id + "/members/$ref",
                    json({{"@odata.id", "https://graph.microsoft.com/v1.0/groups/" + id}}).dump()),
               400, "Request_BadRequest", "member of itself");
  EXPECT_EQ(call("POST", "/groups/" + id + "/members/$ref", R"({"@odata.id":"nope"})").first, 400);
  EXPECT_EQ(call("GET", "/groups/" + id + "/members").second["value"].size(), 2u);
  ASSERT_EQ(call("DELETE", "/groups/" + id + "/members/" + synced + "/$ref").first, 204);
  EXPECT_EQ(call("DELETE", "/groups/" + id + "/members/" + synced + "/$ref").first, 404);
  EXPECT_EQ(call("GET", "/groups/" + id + "/members").second["value"].size(), 1u);

  // Bad group bodies.
  expect_error(call("POST", "/groups", R"({"displayName":"x","mailEnabled":false})"), 400,
               "Request_BadRequest", "property 'mailNickname' of resource 'Group'");
  expect_error(call("POST", "/groups",
                    R"({"displayName":"x","mailEnabled":true,"mailNickname":"x",)"
                    R"("securityEnabled":false,"groupTypes":["Unified"]})"),
               400, "Request_BadRequest", "groupTypes");
  expect_error(call("PATCH", "/groups/" + id, R"({"mail":"x@contoso.com"})"), 400,
               "Request_BadRequest", "read-only");
  expect_error(call("PATCH", "/groups/" + id, R"({"members@odata.bind":[]})"), 400,
               "Request_BadRequest", "members/$ref");
  // Members' reads and writes need a writer too.
  expect_error(call("DELETE", "/groups/" + id + "/members/" + adele + "/$ref", "",
                    person("adele@contoso.com")),
               403, "Authorization_RequestDenied", "Insufficient privileges");

  ASSERT_EQ(call("DELETE", "/groups/" + id).first, 204);
  EXPECT_EQ(call("GET", "/groups/" + id).first, 404);
  EXPECT_EQ(call("PATCH", "/groups/" + id, "{}").first, 404);
}

}  // namespace
}  // namespace upsync
