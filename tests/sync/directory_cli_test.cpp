// Hand edits of the cloud directory through the CLI, carried into profiles by `sync run`.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <sstream>

#include "cli/app.h"
#include "directory/ldif.h"
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

TEST_F(DirectoryCliTest, StageRunsOneStageAndTheNextRunsCatchUpFromTheirCursors) {
  ASSERT_EQ(run({"tenant", "create", "contoso"}).code, 0);
  ASSERT_EQ(run({"directory", "user", "add", "-t", "contoso", "ada@contoso.com", "--set",
                 "jobTitle=Analyst"})
                .code,
            0);
  auto stage_of = [&](const std::vector<std::string>& extra) {
    std::vector<std::string> args = {"--json", "sync", "run", "-t", "contoso"};
    args.insert(args.end(), extra.begin(), extra.end());
    Out r = run(args);
    EXPECT_EQ(r.code, 0) << r.err;
    return r.code == 0 ? nlohmann::json::parse(r.out)["stages"] : nlohmann::json();
  };
  // Stage 1 alone: the directory store has Ada, no profile yet.
  auto one = stage_of({"--stage", "1"});
  ASSERT_EQ(one.size(), 1u);
  EXPECT_EQ(one[0]["stage"], "cloud-to-store");
  EXPECT_EQ(one[0]["added"], 1);
  EXPECT_EQ(title("ada@contoso.com"), "<none>");
  // Stage 2 alone reads what stage 1 wrote.
  auto two = stage_of({"--stage", "2"});
  ASSERT_EQ(two.size(), 1u);
  EXPECT_EQ(two[0]["stage"], "store-to-profiles");
  EXPECT_EQ(two[0]["added"], 1);
  EXPECT_EQ(title("ada@contoso.com"), "Analyst");
  // Again: its cursor moved, nothing is read; with --full everything is, and nothing changes.
  EXPECT_EQ(stage_of({"--stage", "2"})[0]["read"], 0);
  auto full = stage_of({"--stage", "2", "--full"});
  EXPECT_EQ(full[0]["read"], 1);
  EXPECT_EQ(full[0]["unchanged"], 1);
  // A whole run then has only stage 3's work left.
  auto all = stage_of({});
  ASSERT_EQ(all.size(), 3u);
  EXPECT_EQ(all[0]["read"], 0);
  EXPECT_EQ(all[1]["read"], 0);

  struct Case {
    std::vector<std::string> args;
    int code;
    const char* message;
  } cases[] = {
      {{"sync", "run", "-t", "contoso", "--stage", "4"},
       kExitUserError,
       "--stage 4: the stages are 0"},
      {{"sync", "run", "-t", "contoso", "--stage", "x"},
       kExitUsage,
       "Could not convert: --stage = x"},
      {{"sync", "run", "-t", "contoso", "--stage", "0"},
       kExitUserError,
       "stage 0 reads an on-premises directory, and tenant 'contoso' has no connector"},
  };
  for (const Case& c : cases) {
    Out r = run(c.args);
    EXPECT_EQ(r.code, c.code) << r.err;
    EXPECT_NE(r.err.find(c.message), std::string::npos) << r.err;
  }
}

