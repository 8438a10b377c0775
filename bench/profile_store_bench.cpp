// Profile store benchmark: insert N profiles with 5 properties each through the Store
// (schema checks, change feed and all), then random gets by UPN; beside it, the same work
// done by the sqlite3 command-line tool on an equivalent table, in the same run.
//
//   profile_store_bench [--profiles N] [--gets G] [--dir D]
//
// The peer is what someone would write without upsync: one table with the same indexes and
// the properties packed as JSON, filled by one INSERT ... SELECT over a recursive CTE, then G
// point queries by UPN in one sqlite3 session.
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <random>
#include <string>

#include "storage/open_storage.h"
#include "store/store.h"

namespace {

using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point t0) {
  return std::chrono::duration<double>(Clock::now() - t0).count();
}

std::string upn(int64_t i) { return "user" + std::to_string(i) + "@contoso.com"; }

int fail(const upsync::Status& s) {
  std::cerr << "profile_store_bench: " << s.to_string() << "\n";
  return 1;
}

double run_sqlite3(const std::string& args, const std::string& script_path) {
  auto t0 = Clock::now();
  std::string cmd = "sqlite3 " + args + " < '" + script_path + "' > /dev/null";
  int rc = std::system(cmd.c_str());
  if (rc != 0) {
    std::cerr << "profile_store_bench: '" << cmd << "' failed (" << rc << ")\n";
    std::exit(1);
  }
  return seconds_since(t0);
}

}  // namespace

int main(int argc, char** argv) {
  int64_t n = 1000000;
  int64_t gets = 200000;
  std::string dir = "/tmp/upsync-bench-store";
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string a = argv[i];
    if (a == "--profiles")
      n = std::stoll(argv[i + 1]);
    else if (a == "--gets")
      gets = std::stoll(argv[i + 1]);
    else if (a == "--dir")
      dir = argv[i + 1];
    else {
      std::cerr << "usage: profile_store_bench [--profiles N] [--gets G] [--dir D]\n";
      return 2;
    }
  }
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);

  // --- upsync ---
  auto store = upsync::open_store({.data_dir = dir + "/upsync"});
  if (!store) return fail(store.status());
  upsync::Store& s = **store;
  auto tenant = s.create_tenant({.name = "contoso"});
  if (!tenant) return fail(tenant.status());
  const upsync::TenantId tid = tenant->id;

  auto t0 = Clock::now();
  constexpr int64_t kBatch = 10000;
  for (int64_t start = 0; start < n; start += kBatch) {
    upsync::Status st = s.in_transaction([&]() -> upsync::Status {
      for (int64_t i = start; i < std::min(n, start + kBatch); ++i) {
        const std::string id = std::to_string(i);
        const std::vector<upsync::PropertyChange> props = {
            {"FirstName", {"First" + id}},
            {"LastName", {"Last" + id}},
            {"WorkEmail", {upn(i)}},
            {"Office", {"Office " + std::to_string(i % 100)}},
            {"Department", {"Dept " + std::to_string(i % 37)}},
        };
        UPSYNC_RETURN_IF_ERROR(
            s.create_profile(tid, "i:0#.f|membership|" + upn(i), props).status());
      }
      return upsync::Status::ok();
    });
    if (!st) return fail(st);
  }
  const double upsync_insert = seconds_since(t0);

  std::mt19937_64 rng(42);
  std::uniform_int_distribution<int64_t> pick(0, n - 1);
  std::vector<int64_t> keys(gets);
  for (auto& k : keys) k = pick(rng);
  t0 = Clock::now();
  for (int64_t k : keys) {
    auto p = s.profile(tid, {upsync::ProfileKeyKind::kPrincipalName, upn(k)});
    if (!p) return fail(p.status());
  }
  const double upsync_get = seconds_since(t0);
  store->reset();

  // --- the sqlite3 command-line tool on an equivalent table ---
  const std::string peer_db = dir + "/peer.db";
  const std::string insert_sql = dir + "/insert.sql";
  {
    std::ofstream f(insert_sql);
    f << "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;\n"
         "CREATE TABLE profiles (id INTEGER PRIMARY KEY, tenant_id INTEGER NOT NULL,\n"
         "  account_key TEXT NOT NULL, upn_key TEXT, email_key TEXT, cloud_id TEXT,\n"
         "  props TEXT NOT NULL, seq INTEGER NOT NULL, updated_at TEXT NOT NULL);\n"
         "CREATE UNIQUE INDEX p_account ON profiles (tenant_id, account_key);\n"
         "CREATE UNIQUE INDEX p_upn ON profiles (tenant_id, upn_key) WHERE upn_key IS NOT NULL;\n"
         "CREATE INDEX p_email ON profiles (tenant_id, email_key) WHERE email_key IS NOT NULL;\n"
         "CREATE INDEX p_tenant ON profiles (tenant_id, id);\n"
         "CREATE TABLE change_feed (tenant_id INTEGER, feed TEXT, seq INTEGER, object_id TEXT,\n"
         "  op INTEGER, changed_at TEXT, PRIMARY KEY (tenant_id, feed, seq)) WITHOUT ROWID;\n"
         "BEGIN;\n"
         "WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i + 1 < "
      << n
      << ")\n"
         "INSERT INTO profiles (id, tenant_id, account_key, upn_key, email_key, props, seq,\n"
         "  updated_at)\n"
         "SELECT i + 1, 1, 'i:0#.f|membership|user' || i || '@contoso.com',\n"
         "  'user' || i || '@contoso.com', 'user' || i || '@contoso.com',\n"
         "  json_object('AccountName', 'i:0#.f|membership|user' || i || '@contoso.com',\n"
         "    'FirstName', 'First' || i, 'LastName', 'Last' || i,\n"
         "    'WorkEmail', 'user' || i || '@contoso.com', 'Office', 'Office ' || (i % 100),\n"
         "    'Department', 'Dept ' || (i % 37)), i + 1, strftime('%Y-%m-%dT%H:%M:%fZ')\n"
         "FROM n;\n"
         "INSERT INTO change_feed SELECT 1, 'profiles', id, id, 1, updated_at FROM profiles;\n"
         "COMMIT;\n";
  }
  const double peer_insert = run_sqlite3("'" + peer_db + "'", insert_sql);
  const std::string get_sql = dir + "/get.sql";
  {
    std::ofstream f(get_sql);
    for (int64_t k : keys) {
      f << "SELECT id, props FROM profiles WHERE tenant_id = 1 AND upn_key = '" << upn(k) << "';\n";
    }
  }
  const double peer_get = run_sqlite3("'" + peer_db + "'", get_sql);

  auto rate = [](double count, double secs) { return count / secs; };
  std::printf("profile store: %lld profiles x 5 properties, %lld random gets by UPN\n",
              static_cast<long long>(n), static_cast<long long>(gets));
  std::printf("%-28s %14s %14s %8s\n", "", "upsync", "sqlite3 CLI", "ratio");
  std::printf("%-28s %12.0f/s %12.0f/s %7.2fx\n", "insert profiles (rows/s)",
              rate(n, upsync_insert), rate(n, peer_insert), peer_insert / upsync_insert);
  std::printf("%-28s %12.0f/s %12.0f/s %7.2fx\n", "get by UPN (lookups/s)", rate(gets, upsync_get),
              rate(gets, peer_get), peer_get / upsync_get);
  std::printf(
      "(ratio = upsync speed / sqlite3 speed; upsync checks every value against the "
      "schema and writes a change-feed entry per profile)\n");
  std::filesystem::remove_all(dir);
  return 0;
}
