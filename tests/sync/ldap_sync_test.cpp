// Directory sync from a real OpenLDAP server (ldap_test_support.h): LdapSyncTest shares one
// throwaway slapd across its tests (a full run, a delta and a delete; a server dying mid-read;
// bad credentials and unreachable servers; the Graph user fields; connectors). The deltas by
// syncrepl and the groups are in ldap_delta_test.cpp.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <fstream>
#include <nlohmann/json.hpp>
#include <random>
#include <sstream>
#include <thread>

#include "cli/app.h"
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

class LdapSyncTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new TempDir();
    port_ = testing::free_port();
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

// A TCP proxy in front of slapd that passes `budget` bytes of answers, then cuts every
// connection: what a client sees when the server dies in the middle of a read.
class CuttingProxy {
 public:
  CuttingProxy(int server_port, size_t budget) : server_port_(server_port), budget_(budget) {
    listener_ = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    bind(listener_, reinterpret_cast<sockaddr*>(&a), sizeof a);
    listen(listener_, 8);
    socklen_t len = sizeof a;
    getsockname(listener_, reinterpret_cast<sockaddr*>(&a), &len);
    port_ = ntohs(a.sin_port);
    thread_ = std::thread([this] { serve(); });
  }
  ~CuttingProxy() {
    stop_ = true;
    shutdown(listener_, SHUT_RDWR);
    close(listener_);
    thread_.join();
  }
  int port() const { return port_; }
  bool cut() const { return cut_; }

