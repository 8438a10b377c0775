// Crash safety: kill -9 the real `upsync import run-pending` at random points of a
// 200,000-record import, rerun until the job ends, and compare every profile (and the job's
// log) with those of one clean run of the same import on a copy of the same data. On SQLite the
// killed worker's lease keeps the job from the next worker until it expires (checked once); on
// PostgreSQL the next worker takes it over at once (its holder's session ended; checked once).
// The next worker resumes from the checkpoint, applying every value once.
// On SQLite (a data folder) and on PostgreSQL (a database of the test's server, files in a
// data folder). The test of several workers on one PostgreSQL is in crash_workers_test.cpp.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <random>
#include <thread>

#include "bulkimport/crash_support.h"
#include "core/lease.h"
#include "store/pg_test_server.h"
#include "test_support.h"

namespace upsync {
namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

using namespace upsync::testing::crash;

class CrashTest : public ::testing::TestWithParam<std::string> {};

TEST_P(CrashTest, KilledWorkersResumeToTheSameProfilesAsACleanRun) {
  ASSERT_NE(std::getenv("UPSYNC_BINARY"), nullptr);
  const int kUsers = users_for(GetParam());
  testing::TempDir dir;
  Place clean{(dir.path() / "clean").string(), ""};
  Place crash{(dir.path() / "crash").string(), ""};
  if (GetParam() == "postgres") {
    for (Place* p : {&clean, &crash}) {
      auto url = testing::PgTestServer::fresh_database_url();
      ASSERT_TRUE(url) << url.status().to_string();
      p->url = *url;
    }
  }
  fill(clean, kUsers);
  fill(crash, kUsers);
  queue_import(dir.path(), kUsers, {clean, crash});
  auto t0 = Clock::now();
  run_upsync(
      with(clean, {"import", "run-pending", "--batch", "2000", "--max-properties", "600000"}),
      std::nullopt);
  const double clean_seconds = std::chrono::duration<double>(Clock::now() - t0).count();

  // A kill before the worker has opened the store and claimed the job tests nothing: the
  // kills land after the time a command takes to start and read the store (long under the
  // sanitizers), within the first part of the import that follows.
  const double startup = startup_seconds(crash);
  const double importing = std::max(0.05, clean_seconds - startup);
  std::mt19937 rng(std::random_device{}());
  // The kill window shrinks when a killed run got further than a tenth of the file: the clean
  // run's time, measured once, may be a loaded moment's. After 20 kills the job runs to its end.
  double span = importing / 8;
  int64_t done_before = 0;
  auto when = [&](std::mt19937& g) {
    return std::uniform_real_distribution<double>(startup + 0.01, startup + span)(g);
  };
  // A short lease, so that the test waits little for each takeover; but longer than a
  // command takes to start (a few times the quickest start measured: slower under the
  // sanitizers and a loaded machine). Until the check below has run, the worker holds a long
  // lease instead: the check starts a second worker right after a kill and expects it to find
  // the killed worker's lease still held, which must not depend on how fast the machine is.
  const double kShortLease = std::max(0.4, 4 * startup);
  const double kLongLease = std::max(2.0, 10 * startup);
  // The job is applied whole (--range-records 0), so that a kill leaves it to the killed
  // worker's lease alone; ConcurrentWorkersCrashTest below has its workers split theirs.
  auto worker = [&](double lease) {
    return with(crash, {"import", "run-pending", "--batch", "2000", "--max-properties", "600000",
                        "--range-records", "0", "--lease-seconds", std::to_string(lease)});
  };
  auto now_ms = [] {
    return std::chrono::duration_cast<std::chrono::milliseconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
  };
  // On PostgreSQL a killed worker's lease is taken over at once (its session ended with it:
  // store/postgres/pg_leases.cpp), checked once after the tenth kill; on SQLite the next
  // worker waits for its expiry, checked once.
  const bool pg = GetParam() == "postgres";
  int kills = 0;
  int held_back = 0;   // SQLite: runs that found the killed worker's lease still held
  int taken_over = 0;  // PostgreSQL: runs that took the killed worker's job over at once
  bool finished = false;
  for (int i = 0; i < 60 && !finished; ++i) {
    const double lease = pg || held_back == 0 ? kLongLease : kShortLease;
    if (run_upsync(worker(lease), kills < 20 ? std::optional(when(rng)) : std::nullopt)) {
      ++kills;
      // Right after the kill, the job is still the killed worker's: a worker started now
      // leaves it alone (the checkpoint does not move), ...
      Place::Open opened = crash.open(false);
      std::unique_ptr<Store>* store = &opened.store;
      ASSERT_TRUE(*store);
      auto jobs = open_job_store(**store);
      auto before = (*jobs)->list((*(*store)->tenant("contoso")).id);
      ASSERT_EQ(before->size(), 1u);
      const ImportJob& job = before->at(0);
      if ((job.records_done - done_before) * 10 > kUsers) span *= 0.7;
      done_before = job.records_done;
      const double remaining =
          job.lease ? static_cast<double>(job.lease->expires_at_ms - now_ms()) / 1000 : 0;
      const bool held =
          job.state == ImportJobState::kProcessing && job.lease && remaining > 3 * startup + 0.5;
      if (pg && held && kills >= 10) {
        // Finished by the next worker well before the killed one's lease expires (a retry
        // or two while PostgreSQL notices the closed connection).
        for (int attempt = 0; attempt < 5 && !finished; ++attempt) {
          const int64_t started = now_ms();
          EXPECT_FALSE(run_upsync(worker(kShortLease), std::nullopt));
          auto after = (*jobs)->list((*(*store)->tenant("contoso")).id);
          finished = after->at(0).state != ImportJobState::kProcessing;
          if (finished) {
            EXPECT_LT(started, job.lease->expires_at_ms) << "the takeover waited for the expiry";
            ++taken_over;
          }
        }
        EXPECT_TRUE(finished) << "the killed worker's job was not taken over";
        break;
      }
      if (!pg && held_back == 0 && held) {
        EXPECT_FALSE(run_upsync(worker(kShortLease), std::nullopt));
        auto after = (*jobs)->list((*(*store)->tenant("contoso")).id);
        EXPECT_EQ(after->at(0).records_done, job.records_done);
        EXPECT_EQ(after->at(0).state, ImportJobState::kProcessing);
        ++held_back;
      }
      // ... until the lease expires; then the next one takes it over.
      if (!pg) std::this_thread::sleep_for(std::chrono::duration<double>(lease + 0.1));
    } else {
      // Ended, or (PostgreSQL) found the killed worker's session not yet ended: another try.
      Place::Open opened = crash.open(false);
      ASSERT_TRUE(opened.store);
      auto jobs = open_job_store(*opened.store);
      auto now = (*jobs)->list((*opened.store->tenant("contoso")).id);
      finished = now->at(0).state != ImportJobState::kProcessing;
      if (!finished) std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
  }
  if (!finished) run_upsync(worker(kShortLease), std::nullopt);
  std::cerr << GetParam() << ": " << kUsers << " users; clean run " << clean_seconds
            << " s (a command starts in " << startup << " s); killed the worker " << kills
            << " times\n";
  EXPECT_GE(kills, 10) << "too few kills landed inside the import";
  if (pg) {
    EXPECT_EQ(taken_over, 1) << "no kill left a lease to check the takeover against";
  } else {
    EXPECT_EQ(held_back, 1) << "no kill left a lease to check the takeover against";
  }
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

INSTANTIATE_TEST_SUITE_P(Backends, CrashTest, ::testing::Values("sqlite", "postgres"),
                         [](const auto& info) { return info.param; });

}  // namespace
}  // namespace upsync
