// The SQLite ScheduleStore (src/sync/scheduler.h): table sync_schedules.
#include "store/sqlite/sqlite_store.h"
#include "sync/scheduler.h"

namespace upsync {
namespace {

class SqliteScheduleStore : public ScheduleStore {
 public:
  explicit SqliteScheduleStore(SqliteStore& store) : ScheduleStore(store), db_(store.db()) {}

  Status clear(const Tenant& tenant) override {
    UPSYNC_ASSIGN_OR_RETURN(SqliteStatement * s,
                            db_.prepare("DELETE FROM sync_schedules WHERE tenant_id = ?"));
    s->bind(1, tenant.id);
    return s->run();
  }

  Result<std::optional<int64_t>> get(const Tenant& tenant) override {
    UPSYNC_ASSIGN_OR_RETURN(
        SqliteStatement * s,
        db_.prepare("SELECT interval_seconds FROM sync_schedules WHERE tenant_id = ?"));
    s->bind(1, tenant.id);
    UPSYNC_ASSIGN_OR_RETURN(bool row, s->step());
    if (!row) return std::optional<int64_t>();
    std::optional<int64_t> v = s->column_int(0);
    s->reset();
    return v;
  }

  Result<std::vector<SyncSchedule>> all() override {
    UPSYNC_ASSIGN_OR_RETURN(
        SqliteStatement * s,
        db_.prepare("SELECT tenant_id, interval_seconds FROM sync_schedules ORDER BY tenant_id"));
    std::vector<std::pair<TenantId, int64_t>> rows;
    while (true) {
      UPSYNC_ASSIGN_OR_RETURN(bool row, s->step());
      if (!row) break;
      rows.emplace_back(s->column_int(0), s->column_int(1));
    }
    UPSYNC_ASSIGN_OR_RETURN(auto tenants, store_.tenants());
    std::vector<SyncSchedule> out;
    for (const auto& [id, seconds] : rows) {
      for (const Tenant& t : tenants) {
        if (t.id == id) out.push_back({t, seconds});
      }
    }
    return out;
  }

 private:
  Status store_interval(TenantId tenant, int64_t interval_seconds) override {
    UPSYNC_ASSIGN_OR_RETURN(
        SqliteStatement * s,
        db_.prepare("INSERT INTO sync_schedules (tenant_id, interval_seconds) VALUES (?,?) "
                    "ON CONFLICT (tenant_id) DO UPDATE SET interval_seconds = "
                    "excluded.interval_seconds"));
    s->bind(1, tenant);
    s->bind(2, interval_seconds);
    return s->run();
  }

  SqliteDb& db_;
};

}  // namespace

Result<std::unique_ptr<ScheduleStore>> SqliteStore::schedule_store() {
  return std::unique_ptr<ScheduleStore>(new SqliteScheduleStore(*this));
}

}  // namespace upsync
