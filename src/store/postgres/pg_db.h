// A thin RAII layer over libpq, used only inside the PostgreSQL backend: one connection, its
// prepared statements, its transactions, and COPY for bulk rows.
//
//   UPSYNC_ASSIGN_OR_RETURN(auto db, PgDb::connect("postgresql://upsync@db/upsync"));
//   UPSYNC_ASSIGN_OR_RETURN(PgResult r,
//                           db->query("SELECT id, name FROM tenants WHERE name = $1", {name}));
//   if (r.rows() == 0) return not_found(...);
//   const int64_t id = r.int64(0, 0);
//
//   Status s = db->in_transaction([&]() -> Status {
//     UPSYNC_RETURN_IF_ERROR(db->run("UPDATE ... WHERE id = $1", {id}).status());
//     return db->in_transaction([&] { ... });  // nested: a savepoint
//   });
//
// Rules of the layer:
//  - Every statement with parameters is prepared once per connection, cached by its SQL text
//    (the text is the key: build it from constants, never from values). Parameters travel as
//    text ($1, $2, ...; PgParam converts integers, booleans and strings, std::nullopt is NULL);
//    PostgreSQL casts them to the column's type, so write $1::bigint where it cannot infer it.
//  - Errors come back as Status with the server's message, primary and detail, plus `what`
//    context: unique_violation → AlreadyExists, serialization failure and deadlock → Aborted,
//    a lost connection or a server shutting down → Unavailable, a data error (bad number,
//    text too long, check constraint) → InvalidArgument, the rest → Internal. A password of
//    the connection URL never appears in a message.
//  - A failed statement inside a transaction aborts it in PostgreSQL (every later statement
//    fails until a rollback). To go on after an expected failure (a unique violation that the
//    caller turns into a message), run that statement in a nested in_transaction: its
//    savepoint is rolled back and the outer transaction carries on.
//  - in_transaction retries the whole outermost body (up to kTransactionAttempts times) when it
//    failed with a serialization failure or a deadlock, which PostgreSQL asks the client to
//    retry; a body must therefore be safe to run again (it only reads and writes the database
//    and assigns its results). Nested transactions never retry on their own.
//  - One PgDb is used by one thread at a time (a Store's connection).
#pragma once

#include <concepts>
#include <cstdint>
#include <functional>
#include <initializer_list>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "core/status.h"

struct pg_conn;
struct pg_result;

namespace upsync {

class PgDb;

// One query parameter, as the text PostgreSQL parses, or NULL.
class PgParam {
 public:
  PgParam(std::nullopt_t) {}  // NOLINT: implicit by design, NULL
  template <std::integral T>
  PgParam(T v)  // NOLINT: implicit by design
      : value_(std::same_as<T, bool> ? std::string(v ? "true" : "false") : std::to_string(v)) {}
  PgParam(std::string_view v) : value_(std::string(v)) {}      // NOLINT
  PgParam(const std::string& v) : value_(v) {}                 // NOLINT
  PgParam(std::string&& v) : value_(std::move(v)) {}           // NOLINT
  PgParam(const char* v) : value_(std::string(v)) {}           // NOLINT
  PgParam(const std::optional<std::string>& v) : value_(v) {}  // NOLINT: nullopt is NULL
  PgParam(double v);                                           // NOLINT: shortest round-trip text

  // A value in PostgreSQL's binary form of its type (pg_array.h's arrays), sent as such.
  static PgParam binary(std::string bytes) {
    PgParam p(std::move(bytes));
    p.binary_ = true;
    return p;
  }

  bool is_null() const { return !value_.has_value(); }
  bool is_binary() const { return binary_; }
  // The text PostgreSQL parses, or the binary form's bytes.
  const std::string& text() const { return *value_; }

