#include "storage/migrate.h"

#include <openssl/evp.h>
#include <unistd.h>

#include <array>
#include <cstdio>
#include <filesystem>
#include <map>
#include <optional>
#include <set>

#include "backup/database_copy.h"
#include "storage/open_storage.h"
#include "store/postgres/pg_db.h"
#include "store/sqlite/sqlite_db.h"

namespace upsync {

namespace {

namespace fs = std::filesystem;

// Rows read from PostgreSQL at a time while the copy is verified.
constexpr int kFetchRows = 5000;

std::string sql_name(std::string_view name) {
  std::string out = "\"";
  for (char c : name) {
    if (c == '"') out += '"';
    out += c;
  }
  return out + "\"";
}

// The checksum of a table: each row's canonical text (every value as its length and bytes,
// NULL as -1, so that NULL, "" and any value are told apart and no value can run into the
// next) hashed with SHA-256; the first 128 bits of the digests summed modulo 2^128.
class TableSum {
 public:
  void add_value(std::optional<std::string_view> v) {
    if (!v) {
      row_ += "-1:";
      return;
    }
    row_ += std::to_string(v->size());
    row_ += ':';
    row_.append(v->data(), v->size());
  }
  void end_row() {
    std::array<unsigned char, EVP_MAX_MD_SIZE> md{};
    unsigned int len = 0;
    EVP_Digest(row_.data(), row_.size(), md.data(), &len, EVP_sha256(), nullptr);
    uint64_t hi = 0, lo = 0;
    for (int i = 0; i < 8; ++i) hi = (hi << 8) | md[i];
    for (int i = 8; i < 16; ++i) lo = (lo << 8) | md[i];
    const uint64_t before = lo_;
    lo_ += lo;
    hi_ += hi + (lo_ < before ? 1 : 0);
    ++rows_;
    row_.clear();
  }
  int64_t rows() const { return rows_; }
  std::string hex() const {
    char buf[33];
    std::snprintf(buf, sizeof buf, "%016llx%016llx", static_cast<unsigned long long>(hi_),
                  static_cast<unsigned long long>(lo_));
    return buf;
  }

