// Directory sync from a real Active Directory: the fixture provisions a throwaway Samba AD DC
// (tests/scripts/samba-ad-start.sh; LDAP on 127.0.0.1:389, so these tests hold a ctest lock)
// and stops it by pid. Users carry AD's own objectGUID, objectSid, uSNChanged and
// userAccountControl; an online tenant syncs them through the cloud directory, a server
// tenant straight into profiles with seed 001's mappings.
#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>

#include "cli/app.h"
#include "test_support.h"

namespace upsync {
namespace {

using testing::TempDir;

const std::string kScripts = UPSYNC_TEST_SCRIPTS_DIR;
const std::string kUrl = "ldap://127.0.0.1:389";
const std::string kAdmin = "Administrator@upsync.test";
const std::string kPassword = "Upsync-Admin-1!";
const std::string kBase = "OU=Staff,DC=upsync,DC=test";

int sh(const std::string& cmd) { return WEXITSTATUS(std::system(cmd.c_str())); }

// 544 = NORMAL_ACCOUNT | PASSWD_NOTREQD: enabled without a password; 546 adds ACCOUNTDISABLE.
std::string user(const std::string& sam, const std::string& name, const std::string& extra) {
  return "dn: CN=" + name + "," + kBase + "\nobjectClass: user\nsAMAccountName: " + sam +
         "\nuserPrincipalName: " + sam + "@upsync.test\ndisplayName: " + name +
         "\nuserAccountControl: 544\n" + extra + "\n";
}

class SambaAdTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new TempDir();
    ASSERT_EQ(
        sh(kScripts + "/samba-ad-start.sh '" + (dir_->path() / "ad").string() + "' > /dev/null"), 0)
        << "Samba AD did not start (installed by bash scripts/setup.sh --test)";
  }
  static void TearDownTestSuite() {
    sh(kScripts + "/samba-ad-stop.sh '" + (dir_->path() / "ad").string() + "'");
    delete dir_;
  }

  void SetUp() override {
    // A fresh OU of users for each test.
    sh("ldapdelete -r -x -H " + kUrl + " -D " + kAdmin + " -w '" + kPassword + "' '" + kBase +
       "' > /dev/null 2>&1");
    ldap("ldapadd", "dn: " + kBase + "\nobjectClass: organizationalUnit\n\n" +
                        user("alice", "Alice Adams",
                             "givenName: Alice\nsn: Adams\ntitle: Director\ndepartment: R&D\n"
                             "mail: alice@upsync.test\n") +
                        user("bob", "Bob Jansen",
                             "givenName: Bob\nsn: Jansen\ntitle: Engineer\ndepartment: R&D\n"
                             "mail: bob@upsync.test\ntelephoneNumber: +31 20 555 0100\n"
                             "physicalDeliveryOfficeName: Amsterdam\n"
                             "proxyAddresses: SMTP:bob@upsync.test\n"
                             "proxyAddresses: SIP:bob@upsync.test\n"
                             "manager: CN=Alice Adams," +
                                 kBase + "\n") +
                        user("carol", "Carol Chen", "title: Analyst\n") +
                        user("dave", "Dave Dijk", "title: Intern\n"));
    ASSERT_EQ(run({"tenant", "create", "contoso"}).code, 0);
    ASSERT_EQ(run({"tenant", "create", "farm", "--kind", "server"}).code, 0);
  }

