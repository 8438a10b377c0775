// SqliteDatabaseCopy: DatabaseCopy (backup/database_copy.h) for the embedded backend.
//
// A snapshot is taken with SQLite's online backup API, all pages in one sqlite3_backup_step
// under one read transaction of the source. In WAL mode a reader never blocks writers, so
// `serve` and the workers keep committing while the pages are copied; the copy is the
// database as of the moment the read transaction began. Copying in several smaller steps
// would let go of the read transaction between steps, and SQLite restarts a backup from the
// first page whenever another connection writes in between: under a running import it would
// never finish. VACUUM INTO gives the same snapshot but rebuilds every table and index row by
// row (slower, and more CPU taken from the running server) where the backup API copies pages.
// The copy is switched to a rollback journal so that it is one self-contained file.
#pragma once

#include <string>

#include "backup/database_copy.h"

namespace upsync {

class SqliteDatabaseCopy : public DatabaseCopy {
 public:
  // `database` is the live database file (SqliteStorage::where()).
  explicit SqliteDatabaseCopy(std::string database) : database_(std::move(database)) {}

  int64_t schema_version() const override;
  Result<DatabaseFacts> copy_to(const std::string& dest) override;
  Result<DatabaseFacts> check_copy(const std::string& copy) override;
  Status install(const std::string& copy) override;

 private:
  std::string database_;
};

}  // namespace upsync
