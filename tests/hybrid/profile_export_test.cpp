// upsync hybrid export (src/hybrid/profile_export.h) through the real binary: seed 003's file
// with the id the online side resolves, users without values left out, bad input refused
// before anything is written.
#include <gtest/gtest.h>

#include <filesystem>
#include <nlohmann/json.hpp>

#include "hybrid/hybrid_cli.h"

namespace upsync {
namespace {

using json = nlohmann::json;
using testing::CliRun;
using testing::TempDir;

class ProfileExportTest : public ::testing::Test {
 protected:
  void SetUp() override {
    made_.fill(dir_.path(), [&] { make_folder(); });
  }
  void make_folder() {
    ASSERT_EQ(testing::run({"--data-dir", data_, "tenant", "create", "onprem", "--kind", "server"}),
              0);
    for (const char* p : {"CostCenter", "OfficeCode"}) {
      ASSERT_EQ(testing::run({"--data-dir", data_, "property", "add", "-t", "onprem", p}), 0);
    }
    testing::add_person(data_, "onprem", "bob@contoso.com");
    testing::add_person(data_, "onprem", "alice@contoso.com");
    testing::add_person(data_, "onprem", "carol@contoso.com");
    set("bob@contoso.com", {"CostCenter=4711", "OfficeCode=B \"2\""});
    set("alice@contoso.com", {"OfficeCode=A1"});
    // carol has neither: she is left out.
  }
  void set(const std::string& upn, const std::vector<std::string>& values) {
    std::vector<std::string> args = {"--data-dir", data_, "profile", "set", "-t", "onprem", upn};
    for (const auto& v : values) args.insert(args.end(), {"--set", v});
    ASSERT_EQ(testing::run(args), 0);
  }
  CliRun cli(std::vector<std::string> args) {
    args.insert(args.begin(), {"--data-dir", data_});
    return testing::run_cli(dir_, args);
  }
  std::string out_file() const { return dir_.str() + "/users.json"; }

