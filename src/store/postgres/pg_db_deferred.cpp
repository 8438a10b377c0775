// PgDb's deferred writes (pg_db.h: run_deferred, insert_deferred): statements and rows that
// wait for the connection's next statement and go to the server with it, pipelined, in one
// round trip; the rows of one PgRowsInsert as one statement.
#include <libpq-fe.h>

#include <algorithm>
#include <charconv>

#include "store/postgres/pg_array.h"
#include "store/postgres/pg_db.h"

namespace upsync {

namespace {

// At most this many entries wait: the answers of a pipeline are read once it is all sent, and
// the server's socket buffer must hold them meanwhile.
constexpr size_t kMaxDeferred = 256;
// At most this many rows go in one statement of a PgRowsInsert.
constexpr size_t kMaxRows = 4096;

// The types of a PgRowsInsert, in order ("bigint, text" → {"bigint", "text"}).
std::vector<std::string_view> column_types(std::string_view types) {
  std::vector<std::string_view> out;
  while (!types.empty()) {
    const size_t comma = types.find(',');
    std::string_view t = types.substr(0, comma);
    while (!t.empty() && t.front() == ' ') t.remove_prefix(1);
    while (!t.empty() && t.back() == ' ') t.remove_suffix(1);
    out.push_back(t);
    if (comma == std::string_view::npos) break;
    types.remove_prefix(comma + 1);
  }
  return out;
}

bool identifier_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
}

// Whether `sql` names `table`: the name as a whole word, not inside another.
bool names_table(std::string_view sql, std::string_view table) {
  for (size_t at = sql.find(table); at != std::string_view::npos; at = sql.find(table, at + 1)) {
    const size_t end = at + table.size();
    if ((at == 0 || !identifier_char(sql[at - 1])) &&
        (end == sql.size() || !identifier_char(sql[end]))) {
      return true;
    }
  }
  return false;
}

// The values of one column of a PgRowsInsert as its array parameter: in binary form for text
// and bigint (a bigint given as text that is not a whole number stays text, for the server to
// refuse with its own message), as a text literal for any other type.
PgParam column_array(std::string_view type, const std::vector<const PgParam*>& values) {
  if (type == "text" || type == "bigint") {
    const bool bigint = type == "bigint";
    PgArrayBuilder array(bigint ? PgArrayBuilder::kBigint : PgArrayBuilder::kText);
    bool binary = true;
    for (size_t i = 0; i < values.size() && binary; ++i) {
      const PgParam& v = *values[i];
      if (v.is_null()) {
        array.add_null();
      } else if (!bigint) {
        array.add(std::string_view(v.text()));
      } else {
        int64_t n = 0;
        const char* end = v.text().data() + v.text().size();
        const auto [at, error] = std::from_chars(v.text().data(), end, n);
        binary = error == std::errc() && at == end;
        array.add(n);
      }
    }
    if (binary) return std::move(array).take();
  }
  size_t size = 2;
  for (const PgParam* v : values) size += (v->is_null() ? 4 : 2 * v->text().size()) + 3;
  std::string array;
  array.reserve(size);
  array += '{';
  for (size_t r = 0; r < values.size(); ++r) {
    if (r) array += ',';
    if (values[r]->is_null()) {
      array += "NULL";
    } else {
      pg_array_append(array, values[r]->text());
    }
  }
  array += '}';
  return PgParam(std::move(array));
}

}  // namespace

Status PgDb::run_deferred(std::string_view sql, std::span<const PgParam> params) {
  if (depth_ == 0) return run(sql, params).status();
  if (deferred_.size() >= kMaxDeferred) UPSYNC_RETURN_IF_ERROR(flush_deferred());
  UPSYNC_ASSIGN_OR_RETURN(const std::string* name, prepared_name(sql));
  const std::string* text = &prepared_.find(sql)->first;
  // Rows deferred from now on must not reach the server before this statement if it names
  // their table.
  std::erase_if(open_rows_,
                [&](size_t i) { return names_table(*text, deferred_[i].rows_into->table); });
  deferred_.push_back({text, name, std::vector<PgParam>(params.begin(), params.end())});
  return Status::ok();
}

Status PgDb::insert_deferred(const PgRowsInsert& into, std::span<const PgParam> row) {
  const size_t columns =
      1 + static_cast<size_t>(std::count(into.types.begin(), into.types.end(), ','));
  if (row.size() != columns) {
    return internal_error("a row of " + std::to_string(row.size()) + " values for the " +
                          std::to_string(columns) + " columns of " + std::string(into.table));
  }
  if (depth_ == 0) UPSYNC_RETURN_IF_ERROR(end_snapshot());
  Deferred* rows = nullptr;
  for (auto it = open_rows_.begin(); it != open_rows_.end();) {
    Deferred& d = deferred_[*it];
    if (d.rows_into == &into && d.rows < kMaxRows) {
      rows = &d;
      break;
    }
    // Another statement of the same table (or this one, full): rows from now on come after it.
    if (d.rows_into == &into || d.rows_into->table == into.table) {
      it = open_rows_.erase(it);
    } else {
      ++it;
    }
  }
  if (!rows) {
    if (deferred_.size() >= kMaxDeferred) UPSYNC_RETURN_IF_ERROR(flush_deferred());
    deferred_.push_back({nullptr, nullptr, {}, &into, 0});
    open_rows_.push_back(deferred_.size() - 1);
    rows = &deferred_.back();
  }
  rows->params.insert(rows->params.end(), row.begin(), row.end());
  ++rows->rows;
  if (depth_ == 0) return flush_deferred();
  return Status::ok();
}

