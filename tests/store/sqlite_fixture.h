// For the tests of the SQLite backend's own SQL, query plans and files: a StoreTest suite
// instantiated with UPSYNC_TEST_ON_SQLITE reaches the SqliteStore it opened.
#pragma once

#include <gtest/gtest.h>

#include <stdexcept>

#include "store/sqlite/sqlite_store.h"
#include "store/store.h"

namespace upsync::testing {

// The SqliteStore behind `store`; only suites run on SQLite alone call it.
inline SqliteStore& sqlite_of(Store& store) {
  auto* sqlite = dynamic_cast<SqliteStore*>(&store);
  if (!sqlite) throw std::logic_error("a SQLite-only test ran on another backend");
  return *sqlite;
}

}  // namespace upsync::testing
