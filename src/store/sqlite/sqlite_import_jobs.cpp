// The SQLite JobStore of the bulk import (src/bulkimport/job.h): tables import_jobs and
// import_job_log, on the store's own connection so that checkpoints share its transactions.
#include <rapidjson/document.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <chrono>

#include "bulkimport/job.h"
#include "core/clock.h"
#include "store/sqlite/sqlite_store.h"

namespace upsync {
namespace {

constexpr std::string_view kJobColumns =
    "job_id, tenant_id, state, error, error_message, source_uri, log_folder_uri, id_type, "
    "id_property, property_map, records_done, seq, created_at, updated_at, source_size, "
    "source_modified_ns, source_sha256, l.holder, l.acquired_at, l.heartbeat_at, l.expires_at, "
    "multi_value_arrays";
// A job with the lease of the worker running it, if any (core/lease.h: import_lease_name).
constexpr std::string_view kFrom =
    " FROM import_jobs LEFT JOIN leases l ON l.name = 'import:' || import_jobs.job_id";

std::string encode_map(const std::map<std::string, std::string>& m) {
  rapidjson::StringBuffer buf;
  rapidjson::Writer<rapidjson::StringBuffer> w(buf);
  w.StartObject();
  for (const auto& [k, v] : m) {
    w.Key(k.data(), static_cast<rapidjson::SizeType>(k.size()));
    w.String(v.data(), static_cast<rapidjson::SizeType>(v.size()));
  }
  w.EndObject();
  return buf.GetString();
}

Result<std::map<std::string, std::string>> decode_map(std::string_view text) {
  rapidjson::Document d;
  d.Parse(text.data(), text.size());
  if (d.HasParseError() || !d.IsObject()) return data_loss("import job: corrupt property map");
  std::map<std::string, std::string> m;
  for (auto it = d.MemberBegin(); it != d.MemberEnd(); ++it) {
    if (!it->value.IsString()) return data_loss("import job: corrupt property map");
    m[it->name.GetString()] = it->value.GetString();
  }
  return m;
}

class SqliteJobStore : public JobStore {
 public:
  explicit SqliteJobStore(SqliteStore& store) : db_(store.db()) {}

  Status create(const ImportJob& j) override {
    UPSYNC_ASSIGN_OR_RETURN(
        SqliteStatement * s,
        db_.prepare("INSERT INTO import_jobs (job_id, tenant_id, state, error, error_message, "
                    "source_uri, log_folder_uri, id_type, id_property, property_map, "
                    "records_done, created_at, updated_at, multi_value_arrays) "
                    "VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?)"));
    std::string now = utc_now_iso();
    s->bind(1, j.job_id);
    s->bind(2, j.tenant);
    s->bind(3, static_cast<int64_t>(j.state));
    s->bind(4, static_cast<int64_t>(j.error));
    s->bind(5, j.error_message);
    s->bind(6, j.source_uri);
    s->bind(7, j.log_folder_uri);
    s->bind(8, import_id_type_name(j.id_type));
    s->bind(9, j.id_property);
    s->bind(10, encode_map(j.property_map));
    s->bind(11, j.records_done);
    s->bind(12, now);
    s->bind(13, now);
    s->bind(14, int64_t{j.multi_value_arrays});
    return s->run();
  }

  Result<ImportJob> get(TenantId tenant, std::string_view job_id) override {
    UPSYNC_ASSIGN_OR_RETURN(SqliteStatement * s,
                            db_.prepare("SELECT " + std::string(kJobColumns) + std::string(kFrom) +
                                        " WHERE tenant_id = ? AND job_id = ? COLLATE NOCASE"));
    s->bind(1, tenant);
    s->bind(2, job_id);
    UPSYNC_ASSIGN_OR_RETURN(auto jobs, read_all(*s));
    if (jobs.empty()) return not_found("import job '" + std::string(job_id) + "' does not exist");
    return std::move(jobs[0]);
  }

  Result<std::vector<ImportJob>> list(TenantId tenant) override {
    UPSYNC_ASSIGN_OR_RETURN(SqliteStatement * s,
                            db_.prepare("SELECT " + std::string(kJobColumns) + std::string(kFrom) +
                                        " WHERE tenant_id = ? ORDER BY seq"));
    s->bind(1, tenant);
    return read_all(*s);
  }

  Result<std::vector<ImportJob>> runnable() override {
    // A Processing job only once its worker's lease has expired (or it has none: it was left
    // by a worker without leases).
    UPSYNC_ASSIGN_OR_RETURN(
        SqliteStatement * s,
        db_.prepare("SELECT " + std::string(kJobColumns) + std::string(kFrom) +
                    " WHERE state = ? OR (state = ? AND (l.expires_at IS NULL OR "
                    "l.expires_at <= ?)) ORDER BY seq"));
    s->bind(1, static_cast<int64_t>(ImportJobState::kQueued));
    s->bind(2, static_cast<int64_t>(ImportJobState::kProcessing));
    s->bind(3, unix_now_ms());
    return read_all(*s);
  }

