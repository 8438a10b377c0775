// The PostgreSQL SyncRunStore (src/sync/run_history.h): table sync_runs, as in the SQLite
// backend (sqlite_sync_runs.cpp).
#include <nlohmann/json.hpp>

#include "store/postgres/pg_store.h"
#include "sync/run_history.h"

namespace upsync {
namespace {

// "full" is a reserved word in PostgreSQL: quoted.
constexpr std::string_view kRunColumns =
    "id, started_at, finished_at, trigger, source, \"full\", dry_run, succeeded, error, "
    "milliseconds, report";

class PgSyncRunStore : public SyncRunStore {
 public:
  explicit PgSyncRunStore(PgStore& store) : db_(store.db()) {}

  Result<int64_t> add(TenantId tenant, const SyncRun& r) override {
    // Milliseconds, so the column stays an integer.
    UPSYNC_ASSIGN_OR_RETURN(
        PgResult res,
        db_.query(
            "INSERT INTO sync_runs (tenant_id, started_at, finished_at, trigger, source, "
            "\"full\", dry_run, succeeded, error, milliseconds, report) VALUES ($1, $2, $3, "
            "$4, $5, $6, $7, $8, $9, $10, $11) RETURNING id",
            {tenant, r.started_at, r.finished_at, r.trigger, r.source, static_cast<int64_t>(r.full),
             static_cast<int64_t>(r.dry_run), static_cast<int64_t>(r.succeeded), r.error,
             static_cast<int64_t>(r.seconds * 1000),
             sync_report_json(r.report, kHistoryChangeLines).dump()}));
    return res.int64(0, 0);
  }

  Status update(TenantId tenant, const SyncRun& r) override {
    UPSYNC_ASSIGN_OR_RETURN(
        const int64_t changed,
        db_.run("UPDATE sync_runs SET started_at = $1, finished_at = $2, trigger = $3, source = "
                "$4, \"full\" = $5, dry_run = $6, succeeded = $7, error = $8, milliseconds = $9, "
                "report = $10 WHERE tenant_id = $11 AND id = $12",
                {r.started_at, r.finished_at, r.trigger, r.source, static_cast<int64_t>(r.full),
                 static_cast<int64_t>(r.dry_run), static_cast<int64_t>(r.succeeded), r.error,
                 static_cast<int64_t>(r.seconds * 1000),
                 sync_report_json(r.report, kHistoryChangeLines).dump(), tenant, r.id}));
    if (changed == 0) return not_found("no sync run " + std::to_string(r.id));
    return Status::ok();
  }

  Result<std::vector<SyncRun>> list(TenantId tenant, int limit) override {
    UPSYNC_ASSIGN_OR_RETURN(PgResult res,
                            db_.query("SELECT " + std::string(kRunColumns) +
                                          " FROM sync_runs WHERE tenant_id = $1 ORDER BY id DESC "
                                          "LIMIT $2",
                                      {tenant, static_cast<int64_t>(limit)}));
    std::vector<SyncRun> out;
    for (int i = 0; i < res.rows(); ++i) {
      UPSYNC_ASSIGN_OR_RETURN(SyncRun r, read(res, i));
      out.push_back(std::move(r));
    }
    return out;
  }

  Result<SyncRun> get(TenantId tenant, int64_t id) override {
    UPSYNC_ASSIGN_OR_RETURN(PgResult res,
                            db_.query("SELECT " + std::string(kRunColumns) +
                                          " FROM sync_runs WHERE tenant_id = $1 AND id = $2",
                                      {tenant, id}));
    if (res.rows() == 0) return not_found("no sync run " + std::to_string(id));
    return read(res, 0);
  }

 private:
  static Result<SyncRun> read(const PgResult& res, int i) {
    SyncRun r;
    r.id = res.int64(i, 0);
    r.started_at = res.text(i, 1);
    r.finished_at = res.text(i, 2);
    r.trigger = res.text(i, 3);
    r.source = res.text(i, 4);
    r.full = res.int64(i, 5) != 0;
    r.dry_run = res.int64(i, 6) != 0;
    r.succeeded = res.int64(i, 7) != 0;
    r.error = res.text(i, 8);
    r.seconds = static_cast<double>(res.int64(i, 9)) / 1000;
    auto j = nlohmann::json::parse(res.text(i, 10), nullptr, false);
    if (j.is_discarded()) return data_loss("sync run " + std::to_string(r.id) + ": corrupt report");
    UPSYNC_ASSIGN_OR_RETURN(r.report, sync_report_from_json(j));
    return r;
  }
  PgDb& db_;
};

}  // namespace

Result<std::unique_ptr<SyncRunStore>> PgStore::sync_run_store() {
  return std::unique_ptr<SyncRunStore>(new PgSyncRunStore(*this));
}

}  // namespace upsync
