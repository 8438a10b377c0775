#include "store/postgres/pg_db.h"

#include <libpq-fe.h>

#include <cctype>
#include <charconv>
#include <chrono>
#include <cstring>
#include <random>
#include <thread>

namespace upsync {

namespace {

// COPY data goes to the server in pieces of about this many bytes.
constexpr size_t kCopyChunk = 256 * 1024;

// A table's statistics are first refreshed after a bulk transaction inserted this many rows
// into it, then each time they have doubled (PgDb::count_bulk_rows); each ANALYZE waits this
// long for its locks.
constexpr int64_t kFirstBulkAnalyze = 1000;
constexpr std::string_view kAnalyzeLockWait = "200ms";

std::string trimmed(std::string_view s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) s.remove_suffix(1);
  return std::string(s);
}

// SQL that only reads: what may run inside a read snapshot (READ ONLY) without ending it.
bool reads_only(std::string_view sql) {
  while (!sql.empty() && (sql.front() == ' ' || sql.front() == '\n' || sql.front() == '(')) {
    sql.remove_prefix(1);
  }
  if (sql.size() < 6) return false;
  for (size_t i = 0; i < 6; ++i) {
    if ((sql[i] | 0x20) != "select"[i]) return false;
  }
  // SELECT ... FOR UPDATE takes row locks, which a read-only transaction refuses.
  return sql.find(" FOR UPDATE") == std::string_view::npos &&
         sql.find(" FOR NO KEY UPDATE") == std::string_view::npos &&
         sql.find(" FOR SHARE") == std::string_view::npos;
}

void ignore_notice(void*, const char*) {}

// Escapes one value for COPY's text format.
void append_copy_field(std::string& out, const PgParam& p) {
  if (p.is_null()) {
    out += "\\N";
    return;
  }
  for (char c : p.text()) {
    switch (c) {
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\t':
        out += "\\t";
        break;
      default:
        out += c;
    }
  }
}

}  // namespace

// ---- PgParam ----

PgParam::PgParam(double v) {
  char buf[64];
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, v);
  value_ = std::string(buf, ec == std::errc() ? end : buf);
}

// ---- PgResult ----

PgResult::PgResult(pg_result* r) : r_(r) {}
PgResult::~PgResult() {
  if (r_) PQclear(r_);
}
PgResult::PgResult(PgResult&& o) noexcept : r_(std::exchange(o.r_, nullptr)) {}
PgResult& PgResult::operator=(PgResult&& o) noexcept {
  if (this != &o) {
    if (r_) PQclear(r_);
    r_ = std::exchange(o.r_, nullptr);
  }
  return *this;
}

int PgResult::rows() const { return r_ ? PQntuples(r_) : 0; }
int PgResult::columns() const { return r_ ? PQnfields(r_) : 0; }
bool PgResult::is_null(int row, int col) const { return PQgetisnull(r_, row, col) != 0; }

std::string_view PgResult::text(int row, int col) const {
  return std::string_view(PQgetvalue(r_, row, col), static_cast<size_t>(PQgetlength(r_, row, col)));
}

int64_t PgResult::int64(int row, int col) const {
  const std::string_view t = text(row, col);
  int64_t v = 0;
  std::from_chars(t.data(), t.data() + t.size(), v);
  return v;
}

bool PgResult::boolean(int row, int col) const {
  const std::string_view t = text(row, col);
  return !t.empty() && (t[0] == 't' || t[0] == '1');
}

double PgResult::real(int row, int col) const {
  const std::string_view t = text(row, col);
  double v = 0;
  std::from_chars(t.data(), t.data() + t.size(), v);
  return v;
}

std::optional<std::string> PgResult::optional_text(int row, int col) const {
  if (is_null(row, col)) return std::nullopt;
  return std::string(text(row, col));
}

int64_t PgResult::affected() const {
  if (!r_) return 0;
  const char* n = PQcmdTuples(r_);
  int64_t v = 0;
  std::from_chars(n, n + std::strlen(n), v);
  return v;
}

