#include "sync/scheduler.h"

#include <chrono>
#include <cstdio>

#include "core/clock.h"
#include "sync/connector.h"

namespace upsync {

SyncSchedulerThread::SyncSchedulerThread(Storage& storage,
                                         std::function<void(const SyncRun&)> on_run)
    : storage_(storage), on_run_(std::move(on_run)) {}

SyncSchedulerThread::~SyncSchedulerThread() { stop(); }

void SyncSchedulerThread::start() {
  thread_ = std::thread([this] { run(); });
}

void SyncSchedulerThread::stop() {
  {
    std::lock_guard lock(mu_);
    stop_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void SyncSchedulerThread::run() {
  using Clock = std::chrono::steady_clock;
  std::map<TenantId, Clock::time_point> last_run;
  std::string last_error;
  auto log = [](const std::string& what) {
    std::fputs((utc_now_iso() + " sync scheduler: " + what + "\n").c_str(), stderr);
  };
  while (!stop_.load()) {
    Status st = [&]() -> Status {
      UPSYNC_ASSIGN_OR_RETURN(auto store, storage_.connect());
      UPSYNC_ASSIGN_OR_RETURN(auto schedules, open_schedule_store(*store));
      UPSYNC_ASSIGN_OR_RETURN(auto due, schedules->all());
      for (const SyncSchedule& s : due) {
        if (stop_.load()) break;
        auto it = last_run.find(s.tenant.id);
        if (it != last_run.end() &&
            Clock::now() - it->second < std::chrono::seconds(s.interval_seconds)) {
          continue;
        }
        last_run[s.tenant.id] = Clock::now();
        auto ran = run_and_record(*store, s.tenant, nullptr, {}, "scheduler", "cloud");
        // Another process syncs the tenant now (its lease): this one skips it, as it does
        // a run that is not due, and the other tenants still run.
        if (!ran && ran.status().code() == StatusCode::kFailedPrecondition) {
          log("tenant " + s.tenant.name + ": " + ran.status().message());
          continue;
        }
        UPSYNC_ASSIGN_OR_RETURN(SyncRun r, std::move(ran));
        if (!r.succeeded) log("tenant " + s.tenant.name + ": " + r.error);
        if (on_run_) on_run_(r);
      }
      return Status::ok();
    }();
    if (!st.is_ok() && st.to_string() != last_error) log(st.to_string());
    last_error = st.is_ok() ? "" : st.to_string();
    std::unique_lock lock(mu_);
    wake_.wait_for(lock, std::chrono::milliseconds(250), [this] { return stop_.load(); });
  }
}

Status ScheduleStore::set(const Tenant& tenant, int64_t interval_seconds) {
  return store_.in_tenant_turn(tenant.id, [&]() -> Status {
    if (tenant.kind != TenantKind::kOnline) {
      UPSYNC_ASSIGN_OR_RETURN(auto connectors, open_connector_store(store_));
      UPSYNC_ASSIGN_OR_RETURN(auto all, connectors->list(tenant.id));
      if (all.empty()) {
        return failed_precondition("tenant '" + tenant.name +
                                   "' is a server tenant without a connector: a schedule runs "
                                   "its connector (upsync connector add)");
      }
    }
    if (interval_seconds < 1 || interval_seconds > 7 * 24 * 3600) {
      return invalid_argument("a sync interval is from 1 second to 7 days (604800 seconds), got " +
                              std::to_string(interval_seconds));
    }
    return store_interval(tenant.id, interval_seconds);
  });
}

}  // namespace upsync
