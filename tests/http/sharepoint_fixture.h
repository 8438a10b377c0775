// The SharePoint REST tests' server (sharepoint_test.cpp, sharepoint_site_users_test.cpp,
// sharepoint_bulk_import_test.cpp): one real `upsync serve` per suite, with tenants contoso
// (online), fabrikam, farm (server) and school (education), apps, people with each role,
// profiles with a manager and custom properties; calls as PnPjs makes them.
#pragma once

#include <gtest/gtest.h>
#include <httplib.h>

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "http/server_process.h"
#include "test_support.h"

namespace upsync::testing {

using json = nlohmann::json;

inline constexpr const char* kVerbose = "application/json;odata=verbose";
inline constexpr const char* kNoMeta = "application/json;odata=nometadata";
inline constexpr const char* kMinimal = "application/json";
inline const std::string kAdele = "i:0#.f|membership|adele@contoso.com";
inline const std::string kMegan = "i:0#.f|membership|megan@contoso.com";
// PnPjs's form of getPropertiesFor(kAdele): URLSearchParams encodes the alias's key too.
inline const std::string kAdeleAlias = "%40v=%27i%3A0%23.f%7Cmembership%7Cadele%40contoso.com%27";
inline const std::string kApi = "/tenants/contoso/sites/hr/_api";
inline const std::string kPeople = kApi + "/sp.userprofiles.peoplemanager";
inline const std::string kTenantApi =
    kApi + "/Microsoft.Online.SharePoint.TenantManagement.Office365Tenant";
inline const std::string kLib = "/sites/hr/Shared Documents";

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

inline std::string find_property(const json& props, const std::string& key) {
  for (const auto& p : props) {
    if (p["Key"] == key) return p["Value"];
  }
  return "<absent>";
}

inline std::string folder_path(const std::string& decoded_url) {
  return kApi + "/web/getFolderByServerRelativePath(decodedUrl='" +
         httplib::detail::encode_query_param(decoded_url) + "')";
}
inline std::string file_path(const std::string& decoded_url) {
  return kApi + "/web/getFileByServerRelativePath(decodedUrl='" +
         httplib::detail::encode_query_param(decoded_url) + "')";
}

}  // namespace upsync::testing