 private:
  std::string row_;
  uint64_t hi_ = 0, lo_ = 0;
  int64_t rows_ = 0;
};

struct Table {
  std::string name;
  std::vector<std::string> columns;  // as the source has them, in order
};

// The source's tables (not SQLite's own), with their columns.
Result<std::vector<Table>> source_tables(SqliteDb& db) {
  UPSYNC_ASSIGN_OR_RETURN(
      SqliteStatement * s,
      db.prepare("SELECT m.name, c.name FROM sqlite_master m, pragma_table_info(m.name) c "
                 "WHERE m.type = 'table' AND m.name NOT LIKE 'sqlite_%' ORDER BY m.name, c.cid"));
  std::vector<Table> out;
  while (true) {
    UPSYNC_ASSIGN_OR_RETURN(bool row, s->step());
    if (!row) break;
    const std::string table(s->column_text(0));
    if (out.empty() || out.back().name != table) out.push_back({table, {}});
    out.back().columns.emplace_back(s->column_text(1));
  }
  s->reset();
  return out;
}

// `tables` ordered so that a table comes after every table its foreign keys name (in the
// target, which is the one that checks them).
Result<std::vector<Table>> parents_first(PgDb& db, std::vector<Table> tables) {
  UPSYNC_ASSIGN_OR_RETURN(PgResult fks,
                          db.query("SELECT c.conrelid::regclass::text, c.confrelid::regclass::text "
                                   "FROM pg_constraint c WHERE c.contype = 'f'"));
  std::map<std::string, std::set<std::string>> parents;
  for (int i = 0; i < fks.rows(); ++i) {
    std::string child(fks.text(i, 0)), parent(fks.text(i, 1));
    if (child != parent) parents[child].insert(parent);
  }
  std::vector<Table> out;
  std::set<std::string> placed;
  while (!tables.empty()) {
    bool moved = false;
    for (auto it = tables.begin(); it != tables.end();) {
      bool ready = true;
      for (const std::string& p : parents[it->name]) ready = ready && placed.contains(p);
      if (!ready) {
        ++it;
        continue;
      }
      placed.insert(it->name);
      out.push_back(std::move(*it));
      it = tables.erase(it);
      moved = true;
    }
    if (!moved) {
      return internal_error("the target's foreign keys form a cycle through table " +
                            tables.front().name + ": no order to copy its tables in");
    }
  }
  return out;
}

// Refused unless every upsync table of the target is empty, those without a SQLite
// counterpart too (change_feed_runs); names what it holds.
Status require_empty(PgDb& db, const std::string& where) {
  UPSYNC_ASSIGN_OR_RETURN(PgResult tables,
                          db.query("SELECT tablename FROM pg_tables WHERE schemaname = "
                                   "current_schema() AND tablename <> 'upsync_schema_version' "
                                   "ORDER BY tablename"));
  std::string held;
  for (int i = 0; i < tables.rows(); ++i) {
    const std::string name(tables.text(i, 0));
    UPSYNC_ASSIGN_OR_RETURN(int64_t n, db.query_int("SELECT count(*) FROM " + sql_name(name)));
    if (n == 0) continue;
    held += (held.empty() ? "" : ", ") + name + " " + std::to_string(n);
  }
  if (held.empty()) return Status::ok();
  return failed_precondition("the target database " + where + " is not empty (rows: " + held +
                             "); upsync migrate copies into an empty database only, and " +
                             "left this one as it was");
}

Result<TableSum> copy_table(SqliteDb& from, PgDb& to, const Table& t) {
  std::string cols;
  for (const std::string& c : t.columns) cols += (cols.empty() ? "" : ", ") + sql_name(c);
  UPSYNC_ASSIGN_OR_RETURN(SqliteStatement * s,
                          from.prepare("SELECT " + cols + " FROM " + sql_name(t.name)));
  TableSum sum;
  std::vector<PgParam> row;
  auto copied = to.copy_in("COPY " + sql_name(t.name) + " (" + cols + ") FROM STDIN",
                           [&](PgCopyIn& in) -> Status {
                             while (true) {
                               UPSYNC_ASSIGN_OR_RETURN(bool more, s->step());
                               if (!more) return Status::ok();
                               row.clear();
                               for (size_t i = 0; i < t.columns.size(); ++i) {
                                 const int col = static_cast<int>(i);
                                 if (s->column_is_null(col)) {
                                   sum.add_value(std::nullopt);
                                   row.emplace_back(std::nullopt);
                                 } else {
                                   const std::string_view v = s->column_text(col);
                                   sum.add_value(v);
                                   row.emplace_back(v);
                                 }
                               }
                               sum.end_row();
                               UPSYNC_RETURN_IF_ERROR(in.row(row));
                             }
                           });
  s->reset();
  if (!copied) return copied.status().with_context("copying table " + t.name);
  if (*copied != sum.rows()) {
    return data_loss("copying table " + t.name + ": " + std::to_string(sum.rows()) +
                     " rows read, " + std::to_string(*copied) + " written");
  }
  return sum;
}

// The table as the target holds it now (inside the copy's transaction), read with a cursor.
Result<TableSum> target_sum(PgDb& db, const Table& t) {
  std::string cols;
  for (const std::string& c : t.columns) cols += (cols.empty() ? "" : ", ") + sql_name(c);
  UPSYNC_RETURN_IF_ERROR(db.exec("DECLARE upsync_migrate_check NO SCROLL CURSOR FOR SELECT " +
                                 cols + " FROM " + sql_name(t.name)));
  TableSum sum;
  while (true) {
    UPSYNC_ASSIGN_OR_RETURN(PgResult r, db.query("FETCH FORWARD " + std::to_string(kFetchRows) +
                                                 " FROM upsync_migrate_check"));
    for (int i = 0; i < r.rows(); ++i) {
      for (int c = 0; c < r.columns(); ++c) {
        if (r.is_null(i, c)) {
          sum.add_value(std::nullopt);
        } else {
          sum.add_value(r.text(i, c));
        }
      }
      sum.end_row();
    }
    if (r.rows() < kFetchRows) break;
  }
  UPSYNC_RETURN_IF_ERROR(db.exec("CLOSE upsync_migrate_check"));
  return sum;
}

// Moves each identity column's sequence past the largest key copied into it.
Status advance_identities(PgDb& db) {
  UPSYNC_ASSIGN_OR_RETURN(
      PgResult ids, db.query("SELECT table_name, column_name FROM information_schema.columns "
                             "WHERE table_schema = current_schema() AND is_identity = 'YES'"));
  for (int i = 0; i < ids.rows(); ++i) {
    const std::string table(ids.text(i, 0)), column(ids.text(i, 1));
    UPSYNC_RETURN_IF_ERROR(
        db.query("SELECT setval(pg_get_serial_sequence($1, $2), COALESCE((SELECT max(" +
                     sql_name(column) + ") FROM " + sql_name(table) + "), 0) + 1, false)",
                 {sql_name(table), column})
            .status()
            .with_context("moving the identity of " + table + "." + column));
  }
  return Status::ok();
}

// The snapshot's file and its journal files, removed when this goes.
struct Scratch {
  std::string path;
  ~Scratch() {
    std::error_code ec;
    for (const char* suffix : {"", "-wal", "-shm", "-journal"}) fs::remove(path + suffix, ec);
  }
};

}  // namespace

Result<MigrationReport> migrate_database(Storage& source, const std::string& target_url,
                                         const std::string& scratch_dir) {
  if (source.backend() != "sqlite") {
    return invalid_argument("upsync migrate moves an embedded (SQLite) database; " +
                            source.where() + " is " + std::string(source.backend()));
  }
  UPSYNC_ASSIGN_OR_RETURN(auto target,
                          open_storage({.url = target_url, .data_dir = "", .create = true}));
  if (target->backend() != "postgresql") {
    return invalid_argument("upsync migrate --to takes a PostgreSQL URL (postgresql://...); " +
                            target->where() + " is " + std::string(target->backend()));
  }
  MigrationReport report;
  report.source = source.where();
  report.target = target->where();
  // Both at this build's schema: the source by its own migrations, the target created (or
  // refused, when it holds another application's tables or a newer schema).
  UPSYNC_RETURN_IF_ERROR(source.connect().status());
  UPSYNC_RETURN_IF_ERROR(target->connect().status());

  UPSYNC_ASSIGN_OR_RETURN(auto copier, source.database_copy());
  Scratch scratch{
      (fs::path(scratch_dir) / (".migrate-" + std::to_string(getpid()) + ".db")).string()};
  UPSYNC_ASSIGN_OR_RETURN(DatabaseFacts facts, copier->copy_to(scratch.path));
  report.schema_version = facts.schema_version;
  report.feed_positions = facts.feed_positions;

  UPSYNC_ASSIGN_OR_RETURN(auto snapshot, SqliteDb::open(scratch.path, false));
  UPSYNC_ASSIGN_OR_RETURN(auto db, PgDb::connect(target_url, target->where()));
  UPSYNC_ASSIGN_OR_RETURN(std::vector<Table> tables, source_tables(*snapshot));
  UPSYNC_ASSIGN_OR_RETURN(tables, parents_first(*db, std::move(tables)));

  Status done = db->in_bulk_transaction([&]() -> Status {
    report.tables.clear();  // a retried transaction starts again
    // No other process writes the target meanwhile (a serve started early would see an empty
    // database, then half a copy).
    std::string names;
    for (const Table& t : tables) names += (names.empty() ? "" : ", ") + sql_name(t.name);
    UPSYNC_RETURN_IF_ERROR(db->exec("LOCK TABLE " + names + " IN EXCLUSIVE MODE"));
    UPSYNC_RETURN_IF_ERROR(require_empty(*db, target->where()));
    std::vector<TableSum> sums;
    for (const Table& t : tables) {
      UPSYNC_ASSIGN_OR_RETURN(TableSum sum, copy_table(*snapshot, *db, t));
      auto counted = facts.table_rows.find(t.name);
      if (counted != facts.table_rows.end() && counted->second != sum.rows()) {
        return data_loss("table " + t.name + ": the snapshot counted " +
                         std::to_string(counted->second) + " rows, " + std::to_string(sum.rows()) +
                         " were read from it");
      }
      sums.push_back(std::move(sum));
    }
    UPSYNC_RETURN_IF_ERROR(advance_identities(*db));
    // Read back what the target will commit, and compare it with what was read.
    for (size_t i = 0; i < tables.size(); ++i) {
      UPSYNC_ASSIGN_OR_RETURN(TableSum there, target_sum(*db, tables[i]));
      if (there.rows() != sums[i].rows() || there.hex() != sums[i].hex()) {
        return data_loss("the copy of table " + tables[i].name + " differs from the source: " +
                         std::to_string(sums[i].rows()) + " rows, checksum " + sums[i].hex() +
                         " in the source; " + std::to_string(there.rows()) + " rows, checksum " +
                         there.hex() + " in " + target->where() + "; nothing was committed");
      }
      report.tables.push_back({tables[i].name, sums[i].rows(), sums[i].hex()});
    }
    return Status::ok();
  });
  if (!done.is_ok()) return done;
  // The planner's statistics of the copied tables: without them, the first queries of the
  // servers started on the new database would be planned as for empty tables until
  // autovacuum's next round (a sequential scan for a lookup by key).
  UPSYNC_RETURN_IF_ERROR(db->exec("ANALYZE").with_context("analyzing the copied tables"));
  return report;
}

}  // namespace upsync
