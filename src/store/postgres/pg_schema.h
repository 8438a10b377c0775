// The PostgreSQL backend's schema and its versions.
//
// PostgreSQL has its own list of migrations (pg_schema.cpp): version 1 is the whole schema of
// SQLite's migrations 1-22 at once, and each later change is a new entry, as in SQLite (version 2
// is SQLite's 23-25: refresh tokens, property policies, audiences and hybrid settings; 3 is 26,
// leases; 4 is 27, the department in the people search; 5 is 28, people's privacy choices; 6
// and 7 are 29 and 30, the bulk import's multi-value arrays and ranges; 8 and 9 are PostgreSQL's
// own: foreign keys dropped from the tables a sync fills, and the change feed's runs). The
// version is the one row of upsync_schema_version. pg_migrate() runs when a Store connects:
//  - under a transaction-scoped advisory lock (kMigrationLock), so that processes connecting at
//    once take turns: the first migrates, the others then find the schema current;
//  - a database written by a newer upsync (a version above this build's), one whose version
//    row is missing or invalid, and one that holds tables but no upsync schema (another
//    application's) are refused with DataLoss, and nothing in them is changed;
//  - with `create` off, a database without upsync's schema is NotFound(`missing_message`).
// Tables live in the connection's current schema (search_path), so one database can hold
// several upsync stores in schemas of their own.
#pragma once

#include <cstdint>
#include <functional>
#include <string_view>

#include "core/status.h"
#include "store/postgres/pg_db.h"

namespace upsync {

// The schema version this build writes.
int pg_schema_version();

// The key of the advisory lock taken while the schema is checked and migrated.
inline constexpr int64_t kMigrationLock = 0x75707379'6e630001;  // "upsync" 1

// The first version whose people search tokens differ from the one before: a database
// migrated from an older one has its index rebuilt.
inline constexpr int64_t kPeopleSearchRetokenized = 4;

// `migrated`, when given, runs after the migrations, in their transaction, with the version
// the database had before (0 for a new one); not at all when the schema was current.
Status pg_migrate(PgDb& db, bool create, std::string_view missing_message,
                  const std::function<Status(int64_t from_version)>& migrated = {});

}  // namespace upsync