 private:
  std::optional<std::string> value_;
  bool binary_ = false;
};

// An INSERT whose rows PgDb::insert_deferred gathers, sent as "INSERT INTO <table>
// (<columns>) SELECT * FROM unnest($1::<type>[], $2::<type>[], ...) <tail>": one array per
// column, `types` their types in the order of `columns` ("bigint, text"). Declare it once
// (static), as its address names the statement.
struct PgRowsInsert {
  std::string_view table;
  std::string_view columns;
  std::string_view types;
  std::string_view tail = {};  // e.g. "ON CONFLICT DO NOTHING"; never DO UPDATE (a row twice fails)
};

// The rows of one statement's answer (or the count of rows it changed). Columns are read by
// index; every value arrives as text and the typed readers parse it.
// Now by the database's clock, in ms since 1970 UTC: the one clock that processes on several
// machines share (leases compare against it). clock_timestamp(), not now(): a long
// transaction's renewals must see time move.
inline constexpr std::string_view kPgNowMs =
    "(extract(epoch from clock_timestamp()) * 1000)::bigint";

class PgResult {
 public:
  PgResult() = default;
  explicit PgResult(pg_result* r);
  ~PgResult();
  PgResult(PgResult&& o) noexcept;
  PgResult& operator=(PgResult&& o) noexcept;
  PgResult(const PgResult&) = delete;
  PgResult& operator=(const PgResult&) = delete;

  int rows() const;
  int columns() const;
  bool is_null(int row, int col) const;
  // The value as text; "" for NULL.
  std::string_view text(int row, int col) const;
  // NULL reads as 0 / false. A value that is not a number (a bug in the query) reads as 0.
  int64_t int64(int row, int col) const;
  bool boolean(int row, int col) const;  // PostgreSQL's 't' / 'f'
  double real(int row, int col) const;
  std::optional<std::string> optional_text(int row, int col) const;
  // Rows an INSERT, UPDATE, DELETE or COPY changed (PQcmdTuples), 0 for others.
  int64_t affected() const;

 private:
  friend class PgDb;
  pg_result* r_ = nullptr;
};

// Writes rows of a COPY ... FROM STDIN (text format) inside PgDb::copy_in. Values are escaped
// here; NULL is std::nullopt.
class PgCopyIn {
 public:
  Status row(std::span<const PgParam> fields);
  Status row(std::initializer_list<PgParam> fields) {
    return row(std::span<const PgParam>(fields.begin(), fields.size()));
  }
  int64_t rows() const { return rows_; }

 private:
  friend class PgDb;
  explicit PgCopyIn(PgDb& db) : db_(db) {}
  Status flush();
  PgDb& db_;
  std::string buffer_;  // sent in pieces of about kCopyChunk bytes
  int64_t rows_ = 0;
};

class PgDb {
 public:
  // Connects to `url` (postgresql://user:password@host:port/db?..., or libpq's key=value
  // form). `where` is the URL without its password, for messages.
  static Result<std::unique_ptr<PgDb>> connect(const std::string& url, std::string where);
  ~PgDb();
  PgDb(const PgDb&) = delete;
  PgDb& operator=(const PgDb&) = delete;

  // Runs one statement, prepared and cached by its SQL text; returns its rows.
  Result<PgResult> query(std::string_view sql, std::span<const PgParam> params);
  Result<PgResult> query(std::string_view sql, std::initializer_list<PgParam> params = {}) {
    return query(sql, std::span<const PgParam>(params.begin(), params.size()));
  }
  // Runs one statement and returns how many rows it changed.
  Result<int64_t> run(std::string_view sql, std::span<const PgParam> params);
  Result<int64_t> run(std::string_view sql, std::initializer_list<PgParam> params = {}) {
    return run(sql, std::span<const PgParam>(params.begin(), params.size()));
  }
  // Runs a write whose outcome the caller does not read (an INSERT of a change-feed entry):
  // inside a transaction it waits for the connection's next statement, and the writes
  // waiting go to the server with it, pipelined, in one round trip (a full sync writes a few
  // per user). A deferred write's failure is the failure of the statement or commit that
  // sends it, naming the write; a rollback discards what still waits. Outside a transaction
  // it runs at once.
  Status run_deferred(std::string_view sql, std::span<const PgParam> params);
  Status run_deferred(std::string_view sql, std::initializer_list<PgParam> params = {}) {
    return run_deferred(sql, std::span<const PgParam>(params.begin(), params.size()));
  }
  // One row of `into`, deferred as run_deferred() defers a statement; the rows deferred for
  // one PgRowsInsert go to the server as one statement, not one each (a full sync writes a few
  // rows of the people search index and the change feed per user, and each statement costs
  // the server more than its row). A row joins the rows of its statement deferred before it
  // unless a statement deferred since names its table (the name as a word of its SQL): it
  // may then reach the server before statements deferred ahead of it, never out of order with
  // a statement of its own table. So the table must have no trigger, and its foreign keys must
  // point only at rows no deferred statement writes (a tenant's). A failure names the
  // statement, as a deferred write's does.
  Status insert_deferred(const PgRowsInsert& into, std::span<const PgParam> row);
  Status insert_deferred(const PgRowsInsert& into, std::initializer_list<PgParam> row) {
    return insert_deferred(into, std::span<const PgParam>(row.begin(), row.size()));
  }
  // The first column of the first row as a number; NotFound naming `sql` when there is no row.
  Result<int64_t> query_int(std::string_view sql, std::initializer_list<PgParam> params = {});
  // Runs one or more statements separated by ';', without parameters or results (schema
  // scripts, SET, LOCK), through the simple protocol: nothing is prepared.
  Status exec(std::string_view sql);

