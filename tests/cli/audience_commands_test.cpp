// upsync audience add|list|show|members|compile|remove and upsync hybrid set|show|clear
// (src/cli/audience_commands.cpp): text and JSON output, exit codes, and bad input that names
// its cause and leaves the data as it was.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <sstream>

#include "cli/app.h"
#include "test_support.h"

namespace upsync {
namespace {

using testing::TempDir;

struct CliRun {
  int code;
  std::string out;
  std::string err;
};

class AudienceCommandsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_EQ(run({"tenant", "create", "contoso"}).code, 0);
    ASSERT_EQ(run({"tenant", "create", "farm", "--kind", "server"}).code, 0);
    for (auto [login, dept] : {std::pair{"ann", "Sales"}, {"bob", "Support"}, {"cy", "Sales"}}) {
      ASSERT_EQ(run({"profile", "create", "-t", "farm", std::string("i:0#.w|farm\\") + login,
                     "--set", std::string("Department=") + dept, "--set",
                     std::string("SPS-UserPrincipalName=") + login + "@farm.local"})
                    .code,
                0);
    }
  }
  CliRun run(std::vector<std::string> args) {
    args.insert(args.begin(), {"upsync", "--data-dir", dir_.str()});
    std::ostringstream out, err;
    int code = run_cli(args, out, err);
    return {code, out.str(), err.str()};
  }
  TempDir dir_;
};

TEST_F(AudienceCommandsTest, AddListShowMembersCompileAndRemove) {
  CliRun added =
      run({"audience", "add", "-t", "farm", "Sales", "--rule", "Department=sales", "--rule",
           "reportsUnder:ann@farm.local", "--match", "any", "--description", "the sales people"});
  ASSERT_EQ(added.code, 0) << added.err;
  EXPECT_EQ(added.out, "added audience Sales (2 members)\n");

  CliRun list = run({"--json", "audience", "list", "-t", "farm"});
  ASSERT_EQ(list.code, 0) << list.err;
  auto j = nlohmann::json::parse(list.out);
  ASSERT_EQ(j.size(), 1u);
  EXPECT_EQ(j[0]["memberCount"], 2);
  EXPECT_EQ(j[0]["rules"][1]["manager"], "i:0#.w|farm\\ann");  // a UPN resolved

  CliRun show = run({"audience", "show", "-t", "farm", "sales"});
  ASSERT_EQ(show.code, 0) << show.err;
  EXPECT_NE(show.out.find("match:       any of its rules"), std::string::npos) << show.out;
  EXPECT_NE(show.out.find("  Department=sales\n"), std::string::npos) << show.out;

  CliRun members = run({"audience", "members", "-t", "farm", "Sales"});
  ASSERT_EQ(members.code, 0) << members.err;
  EXPECT_EQ(members.out, "i:0#.w|farm\\ann\ni:0#.w|farm\\cy\n");

  ASSERT_EQ(
      run({"profile", "set", "-t", "farm", "i:0#.w|farm\\bob", "--set", "Department=Sales"}).code,
      0);
  CliRun compiled = run({"audience", "compile", "-t", "farm", "--all"});
  ASSERT_EQ(compiled.code, 0) << compiled.err;
  EXPECT_EQ(compiled.out, "compiled Sales: 3 members\n");

  EXPECT_EQ(run({"audience", "remove", "-t", "farm", "Sales"}).code, 0);
  EXPECT_NE(run({"audience", "show", "-t", "farm", "Sales"}).code, 0);
}

TEST_F(AudienceCommandsTest, BadRulesNameTheCauseAndStoreNothing) {
  for (auto [rule, cause] : {std::pair{"Colour=red", "Colour"},
                             {"memberOf:Nobody's Group", "Nobody's Group"},
                             {"reportsUnder:ghost@farm.local", "no profile 'ghost@farm.local'"},
                             {"Department", "expected memberOf"}}) {
    CliRun r = run({"audience", "add", "-t", "farm", "Bad", "--rule", rule});
    EXPECT_NE(r.code, 0) << rule;
    EXPECT_NE(r.err.find(cause), std::string::npos) << r.err;
    EXPECT_EQ(r.err.find("malformed"), std::string::npos) << r.err;
  }
  CliRun match =
      run({"audience", "add", "-t", "farm", "Bad", "--rule", "Department=x", "--match", "most"});
  EXPECT_NE(match.code, 0);
  EXPECT_NE(match.err.find("most"), std::string::npos);
  EXPECT_EQ(run({"--json", "audience", "list", "-t", "farm"}).out, "[]\n");

  CliRun online = run({"audience", "add", "-t", "contoso", "A", "--rule", "Department=x"});
  EXPECT_NE(online.code, 0);
  EXPECT_NE(online.err.find("online tenant"), std::string::npos) << online.err;
  EXPECT_NE(run({"audience", "list", "-t", "contoso"}).code, 0);
  EXPECT_NE(run({"audience", "compile", "-t", "farm"}).code, 0);  // neither a name nor --all
}

TEST_F(AudienceCommandsTest, HybridSettingsSetShowAndClear) {
  CliRun none = run({"hybrid", "show", "-t", "farm"});
  ASSERT_EQ(none.code, 0) << none.err;
  EXPECT_NE(none.out.find("no hybrid settings"), std::string::npos);

  ASSERT_EQ(run({"audience", "add", "-t", "farm", "Hybrid", "--rule", "Department=Sales"}).code, 0);
  CliRun set = run({"--json", "hybrid", "set", "-t", "farm", "--online-url",
                    "HTTPS://Contoso-My.SharePoint.com/", "--audience", "hybrid"});
  ASSERT_EQ(set.code, 0) << set.err;
  auto j = nlohmann::json::parse(set.out);
  EXPECT_EQ(j["onlineUrl"], "https://contoso-my.sharepoint.com");
  EXPECT_EQ(j["audience"], "Hybrid");

  // Bad settings leave the stored ones.
  CliRun bad = run({"hybrid", "set", "-t", "farm", "--online-url", "contoso.com"});
  EXPECT_NE(bad.code, 0);
  EXPECT_NE(bad.err.find("not an http"), std::string::npos) << bad.err;
  CliRun nobody = run({"hybrid", "set", "-t", "farm", "--online-url", "https://x.example.com",
                       "--audience", "Nobody"});
  EXPECT_NE(nobody.code, 0);
  EXPECT_NE(nobody.err.find("Nobody"), std::string::npos) << nobody.err;
  CliRun pinned = run({"audience", "remove", "-t", "farm", "Hybrid"});
  EXPECT_NE(pinned.code, 0);
  EXPECT_NE(pinned.err.find("hybrid settings"), std::string::npos) << pinned.err;
  CliRun shown = run({"hybrid", "show", "-t", "farm"});
  EXPECT_NE(shown.out.find("https://contoso-my.sharepoint.com"), std::string::npos);
  EXPECT_NE(shown.out.find("the members of audience Hybrid"), std::string::npos) << shown.out;

  EXPECT_EQ(run({"hybrid", "clear", "-t", "farm"}).out, "cleared the hybrid settings of farm\n");
  EXPECT_EQ(run({"hybrid", "clear", "-t", "farm"}).out, "no hybrid settings in farm\n");
  CliRun online = run({"hybrid", "set", "-t", "contoso", "--online-url", "https://x.example.com"});
  EXPECT_NE(online.code, 0);
  EXPECT_NE(online.err.find("online tenant"), std::string::npos);
}

}  // namespace
}  // namespace upsync
