// Storage: the database a process works on, as its backend opened it. It hands out Stores,
// one per thread (store/store.h), and each Store hands out every other storage interface over
// its own connection. This is the plug a storage backend implements; see store/store.h for
// what a backend is made of, and storage/open_storage.h for choosing one from a URL.
//
//   UPSYNC_ASSIGN_OR_RETURN(auto storage, open_storage({.url =
//   "sqlite:/var/lib/upsync/upsync.db"})); UPSYNC_ASSIGN_OR_RETURN(auto store, storage->connect());
//   // on the thread that uses it
//
// The server and the workers keep one Storage for the process and connect() once per thread.
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "core/status.h"
#include "store/store.h"

namespace upsync {

class DatabaseCopy;  // backup/database_copy.h

class Storage {
 public:
  virtual ~Storage() = default;

  // The backend's name, e.g. "sqlite".
  virtual std::string_view backend() const = 0;
  // Where the data is, for messages: a file, or a URL without its password.
  virtual std::string where() const = 0;

  // A new connection to the data: a Store for the calling thread (a Store is used by one
  // thread at a time). Safe to call from any thread. The Store holds what it needs, so it
  // may outlive this Storage. With `create` off (StorageOptions), missing data is NotFound.
  virtual Result<std::unique_ptr<Store>> connect() = 0;

  // Copies of the whole database, for backup and restore (backup/database_copy.h). A backend
  // without them refuses with FailedPrecondition naming itself.
  virtual Result<std::unique_ptr<DatabaseCopy>> database_copy();
};

}  // namespace upsync
