// The PostgreSQL ScheduleStore (src/sync/scheduler.h): table sync_schedules, as in the SQLite
// backend (sqlite_schedules.cpp).
#include "store/postgres/pg_store.h"
#include "sync/scheduler.h"

namespace upsync {
namespace {

class PgScheduleStore : public ScheduleStore {
 public:
  explicit PgScheduleStore(PgStore& store) : ScheduleStore(store), db_(store.db()) {}

  Status clear(const Tenant& tenant) override {
    return db_.run("DELETE FROM sync_schedules WHERE tenant_id = $1", {tenant.id}).status();
  }

  Result<std::optional<int64_t>> get(const Tenant& tenant) override {
    UPSYNC_ASSIGN_OR_RETURN(
        PgResult r,
        db_.query("SELECT interval_seconds FROM sync_schedules WHERE tenant_id = $1", {tenant.id}));
    if (r.rows() == 0) return std::optional<int64_t>();
    return std::optional<int64_t>(r.int64(0, 0));
  }

  Result<std::vector<SyncSchedule>> all() override {
    UPSYNC_ASSIGN_OR_RETURN(
        PgResult r,
        db_.query("SELECT tenant_id, interval_seconds FROM sync_schedules ORDER BY tenant_id"));
    UPSYNC_ASSIGN_OR_RETURN(auto tenants, store_.tenants());
    std::vector<SyncSchedule> out;
    for (int i = 0; i < r.rows(); ++i) {
      for (const Tenant& t : tenants) {
        if (t.id == r.int64(i, 0)) out.push_back({t, r.int64(i, 1)});
      }
    }
    return out;
  }

 private:
  Status store_interval(TenantId tenant, int64_t interval_seconds) override {
    return db_
        .run(
            "INSERT INTO sync_schedules (tenant_id, interval_seconds) VALUES ($1, $2) ON "
            "CONFLICT (tenant_id) DO UPDATE SET interval_seconds = excluded.interval_seconds",
            {tenant, interval_seconds})
        .status();
  }

  PgDb& db_;
};

}  // namespace

Result<std::unique_ptr<ScheduleStore>> PgStore::schedule_store() {
  return std::unique_ptr<ScheduleStore>(new PgScheduleStore(*this));
}

}  // namespace upsync
