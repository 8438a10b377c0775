// Hand edits of the cloud directory through the CLI, carried into profiles by `sync run`.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <sstream>

#include "cli/app.h"
#include "test_support.h"

namespace upsync {
namespace {

using testing::TempDir;

class DirectoryCliTest : public ::testing::Test {
 protected:
  struct Out {
    int code;
    std::string out, err;
  };
  Out run(std::vector<std::string> args) {
    args.insert(args.begin(), {"upsync", "--data-dir", dir_.str()});
    std::ostringstream out, err;
    int code = run_cli(args, out, err);
    return {code, out.str(), err.str()};
  }
  nlohmann::json sync() {
    Out r = run({"--json", "sync", "run", "-t", "contoso"});
    EXPECT_EQ(r.code, 0) << r.err;
    return r.code == 0 ? nlohmann::json::parse(r.out) : nlohmann::json();
  }
  std::string title(const std::string& upn) {
    Out r = run({"--json", "profile", "get", "-t", "contoso", upn});
    if (r.code != 0) return "<none>";
    auto j = nlohmann::json::parse(r.out);
    return j["properties"].value("Title", "");
  }
  TempDir dir_;
};

TEST_F(DirectoryCliTest, EditsReachProfilesThroughSync) {
  ASSERT_EQ(run({"tenant", "create", "contoso"}).code, 0);
  Out add =
      run({"directory", "user", "add", "-t", "contoso", "ada@contoso.com", "--set",
           "displayName=Ada Lovelace", "--set", "jobTitle=Analyst", "--set",
           "proxyAddresses=SMTP:ada@contoso.com", "--set", "proxyAddresses=SIP:ada@contoso.com"});
  ASSERT_EQ(add.code, 0) << add.err;
  auto first = sync();
  EXPECT_EQ(first["stages"][1]["added"], 1);
  EXPECT_EQ(title("ada@contoso.com"), "Analyst");

  ASSERT_EQ(run({"directory", "user", "block", "-t", "contoso", "ada@contoso.com"}).code, 0);
  ASSERT_EQ(run({"directory", "user", "set", "-t", "contoso", "ada@contoso.com", "--set",
                 "jobTitle=Countess"})
                .code,
            0);
  auto blocked = sync();
  EXPECT_EQ(blocked["stages"][1]["skipped"]["sign-in blocked"], 1);
  EXPECT_EQ(title("ada@contoso.com"), "Analyst");

  ASSERT_EQ(run({"directory", "user", "unblock", "-t", "contoso", "ada@contoso.com"}).code, 0);
  sync();
  EXPECT_EQ(title("ada@contoso.com"), "Countess");

  ASSERT_EQ(run({"directory", "user", "unlicense", "-t", "contoso", "ada@contoso.com"}).code, 0);
  EXPECT_EQ(sync()["stages"][1]["skipped"]["no license"], 1);

  ASSERT_EQ(run({"directory", "user", "delete", "-t", "contoso", "ada@contoso.com"}).code, 0);
  EXPECT_EQ(sync()["stages"][1]["deleted"], 1);
  EXPECT_EQ(title("ada@contoso.com"), "<none>");
}

TEST_F(DirectoryCliTest, BadEditsExitOneAndChangeNothing) {
  ASSERT_EQ(run({"tenant", "create", "contoso"}).code, 0);
  ASSERT_EQ(run({"directory", "user", "add", "-t", "contoso", "ada@contoso.com"}).code, 0);
  const std::string before = run({"--json", "directory", "user", "list", "-t", "contoso"}).out;
  struct Case {
    std::vector<std::string> args;
    const char* message;
  } cases[] = {
      {{"directory", "user", "set", "-t", "contoso", "ada@contoso.com", "--set", "shoeSize=42"},
       "unknown directory attribute 'shoeSize' (known: userPrincipalName, "},
      {{"directory", "user", "set", "-t", "contoso", "ada@contoso.com", "--set", "jobTitle"},
       "expected ATTRIBUTE=VALUE"},
      {{"directory", "user", "add", "-t", "contoso", "ada@contoso.com"}, "already exists"},
      {{"directory", "user", "add", "-t", "contoso", "not an address"}, "expects an e-mail"},
      {{"directory", "user", "block", "-t", "contoso", "nobody@contoso.com"},
       "no user 'nobody@contoso.com' in the cloud directory of tenant 'contoso'"},
      {{"sync", "ldif", "-t", "contoso", "/nonexistent.ldif"}, "cannot read '/nonexistent.ldif'"},
  };
  for (const Case& c : cases) {
    Out r = run(c.args);
    EXPECT_EQ(r.code, kExitUserError) << r.err;
    EXPECT_NE(r.err.find(c.message), std::string::npos) << r.err;
  }
  EXPECT_EQ(run({"--json", "directory", "user", "list", "-t", "contoso"}).out, before);
}

}  // namespace
}  // namespace upsync
