// The admin API's sync calls (admin_sync.h) on the real `upsync serve` against a throwaway
// slapd: the connector is set (a broken document is refused with its line and column and
// changes nothing), tested, run dry and for real; a run that would delete more than the
// deletion threshold stops and is allowed once; the connection keys stay the operator's.
#include <gtest/gtest.h>
#include <httplib.h>
#include <signal.h>

#include <atomic>
#include <chrono>
#include <iostream>
#include <nlohmann/json.hpp>
#include <thread>

#include "http/server_process.h"
#include "test_support.h"

namespace upsync {
namespace {

using testing::run;
using testing::Server;
using testing::TempDir;

const std::string kScripts = UPSYNC_TEST_SCRIPTS_DIR;
int sh(const std::string& cmd) { return WEXITSTATUS(std::system(cmd.c_str())); }
// More users than the deletion threshold (500): losing all of them trips it.
constexpr int kUsers = 520;

class AdminSyncTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    ldap_dir_ = new TempDir();
    ldap_port_ = testing::free_port();
    const std::string ldif = (ldap_dir_->path() / "users.ldif").string();
    ASSERT_EQ(sh(kScripts + "/gen-users.sh " + std::to_string(kUsers) + " 0 > '" + ldif + "'"), 0);
    ASSERT_EQ(sh("SIZELIMIT=2000 " + kScripts + "/slapd-start.sh '" +
                 (ldap_dir_->path() / "ldap").string() + "' " + std::to_string(ldap_port_) + " '" +
                 ldif + "' > /dev/null"),
              0)
        << "slapd did not start (is it installed? bash scripts/setup.sh --test)";
  }
  static void TearDownTestSuite() {
    sh(kScripts + "/slapd-stop.sh '" + (ldap_dir_->path() / "ldap").string() + "'");
    delete ldap_dir_;
  }

  void SetUp() override {
    ASSERT_EQ(run({"--data-dir", data(), "tenant", "create", "contoso"}), 0);
    for (auto [upn, role] : {std::pair{"ga@contoso.com", "global-admin"},
                             {"spa@contoso.com", "sharepoint-admin"},
                             {"adele@contoso.com", "user"}}) {
      ASSERT_EQ(run({"--data-dir", data(), "user", "password", "set", "-t", "contoso", upn,
                     "--role", role, "--password", "pa55word!"}),
                0);
    }
    std::string out = dir_.str() + "/app.json";
    std::string cmd =
        testing::binary() + " --data-dir " + data() + " --json app add -t contoso portal > " + out;
    ASSERT_EQ(std::system(cmd.c_str()), 0);
    client_ = nlohmann::json::parse(testing::read_file(out))["clientId"];
    // One request loop: a handler that waited on the directory there (instead of answering
    // later, http/answer_later.h) would stop every other request, which the tests would see.
    srv_ = std::make_unique<Server>(dir_, std::vector<std::string>{"--threads", "1"});
    ASSERT_GT(srv_->port(), 0);
    cli_ = std::make_unique<httplib::Client>("127.0.0.1", srv_->port());
    cli_->set_read_timeout(120);
  }
  std::string data() const { return dir_.str() + "/data"; }

  std::string token(const std::string& upn) {
    auto r = cli_->Post("/contoso/oauth2/v2.0/token",
                        httplib::Params{{"grant_type", "password"},
                                        {"client_id", client_},
                                        {"username", upn},
                                        {"password", "pa55word!"},
                                        {"scope", "https://contoso.sharepoint.com/.default"}});
    EXPECT_TRUE(r && r->status == 200) << (r ? r->body : "");
    return nlohmann::json::parse(r->body)["access_token"];
  }