// ---- errors ----

Status pg_status(const pg_result* r, std::string_view what) {
  auto field = [&](int code) -> std::string_view {
    const char* v = r ? PQresultErrorField(r, code) : nullptr;
    return v ? std::string_view(v) : std::string_view();
  };
  const std::string_view state = field(PG_DIAG_SQLSTATE);
  std::string message(field(PG_DIAG_MESSAGE_PRIMARY));
  if (message.empty() && r) message = trimmed(PQresultErrorMessage(r));
  if (message.empty()) message = "no answer from the server";
  if (const std::string_view detail = field(PG_DIAG_MESSAGE_DETAIL); !detail.empty()) {
    message += " (" + std::string(detail) + ")";
  }
  std::string m = what.empty() ? message : std::string(what) + ": " + message;
  const std::string_view cls = state.substr(0, std::min<size_t>(2, state.size()));
  if (state == "23505") return already_exists(std::move(m));
  if (state == "40001" || state == "40P01" || state == "55P03") return aborted(std::move(m));
  if (cls == "08" || cls == "53" || cls == "57") return unavailable(std::move(m));
  if (cls == "22" || cls == "23") return invalid_argument(std::move(m));
  return internal_error("PostgreSQL: " + m);
}

bool is_retryable(const Status& s) { return s.code() == StatusCode::kAborted; }

Status PgDb::error(std::string_view what) const {
  std::string message = trimmed(PQerrorMessage(conn_));
  if (message.empty()) message = "unknown libpq failure";
  std::string m = std::string(what) + ": " + message;
  if (PQstatus(conn_) != CONNECTION_OK) {
    return unavailable(m + " (the connection to " + where_ + " is lost)");
  }
  return internal_error("PostgreSQL: " + m);
}

// ---- PgDb ----

Result<std::unique_ptr<PgDb>> PgDb::connect(const std::string& url, std::string where) {
  pg_conn* conn = PQconnectdb(url.c_str());
  if (!conn) return unavailable("cannot connect to PostgreSQL at " + where + ": out of memory");
  if (PQstatus(conn) != CONNECTION_OK) {
    std::string message = trimmed(PQerrorMessage(conn));
    PQfinish(conn);
    return unavailable("cannot connect to PostgreSQL at " + where + ": " + message);
  }
  // Notices (e.g. "relation already exists, skipping") are not errors; keep stderr quiet.
  PQsetNoticeProcessor(conn, &ignore_notice, nullptr);
  auto db = std::unique_ptr<PgDb>(new PgDb(conn, std::move(where)));
  // No JIT compilation: upsync's statements are short, and a plan the optimizer costs high (a
  // recursive walk of a group's members, an array of a few thousand keys) would spend tens of
  // milliseconds compiling what runs in a few (a group's closure: 120 ms with JIT, 8 without).
  UPSYNC_RETURN_IF_ERROR(db->exec("SET client_min_messages = warning; SET jit = off"));
  return db;
}

PgDb::~PgDb() { PQfinish(conn_); }

bool PgDb::healthy() const {
  // (A snapshot's COMMIT still unanswered is the one statement that may be under way.)
  return PQstatus(conn_) == CONNECTION_OK &&
         (PQtransactionStatus(conn_) == PQTRANS_IDLE ||
          (commit_unread_ && PQtransactionStatus(conn_) == PQTRANS_ACTIVE));
}

int PgDb::server_version() const { return PQserverVersion(conn_); }