  Status remove_unstarted(TenantId tenant, std::string_view job_id) override {
    // One statement decides, so a worker that starts the job meanwhile wins or loses whole.
    UPSYNC_ASSIGN_OR_RETURN(
        SqliteStatement * s,
        db_.prepare("DELETE FROM import_jobs WHERE tenant_id = ? AND job_id = ? COLLATE NOCASE "
                    "AND state IN (?, ?)"));
    s->bind(1, tenant);
    s->bind(2, job_id);
    s->bind(3, static_cast<int64_t>(ImportJobState::kSubmitted));
    s->bind(4, static_cast<int64_t>(ImportJobState::kQueued));
    UPSYNC_RETURN_IF_ERROR(s->run());
    if (db_.changes() == 0) {
      UPSYNC_ASSIGN_OR_RETURN(ImportJob job, get(tenant, job_id));
      return failed_precondition("import job '" + job.job_id + "' has already " +
                                 (job.state == ImportJobState::kProcessing ? "started" : "ended") +
                                 " (state " + std::string(import_job_state_name(job.state)) +
                                 "); only jobs that have not started can be deleted");
    }
    UPSYNC_ASSIGN_OR_RETURN(
        SqliteStatement * log,
        db_.prepare("DELETE FROM import_job_log WHERE job_id = ? COLLATE NOCASE"));
    log->bind(1, job_id);
    return log->run();
  }

  Status update(const ImportJob& j) override {
    UPSYNC_ASSIGN_OR_RETURN(
        SqliteStatement * s,
        db_.prepare("UPDATE import_jobs SET state = ?, error = ?, error_message = ?, "
                    "log_folder_uri = ?, records_done = ?, updated_at = ?, source_size = ?, "
                    "source_modified_ns = ?, source_sha256 = ? WHERE job_id = ?"));
    s->bind(1, static_cast<int64_t>(j.state));
    s->bind(2, static_cast<int64_t>(j.error));
    s->bind(3, j.error_message);
    s->bind(4, j.log_folder_uri);
    s->bind(5, j.records_done);
    s->bind(6, utc_now_iso());
    if (j.source_pin.pinned()) {
      s->bind(7, j.source_pin.size);
      s->bind(8, j.source_pin.modified_ns);
      s->bind(9, j.source_pin.sha256);
    } else {
      s->bind_null(7);
      s->bind_null(8);
      s->bind_null(9);
    }
    s->bind(10, j.job_id);
    UPSYNC_RETURN_IF_ERROR(s->run());
    if (db_.changes() != 1) return not_found("import job '" + j.job_id + "' does not exist");
    return Status::ok();
  }

  Status add_log_line(std::string_view job_id, std::string_view line, int64_t record) override {
    UPSYNC_ASSIGN_OR_RETURN(
        SqliteStatement * s,
        db_.prepare("INSERT INTO import_job_log (job_id, line, record) VALUES (?, ?, ?)"));
    s->bind(1, job_id);
    s->bind(2, line);
    s->bind(3, record);
    return s->run();
  }

  Result<std::vector<std::string>> log_lines(std::string_view job_id) override {
    UPSYNC_ASSIGN_OR_RETURN(
        SqliteStatement * s,
        db_.prepare("SELECT line FROM import_job_log WHERE job_id = ? ORDER BY record, n"));
    s->bind(1, job_id);
    std::vector<std::string> out;
    while (true) {
      UPSYNC_ASSIGN_OR_RETURN(bool row, s->step());
      if (!row) break;
      out.emplace_back(s->column_text(0));
    }
    return out;
  }

  Status clear_log(std::string_view job_id) override {
    UPSYNC_ASSIGN_OR_RETURN(SqliteStatement * s,
                            db_.prepare("DELETE FROM import_job_log WHERE job_id = ?"));
    s->bind(1, job_id);
    return s->run();
  }

  Result<bool> create_ranges(std::string_view job_id,
                             const std::vector<ImportRange>& ranges) override {
    // Writers take turns (BEGIN IMMEDIATE): the check and the inserts are one step.
    UPSYNC_ASSIGN_OR_RETURN(
        SqliteStatement * q,
        db_.prepare("SELECT EXISTS (SELECT 1 FROM import_job_ranges WHERE job_id = ?)"));
    q->bind(1, job_id);
    UPSYNC_ASSIGN_OR_RETURN(bool row, q->step());
    const bool split = row && q->column_int(0) != 0;
    q->reset();
    if (split) return false;
    UPSYNC_ASSIGN_OR_RETURN(
        SqliteStatement * s,
        db_.prepare("INSERT INTO import_job_ranges (job_id, idx, first_record, end_record, done) "
                    "VALUES (?, ?, ?, ?, ?)"));
    for (const ImportRange& r : ranges) {
      s->bind(1, job_id);
      s->bind(2, int64_t{r.index});
      s->bind(3, r.first);
      s->bind(4, r.end);
      s->bind(5, r.done);
      UPSYNC_RETURN_IF_ERROR(s->run());
    }
    return true;
  }

