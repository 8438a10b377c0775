// The upsync command: commands, JSON output, exit codes, and bad input leaving disk untouched.
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <cstdlib>
#include <map>
#include <nlohmann/json.hpp>
#include <sstream>

#include "cli/app.h"
#include "test_support.h"

namespace upsync {
namespace {

using testing::read_file;
using testing::TempDir;
using testing::write_file;

struct CliRun {
  int code;
  std::string out;
  std::string err;
};

class CliTest : public ::testing::Test {
 protected:
  CliRun run(std::vector<std::string> args) {
    args.insert(args.begin(), {"upsync", "--data-dir", dir_.str()});
    std::ostringstream out, err;
    int code = run_cli(args, out, err);
    return {code, out.str(), err.str()};
  }

  // Every file of the data folder and its bytes.
  std::map<std::string, std::string> snapshot() {
    std::map<std::string, std::string> files;
    for (const auto& e : std::filesystem::recursive_directory_iterator(dir_.path())) {
      if (e.is_regular_file()) files[e.path().string()] = read_file(e.path());
    }
    return files;
  }

  void seed() {
    ASSERT_EQ(run({"tenant", "create", "contoso"}).code, 0);
    ASSERT_EQ(run({"property", "add", "-t", "contoso", "CostCenter", "--type", "integer"}).code, 0);
    ASSERT_EQ(run({"profile", "create", "-t", "contoso", "i:0#.f|membership|bob@contoso.com",
                   "--set", "FirstName=Bob", "--set", "WorkEmail=bob.smith@contoso.com"})
                  .code,
              0);
  }