Result<const std::string*> PgDb::prepared_name(std::string_view sql) {
  if (auto it = prepared_.find(sql); it != prepared_.end()) return &it->second;
  UPSYNC_RETURN_IF_ERROR(read_commit());
  std::string name = "s" + std::to_string(prepared_.size() + 1);
  ++round_trips_;
  PgResult r(PQprepare(conn_, name.c_str(), std::string(sql).c_str(), 0, nullptr));
  if (PQresultStatus(r.r_) != PGRES_COMMAND_OK) {
    if (PQstatus(conn_) != CONNECTION_OK) return error("preparing a statement");
    return pg_status(r.r_, "preparing '" + std::string(sql.substr(0, 120)) + "'");
  }
  auto [it, inserted] = prepared_.emplace(std::string(sql), std::move(name));
  return &it->second;
}

PgDb::LibpqParams PgDb::libpq_params(std::span<const PgParam> params) {
  LibpqParams out;
  out.values.resize(params.size());
  bool binary = false;
  for (size_t i = 0; i < params.size(); ++i) {
    out.values[i] = params[i].is_null() ? nullptr : params[i].text().c_str();
    binary = binary || params[i].is_binary();
  }
  if (binary) {
    out.lengths.resize(params.size());
    out.formats.resize(params.size());
    for (size_t i = 0; i < params.size(); ++i) {
      out.lengths[i] = params[i].is_null() ? 0 : static_cast<int>(params[i].text().size());
      out.formats[i] = params[i].is_binary() ? 1 : 0;
    }
  }
  return out;
}

Result<PgResult> PgDb::execute(std::string_view sql, std::span<const PgParam> params) {
  if (snapshot_ && !reads_only(sql)) UPSYNC_RETURN_IF_ERROR(end_snapshot());
  UPSYNC_ASSIGN_OR_RETURN(const std::string* name, prepared_name(sql));
  if (!deferred_.empty()) {
    // The writes waiting go first, in the same round trip.
    const Deferred now{&prepared_.find(sql)->first, name,
                       std::vector<PgParam>(params.begin(), params.end())};
    return send_deferred(&now);
  }
  UPSYNC_RETURN_IF_ERROR(read_commit());
  const LibpqParams values = libpq_params(params);
  ++round_trips_;
  PgResult r(PQexecPrepared(conn_, name->c_str(), values.count(), values.values.data(),
                            values.lengths_or_null(), values.formats_or_null(), 0));
  const ExecStatusType st = PQresultStatus(r.r_);
  // (An INSERT ... RETURNING answers rows: it counts too.)
  if ((st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK) && bulk_) {
    UPSYNC_RETURN_IF_ERROR(count_bulk_rows(sql, r.affected()));
  }
  if (st == PGRES_TUPLES_OK || st == PGRES_COMMAND_OK) return r;
  if (!r.r_ || PQstatus(conn_) != CONNECTION_OK) return error("running a statement");
  return pg_status(r.r_, "");
}

namespace {

// The table an INSERT statement writes ("INSERT INTO name ..."), or "" for any other.
std::string_view inserted_table(std::string_view sql) {
  while (!sql.empty() && (sql.front() == ' ' || sql.front() == '\n')) sql.remove_prefix(1);
  constexpr std::string_view kInsert = "INSERT INTO ";
  if (!sql.starts_with(kInsert)) return {};
  sql.remove_prefix(kInsert.size());
  size_t n = 0;
  while (n < sql.size() && (std::isalnum(static_cast<unsigned char>(sql[n])) || sql[n] == '_')) {
    ++n;
  }
  return sql.substr(0, n);
}

}  // namespace

