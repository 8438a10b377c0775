// The PostgreSQL JobStore of the bulk import (src/bulkimport/job.h): tables import_jobs and
// import_job_log, on the store's own connection so that checkpoints share its transactions
// (as sqlite_import_jobs.cpp). Job ids are looked up ASCII case-insensitively, as SQLite's
// COLLATE NOCASE does, through lower() on both sides.
#include <rapidjson/document.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include "bulkimport/job.h"
#include "core/clock.h"
#include "store/postgres/pg_array.h"
#include "store/postgres/pg_store.h"

namespace upsync {
namespace {

const std::string kJobColumns =
    "job_id, tenant_id, state, error, error_message, source_uri, log_folder_uri, id_type, "
    "id_property, property_map, records_done, seq, created_at, updated_at, source_size, "
    "source_modified_ns, source_sha256, l.holder, l.acquired_at, l.heartbeat_at, l.expires_at, "
    "l.expires_at <= " +
    std::string(kPgNowMs) + ", multi_value_arrays";
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

class PgJobStore : public JobStore {
 public:
  explicit PgJobStore(PgStore& store) : db_(store.db()) {}

  Status create(const ImportJob& j) override {
    const std::string now = utc_now_iso();
    return db_
        .run(
            "INSERT INTO import_jobs (job_id, tenant_id, state, error, error_message, "
            "source_uri, log_folder_uri, id_type, id_property, property_map, records_done, "
            "created_at, updated_at, multi_value_arrays) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, "
            "$9, $10, $11, $12, $13, $14)",
            {j.job_id, j.tenant, static_cast<int64_t>(j.state), static_cast<int64_t>(j.error),
             j.error_message, j.source_uri, j.log_folder_uri, import_id_type_name(j.id_type),
             j.id_property, encode_map(j.property_map), j.records_done, now, now,
             int64_t{j.multi_value_arrays}})
        .status();
  }

  Result<ImportJob> get(TenantId tenant, std::string_view job_id) override {
    // Inside a write transaction the row is locked until it ends: the import's checkpoint
    // reads the job and writes only if its records_done is still the one it started from.
    // Under READ COMMITTED two workers would both read the old value and both apply the
    // batch; with the lock the second waits and reads the first one's checkpoint (SQLite's
    // BEGIN IMMEDIATE serializes writers already).
    const bool lock = db_.transaction_depth() > 0 && !db_.in_snapshot();
    UPSYNC_ASSIGN_OR_RETURN(PgResult r,
                            db_.query("SELECT " + kJobColumns + std::string(kFrom) +
                                          " WHERE tenant_id = $1 AND lower(job_id) = lower($2)" +
                                          std::string(lock ? " FOR UPDATE OF import_jobs" : ""),
                                      {tenant, job_id}));
    UPSYNC_ASSIGN_OR_RETURN(auto jobs, read_all(r));
    if (jobs.empty()) return not_found("import job '" + std::string(job_id) + "' does not exist");
    return std::move(jobs[0]);
  }

  Result<std::vector<ImportJob>> list(TenantId tenant) override {
    UPSYNC_ASSIGN_OR_RETURN(PgResult r, db_.query("SELECT " + kJobColumns + std::string(kFrom) +
                                                      " WHERE tenant_id = $1 ORDER BY seq",
                                                  {tenant}));
    return read_all(r);
  }

  Result<std::vector<ImportJob>> runnable() override {
    // A Processing job only once its worker's lease has expired (or it has none: it was left
    // by a worker without leases), or once that worker's session has ended: no session holds
    // the lease's advisory lock any more (pg_leases.cpp; pg_locks shows a bigint key as its
    // high and low halves in classid and objid, objsubid 1).
    UPSYNC_ASSIGN_OR_RETURN(
        PgResult r,
        db_.query("SELECT " + kJobColumns + std::string(kFrom) +
                      " WHERE state = $1 OR (state = $2 AND (l.expires_at IS NULL OR "
                      "l.expires_at <= " +
                      std::string(kPgNowMs) +
                      " OR NOT EXISTS (SELECT 1 FROM pg_locks k WHERE k.locktype = 'advisory' "
                      "AND k.granted AND k.objsubid = 1 AND k.database = (SELECT oid FROM "
                      "pg_database WHERE datname = current_database()) AND "
                      "((k.classid::bigint << 32) | k.objid::bigint) = "
                      "hashtextextended(l.name, 0)))) ORDER BY seq",
                  {static_cast<int64_t>(ImportJobState::kQueued),
                   static_cast<int64_t>(ImportJobState::kProcessing)}));
    return read_all(r);
  }