TEST_F(DirectoryCliTest, ATerminalShowsAProgressBarPerStage) {
  ASSERT_EQ(run({"tenant", "create", "contoso"}).code, 0);
  std::string ldif;
  const char* guids[] = {
      "EBESExQVFhcYGRobHB0eHw==", "ICEiIyQlJicoKSorLC0uLw==", "MDEyMzQ1Njc4OTo7PD0+Pw==",
      "QEFCQ0RFRkdISUpLTE1OTw==", "UFFSU1RVVldYWVpbXF1eXw=="};
  for (int i = 0; i < 5; ++i) {
    ldif += "dn: CN=User" + std::to_string(i) + ",DC=contoso,DC=com\nobjectClass: user\n" +
            "objectGUID:: " + guids[i] + "\nuserPrincipalName: user" + std::to_string(i) +
            "@contoso.com\n\n";
  }
  const std::string file = dir_.str() + "/users.ldif";
  testing::write_file(file, ldif);
  const std::vector<std::string> args = {"--data-dir", dir_.str(), "sync", "ldif",
                                         "-t",         "contoso",  file};
  // The data folder, the store and the file were made by this process (umask 022): the binary
  // makes them private, and says so once.
  EXPECT_NE(testing::run_binary_stderr({"--data-dir", dir_.str(), "tenant", "list"}, false)
                .find("made private"),
            std::string::npos);
  // Not a terminal: the report alone.
  EXPECT_EQ(
      testing::run_binary_stderr(
          {"--data-dir", dir_.str(), "sync", "ldif", "-t", "contoso", file, "--dry-run"}, false),
      "");
  const std::string shown = testing::run_binary_stderr(args, true);
  for (const char* line : {"\rconnect [####################] 100%  5 / 5 users",
                           "\rcloud-to-store [####################] 100%  5 / 5 changes",
                           "\rstore-to-profiles [####################] 100%  5 / 5 changes",
                           "\rprofiles-to-sites [####################] 100%  5 / 5 changes"}) {
    EXPECT_NE(shown.find(line), std::string::npos) << line << " in " << shown;
  }
  // A delta with nothing to do draws no bar (no line cleared after a bar).
  EXPECT_EQ(
      testing::run_binary_stderr({"--data-dir", dir_.str(), "sync", "run", "-t", "contoso"}, true)
          .find("\x1b[K"),
      std::string::npos);
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

TEST_F(DirectoryCliTest, SiteUserListsThroughTheCli) {
  ASSERT_EQ(run({"tenant", "create", "contoso"}).code, 0);
  ASSERT_EQ(run({"directory", "user", "add", "-t", "contoso", "ada@contoso.com", "--set",
                 "displayName=Ada Lovelace", "--set", "jobTitle=Analyst"})
                .code,
            0);
  sync();
  Out add =
      run({"site", "user", "add", "-t", "contoso", "/sites/hr", "ada@contoso.com", "--site-admin"});
  ASSERT_EQ(add.code, 0) << add.err;
  EXPECT_EQ(add.out, "i:0#.f|membership|ada@contoso.com is user 1 of /sites/hr\n");
  Out list = run({"--json", "site", "user", "list", "-t", "contoso", "/sites/HR"});
  ASSERT_EQ(list.code, 0) << list.err;
  auto users = nlohmann::json::parse(list.out);
  ASSERT_EQ(users.size(), 1u);
  EXPECT_EQ(users[0]["siteAdmin"], true);
  EXPECT_EQ(users[0]["properties"]["Title"][0], "Analyst");

  // Stage 3 carries a directory change into the site's copy.
  ASSERT_EQ(run({"directory", "user", "set", "-t", "contoso", "ada@contoso.com", "--set",
                 "jobTitle=Countess"})
                .code,
            0);
  auto r = sync();
  EXPECT_EQ(r["stages"][2]["stage"], "profiles-to-sites");
  EXPECT_EQ(r["stages"][2]["updated"], 1);
  Out show = run({"site", "user", "show", "-t", "contoso", "/sites/hr", "1"});
  ASSERT_EQ(show.code, 0) << show.err;
  EXPECT_NE(show.out.find("Title: Countess\n"), std::string::npos) << show.out;

  // Bad input: exit 1 with what and where; nothing changes.
  struct Case {
    std::vector<std::string> args;
    const char* message;
  } cases[] = {
      {{"site", "user", "add", "-t", "contoso", "/hr", "ada@contoso.com"},
       "site collection '/hr' is neither the root ('/') nor /sites/<name> or /teams/<name>"},
      {{"site", "user", "add", "-t", "contoso", "/sites/hr", "nobody@contoso.com"},
       "no profile with account name, UPN or work email 'nobody@contoso.com'"},
      {{"site", "user", "show", "-t", "contoso", "/sites/hr", "7"},
       "'7' is not in the user list of '/sites/hr'"},
      {{"site", "user", "remove", "-t", "contoso", "/teams/x", "ada@contoso.com"},
       "'ada@contoso.com' is not in the user list of '/teams/x'"},
  };
  const std::string before =
      run({"--json", "site", "user", "list", "-t", "contoso", "/sites/hr"}).out;
  for (const Case& c : cases) {
    Out bad = run(c.args);
    EXPECT_EQ(bad.code, kExitUserError) << bad.err;
    EXPECT_NE(bad.err.find(c.message), std::string::npos) << bad.err;
  }
  EXPECT_EQ(run({"--json", "site", "user", "list", "-t", "contoso", "/sites/hr"}).out, before);

  Out removed = run({"site", "user", "remove", "-t", "contoso", "/sites/hr", "ada@contoso.com"});
  ASSERT_EQ(removed.code, 0) << removed.err;
  EXPECT_EQ(run({"--json", "site", "user", "list", "-t", "contoso", "/sites/hr"}).out, "[]\n");
}

TEST_F(DirectoryCliTest, GroupListAndShowWithDirectAndTransitiveMembers) {
  ASSERT_EQ(run({"tenant", "create", "contoso"}).code, 0);
  auto guid = [](int n) {
    std::string b(16, '\0');
    b[0] = static_cast<char>(n);
    return base64_encode(b);
  };
  const std::string file = dir_.str() + "/groups.ldif";
  testing::write_file(
      file, "dn: CN=Ada,DC=contoso,DC=com\nobjectClass: user\nobjectGUID:: " + guid(1) +
                "\nuserPrincipalName: ada@contoso.com\n\n"
                "dn: CN=Outer,DC=contoso,DC=com\nobjectClass: group\nobjectGUID:: " +
                guid(2) + "\nmember: CN=Inner,DC=contoso,DC=com\n\n" +
                "dn: CN=Inner,DC=contoso,DC=com\nobjectClass: group\nobjectGUID:: " + guid(3) +
                "\nmember: CN=Ada,DC=contoso,DC=com\n\n");
  Out synced = run({"sync", "ldif", "-t", "contoso", file});
  ASSERT_EQ(synced.code, 0) << synced.err;
  EXPECT_NE(synced.out.find("connect (groups)"), std::string::npos) << synced.out;

  Out list = run({"directory", "group", "list", "-t", "contoso"});
  ASSERT_EQ(list.code, 0) << list.err;
  EXPECT_NE(list.out.find("Inner"), std::string::npos);
  EXPECT_NE(list.out.find("Outer"), std::string::npos);

  Out show = run({"--json", "directory", "group", "show", "-t", "contoso", "outer"});
  ASSERT_EQ(show.code, 0) << show.err;
  auto j = nlohmann::json::parse(show.out);
  ASSERT_EQ(j["members"].size(), 1u);
  EXPECT_EQ(j["members"][0]["name"], "Inner");
  EXPECT_EQ(j["members"][0]["type"], "group");
  ASSERT_EQ(j["transitiveMembers"].size(), 2u);
  // The same by object id, as text.
  Out text = run({"directory", "group", "show", "-t", "contoso", j["objectId"]});
  ASSERT_EQ(text.code, 0) << text.err;
  EXPECT_NE(text.out.find("transitive members (2)"), std::string::npos) << text.out;
  EXPECT_NE(text.out.find("ada@contoso.com"), std::string::npos) << text.out;

  Out missing = run({"directory", "group", "show", "-t", "contoso", "Nobody"});
  EXPECT_EQ(missing.code, 1);
  EXPECT_NE(missing.err.find("no group 'Nobody' in the cloud directory of tenant 'contoso'"),
            std::string::npos)
      << missing.err;

  // A malformed group entry: the line and what is wrong, exit 1, nothing changed.
  testing::write_file(file, "dn: CN=Bad,DC=contoso,DC=com\nobjectClass: group\nobjectGUID:: " +
                                guid(4) + "\nmember: Ada\n\n");
  Out bad = run({"sync", "ldif", "-t", "contoso", file});
  EXPECT_EQ(bad.code, 1);
  EXPECT_NE(bad.err.find("LDIF line 1 (CN=Bad,DC=contoso,DC=com): member value 'Ada' is not a "
                         "distinguished name"),
            std::string::npos)
      << bad.err;
  Out after = run({"--json", "directory", "group", "list", "-t", "contoso"});
  EXPECT_EQ(nlohmann::json::parse(after.out).size(), 2u);
}

// Each edit says what it did: a new user is "added", not "updated", in text and in JSON.
TEST_F(DirectoryCliTest, EachEditSaysWhatItDid) {
  ASSERT_EQ(run({"tenant", "create", "contoso"}).code, 0);
  Out add = run({"directory", "user", "add", "-t", "contoso", "ada@contoso.com"});
  ASSERT_EQ(add.code, 0) << add.err;
  EXPECT_EQ(add.out.rfind("added ada@contoso.com (", 0), 0u) << add.out;
  Out set = run({"directory", "user", "set", "-t", "contoso", "ada@contoso.com", "--set",
                 "jobTitle=Analyst"});
  ASSERT_EQ(set.code, 0) << set.err;
  EXPECT_EQ(set.out.rfind("updated ada@contoso.com (", 0), 0u) << set.out;
  Out again = run({"directory", "user", "set", "-t", "contoso", "ada@contoso.com", "--set",
                   "jobTitle=Analyst"});
  ASSERT_EQ(again.code, 0) << again.err;
  EXPECT_EQ(again.out.rfind("unchanged ada@contoso.com (", 0), 0u) << again.out;

  Out add_json = run({"--json", "directory", "user", "add", "-t", "contoso", "bo@contoso.com"});
  ASSERT_EQ(add_json.code, 0) << add_json.err;
  auto added = nlohmann::json::parse(add_json.out);
  EXPECT_EQ(added["outcome"], "added");
  EXPECT_EQ(added["attributes"]["userPrincipalName"], nlohmann::json::array({"bo@contoso.com"}));
  Out block_json = run({"--json", "directory", "user", "block", "-t", "contoso", "bo@contoso.com"});
  ASSERT_EQ(block_json.code, 0) << block_json.err;
  EXPECT_EQ(nlohmann::json::parse(block_json.out)["outcome"], "updated");
  Out block_again =
      run({"--json", "directory", "user", "block", "-t", "contoso", "bo@contoso.com"});
  ASSERT_EQ(block_again.code, 0) << block_again.err;
  EXPECT_EQ(nlohmann::json::parse(block_again.out)["outcome"], "unchanged");
}

}  // namespace
}  // namespace upsync