  // Runs `body` in a transaction (READ COMMITTED); nested calls are savepoints. See the rules
  // at the top for retries. Ends a read snapshot first.
  Status in_transaction(const std::function<Status()>& body);
  // The same, without savepoints for the transactions nested inside (Store's bulk
  // transaction): a failed nested body fails the whole transaction.
  Status in_bulk_transaction(const std::function<Status()>& body);
  static constexpr int kTransactionAttempts = 5;
  // Depth of the transactions now open: 0 outside, 1 in the outermost.
  int transaction_depth() const { return depth_; }
  // Whether the transaction open is a bulk one (in_bulk_transaction): a failure fails it all.
  bool in_bulk_transaction() const { return depth_ > 0 && bulk_; }

  // Called before the outermost transaction commits (a failure rolls it back), and when it
  // has ended, committed or rolled back, with which; PgStore keeps per-transaction state
  // (sequence counters, caches) with them. One of each per connection.
  void set_before_commit(std::function<Status()> hook) { before_commit_ = std::move(hook); }
  void set_after_end(std::function<void(bool committed)> hook) { after_end_ = std::move(hook); }

  // A read snapshot: one REPEATABLE READ READ ONLY transaction, so that the reads until
  // end_snapshot() see one committed state. A statement that writes (any that does not begin
  // with SELECT), exec() and in_transaction() end it first, as in SqliteDb. Inside a
  // transaction or a snapshot begin_snapshot() does nothing. end_snapshot() sends the COMMIT
  // and does not wait for its answer, which the connection's next use reads first (see
  // pg_db.cpp).
  Status begin_snapshot();
  Status end_snapshot();
  bool in_snapshot() const { return snapshot_; }
  // Which snapshot this is: a new number at each begin_snapshot() that begins one, so that what
  // was read in one snapshot is told apart from what a later one would read.
  uint64_t snapshot_number() const { return snapshot_number_; }

  // COPY ... FROM STDIN: `copy_sql` is the COPY statement (text format), `fill` writes the
  // rows. Returns the count of rows copied. A failure of `fill` or of the server ends the
  // COPY with an error (nothing of it stays when it runs inside a transaction that fails).
  Result<int64_t> copy_in(std::string_view copy_sql, const std::function<Status(PgCopyIn&)>& fill);

  // How many times this connection has waited for the server (a statement, a script, a
  // pipeline of deferred writes, a COPY, a statement prepared): what a test counts to tell
  // what a read costs.
  uint64_t round_trips() const { return round_trips_; }

  // False once the connection is lost (the pool drops it rather than handing it out again).
  bool healthy() const;
  // The URL without its password.
  const std::string& where() const { return where_; }
  // The server's version number, e.g. 150020 for 15.20.
  int server_version() const;
  pg_conn* raw() const { return conn_; }

  // An error Status for the connection's last failure (PQerrorMessage), with `what` as context.
  Status error(std::string_view what) const;

