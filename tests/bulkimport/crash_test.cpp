// Crash safety: kill -9 the real `upsync import run-pending` at random points of a
// 200,000-record import, rerun until the job ends, and compare every profile (and the job's
// log) with those of one clean run of the same import on a copy of the same data.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <random>
#include <thread>

#include "bulkimport/importer.h"
#include "storage/open_storage.h"
#include "test_support.h"

namespace upsync {
namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

const int kUsers = std::getenv("CRASH_USERS") ? std::atoi(std::getenv("CRASH_USERS")) : 200000;
const std::string kSource = "/sites/hr/Shared Documents/import/users.json";

std::string email(int i) { return "user" + std::to_string(i) + "@contoso.com"; }

// Runs the binary with `args`; kills it with SIGKILL after `kill_after` (if it still runs).
// Returns true when it was killed, false when it exited (asserting exit 0).
bool run_upsync(const std::vector<std::string>& args, std::optional<double> kill_after) {
  const char* bin = std::getenv("UPSYNC_BINARY");
  pid_t pid = fork();
  if (pid == 0) {
    std::vector<char*> argv;
    argv.push_back(const_cast<char*>(bin));
    for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
    argv.push_back(nullptr);
    int devnull = open("/dev/null", O_WRONLY);
    dup2(devnull, 1);
    execv(bin, argv.data());
    _exit(127);
  }
  auto start = Clock::now();
  while (true) {
    int status = 0;
    pid_t r = waitpid(pid, &status, WNOHANG);
    if (r == pid) {
      EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << "upsync failed: " << status;
      return false;
    }
    if (kill_after && std::chrono::duration<double>(Clock::now() - start).count() >= *kill_after) {
      kill(pid, SIGKILL);
      waitpid(pid, &status, 0);
      return true;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
}

std::string snapshot(const std::string& data_dir, std::string* log) {
  auto store = open_store({.data_dir = data_dir, .create = false});
  EXPECT_TRUE(store);
  auto tenant = (*store)->tenant("contoso");
  std::string out;
  ProfileQuery q;
  q.limit = 5000;
  while (true) {
    auto page = (*store)->list_profiles(tenant->id, q);
    EXPECT_TRUE(page);
    for (const Profile& p : page->profiles) {
      out += p.account_name;
      for (const auto& [k, vs] : p.properties) {
        if (k == "UserProfile_GUID") continue;  // random per profile, same in both copies
        for (const auto& v : vs) out += "|" + k + "=" + v;
      }
      out += "\n";
    }
    if (!page->next_after_id) break;
    q.after_id = *page->next_after_id;
  }
  auto jobs = open_job_store(**store);
  auto all = (*jobs)->list(tenant->id);
  EXPECT_EQ(all->size(), 1u);
  out += std::string(import_job_state_name(all->at(0).state)) + " " +
         std::string(import_job_error_name(all->at(0).error)) + "\n";
  DocumentLibraries libs(data_dir);
  auto src = parse_file_url(kSource);
  const std::string copy = data_dir + "/log-copy.txt";
  EXPECT_TRUE(
      libs.get_file(*tenant, src->parent().child(all->at(0).job_id).child(kImportLogFileName), copy)
          .is_ok());
  *log = testing::read_file(copy);
  return out;
}

TEST(CrashTest, KilledWorkersResumeToTheSameProfilesAsACleanRun) {
  ASSERT_NE(std::getenv("UPSYNC_BINARY"), nullptr);
  testing::TempDir dir;
  const std::string base = (dir.path() / "base").string();
  {
    auto store = open_store({.data_dir = base});
    ASSERT_TRUE(store);
    auto t = (*store)->create_tenant({.name = "contoso"});
    ASSERT_TRUE(t);
    for (const char* name : {"City", "OfficeCode", "CostCenter"}) {
      PropertyDefinition def;
      def.name = def.display_name = name;
      ASSERT_TRUE((*store)->add_custom_property(t->id, def));
    }
    Status st = (*store)->in_transaction([&]() -> Status {
      for (int i = 0; i < kUsers; ++i) {
        if (i % 997 == 5) continue;  // not resolvable: logged
        std::vector<PropertyChange> init{{"WorkEmail", {email(i)}}, {"City", {"Old"}}};
        auto p = (*store)->create_profile(t->id, "i:0#.f|membership|" + email(i), init);
        if (!p) return p.status();
      }
      return Status::ok();
    });
    ASSERT_TRUE(st.is_ok()) << st.to_string();
    std::ofstream f(dir.path() / "users.json");
    f << "{\"value\":[\n";
    for (int i = 0; i < kUsers; ++i) {
      f << (i ? ",\n" : "") << "{\"IdName\":\"" << email(i) << "\",\"City\":\"City " << i % 101
        << "\",\"Office\":\"O" << i << "\",\"CC\":\"" << (i % 7 ? std::to_string(i % 13) : "")
        << "\"}";
    }
    f << "\n]}\n";
  }
  const std::string clean = (dir.path() / "clean").string();
  const std::string crash = (dir.path() / "crash").string();
  fs::copy(base, clean, fs::copy_options::recursive);
  fs::copy(base, crash, fs::copy_options::recursive);
  const std::string users = (dir.path() / "users.json").string();
  for (const auto& d : {clean, crash}) {
    run_upsync({"--data-dir", d, "file", "put", "-t", "contoso", users, kSource}, std::nullopt);
    run_upsync({"--data-dir", d, "import", "queue", "-t", "contoso", "--id-type", "Email",
                "--id-property", "IdName", "--map", "City=City", "--map", "Office=OfficeCode",
                "--map", "CC=CostCenter", "--source", kSource},
               std::nullopt);
  }
  auto t0 = Clock::now();
  run_upsync({"--data-dir", clean, "import", "run-pending", "--batch", "2000", "--max-properties",
              "600000"},
             std::nullopt);
  const double clean_seconds = std::chrono::duration<double>(Clock::now() - t0).count();

  std::mt19937 rng(std::random_device{}());
  std::uniform_real_distribution<double> when(0.02, std::max(0.05, clean_seconds / 12));
  int kills = 0;
  bool finished = false;
  for (int i = 0; i < 20 && !finished; ++i) {
    if (run_upsync({"--data-dir", crash, "import", "run-pending", "--batch", "2000",
                    "--max-properties", "600000"},
                   when(rng))) {
      ++kills;
    } else {
      finished = true;
    }
  }
  if (!finished) {
    run_upsync({"--data-dir", crash, "import", "run-pending", "--batch", "2000", "--max-properties",
                "600000"},
               std::nullopt);
  }
  std::cerr << "clean run " << clean_seconds << " s; killed the worker " << kills << " times\n";
  EXPECT_GE(kills, 10) << "too few kills landed inside the import";
  std::string clean_log, crash_log;
  std::string a = snapshot(clean, &clean_log);
  std::string b = snapshot(crash, &crash_log);
  EXPECT_NE(a.find("|City=City 100|"), std::string::npos)
      << a.substr(a.size() > 300 ? a.size() - 300 : 0);
  EXPECT_TRUE(a == b) << "profiles differ after the killed runs";
  EXPECT_EQ(clean_log, crash_log);
  EXPECT_NE(
      clean_log.find("IdentityNotResolvable user5@contoso.com User identity cannot be resolved"),
      std::string::npos);
}

}  // namespace
}  // namespace upsync
