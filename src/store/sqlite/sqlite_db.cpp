#include "store/sqlite/sqlite_db.h"

#include <chrono>
#include <thread>

namespace upsync {

Status sqlite_status(int rc, std::string message) {
  switch (rc & 0xFF) {
    case SQLITE_OK:
      return Status::ok();
    case SQLITE_CORRUPT:
    case SQLITE_NOTADB:
      return data_loss(message + " (the database file is corrupt or not an upsync database)");
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
      return unavailable(message + " (the database is busy)");
    case SQLITE_CANTOPEN:
      return unavailable(message);
    case SQLITE_READONLY:
    case SQLITE_PERM:
    case SQLITE_AUTH:
      return permission_denied(message);
    case SQLITE_FULL:
      return unavailable(message + " (the disk is full)");
    case SQLITE_CONSTRAINT:
      return already_exists(message);
    default:
      return internal_error(message);
  }
}

SqliteStatement::~SqliteStatement() { sqlite3_finalize(stmt_); }

void SqliteStatement::reset_if_run() {
  if (ran_) {
    sqlite3_reset(stmt_);
    sqlite3_clear_bindings(stmt_);
    ran_ = false;
  }
}

void SqliteStatement::reset() {
  sqlite3_reset(stmt_);
  sqlite3_clear_bindings(stmt_);
  ran_ = false;
}

void SqliteStatement::bind(int index, int64_t value) {
  reset_if_run();
  sqlite3_bind_int64(stmt_, index, value);
}

void SqliteStatement::bind(int index, std::string_view text) {
  reset_if_run();
  sqlite3_bind_text(stmt_, index, text.data(), static_cast<int>(text.size()), SQLITE_TRANSIENT);
}

void SqliteStatement::bind_null(int index) {
  reset_if_run();
  sqlite3_bind_null(stmt_, index);
}

Result<bool> SqliteStatement::step() {
  if (owner_.in_snapshot() && !sqlite3_stmt_readonly(stmt_)) {
    UPSYNC_RETURN_IF_ERROR(owner_.end_snapshot());
  }
  ran_ = true;
  int rc = sqlite3_step(stmt_);
  if (rc == SQLITE_ROW) return true;
  if (rc == SQLITE_DONE) return false;
  Status s = sqlite_status(rc, std::string("SQLite: ") + sqlite3_errmsg(db_));
  sqlite3_reset(stmt_);
  return s;
}

Status SqliteStatement::each_row(const std::function<void()>& on_row) {
  while (true) {
    auto row = step();
    if (!row) {
      reset();
      return row.status();
    }
    if (!*row) break;
    on_row();
  }
  reset();
  return Status::ok();
}

Status SqliteStatement::run() {
  while (true) {
    UPSYNC_ASSIGN_OR_RETURN(bool row, step());
    if (!row) break;
  }
  sqlite3_reset(stmt_);
  ran_ = false;
  sqlite3_clear_bindings(stmt_);
  return Status::ok();
}

std::string_view SqliteStatement::column_text(int i) const {
  const auto* p = reinterpret_cast<const char*>(sqlite3_column_text(stmt_, i));
  if (!p) return {};
  return {p, static_cast<size_t>(sqlite3_column_bytes(stmt_, i))};
}

namespace {

// While another connection holds the write lock: retry every millisecond for up to 10 s.
// SQLite's own timeout handler backs off to 100 ms between tries, so a connection waiting
// behind a bulk job that commits batch after batch, with a short pause between them, would
// rarely try inside a pause; retrying this often, it gets its turn in the next one.
int retry_while_busy(void*, int tries) {
  constexpr int kTries = 10000;
  if (tries >= kTries) return 0;
  std::this_thread::sleep_for(std::chrono::milliseconds(1));
  return 1;
}

// SQLite counts the memory it allocates by default, under a process-wide mutex taken on every
// allocation; upsync never reads the counts. Set once, before the library initializes (it
// refuses once initialized, and then keeps counting: slower, not wrong).
void stop_memory_statistics() {
  static const bool once = [] {
    (void)sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
    return true;
  }();
  (void)once;
}

}  // namespace

Result<std::unique_ptr<SqliteDb>> SqliteDb::open(const std::string& path, bool create) {
  stop_memory_statistics();
  sqlite3* db = nullptr;
  int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX | (create ? SQLITE_OPEN_CREATE : 0);
  int rc = sqlite3_open_v2(path.c_str(), &db, flags, nullptr);
  if (rc != SQLITE_OK) {
    Status s = sqlite_status(
        rc, "opening " + path + ": " + (db ? sqlite3_errmsg(db) : sqlite3_errstr(rc)));
    sqlite3_close(db);
    return s;
  }
  sqlite3_extended_result_codes(db, 1);
  sqlite3_busy_handler(db, &retry_while_busy, nullptr);
  return std::unique_ptr<SqliteDb>(new SqliteDb(db));
}

SqliteDb::~SqliteDb() {
  cache_.clear();  // statements must be finalized before the connection closes
  sqlite3_close(db_);
}

Status SqliteDb::error(std::string_view what) const {
  return sqlite_status(sqlite3_errcode(db_),
                       std::string(what) + ": SQLite: " + sqlite3_errmsg(db_));
}

Result<SqliteStatement*> SqliteDb::prepare(std::string_view sql) {
  auto it = cache_.find(sql);
  if (it != cache_.end()) return it->second.get();
  sqlite3_stmt* stmt = nullptr;
  int rc = sqlite3_prepare_v3(db_, sql.data(), static_cast<int>(sql.size()),
                              SQLITE_PREPARE_PERSISTENT, &stmt, nullptr);
  if (rc != SQLITE_OK) return error("preparing statement");
  auto owned = std::make_unique<SqliteStatement>(*this, db_, stmt);
  SqliteStatement* raw = owned.get();
  cache_.emplace(std::string(sql), std::move(owned));
  return raw;
}

Status SqliteDb::begin_snapshot() {
  if (snapshot_ || !sqlite3_get_autocommit(db_)) return Status::ok();
  UPSYNC_ASSIGN_OR_RETURN(SqliteStatement * begin, prepare("BEGIN"));
  UPSYNC_RETURN_IF_ERROR(begin->run());
  snapshot_ = true;
  ++snapshot_serial_;
  return Status::ok();
}

Status SqliteDb::end_snapshot() {
  if (!snapshot_) return Status::ok();
  snapshot_ = false;
  UPSYNC_ASSIGN_OR_RETURN(SqliteStatement * commit, prepare("COMMIT"));
  Status s = commit->run();
  if (s.is_ok()) return s;
  // The transaction only read: rolling it back loses nothing and leaves the connection out
  // of it, as the next statement expects.
  if (!sqlite3_get_autocommit(db_)) sqlite3_exec(db_, "ROLLBACK", nullptr, nullptr, nullptr);
  return s.with_context("ending a read snapshot");
}

Status SqliteDb::exec(std::string_view sql) {
  UPSYNC_RETURN_IF_ERROR(end_snapshot());
  std::string s(sql);
  char* err = nullptr;
  int rc = sqlite3_exec(db_, s.c_str(), nullptr, nullptr, &err);
  if (rc != SQLITE_OK) {
    std::string m = err ? err : sqlite3_errstr(rc);
    sqlite3_free(err);
    return sqlite_status(rc, "SQLite: " + m);
  }
  return Status::ok();
}

Result<SqliteDb::LargerCache> SqliteDb::larger_cache(int64_t kib) {
  UPSYNC_ASSIGN_OR_RETURN(int64_t saved, query_int("PRAGMA cache_size"));
  // A negative size is in KiB, a positive one in pages: either is restored as it was.
  UPSYNC_ASSIGN_OR_RETURN(auto* set, prepare("PRAGMA cache_size = -" + std::to_string(kib)));
  UPSYNC_RETURN_IF_ERROR(set->run());
  return LargerCache(this, saved);
}

SqliteDb::LargerCache::~LargerCache() {
  if (!db_) return;
  // Best effort: the connection works with either cache size.
  (void)db_->exec("PRAGMA cache_size = " + std::to_string(saved_));
}

Result<int64_t> SqliteDb::query_int(std::string_view sql) {
  UPSYNC_ASSIGN_OR_RETURN(SqliteStatement * s, prepare(sql));
  UPSYNC_ASSIGN_OR_RETURN(bool row, s->step());
  int64_t v = row ? s->column_int(0) : 0;
  s->reset();
  return v;
}

}  // namespace upsync
