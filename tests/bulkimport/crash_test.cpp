// Crash safety: kill -9 the real `upsync import run-pending` at random points of a
// 200,000-record import, rerun until the job ends, and compare every profile (and the job's
// log) with those of one clean run of the same import on a copy of the same data. On SQLite the
// killed worker's lease keeps the job from the next worker until it expires (checked once); on
// PostgreSQL the next worker takes it over at once (its holder's session ended; checked once).
// The next worker resumes from the checkpoint, applying every value once.
// On SQLite (a data folder) and on PostgreSQL (a database of the test's server, files in a
// data folder).
#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <random>
#include <set>
#include <sstream>
#include <thread>

#include "bulkimport/importer.h"
#include "core/lease.h"
#include "sites/site_users.h"
#include "storage/open_storage.h"
#include "store/pg_test_server.h"
#include "sync/run_history.h"
#include "test_support.h"

namespace upsync {
namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

// Fewer on PostgreSQL, whose test server fills each database row by row.
int users_for(const std::string& backend) {
  if (const char* n = std::getenv("CRASH_USERS")) return std::atoi(n);
  return backend == "postgres" ? 50000 : 200000;
}

// Where a copy of the data is: a data folder, and the database URL when it is not the
// folder's SQLite.
struct Place {
  std::string dir;
  std::string url;
  std::vector<std::string> args() const {
    std::vector<std::string> a = {"--data-dir", dir};
    if (!url.empty()) a.insert(a.end(), {"--db", url});
    return a;
  }
  // The storage, kept open while its store is used.
  struct Open {
    std::unique_ptr<Storage> storage;
    std::unique_ptr<Store> store;
  };
  Open open(bool create) const {
    Open o;
    auto storage = open_storage({.url = url, .data_dir = dir, .create = create});
    EXPECT_TRUE(storage) << storage.status().to_string();
    if (!storage) return o;
    o.storage = std::move(*storage);
    auto store = o.storage->connect();
    EXPECT_TRUE(store) << store.status().to_string();
    if (store) o.store = std::move(*store);
    return o;
  }
};

std::vector<std::string> with(const Place& p, std::vector<std::string> args) {
  std::vector<std::string> a = p.args();
  a.insert(a.end(), args.begin(), args.end());
  return a;
}
const std::string kSource = "/sites/hr/Shared Documents/import/users.json";

std::string email(int i) { return "user" + std::to_string(i) + "@contoso.com"; }

// Starts the binary with `args` (stdout to /dev/null, stderr to the file `err`, or this
// process's stderr when ""); returns its pid.
pid_t start_upsync(const std::vector<std::string>& args, const std::string& err = "") {
  const char* bin = std::getenv("UPSYNC_BINARY");
  pid_t pid = fork();
  if (pid == 0) {
    std::vector<char*> argv;
    argv.push_back(const_cast<char*>(bin));
    for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
    argv.push_back(nullptr);
    int devnull = open("/dev/null", O_WRONLY);
    dup2(devnull, 1);
    if (!err.empty()) {
      int log = open(err.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
      dup2(log, 2);
    }
    execv(bin, argv.data());
    _exit(127);
  }
  return pid;
}

// Runs the binary with `args`; kills it with SIGKILL after `kill_after` (if it still runs).
// Returns true when it was killed, false when it exited (asserting exit 0).
bool run_upsync(const std::vector<std::string>& args, std::optional<double> kill_after) {
  const pid_t pid = start_upsync(args);
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

// The tenant's profiles, a line each (account, then every property but the random ids), and
// the length of its profile feed.
std::string profiles_text(Store& store, const Tenant& tenant) {
  std::string out;
  ProfileQuery q;
  q.limit = 5000;
  while (true) {
    auto page = store.list_profiles(tenant.id, q);
    EXPECT_TRUE(page);
    if (!page) break;
    for (const Profile& p : page->profiles) {
      out += p.account_name;
      for (const auto& [k, vs] : p.properties) {
        // Random per profile, and the cloud object id the directory gives each database.
        if (k == "UserProfile_GUID" || k == "msOnline-ObjectId") continue;
        for (const auto& v : vs) out += "|" + k + "=" + v;
      }
      out += "\n";
    }
    if (!page->next_after_id) break;
    q.after_id = *page->next_after_id;
  }
  // A batch lost to a kill would leave fewer profile changes than the clean run.
  out += "profile changes " +
         std::to_string(*store.count_changes_after(tenant.id, kProfilesFeed, 0)) + "\n";
  return out;
}

std::string snapshot(const Place& place, std::string* log) {
  Place::Open opened = place.open(false);
  std::unique_ptr<Store>* store = &opened.store;
  const std::string& data_dir = place.dir;
  auto tenant = (*store)->tenant("contoso");
  // One applied twice would log its unresolvable users twice (the logs are compared).
  std::string out = profiles_text(**store, *tenant);
  auto jobs = open_job_store(**store);
  auto all = (*jobs)->list(tenant->id);
  EXPECT_EQ(all->size(), 1u);
  EXPECT_FALSE(all->at(0).lease) << "the job ended with its lease still held";
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

// The tenant with its profiles (every 997th user missing, so logged), in `place`.
void fill(const Place& place, int users) {
  // The files' folder (on SQLite, open(true) makes it with the database in it).
  fs::create_directories(place.dir);
  Place::Open opened = place.open(true);
  std::unique_ptr<Store>* store = &opened.store;
  ASSERT_TRUE(*store);
  {
    auto t = (*store)->create_tenant({.name = "contoso"});
    ASSERT_TRUE(t);
    for (const char* name : {"City", "OfficeCode", "CostCenter"}) {
      PropertyDefinition def;
      def.name = def.display_name = name;
      ASSERT_TRUE((*store)->add_custom_property(t->id, def));
    }
    Status st = (*store)->in_transaction([&]() -> Status {
      for (int i = 0; i < users; ++i) {
        if (i % 997 == 5) continue;  // not resolvable: logged
        std::vector<PropertyChange> init{{"WorkEmail", {email(i)}}, {"City", {"Old"}}};
        auto p = (*store)->create_profile(t->id, "i:0#.f|membership|" + email(i), init);
        if (!p) return p.status();
      }
      return Status::ok();
    });
    ASSERT_TRUE(st.is_ok()) << st.to_string();
  }
}

// Writes the import file of `users` records into `dir` and queues its import in each place.
void queue_import(const fs::path& dir, int users, std::initializer_list<Place> places) {
  {
    std::ofstream f(dir / "users.json");
    f << "{\"value\":[\n";
    for (int i = 0; i < users; ++i) {
      f << (i ? ",\n" : "") << "{\"IdName\":\"" << email(i) << "\",\"City\":\"City " << i % 101
        << "\",\"Office\":\"O" << i << "\",\"CC\":\"" << (i % 7 ? std::to_string(i % 13) : "")
        << "\"}";
    }
    f << "\n]}\n";
  }
  const std::string file = (dir / "users.json").string();
  for (const Place& p : places) {
    run_upsync(with(p, {"file", "put", "-t", "contoso", file, kSource}), std::nullopt);
    run_upsync(with(p, {"import", "queue", "-t", "contoso", "--id-type", "Email", "--id-property",
                        "IdName", "--map", "City=City", "--map", "Office=OfficeCode", "--map",
                        "CC=CostCenter", "--source", kSource}),
               std::nullopt);
  }
}

// The quickest of three starts of a command that reads the store in `place`.
double startup_seconds(const Place& place) {
  double quickest = 1e9;
  for (int i = 0; i < 3; ++i) {
    auto s0 = Clock::now();
    run_upsync(with(place, {"import", "status", "-t", "contoso"}), std::nullopt);
    quickest = std::min(quickest, std::chrono::duration<double>(Clock::now() - s0).count());
  }
  return quickest;
}

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
