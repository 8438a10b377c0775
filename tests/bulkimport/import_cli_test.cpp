// upsync file ... and upsync import ...: the seed's PowerShell flow from the command line,
// JSON field names as the API's, and bad input refused with exit 1.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <pty.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <sstream>

#include "bulkimport/importer.h"
#include "cli/app.h"
#include "cli/output.h"
#include "storage/open_storage.h"
#include "test_support.h"

namespace upsync {
namespace {

class ImportCliTest : public ::testing::Test {
 protected:
  int cli(std::vector<std::string> args) {
    args.insert(args.begin(), {"upsync", "--data-dir", dir_.str()});
    out_.str("");
    err_.str("");
    return run_cli(args, out_, err_);
  }
  void SetUp() override {
    ASSERT_EQ(cli({"tenant", "create", "contoso"}), 0);
    ASSERT_EQ(cli({"property", "add", "-t", "contoso", "City"}), 0);
    ASSERT_EQ(cli({"property", "add", "-t", "contoso", "OfficeCode"}), 0);
    ASSERT_EQ(cli({"profile", "create", "-t", "contoso", "i:0#.f|membership|vesaj@contoso.com",
                   "--set", "WorkEmail=vesaj@contoso.com"}),
              0);
    testing::write_file(dir_.path() / "users.json",
                        testing::read_file(UPSYNC_TEST_DATA_DIR "/bulkimport/seed003_sample.json"));
  }
  std::vector<std::string> queue_args(const std::string& id_type, const std::string& office_to) {
    return {"import",        "queue",  "-t",    "contoso",   "--id-type", id_type,
            "--id-property", "IdName", "--map", "City=City", "--map",     "Office=" + office_to,
            "--source",      kUrl};
  }

