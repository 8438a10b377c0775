#include "store/sqlite/sqlite_database_copy.h"

#include <fcntl.h>
#include <sqlite3.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <vector>

#include "store/sqlite/sqlite_db.h"
#include "store/sqlite/sqlite_store.h"

namespace upsync {

namespace fs = std::filesystem;

namespace {

// A raw connection closed with its owner (the backup API works on sqlite3 handles).
struct Connection {
  sqlite3* db = nullptr;
  ~Connection() { sqlite3_close(db); }
};

Status open_connection(const std::string& path, int flags, Connection& c) {
  int rc = sqlite3_open_v2(path.c_str(), &c.db, flags | SQLITE_OPEN_NOMUTEX, nullptr);
  if (rc != SQLITE_OK) {
    return sqlite_status(
        rc, "opening " + path + ": " + (c.db ? sqlite3_errmsg(c.db) : sqlite3_errstr(rc)));
  }
  sqlite3_extended_result_codes(c.db, 1);
  // Writers of the live database hold its write lock for a batch at a time; the read
  // transaction the backup needs waits for nothing in WAL mode, but a checkpoint may.
  sqlite3_busy_timeout(c.db, 30000);
  return Status::ok();
}

// Every table's row count and the feed positions, read from `db` in one read transaction.
Result<DatabaseFacts> read_facts(SqliteDb& db) {
  DatabaseFacts facts;
  facts.backend = "sqlite";
  UPSYNC_RETURN_IF_ERROR(db.exec("BEGIN"));
  auto body = [&]() -> Status {
    UPSYNC_ASSIGN_OR_RETURN(facts.schema_version, db.query_int("PRAGMA user_version"));
    std::vector<std::string> tables;
    {
      UPSYNC_ASSIGN_OR_RETURN(
          auto* q, db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT "
                              "LIKE 'sqlite_%' ORDER BY name"));
      while (true) {
        UPSYNC_ASSIGN_OR_RETURN(bool row, q->step());
        if (!row) break;
        tables.emplace_back(q->column_text(0));
      }
    }
    for (const std::string& t : tables) {
      std::string quoted = "\"";
      for (char ch : t) quoted += ch == '"' ? std::string("\"\"") : std::string(1, ch);
      UPSYNC_ASSIGN_OR_RETURN(facts.table_rows[t],
                              db.query_int("SELECT count(*) FROM " + quoted + "\""));
    }
    UPSYNC_ASSIGN_OR_RETURN(auto* seqs, db.prepare("SELECT name, last_seq FROM tenants"));
    while (true) {
      UPSYNC_ASSIGN_OR_RETURN(bool row, seqs->step());
      if (!row) break;
      facts.feed_positions[std::string(seqs->column_text(0))] = seqs->column_int(1);
    }
    UPSYNC_ASSIGN_OR_RETURN(auto* cursors,
                            db.prepare("SELECT t.name, c.name, c.seq FROM feed_cursors c JOIN "
                                       "tenants t ON t.id = c.tenant_id"));
    while (true) {
      UPSYNC_ASSIGN_OR_RETURN(bool row, cursors->step());
      if (!row) break;
      facts.feed_positions[std::string(cursors->column_text(0)) + "/" +
                           std::string(cursors->column_text(1))] = cursors->column_int(2);
    }
    return Status::ok();
  };
  Status s = body();
  Status end = db.exec("COMMIT");
  if (!s.is_ok()) return s;
  UPSYNC_RETURN_IF_ERROR(end);
  return facts;
}

}  // namespace

int64_t SqliteDatabaseCopy::schema_version() const { return SqliteStore::current_schema_version(); }