// A bulk transaction (a full sync) grows tables from nothing to many rows, and the planner
// knows only the statistics of the last ANALYZE, which cannot see rows not yet committed:
// with none, it plans a lookup by a unique key as a scan of what it takes for a table of a
// few rows, and a prepared statement keeps that plan while the table grows. A full sync of
// 8,000 users spent 27 s so, and one of 100,000 users nearly 4 minutes, growing with the
// square of the users. ANALYZE in the transaction does count its own rows (and a changed
// table's plans are made again); run for a table each time the rows this transaction
// inserted into it have doubled, it costs a few samplings of each growing table in all. It
// holds the table's ShareUpdateExclusiveLock to the end of the transaction, so it waits at
// most kAnalyzeLockWait for another transaction's (another process's bulk transaction) and
// is skipped, in a savepoint, when it cannot have it. It samples with a statistics target of
// 10 (3,000 rows, not 30,000): what the plans of a growing table need is its size, and the
// full sync of 100,000 users spent 2.24 s of the server's time in its 50 ANALYZEs with the
// default target, 0.35 s with 10. Their coarser statistics last until autovacuum analyzes
// the table after the commit, at its own target: the server counts every row the
// transaction inserted as changed since the last ANALYZE, which is over its threshold (a
// tenth of the table). (Analyzing each time the rows have grown fourfold rather than
// doubled, also tried, let the plans of two reads of directory_users go stale: 31 s of
// server time rather than 21.)
Status PgDb::count_bulk_rows(std::string_view sql, int64_t rows) {
  const std::string_view table = inserted_table(sql);
  if (table.empty() || rows <= 0) return Status::ok();
  auto it = bulk_rows_.find(table);
  if (it == bulk_rows_.end()) {
    it = bulk_rows_.emplace(std::string(table), BulkRows{0, kFirstBulkAnalyze}).first;
  }
  BulkRows& counted = it->second;
  counted.inserted += rows;
  if (counted.inserted < counted.next_analyze) return Status::ok();
  counted.next_analyze = counted.inserted * 2;
  bulk_ = false;  // the statements below are not counted
  Status s = exec("SAVEPOINT statistics");
  if (s.is_ok()) s = exec("SET LOCAL lock_timeout = '" + std::string(kAnalyzeLockWait) + "'");
  if (s.is_ok()) s = exec("SET LOCAL default_statistics_target = 10");
  if (s.is_ok()) s = exec("ANALYZE " + it->first);
  if (s.is_ok()) {
    s = exec("SET LOCAL lock_timeout = DEFAULT");
    if (s.is_ok()) s = exec("SET LOCAL default_statistics_target = DEFAULT");
    if (s.is_ok()) s = exec("RELEASE SAVEPOINT statistics");
  } else if (s.code() == StatusCode::kAborted && PQstatus(conn_) == CONNECTION_OK) {
    // The lock not had in time (or a deadlock over it): the transaction goes on without
    // fresh statistics. Any other failure is the transaction's.
    s = exec("ROLLBACK TO SAVEPOINT statistics");
    if (s.is_ok()) s = exec("RELEASE SAVEPOINT statistics");
  }
  bulk_ = true;
  return s;
}

Result<PgResult> PgDb::query(std::string_view sql, std::span<const PgParam> params) {
  return execute(sql, params);
}

Result<int64_t> PgDb::run(std::string_view sql, std::span<const PgParam> params) {
  UPSYNC_ASSIGN_OR_RETURN(PgResult r, execute(sql, params));
  return r.affected();
}

Result<int64_t> PgDb::query_int(std::string_view sql, std::initializer_list<PgParam> params) {
  UPSYNC_ASSIGN_OR_RETURN(PgResult r, query(sql, params));
  if (r.rows() == 0) {
    return not_found("no row from '" + std::string(sql.substr(0, 120)) + "'");
  }
  return r.int64(0, 0);
}

Status PgDb::exec(std::string_view sql) {
  if (snapshot_) UPSYNC_RETURN_IF_ERROR(end_snapshot());
  // What a rollback undoes is not sent: the deferred writes all came after the savepoint or
  // the BEGIN it goes back to (SAVEPOINT, like any statement, sent those before it).
  if (sql.starts_with("ROLLBACK")) {
    clear_deferred();
  } else {
    UPSYNC_RETURN_IF_ERROR(flush_deferred());
  }
  UPSYNC_RETURN_IF_ERROR(read_commit());
  ++round_trips_;
  PgResult r(PQexec(conn_, std::string(sql).c_str()));
  const ExecStatusType st = PQresultStatus(r.r_);
  if (st == PGRES_TUPLES_OK || st == PGRES_COMMAND_OK) return Status::ok();
  if (!r.r_ || PQstatus(conn_) != CONNECTION_OK) return error("running a script");
  return pg_status(r.r_, "");
}

