// Directory deltas from a real OpenLDAP server (ldap_test_support.h): LdapDeltaTest starts a
// throwaway slapd per test, since its tests change the directory and count what a delta reads
// (syncrepl cookies, the present phase, the timestamp fallback, groups and their members).
#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "cli/app.h"
#include "core/clock.h"
#include "storage/open_storage.h"
#include "store/store.h"
#include "sync/ldap_connector.h"
#include "sync/ldap_test_support.h"
#include "test_support.h"

namespace upsync {
namespace {

using testing::kScripts;
using testing::kUsers;
using testing::sh;
using testing::TempDir;

// One slapd per test, with a non-root service account (the rootdn is never size-limited,
// a service account is: a sync search that pages or passes size limit 0 would stop at 500).
class LdapDeltaTest : public ::testing::Test {
 protected:
  static constexpr const char* kBase = "ou=people,dc=example,dc=com";
  static constexpr const char* kServiceDn = "cn=upsync,dc=example,dc=com";

  void SetUp() override {
    port_ = testing::free_port();
    start("");
    ASSERT_EQ(run({"tenant", "create", "contoso"}).code, 0);
  }
  void TearDown() override { stop(); }

  void start(const std::string& env) {
    const std::string ldif = (dir_.path() / "users.ldif").string();
    ASSERT_EQ(sh(kScripts + "/gen-users.sh " + std::to_string(kUsers) + " 3 > '" + ldif + "'"), 0);
    ASSERT_EQ(sh(env + " " + kScripts + "/slapd-start.sh '" + slapd_dir() + "' " +
                 std::to_string(port_) + " '" + ldif + "' > /dev/null"),
              0)
        << "slapd did not start (is it installed? bash scripts/setup.sh --test)";
    started_ = true;
    ldap_modify(std::string("dn: ") + kServiceDn +
                "\nchangetype: add\nobjectClass: organizationalRole\nobjectClass: "
                "simpleSecurityObject\ncn: upsync\nuserPassword: sync-secret\n\n"
                "dn: ou=former,dc=example,dc=com\nchangetype: add\nobjectClass: "
                "organizationalUnit\nou: former\n");
  }
  void stop() {
    if (started_) sh(kScripts + "/slapd-stop.sh '" + slapd_dir() + "'");
    started_ = false;
  }
  // A fresh server (new entryUUIDs, new CSNs) in place of the old one, on the same URL.
  void restart_with(const std::string& env) {
    stop();
    std::filesystem::remove_all(slapd_dir());
    start(env);
  }

  std::string slapd_dir() const { return (dir_.path() / "ldap").string(); }
  std::string url() const { return "ldap://127.0.0.1:" + std::to_string(port_); }

  struct Out {
    int code;
    std::string out, err;
    nlohmann::json json() const { return nlohmann::json::parse(out); }
  };
  Out run(std::vector<std::string> args) {
    args.insert(args.begin(), {"upsync", "--data-dir", dir_.str() + "/data"});
    std::ostringstream out, err;
    int code = run_cli(args, out, err);
    return {code, out.str(), err.str()};
  }
  Out sync(std::vector<std::string> extra = {}) {
    setenv("UPSYNC_TEST_LDAP_PASSWORD", "sync-secret", 1);
    std::vector<std::string> args = {"--json",
                                     "sync",
                                     "ldap",
                                     "-t",
                                     "contoso",
                                     "--url",
                                     url(),
                                     "--base",
                                     kBase,
                                     "--bind-dn",
                                     kServiceDn,
                                     "--password-env",
                                     "UPSYNC_TEST_LDAP_PASSWORD"};
    args.insert(args.end(), extra.begin(), extra.end());
    return run(args);
  }
  void ldap_modify(const std::string& ldif) {
    const std::string path = (dir_.path() / "change.ldif").string();
    std::ofstream(path) << ldif;
    ASSERT_EQ(sh("ldapmodify -x -H " + url() + " -D cn=admin,dc=example,dc=com -w secret -f '" +
                 path + "' > /dev/null"),
              0);
  }
  nlohmann::json profile(const std::string& upn) {
    Out r = run({"--json", "profile", "get", "-t", "contoso", upn});
    return r.code == 0 ? r.json()["properties"] : nlohmann::json();
  }
  int64_t profiles() {
    Out r = run({"--json", "profile", "list", "-t", "contoso", "--all", "--top", "1000"});
    return static_cast<int64_t>(r.json()["value"].size());
  }
  // Overwrites the stored position of the source that sync() reads.
  void store_position(const std::string& value) {
    auto store = open_store({.data_dir = dir_.str() + "/data"});
    ASSERT_TRUE(store) << store.status().message();
    auto tenant = (*store)->tenant("contoso");
    ASSERT_TRUE(tenant);
    LdapSourceConfig c;
    c.url = url();
    c.base = kBase;
    ASSERT_TRUE((*store)->set_source_state(tenant->id, ldap_source_name(c), value));
  }
  static std::string user_dn(int i) {
    char buf[64];
    std::snprintf(buf, sizeof buf, "uid=user%06d,%s", i, kBase);
    return buf;
  }
  static std::string upn(int i) {
    char buf[64];
    std::snprintf(buf, sizeof buf, "user%06d@example.com", i);
    return buf;
  }
  static std::string del(int i) { return "dn: " + user_dn(i) + "\nchangetype: delete\n\n"; }
  static std::string retitle(int i, const std::string& title) {
    return "dn: " + user_dn(i) + "\nchangetype: modify\nreplace: title\ntitle: " + title +
           "\n-\n\n";
  }

