// What the crash suites share (crash_test.cpp, crash_workers_test.cpp): copies of a data folder
// and database (Place), the real `upsync` started and killed, the import's file queued, and
// the profiles and job log of a copy as text to compare line by line.
#pragma once

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <optional>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "bulkimport/importer.h"
#include "storage/open_storage.h"
#include "store/store.h"
#include "test_support.h"

namespace upsync::testing::crash {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

// Fewer on PostgreSQL, whose test server fills each database row by row.
inline int users_for(const std::string& backend) {
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

inline std::vector<std::string> with(const Place& p, std::vector<std::string> args) {
  std::vector<std::string> a = p.args();
  a.insert(a.end(), args.begin(), args.end());
  return a;
}
inline const std::string kSource = "/sites/hr/Shared Documents/import/users.json";

inline std::string email(int i) { return "user" + std::to_string(i) + "@contoso.com"; }

// Starts the binary with `args` (stdout to /dev/null, stderr to the file `err`, or this
// process's stderr when ""); returns its pid.
inline pid_t start_upsync(const std::vector<std::string>& args, const std::string& err = "") {
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
inline bool run_upsync(const std::vector<std::string>& args, std::optional<double> kill_after) {
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
inline std::string profiles_text(Store& store, const Tenant& tenant) {
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

inline std::string snapshot(const Place& place, std::string* log) {
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
inline void fill(const Place& place, int users) {
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
inline void queue_import(const fs::path& dir, int users, std::initializer_list<Place> places) {
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
inline double startup_seconds(const Place& place) {
  double quickest = 1e9;
  for (int i = 0; i < 3; ++i) {
    auto s0 = Clock::now();
    run_upsync(with(place, {"import", "status", "-t", "contoso"}), std::nullopt);
    quickest = std::min(quickest, std::chrono::duration<double>(Clock::now() - s0).count());
  }
  return quickest;
}

}  // namespace upsync::testing::crash