  Result<std::vector<ImportRange>> ranges(std::string_view job_id) override {
    UPSYNC_ASSIGN_OR_RETURN(
        SqliteStatement * s,
        db_.prepare("SELECT r.idx, r.first_record, r.end_record, r.done, l.holder, "
                    "l.acquired_at, l.heartbeat_at, l.expires_at FROM import_job_ranges r LEFT "
                    "JOIN leases l ON l.name = 'import:' || r.job_id || '#' || r.idx WHERE "
                    "r.job_id = ? ORDER BY r.idx"));
    s->bind(1, job_id);
    std::vector<ImportRange> out;
    const int64_t now = unix_now_ms();
    while (true) {
      UPSYNC_ASSIGN_OR_RETURN(bool row, s->step());
      if (!row) break;
      ImportRange r{.index = static_cast<int>(s->column_int(0)),
                    .first = s->column_int(1),
                    .end = s->column_int(2),
                    .done = s->column_int(3),
                    .lease = std::nullopt};
      if (!s->column_is_null(4)) {
        r.lease = Lease{.name = import_range_lease_name(job_id, r.index),
                        .holder = std::string(s->column_text(4)),
                        .acquired_at_ms = s->column_int(5),
                        .heartbeat_at_ms = s->column_int(6),
                        .expires_at_ms = s->column_int(7)};
        r.lease->expired = r.lease->expires_at_ms <= now;
      }
      out.push_back(std::move(r));
    }
    return out;
  }

  Result<bool> advance_range(std::string_view job_id, int index, int64_t from,
                             int64_t to) override {
    UPSYNC_ASSIGN_OR_RETURN(
        SqliteStatement * s,
        db_.prepare("UPDATE import_job_ranges SET done = ? WHERE job_id = ? AND idx = ? AND "
                    "done = ?"));
    s->bind(1, to);
    s->bind(2, job_id);
    s->bind(3, int64_t{index});
    s->bind(4, from);
    UPSYNC_RETURN_IF_ERROR(s->run());
    if (db_.changes() != 1) return false;
    UPSYNC_ASSIGN_OR_RETURN(
        SqliteStatement * j,
        db_.prepare("UPDATE import_jobs SET records_done = records_done + ?, updated_at = ? "
                    "WHERE job_id = ? AND state = ?"));
    j->bind(1, to - from);
    j->bind(2, utc_now_iso());
    j->bind(3, job_id);
    j->bind(4, static_cast<int64_t>(ImportJobState::kProcessing));
    UPSYNC_RETURN_IF_ERROR(j->run());
    return db_.changes() == 1;
  }

 private:
  Result<std::vector<ImportJob>> read_all(SqliteStatement& s) {
    std::vector<ImportJob> out;
    while (true) {
      UPSYNC_ASSIGN_OR_RETURN(bool row, s.step());
      if (!row) break;
      ImportJob j;
      j.job_id = s.column_text(0);
      j.tenant = s.column_int(1);
      j.state = static_cast<ImportJobState>(s.column_int(2));
      j.error = static_cast<ImportJobError>(s.column_int(3));
      j.error_message = s.column_text(4);
      j.source_uri = s.column_text(5);
      j.log_folder_uri = s.column_text(6);
      auto id_type = parse_import_id_type(s.column_text(7));
      if (!id_type) return data_loss("import job '" + j.job_id + "': unknown id type");
      j.id_type = *id_type;
      j.id_property = s.column_text(8);
      UPSYNC_ASSIGN_OR_RETURN(j.property_map, decode_map(s.column_text(9)));
      j.records_done = s.column_int(10);
      j.seq = s.column_int(11);
      j.created_at = s.column_text(12);
      j.updated_at = s.column_text(13);
      if (!s.column_is_null(16)) {
        j.source_pin.size = s.column_int(14);
        j.source_pin.modified_ns = s.column_int(15);
        j.source_pin.sha256 = s.column_text(16);
      }
      if (!s.column_is_null(17)) {
        j.lease = Lease{.name = import_lease_name(j.job_id),
                        .holder = std::string(s.column_text(17)),
                        .acquired_at_ms = s.column_int(18),
                        .heartbeat_at_ms = s.column_int(19),
                        .expires_at_ms = s.column_int(20)};
        j.lease->expired = j.lease->expires_at_ms <= unix_now_ms();
      }
      j.multi_value_arrays = s.column_int(21) != 0;
      out.push_back(std::move(j));
    }
    return out;
  }

  SqliteDb& db_;
};

}  // namespace

Result<std::unique_ptr<JobStore>> SqliteStore::job_store() {
  return std::unique_ptr<JobStore>(new SqliteJobStore(*this));
}

}  // namespace upsync
