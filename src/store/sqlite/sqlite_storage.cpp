#include "store/sqlite/sqlite_storage.h"

#include <filesystem>
#include <system_error>

#include "store/sqlite/sqlite_database_copy.h"
#include "store/sqlite/sqlite_store.h"

namespace upsync {

namespace fs = std::filesystem;

std::unique_ptr<Storage> SqliteStorage::in_folder(const std::string& folder, bool create) {
  return std::unique_ptr<Storage>(new SqliteStorage(
      (fs::path(folder) / "upsync.db").string(), folder,
      "no upsync data in '" + folder + "' (create a tenant first: upsync tenant create NAME)",
      create));
}

Result<std::unique_ptr<Storage>> SqliteStorage::at_file(const std::string& path, bool create) {
  if (path.empty()) return invalid_argument("sqlite: names no database file (sqlite:PATH)");
  std::error_code ec;
  if (fs::is_directory(path, ec)) {
    return invalid_argument("sqlite:" + path +
                            " is a folder; sqlite:PATH names the database file (or give the "
                            "data folder without sqlite:)");
  }
  return std::unique_ptr<Storage>(new SqliteStorage(
      path, fs::path(path).parent_path().string(),
      "no upsync database at '" + path + "' (create a tenant first: upsync tenant create NAME)",
      create));
}

Result<std::unique_ptr<Store>> SqliteStorage::connect() {
  std::error_code ec;
  if (!fs::exists(database_, ec)) {
    if (!create_) return not_found(missing_message_);
    if (!folder_.empty()) {
      fs::create_directories(folder_, ec);
      if (ec) return unavailable("cannot create data folder '" + folder_ + "': " + ec.message());
    }
  }
  UPSYNC_ASSIGN_OR_RETURN(auto store, SqliteStore::open(database_, create_));
  return std::unique_ptr<Store>(std::move(store));
}

Result<std::unique_ptr<DatabaseCopy>> SqliteStorage::database_copy() {
  return std::unique_ptr<DatabaseCopy>(new SqliteDatabaseCopy(database_));
}

}  // namespace upsync