// The snapshot's BEGIN waits, as a deferred write does, for the first statement read in it and
// goes with it in one round trip (a request's reads take a few): the snapshot is the same, as
// REPEATABLE READ takes it at the first statement after BEGIN anyway.
constexpr std::string_view kBeginSnapshot = "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY";

Status PgDb::begin_snapshot() {
  if (depth_ > 0 || snapshot_) return Status::ok();
  UPSYNC_RETURN_IF_ERROR(flush_deferred());
  UPSYNC_ASSIGN_OR_RETURN(const std::string* name, prepared_name(kBeginSnapshot));
  deferred_.push_back({&prepared_.find(kBeginSnapshot)->first, name, {}});
  snapshot_ = true;
  ++snapshot_number_;
  return Status::ok();
}

Status PgDb::end_snapshot() {
  if (!snapshot_) return Status::ok();
  snapshot_ = false;
  // Nothing was read in it: its BEGIN never left.
  if (deferred_.size() == 1 && deferred_[0].sql && *deferred_[0].sql == kBeginSnapshot) {
    clear_deferred();
    return Status::ok();
  }
  // The COMMIT of a transaction that only read ends it on the server as soon as it arrives,
  // and cannot fail but with the connection, which the next statement would find lost
  // anyway: its answer is read then (read_commit()), not waited for here. A request answered
  // from the read cache thus waits for one answer from the server, not two.
  UPSYNC_RETURN_IF_ERROR(flush_deferred());
  ++round_trips_;
  if (PQsendQuery(conn_, "COMMIT") != 1) return error("ending a read snapshot");
  commit_unread_ = true;
  return Status::ok();
}

Status PgDb::read_commit() {
  if (!commit_unread_) return Status::ok();
  commit_unread_ = false;
  Status outcome = Status::ok();
  while (pg_result* raw = PQgetResult(conn_)) {
    PgResult r(raw);
    if (PQresultStatus(raw) != PGRES_COMMAND_OK && outcome.is_ok()) {
      outcome = PQstatus(conn_) == CONNECTION_OK ? pg_status(raw, "ending a read snapshot")
                                                 : error("ending a read snapshot");
    }
  }
  return outcome;
}

Status PgDb::in_transaction(const std::function<Status()>& body) {
  return run_transaction(body, false);
}

Status PgDb::in_bulk_transaction(const std::function<Status()>& body) {
  return run_transaction(body, depth_ == 0);
}

