// Directory sync from a real OpenLDAP server: the fixture starts a throwaway slapd (mdb,
// syncprov, memberof) in a temp folder on a random port, loaded with 600 generated users
// (more than the server's unpaged size limit of 500), and stops it by pid.
#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>
#include <nlohmann/json.hpp>
#include <random>
#include <sstream>

#include "cli/app.h"
#include "test_support.h"

namespace upsync {
namespace {

using testing::TempDir;

const std::string kScripts = UPSYNC_TEST_SCRIPTS_DIR;
constexpr int kUsers = 600;

int sh(const std::string& cmd) { return WEXITSTATUS(std::system(cmd.c_str())); }

class LdapSyncTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new TempDir();
    std::random_device rd;
    port_ = 20000 + static_cast<int>(rd() % 20000);
    const std::string ldif = (dir_->path() / "users.ldif").string();
    ASSERT_EQ(sh(kScripts + "/gen-users.sh " + std::to_string(kUsers) + " 3 > '" + ldif + "'"), 0);
    ASSERT_EQ(sh(kScripts + "/slapd-start.sh '" + (dir_->path() / "ldap").string() + "' " +
                 std::to_string(port_) + " '" + ldif + "' > /dev/null"),
              0)
        << "slapd did not start (is it installed? bash scripts/setup.sh --test)";
  }
  static void TearDownTestSuite() {
    sh(kScripts + "/slapd-stop.sh '" + (dir_->path() / "ldap").string() + "'");
    delete dir_;
  }

  struct Out {
    int code;
    std::string out, err;
  };
  Out run(std::vector<std::string> args) {
    args.insert(args.begin(), {"upsync", "--data-dir", data_.str()});
    std::ostringstream out, err;
    int code = run_cli(args, out, err);
    return {code, out.str(), err.str()};
  }
  std::string url() const { return "ldap://127.0.0.1:" + std::to_string(port_); }
  Out sync(const std::string& password = "secret", const std::string& url_override = "") {
    setenv("UPSYNC_TEST_LDAP_PASSWORD", password.c_str(), 1);
    return run({"--json", "sync", "ldap", "-t", "contoso", "--url",
                url_override.empty() ? url() : url_override, "--base", "dc=example,dc=com",
                "--bind-dn", "cn=admin,dc=example,dc=com", "--password-env",
                "UPSYNC_TEST_LDAP_PASSWORD", "--page-size", "100"});
  }
  nlohmann::json profile(const std::string& upn) {
    Out r = run({"--json", "profile", "get", "-t", "contoso", upn});
    return r.code == 0 ? nlohmann::json::parse(r.out)["properties"] : nlohmann::json();
  }
  int64_t profiles() {
    Out r = run({"--json", "profile", "list", "-t", "contoso", "--all", "--top", "1000"});
    return static_cast<int64_t>(nlohmann::json::parse(r.out)["value"].size());
  }
  void ldap_modify(const std::string& ldif) {
    const std::string path = (data_.path() / "change.ldif").string();
    std::ofstream(path) << ldif;
    ASSERT_EQ(sh("ldapmodify -x -H " + url() + " -D cn=admin,dc=example,dc=com -w secret -f '" +
                 path + "' > /dev/null"),
              0);
  }

  void SetUp() override { ASSERT_EQ(run({"tenant", "create", "contoso"}).code, 0); }

  static TempDir* dir_;
  static int port_;
  TempDir data_;
};

TempDir* LdapSyncTest::dir_ = nullptr;
int LdapSyncTest::port_ = 0;

TEST_F(LdapSyncTest, FullThenDeltaThenDelete) {
  Out full = sync();
  ASSERT_EQ(full.code, 0) << full.err;
  auto report = nlohmann::json::parse(full.out);
  // Every user and the password-policy entry (a person without a sign-in name), paged past
  // the server's unpaged limit of 500.
  EXPECT_EQ(report["stages"][0]["read"], kUsers + 1);
  EXPECT_EQ(report["stages"][0]["skipped"]["no user principal name"], 1);
  EXPECT_EQ(report["stages"][2]["added"], kUsers);
  EXPECT_EQ(profiles(), kUsers);
  auto p = profile("user000011@example.com");
  EXPECT_EQ(p["PreferredName"], "Given11 Family11");
  EXPECT_EQ(p["Manager"], "i:0#.f|membership|user000002@example.com");
  EXPECT_EQ(p["Department"], "Finance");
  EXPECT_EQ(p["WorkPhone"], "+1 555 0000011");

  ldap_modify(
      "dn: uid=user000005,ou=people,dc=example,dc=com\nchangetype: modify\n"
      "replace: title\ntitle: Chief Architect\n-\n");
  Out delta = sync();
  ASSERT_EQ(delta.code, 0) << delta.err;
  auto d = nlohmann::json::parse(delta.out);
  EXPECT_EQ(d["stages"][1]["read"], 1) << "stage 1 reads only the changed user";
  EXPECT_EQ(d["stages"][2]["read"], 1) << "stage 2 reads only the changed user";
  EXPECT_EQ(d["stages"][2]["updated"], 1);
  EXPECT_EQ(profile("user000005@example.com")["Title"], "Chief Architect");

  ldap_modify("dn: uid=user000600,ou=people,dc=example,dc=com\nchangetype: delete\n");
  Out del = sync();
  ASSERT_EQ(del.code, 0) << del.err;
  EXPECT_EQ(nlohmann::json::parse(del.out)["stages"][2]["deleted"], 1);
  EXPECT_EQ(profiles(), kUsers - 1);
}

TEST_F(LdapSyncTest, BadCredentialsAndUnreachableServersChangeNothing) {
  ASSERT_EQ(sync().code, 0);
  const int64_t before = profiles();
  Out bad = sync("wrong");
  EXPECT_EQ(bad.code, kExitUserError);
  EXPECT_NE(
      bad.err.find("binding as cn=admin,dc=example,dc=com to " + url() + ": Invalid credentials"),
      std::string::npos)
      << bad.err;
  Out down = sync("secret", "ldap://127.0.0.1:1");
  EXPECT_EQ(down.code, kExitUserError);
  EXPECT_NE(down.err.find("Can't contact LDAP server"), std::string::npos) << down.err;
  Out bad_filter = run({"sync", "ldap", "-t", "contoso", "--url", url(), "--base",
                        "dc=example,dc=com", "--filter", "(((oops"});
  EXPECT_EQ(bad_filter.code, kExitUserError);
  EXPECT_NE(bad_filter.err.find("(((oops"), std::string::npos) << bad_filter.err;
  EXPECT_EQ(profiles(), before);
}

}  // namespace
}  // namespace upsync