  std::pair<int, nlohmann::json> call(const std::string& method, const std::string& path,
                                      const std::string& tok, const std::string& body = "") {
    std::string full = "/tenants/contoso" + path;
    httplib::Headers h = {{"Authorization", "Bearer " + tok}};
    auto r = method == "POST"  ? cli_->Post(full, h, body, "application/json")
             : method == "PUT" ? cli_->Put(full, h, body, "application/json")
                               : cli_->Get(full, h);
    EXPECT_TRUE(r) << method << " " << path;
    if (!r) return {0, nullptr};
    return {r->status, r->body.empty() ? nlohmann::json() : nlohmann::json::parse(r->body)};
  }

  static std::string document(const std::string& filter = "(objectClass=inetOrgPerson)") {
    return "type = \"ldap\"\nurl = \"ldap://127.0.0.1:" + std::to_string(ldap_port_) +
           "\"\nbase = \"ou=people,dc=example,dc=com\"\nfilter = \"" + filter + "\"\n";
  }
  static std::string put_body(const std::string& toml) {
    return nlohmann::json({{"toml", toml}}).dump();
  }
  static int64_t total(const nlohmann::json& run, const char* what) {
    int64_t n = 0;
    for (const auto& s : run["stages"]) n += s[what].get<int64_t>();
    return n;
  }

  static TempDir* ldap_dir_;
  static int ldap_port_;
  TempDir dir_;
  std::string client_;
  std::unique_ptr<Server> srv_;
  std::unique_ptr<httplib::Client> cli_;
};

TempDir* AdminSyncTest::ldap_dir_ = nullptr;
int AdminSyncTest::ldap_port_ = 0;

TEST_F(AdminSyncTest, AConnectorIsSetTestedRunDryThenForReal) {
  const std::string spa = token("spa@contoso.com");
  EXPECT_EQ(call("GET", "/admin/v1/sync/connector", spa).first, 404);
  auto [st, set] = call("PUT", "/admin/v1/sync/connector", spa, put_body(document()));
  ASSERT_EQ(st, 200) << set;
  EXPECT_EQ(set["name"], "directory");
  auto [st1, got] = call("GET", "/admin/v1/sync/connector", spa);
  EXPECT_EQ(got["toml"], document());

  auto [st2, test] = call("POST", "/admin/v1/sync/connector/test", spa, "{}");
  ASSERT_EQ(st2, 200) << test;
  EXPECT_EQ(test["connected"], true);
  EXPECT_EQ(test["syncrepl"], true);

  auto [st3, dry] = call("POST", "/admin/v1/sync/runs", spa, R"({"dryRun":true})");
  ASSERT_EQ(st3, 201) << dry;
  EXPECT_EQ(dry["stages"][0]["added"], kUsers);
  EXPECT_EQ(dry["stages"][0]["changes"].size(), static_cast<size_t>(kUsers));
  EXPECT_EQ(dry["stages"][0]["changes"][0].get<std::string>().substr(0, 2), "+ ");
  auto [st4, real] = call("POST", "/admin/v1/sync/runs", spa, "{}");
  ASSERT_EQ(st4, 201) << real;
  EXPECT_EQ(real["stages"][0]["added"], kUsers);
  EXPECT_EQ(call("GET", "/admin/v1/sync/runs", spa).second["value"].size(), 2u);
  // A history page asks for the counts without the change lines.
  auto [st5, summary] = call("GET", "/admin/v1/sync/runs?summary=true", spa);
  ASSERT_EQ(st5, 200) << summary;
  ASSERT_EQ(summary["value"].size(), 2u);
  for (const auto& s : summary["value"][0]["stages"]) EXPECT_FALSE(s.contains("changes")) << s;
  EXPECT_EQ(summary["value"][0]["stages"][0]["added"], kUsers);
  EXPECT_EQ(call("GET", "/admin/v1/sync/runs?summary=yes", spa).first, 400);
  // Nothing runs now.
  EXPECT_EQ(call("GET", "/admin/v1/sync/progress", spa).second,
            nlohmann::json({{"running", false}}));
}

