// Scheduled sync runs: each tenant may ask for its sync (its connector, when it has one, then
// stages 1-3; or stages 1-3 from the cloud directory)
// every N seconds — SharePoint Online cannot be triggered and takes up to 24 hours; upsync
// runs when asked. `upsync serve` runs the scheduler (SyncSchedulerThread) beside its import
// worker; the runs land in the run history with trigger "scheduler".
//
//   (*open_schedule_store(store))->set(tenant, 300);   // every 5 minutes
#pragma once

#include <atomic>
#include <condition_variable>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "store/storage.h"
#include "sync/run_history.h"

namespace upsync {

struct SyncSchedule {
  Tenant tenant;
  int64_t interval_seconds = 0;
};

class ScheduleStore {
 public:
  virtual ~ScheduleStore() = default;
  // 1 second to 7 days (InvalidArgument). A server tenant's schedule runs its connector, so it
  // needs one (FailedPrecondition). Checked and written in the tenant's turn, as its
  // connector's removal (remove_tenant_connector) is, so that neither finds the state the
  // other is changing.
  Status set(const Tenant& tenant, int64_t interval_seconds);
  virtual Status clear(const Tenant& tenant) = 0;
  virtual Result<std::optional<int64_t>> get(const Tenant& tenant) = 0;
  virtual Result<std::vector<SyncSchedule>> all() = 0;

 protected:
  explicit ScheduleStore(Store& store) : store_(store) {}
  // Writes the tenant's interval, set() having checked it.
  virtual Status store_interval(TenantId tenant, int64_t interval_seconds) = 0;

  Store& store_;
};

// The ScheduleStore over `store`'s connection, from its backend (store/store.h).
inline Result<std::unique_ptr<ScheduleStore>> open_schedule_store(Store& store) {
  return store.schedule_store();
}

// A thread with its own Store connection (from `storage`, which must outlive it) that runs each
// scheduled tenant's sync when due (first right after start), one at a time, until stop().
class SyncSchedulerThread {
 public:
  SyncSchedulerThread(Storage& storage, std::function<void(const SyncRun&)> on_run);
  ~SyncSchedulerThread();
  void start();
  void stop();

 private:
  void run();
  Storage& storage_;
  std::function<void(const SyncRun&)> on_run_;
  std::atomic<bool> stop_{false};
  std::mutex mu_;
  std::condition_variable wake_;
  std::thread thread_;
};

}  // namespace upsync