  Status remove_unstarted(TenantId tenant, std::string_view job_id) override {
    // One statement decides, so a worker that starts the job meanwhile wins or loses whole.
    UPSYNC_ASSIGN_OR_RETURN(
        const int64_t removed,
        db_.run("DELETE FROM import_jobs WHERE tenant_id = $1 AND lower(job_id) = lower($2) AND "
                "state IN ($3, $4)",
                {tenant, job_id, static_cast<int64_t>(ImportJobState::kSubmitted),
                 static_cast<int64_t>(ImportJobState::kQueued)}));
    if (removed == 0) {
      UPSYNC_ASSIGN_OR_RETURN(ImportJob job, get(tenant, job_id));
      return failed_precondition("import job '" + job.job_id + "' has already " +
                                 (job.state == ImportJobState::kProcessing ? "started" : "ended") +
                                 " (state " + std::string(import_job_state_name(job.state)) +
                                 "); only jobs that have not started can be deleted");
    }
    return db_.run("DELETE FROM import_job_log WHERE lower(job_id) = lower($1)", {job_id}).status();
  }

  Status update(const ImportJob& j) override {
    const bool pinned = j.source_pin.pinned();
    UPSYNC_ASSIGN_OR_RETURN(
        const int64_t changed,
        db_.run("UPDATE import_jobs SET state = $1, error = $2, error_message = $3, "
                "log_folder_uri = $4, records_done = $5, updated_at = $6, source_size = $7, "
                "source_modified_ns = $8, source_sha256 = $9 WHERE job_id = $10",
                {static_cast<int64_t>(j.state), static_cast<int64_t>(j.error), j.error_message,
                 j.log_folder_uri, j.records_done, utc_now_iso(),
                 pinned ? PgParam(j.source_pin.size) : PgParam(std::nullopt),
                 pinned ? PgParam(j.source_pin.modified_ns) : PgParam(std::nullopt),
                 pinned ? PgParam(j.source_pin.sha256) : PgParam(std::nullopt), j.job_id}));
    if (changed != 1) return not_found("import job '" + j.job_id + "' does not exist");
    return Status::ok();
  }

  Status add_log_line(std::string_view job_id, std::string_view line, int64_t record) override {
    return db_
        .run("INSERT INTO import_job_log (job_id, line, record) VALUES ($1, $2, $3)",
             {job_id, line, record})
        .status();
  }

  Result<std::vector<std::string>> log_lines(std::string_view job_id) override {
    UPSYNC_ASSIGN_OR_RETURN(
        PgResult r,
        db_.query("SELECT line FROM import_job_log WHERE job_id = $1 ORDER BY record, n",
                  {job_id}));
    std::vector<std::string> out;
    out.reserve(r.rows());
    for (int i = 0; i < r.rows(); ++i) out.emplace_back(r.text(i, 0));
    return out;
  }

  Status clear_log(std::string_view job_id) override {
    return db_.run("DELETE FROM import_job_log WHERE job_id = $1", {job_id}).status();
  }

  Result<bool> create_ranges(std::string_view job_id,
                             const std::vector<ImportRange>& ranges) override {
    // The job's row, locked until the transaction ends, makes the check and the insert one
    // step for every worker.
    UPSYNC_RETURN_IF_ERROR(
        db_.query("SELECT 1 FROM import_jobs WHERE job_id = $1 FOR UPDATE", {job_id}).status());
    UPSYNC_ASSIGN_OR_RETURN(
        PgResult split,
        db_.query("SELECT 1 FROM import_job_ranges WHERE job_id = $1 LIMIT 1", {job_id}));
    if (split.rows() > 0) return false;
    std::vector<int64_t> idx, first, end, done;
    for (const ImportRange& r : ranges) {
      idx.push_back(r.index);
      first.push_back(r.first);
      end.push_back(r.end);
      done.push_back(r.done);
    }
    UPSYNC_RETURN_IF_ERROR(
        db_.run("INSERT INTO import_job_ranges (job_id, idx, first_record, end_record, done) "
                "SELECT $1, i, f, e, d FROM unnest($2::bigint[], $3::bigint[], $4::bigint[], "
                "$5::bigint[]) AS r(i, f, e, d)",
                {job_id, pg_bigint_array(idx), pg_bigint_array(first), pg_bigint_array(end),
                 pg_bigint_array(done)})
            .status());
    return true;
  }