TEST_F(AdminSyncTest, ADeletionThresholdStopIsAllowedOnce) {
  const std::string ga = token("ga@contoso.com");
  ASSERT_EQ(call("PUT", "/admin/v1/sync/connector", ga, put_body(document())).first, 200);
  ASSERT_EQ(call("POST", "/admin/v1/sync/runs", ga, "{}").first, 201);
  // Every user leaves the connector's scope: 520 deletions, over the threshold of 500.
  ASSERT_EQ(call("PUT", "/admin/v1/sync/connector", ga, put_body(document("(uid=nobody)"))).first,
            200);
  auto [st, stopped] = call("POST", "/admin/v1/sync/runs", ga, "{}");
  ASSERT_EQ(st, 409) << stopped;
  EXPECT_NE(
      stopped["run"]["error"].get<std::string>().find("more than the deletion threshold of 500"),
      std::string::npos)
      << stopped;
  // The next run without leave stops again; allowed once, it deletes them.
  EXPECT_EQ(call("POST", "/admin/v1/sync/runs", ga, "{}").first, 409);
  auto [st2, allowed] = call("POST", "/admin/v1/sync/runs", ga, R"({"allowDeletions":true})");
  ASSERT_EQ(st2, 201) << allowed;
  EXPECT_EQ(allowed["stages"][0]["deleted"], kUsers);
  auto [st3, bad] = call("POST", "/admin/v1/sync/runs", ga, R"({"allowDeletions":"yes"})");
  EXPECT_EQ(st3, 400) << bad;
  EXPECT_EQ(bad["error"]["message"], "request body: 'allowDeletions' must be true or false");
}

