// The storage backends that the store tests run on, and the macros that run a fixture's
// TEST_P tests on them. Adding a backend to every storage interface's tests is one line in
// backends(); a test that checks one backend's internals (its SQL, its files) is instantiated
// on that backend alone.
//
//   class DirectoryStoreTest : public testing::StoreTest { ... };
//   TEST_P(DirectoryStoreTest, CloudUsersByIdUpnOrMailIgnoringCase) { ... }
//   UPSYNC_TEST_ON_EVERY_BACKEND(DirectoryStoreTest);
#pragma once

#include <gtest/gtest.h>

#include <filesystem>
#include <memory>
#include <ostream>
#include <string>
#include <vector>

#include "core/status.h"
#include "storage/open_storage.h"
#include "store/pg_test_server.h"
#include "store/storage.h"

namespace upsync::testing {

struct Backend {
  std::string name;  // the test name's suffix, e.g. "sqlite"
  // A new, empty storage that keeps its data in `dir` (a temp folder of the test, removed
  // after it) or in a server the backend's helper runs for the tests.
  Result<std::unique_ptr<Storage>> (*open)(const std::filesystem::path& dir);
};

// Test names and failure messages show the backend by its name.
inline void PrintTo(const Backend& backend, std::ostream* os) { *os << backend.name; }

inline Result<std::unique_ptr<Storage>> open_sqlite_test_storage(const std::filesystem::path& dir) {
  return open_storage(
      {.url = "sqlite:" + (dir / "upsync.db").string(), .data_dir = "", .create = true});
}

inline const Backend& sqlite_backend() {
  static const Backend backend{"sqlite", &open_sqlite_test_storage};
  return backend;
}

// A fresh database on the test process's PostgreSQL server (store/pg_test_server.h); `dir` is
// not used: the data is in the server.
inline Result<std::unique_ptr<Storage>> open_postgres_test_storage(const std::filesystem::path&) {
  UPSYNC_ASSIGN_OR_RETURN(std::string url, PgTestServer::fresh_database_url());
  return open_storage({.url = url, .data_dir = "", .create = true});
}

inline const Backend& postgres_backend() {
  static const Backend backend{"postgres", &open_postgres_test_storage};
  return backend;
}

// Every backend this build has.
inline const std::vector<Backend>& backends() {
  static const std::vector<Backend> all = {
      sqlite_backend(),
      postgres_backend(),
  };
  return all;
}

inline std::string backend_test_name(const ::testing::TestParamInfo<Backend>& info) {
  return info.param.name;
}

}  // namespace upsync::testing

// Runs the TEST_P tests of `fixture` (a testing::StoreTest) on every backend.
#define UPSYNC_TEST_ON_EVERY_BACKEND(fixture)                                                     \
  INSTANTIATE_TEST_SUITE_P(Backends, fixture, ::testing::ValuesIn(::upsync::testing::backends()), \
                           ::upsync::testing::backend_test_name)

// Runs them on PostgreSQL alone: for tests of the PostgreSQL backend's own behaviour.
#define UPSYNC_TEST_ON_POSTGRES(fixture)                                             \
  INSTANTIATE_TEST_SUITE_P(Postgres, fixture,                                        \
                           ::testing::Values(::upsync::testing::postgres_backend()), \
                           ::upsync::testing::backend_test_name)

// Runs them on SQLite alone: for tests of the SQLite backend's own SQL and files.
#define UPSYNC_TEST_ON_SQLITE(fixture)                                             \
  INSTANTIATE_TEST_SUITE_P(Sqlite, fixture,                                        \
                           ::testing::Values(::upsync::testing::sqlite_backend()), \
                           ::upsync::testing::backend_test_name)
