// bench/bulk_import: the bulk import of seed 003 against the obvious alternative a user
// would write, measured in the same run on the same file.
//
//   bulk_import [--users 1000000] [--dir /tmp/x] [--prepare-only 1] [--file-gb 2] [--peer 0]
//
// --prepare-only: generate the data folder (<dir>/data), upload the file and queue the job,
// then stop (bench/http.sh runs that import beside its HTTP load).
// --file-gb G: pad the values so that the file is about G GB (written as it is generated,
// never held in memory), for the memory bound of a file at seed 003's 2 GB limit.
// --peer 0: skip the sqlite3 peer (it reads the whole file into memory).
//
// Generates N users with 5 custom properties (and the matching profiles), then times
//  - upsync: `upsync import queue` + `upsync import run-pending` (the real binary; both
//    passes, the change feed, the checkpoints), with its peak RSS;
//  - sqlite3: the sqlite3 command-line tool running one UPDATE ... FROM json_each(readfile())
//    on an equivalent table (email primary key, 5 text columns).
// Prints values/s of both and the ratio. For scale it also times the floor of the store: the
// sqlite3 tool writing, on a copy of upsync's store, the rows the import writes (a custom row
// and a change-feed entry per profile) with one INSERT ... SELECT each, in one transaction,
// nothing parsed or looked up; no import into this store can take less.
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <string>
#include <vector>

#include "storage/open_storage.h"
#include "store/store.h"

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

namespace {

struct RunResult {
  double seconds = 0;
  long max_rss_kb = 0;
};

// Runs a command and times it. Dirty pages are written out first (sync), so that no run pays
// for the writes of what ran before it (the generation writes about a gigabyte).
RunResult run(const std::vector<std::string>& args, const std::string& stdin_file = "") {
  ::sync();
  auto start = Clock::now();
  pid_t pid = fork();
  if (pid == 0) {
    if (!stdin_file.empty()) {
      if (!freopen(stdin_file.c_str(), "r", stdin)) _exit(126);
    }
    if (!freopen("/dev/null", "w", stdout)) _exit(126);
    std::vector<char*> argv;
    for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
    argv.push_back(nullptr);
    execvp(argv[0], argv.data());
    _exit(127);
  }
  int status = 0;
  struct rusage ru {};
  wait4(pid, &status, 0, &ru);
  RunResult r;
  r.seconds = std::chrono::duration<double>(Clock::now() - start).count();
  r.max_rss_kb = ru.ru_maxrss;
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    std::cerr << "failed: " << args[0] << " " << (args.size() > 3 ? args[3] : "") << "\n";
    std::exit(1);
  }
  return r;
}

std::string email(long i) { return "user" + std::to_string(i) + "@contoso.com"; }