TEST_F(AdminSyncTest, ARunInProgressShowsItsStages) {
  const std::string ga = token("ga@contoso.com");
  ASSERT_EQ(call("PUT", "/admin/v1/sync/connector", ga, put_body(document())).first, 200);
  // The directory answers slowly: slapd is stopped while the run starts, so the run is
  // certainly in progress when it is polled, however fast or loaded the machine is.
  const pid_t slapd = std::stoi(testing::read_file(ldap_dir_->path() / "ldap" / "slapd.pid"));
  ASSERT_EQ(kill(slapd, SIGSTOP), 0);
  struct Resume {
    pid_t pid;
    ~Resume() { kill(pid, SIGCONT); }
  } resume{slapd};
  std::atomic<bool> ended = false;
  std::thread runner([&] {
    httplib::Client other("127.0.0.1", srv_->port());
    other.set_read_timeout(120);
    auto r = other.Post("/tenants/contoso/admin/v1/sync/runs", {{"Authorization", "Bearer " + ga}},
                        "{}", "application/json");
    EXPECT_TRUE(r && r->status == 201) << (r ? r->body : "");
    ended = true;
  });
  // Polled while the run runs: running, with each stage's count as it goes.
  bool seen_running = false;
  nlohmann::json last;
  const auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  while (!ended) {
    auto [st, p] = call("GET", "/admin/v1/sync/progress", ga);
    EXPECT_EQ(st, 200) << p;
    if (p["running"] == true) {
      if (!seen_running) kill(slapd, SIGCONT);  // seen waiting: let the directory answer
      seen_running = true;
      EXPECT_EQ(p["dryRun"], false);
      for (const auto& s : p["stages"]) EXPECT_LE(s["done"], s["total"]) << p;
      if (!p["stages"].empty()) last = p;
    } else if (!seen_running && std::chrono::steady_clock::now() > give_up) {
      kill(slapd, SIGCONT);  // the run never showed as running; let it end and fail below
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  runner.join();
  EXPECT_TRUE(seen_running);
  std::cout << "progress seen while the run ran: " << last.dump() << "\n";
  EXPECT_EQ(call("GET", "/admin/v1/sync/progress", ga).second["running"], false);
}

TEST_F(AdminSyncTest, ABrokenDocumentIsRefusedWithWhereAndChangesNothing) {
  const std::string ga = token("ga@contoso.com");
  ASSERT_EQ(call("PUT", "/admin/v1/sync/connector", ga, put_body(document())).first, 200);
  struct Case {
    std::string body;
    std::string message;  // a part of the answer's message
  };
  const Case cases[] = {
      {put_body("type = \"ldap\"\nurl = \"ldap://x\n"), "line 2"},
      {put_body(document() + "colour = \"blue\"\n"), "unknown key"},
      {put_body("type = \"ldap\"\nurl = 42\nbase = \"dc=x\"\n"), "url"},
      {R"({"toml": 7})", "'toml' (a string"},
      {R"({"toml": "type = \"ldap\"", "extra": 1})", "unknown field 'extra'"},
      {R"({"name": "../etc", "toml": ""})", "the tenant's connector is 'directory'"},
      {"not json", "request body"},
  };
  for (const Case& c : cases) {
    auto [st, err] = call("PUT", "/admin/v1/sync/connector", ga, c.body);
    EXPECT_EQ(st, 400) << c.body << " " << err;
    EXPECT_NE(err["error"]["message"].get<std::string>().find(c.message), std::string::npos)
        << c.body << " " << err;
  }
  EXPECT_EQ(call("GET", "/admin/v1/sync/connector", ga).second["toml"], document());
  // Query options are refused on every sync route.
  for (const char* path :
       {"/admin/v1/sync/connector?$select=toml", "/admin/v1/sync/progress?$x=1"}) {
    auto [st, err] = call("GET", path, ga);
    EXPECT_EQ(st, 400) << path << " " << err;
  }
  EXPECT_EQ(call("POST", "/admin/v1/sync/connector/test", ga, R"({"url":"ldap://evil"})").first,
            400);
}

TEST_F(AdminSyncTest, ConnectionKeysStayTheOperators) {
  const std::string ga = token("ga@contoso.com");
  // Reading a server file or variable as a password is the operator's choice.
  for (const char* key : {"password_file = \"/etc/shadow\"\n", "password_env = \"HOME\"\n"}) {
    auto [st, err] =
        call("PUT", "/admin/v1/sync/connector", ga,
             put_body(document() + "bind_dn = \"cn=admin,dc=example,dc=com\"\n" + key));
    EXPECT_EQ(st, 403) << err;
    EXPECT_NE(err["error"]["message"].get<std::string>().find("only its operator sets them"),
              std::string::npos)
        << err;
  }
  EXPECT_EQ(call("GET", "/admin/v1/sync/connector", ga).first, 404);
  // The operator sets a password; the API may then not send it elsewhere.
  const std::string pw = dir_.str() + "/pw";
  testing::write_file(pw, "secret\n");
  const std::string with_password =
      document() + "bind_dn = \"cn=admin,dc=example,dc=com\"\npassword_file = \"" + pw + "\"\n";
  const std::string toml = dir_.str() + "/c.toml";
  testing::write_file(toml, with_password);
  ASSERT_EQ(
      run({"--data-dir", data(), "connector", "add", "-t", "contoso", "directory", "--file", toml}),
      0);
  auto [st, test] = call("POST", "/admin/v1/sync/connector/test", ga, "");
  EXPECT_EQ(st, 200) << test;
  EXPECT_EQ(test["bindDn"], "cn=admin,dc=example,dc=com");
  std::string moved = with_password;
  moved.replace(moved.find("127.0.0.1"), 9, "10.9.9.9");
  auto [st2, err] = call("PUT", "/admin/v1/sync/connector", ga, put_body(moved));
  EXPECT_EQ(st2, 403) << err;
  // Other keys stay the admin's to change.
  auto [st3, ok] =
      call("PUT", "/admin/v1/sync/connector", ga,
           put_body(with_password + "exclude_ous = [\"ou=gone,dc=example,dc=com\"]\n"));
  EXPECT_EQ(st3, 200) << ok;
  // A user manages none of it.
  const std::string adele = token("adele@contoso.com");
  EXPECT_EQ(call("GET", "/admin/v1/sync/connector", adele).first, 403);
  EXPECT_EQ(call("POST", "/admin/v1/sync/connector/test", adele, "{}").first, 403);
}

}  // namespace
}  // namespace upsync
