// The history of sync runs (issue: `upsync sync status`, the admin API's sync runs): each run,
// dry or not, succeeded or failed, with when, how it was started, and its per-stage report.
//
//   auto run = run_and_record(store, tenant, &records, options, "cli", "ldif");
//   auto runs = (*open_sync_run_store(store))->list(tenant.id, 20);   // newest first
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/lease.h"
#include "sync/pipeline.h"

namespace upsync {

struct SyncRun {
  int64_t id = 0;
  std::string started_at;
  std::string finished_at;
  std::string trigger;  // "cli", "api"
  std::string source;   // "ldif", "ldap", "cloud" (stages 1-2 only)
  bool full = false;
  bool dry_run = false;
  bool succeeded = false;
  std::string error;  // why it failed (e.g. the deletion threshold), when it did
  double seconds = 0;
  SyncReport report;
};

class SyncRunStore {
 public:
  virtual ~SyncRunStore() = default;
  virtual Result<int64_t> add(TenantId tenant, const SyncRun& run) = 0;
  // Rewrites the entry `run.id` (NotFound when the tenant has none).
  virtual Status update(TenantId tenant, const SyncRun& run) = 0;
  // Newest first.
  virtual Result<std::vector<SyncRun>> list(TenantId tenant, int limit) = 0;
  // NotFound when the tenant has no run with that id.
  virtual Result<SyncRun> get(TenantId tenant, int64_t id) = 0;
};

// The SyncRunStore over `store`'s connection, from its backend (store/store.h).
inline Result<std::unique_ptr<SyncRunStore>> open_sync_run_store(Store& store) {
  return store.sync_run_store();
}

// Runs `sync` with `options` and records the run, a failed one too (after its transaction
// rolled back). `sync` must pass on the options it is given: their before_commit writes the
// entry inside the run's transaction, so that the entry commits with the data (a process
// killed after the commit leaves both), and the entry is completed (the source's notes, the
// whole duration) once `sync` returns. A dry or failed run, which commits nothing, is recorded
// after it. Returns the recorded run; a user-facing failure of the run (a refused deletion, a
// bad entry) is in run.error, not a Status; a broken store is a Status.
//
// One run per tenant at a time, across every process on the database: a run holds the lease
// "sync:<tenant>" (core/lease.h, sync_lease_name) from its start to its end, and its commit
// renews it in the run's transaction (nothing commits once it is lost). Another run meanwhile
// (the CLI's, the API's, the scheduler's) is refused with FailedPrecondition naming the holder
// and since when; nothing of it is recorded.
Result<SyncRun> record_run(Store& store, const Tenant& tenant, const SyncOptions& options,
                           std::string_view trigger, std::string_view source,
                           const std::function<Result<SyncReport>(const SyncOptions&)>& sync);

// How long a sync's lease lasts. A run is one transaction, whose renewals other processes
// would see only at its commit (and, on PostgreSQL, wait behind), so the lease is claimed once
// for longer than a run of the largest tenant takes; on SQLite a killed run's tenant waits this
// long for its next sync (on PostgreSQL, whose sessions end with their process, the next run
// takes a killed run's lease over at once: core/lease.h).
inline constexpr std::chrono::milliseconds kSyncLeaseTtl{10 * 60 * 1000};

// The lease of the run syncing `tenant` now, or nullopt (none, or one that expired).
Result<std::optional<Lease>> running_sync(Store& store, const Tenant& tenant);

// The pipeline for `tenant`'s kind: without `ldif`, the tenant's connector when it has one
// (connector.h: stage 0 from its directory, then the rest); online tenants run_sync() (stage
// 0 over `ldif` when given, then stages 1-3); server tenants import `ldif` straight into
// profiles (server_import.h) and have nothing to do without it or a connector.
Result<SyncReport> sync_tenant(Store& store, const Tenant& tenant,
                               const std::vector<LdifRecord>* ldif, const SyncOptions& options);

// record_run() of sync_tenant().
Result<SyncRun> run_and_record(Store& store, const Tenant& tenant,
                               const std::vector<LdifRecord>* ldif, const SyncOptions& options,
                               std::string_view trigger, std::string_view source);

// The report as JSON, with at most `max_changes` change lines per stage: the rest are counted
// in the stage's "changesOmitted" (left out when 0).
nlohmann::json sync_report_json(const SyncReport& report, size_t max_changes = SIZE_MAX);
// A run's history keeps this many change lines per stage (a full sync of 100,000 users has
// 300,000, about 10 MB): the counts are all there, and the run's own answer (the CLI's report,
// the API's POST) has every line.
inline constexpr size_t kHistoryChangeLines = 1000;
Result<SyncReport> sync_report_from_json(const nlohmann::json& j);
nlohmann::json sync_run_json(const SyncRun& run);

}  // namespace upsync