  TempDir dir_;
};

TEST_F(CliTest, CreatesListsAndShowsInJson) {
  seed();
  CliRun tenants = run({"--json", "tenant", "list"});
  ASSERT_EQ(tenants.code, 0) << tenants.err;
  auto t = nlohmann::json::parse(tenants.out);
  ASSERT_EQ(t.size(), 1u);
  EXPECT_EQ(t[0]["name"], "contoso");
  EXPECT_EQ(t[0]["kind"], "online");

  CliRun set =
      run({"profile", "set", "-t", "contoso", "bob@contoso.com", "--set", "CostCenter=0042",
           "--set", "SPS-Skills=C++", "--set", "SPS-Skills=SQL", "--json"});
  ASSERT_EQ(set.code, 0) << set.err;
  auto p = nlohmann::json::parse(set.out);
  EXPECT_EQ(p["properties"]["CostCenter"], "42");
  EXPECT_EQ(p["properties"]["SPS-Skills"], nlohmann::json::array({"C++", "SQL"}));

  CliRun by_mail = run({"--json", "profile", "get", "-t", "contoso", "bob.smith@contoso.com"});
  ASSERT_EQ(by_mail.code, 0) << by_mail.err;
  EXPECT_EQ(nlohmann::json::parse(by_mail.out)["accountName"], "i:0#.f|membership|bob@contoso.com");

  CliRun props = run({"--json", "property", "list", "-t", "contoso", "--custom"});
  ASSERT_EQ(props.code, 0);
  auto pj = nlohmann::json::parse(props.out);
  ASSERT_EQ(pj.size(), 1u);
  EXPECT_EQ(pj[0]["name"], "CostCenter");
  EXPECT_EQ(pj[0]["type"], "integer");

  CliRun list = run({"--json", "profile", "list", "-t", "contoso", "--filter", "FirstName=Bob"});
  ASSERT_EQ(list.code, 0) << list.err;
  EXPECT_EQ(nlohmann::json::parse(list.out)["value"].size(), 1u);
}

TEST_F(CliTest, PrintsTablesForPeople) {
  seed();
  CliRun get = run({"profile", "get", "-t", "contoso", "i:0#.f|membership|bob@contoso.com"});
  ASSERT_EQ(get.code, 0) << get.err;
  EXPECT_NE(get.out.find("PROPERTY"), std::string::npos);
  EXPECT_NE(get.out.find("FirstName"), std::string::npos);
  EXPECT_NE(get.out.find("synced"), std::string::npos);
  CliRun list = run({"tenant", "list"});
  EXPECT_EQ(list.out.substr(0, 4), "NAME");
}

TEST_F(CliTest, UsageErrorsExitTwo) {
  EXPECT_EQ(run({}).code, kExitUsage);
  EXPECT_EQ(run({"frobnicate"}).code, kExitUsage);
  EXPECT_EQ(run({"tenant", "create"}).code, kExitUsage);
  EXPECT_EQ(run({"tenant", "create", "x", "--kind", "cloud"}).code, kExitUsage);
  EXPECT_EQ(run({"profile", "get", "bob"}).code, kExitUsage) << "--tenant is required";
  EXPECT_EQ(run({"--help"}).code, kExitOk);
}

// Acceptance 3 of the foundation: each bad input exits 1 with a clear message, and the data
// folder is byte for byte what it was.
TEST_F(CliTest, BadInputExitsOneAndChangesNothingOnDisk) {
  seed();
  struct Case {
    std::vector<std::string> args;
    const char* message;
  } cases[] = {
      {{"profile", "create", "-t", "contoso", "i:0#.x|membership|eve@contoso.com"}, "position"},
      {{"profile", "get", "-t", "contoso", "i:0#.x|membership|bob@contoso.com"}, "position"},
      {{"profile", "set", "-t", "contoso", "bob@contoso.com", "--set", "CostCenter=twelve"},
       "property 'CostCenter' expects an integer (32-bit), got 'twelve'"},
      {{"profile", "set", "-t", "contoso", "bob@contoso.com", "--set", "FirstName=Robert", "--set",
        "SPS-HireDate=2021-02-30"},
       "day 30 is out of range for month 2"},
      {{"profile", "set", "-t", "contoso", "bob@contoso.com", "--set", "Nope=1"},
       "property 'Nope' does not exist in the user profile schema of this tenant"},
      {{"profile", "set", "-t", "contoso", "bob@contoso.com", "--set", "novalue"},
       "expected PROPERTY=VALUE"},
      {{"profile", "get", "-t", "contoso", "nobody@contoso.com"}, "no profile with"},
      {{"profile", "list", "-t", "fabrikam"}, "tenant 'fabrikam' does not exist"},
      {{"tenant", "create", "contoso"}, "tenant 'contoso' already exists"},
      {{"tenant", "create", "Bad_Name"}, "at position 1"},
      {{"property", "add", "-t", "contoso", "CostCenter"}, "already exists"},
      {{"property", "add", "-t", "contoso", "X", "--type", "colour"}, "unknown data type"},
      {{"property", "remove", "-t", "contoso", "WorkEmail"}, "cannot be removed"},
      {{"property", "update", "-t", "contoso", "CostCenter", "--type", "string"},
       "the type of property 'CostCenter' cannot change (integer to string)"},
      {{"property", "update", "-t", "contoso", "WorkEmail", "--display-name", "Mail"},
       "default property of the catalog and cannot be changed"},
      {{"property", "update", "-t", "contoso", "Nope", "--multi", "true"}, "does not exist"},
      {{"property", "update", "-t", "contoso", "CostCenter"}, "nothing to change"},
      {{"property", "update", "-t", "contoso", "CostCenter", "--max-length", "0"},
       "max length must be 1 to 1000000"},
  };
  const auto before = snapshot();
  for (const Case& c : cases) {
    CliRun r = run(c.args);
    EXPECT_EQ(r.code, kExitUserError) << c.args[1] << ": " << r.err;
    EXPECT_NE(r.err.find(c.message), std::string::npos) << r.err;
    EXPECT_EQ(r.out, "");
  }
  EXPECT_EQ(snapshot(), before);
}

TEST_F(CliTest, UpdatesACustomPropertysDisplayNameAndFlags) {
  seed();
  CliRun r =
      run({"--json", "property", "update", "-t", "contoso", "costcenter", "--display-name",
           "Cost centre", "--multi", "true", "--user-editable", "true", "--max-length", "12"});
  ASSERT_EQ(r.code, 0) << r.err;
  auto p = nlohmann::json::parse(r.out);
  EXPECT_EQ(p["name"], "CostCenter");
  EXPECT_EQ(p["displayName"], "Cost centre");
  EXPECT_EQ(p["multiValue"], true);
  EXPECT_EQ(p["userEditable"], true);
  EXPECT_EQ(p["maxLength"], 12);
  EXPECT_EQ(run({"property", "update", "-t", "contoso", "CostCenter", "--multi", "maybe"}).code,
            kExitUsage);
}

// `--set NAME=` clears NAME, as SharePoint does when a client sets an empty value, for every
// kind of property (as --clear does); an empty value among others of the same name is refused.
TEST_F(CliTest, AnEmptyValueClearsAPropertyOfAnyKind) {
  seed();
  ASSERT_EQ(run({"profile", "create", "-t", "contoso", "i:0#.f|membership|megan@contoso.com"}).code,
            0);
  CliRun filled = run({"profile", "set", "-t", "contoso", "bob@contoso.com", "--set",
                       "Manager=i:0#.f|membership|megan@contoso.com", "--set", "SPS-Skills=C++",
                       "--set", "SPS-Skills=SQL", "--set", "CostCenter=7"});
  ASSERT_EQ(filled.code, 0) << filled.err;
  auto properties = [&]() {
    CliRun get = run({"--json", "profile", "get", "-t", "contoso", "bob@contoso.com"});
    EXPECT_EQ(get.code, 0) << get.err;
    return nlohmann::json::parse(get.out)["properties"];
  };
  ASSERT_TRUE(properties().contains("Manager"));

  for (const char* name : {"Manager", "SPS-Skills", "CostCenter"}) {
    CliRun clear = run(
        {"profile", "set", "-t", "contoso", "bob@contoso.com", "--set", std::string(name) + "="});
    EXPECT_EQ(clear.code, 0) << name << ": " << clear.err;
    EXPECT_EQ(clear.out.rfind("updated profile ", 0), 0u) << name << ": " << clear.out;
    EXPECT_FALSE(properties().contains(name)) << name;
  }
  EXPECT_EQ(properties()["FirstName"], "Bob");

  // Nothing left to clear: said as such, not "the values were already set".
  CliRun again = run({"profile", "set", "-t", "contoso", "bob@contoso.com", "--set", "Manager="});
  EXPECT_EQ(again.code, 0) << again.err;
  EXPECT_NE(again.out.find("unchanged: Manager had no value"), std::string::npos) << again.out;

  const auto before = snapshot();
  CliRun mixed = run({"profile", "set", "-t", "contoso", "bob@contoso.com", "--set",
                      "SPS-Skills=Go", "--set", "SPS-Skills="});
  EXPECT_EQ(mixed.code, kExitUserError) << mixed.out;
  EXPECT_NE(mixed.err.find("--set 'SPS-Skills=': an empty value clears the property"),
            std::string::npos)
      << mixed.err;
  EXPECT_EQ(snapshot(), before);
}

TEST_F(CliTest, CorruptDatabaseExitsOneAndIsLeftAlone) {
  write_file(dir_.path() / "upsync.db", std::string(8192, '\x17'));
  const auto before = snapshot();
  CliRun r = run({"tenant", "list"});
  EXPECT_EQ(r.code, kExitUserError);
  EXPECT_NE(r.err.find("corrupt"), std::string::npos) << r.err;
  CliRun w = run({"tenant", "create", "contoso"});
  EXPECT_EQ(w.code, kExitUserError);
  EXPECT_EQ(snapshot(), before);
}

// --db (or UPSYNC_DB) names the database apart from the data folder; a backend this build does
// not have is a user error that leaves the data folder as it was.
TEST_F(CliTest, TheDatabaseIsChosenByDbOrUpsyncDb) {
  TempDir other;
  const std::string file = (other.path() / "people.db").string();
  CliRun made = run({"--db", "sqlite:" + file, "tenant", "create", "contoso"});
  ASSERT_EQ(made.code, 0) << made.err;
  EXPECT_TRUE(std::filesystem::exists(file));
  EXPECT_FALSE(std::filesystem::exists(dir_.path() / "upsync.db"));
  EXPECT_NE(run({"--db", "sqlite:" + file, "tenant", "list"}).out.find("contoso"),
            std::string::npos);
  EXPECT_EQ(run({"tenant", "list"}).code, 1) << "the data folder's own database is still empty";

  ::setenv("UPSYNC_DB", ("sqlite:" + file).c_str(), 1);
  CliRun by_env = run({"--json", "tenant", "list"});
  ::unsetenv("UPSYNC_DB");
  ASSERT_EQ(by_env.code, 0) << by_env.err;
  EXPECT_NE(by_env.out.find("contoso"), std::string::npos) << by_env.out;

  const auto before = snapshot();
  // Nothing listens on port 1: the server cannot be reached, and the password is not shown.
  CliRun pg = run({"--db", "postgresql://upsync:s3cret@127.0.0.1:1/upsync", "tenant", "list"});
  EXPECT_EQ(pg.code, 1);
  EXPECT_EQ(pg.err.rfind("upsync: cannot connect to PostgreSQL at "
                         "postgresql://upsync:***@127.0.0.1:1/upsync: ",
                         0),
            0u)
      << pg.err;
  EXPECT_EQ(pg.err.find("s3cret"), std::string::npos) << pg.err;
  CliRun unknown = run({"--db", "mysql://localhost/upsync", "tenant", "create", "x"});
  EXPECT_EQ(unknown.code, 1);
  EXPECT_NE(unknown.err.find("unknown kind of database"), std::string::npos) << unknown.err;
  EXPECT_EQ(snapshot(), before);
}

TEST_F(CliTest, TheBinaryReturnsTheDocumentedExitCodes) {
  const char* bin = std::getenv("UPSYNC_BINARY");
  ASSERT_NE(bin, nullptr) << "ctest sets UPSYNC_BINARY";
  auto code = [&](const std::string& args) {
    std::string cmd =
        std::string(bin) + " --data-dir '" + dir_.str() + "' " + args + " >/dev/null 2>&1";
    return WEXITSTATUS(std::system(cmd.c_str()));
  };
  EXPECT_EQ(code("tenant create contoso"), 0);
  EXPECT_EQ(code("tenant create contoso"), 1);
  EXPECT_EQ(code("tenant launch"), 2);
}

// A server tenant's schedule runs its connector: it cannot be set without one, and it ends
// when the last one is removed (said so). An online tenant's schedule runs stages 1-2 without
// any connector, and stays.
TEST_F(CliTest, RemovingAServerTenantsLastConnectorEndsItsSchedule) {
  ASSERT_EQ(run({"tenant", "create", "farm", "--kind", "server"}).code, 0);
  ASSERT_EQ(run({"tenant", "create", "contoso"}).code, 0);
  const std::string toml = (dir_.path() / "dc1.toml").string();
  write_file(toml, "url = \"ldap://dc.contoso.com\"\nbase = \"dc=contoso,dc=com\"\n");
  CliRun refused = run({"sync", "schedule", "-t", "farm", "--every", "300"});
  EXPECT_NE(refused.code, 0);
  EXPECT_NE(refused.err.find("is a server tenant without a connector"), std::string::npos)
      << refused.err;
  for (const char* tenant : {"farm", "contoso"}) {
    ASSERT_EQ(run({"connector", "add", "-t", tenant, "dc1", "--file", toml}).code, 0);
    ASSERT_EQ(run({"sync", "schedule", "-t", tenant, "--every", "300"}).code, 0);
  }
  CliRun farm = run({"connector", "remove", "-t", "farm", "dc1"});
  ASSERT_EQ(farm.code, 0) << farm.err;
  EXPECT_EQ(farm.out,
            "removed connector dc1\n"
            "tenant 'farm' no longer syncs on a schedule: a server tenant's schedule runs its "
            "connector\n");
  EXPECT_EQ(run({"sync", "schedule", "-t", "farm"}).out, "tenant 'farm' has no scheduled sync\n");
  CliRun online = run({"connector", "remove", "-t", "contoso", "dc1"});
  ASSERT_EQ(online.code, 0) << online.err;
  EXPECT_EQ(online.out, "removed connector dc1\n");
  EXPECT_EQ(run({"sync", "schedule", "-t", "contoso"}).out,
            "tenant 'contoso' syncs every 300 seconds while upsync serve runs\n");
  // An unknown connector: NotFound, and the schedule as it was.
  ASSERT_EQ(run({"connector", "add", "-t", "farm", "dc1", "--file", toml}).code, 0);
  ASSERT_EQ(run({"sync", "schedule", "-t", "farm", "--every", "60"}).code, 0);
  CliRun unknown = run({"connector", "remove", "-t", "farm", "dc2"});
  EXPECT_NE(unknown.code, 0);
  EXPECT_NE(unknown.err.find("no connector 'dc2'"), std::string::npos) << unknown.err;
  EXPECT_EQ(run({"sync", "schedule", "-t", "farm"}).out,
            "tenant 'farm' syncs every 60 seconds while upsync serve runs\n");
}

}  // namespace
}  // namespace upsync
