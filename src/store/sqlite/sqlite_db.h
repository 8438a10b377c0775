// A thin RAII layer over the SQLite C API, used only inside the SQLite backend.
//
//   SqliteStatement& s = db.prepare("SELECT name FROM tenants WHERE id = ?");  // cached
//   s.bind(1, id);
//   while (true) { auto row = s.step(); if (!row) return row.status(); if (!*row) break; ... }
#pragma once

#include <sqlite3.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>

#include "core/status.h"

namespace upsync {

class SqliteDb;

class SqliteStatement {
 public:
  SqliteStatement(SqliteDb& owner, sqlite3* db, sqlite3_stmt* stmt)
      : owner_(owner), db_(db), stmt_(stmt) {}
  ~SqliteStatement();
  SqliteStatement(const SqliteStatement&) = delete;
  SqliteStatement& operator=(const SqliteStatement&) = delete;

  // Binding resets the statement first when it has run: a cached statement is reusable.
  void bind(int index, int64_t value);
  void bind(int index, std::string_view text);
  void bind_null(int index);

  // True when a row is ready, false when done. A statement that writes ends the connection's
  // read snapshot first (SqliteDb::begin_snapshot).
  Result<bool> step();
  // Runs to completion, ignoring rows.
  Status run();
  // Runs to completion, calling `on_row` at each row (read its columns there); reset after,
  // whether it ended or failed.
  Status each_row(const std::function<void()>& on_row);
  void reset();

  int64_t column_int(int i) const { return sqlite3_column_int64(stmt_, i); }
  bool column_is_null(int i) const { return sqlite3_column_type(stmt_, i) == SQLITE_NULL; }
  std::string_view column_text(int i) const;
  sqlite3_stmt* raw() const { return stmt_; }

 private:
  void reset_if_run();
  SqliteDb& owner_;
  sqlite3* db_;
  sqlite3_stmt* stmt_;
  bool ran_ = false;
};

class SqliteDb {
 public:
  // Opens `path`; `create` allows creating a new file.
  static Result<std::unique_ptr<SqliteDb>> open(const std::string& path, bool create);
  ~SqliteDb();

  // A prepared statement, cached by its SQL text for the life of the connection.
  Result<SqliteStatement*> prepare(std::string_view sql);
  // Runs one or more statements without results.
  Status exec(std::string_view sql);
  // Runs `sql` and returns the first column of its first row.
  Result<int64_t> query_int(std::string_view sql);

  int64_t changes() const { return sqlite3_changes64(db_); }

  // Raises the page cache to `kib` KiB until the returned guard goes (restoring the size it
  // had), for work that touches many pages: a write transaction whose dirty pages outgrow the
  // cache spills them to the WAL and reads them back. Durability settings stay as they are.
  class LargerCache {
   public:
    explicit LargerCache(SqliteDb* db, int64_t saved) : db_(db), saved_(saved) {}
    LargerCache(LargerCache&& o) noexcept : db_(std::exchange(o.db_, nullptr)), saved_(o.saved_) {}
    LargerCache(const LargerCache&) = delete;
    LargerCache& operator=(const LargerCache&) = delete;
    LargerCache& operator=(LargerCache&&) = delete;
    ~LargerCache();

   private:
    SqliteDb* db_;
    int64_t saved_;
  };
  Result<LargerCache> larger_cache(int64_t kib);

  // A read snapshot: one read transaction (BEGIN ... COMMIT), so that the reads until
  // end_snapshot() see one committed state and take SQLite's read lock (a lock on the WAL
  // index, fcntl calls) once rather than once per statement. A statement that writes, exec()
  // and a transaction begun with end_snapshot() first end it: from then on statements run
  // on their own again. begin_snapshot() inside a transaction or a snapshot does nothing.
  Status begin_snapshot();
  Status end_snapshot();
  bool in_snapshot() const { return snapshot_; }
  // Counts the snapshots begun: a number that names the current one.
  uint64_t snapshot_serial() const { return snapshot_serial_; }
  // Rows this connection has inserted, updated or deleted since it opened.
  int64_t total_changes() const { return sqlite3_total_changes64(db_); }
  sqlite3* raw() const { return db_; }

  // An error Status for the connection's last failure, with `what` as context.
  Status error(std::string_view what) const;

 private:
  explicit SqliteDb(sqlite3* db) : db_(db) {}
  sqlite3* db_;
  bool snapshot_ = false;
  uint64_t snapshot_serial_ = 0;
  // Looked up by the SQL text as given (no copy of it per lookup: a sync prepares several
  // statements per object).
  struct SqlHash {
    using is_transparent = void;
    size_t operator()(std::string_view sql) const { return std::hash<std::string_view>{}(sql); }
  };
  std::unordered_map<std::string, std::unique_ptr<SqliteStatement>, SqlHash, std::equal_to<>>
      cache_;
};

// Maps an SQLite result code to a Status (corruption → DataLoss, busy → Unavailable, ...).
Status sqlite_status(int rc, std::string message);

}  // namespace upsync