Status PgDb::prepare_rows(Deferred& d) {
  const PgRowsInsert& into = *d.rows_into;
  const std::vector<std::string_view> types = column_types(into.types);
  std::string sql = "INSERT INTO " + std::string(into.table) + " (" + std::string(into.columns) +
                    ") SELECT * FROM unnest(";
  for (size_t c = 0; c < types.size(); ++c) {
    if (c) sql += ", ";
    sql += "$" + std::to_string(c + 1) + "::" + std::string(types[c]) + "[]";
  }
  sql += ")";
  if (!into.tail.empty()) sql += " " + std::string(into.tail);
  UPSYNC_ASSIGN_OR_RETURN(d.name, prepared_name(sql));
  d.sql = &prepared_.find(sql)->first;
  std::vector<PgParam> arrays;
  arrays.reserve(types.size());
  for (size_t c = 0; c < types.size(); ++c) {
    std::vector<const PgParam*> column(d.rows);
    for (size_t r = 0; r < d.rows; ++r) {
      column[r] = &d.params[r * types.size() + c];
      if (column[r]->is_binary()) {
        return internal_error("a binary value for column " + std::to_string(c + 1) + " of " +
                              std::string(into.table));
      }
    }
    arrays.push_back(column_array(types[c], column));
  }
  d.params = std::move(arrays);
  return Status::ok();
}

Status PgDb::flush_deferred() { return send_deferred(nullptr).status(); }

Result<PgResult> PgDb::send_deferred(const Deferred* then) {
  std::vector<Deferred> batch;
  batch.swap(deferred_);
  open_rows_.clear();
  if (batch.empty() && !then) return PgResult();
  UPSYNC_RETURN_IF_ERROR(read_commit());
  for (Deferred& d : batch) {
    if (d.rows_into) UPSYNC_RETURN_IF_ERROR(prepare_rows(d));
  }
  std::vector<const Deferred*> sent;
  for (const Deferred& d : batch) sent.push_back(&d);
  if (then) sent.push_back(then);
  if (PQenterPipelineMode(conn_) != 1) return error("entering pipeline mode");
  bool queued = true;
  for (const Deferred* d : sent) {
    const LibpqParams values = libpq_params(d->params);
    if (PQsendQueryPrepared(conn_, d->name->c_str(), values.count(), values.values.data(),
                            values.lengths_or_null(), values.formats_or_null(), 0) != 1) {
      queued = false;
      break;
    }
  }
  ++round_trips_;
  if (!queued || PQpipelineSync(conn_) != 1) {
    Status s = error("sending deferred writes");
    PQexitPipelineMode(conn_);
    return s;
  }
  // Each statement's result and the NULL that ends it, then the sync point's result. After a
  // failure the server skips the rest (PGRES_PIPELINE_ABORTED).
  std::vector<int64_t> affected(sent.size(), 0);
  Status first_failure;
  PgResult last;
  for (size_t i = 0; i < sent.size(); ++i) {
    PgResult r(PQgetResult(conn_));
    if (!r.r_) return error("reading the answers of deferred writes");
    const ExecStatusType st = PQresultStatus(r.r_);
    if (st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK) {
      affected[i] = r.affected();
    } else if (st != PGRES_PIPELINE_ABORTED && first_failure.is_ok()) {
      first_failure =
          sent[i] == then
              ? pg_status(r.r_, "")
              : pg_status(r.r_, "a deferred write ('" + sent[i]->sql->substr(0, 80) + "')");
    }
    PgResult end(PQgetResult(conn_));
    if (sent[i] == then) last = std::move(r);
  }
  PgResult sync(PQgetResult(conn_));
  if (PQresultStatus(sync.r_) != PGRES_PIPELINE_SYNC) {
    return error("reading the end of deferred writes");
  }
  if (PQexitPipelineMode(conn_) != 1) return error("leaving pipeline mode");
  UPSYNC_RETURN_IF_ERROR(first_failure);
  if (bulk_) {
    for (size_t i = 0; i < sent.size(); ++i) {
      UPSYNC_RETURN_IF_ERROR(count_bulk_rows(*sent[i]->sql, affected[i]));
    }
  }
  return last;
}

}  // namespace upsync
