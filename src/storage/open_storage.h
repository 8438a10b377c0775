// open_storage(): the one place a storage backend is chosen, from a URL.
//
//   --db / UPSYNC_DB / StorageOptions::url      backend
//   (empty)                                     SQLite, <data folder>/upsync.db (the default)
//   /var/lib/upsync  (a path: a data folder)    SQLite, /var/lib/upsync/upsync.db
//   sqlite:/var/lib/upsync/upsync.db            SQLite, that database file
//   postgresql://user@host/db                   PostgreSQL: not built in this version (refused)
//
// Only this folder names the backends (one line each in open_storage.cpp); the rest of upsync
// sees store/storage.h and store/store.h.
#pragma once

#include <memory>
#include <string>

#include "core/status.h"
#include "store/storage.h"
#include "store/store.h"

namespace upsync {

struct StorageOptions {
  // Which database: see the table above. Empty: the data folder's.
  std::string url;
  // The data folder, whose database is used when `url` is empty.
  std::string data_dir;
  // Create the database (and its folder) on first connect when missing; otherwise a missing
  // database is NotFound on connect().
  bool create = true;
};

// Picks the backend from `options.url` and opens it; nothing is read or created before the
// first connect(). An unknown scheme, or a backend this build does not have, is refused with
// InvalidArgument / FailedPrecondition naming it (and never its password).
Result<std::unique_ptr<Storage>> open_storage(const StorageOptions& options);

struct StoreOptions {
  // The data folder: the SQLite database is <data_dir>/upsync.db.
  std::string data_dir;
  // Create the folder and database when missing; otherwise a missing database is NotFound.
  bool create = true;
};

// One Store on the data folder's database (open_storage, then connect()), applying pending
// schema migrations. A corrupt database or one written by a newer upsync is refused with
// DataLoss and left untouched. For tools and tests that need one connection.
Result<std::unique_ptr<Store>> open_store(const StoreOptions& options);

}  // namespace upsync