Result<DatabaseFacts> SqliteDatabaseCopy::copy_to(const std::string& dest) {
  std::error_code ec;
  if (!fs::exists(database_, ec)) return not_found("no upsync database at '" + database_ + "'");
  // Created here, 0600 and exclusive, so that SQLite opens a file that is ours alone.
  int fd = ::open(dest.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0) {
    if (errno == EEXIST) return already_exists("'" + dest + "' exists; it is not overwritten");
    return unavailable("cannot create '" + dest + "': " + std::strerror(errno));
  }
  ::close(fd);
  Connection source, target;
  UPSYNC_RETURN_IF_ERROR(open_connection(database_, SQLITE_OPEN_READWRITE, source));
  {
    // A newer database is not copied as if this build understood it.
    sqlite3_stmt* st = nullptr;
    int64_t version = -1;
    if (sqlite3_prepare_v2(source.db, "PRAGMA user_version", -1, &st, nullptr) == SQLITE_OK &&
        sqlite3_step(st) == SQLITE_ROW) {
      version = sqlite3_column_int64(st, 0);
    }
    int rc = sqlite3_finalize(st);
    if (rc != SQLITE_OK)
      return sqlite_status(rc, "reading " + database_ + ": " + sqlite3_errmsg(source.db));
    if (version > schema_version()) {
      return data_loss(database_ + " has schema version " + std::to_string(version) +
                       ", newer than this upsync understands (" + std::to_string(schema_version()) +
                       ")");
    }
  }
  UPSYNC_RETURN_IF_ERROR(open_connection(dest, SQLITE_OPEN_READWRITE, target));
  sqlite3_backup* backup = sqlite3_backup_init(target.db, "main", source.db, "main");
  if (!backup) {
    return sqlite_status(sqlite3_errcode(target.db),
                         "starting the backup of " + database_ + ": " + sqlite3_errmsg(target.db));
  }
  int rc = SQLITE_OK;
  // -1: every page in this one step, under one read transaction (see the header).
  // BUSY comes back only after the source's busy timeout (30 s) ran out: a few more tries,
  // then the backup gives up rather than wait forever on a lock someone keeps.
  for (int tries = 0; tries < 10; ++tries) {
    rc = sqlite3_backup_step(backup, -1);
    if (rc != SQLITE_BUSY && rc != SQLITE_LOCKED && rc != SQLITE_OK) break;
    sqlite3_sleep(50);
  }
  int finish = sqlite3_backup_finish(backup);
  if (rc != SQLITE_DONE) {
    return sqlite_status(rc, "copying " + database_ + ": " + sqlite3_errstr(rc));
  }
  if (finish != SQLITE_OK) {
    return sqlite_status(finish, "copying " + database_ + ": " + sqlite3_errmsg(target.db));
  }
  char* err = nullptr;
  rc = sqlite3_exec(target.db, "PRAGMA journal_mode=DELETE", nullptr, nullptr, &err);
  if (rc != SQLITE_OK) {
    std::string m = err ? err : sqlite3_errstr(rc);
    sqlite3_free(err);
    return sqlite_status(rc, "finishing the copy " + dest + ": " + m);
  }
  sqlite3_close(target.db);
  target.db = nullptr;
  UPSYNC_ASSIGN_OR_RETURN(auto copy, SqliteDb::open(dest, false));
  return read_facts(*copy);
}

Result<DatabaseFacts> SqliteDatabaseCopy::check_copy(const std::string& copy) {
  UPSYNC_ASSIGN_OR_RETURN(auto db, SqliteDb::open(copy, false));
  UPSYNC_ASSIGN_OR_RETURN(auto* q, db->prepare("PRAGMA integrity_check(20)"));
  std::string problems;
  while (true) {
    auto row = q->step();
    if (!row) return row.status().with_context("checking the database copy");
    if (!*row) break;
    std::string_view line = q->column_text(0);
    if (line == "ok") continue;
    if (!problems.empty()) problems += "; ";
    problems += line;
  }
  q->reset();
  if (!problems.empty()) {
    return data_loss("the database copy fails SQLite's integrity check: " + problems);
  }
  UPSYNC_ASSIGN_OR_RETURN(DatabaseFacts facts, read_facts(*db));
  if (facts.schema_version > schema_version()) {
    return data_loss("the database copy has schema version " +
                     std::to_string(facts.schema_version) + ", newer than this upsync (" +
                     std::to_string(schema_version()) + "); restore it with a newer upsync");
  }
  return facts;
}

Status SqliteDatabaseCopy::install(const std::string& copy) {
  std::error_code ec;
  for (const char* suffix : {"", "-wal", "-shm", "-journal"}) {
    if (fs::exists(database_ + suffix, ec)) {
      return failed_precondition("'" + database_ + suffix +
                                 "' exists: a restore does not overwrite a database");
    }
  }
  fs::path folder = fs::path(database_).parent_path();
  if (!folder.empty()) {
    fs::create_directories(folder, ec);
    if (ec) return unavailable("cannot create '" + folder.string() + "': " + ec.message());
  }
  // link() refuses an existing target, where rename() would replace one that appeared since.
  if (::link(copy.c_str(), database_.c_str()) == 0) {
    ::unlink(copy.c_str());
    return Status::ok();
  }
  if (errno == EEXIST) {
    return failed_precondition("'" + database_ +
                               "' exists: a restore does not overwrite a database");
  }
  if (errno != EXDEV) {
    return unavailable("cannot put the database at '" + database_ + "': " + std::strerror(errno));
  }
  // Another file system: copy (the target must not exist: copy_options::none refuses).
  fs::copy_file(copy, database_, fs::copy_options::none, ec);
  if (ec) return unavailable("cannot copy the database to '" + database_ + "': " + ec.message());
  fs::permissions(database_, fs::perms::owner_read | fs::perms::owner_write, ec);
  ::unlink(copy.c_str());
  return Status::ok();
}

}  // namespace upsync
