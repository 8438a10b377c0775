// Issue 16's crash test of several workers on one PostgreSQL database (crash_support.h): an
// import job and a directory sync shared by three `upsync worker` processes, one of them killed
// at random moments, end as one clean worker would have them.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <random>
#include <set>
#include <sstream>
#include <thread>

#include "bulkimport/crash_support.h"
#include "core/lease.h"
#include "sites/site_users.h"
#include "store/pg_test_server.h"
#include "sync/run_history.h"
#include "test_support.h"

namespace upsync {
namespace {

namespace fs = std::filesystem;
using namespace upsync::testing::crash;

int env_or(const char* name, int fallback) {
  const char* v = std::getenv(name);
  return v ? std::atoi(v) : fallback;
}

// Lines of `a` that `b` lacks (in order; both sorted by account the same way).
int missing_lines(const std::string& a, const std::string& b) {
  std::istringstream in_a(a), in_b(b);
  std::multiset<std::string> lines_b;
  for (std::string line; std::getline(in_b, line);) lines_b.insert(line);
  int missing = 0;
  for (std::string line; std::getline(in_a, line);) {
    auto it = lines_b.find(line);
    if (it == lines_b.end()) {
      ++missing;
    } else {
      lines_b.erase(it);
    }
  }
  return missing;
}

// Issue 16's crash test, on PostgreSQL: three `upsync worker` processes share the database, an
// import job of tenant contoso and the scheduled sync of tenant fabrikam from a throwaway
// slapd (a complete read that renames every user, after a first sync put ten of them in a site
// list), while one of them, drawn at random, is killed with SIGKILL at random moments (and
// started again at once) until CRASH_KILLS kills have landed; then the job and the sync end on
// whichever workers hold them. Both tenants' profiles, their profile feeds' lengths, the site
// list of fabrikam's /sites/hr and the job's log equal a clean run of one process, line by
// line: every record applied, none twice (a batch applied twice would log its unresolvable
// users twice). CRASH_USERS, CRASH_KILLS,
// CRASH_BATCH and CRASH_SYNC_USERS size it (20,000, 12, batches of 20 and 2,000 directory
// users in the suite; the run: 500,000, 100, 200 and 100,000).
TEST(ConcurrentWorkersCrashTest, ThreeWorkersKilledAtRandomEndAsOneCleanWorker) {
  ASSERT_NE(std::getenv("UPSYNC_BINARY"), nullptr);
  const int users = env_or("CRASH_USERS", 20000);
  const int target_kills = env_or("CRASH_KILLS", 12);
  // Small batches make many checkpoints, so that kills land between and inside them.
  const std::string batch = std::to_string(env_or("CRASH_BATCH", 20));
  const int sync_users = env_or("CRASH_SYNC_USERS", 2000);
  testing::TempDir dir;
  // The directory fabrikam syncs from, for both runs.
  const std::string scripts = UPSYNC_TEST_SCRIPTS_DIR;
  const std::string ldap_dir = (dir.path() / "ldap").string();
  const std::string ldif = (dir.path() / "directory.ldif").string();
  const int ldap_port = testing::free_port();
  ASSERT_EQ(
      std::system((scripts + "/gen-users.sh " + std::to_string(sync_users) + " 10 > '" + ldif + "'")
                      .c_str()),
      0);
  ASSERT_EQ(std::system((scripts + "/slapd-start.sh '" + ldap_dir + "' " +
                         std::to_string(ldap_port) + " '" + ldif + "' > /dev/null")
                            .c_str()),
            0);
  struct StopSlapd {
    std::string command;
    ~StopSlapd() { std::system(command.c_str()); }
  } stop_slapd{scripts + "/slapd-stop.sh '" + ldap_dir + "'"};
  setenv("CRASH_LDAP_PASSWORD", "secret", 1);
  const std::string connector = (dir.path() / "dc1.toml").string();
  {
    std::ofstream f(connector);
    f << "type = \"ldap\"\nurl = \"ldap://127.0.0.1:" << ldap_port
      << "\"\nbind_dn = \"cn=admin,dc=example,dc=com\"\npassword_env = \"CRASH_LDAP_PASSWORD\"\n"
      << "base = \"dc=example,dc=com\"\npage_size = 500\ndelta = \"none\"\n";
  }
  Place clean{(dir.path() / "clean").string(), ""};
  Place crash{(dir.path() / "crash").string(), ""};
  for (Place* p : {&clean, &crash}) {
    auto url = testing::PgTestServer::fresh_database_url();
    ASSERT_TRUE(url) << url.status().to_string();
    p->url = *url;
    fill(*p, users);
  }
  queue_import(dir.path(), users, {clean, crash});
  for (const Place& p : {clean, crash}) {
    run_upsync(with(p, {"tenant", "create", "fabrikam"}), std::nullopt);
    run_upsync(with(p, {"connector", "add", "-t", "fabrikam", "dc1", "--file", connector}),
               std::nullopt);
  }
  // Both databases sync once, and put ten people in the user list of /sites/hr, which stage 3
  // of each later sync keeps current. Then every directory user is renamed: the sync under
  // test (a complete read, the connector's delta being "none") changes every profile and those
  // site list entries.
  for (const Place& p : {clean, crash}) {
    run_upsync(with(p, {"sync", "run", "-t", "fabrikam"}), std::nullopt);
    for (int i = 1; i <= std::min(10, sync_users); ++i) {
      run_upsync(with(p, {"site", "user", "add", "-t", "fabrikam", "/sites/hr",
                          "user" + std::string(6 - std::to_string(i).size(), '0') +
                              std::to_string(i) + "@example.com"}),
                 std::nullopt);
    }
  }
  const std::string renames = (dir.path() / "renames.ldif").string();
  {
    std::ofstream f(renames);
    for (int i = 1; i <= sync_users; ++i) {
      f << "dn: uid=user" << std::string(6 - std::to_string(i).size(), '0') << i
        << ",ou=people,dc=example,dc=com\nchangetype: modify\nreplace: displayName\n"
        << "displayName: Renamed " << i << "\n\n";
    }
  }
  ASSERT_EQ(
      std::system(("ldapmodify -x -H ldap://127.0.0.1:" + std::to_string(ldap_port) +
                   " -D cn=admin,dc=example,dc=com -w secret -f '" + renames + "' > /dev/null")
                      .c_str()),
      0);
  auto s0 = Clock::now();
  run_upsync(with(clean, {"sync", "run", "-t", "fabrikam"}), std::nullopt);
  const double sync_seconds = std::chrono::duration<double>(Clock::now() - s0).count();
  // The workers' schedulers run fabrikam's sync at their start and every second after; the
  // first that completes applies the renames, the others find nothing changed.
  run_upsync(with(crash, {"sync", "schedule", "-t", "fabrikam", "--every", "1"}), std::nullopt);
  auto t0 = Clock::now();
  // The clean run applies the job whole; the workers split it into 8 ranges, which they apply
  // side by side.
  run_upsync(with(clean, {"import", "run-pending", "--batch", batch, "--max-properties",
                          std::to_string(3 * users + 1), "--range-records", "0"}),
             std::nullopt);
  const std::string range_records = std::to_string(users / 8);
  const double clean_seconds = std::chrono::duration<double>(Clock::now() - t0).count();
  const double startup = startup_seconds(crash);
  // A lease a few times a worker's start: a holder killed mid-batch delays the job by this.
  const double lease = std::max(0.5, 4 * startup);
  auto worker_args = [&](int n) {
    return with(
        crash, {"worker", "--name", "w" + std::to_string(n), "--interval", "0.05", "--batch", batch,
                "--max-properties", std::to_string(3 * users + 1), "--range-records", range_records,
                "--lease-seconds", std::to_string(lease)});
  };
  const std::string err = (dir.path() / "workers.err").string();
  std::vector<pid_t> workers;
  for (int n = 0; n < 3; ++n) workers.push_back(start_upsync(worker_args(n), err));

  Place::Open opened = crash.open(false);
  ASSERT_TRUE(opened.store);
  auto jobs = open_job_store(*opened.store);
  ASSERT_TRUE(jobs);
  const TenantId tenant = (*opened.store->tenant("contoso")).id;
  const Tenant fabrikam = *opened.store->tenant("fabrikam");
  auto runs = open_sync_run_store(*opened.store);
  ASSERT_TRUE(runs);
  auto leases = opened.store->lease_store();
  ASSERT_TRUE(leases);
  auto synced = [&] {
    auto r = (*runs)->list(fabrikam.id, 100);
    EXPECT_TRUE(r);
    return r && std::any_of(r->begin(), r->end(), [](const SyncRun& x) {
             return x.succeeded && x.trigger == "scheduler";
           });
  };
  auto job_now = [&]() -> ImportJob {
    auto all = (*jobs)->list(tenant);
    EXPECT_TRUE(all && all->size() == 1u);
    return all && !all->empty() ? all->at(0) : ImportJob{};
  };
  auto ended = [](const ImportJob& j) {
    return j.state == ImportJobState::kSucceeded || j.state == ImportJobState::kError;
  };
  // Kills at random moments, spread over about the first half of the longer of the clean
  // import and the clean sync (the work takes longer: a start and a poll for each kill of its
  // holder, which PostgreSQL's session end lets the next worker take over at once).
  std::mt19937 rng(std::random_device{}());
  std::uniform_real_distribution<double> pause(
      0, std::max(clean_seconds, sync_seconds) / target_kills);
  std::uniform_int_distribution<int> which(0, 2);
  int kills = 0, holder_kills = 0, sync_kills = 0;
  size_t range_count = 0;
  const auto deadline =
      Clock::now() +
      std::chrono::seconds(static_cast<int>(60 + 20 * (clean_seconds + sync_seconds) +
                                            target_kills * (lease + startup) * 2));
  ImportJob job = job_now();
  bool sync_done = false;
  while (!(ended(job) && sync_done) && Clock::now() < deadline) {
    std::this_thread::sleep_for(
        std::chrono::duration<double>(kills < target_kills ? pause(rng) : 0.1));
    job = job_now();
    sync_done = synced();
    if ((ended(job) && sync_done) || kills >= target_kills) continue;
    auto sync_lease = (*leases)->get(sync_lease_name("fabrikam"));
    ASSERT_TRUE(sync_lease);
    auto ranges = (*jobs)->ranges(job.job_id);
    ASSERT_TRUE(ranges) << ranges.status().to_string();
    range_count = std::max(range_count, ranges->size());
    auto holds = [&](int w, const std::optional<Lease>& lease) {
      return lease && !lease->expired &&
             lease->holder.find(":" + std::to_string(workers[w]) + "/") != std::string::npos;
    };
    // The job's lease (while it is checked and split, and when it ends) or a range's.
    auto holds_job = [&](int w) {
      return holds(w, job.lease) || std::any_of(ranges->begin(), ranges->end(), [&](auto& r) {
               return !r.finished() && holds(w, r.lease);
             });
    };
    // A random worker; but the first kill that can hit a worker of the job does, and the first
    // that can hit the sync's does, so that each is killed at least once whatever the draw.
    int n = which(rng);
    for (int w = 0; w < 3; ++w) {
      if ((holder_kills == 0 && holds_job(w)) || (sync_kills == 0 && holds(w, *sync_lease))) n = w;
    }
    if (holds_job(n)) ++holder_kills;
    if (holds(n, *sync_lease)) ++sync_kills;
    kill(workers[n], SIGKILL);
    waitpid(workers[n], nullptr, 0);
    ++kills;
    workers[n] = start_upsync(worker_args(n), err);
  }
  for (pid_t pid : workers) kill(pid, SIGTERM);
  for (pid_t pid : workers) {
    int status = 0;
    waitpid(pid, &status, 0);
    EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << testing::read_file(err);
  }
  ASSERT_TRUE(ended(job)) << "the job did not end: " << import_job_state_name(job.state) << " at "
                          << job.records_done << " of " << users << "\n"
                          << testing::read_file(err);
  ASSERT_TRUE(sync_done) << "fabrikam's sync did not complete\n" << testing::read_file(err);
  std::string clean_log, crash_log;
  const std::string a = snapshot(clean, &clean_log);
  const std::string b = snapshot(crash, &crash_log);
  std::string synced_a, synced_b;
  for (auto [place, text] : {std::pair{&clean, &synced_a}, std::pair{&crash, &synced_b}}) {
    Place::Open o = place->open(false);
    ASSERT_TRUE(o.store);
    const Tenant t = *o.store->tenant("fabrikam");
    *text = profiles_text(*o.store, t);
    // The site list: each entry's account and copied properties (ids and times are each
    // database's own).
    auto site_users = open_site_user_store(*o.store);
    ASSERT_TRUE(site_users);
    auto entries = (*site_users)->list(t.id, "sites/hr");
    ASSERT_TRUE(entries) << entries.status().to_string();
    for (const SiteUser& u : *entries) {
      *text += "site /sites/hr: " + u.login_name;
      for (const auto& [k, vs] : u.properties) {
        for (const auto& v : vs) *text += "|" + k + "=" + v;
      }
      *text += "\n";
    }
  }
  const int lost =
      missing_lines(a, b) + missing_lines(clean_log, crash_log) + missing_lines(synced_a, synced_b);
  const int twice =
      missing_lines(b, a) + missing_lines(crash_log, clean_log) + missing_lines(synced_b, synced_a);
  std::cerr << "postgres, 3 workers: " << users << " import records (clean run " << clean_seconds
            << " s) and a complete sync renaming " << sync_users << " directory users (clean run "
            << sync_seconds << " s); the job in " << range_count << " ranges; " << kills
            << " kills (" << holder_kills << " of a worker applying the job, " << sync_kills
            << " of the sync's); profiles, site lists, feeds and log against the clean run: "
            << lost << " lost, " << twice << " applied twice\n";
  EXPECT_NE(a.find("|OfficeCode=O" + std::to_string(users - 1) + "|"), std::string::npos)
      << a.substr(a.size() > 300 ? a.size() - 300 : 0);
  EXPECT_EQ(kills, target_kills);
  EXPECT_EQ(range_count, 8u) << "the workers did not split the job";
  EXPECT_GE(holder_kills, 1) << "no kill hit a worker running the job";
  EXPECT_GE(sync_kills, 1) << "no kill hit the worker running the sync";
  EXPECT_EQ(lost, 0);
  EXPECT_EQ(twice, 0);
  EXPECT_TRUE(a == b) << "profiles differ after the killed runs";
  EXPECT_EQ(clean_log, crash_log);
  EXPECT_NE(synced_a.find("user" + std::string(6 - std::to_string(sync_users).size(), '0') +
                          std::to_string(sync_users) + "@example.com"),
            std::string::npos)
      << synced_a.substr(0, 500);
  const size_t entry = synced_a.find("site /sites/hr: i:0#.f|membership|user000010@example.com|");
  ASSERT_NE(entry, std::string::npos);
  const std::string line = synced_a.substr(entry, synced_a.find('\n', entry) - entry);
  EXPECT_NE(line.find("|PreferredName=Renamed 10|"), std::string::npos)
      << "the site list was not brought up to date: " << line;
  EXPECT_TRUE(synced_a == synced_b) << "fabrikam's profiles differ after the killed syncs";
}

}  // namespace
}  // namespace upsync