  Result<std::vector<ImportRange>> ranges(std::string_view job_id) override {
    UPSYNC_ASSIGN_OR_RETURN(
        PgResult r,
        db_.query("SELECT r.idx, r.first_record, r.end_record, r.done, l.holder, l.acquired_at, "
                  "l.heartbeat_at, l.expires_at, l.expires_at <= " +
                      std::string(kPgNowMs) +
                      " FROM import_job_ranges r LEFT JOIN leases l ON l.name = 'import:' || "
                      "r.job_id || '#' || r.idx WHERE r.job_id = $1 ORDER BY r.idx",
                  {job_id}));
    std::vector<ImportRange> out;
    for (int i = 0; i < r.rows(); ++i) {
      ImportRange range{.index = static_cast<int>(r.int64(i, 0)),
                        .first = r.int64(i, 1),
                        .end = r.int64(i, 2),
                        .done = r.int64(i, 3),
                        .lease = std::nullopt};
      if (!r.is_null(i, 4)) {
        range.lease = Lease{.name = import_range_lease_name(job_id, range.index),
                            .holder = std::string(r.text(i, 4)),
                            .acquired_at_ms = r.int64(i, 5),
                            .heartbeat_at_ms = r.int64(i, 6),
                            .expires_at_ms = r.int64(i, 7),
                            .expired = r.boolean(i, 8)};
      }
      out.push_back(std::move(range));
    }
    return out;
  }

  Result<bool> advance_range(std::string_view job_id, int index, int64_t from,
                             int64_t to) override {
    UPSYNC_ASSIGN_OR_RETURN(
        const int64_t moved,
        db_.run("UPDATE import_job_ranges SET done = $1 WHERE job_id = $2 AND idx = $3 AND "
                "done = $4",
                {to, job_id, int64_t{index}, from}));
    if (moved != 1) return false;
    // The job's row is locked from here to the commit; the batch's feed entries took the
    // tenant's row before (next_seq), in the same order for every worker.
    UPSYNC_ASSIGN_OR_RETURN(
        const int64_t counted,
        db_.run(
            "UPDATE import_jobs SET records_done = records_done + $1, updated_at = $2 "
            "WHERE job_id = $3 AND state = $4",
            {to - from, utc_now_iso(), job_id, static_cast<int64_t>(ImportJobState::kProcessing)}));
    return counted == 1;
  }

 private:
  static Result<std::vector<ImportJob>> read_all(const PgResult& r) {
    std::vector<ImportJob> out;
    for (int i = 0; i < r.rows(); ++i) {
      ImportJob j;
      j.job_id = r.text(i, 0);
      j.tenant = r.int64(i, 1);
      j.state = static_cast<ImportJobState>(r.int64(i, 2));
      j.error = static_cast<ImportJobError>(r.int64(i, 3));
      j.error_message = r.text(i, 4);
      j.source_uri = r.text(i, 5);
      j.log_folder_uri = r.text(i, 6);
      auto id_type = parse_import_id_type(r.text(i, 7));
      if (!id_type) return data_loss("import job '" + j.job_id + "': unknown id type");
      j.id_type = *id_type;
      j.id_property = r.text(i, 8);
      UPSYNC_ASSIGN_OR_RETURN(j.property_map, decode_map(r.text(i, 9)));
      j.records_done = r.int64(i, 10);
      j.seq = r.int64(i, 11);
      j.created_at = r.text(i, 12);
      j.updated_at = r.text(i, 13);
      if (!r.is_null(i, 16)) {
        j.source_pin.size = r.int64(i, 14);
        j.source_pin.modified_ns = r.int64(i, 15);
        j.source_pin.sha256 = r.text(i, 16);
      }
      if (!r.is_null(i, 17)) {
        j.lease = Lease{.name = import_lease_name(j.job_id),
                        .holder = std::string(r.text(i, 17)),
                        .acquired_at_ms = r.int64(i, 18),
                        .heartbeat_at_ms = r.int64(i, 19),
                        .expires_at_ms = r.int64(i, 20),
                        .expired = r.boolean(i, 21)};
      }
      j.multi_value_arrays = r.int64(i, 22) != 0;
      out.push_back(std::move(j));
    }
    return out;
  }

  PgDb& db_;
};

}  // namespace

Result<std::unique_ptr<JobStore>> PgStore::job_store() {
  return std::unique_ptr<JobStore>(new PgJobStore(*this));
}

}  // namespace upsync
