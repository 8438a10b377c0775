// PgDatabaseCopy: DatabaseCopy (backup/database_copy.h) for the PostgreSQL backend, through
// PostgreSQL's own tools (Debian's postgresql-client): pg_dump writes the copy, pg_restore
// reads it back.
//
// The copy (copy_to) is one point in time while serve and workers keep writing: a REPEATABLE
// READ transaction exports its snapshot (pg_export_snapshot), the facts (every table's rows,
// the change-feed positions, the schema version) are read in it, and pg_dump --snapshot dumps
// exactly that snapshot, in its custom format (compressed, with a table of contents), of the
// connection's current schema only. The facts therefore describe the dump itself, not the live
// database a moment later.
//
// check_copy reads the dump without a server: `pg_restore --list` must read its table of
// contents, and its data (`pg_restore --data-only` to a pipe) is counted row by row per table,
// with the feed positions and the schema version taken from the rows of tenants,
// feed_cursors and upsync_schema_version. A dump with a schema newer than this build's is
// refused.
//
// install restores into the target database's current schema, which must be the dump's and
// empty: tables holding rows are refused (FailedPrecondition, naming one), the empty tables
// of a schema that `restore` just created are dropped, and pg_restore runs in one transaction
// (--single-transaction --exit-on-error): a failed restore leaves no table of the dump.
//
// The password never reaches the tools' command lines (any user can read those): they get
// the URL's other parameters as a connection string and the password in PGPASSWORD.
#pragma once

#include <string>

#include "backup/database_copy.h"

namespace upsync {

class PgDatabaseCopy : public DatabaseCopy {
 public:
  // `url` the whole URL (postgresql://...), `where` the same without its password.
  PgDatabaseCopy(std::string url, std::string where)
      : url_(std::move(url)), where_(std::move(where)) {}

  int64_t schema_version() const override;
  Result<DatabaseFacts> copy_to(const std::string& dest) override;
  Result<DatabaseFacts> check_copy(const std::string& copy) override;
  Status install(const std::string& copy) override;

 private:
  std::string url_;
  std::string where_;
};

}  // namespace upsync
