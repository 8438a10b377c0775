// DatabaseCopy: the storage interface a backup needs from a backend, declared here by the
// backup subsystem and implemented by each backend (store/sqlite/sqlite_database_copy.cpp),
// which its Storage hands out (Storage::database_copy(), store/storage.h).
//
//   UPSYNC_ASSIGN_OR_RETURN(auto copier, open_database_copy(*storage));
//   UPSYNC_ASSIGN_OR_RETURN(DatabaseFacts facts, copier->copy_to("/backups/x.db"));
//   ...
//   UPSYNC_ASSIGN_OR_RETURN(DatabaseFacts seen, copier->check_copy("/restore/upsync.db"));
//
// It sits on Storage rather than Store because it works on the whole database, and a restore
// runs where no database exists yet (nothing a Store could connect to).
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>

#include "core/status.h"
#include "store/storage.h"

namespace upsync {

// What a copy of the database holds, read from the copy itself (so it describes exactly the
// snapshot that was taken, not the live database a moment later).
struct DatabaseFacts {
  std::string backend;                        // "sqlite"
  int64_t schema_version = 0;                 // the migrations applied (store/store.h)
  std::map<std::string, int64_t> table_rows;  // every table of the schema → its row count
  // Change-feed positions: "<tenant>" → the tenant's last sequence number, and
  // "<tenant>/<cursor>" → the sequence a named cursor (a sync stage, a delta reader) stands at.
  std::map<std::string, int64_t> feed_positions;
  bool operator==(const DatabaseFacts&) const = default;
};

class DatabaseCopy {
 public:
  virtual ~DatabaseCopy() = default;
  // The schema version this build writes: a copy with a newer one is refused.
  virtual int64_t schema_version() const = 0;
  // Writes a consistent snapshot of the whole database (one point in time: every transaction
  // committed before it, none after) to the new file `dest` (mode 0600; AlreadyExists when it
  // exists), while other connections and processes keep reading and writing. Returns the
  // copy's facts.
  virtual Result<DatabaseFacts> copy_to(const std::string& dest) = 0;
  // Checks a copy made by copy_to, read-only: the backend's own integrity check must pass
  // (DataLoss naming the first problems otherwise), and its schema must be one this build
  // knows (DataLoss for a newer one). Returns its facts.
  virtual Result<DatabaseFacts> check_copy(const std::string& copy) = 0;
  // Moves a checked copy into place as this Storage's database. FailedPrecondition, naming
  // it, when a database is there already: a restore never overwrites.
  virtual Status install(const std::string& copy) = 0;
};

inline Result<std::unique_ptr<DatabaseCopy>> open_database_copy(Storage& storage) {
  return storage.database_copy();
}

}  // namespace upsync