  static inline testing::FolderTemplate made_;
  TempDir dir_;
  std::string data_ = dir_.str() + "/data";
};

TEST_F(ProfileExportTest, WritesSeedFormatWithUpnIdsAndLeavesOutUsersWithoutValues) {
  CliRun r = cli({"--json", "hybrid", "export", "-t", "onprem", "--properties",
                  "CostCenter,OfficeCode", "--out", out_file()});
  ASSERT_EQ(r.code, 0) << r.err;
  json summary = json::parse(r.out);
  EXPECT_EQ(summary["usersRead"], 3);
  EXPECT_EQ(summary["usersWritten"], 2);
  EXPECT_EQ(summary["valuesWritten"], 3);
  EXPECT_EQ(summary["skippedNoValue"], 1);
  EXPECT_EQ(summary["idProperty"], "SPS-UserPrincipalName");

  json file = json::parse(testing::read_file(out_file()));
  ASSERT_EQ(file.size(), 1u);  // only "value"
  ASSERT_EQ(file["value"].size(), 2u);
  EXPECT_EQ(
      file["value"][0],
      json({{"IdName", "bob@contoso.com"}, {"CostCenter", "4711"}, {"OfficeCode", "B \"2\""}}));
  EXPECT_EQ(file["value"][1], json({{"IdName", "alice@contoso.com"}, {"OfficeCode", "A1"}}));
  EXPECT_EQ(summary["bytes"], std::filesystem::file_size(out_file()));
}

TEST_F(ProfileExportTest, IdTypeChoosesTheIdPropertyAndItsName) {
  CliRun r = cli({"--json", "hybrid", "export", "-t", "onprem", "--properties", "CostCenter",
                  "--id-type", "Email", "--id-property", "mail", "--out", out_file()});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(json::parse(r.out)["idProperty"], "WorkEmail");
  json file = json::parse(testing::read_file(out_file()));
  EXPECT_EQ(file["value"], json::parse(R"([{"mail":"bob@contoso.com","CostCenter":"4711"}])"));

  // CloudId: nobody here has a directory object id, so nobody can be resolved online.
  r = cli({"--json", "hybrid", "export", "-t", "onprem", "--properties", "CostCenter", "--id-type",
           "CloudId", "--out", out_file()});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(json::parse(r.out)["skippedNoId"], 1);
  EXPECT_EQ(json::parse(testing::read_file(out_file()))["value"], json::array());
}

TEST_F(ProfileExportTest, PagesThroughEveryProfile) {
  // Pages of two profiles: none is lost or repeated at the seams.
  testing::add_person(data_, "onprem", "dave@contoso.com");
  testing::add_person(data_, "onprem", "erin@contoso.com");
  set("erin@contoso.com", {"CostCenter=last"});
  for (const char* page : {"1", "2", "3", "1000"}) {
    CliRun r = cli({"--json", "hybrid", "export", "-t", "onprem", "--properties", "CostCenter",
                    "--page-size", page, "--out", out_file()});
    ASSERT_EQ(r.code, 0) << r.err;
    json summary = json::parse(r.out);
    EXPECT_EQ(summary["usersRead"], 5) << page;
    EXPECT_EQ(summary["usersWritten"], 2) << page;
    json file = json::parse(testing::read_file(out_file()));
    ASSERT_EQ(file["value"].size(), 2u) << page;
    EXPECT_EQ(file["value"][0]["IdName"], "bob@contoso.com");
    EXPECT_EQ(file["value"][1]["IdName"], "erin@contoso.com");
  }
}

// Seed 003's 500,000 values per import: more are split into files of at most --max-values,
// each a whole import file, a user's values never divided between two.
TEST_F(ProfileExportTest, AnExportOverTheValueLimitIsSplitIntoWholeFiles) {
  testing::add_person(data_, "onprem", "dave@contoso.com");
  set("carol@contoso.com", {"CostCenter=c1", "OfficeCode=C1"});
  set("dave@contoso.com", {"CostCenter=d1"});
  // bob 2 values, alice 1, carol 2, dave 1: at most 3 per file → [bob, alice] [carol, dave].
  CliRun r = cli({"--json", "hybrid", "export", "-t", "onprem", "--properties",
                  "CostCenter,OfficeCode", "--max-values", "3", "--out", out_file()});
  ASSERT_EQ(r.code, 0) << r.err;
  json summary = json::parse(r.out);
  const std::string second = dir_.str() + "/users-2.json";
  ASSERT_EQ(summary["files"].size(), 2u) << summary;
  EXPECT_EQ(summary["files"][0], json({{"file", out_file()},
                                       {"users", 2},
                                       {"values", 3},
                                       {"bytes", std::filesystem::file_size(out_file())}}));
  EXPECT_EQ(summary["files"][1], json({{"file", second},
                                       {"users", 2},
                                       {"values", 3},
                                       {"bytes", std::filesystem::file_size(second)}}));
  EXPECT_EQ(summary["valuesWritten"], 6);
  EXPECT_EQ(summary["bytes"],
            std::filesystem::file_size(out_file()) + std::filesystem::file_size(second));
  json first_file = json::parse(testing::read_file(out_file()));
  json second_file = json::parse(testing::read_file(second));
  ASSERT_EQ(first_file["value"].size(), 2u);
  EXPECT_EQ(first_file["value"][0]["IdName"], "bob@contoso.com");
  EXPECT_EQ(first_file["value"][1]["IdName"], "alice@contoso.com");
  EXPECT_EQ(second_file["value"],
            json::parse(R"([{"IdName":"carol@contoso.com","CostCenter":"c1","OfficeCode":"C1"},)"
                        R"({"IdName":"dave@contoso.com","CostCenter":"d1"}])"));

  // In words: each file with its counts.
  r = cli({"hybrid", "export", "-t", "onprem", "--properties", "CostCenter,OfficeCode",
           "--max-values", "2", "--out", out_file()});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_NE(r.out.find("split into 4 files"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find(dir_.str() + "/users-4.json: 1 users, 1 values"), std::string::npos)
      << r.out;
  // A user with more values than a file may hold still goes whole, alone in a file.
  r = cli({"--json", "hybrid", "export", "-t", "onprem", "--properties", "CostCenter,OfficeCode",
           "--max-values", "1", "--out", out_file()});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(json::parse(r.out)["files"].size(), 4u);
  EXPECT_EQ(json::parse(r.out)["files"][0]["values"], 2);
  // Past seed 003's limit, or nothing: refused before anything is written.
  for (const char* bad : {"0", "500001", "x"}) {
    std::filesystem::remove(out_file());
    r = cli({"hybrid", "export", "-t", "onprem", "--properties", "CostCenter", "--max-values", bad,
             "--out", out_file()});
    EXPECT_NE(r.code, 0) << bad;
    EXPECT_NE(r.err.find("--max-values"), std::string::npos) << r.err;
    EXPECT_FALSE(std::filesystem::exists(out_file())) << bad;
  }
}

// Seed 000: the hybrid users are an audience's members, named by --audience or by the tenant's
// hybrid settings; the others stay on premises and are not exported.
TEST_F(ProfileExportTest, OnlyTheHybridAudienceIsExported) {
  ASSERT_EQ(testing::run({"--data-dir", data_, "audience", "add", "-t", "onprem", "Cost 4711",
                          "--rule", "CostCenter=4711"}),
            0);
  CliRun r = cli({"--json", "hybrid", "export", "-t", "onprem", "--properties",
                  "CostCenter,OfficeCode", "--audience", "Cost 4711", "--out", out_file()});
  ASSERT_EQ(r.code, 0) << r.err;
  json summary = json::parse(r.out);
  EXPECT_EQ(summary["usersWritten"], 1);
  EXPECT_EQ(summary["skippedNotInAudience"], 2);
  json file = json::parse(testing::read_file(out_file()));
  ASSERT_EQ(file["value"].size(), 1u);
  EXPECT_EQ(file["value"][0]["IdName"], "bob@contoso.com");

  // Without --audience, the hybrid settings' audience; cleared, everyone with values.
  ASSERT_EQ(testing::run({"--data-dir", data_, "hybrid", "set", "-t", "onprem", "--online-url",
                          "https://contoso-my.sharepoint.com", "--audience", "Cost 4711"}),
            0);
  r = cli({"--json", "hybrid", "export", "-t", "onprem", "--properties", "CostCenter,OfficeCode",
           "--out", out_file()});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(json::parse(r.out)["usersWritten"], 1);
  ASSERT_EQ(testing::run({"--data-dir", data_, "hybrid", "clear", "-t", "onprem"}), 0);
  r = cli({"--json", "hybrid", "export", "-t", "onprem", "--properties", "CostCenter,OfficeCode",
           "--out", out_file()});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(json::parse(r.out)["usersWritten"], 2);
}

TEST_F(ProfileExportTest, BadInputIsRefusedAndWritesNothing) {
  struct Case {
    std::vector<std::string> args;
    std::string message;
  };
  const std::vector<Case> cases = {
      {{"--properties", "Nope"}, "property 'Nope' does not exist"},
      {{"--properties", "CostCenter,costcenter"}, "named twice"},
      {{"--properties", "SPS-UserPrincipalName"}, "is the id the online side resolves"},
      {{"--properties", "SPS-Skills"}, "'SPS-Skills' is multi-valued"},
      {{"--properties", "CostCenter", "--id-property", "CostCenter"}, "the file's id member"},
      {{"--properties", "CostCenter", "--id-type", "Guid"}, "--id-type 'Guid'"},
      {{"--properties", "CostCenter", "--audience", "Hybrid users"}, "has no such audience"},
  };
  for (const Case& c : cases) {
    std::vector<std::string> args = {"hybrid", "export", "-t", "onprem", "--out", out_file()};
    args.insert(args.end(), c.args.begin(), c.args.end());
    CliRun r = cli(args);
    EXPECT_EQ(r.code, 1) << c.message;
    EXPECT_NE(r.err.find(c.message), std::string::npos) << r.err;
    EXPECT_FALSE(std::filesystem::exists(out_file())) << c.message;
  }
  CliRun r =
      cli({"hybrid", "export", "-t", "nowhere", "--properties", "CostCenter", "--out", out_file()});
  EXPECT_EQ(r.code, 1);
  EXPECT_NE(r.err.find("nowhere"), std::string::npos) << r.err;
  // An unwritable destination: named, and no temporary file left behind.
  r = cli({"hybrid", "export", "-t", "onprem", "--properties", "CostCenter", "--out",
           dir_.str() + "/no/such/folder/users.json"});
  EXPECT_NE(r.code, 0);
  EXPECT_NE(r.err.find("no/such/folder"), std::string::npos) << r.err;
}

}  // namespace
}  // namespace upsync