  // The lease names (core/lease.h) whose session advisory lock this connection holds
  // (pg_leases.cpp): the lock lives as long as the session, whatever the transactions did.
  std::set<std::string, std::less<>>& lease_locks() { return lease_locks_; }

 private:
  friend class PgCopyIn;
  PgDb(pg_conn* conn, std::string where) : conn_(conn), where_(std::move(where)) {}
  Result<PgResult> execute(std::string_view sql, std::span<const PgParam> params);
  Result<const std::string*> prepared_name(std::string_view sql);
  // Sends the deferred writes (run_deferred), pipelined; the first failure among them.
  Status flush_deferred();
  struct Deferred;
  // The same, with `then` last in the same round trip: its result (rows counted as execute()
  // counts them), or the first failure.
  Result<PgResult> send_deferred(const Deferred* then);
  Status run_transaction(const std::function<Status()>& body, bool bulk);
  // Reads the answer of a snapshot's COMMIT sent by end_snapshot(), if one is unread: every
  // statement sent on the connection first calls it.
  Status read_commit();
  // In a bulk transaction: counts the rows `sql` inserted into its table, and refreshes that
  // table's statistics each time they have doubled (see pg_db.cpp).
  Status count_bulk_rows(std::string_view sql, int64_t rows);

  pg_conn* conn_;
  std::string where_;
  int depth_ = 0;
  bool bulk_ = false;
  // Per table, the rows the bulk transaction inserted so far, and the count at which its
  // statistics are next refreshed.
  struct BulkRows {
    int64_t inserted = 0;
    int64_t next_analyze = 0;
  };
  std::map<std::string, BulkRows, std::less<>> bulk_rows_;
  bool snapshot_ = false;
  uint64_t snapshot_number_ = 0;
  bool commit_unread_ = false;  // a snapshot's COMMIT was sent, its answer not read yet
  uint64_t round_trips_ = 0;
  std::function<Status()> before_commit_;
  std::function<void(bool)> after_end_;
  struct SqlHash {
    using is_transparent = void;
    size_t operator()(std::string_view sql) const { return std::hash<std::string_view>{}(sql); }
  };
  // SQL text → the name it was prepared under ("s1", "s2", ...).
  std::unordered_map<std::string, std::string, SqlHash, std::equal_to<>> prepared_;
  std::set<std::string, std::less<>> lease_locks_;
  // Writes waiting for the next statement (run_deferred): the prepared statement's SQL text
  // (a key of prepared_, which stays put) and name, and the parameters.
  // Rows of a PgRowsInsert (insert_deferred) have `rows_into` set, no sql or name until they
  // are sent, and their values in `params`, row after row.
  struct Deferred {
    const std::string* sql;
    const std::string* name;
    std::vector<PgParam> params;
    const PgRowsInsert* rows_into = nullptr;
    size_t rows = 0;
  };
  std::vector<Deferred> deferred_;
  // The entries of deferred_ holding rows of a PgRowsInsert that its next rows may still join
  // (no statement deferred after them names their table).
  std::vector<size_t> open_rows_;
  // Empties deferred_ (what it held is sent or discarded).
  void clear_deferred() {
    deferred_.clear();
    open_rows_.clear();
  }
  // Makes the rows of a PgRowsInsert entry a statement: its SQL, prepared, and one array
  // parameter per column.
  Status prepare_rows(Deferred& d);
  // The parameters as libpq takes them: each one's bytes (null for NULL), and, when one is
  // binary, their lengths and formats (nullptr otherwise: all text).
  struct LibpqParams {
    std::vector<const char*> values;
    std::vector<int> lengths, formats;
    int count() const { return static_cast<int>(values.size()); }
    const int* lengths_or_null() const { return lengths.empty() ? nullptr : lengths.data(); }
    const int* formats_or_null() const { return formats.empty() ? nullptr : formats.data(); }
  };
  static LibpqParams libpq_params(std::span<const PgParam> params);
};

// Maps a failed libpq result (its SQLSTATE and fields) to a Status; see the rules at the top.
Status pg_status(const pg_result* r, std::string_view what);

// Whether `s` came from a serialization failure or a deadlock (a transaction to retry).
bool is_retryable(const Status& s);

}  // namespace upsync
