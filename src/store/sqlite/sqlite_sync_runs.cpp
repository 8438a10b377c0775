// The SQLite SyncRunStore (src/sync/run_history.h): table sync_runs.
#include "store/sqlite/sqlite_store.h"
#include "sync/run_history.h"

namespace upsync {
namespace {

constexpr std::string_view kRunColumns =
    "id, started_at, finished_at, trigger, source, full, dry_run, succeeded, error, milliseconds, "
    "report";

class SqliteSyncRunStore : public SyncRunStore {
 public:
  explicit SqliteSyncRunStore(SqliteStore& store) : db_(store.db()) {}

  Result<int64_t> add(TenantId tenant, const SyncRun& r) override {
    UPSYNC_ASSIGN_OR_RETURN(
        SqliteStatement * s,
        db_.prepare("INSERT INTO sync_runs (tenant_id, started_at, finished_at, trigger, source, "
                    "full, dry_run, succeeded, error, milliseconds, report) "
                    "VALUES (?,?,?,?,?,?,?,?,?,?,?)"));
    s->bind(1, tenant);
    s->bind(2, r.started_at);
    s->bind(3, r.finished_at);
    s->bind(4, r.trigger);
    s->bind(5, r.source);
    s->bind(6, static_cast<int64_t>(r.full));
    s->bind(7, static_cast<int64_t>(r.dry_run));
    s->bind(8, static_cast<int64_t>(r.succeeded));
    s->bind(9, r.error);
    // Milliseconds, so the column stays an integer.
    s->bind(10, static_cast<int64_t>(r.seconds * 1000));
    s->bind(11, sync_report_json(r.report, kHistoryChangeLines).dump());
    UPSYNC_RETURN_IF_ERROR(s->run());
    return db_.query_int("SELECT last_insert_rowid()");
  }

  Status update(TenantId tenant, const SyncRun& r) override {
    UPSYNC_ASSIGN_OR_RETURN(
        SqliteStatement * s,
        db_.prepare("UPDATE sync_runs SET started_at = ?, finished_at = ?, trigger = ?, "
                    "source = ?, full = ?, dry_run = ?, succeeded = ?, error = ?, "
                    "milliseconds = ?, report = ? WHERE tenant_id = ? AND id = ?"));
    s->bind(1, r.started_at);
    s->bind(2, r.finished_at);
    s->bind(3, r.trigger);
    s->bind(4, r.source);
    s->bind(5, static_cast<int64_t>(r.full));
    s->bind(6, static_cast<int64_t>(r.dry_run));
    s->bind(7, static_cast<int64_t>(r.succeeded));
    s->bind(8, r.error);
    s->bind(9, static_cast<int64_t>(r.seconds * 1000));
    s->bind(10, sync_report_json(r.report, kHistoryChangeLines).dump());
    s->bind(11, tenant);
    s->bind(12, r.id);
    UPSYNC_RETURN_IF_ERROR(s->run());
    if (db_.changes() == 0) return not_found("no sync run " + std::to_string(r.id));
    return Status::ok();
  }

  Result<std::vector<SyncRun>> list(TenantId tenant, int limit) override {
    UPSYNC_ASSIGN_OR_RETURN(SqliteStatement * s, db_.prepare("SELECT " + std::string(kRunColumns) +
                                                             " FROM sync_runs WHERE tenant_id = ? "
                                                             "ORDER BY id DESC LIMIT ?"));
    s->bind(1, tenant);
    s->bind(2, static_cast<int64_t>(limit));
    std::vector<SyncRun> out;
    while (true) {
      UPSYNC_ASSIGN_OR_RETURN(bool row, s->step());
      if (!row) break;
      UPSYNC_ASSIGN_OR_RETURN(SyncRun r, read(*s));
      out.push_back(std::move(r));
    }
    return out;
  }

  Result<SyncRun> get(TenantId tenant, int64_t id) override {
    UPSYNC_ASSIGN_OR_RETURN(SqliteStatement * s,
                            db_.prepare("SELECT " + std::string(kRunColumns) +
                                        " FROM sync_runs WHERE tenant_id = ? AND id = ?"));
    s->bind(1, tenant);
    s->bind(2, id);
    UPSYNC_ASSIGN_OR_RETURN(bool row, s->step());
    if (!row) return not_found("no sync run " + std::to_string(id));
    auto r = read(*s);
    s->reset();
    return r;
  }

 private:
  static Result<SyncRun> read(SqliteStatement& s) {
    SyncRun r;
    r.id = s.column_int(0);
    r.started_at = s.column_text(1);
    r.finished_at = s.column_text(2);
    r.trigger = s.column_text(3);
    r.source = s.column_text(4);
    r.full = s.column_int(5) != 0;
    r.dry_run = s.column_int(6) != 0;
    r.succeeded = s.column_int(7) != 0;
    r.error = s.column_text(8);
    r.seconds = static_cast<double>(s.column_int(9)) / 1000;
    auto j = nlohmann::json::parse(s.column_text(10), nullptr, false);
    if (j.is_discarded()) return data_loss("sync run " + std::to_string(r.id) + ": corrupt report");
    UPSYNC_ASSIGN_OR_RETURN(r.report, sync_report_from_json(j));
    return r;
  }
  SqliteDb& db_;
};

}  // namespace

Result<std::unique_ptr<SyncRunStore>> SqliteStore::sync_run_store() {
  return std::unique_ptr<SyncRunStore>(new SqliteSyncRunStore(*this));
}

}  // namespace upsync
