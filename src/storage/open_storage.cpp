#include "storage/open_storage.h"

#include <string_view>

#include "store/postgres/pg_storage.h"
#include "store/sqlite/sqlite_storage.h"

namespace upsync {

namespace {

using OpenBackend = Result<std::unique_ptr<Storage>> (*)(std::string_view rest, bool create);

Result<std::unique_ptr<Storage>> open_sqlite(std::string_view rest, bool create) {
  return SqliteStorage::at_file(std::string(rest), create);
}

std::string without_password(std::string_view url);

// libpq reads both schemes, and the rest of the URL (user, password, host or ?host= socket
// folder, port, database, parameters) itself.
Result<std::unique_ptr<Storage>> open_postgres(std::string_view rest, bool create) {
  const std::string url = "postgresql:" + std::string(rest);
  if (rest.substr(0, 2) != "//") {
    return invalid_argument("storage '" + without_password(url) +
                            "': a PostgreSQL URL is postgresql://[user[:password]@][host][:port]"
                            "[/database][?parameters]");
  }
  return PostgresStorage::at_url(url, without_password(url), create);
}

// The backends, by URL scheme: adding one is one line here (and its folder under store/).
// `open` gets the URL after "scheme:"; nullptr is a backend this build does not have.
struct Backend {
  std::string_view scheme;
  std::string_view name;
  OpenBackend open;
};
constexpr Backend kBackends[] = {
    {"sqlite", "SQLite", &open_sqlite},
    {"postgresql", "PostgreSQL", &open_postgres},
    {"postgres", "PostgreSQL", &open_postgres},
};

// `url` with its password replaced by ***: the one of its user info
// (scheme://user:password@host/..., the last '@' ending it, as a password may hold an
// unescaped '@' or '/') and a password= parameter (libpq's ?password=...).
std::string without_password(std::string_view url) {
  std::string out(url);
  const size_t start = out.find("://");
  if (start != std::string::npos) {
    const size_t at = out.rfind('@');
    const size_t colon = out.find(':', start + 3);
    if (at != std::string::npos && at > start + 3 && colon < at) {
      out.replace(colon + 1, at - colon - 1, "***");
    }
  }
  for (size_t p = out.find("password="); p != std::string::npos; p = out.find("password=", p + 1)) {
    const size_t value = p + 9;
    const size_t end = out.find('&', value);
    out.replace(value, (end == std::string::npos ? out.size() : end) - value, "***");
  }
  return out;
}

std::string built_backends() {
  std::string out;
  for (const Backend& b : kBackends) {
    if (!b.open) continue;
    if (!out.empty()) out += ", ";
    out += std::string(b.scheme) + ":";
  }
  return out;
}

}  // namespace

Result<std::unique_ptr<Storage>> open_storage(const StorageOptions& options) {
  const std::string_view url = options.url;
  if (url.empty()) {
    if (options.data_dir.empty()) return invalid_argument("no data folder given");
    return SqliteStorage::in_folder(options.data_dir, options.create);
  }
  for (const Backend& b : kBackends) {
    if (url.size() <= b.scheme.size() || url.substr(0, b.scheme.size()) != b.scheme ||
        url[b.scheme.size()] != ':') {
      continue;
    }
    if (!b.open) {
      return failed_precondition("storage '" + without_password(url) + "': " + std::string(b.name) +
                                 " is not built into this version of upsync (it has " +
                                 built_backends() + " and data folders)");
    }
    return b.open(url.substr(b.scheme.size() + 1), options.create);
  }
  if (url.find("://") != std::string_view::npos) {
    return invalid_argument("storage '" + without_password(url) +
                            "': unknown kind of database (give a data folder, sqlite:PATH or "
                            "postgresql://...)");
  }
  // A plain path: a data folder, on the embedded default.
  return SqliteStorage::in_folder(options.url, options.create);
}

Result<std::unique_ptr<Store>> open_store(const StoreOptions& options) {
  UPSYNC_ASSIGN_OR_RETURN(
      auto storage,
      open_storage({.url = "", .data_dir = options.data_dir, .create = options.create}));
  return storage->connect();
}

}  // namespace upsync