 private:
  void serve() {
    while (!stop_) {
      int client = accept(listener_, nullptr, nullptr);
      if (client < 0) return;
      int server = socket(AF_INET, SOCK_STREAM, 0);
      sockaddr_in a{};
      a.sin_family = AF_INET;
      a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
      a.sin_port = htons(static_cast<uint16_t>(server_port_));
      if (connect(server, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0) pump(client, server);
      close(server);
      close(client);
    }
  }
  void pump(int client, int server) {
    char buf[4096];
    pollfd fds[2] = {{client, POLLIN, 0}, {server, POLLIN, 0}};
    while (!stop_ && poll(fds, 2, 200) >= 0) {
      if (fds[0].revents & (POLLIN | POLLHUP)) {
        ssize_t n = read(client, buf, sizeof buf);
        if (n <= 0 || write(server, buf, static_cast<size_t>(n)) != n) return;
      }
      if (fds[1].revents & (POLLIN | POLLHUP)) {
        ssize_t n = read(server, buf, sizeof buf);
        if (n <= 0) return;
        size_t pass = std::min(static_cast<size_t>(n), budget_ - sent_);
        if (pass > 0 && write(client, buf, pass) != static_cast<ssize_t>(pass)) return;
        sent_ += pass;
        if (sent_ >= budget_) {
          cut_ = true;
          return;
        }
      }
    }
  }
  int server_port_;
  size_t budget_;
  size_t sent_ = 0;
  int listener_ = -1;
  int port_ = 0;
  std::atomic<bool> stop_{false};
  std::atomic<bool> cut_{false};
  std::thread thread_;
};

// The server dies in the middle of a read: the run fails saying so, nothing is written and
// no position moves, and the next run brings every change exactly once.
TEST_F(LdapSyncTest, AServerDyingMidReadChangesNothingAndTheNextRunCatchesUp) {
  ASSERT_EQ(sync().code, 0);
  const int64_t before = profiles();
  std::string change;
  // Users 1 to 500 (FullThenDeltaThenDelete removes user 600 from the shared server).
  const int changed = 500;
  for (int i = 1; i <= changed; ++i) {
    char dn[64];
    std::snprintf(dn, sizeof dn, "uid=user%06d,ou=people,dc=example,dc=com", i);
    change += std::string("dn: ") + dn + "\nchangetype: modify\nreplace: title\ntitle: Cut " +
              std::to_string(i) + "\n-\n\n";
  }
  ldap_modify(change);
  {
    CuttingProxy proxy(port_, 30000);  // the changes are about 10 times that
    Out cut = sync("secret", "ldap://127.0.0.1:" + std::to_string(proxy.port()));
    EXPECT_TRUE(proxy.cut());
    EXPECT_EQ(cut.code, kExitUserError) << cut.out;
    EXPECT_NE(cut.err.find("Can't contact LDAP server"), std::string::npos) << cut.err;
  }
  EXPECT_EQ(profiles(), before);
  EXPECT_NE(profile("user000001@example.com")["SPS-JobTitle"], "Cut 1");
  Out again = sync();
  ASSERT_EQ(again.code, 0) << again.err;
  EXPECT_EQ(profiles(), before);
  for (int i : {1, changed / 2, changed}) {
    char upn[64];
    std::snprintf(upn, sizeof upn, "user%06d@example.com", i);
    EXPECT_EQ(profile(upn)["SPS-JobTitle"], "Cut " + std::to_string(i)) << upn;
  }
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

// A connector (connector.h): the tenant's stored source, with its OU scope and flows, is what
// `upsync sync run` runs.
// Graph's user fields flow from the directory as Azure AD Connect flows them (inetOrgPerson
// preset: mobile, l, o, employeeNumber, uid, the DN's domain; co needs the friendlyCountry
// class, which an inetOrgPerson cannot have), extension attributes by the connector's
// [flows]; the sync stamp changes only when the user does.
TEST_F(LdapSyncTest, GraphUserFieldsFlowFromTheDirectory) {
  ldap_modify(
      "dn: uid=user000508,ou=people,dc=example,dc=com\nchangetype: modify\n"
      "add: mobile\nmobile: +1 555 0100508\n-\nadd: l\nl: Redmond\n-\n"
      "add: o\no: Contoso Ltd\n-\n"
      "add: employeeType\nemployeeType: contractor\n-\n");
  const std::string pw = (data_.path() / "dc1.password").string();
  std::ofstream(pw) << "secret\n";
  const std::string doc = (data_.path() / "dc1.toml").string();
  std::ofstream(doc) << "url = \"" << url()
                     << "\"\nbind_dn = \"cn=admin,dc=example,dc=com\"\npassword_file = \"" << pw
                     << "\"\nbase = \"dc=example,dc=com\"\npage_size = 100\n"
                        "[flows]\nextensionAttribute1 = \"employeeType\"\n";
  Out add = run({"connector", "add", "-t", "contoso", "dc1", "--file", doc});
  ASSERT_EQ(add.code, 0) << add.err;
  auto user = [&](const std::string& upn) {
    Out list = run({"--json", "directory", "user", "list", "-t", "contoso"});
    EXPECT_EQ(list.code, 0) << list.err;
    for (auto& u : nlohmann::json::parse(list.out)) {
      if (u["attributes"]["userPrincipalName"][0] == upn) return u["attributes"];
    }
    ADD_FAILURE() << upn << " is not in the cloud directory";
    return nlohmann::json();
  };
  Out first = run({"--json", "sync", "run", "-t", "contoso"});
  ASSERT_EQ(first.code, 0) << first.err;
  nlohmann::json a = user("user000508@example.com");
  EXPECT_EQ(a["mobile"], nlohmann::json({"+1 555 0100508"}));
  EXPECT_EQ(a["city"], nlohmann::json({"Redmond"}));
  EXPECT_EQ(a["companyName"], nlohmann::json({"Contoso Ltd"}));
  EXPECT_EQ(a["employeeId"], nlohmann::json({"508"}));
  EXPECT_EQ(a["onPremisesSamAccountName"], nlohmann::json({"user000508"}));
  EXPECT_EQ(a["onPremisesUserPrincipalName"], nlohmann::json({"user000508@example.com"}));
  EXPECT_EQ(a["onPremisesDomainName"], nlohmann::json({"example.com"}));
  EXPECT_EQ(a["extensionAttribute1"], nlohmann::json({"contractor"}));
  ASSERT_TRUE(a.contains("onPremisesLastSyncDateTime"));
  const std::string stamp = a["onPremisesLastSyncDateTime"][0];
  EXPECT_EQ(stamp.size(), 20u) << stamp;  // 2026-12-03T04:05:06Z, as Graph writes it
  EXPECT_EQ(stamp.back(), 'Z');
  EXPECT_FALSE(user("user000509@example.com").contains("mobile"));

  // A full read that finds nothing changed changes nobody, the stamp included.
  std::this_thread::sleep_for(std::chrono::milliseconds(1100));
  Out again = run({"--json", "sync", "run", "-t", "contoso", "--full"});
  ASSERT_EQ(again.code, 0) << again.err;
  auto r = nlohmann::json::parse(again.out);
  EXPECT_EQ(r["stages"][0]["updated"], 0) << again.out;
  EXPECT_EQ(user("user000508@example.com")["onPremisesLastSyncDateTime"][0], stamp);

  // A change moves the stamp.
  ldap_modify(
      "dn: uid=user000508,ou=people,dc=example,dc=com\nchangetype: modify\n"
      "replace: l\nl: Seattle\n-\n");
  Out changed = run({"--json", "sync", "run", "-t", "contoso", "--full"});
  ASSERT_EQ(changed.code, 0) << changed.err;
  a = user("user000508@example.com");
  EXPECT_EQ(a["city"], nlohmann::json({"Seattle"}));
  EXPECT_GT(a["onPremisesLastSyncDateTime"][0].get<std::string>(), stamp);
}

TEST_F(LdapSyncTest, AConnectorIsWhatSyncRunRunsWithItsScopeAndFlows) {
  const std::string pw = (data_.path() / "dc1.password").string();
  std::ofstream(pw) << "secret\n";
  auto document = [&](const std::string& extra, const std::string& password_file) {
    const std::string path = (data_.path() / "dc1.toml").string();
    std::ofstream(path) << "url = \"" << url()
                        << "\"\nbind_dn = \"cn=admin,dc=example,dc=com\"\npassword_file = \""
                        << password_file
                        << "\"\nbase = \"dc=example,dc=com\"\npage_size = 100\n"
                           "include_ous = [\"ou=people,dc=example,dc=com\"]\n"
                        << extra;
    return path;
  };
  Out add = run({"connector", "add", "-t", "contoso", "dc1", "--file",
                 document("[flows]\njobTitle = \"employeeNumber\"\ntelephoneNumber = \"\"\n", pw)});
  ASSERT_EQ(add.code, 0) << add.err;
  Out first = run({"--json", "sync", "run", "-t", "contoso"});
  ASSERT_EQ(first.code, 0) << first.err;
  auto r = nlohmann::json::parse(first.out);
  EXPECT_EQ(r["source"]["notes"][0], "connector dc1");
  EXPECT_FALSE(r["stages"][0]["skipped"].contains("no user principal name"))
      << "the password-policy entry is outside ou=people";
  const int64_t synced = profiles();
  EXPECT_GE(synced, kUsers - 1);
  EXPECT_EQ(r["stages"][2]["added"], synced);
  // User 507: the other tests of this server retitle users 1 to 500 and remove user 600.
  auto p = profile("user000507@example.com");
  EXPECT_EQ(p["Title"], "507") << "jobTitle flows from employeeNumber";
  EXPECT_FALSE(p.contains("WorkPhone")) << "telephoneNumber flows from nothing";

  // Back to the preset's flows: a full run carries them into every profile.
  ASSERT_EQ(run({"connector", "set", "-t", "contoso", "dc1", "--file", document("", pw)}).code, 0);
  Out full = run({"--json", "sync", "run", "-t", "contoso", "--full"});
  ASSERT_EQ(full.code, 0) << full.err;
  p = profile("user000507@example.com");
  EXPECT_EQ(p["Title"], "Title 7");  // titles repeat every 50 users
  EXPECT_EQ(p["WorkPhone"], "+1 555 0000507");

  // Narrowing the scope to nothing would delete every user: the threshold stops it.
  ASSERT_EQ(run({"connector", "set", "-t", "contoso", "dc1", "--file",
                 document("exclude_ous = [\"ou=people,dc=example,dc=com\"]\n", pw)})
                .code,
            0);
  Out refused = run({"sync", "run", "-t", "contoso"});
  EXPECT_EQ(refused.code, kExitUserError);
  EXPECT_NE(refused.err.find("this run would delete " + std::to_string(synced) +
                             " users, more than the deletion threshold of 500"),
            std::string::npos)
      << refused.err;
  EXPECT_EQ(profiles(), synced);

  // One connector per tenant; bad documents and a missing password file change nothing.
  Out second = run({"connector", "add", "-t", "contoso", "dc2", "--file", document("", pw)});
  EXPECT_EQ(second.code, kExitUserError);
  EXPECT_NE(second.err.find("has connector 'dc1'"), std::string::npos) << second.err;
  const std::string before = run({"connector", "show", "-t", "contoso", "dc1"}).out;
  Out bad_flow = run({"connector", "set", "-t", "contoso", "dc1", "--file",
                      document("[flows]\nshoeSize = \"x\"\n", pw)});
  EXPECT_EQ(bad_flow.code, kExitUserError);
  EXPECT_NE(bad_flow.err.find("'shoeSize' (line 8, column 12): unknown directory attribute"),
            std::string::npos)
      << bad_flow.err;
  EXPECT_EQ(run({"connector", "show", "-t", "contoso", "dc1"}).out, before);
  ASSERT_EQ(run({"connector", "set", "-t", "contoso", "dc1", "--file",
                 document("", "/nonexistent/dc1.password")})
                .code,
            0);
  Out no_password = run({"sync", "run", "-t", "contoso"});
  EXPECT_EQ(no_password.code, kExitUserError);
  EXPECT_NE(no_password.err.find("connector 'dc1': cannot read its password_file "
                                 "'/nonexistent/dc1.password'"),
            std::string::npos)
      << no_password.err;
  EXPECT_EQ(profiles(), synced);
  ASSERT_EQ(run({"connector", "remove", "-t", "contoso", "dc1"}).code, 0);
  EXPECT_EQ(run({"--json", "connector", "list", "-t", "contoso"}).out, "[]\n");
}

}  // namespace
}  // namespace upsync