  const std::string kUrl = "/sites/hr/Shared Documents/import/users.json";
  testing::TempDir dir_;
  std::ostringstream out_, err_;
};

TEST_F(ImportCliTest, QueueRunAndStatusWithApiFieldNames) {
  ASSERT_EQ(cli({"file", "put", "-t", "contoso", (dir_.path() / "users.json").string(), kUrl}), 0)
      << err_.str();
  ASSERT_EQ(cli({"--json", "file", "ls", "-t", "contoso", "/sites/hr/Shared Documents/import"}), 0);
  auto files = nlohmann::json::parse(out_.str());
  ASSERT_EQ(files.size(), 1u);
  EXPECT_EQ(files[0]["url"], kUrl);
  ASSERT_EQ(cli(queue_args("Email", "OfficeCode")), 0) << err_.str();
  std::string id = out_.str();
  id.pop_back();
  EXPECT_EQ(id.size(), 36u);
  ASSERT_EQ(cli({"--json", "import", "status", "-t", "contoso", id}), 0);
  auto j = nlohmann::json::parse(out_.str());
  EXPECT_EQ(j["State"], "Queued");
  EXPECT_EQ(j["Error"], "NoError");
  ASSERT_EQ(cli({"import", "run-pending"}), 0) << err_.str();
  ASSERT_EQ(cli({"--json", "import", "list", "-t", "contoso"}), 0);
  auto all = nlohmann::json::parse(out_.str());
  ASSERT_EQ(all.size(), 1u);
  for (const char* field :
       {"JobId", "State", "SourceUri", "Error", "ErrorMessage", "LogFileUri", "LogFolderUri"}) {
    EXPECT_TRUE(all[0].contains(field)) << field;
  }
  EXPECT_EQ(all[0]["JobId"], id);
  EXPECT_EQ(all[0]["State"], "Error");
  EXPECT_EQ(all[0]["Error"], "ImportCompleteWithError");
  EXPECT_EQ(all[0]["LogFileUri"], "/sites/hr/Shared Documents/import/" + id);
  ASSERT_EQ(cli({"file", "get", "-t", "contoso",
                 "/sites/hr/Shared Documents/import/" + id + "/ImportLog.txt",
                 (dir_.path() / "log.txt").string()}),
            0);
  EXPECT_EQ(testing::read_file(dir_.path() / "log.txt"),
            "IdentityNotResolvable bjansen@contoso.com User identity cannot be resolved\n"
            "IdentityNotResolvable unknowperson@contoso.com User identity cannot be resolved\n"
            "IdentityNotResolvable erwin@contoso.com User identity cannot be resolved\n");
  ASSERT_EQ(cli({"file", "rm", "-t", "contoso", "/sites/hr/Shared Documents/import/" + id}), 0);
  EXPECT_EQ(cli({"file", "ls", "-t", "contoso", "/sites/hr/Shared Documents/import/" + id}), 1);
}

TEST_F(ImportCliTest, BadInputIsRefusedWithExitOne) {
  ASSERT_EQ(cli({"file", "put", "-t", "contoso", (dir_.path() / "users.json").string(), kUrl}), 0);
  EXPECT_EQ(cli(queue_args("ObjectId", "OfficeCode")), 1);
  EXPECT_NE(err_.str().find("expected Email, CloudId or PrincipalName"), std::string::npos);
  EXPECT_EQ(cli(queue_args("Email", "AboutMe")), 1);
  EXPECT_EQ(err_.str(), "upsync: Property Names [AboutMe] are editable by user.\n");
  EXPECT_EQ(cli({"import", "queue", "-t", "contoso", "--id-type", "Email", "--id-property",
                 "IdName", "--map", "City", "--source", kUrl}),
            1);
  EXPECT_EQ(cli({"import", "status", "-t", "contoso", "00000000-0000-0000-0000-000000000000"}), 1);
  EXPECT_EQ(cli({"file", "put", "-t", "contoso", (dir_.path() / "users.json").string(),
                 "https://fabrikam.sharepoint.com/sites/hr/Docs/x.json"}),
            1);
  EXPECT_EQ(cli({"file", "put", "-t", "contoso", (dir_.path() / "users.json").string(),
                 "/sites/hr/Docs/../../x.json"}),
            1);
  ASSERT_EQ(cli({"--json", "import", "list", "-t", "contoso"}), 0);
  EXPECT_EQ(nlohmann::json::parse(out_.str()).size(), 0u) << "refused calls record no job";
}

TEST_F(ImportCliTest, ProgressBarOnATerminalOnly) {
  ASSERT_EQ(cli({"file", "put", "-t", "contoso", (dir_.path() / "users.json").string(), kUrl}), 0);
  const std::vector<std::string> run = {"--data-dir",  dir_.str(), "import",
                                        "run-pending", "--batch",  "1"};
  // Not a terminal: nothing on stderr.
  ASSERT_EQ(cli(queue_args("Email", "OfficeCode")), 0) << err_.str();
  EXPECT_EQ(testing::run_binary_stderr(run, false), "");
  // A terminal: the bar moves record by record (4 in the file) and ends at 100 %.
  ASSERT_EQ(cli(queue_args("Email", "OfficeCode")), 0) << err_.str();
  std::string id = out_.str();
  id.pop_back();
  const std::string shown = testing::run_binary_stderr(run, true);
  // First the check of the whole file, by bytes read, ending at the file's size.
  const std::string size =
      group_thousands(static_cast<int64_t>(std::filesystem::file_size(dir_.path() / "users.json")));
  EXPECT_NE(shown.find("\r" + id + " checking [####################] 100%  " + size + " / " + size +
                       " bytes"),
            std::string::npos)
      << shown;
  EXPECT_NE(shown.find("\r" + id + " checking [#"),
            shown.find("\r" + id + " checking [####################] 100%"))
      << "the check moves before it ends: " << shown;
  EXPECT_NE(shown.find("\r" + id + " [#####...............]  25%  1 / 4 user objects"),
            std::string::npos)
      << shown;
  EXPECT_NE(shown.find("\r" + id + " [####################] 100%  4 / 4 user objects"),
            std::string::npos)
      << shown;
}

TEST(ProgressLineTest, ShowsShareCountsAndRate) {
  EXPECT_EQ(progress_line(0, 1000000, 0),
            "[....................]   0%  0 / 1,000,000 user objects  0/s");
  EXPECT_EQ(progress_line(450000, 1000000, 512345.6),
            "[#########...........]  45%  450,000 / 1,000,000 user objects  512,345/s");
  EXPECT_EQ(progress_line(7, 7, 3.5, "user objects", 4), "[####] 100%  7 / 7 user objects  3/s");
  // Out of range: clamped; an empty file shows 0 %.
  EXPECT_EQ(progress_line(9, 7, 1, "user objects", 4), "[####] 100%  7 / 7 user objects  1/s");
  EXPECT_EQ(progress_line(0, 0, 0, "user objects", 4), "[....]   0%  0 / 0 user objects  0/s");
  EXPECT_EQ(group_thousands(-1234), "-1,234");
  EXPECT_EQ(group_thousands(999), "999");
}

TEST(ImportProgressTest, RateCountsOnlyWhatThisWorkerApplied) {
  ImportProgress p{
      .records_done = 1500, .records_total = 4000, .records_at_start = 500, .seconds = 2};
  EXPECT_DOUBLE_EQ(p.rate(), 500);
  p.seconds = 0;
  EXPECT_DOUBLE_EQ(p.rate(), 0);
}

// Like every other `import` command, run-pending takes -t: it then runs that tenant's jobs
// and leaves the others queued; an unknown tenant is refused and runs nothing.
TEST_F(ImportCliTest, RunPendingTakesATenant) {
  ASSERT_EQ(cli({"tenant", "create", "fabrikam"}), 0);
  ASSERT_EQ(cli({"file", "put", "-t", "contoso", (dir_.path() / "users.json").string(), kUrl}), 0);
  ASSERT_EQ(cli({"file", "put", "-t", "fabrikam", (dir_.path() / "users.json").string(), kUrl}), 0);
  ASSERT_EQ(cli(queue_args("Email", "OfficeCode")), 0) << err_.str();
  std::vector<std::string> fabrikam_queue = queue_args("Email", "OfficeCode");
  fabrikam_queue[3] = "fabrikam";
  ASSERT_EQ(cli({"property", "add", "-t", "fabrikam", "City"}), 0);
  ASSERT_EQ(cli({"property", "add", "-t", "fabrikam", "OfficeCode"}), 0);
  ASSERT_EQ(cli(fabrikam_queue), 0) << err_.str();
  auto state = [&](const std::string& tenant) -> std::string {
    EXPECT_EQ(cli({"--json", "import", "list", "-t", tenant}), 0) << err_.str();
    auto all = nlohmann::json::parse(out_.str());
    return all.size() == 1 ? all[0]["State"].get<std::string>() : "<" + out_.str() + ">";
  };

  EXPECT_EQ(cli({"import", "run-pending", "-t", "nowhere"}), 1);
  EXPECT_NE(err_.str().find("nowhere"), std::string::npos) << err_.str();
  EXPECT_EQ(state("contoso"), "Queued");
  EXPECT_EQ(state("fabrikam"), "Queued");

  ASSERT_EQ(cli({"--json", "import", "run-pending", "-t", "fabrikam"}), 0) << err_.str();
  auto ran = nlohmann::json::parse(out_.str());
  ASSERT_EQ(ran.size(), 1u);
  EXPECT_EQ(state("fabrikam"), "Error");  // the sample names people fabrikam does not have
  EXPECT_EQ(state("contoso"), "Queued");

  ASSERT_EQ(cli({"import", "run-pending", "--tenant", "contoso"}), 0) << err_.str();
  EXPECT_EQ(state("contoso"), "Error");
}

// `import status` shows who runs a job and when it last checked in (its lease), and
// run-pending leaves a job another worker holds to that worker.
TEST_F(ImportCliTest, StatusShowsTheWorkerAndRunPendingLeavesAHeldJob) {
  ASSERT_EQ(cli({"file", "put", "-t", "contoso", (dir_.path() / "users.json").string(), kUrl}), 0);
  ASSERT_EQ(cli(queue_args("Email", "OfficeCode")), 0) << err_.str();
  std::string id = out_.str();
  id.pop_back();
  ASSERT_EQ(cli({"--json", "import", "status", "-t", "contoso", id}), 0);
  auto j = nlohmann::json::parse(out_.str());
  EXPECT_TRUE(j["Worker"].is_null()) << j;
  EXPECT_TRUE(j["Heartbeat"].is_null()) << j;

  Lease lease;
  {
    auto store = open_store({.data_dir = dir_.str(), .create = false});
    ASSERT_TRUE(store) << store.status().to_string();
    auto leases = (*store)->lease_store();
    ASSERT_TRUE(leases);
    auto held = (*leases)->claim(import_lease_name(id), "host:5/worker-2", std::chrono::minutes(1));
    ASSERT_TRUE(held) << held.status().to_string();
    lease = *held;
  }
  ASSERT_EQ(cli({"--json", "import", "status", "-t", "contoso", id}), 0);
  j = nlohmann::json::parse(out_.str());
  EXPECT_EQ(j["Worker"], "host:5/worker-2");
  EXPECT_EQ(j["Heartbeat"], lease_time_iso(lease.heartbeat_at_ms));
  EXPECT_EQ(j["LeaseExpired"], false);
  ASSERT_EQ(cli({"import", "status", "-t", "contoso"}), 0);
  EXPECT_NE(out_.str().find("WORKER"), std::string::npos) << out_.str();
  EXPECT_NE(out_.str().find("host:5/worker-2, heartbeat " + lease_time_iso(lease.heartbeat_at_ms)),
            std::string::npos)
      << out_.str();

  ASSERT_EQ(cli({"--json", "import", "run-pending"}), 0) << err_.str();
  EXPECT_EQ(nlohmann::json::parse(out_.str()).size(), 0u) << out_.str();
  ASSERT_EQ(cli({"--json", "import", "status", "-t", "contoso", id}), 0);
  EXPECT_EQ(nlohmann::json::parse(out_.str())["State"], "Queued");

  // A bad lease length is refused before anything runs.
  EXPECT_NE(cli({"import", "run-pending", "--lease-seconds", "0"}), 0);
  EXPECT_NE(err_.str().find("lease-seconds"), std::string::npos) << err_.str();
}

// A job split into ranges (--range-records): `import status` shows each range, its progress
// and the worker applying it; run-pending leaves a range another worker holds to it.
TEST_F(ImportCliTest, StatusShowsEachRangeOfASplitJobAndItsWorker) {
  ASSERT_EQ(cli({"file", "put", "-t", "contoso", (dir_.path() / "users.json").string(), kUrl}), 0);
  ASSERT_EQ(cli(queue_args("Email", "OfficeCode")), 0) << err_.str();
  std::string id = out_.str();
  id.pop_back();
  Lease lease;
  {
    auto store = open_store({.data_dir = dir_.str(), .create = false});
    ASSERT_TRUE(store) << store.status().to_string();
    auto leases = (*store)->lease_store();
    ASSERT_TRUE(leases);
    auto held = (*leases)->claim(import_range_lease_name(id, 1), "host:6/worker-3",
                                 std::chrono::minutes(1));
    ASSERT_TRUE(held) << held.status().to_string();
    lease = *held;
  }
  ASSERT_EQ(cli({"--json", "import", "run-pending", "--batch", "1", "--range-records", "1"}), 0)
      << err_.str();
  ASSERT_EQ(cli({"--json", "import", "status", "-t", "contoso", id}), 0);
  auto j = nlohmann::json::parse(out_.str());
  EXPECT_EQ(j["State"], "Processing");
  EXPECT_EQ(j["RecordsDone"], 3);  // of the sample's 4
  ASSERT_EQ(j["Ranges"].size(), 4u) << j;
  EXPECT_EQ(j["Ranges"][0]["RecordsDone"], 1);
  EXPECT_TRUE(j["Ranges"][0]["Worker"].is_null());
  EXPECT_EQ(j["Ranges"][1]["FirstRecord"], 1);
  EXPECT_EQ(j["Ranges"][1]["EndRecord"], 2);
  EXPECT_EQ(j["Ranges"][1]["RecordsDone"], 0);
  EXPECT_EQ(j["Ranges"][1]["Worker"], "host:6/worker-3");
  EXPECT_EQ(j["Ranges"][1]["Heartbeat"], lease_time_iso(lease.heartbeat_at_ms));
  ASSERT_EQ(cli({"import", "status", "-t", "contoso"}), 0);
  EXPECT_NE(out_.str().find("range 2/4: host:6/worker-3, heartbeat " +
                            lease_time_iso(lease.heartbeat_at_ms)),
            std::string::npos)
      << out_.str();

  // A bad range size is refused before anything runs.
  EXPECT_NE(cli({"import", "run-pending", "--range-records", "-1"}), 0);
  EXPECT_NE(err_.str().find("range-records"), std::string::npos) << err_.str();
}

}  // namespace
}  // namespace upsync