// The import really ran: the job succeeded, the last user has the file's value, every profile
// has a change-feed entry past the generation's and the tenant's sequence is the feed's last.
bool check_imported(const std::string& data, long users, const std::string& prop,
                    const std::string& last_value) {
  auto store = upsync::open_store({.data_dir = data, .create = false});
  if (!store) return std::cerr << store.status().to_string() << "\n", false;
  auto t = (*store)->tenant("contoso");
  if (!t) return false;
  auto p = (*store)->profile(t->id,
                             upsync::ProfileKey{upsync::ProfileKeyKind::kEmail, email(users - 1)});
  if (!p) return std::cerr << p.status().to_string() << "\n", false;
  auto it = p->properties.find(prop);
  if (it == p->properties.end() || it->second != upsync::PropertyValues{last_value}) {
    std::cerr << "the import did not set " << prop << " of " << email(users - 1) << "\n";
    return false;
  }
  // Generation took a sequence per property (5) and per profile; the import one per profile.
  long entries = 0;
  int64_t after = users + 5;
  while (true) {
    auto page = (*store)->changes_after(t->id, upsync::kProfilesFeed, after, 100000);
    if (!page) return std::cerr << page.status().to_string() << "\n", false;
    if (page->empty()) break;
    entries += static_cast<long>(page->size());
    after = page->back().seq;
  }
  auto last = (*store)->last_seq(t->id);
  if (!last) return std::cerr << last.status().to_string() << "\n", false;
  if (entries != users || *last != 2 * users + 5) {
    std::cerr << "the import left " << entries << " change-feed entries and last_seq " << *last
              << ", expected " << users << " and " << 2 * users + 5 << "\n";
    return false;
  }
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  long users = 1000000;
  std::string dir = "/tmp/upsync-bulk-import-bench";
  std::string upsync = UPSYNC_BINARY_PATH;
  bool prepare_only = false;
  double file_gb = 0;
  bool peer_run = true;
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string a = argv[i];
    if (a == "--users") users = std::stol(argv[i + 1]);
    if (a == "--dir") dir = argv[i + 1];
    if (a == "--upsync") upsync = argv[i + 1];
    if (a == "--prepare-only") prepare_only = std::string(argv[i + 1]) != "0";
    if (a == "--file-gb") file_gb = std::stod(argv[i + 1]);
    if (a == "--peer") peer_run = std::string(argv[i + 1]) != "0";
  }
  fs::remove_all(dir);
  fs::create_directories(dir);
  const std::string data = dir + "/data";
  const char* props[] = {"Prop1", "Prop2", "Prop3", "Prop4", "Prop5"};
  const long values = users * 5;
  // Each value is "v<p>-<i % 1000>" and, for --file-gb, padding up to the size asked for
  // (about 24 bytes of each user object are the rest of the value's line).
  size_t pad = 0;
  if (file_gb > 0) {
    const double per_user = file_gb * 1e9 / static_cast<double>(users);
    const double fixed = 40.0 + 5 * 16.0;
    if (per_user > fixed) pad = static_cast<size_t>((per_user - fixed) / 5);
  }
  const std::string padding(pad, 'x');

  std::cerr << "generating " << users << " profiles and the data file...\n";
  {
    auto store = upsync::open_store({.data_dir = data, .create = true});
    if (!store) return std::cerr << store.status().to_string() << "\n", 1;
    auto t = (*store)->create_tenant({.name = "contoso"});
    for (const char* p : props) {
      upsync::PropertyDefinition def;
      def.name = def.display_name = p;
      def.max_length = std::max<int>(def.max_length, static_cast<int>(pad) + 16);
      if (!(*store)->add_custom_property(t->id, def)) return 1;
    }
    upsync::Status st = (*store)->in_transaction([&]() -> upsync::Status {
      for (long i = 0; i < users; ++i) {
        std::vector<upsync::PropertyChange> init{{"WorkEmail", {email(i)}}};
        auto p = (*store)->create_profile(t->id, "i:0#.f|membership|" + email(i), init);
        if (!p) return p.status();
      }
      return upsync::Status::ok();
    });
    if (!st.is_ok()) return std::cerr << st.to_string() << "\n", 1;
  }
  const std::string json = dir + "/users.json";
  {
    std::ofstream f(json);  // streamed to disk as it is generated
    f << "{\"value\":[\n";
    for (long i = 0; i < users; ++i) {
      f << (i ? ",\n" : "") << "{\"IdName\":\"" << email(i) << "\"";
      for (int p = 0; p < 5; ++p)
        f << ",\"" << props[p] << "\":\"v" << p << "-" << i % 1000 << padding << "\"";
      f << "}";
    }
    f << "\n]}\n";
  }
  const auto file_bytes = fs::file_size(json);

  // The peer: sqlite3 CLI with json_each, on an equivalent table.
  const std::string peer_db = dir + "/peer.db";
  {
    std::ofstream sql(dir + "/setup.sql");
    sql << "PRAGMA journal_mode=WAL;\n"
           "CREATE TABLE users (email TEXT PRIMARY KEY, Prop1 TEXT, Prop2 TEXT, Prop3 TEXT, "
           "Prop4 TEXT, Prop5 TEXT);\n"
           "WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i < "
        << users - 1
        << ") INSERT INTO users (email) SELECT 'user' || i || '@contoso.com' FROM n;\n";
    std::ofstream upd(dir + "/update.sql");
    upd << "UPDATE users SET Prop1 = j.value ->> 'Prop1', Prop2 = j.value ->> 'Prop2', "
           "Prop3 = j.value ->> 'Prop3', Prop4 = j.value ->> 'Prop4', Prop5 = j.value ->> 'Prop5' "
           "FROM json_each(readfile('"
        << json << "'), '$.value') AS j WHERE users.email = j.value ->> 'IdName';\n";
  }
  if (!prepare_only && peer_run) run({"sqlite3", peer_db}, dir + "/setup.sql");

  std::cerr << "running...\n";
  const std::string url = "/sites/hr/Shared Documents/import/users.json";
  run({upsync, "--data-dir", data, "file", "put", "-t", "contoso", json, url});
  std::vector<std::string> queue = {upsync,  "--data-dir", data,        "import", "queue",
                                    "-t",    "contoso",    "--id-type", "Email",  "--id-property",
                                    "IdName"};
  for (const char* p : props) {
    queue.push_back("--map");
    queue.push_back(std::string(p) + "=" + p);
  }
  queue.push_back("--source");
  queue.push_back(url);
  RunResult q = run(queue);
  if (prepare_only) {
    std::printf("prepared %s: %ld profiles, a queued import of %ld values\n", data.c_str(), users,
                values);
    return 0;
  }
  // The floor's copy of the store, as the import will find it.
  const std::string floor_db = dir + "/floor.db";
  fs::copy_file(data + "/upsync.db", floor_db);
  {
    std::string custom = "'{'";
    for (int p = 0; p < 5; ++p) {
      custom += std::string(p ? " || ',\"" : " || '\"") + props[p] + "\":[\"v" + std::to_string(p) +
                "-' || (id % 1000) || '" + padding + "\"]'";
    }
    custom += " || '}'";
    std::ofstream sql(dir + "/floor.sql");
    sql << "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA cache_size=-16384;\n"
           "PRAGMA wal_autocheckpoint=16384;\nBEGIN;\n"
           "INSERT INTO profile_custom (id, props, seq, updated_at) SELECT id, "
        << custom << ", seq + " << users + 5
        << ", '2026-01-01T00:00:00Z' FROM profiles;\n"
           "INSERT INTO change_feed (tenant_id, feed, seq, object_id, op, changed_at) SELECT "
           "tenant_id, 'profiles', seq + "
        << users + 5 << ", CAST(id AS TEXT), 1, '2026-01-01T00:00:00Z' FROM profiles;\nCOMMIT;\n";
  }
  RunResult w = run({upsync, "--data-dir", data, "import", "run-pending", "--max-properties",
                     std::to_string(values)});
  if (!check_imported(data, users, props[4], "v4-" + std::to_string((users - 1) % 1000) + padding))
    return 1;
  if (!peer_run) {
    std::printf("bulk_import: %ld users x 5 properties = %ld values, file %.1f MB\n", users, values,
                file_bytes / 1e6);
    std::printf(
        "  upsync import (queue + run-pending): %8.2f s  %10.0f values/s  peak RSS %ld MB\n",
        q.seconds + w.seconds, values / (q.seconds + w.seconds), w.max_rss_kb / 1024);
    return 0;
  }
  RunResult peer = run({"sqlite3", peer_db}, dir + "/update.sql");
  RunResult floor = run({"sqlite3", floor_db}, dir + "/floor.sql");

  const double ours = values / (q.seconds + w.seconds);
  const double theirs = values / peer.seconds;
  std::printf("bulk_import: %ld users x 5 properties = %ld values, file %.1f MB\n", users, values,
              file_bytes / 1e6);
  std::printf("  upsync import (queue + run-pending): %8.2f s  %10.0f values/s  peak RSS %ld MB\n",
              q.seconds + w.seconds, ours, w.max_rss_kb / 1024);
  std::printf("  sqlite3 CLI + json_each UPDATE:       %8.2f s  %10.0f values/s  peak RSS %ld MB\n",
              peer.seconds, theirs, peer.max_rss_kb / 1024);
  std::printf("  ratio upsync / sqlite3: %.2fx\n", ours / theirs);
  std::printf(
      "  store floor (sqlite3 writing the same rows by INSERT ... SELECT): %.2f s, %.2fx the "
      "sqlite3 peer's speed; upsync takes %.2fx the floor's time\n",
      floor.seconds, peer.seconds / floor.seconds, (q.seconds + w.seconds) / floor.seconds);
  return 0;
}