  TempDir dir_;
  int port_ = 0;
  bool started_ = false;
};

TEST_F(LdapDeltaTest, GroupsAndTheirMembersFollowTheDirectoryByDelta) {
  // The whole tree: users and gen-users.sh's three groupOfNames (group g holds users g, g + 3,
  // g + 6, ...: 200 each).
  auto sync_tree = [&] {
    setenv("UPSYNC_TEST_LDAP_PASSWORD", "sync-secret", 1);
    return run({"--json", "sync", "ldap", "-t", "contoso", "--url", url(), "--base",
                "dc=example,dc=com", "--bind-dn", kServiceDn, "--password-env",
                "UPSYNC_TEST_LDAP_PASSWORD"});
  };
  auto show = [&](const std::string& group, bool store) {
    std::vector<std::string> args = {"--json", "directory", "group", "show",
                                     "-t",     "contoso",   group};
    if (store) args.push_back("--store");
    Out r = run(args);
    EXPECT_EQ(r.code, 0) << r.err;
    return r.code == 0 ? r.json() : nlohmann::json();
  };
  auto has = [](const nlohmann::json& members, const std::string& name) {
    for (const auto& m : members) {
      if (m["name"] == name) return true;
    }
    return false;
  };
  Out full = sync_tree();
  ASSERT_EQ(full.code, 0) << full.err;
  auto f = full.json();
  EXPECT_EQ(f["source"]["method"], "syncrepl full");
  EXPECT_EQ(f["stages"][0]["groups"]["added"], 3);
  EXPECT_EQ(f["stages"][1]["groups"]["added"], 3);
  auto g1 = show("group001", true);
  EXPECT_EQ(g1["members"].size(), 200u);
  EXPECT_EQ(g1["attributes"]["securityEnabled"][0], "true");
  EXPECT_TRUE(has(g1["members"], upn(7)));
  const std::string g1_id = g1["objectId"];

  ldap_modify(
      // a new group nesting group002
      "dn: cn=leads,ou=groups,dc=example,dc=com\nchangetype: add\nobjectClass: groupOfNames\n"
      "cn: leads\ndescription: Team leads\nmember: " +
      user_dn(1) +
      "\nmember: cn=group002,ou=groups,dc=example,dc=com\n\n"
      // a member removed
      "dn: cn=group001,ou=groups,dc=example,dc=com\nchangetype: modify\ndelete: member\n"
      "member: " +
      user_dn(4) +
      "\n-\n\n"
      // a member renamed (refint rewrites group001's value), a member deleted
      "dn: " +
      user_dn(7) + "\nchangetype: modrdn\nnewrdn: uid=seven\ndeleteoldrdn: 0\n\n" + del(10) +
      // a group deleted
      "dn: cn=group003,ou=groups,dc=example,dc=com\nchangetype: delete\n\n");
  Out delta = sync_tree();
  ASSERT_EQ(delta.code, 0) << delta.err;
  auto d = delta.json();
  EXPECT_EQ(d["source"]["method"], "syncrepl delta");
  EXPECT_EQ(d["stages"][0]["groups"]["added"], 1);
  EXPECT_EQ(d["stages"][0]["groups"]["updated"], 1) << "group001; group002 is unchanged";
  EXPECT_EQ(d["stages"][0]["groups"]["deleted"], 1);
  EXPECT_EQ(d["stages"][0]["deleted"], 1);
  EXPECT_EQ(d["stages"][1]["groups"]["added"], 1);
  EXPECT_EQ(d["stages"][1]["groups"]["updated"], 1);
  EXPECT_EQ(d["stages"][1]["groups"]["deleted"], 1);
  for (bool store : {false, true}) {
    SCOPED_TRACE(store ? "directory store" : "cloud directory");
    g1 = show("group001", store);
    EXPECT_EQ(g1["objectId"], g1_id);
    EXPECT_EQ(g1["members"].size(), 198u) << "user 4 removed, user 10 deleted";
    EXPECT_TRUE(has(g1["members"], upn(7))) << "renamed, still a member";
    EXPECT_FALSE(has(g1["members"], upn(4)));
    auto leads = show("leads", store);
    EXPECT_EQ(leads["attributes"]["description"][0], "Team leads");
    EXPECT_EQ(leads["members"].size(), 2u);
    EXPECT_EQ(leads["transitiveMembers"].size(), 202u) << "user 1, group002 and its 200 users";
    EXPECT_TRUE(has(leads["transitiveMembers"], upn(2)));
    EXPECT_NE(run({"directory", "group", "show", "-t", "contoso", "group003"}).code, 0);
  }

  Out idle = sync_tree();
  ASSERT_EQ(idle.code, 0) << idle.err;
  EXPECT_EQ(idle.json()["stages"][0]["groups"]["read"], 0);
  EXPECT_EQ(idle.json()["stages"][1]["groups"]["read"], 0);
}

TEST_F(LdapDeltaTest, SyncreplDeltaReadsOnlyTheChangedEntries) {
  Out full = sync();
  ASSERT_EQ(full.code, 0) << full.err;
  auto f = full.json();
  EXPECT_EQ(f["source"]["method"], "syncrepl full");
  // One search past the service account's size limit of 500: every user and ou=people.
  EXPECT_EQ(f["source"]["entries"], kUsers + 1);
  EXPECT_EQ(f["stages"][0]["read"], kUsers);
  EXPECT_EQ(f["stages"][2]["added"], kUsers);

  ldap_modify(
      // added, with a manager that this delta does not name
      "dn: " + user_dn(601) +
      "\nchangetype: add\nobjectClass: inetOrgPerson\nuid: user000601\ncn: New Person\n"
      "sn: Person\nmail: user000601@example.com\ntitle: Newcomer\nmanager: " +
      user_dn(3) + "\n\n" + retitle(5, "Chief Architect") +
      // a new manager, also not in the delta
      "dn: " + user_dn(10) + "\nchangetype: modify\nreplace: manager\nmanager: " + user_dn(20) +
      "\n-\n\n" + del(600) +
      // moved out of the base DN
      "dn: " + user_dn(7) +
      "\nchangetype: modrdn\nnewrdn: uid=user000007\ndeleteoldrdn: 1\n"
      "newsuperior: ou=former,dc=example,dc=com\n\n");
  Out delta = sync();
  ASSERT_EQ(delta.code, 0) << delta.err;
  auto d = delta.json();
  EXPECT_EQ(d["source"]["method"], "syncrepl delta");
  EXPECT_EQ(d["source"]["entries"], 3) << "only the added and the two changed entries are read";
  EXPECT_EQ(d["stages"][0]["read"], 3);
  EXPECT_EQ(d["stages"][0]["added"], 1);
  // Users 5 and 10, and the ten reports of user 7 (60-69), who lose their manager.
  EXPECT_EQ(d["stages"][0]["updated"], 12);
  EXPECT_EQ(d["stages"][0]["deleted"], 2) << "the deleted user and the one moved out";
  EXPECT_EQ(d["stages"][2]["added"], 1);
  EXPECT_EQ(d["stages"][2]["deleted"], 2);
  EXPECT_EQ(profiles(), kUsers - 1);
  EXPECT_EQ(profile("user000601@example.com")["Manager"], "i:0#.f|membership|" + upn(3));
  EXPECT_EQ(profile(upn(5))["Title"], "Chief Architect");
  EXPECT_EQ(profile(upn(10))["Manager"], "i:0#.f|membership|" + upn(20));
  EXPECT_TRUE(profile(upn(600)).is_null());
  EXPECT_TRUE(profile(upn(7)).is_null());
  EXPECT_EQ(profile(upn(65))["Manager"], nullptr);

  // Nothing changed: nothing read, and the cookie still works afterwards.
  Out idle = sync();
  ASSERT_EQ(idle.code, 0) << idle.err;
  EXPECT_EQ(idle.json()["source"]["method"], "syncrepl delta");
  EXPECT_EQ(idle.json()["source"]["entries"], 0);
  EXPECT_EQ(idle.json()["stages"][0]["read"], 0);
  ldap_modify(retitle(8, "Eighth"));
  Out again = sync();
  ASSERT_EQ(again.code, 0) << again.err;
  EXPECT_EQ(again.json()["stages"][0]["read"], 1);
  EXPECT_EQ(profile(upn(8))["Title"], "Eighth");

  // --full reads everything again and finds nothing to change.
  Out full2 = sync({"--full"});
  ASSERT_EQ(full2.code, 0) << full2.err;
  EXPECT_EQ(full2.json()["source"]["method"], "syncrepl full");
  EXPECT_EQ(full2.json()["stages"][0]["read"], kUsers - 1);
  EXPECT_EQ(full2.json()["stages"][0]["updated"], 0);
  EXPECT_EQ(full2.json()["stages"][0]["deleted"], 0);
}

TEST_F(LdapDeltaTest, DryRunDeltaKeepsTheCookie) {
  ASSERT_EQ(sync().code, 0);
  ldap_modify(retitle(9, "Ninth"));
  Out dry = sync({"--dry-run"});
  ASSERT_EQ(dry.code, 0) << dry.err;
  EXPECT_EQ(dry.json()["stages"][0]["updated"], 1);
  // The dry run stored nothing: the real run sees the same change.
  Out real = sync();
  ASSERT_EQ(real.code, 0) << real.err;
  EXPECT_EQ(real.json()["stages"][0]["updated"], 1);
  EXPECT_EQ(profile(upn(9))["Title"], "Ninth");
}

TEST_F(LdapDeltaTest, RefusedOrGarbageCookiesFallBackToAFullRefresh) {
  ASSERT_EQ(sync().code, 0);
  struct Case {
    std::string stored, note;
  };
  const std::vector<Case> cases = {
      // slapd would answer these with everything and "refreshDeletes": deletions lost.
      {"syncrepl:garbage", "is not one this server issues"},
      {"syncrepl:rid=000,csn=bogus", "is not one this server issues"},
      {"syncrepl:rid=000,csn=20261123101543.565814Z#000000#000#00000g",
       "is not one this server issues"},
      // A cookie from the server's future (a restored database): refused by the server.
      {"syncrepl:rid=000,csn=29991123101543.565814Z#000000#000#000000",
       "the server refused the stored sync cookie (consumer state is newer than provider!)"},
      {"no-such-method:x", "unreadable"},
      {"timestamp:20261123101543Z", "the last run read this source by timestamp"},
  };
  int deleted_user = 600;
  for (const Case& c : cases) {
    SCOPED_TRACE(c.stored);
    ldap_modify(del(deleted_user) + retitle(1, "T" + std::to_string(deleted_user)));
    store_position(c.stored);
    Out r = sync();
    ASSERT_EQ(r.code, 0) << r.err;
    auto j = r.json();
    EXPECT_EQ(j["source"]["method"], "syncrepl full");
    ASSERT_EQ(j["source"]["notes"].size(), 1u);
    EXPECT_NE(j["source"]["notes"][0].get<std::string>().find(c.note), std::string::npos)
        << j["source"]["notes"][0];
    EXPECT_EQ(j["stages"][0]["deleted"], 1) << "the full compare finds the deletion";
    EXPECT_EQ(j["stages"][0]["updated"], 1);
    EXPECT_TRUE(profile(upn(deleted_user)).is_null());
    --deleted_user;
    // The fresh cookie works: the next run is a delta again.
    Out next = sync();
    ASSERT_EQ(next.code, 0) << next.err;
    EXPECT_EQ(next.json()["source"]["method"], "syncrepl delta");
    EXPECT_EQ(next.json()["stages"][0]["read"], 0);
  }
  EXPECT_EQ(profiles(), kUsers - static_cast<int64_t>(cases.size()));
}

TEST_F(LdapDeltaTest, AnotherDirectoryBehindTheSameUrlIsReadInFull) {
  ASSERT_EQ(sync().code, 0);
  // A new server: the old cookie names a CSN older than everything in it, so slapd answers
  // with a present phase, and users it does not name are deleted.
  restart_with("");
  ldap_modify(del(600) + del(599));
  Out r = sync({"--deletion-threshold", "100000"});
  ASSERT_EQ(r.code, 0) << r.err;
  auto j = r.json();
  EXPECT_EQ(j["stages"][0]["deleted"], kUsers) << "every old entryUUID is gone";
  EXPECT_EQ(j["stages"][0]["added"], kUsers - 2);
  EXPECT_EQ(profiles(), kUsers - 2);
}

TEST_F(LdapDeltaTest, DeletionsBeyondTheSessionLogArriveAsAPresentPhase) {
  restart_with("SESSIONLOG=2");
  ASSERT_EQ(sync().code, 0);
  ldap_modify(del(11) + del(12) + del(13) + del(14) + del(15) + retitle(16, "Sixteenth"));
  Out r = sync();
  ASSERT_EQ(r.code, 0) << r.err;
  auto j = r.json();
  EXPECT_EQ(j["source"]["method"], "syncrepl delta");
  EXPECT_EQ(j["stages"][0]["read"], 1);
  EXPECT_EQ(j["stages"][0]["deleted"], 5);
  EXPECT_EQ(profiles(), kUsers - 5);
  EXPECT_EQ(profile(upn(16))["Title"], "Sixteenth");
  // The deletion threshold holds for deltas too, and a refused run stores no cookie.
  std::string many;
  for (int i = 100; i < 110; ++i) many += del(i);
  ldap_modify(many);
  Out refused = sync({"--deletion-threshold", "5"});
  EXPECT_EQ(refused.code, kExitUserError);
  EXPECT_NE(refused.err.find("would delete 10 users"), std::string::npos) << refused.err;
  Out allowed = sync({"--deletion-threshold", "10"});
  ASSERT_EQ(allowed.code, 0) << allowed.err;
  EXPECT_EQ(allowed.json()["stages"][0]["deleted"], 10);
}

TEST_F(LdapDeltaTest, TimestampFallbackReadsChangesButNotDeletions) {
  // The mark is the latest modifyTimestamp seen; entries of the mark's second are read
  // again (">=", so that nothing written later in that second is missed). Give the mark a
  // second of its own, after the bulk load.
  sleep(1);
  ldap_modify(retitle(1, "Marker"));
  Out full = sync({"--delta-method", "timestamp", "--page-size", "100"});
  ASSERT_EQ(full.code, 0) << full.err;
  EXPECT_EQ(full.json()["source"]["method"], "timestamp full");
  EXPECT_EQ(full.json()["stages"][0]["read"], kUsers);

  ldap_modify(retitle(5, "Chief Architect") + del(600));
  Out delta = sync({"--delta-method", "timestamp"});
  ASSERT_EQ(delta.code, 0) << delta.err;
  auto d = delta.json();
  EXPECT_EQ(d["source"]["method"], "timestamp delta");
  EXPECT_EQ(d["stages"][0]["read"], 2) << "user 5 and the marker of the previous mark";
  EXPECT_EQ(d["stages"][0]["updated"], 1);
  EXPECT_EQ(d["stages"][0]["deleted"], 0) << "a high-water mark cannot see deletions";
  EXPECT_EQ(profile(upn(5))["Title"], "Chief Architect");
  EXPECT_FALSE(profile(upn(600)).is_null());

  Out full2 = sync({"--delta-method", "timestamp", "--full"});
  ASSERT_EQ(full2.code, 0) << full2.err;
  EXPECT_EQ(full2.json()["source"]["method"], "timestamp full");
  EXPECT_EQ(full2.json()["stages"][0]["deleted"], 1) << "the full compare finds it";
  EXPECT_TRUE(profile(upn(600)).is_null());
}

TEST_F(LdapDeltaTest, AConnectorsTimestampDeltasGetAFullCompareEveryFullCompareHours) {
  sleep(1);  // the mark's second of its own, as above
  ldap_modify(retitle(1, "Marker"));
  setenv("UPSYNC_TEST_LDAP_PASSWORD", "sync-secret", 1);
  const std::string doc = (dir_.path() / "dc1.toml").string();
  std::ofstream(doc) << "url = \"" << url() << "\"\nbind_dn = \"" << kServiceDn
                     << "\"\npassword_env = \"UPSYNC_TEST_LDAP_PASSWORD\"\nbase = \"" << kBase
                     << "\"\ndelta = \"timestamp\"\nfull_compare_hours = 2\n";
  ASSERT_EQ(run({"connector", "add", "-t", "contoso", "dc1", "--file", doc}).code, 0);
  auto sync_run = [&]() {
    Out r = run({"--json", "sync", "run", "-t", "contoso"});
    EXPECT_EQ(r.code, 0) << r.err;
    return r.code == 0 ? r.json() : nlohmann::json();
  };
  auto first = sync_run();
  EXPECT_EQ(first["source"]["method"], "timestamp full");

  ldap_modify(del(600));
  auto delta = sync_run();
  EXPECT_EQ(delta["source"]["method"], "timestamp delta");
  EXPECT_EQ(delta["stages"][0]["deleted"], 0);
  EXPECT_FALSE(profile(upn(600)).is_null());

  // The last complete read, as if three hours ago: this run reads everything and compares.
  {
    auto store = open_store({.data_dir = dir_.str() + "/data"});
    ASSERT_TRUE(store);
    auto tenant = (*store)->tenant("contoso");
    ASSERT_TRUE((*store)->set_source_state(tenant->id, "connector.dc1.last_complete_read",
                                           std::to_string(unix_now() - 3 * 3600)));
  }
  auto compared = sync_run();
  EXPECT_EQ(compared["source"]["method"], "timestamp full");
  EXPECT_EQ(compared["stages"][0]["deleted"], 1);
  EXPECT_TRUE(profile(upn(600)).is_null());
  EXPECT_NE(compared["source"]["notes"].dump().find(
                "no complete read in the last 2 hours, and this directory's deltas do not show "
                "deletions"),
            std::string::npos)
      << compared["source"]["notes"];
  // It counts as the complete read: the next run is a delta again.
  EXPECT_EQ(sync_run()["source"]["method"], "timestamp delta");

  // A bad value is refused, naming the key.
  std::ofstream(doc) << "url = \"" << url() << "\"\nbase = \"" << kBase
                     << "\"\nfull_compare_hours = 9000\n";
  Out bad = run({"connector", "set", "-t", "contoso", "dc1", "--file", doc});
  EXPECT_EQ(bad.code, kExitUserError);
  EXPECT_NE(bad.err.find("full_compare_hours"), std::string::npos) << bad.err;
  EXPECT_NE(bad.err.find("expected a whole number from 0 to 8760"), std::string::npos) << bad.err;
}

TEST_F(LdapDeltaTest, BadDeltaMethodsAreRefused) {
  Out bad = sync({"--delta-method", "dirsync"});
  EXPECT_EQ(bad.code, kExitUserError);
  EXPECT_NE(bad.err.find("'dirsync' is not one of auto, syncrepl, usn, timestamp, none"),
            std::string::npos)
      << bad.err;
  Out usn = sync({"--delta-method", "usn"});
  EXPECT_EQ(usn.code, kExitUserError);
  EXPECT_NE(usn.err.find("has no highestCommittedUSN"), std::string::npos) << usn.err;
  EXPECT_EQ(profiles(), 0);
}

}  // namespace
}  // namespace upsync
