// SqliteStorage: the embedded backend's Storage (store/storage.h): one SQLite database file
// in WAL mode, which every connection (a SqliteStore) opens for itself. Several threads and
// processes may connect at once; SQLite's locks take turns between their writers.
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "store/storage.h"

namespace upsync {

class SqliteStorage : public Storage {
 public:
  // The database of a data folder: <folder>/upsync.db.
  static std::unique_ptr<Storage> in_folder(const std::string& folder, bool create);
  // The database file `path` (the text after "sqlite:" in a storage URL).
  static Result<std::unique_ptr<Storage>> at_file(const std::string& path, bool create);

  std::string_view backend() const override { return "sqlite"; }
  std::string where() const override { return database_; }
  Result<std::unique_ptr<Store>> connect() override;
  Result<std::unique_ptr<DatabaseCopy>> database_copy() override;

 private:
  SqliteStorage(std::string database, std::string folder, std::string missing_message, bool create)
      : database_(std::move(database)),
        folder_(std::move(folder)),
        missing_message_(std::move(missing_message)),
        create_(create) {}

  std::string database_;         // the database file
  std::string folder_;           // the folder it is in, created with it
  std::string missing_message_;  // NotFound's message when it is missing and create_ is off
  bool create_;
};

}  // namespace upsync