  void ldap(const std::string& tool, const std::string& ldif) {
    const std::string path = (data_.path() / "change.ldif").string();
    std::ofstream(path) << ldif;
    ASSERT_EQ(sh(tool + " -x -H " + kUrl + " -D " + kAdmin + " -w '" + kPassword + "' -f '" + path +
                 "' > /dev/null"),
              0)
        << ldif;
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
  nlohmann::json sync(const std::string& tenant, bool full = false) {
    setenv("UPSYNC_TEST_AD_PASSWORD", kPassword.c_str(), 1);
    std::vector<std::string> args = {"--json",
                                     "sync",
                                     "ldap",
                                     "-t",
                                     tenant,
                                     "--url",
                                     kUrl,
                                     "--base",
                                     kBase,
                                     "--bind-dn",
                                     kAdmin,
                                     "--password-env",
                                     "UPSYNC_TEST_AD_PASSWORD",
                                     "--filter",
                                     "(objectClass=user)"};
    if (full) args.push_back("--full");
    Out r = run(args);
    EXPECT_EQ(r.code, 0) << r.err;
    return r.code == 0 ? nlohmann::json::parse(r.out) : nlohmann::json();
  }
  nlohmann::json profile(const std::string& tenant, const std::string& who) {
    Out r = run({"--json", "profile", "get", "-t", tenant, who});
    return r.code == 0 ? nlohmann::json::parse(r.out)["properties"] : nlohmann::json();
  }
  static std::string first(const nlohmann::json& props, const std::string& name) {
    if (!props.contains(name)) return "";
    const auto& v = props[name];
    return v.is_array() ? (v.empty() ? "" : v[0].get<std::string>()) : v.get<std::string>();
  }
  int64_t stage_total(const nlohmann::json& report, const char* what) {
    int64_t n = 0;
    for (const auto& s : report["stages"]) n += s[what].get<int64_t>();
    return n;
  }

  static TempDir* dir_;
  TempDir data_;
};
TempDir* SambaAdTest::dir_ = nullptr;

TEST_F(SambaAdTest, OnlineTenantSyncsActiveDirectoryUsersThroughTheCloud) {
  nlohmann::json report = sync("contoso");
  ASSERT_FALSE(report.is_null());
  nlohmann::json bob = profile("contoso", "bob@upsync.test");
  ASSERT_FALSE(bob.is_null());
  EXPECT_EQ(first(bob, "AccountName"), "i:0#.f|membership|bob@upsync.test");
  EXPECT_EQ(first(bob, "SPS-JobTitle"), "Engineer");
  EXPECT_EQ(first(bob, "Title"), "Engineer");
  EXPECT_EQ(first(bob, "Department"), "R&D");
  EXPECT_EQ(first(bob, "WorkEmail"), "bob@upsync.test");
  EXPECT_EQ(first(bob, "SPS-SipAddress"), "bob@upsync.test");
  EXPECT_EQ(first(bob, "WorkPhone"), "+31 20 555 0100");
  EXPECT_EQ(first(bob, "Office"), "Amsterdam");
  EXPECT_EQ(first(bob, "Manager"), "i:0#.f|membership|alice@upsync.test");
  EXPECT_FALSE(first(bob, "ADGuid").empty());  // AD's own objectGUID
  EXPECT_FALSE(first(bob, "msOnline-ObjectId").empty());
  EXPECT_FALSE(profile("contoso", "dave@upsync.test").is_null());

  // Change, disable and delete in AD, then a delta run.
  ldap("ldapmodify", "dn: CN=Bob Jansen," + kBase +
                         "\nchangetype: modify\nreplace: title\ntitle: Lead Engineer\n-\n\n"
                         "dn: CN=Carol Chen," +
                         kBase +
                         "\nchangetype: modify\nreplace: userAccountControl\n"
                         "userAccountControl: 546\n-\nreplace: title\ntitle: Gone\n-\n\n");
  ldap("ldapdelete", "CN=Dave Dijk," + kBase + "\n");
  report = sync("contoso");
  ASSERT_FALSE(report.is_null());
  // Active Directory offers no RFC 4533: the delta reads entries above the uSNChanged mark,
  // only the two changed users.
  EXPECT_NE(report["source"]["method"].get<std::string>().find("usn"), std::string::npos)
      << report["source"];
  EXPECT_EQ(report["source"]["entries"], 2) << report["source"];
  EXPECT_EQ(first(profile("contoso", "bob@upsync.test"), "SPS-JobTitle"), "Lead Engineer");
  // Seed 002: a disabled account is not processed: its profile keeps what it had.
  EXPECT_EQ(first(profile("contoso", "carol@upsync.test"), "SPS-JobTitle"), "Analyst");
  // A uSNChanged delta cannot see deletions; the periodic full compare finds them.
  report = sync("contoso", /*full=*/true);
  ASSERT_FALSE(report.is_null());
  EXPECT_TRUE(profile("contoso", "dave@upsync.test").is_null()) << "deleted in AD";
  EXPECT_GE(stage_total(report, "deleted"), 1);
}

TEST_F(SambaAdTest, GroupsAnchorOnObjectGuidWithTheirNestedMembers) {
  ldap("ldapadd", "dn: CN=Engineers," + kBase +
                      "\nobjectClass: group\nsAMAccountName: engineers\n"
                      "description: Builders\nmail: engineers@upsync.test\n"
                      "member: CN=Bob Jansen," +
                      kBase + "\nmember: CN=Carol Chen," + kBase +
                      "\n\n"
                      "dn: CN=All Staff," +
                      kBase +
                      "\nobjectClass: group\nsAMAccountName: allstaff\n"
                      "member: CN=Alice Adams," +
                      kBase + "\nmember: CN=Engineers," + kBase + "\n\n");
  setenv("UPSYNC_TEST_AD_PASSWORD", kPassword.c_str(), 1);
  auto sync_groups = [&] {
    Out r = run({"--json", "sync", "ldap", "-t", "contoso", "--url", kUrl, "--base", kBase,
                 "--bind-dn", kAdmin, "--password-env", "UPSYNC_TEST_AD_PASSWORD", "--filter",
                 "(|(objectClass=user)(objectClass=group))"});
    EXPECT_EQ(r.code, 0) << r.err;
    return r.code == 0 ? nlohmann::json::parse(r.out) : nlohmann::json();
  };
  auto show = [&](const std::string& name) {
    Out r = run({"--json", "directory", "group", "show", "-t", "contoso", name, "--store"});
    EXPECT_EQ(r.code, 0) << r.err;
    return r.code == 0 ? nlohmann::json::parse(r.out) : nlohmann::json();
  };
  auto names = [](const nlohmann::json& members) {
    std::set<std::string> out;
    for (const auto& m : members) out.insert(m["name"].get<std::string>());
    return out;
  };
  nlohmann::json report = sync_groups();
  ASSERT_FALSE(report.is_null());
  EXPECT_EQ(report["stages"][0]["groups"]["added"], 2);
  EXPECT_EQ(report["stages"][1]["groups"]["added"], 2);
  nlohmann::json eng = show("Engineers");
  ASSERT_FALSE(eng.is_null());
  // AD's own objectGUID: 16 bytes, base64 as the anchor, text as the attribute.
  EXPECT_EQ(eng["sourceAnchor"].get<std::string>().size(), 24u);
  EXPECT_EQ(eng["attributes"]["objectGuid"][0].get<std::string>().size(), 36u);
  EXPECT_EQ(eng["attributes"]["securityEnabled"][0], "true") << "Samba's default: global security";
  EXPECT_EQ(eng["attributes"]["mailEnabled"][0], "true");
  EXPECT_EQ(eng["attributes"]["onPremisesSamAccountName"][0], "engineers");
  EXPECT_FALSE(eng["attributes"]["objectSid"].empty());
  EXPECT_EQ(names(eng["members"]), (std::set<std::string>{"bob@upsync.test", "carol@upsync.test"}));
  nlohmann::json all = show("All Staff");
  EXPECT_EQ(names(all["transitiveMembers"]),
            (std::set<std::string>{"Engineers", "alice@upsync.test", "bob@upsync.test",
                                   "carol@upsync.test"}));

  // A member removed in AD: the uSNChanged delta reads the group and nothing else.
  ldap("ldapmodify", "dn: CN=Engineers," + kBase +
                         "\nchangetype: modify\ndelete: member\nmember: CN=Carol Chen," + kBase +
                         "\n-\n\n");
  report = sync_groups();
  ASSERT_FALSE(report.is_null());
  EXPECT_EQ(report["source"]["entries"], 1) << report["source"];
  EXPECT_EQ(report["stages"][0]["groups"]["updated"], 1);
  EXPECT_EQ(report["stages"][1]["groups"]["updated"], 1);
  EXPECT_EQ(show("Engineers")["attributes"]["objectGuid"], eng["attributes"]["objectGuid"]);
  EXPECT_EQ(names(show("All Staff")["transitiveMembers"]),
            (std::set<std::string>{"Engineers", "alice@upsync.test", "bob@upsync.test"}));
}

TEST_F(SambaAdTest, ServerTenantImportsActiveDirectoryWithSeed001Mappings) {
  nlohmann::json report = sync("farm");
  ASSERT_FALSE(report.is_null());
  EXPECT_EQ(report["stages"][0]["stage"], "connector-to-profiles");
  nlohmann::json bob = profile("farm", "i:0#.w|UPSYNC\\bob");
  ASSERT_FALSE(bob.is_null());
  EXPECT_EQ(first(bob, "UserName"), "bob");
  EXPECT_EQ(first(bob, "SPS-DistinguishedName"), "CN=Bob Jansen," + kBase);
  EXPECT_EQ(first(bob, "Manager"), "i:0#.w|UPSYNC\\alice");
  EXPECT_EQ(first(bob, "SPS-JobTitle"), "Engineer");
  EXPECT_EQ(first(bob, "SPS-ClaimID"), "upsync\\bob");
  EXPECT_FALSE(first(bob, "SID").empty());  // AD's objectSid, base64
  ldap("ldapdelete", "CN=Dave Dijk," + kBase + "\n");
  report = sync("farm");
  EXPECT_EQ(report["stages"][0]["deleted"], 1);
  EXPECT_TRUE(profile("farm", "i:0#.w|UPSYNC\\dave").is_null());
}

}  // namespace
}  // namespace upsync