Status PgDb::run_transaction(const std::function<Status()>& body, bool bulk) {
  if (depth_ > 0) {
    if (bulk_) {
      // Inside a bulk transaction a failure fails it all: no savepoint.
      ++depth_;
      Status s = body();
      --depth_;
      return s;
    }
    // Savepoints all named "sp": PostgreSQL releases and rolls back to the most recent of a
    // name, which is exactly the nesting.
    UPSYNC_RETURN_IF_ERROR(exec("SAVEPOINT sp"));
    ++depth_;
    Status s = body();
    --depth_;
    if (s.is_ok()) {
      Status r = exec("RELEASE SAVEPOINT sp");
      if (r.is_ok()) return s;
      s = r;
    }
    Status r = exec("ROLLBACK TO SAVEPOINT sp");
    if (r.is_ok()) r = exec("RELEASE SAVEPOINT sp");
    if (!r.is_ok()) {
      return Status(s.code(), s.message() + " (and rolling back: " + r.message() + ")");
    }
    return s;
  }
  UPSYNC_RETURN_IF_ERROR(end_snapshot());
  std::minstd_rand jitter(static_cast<unsigned>(reinterpret_cast<uintptr_t>(this)));
  for (int attempt = 1;; ++attempt) {
    UPSYNC_RETURN_IF_ERROR(exec("BEGIN"));
    depth_ = 1;
    bulk_ = bulk;
    bulk_rows_.clear();
    Status s = body();
    if (s.is_ok()) s = flush_deferred();
    // A body that went on after a failed statement (without a savepoint) would have its
    // COMMIT quietly turned into a ROLLBACK by the server: refuse it instead.
    if (s.is_ok() && PQtransactionStatus(conn_) == PQTRANS_INERROR) {
      s = internal_error("a statement failed inside the transaction and its failure was ignored");
    }
    if (s.is_ok() && before_commit_) s = before_commit_();
    if (s.is_ok()) {
      Status c = exec("COMMIT");
      depth_ = 0;
      bulk_ = false;
      if (c.is_ok()) {
        if (after_end_) after_end_(true);
        return c;
      }
      s = c.with_context("committing");
      // A failed COMMIT has ended the transaction already.
      if (after_end_) after_end_(false);
    } else {
      clear_deferred();
      Status r = PQstatus(conn_) == CONNECTION_OK ? exec("ROLLBACK") : Status::ok();
      depth_ = 0;
      bulk_ = false;
      if (after_end_) after_end_(false);
      if (!r.is_ok()) {
        return Status(s.code(), s.message() + " (and rolling back: " + r.message() + ")");
      }
    }
    if (!is_retryable(s) || attempt == kTransactionAttempts) return s;
    // Conflicting writers retry at once otherwise, and meet again.
    std::this_thread::sleep_for(std::chrono::milliseconds(1 + jitter() % (5 * attempt)));
  }
}

// ---- COPY ----

Status PgCopyIn::row(std::span<const PgParam> fields) {
  for (size_t i = 0; i < fields.size(); ++i) {
    if (i > 0) buffer_ += '\t';
    append_copy_field(buffer_, fields[i]);
  }
  buffer_ += '\n';
  ++rows_;
  if (buffer_.size() >= kCopyChunk) return flush();
  return Status::ok();
}

Status PgCopyIn::flush() {
  if (buffer_.empty()) return Status::ok();
  if (PQputCopyData(db_.conn_, buffer_.data(), static_cast<int>(buffer_.size())) != 1) {
    return db_.error("sending COPY rows");
  }
  buffer_.clear();
  return Status::ok();
}

Result<int64_t> PgDb::copy_in(std::string_view copy_sql,
                              const std::function<Status(PgCopyIn&)>& fill) {
  if (snapshot_) UPSYNC_RETURN_IF_ERROR(end_snapshot());
  UPSYNC_RETURN_IF_ERROR(flush_deferred());
  UPSYNC_RETURN_IF_ERROR(read_commit());
  {
    ++round_trips_;
    PgResult start(PQexec(conn_, std::string(copy_sql).c_str()));
    if (PQresultStatus(start.r_) != PGRES_COPY_IN) {
      if (!start.r_ || PQstatus(conn_) != CONNECTION_OK) return error("starting COPY");
      return pg_status(start.r_, "starting COPY");
    }
  }
  PgCopyIn copy(*this);
  Status filled = fill(copy);
  if (filled.is_ok()) filled = copy.flush();
  const char* abort_message = filled.is_ok() ? nullptr : "upsync stopped the COPY";
  if (PQputCopyEnd(conn_, abort_message) != 1) return error("ending COPY");
  // The COPY's own result, then the end of the results.
  Status outcome = Status::ok();
  int64_t copied = 0;
  while (pg_result* raw = PQgetResult(conn_)) {
    PgResult r(raw);
    if (PQresultStatus(raw) == PGRES_COMMAND_OK) {
      copied = r.affected();
    } else if (outcome.is_ok()) {
      outcome = pg_status(raw, "COPY");
    }
  }
  if (!filled.is_ok()) return filled;
  if (!outcome.is_ok()) return outcome;
  return copied;
}

}  // namespace upsync
