// Account names in SharePoint REST calls (sp_find_account in src/http/sharepoint_common.h),
// through the real `upsync serve`: something shaped like a claim that the claims parser
// refuses is a 400 that says why, never a 404 that reads as "no such person"; a well-formed
// account of nobody stays a 404 (a null result for GetPropertiesFor).
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
using upsync::testing::run_output;
using upsync::testing::Server;
using upsync::testing::TempDir;

const std::string kPeople = "/tenants/contoso/sites/hr/_api/sp.userprofiles.peoplemanager";
const std::string kBob = "i:0#.f|membership|bob@contoso.com";

// Percent-encodes everything but unreserved characters, as PnPjs encodes an alias's value.
std::string encode(std::string_view s) { return testing::percent_encode(s); }

class AccountNameTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new TempDir();
    const std::string data = dir_->str() + "/data";
    ASSERT_EQ(run({"--data-dir", data, "tenant", "create", "contoso"}), 0);
    ASSERT_EQ(run({"--data-dir", data, "profile", "create", "-t", "contoso", kBob, "--set",
                   "FirstName=Bob"}),
              0);
    json app = json::parse(
        run_output({"--data-dir", data, "--json", "app", "add", "--tenant", "contoso", "x"}));
    server_ = new Server(*dir_, {"--no-worker"});
    ASSERT_GT(server_->port(), 0) << server_->log();
    auto r =
        client().Post("/contoso/oauth2/v2.0/token",
                      httplib::Params{{"grant_type", "client_credentials"},
                                      {"client_id", app["clientId"].get<std::string>()},
                                      {"client_secret", app["clientSecret"].get<std::string>()},
                                      {"scope", "https://contoso.sharepoint.com/.default"}});
    ASSERT_TRUE(r);
    ASSERT_EQ(r->status, 200) << r->body;
    token_ = json::parse(r->body)["access_token"];
  }
  static void TearDownTestSuite() {
    delete server_;
    delete dir_;
  }
  static httplib::Client client() {
    httplib::Client c("127.0.0.1", server_->port());
    c.set_url_encode(false);
    return c;
  }
  static httplib::Headers headers() {
    return {{"Accept", "application/json;odata=nometadata"}, {"Authorization", "Bearer " + token_}};
  }
  static std::string message(const httplib::Result& r) {
    json j = json::parse(r->body, nullptr, false);
    if (j.is_discarded() || !j.contains("odata.error")) return r->body;
    return j["odata.error"]["message"]["value"];
  }
  static inline TempDir* dir_ = nullptr;
  static inline Server* server_ = nullptr;
  static inline std::string token_;
};

struct Case {
  std::string account;
  int status;           // of GetUserProfilePropertyFor
  std::string message;  // part of the 400's message
};

// Claim-shaped names the parser refuses, each with the parser's reason.
const std::vector<Case> kCases = {
    {"x:0#.f|membership|bob@contoso.com", 400, "expected 'i' (identity claim) or 'c'"},
    {"X:0#.f|membership|bob@contoso.com", 400, "expected 'i' (identity claim) or 'c'"},
    {"w:0#.w|contoso\\bob", 400, "expected 'i' (identity claim) or 'c'"},
    {"0#.f|membership|bob@contoso.com", 400, "expected 'i' (identity claim) or 'c'"},
    {"membership|bob@contoso.com", 400, "expected 'i' (identity claim) or 'c'"},
    {"I:0#.f|membership|bob@contoso.com", 400, "claims are lower case"},
    {"i:0#.x|membership|bob@contoso.com", 400, "is not a valid claim"},
    {"i:0#.f|membership", 400, "is not a valid claim"},
    {"i:0#.f|", 400, "is not a valid claim"},
    {"i:1#.f|membership|bob@contoso.com", 400, "expected '0' (reserved)"},
    // Well formed, and nobody's: not found.
    {"i:0#.f|membership|nobody@contoso.com", 404, ""},
    {"nobody@contoso.com", 404, ""},
    {"contoso\\nobody", 404, ""},
    // Bob.
    {kBob, 200, ""},
    {"bob@contoso.com", 200, ""},
};

TEST_F(AccountNameTest, AMalformedClaimIsA400ThatSaysWhy) {
  for (const Case& c : kCases) {
    const std::string alias = "?@v='" + encode(c.account) + "'";
    auto r = client().Get(
        (kPeople + "/GetUserProfilePropertyFor(accountName=@v,propertyName='FirstName')" + alias)
            .c_str(),
        headers());
    ASSERT_TRUE(r) << c.account;
    EXPECT_EQ(r->status, c.status) << c.account << ": " << r->body;
    if (c.status == 400) {
      EXPECT_NE(message(r).find("The account name '"), std::string::npos)
          << c.account << ": " << r->body;
      EXPECT_NE(message(r).find(c.message), std::string::npos) << c.account << ": " << r->body;
    }
    // GetPropertiesFor answers an unknown person with a null result; a bad name is still a 400.
    auto p = client().Get((kPeople + "/GetPropertiesFor(@v)" + alias).c_str(), headers());
    ASSERT_TRUE(p) << c.account;
    EXPECT_EQ(p->status, c.status == 404 ? 200 : c.status) << c.account << ": " << p->body;
  }
}

TEST_F(AccountNameTest, ARefusedSetChangesNothing) {
  const std::string before = run_output(
      {"--data-dir", dir_->str() + "/data", "--json", "profile", "get", "-t", "contoso", kBob});
  ASSERT_NE(before, "");
  json body = {{"accountName", "x:0#.f|membership|bob@contoso.com"},
               {"propertyName", "FirstName"},
               {"propertyValue", "Mallory"}};
  auto r = client().Post((kPeople + "/SetSingleValueProfileProperty").c_str(), headers(),
                         body.dump(), "application/json");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 400) << r->body;
  EXPECT_NE(message(r).find("is not a valid claim"), std::string::npos) << r->body;
  EXPECT_EQ(run_output({"--data-dir", dir_->str() + "/data", "--json", "profile", "get", "-t",
                        "contoso", kBob}),
            before);
}

}  // namespace
}  // namespace upsync
