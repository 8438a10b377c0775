// Single-profile updates per second through the Store on PostgreSQL beside SQLite, in the
// same run: P profiles, then U updates of one property of a random profile, each its own
// transaction (read, schema check, write, change-feed entry, people search index, commit), as
// an edit through the REST API does.
//
//   profile_update_bench --postgres URL [--profiles P] [--updates U] [--dir D]
//
// bench/pg_update.sh starts a throwaway PostgreSQL for it and stops it by pid.
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <random>
#include <string>
#include <vector>

#include "storage/open_storage.h"
#include "store/store.h"

namespace {

using Clock = std::chrono::steady_clock;

struct Figures {
  double fill_seconds = 0;
  double updates_per_second = 0;
};

upsync::Result<Figures> run(const std::string& url, int64_t profiles, int64_t updates) {
  UPSYNC_ASSIGN_OR_RETURN(auto storage,
                          upsync::open_storage({.url = url, .data_dir = "", .create = true}));
  UPSYNC_ASSIGN_OR_RETURN(auto store, storage->connect());
  UPSYNC_ASSIGN_OR_RETURN(upsync::Tenant tenant, store->create_tenant({.name = "contoso"}));
  Figures f;
  std::vector<upsync::ProfileId> ids;
  auto t0 = Clock::now();
  UPSYNC_RETURN_IF_ERROR(store->in_transaction([&]() -> upsync::Status {
    for (int64_t i = 0; i < profiles; ++i) {
      const std::string upn = "user" + std::to_string(i) + "@contoso.com";
      UPSYNC_ASSIGN_OR_RETURN(
          upsync::Profile p,
          store->create_profile(tenant.id, "i:0#.f|membership|" + upn,
                                std::vector<upsync::PropertyChange>{
                                    {"FirstName", {"First" + std::to_string(i)}},
                                    {"Department", {"Dept " + std::to_string(i % 37)}}}));
      ids.push_back(p.id);
    }
    return upsync::Status::ok();
  }));
  f.fill_seconds = std::chrono::duration<double>(Clock::now() - t0).count();
  std::mt19937_64 rng(42);
  t0 = Clock::now();
  for (int64_t i = 0; i < updates; ++i) {
    const upsync::ProfileId id = ids[rng() % ids.size()];
    UPSYNC_RETURN_IF_ERROR(store
                               ->update_profile(tenant.id, id,
                                                std::vector<upsync::PropertyChange>{
                                                    {"Office", {"Office " + std::to_string(i)}}})
                               .status());
  }
  f.updates_per_second =
      static_cast<double>(updates) / std::chrono::duration<double>(Clock::now() - t0).count();
  return f;
}

}  // namespace

int main(int argc, char** argv) {
  std::string postgres;
  int64_t profiles = 10000;
  int64_t updates = 20000;
  std::string dir = "/tmp/upsync-bench-update";
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string a = argv[i];
    if (a == "--postgres") {
      postgres = argv[i + 1];
    } else if (a == "--profiles") {
      profiles = std::stoll(argv[i + 1]);
    } else if (a == "--updates") {
      updates = std::stoll(argv[i + 1]);
    } else if (a == "--dir") {
      dir = argv[i + 1];
    } else {
      postgres.clear();
      break;
    }
  }
  if (postgres.empty() || profiles < 1) {
    std::cerr << "usage: profile_update_bench --postgres URL [--profiles P] [--updates U] "
                 "[--dir D]\n";
    return 2;
  }
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  auto pg = run(postgres, profiles, updates);
  if (!pg) {
    std::cerr << "profile_update_bench: PostgreSQL: " << pg.status().to_string() << "\n";
    return 1;
  }
  auto lite = run("sqlite:" + dir + "/upsync.db", profiles, updates);
  if (!lite) {
    std::cerr << "profile_update_bench: SQLite: " << lite.status().to_string() << "\n";
    return 1;
  }
  std::printf(
      "single-profile updates (%lld profiles, %lld updates, one transaction each):\n"
      "  PostgreSQL %8.0f updates/s   (fill %.2f s)\n"
      "  SQLite     %8.0f updates/s   (fill %.2f s)\n"
      "  PostgreSQL / SQLite = %.2f\n",
      static_cast<long long>(profiles), static_cast<long long>(updates), pg->updates_per_second,
      pg->fill_seconds, lite->updates_per_second, lite->fill_seconds,
      pg->updates_per_second / lite->updates_per_second);
  std::filesystem::remove_all(dir);
  return 0;
}
