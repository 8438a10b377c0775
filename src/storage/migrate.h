// Moving up: `upsync migrate --to postgresql://...` copies a deployment's embedded (SQLite)
// database into an empty PostgreSQL database and proves the copy, so that an organization that
// started on one machine moves to several without losing anything.
//
//   UPSYNC_ASSIGN_OR_RETURN(auto source, open_storage({.data_dir = dir, .create = false}));
//   UPSYNC_ASSIGN_OR_RETURN(MigrationReport r, migrate_database(*source, url, dir));
//
// How:
//  1. The source is brought to this build's schema (its own migrations, as any command does)
//     and a snapshot of it is taken with the backup's online copy (DatabaseCopy): serve and
//     workers may keep running, and the copy is one point in time, every change committed
//     before it and none after.
//  2. The target is brought to this build's PostgreSQL schema, which has every table and column
//     of the SQLite one (tests/store/pg_schema_test.cpp keeps it so). It must be empty: a
//     database holding any upsync row is refused with what it holds, untouched.
//  3. In ONE PostgreSQL transaction: every table is copied with COPY, parents before the
//     tables whose foreign keys name them; the identity columns' sequences are moved past the
//     copied keys, so that new rows never collide; then every table is read back and compared
//     with the snapshot: its row count and a checksum of its rows (each row's values, NULL
//     kept apart from "", hashed with SHA-256 and summed, so that the order rows come in does
//     not matter). Any difference rolls the whole transaction back: the target is left empty.
//  4. The report names each table with its rows and checksum, and the change-feed positions
//     the snapshot held (each tenant's last sequence, each cursor's), now the target's.
//
// The document libraries' files and the token signing key stay where they are: with
// PostgreSQL, the data folder is the file store that every process shares (README, "Several
// servers and workers on PostgreSQL"), so after the move each process is started with the
// target's URL and the same data folder.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "core/status.h"
#include "store/storage.h"

namespace upsync {

struct TableMigration {
  std::string table;
  int64_t rows = 0;      // in the snapshot, and (verified) in the target
  std::string checksum;  // 32 hex digits: the sum of the rows' SHA-256 (their first 128 bits)
};

struct MigrationReport {
  std::string source;  // where the source database is (Storage::where)
  std::string target;  // the target's URL without its password
  int64_t schema_version = 0;
  std::vector<TableMigration> tables;             // in the order they were copied
  std::map<std::string, int64_t> feed_positions;  // DatabaseFacts::feed_positions
};

// Copies `source` (an SQLite storage) into the empty PostgreSQL database at `target_url`, as
// above. `scratch_dir` holds the snapshot while it is copied (the data folder: same disk, its
// owner's alone); it is removed whatever happens. InvalidArgument for a source that is not
// SQLite or a target that is not PostgreSQL, FailedPrecondition for a target that is not
// empty, DataLoss when the verification finds a difference (naming the table).
Result<MigrationReport> migrate_database(Storage& source, const std::string& target_url,
                                         const std::string& scratch_dir);

}  // namespace upsync
