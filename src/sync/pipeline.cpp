#include "sync/pipeline.h"

#include <chrono>
#include <cstdint>

#include "sync/stages.h"

namespace upsync {

namespace sync_internal {

std::string describe(const DirectoryUser& u) {
  std::string upn = u.first("userPrincipalName");
  return upn.empty() ? u.object_id : upn;
}

std::string describe(const DirectoryGroup& g) {
  std::string name = g.first("displayName");
  return "group " + (name.empty() ? g.object_id : name);
}

void count(StageReport& r, DirectoryStore::PutOutcome outcome, const std::string& what) {
  count(r, outcome == DirectoryStore::PutOutcome::kUpdated,
        outcome != DirectoryStore::PutOutcome::kUnchanged, what);
}
void count(ObjectCounts& n, std::vector<std::string>& changes, DirectoryStore::PutOutcome outcome,
           const std::string& what) {
  if (outcome == DirectoryStore::PutOutcome::kUnchanged) {
    ++n.unchanged;
  } else if (outcome == DirectoryStore::PutOutcome::kUpdated) {
    ++n.updated;
    changes.push_back("~ " + what);
  } else {
    ++n.added;
    changes.push_back("+ " + what);
  }
}
void count(StageReport& r, bool existed, bool changed, const std::string& what) {
  if (!changed) {
    ++r.unchanged;
  } else if (existed) {
    ++r.updated;
    r.changes.push_back("~ " + what);
  } else {
    ++r.added;
    r.changes.push_back("+ " + what);
  }
}

void report_progress(const SyncOptions& options, std::string_view stage, int64_t done,
                     int64_t total, bool last) {
  constexpr int64_t kProgressEvery = 2000;
  if (!options.progress || (!last && (done == 0 || done % kProgressEvery != 0))) return;
  options.progress({stage, done, total});
}

}  // namespace sync_internal

namespace {

// Rolls a dry run back after it has computed everything.
const std::string kDryRunMarker = "upsync-dry-run-rollback";

// Runs a stage and sets its report's duration.
template <typename Fn>
Result<StageReport> timed(Fn&& stage) {
  const auto t0 = std::chrono::steady_clock::now();
  Result<StageReport> r = stage();
  if (r) {
    const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(
        std::chrono::steady_clock::now() - t0);
    r->seconds = static_cast<double>(ms.count()) / 1000;
  }
  return r;
}

// Runs a streamed read (SourceRead::stream) to its end without stage 0, counting its entries:
// a run that does not reach stage 0 still reads its source first, and fails as it would.
Result<int64_t> drain(const SourceRead& source) {
  class Counter : public EntrySink {
   public:
    void add(LdifRecord&&) override { ++count; }
    void restart() override { count = 0; }
    int64_t count = 0;
  } counter;
  SourceRead end = source;
  UPSYNC_RETURN_IF_ERROR(source.stream(counter, end));
  return counter.count;
}

Result<SyncReport> run(Store& store, const Tenant& tenant, const SourceRead* source,
                       const SyncOptions& options) {
  const std::optional<int> only = options.only_stage;
  auto wanted = [&](int stage) { return !only || *only == stage; };
  SyncReport report;
  if (source && source->stream &&
      (tenant.kind != TenantKind::kOnline || (only && (*only < 0 || *only > 3)) || !wanted(0))) {
    UPSYNC_ASSIGN_OR_RETURN(report.source_entries, drain(*source));
  } else if (source) {
    report.source_entries = static_cast<int64_t>(source->entries.size());
  }
  if (tenant.kind != TenantKind::kOnline) {
    return failed_precondition("tenant '" + tenant.name +
                               "' is a server tenant: its profiles import straight from a "
                               "connector, which this version does not run yet");
  }
  UPSYNC_ASSIGN_OR_RETURN(auto dir, open_directory_store(store));
  if (only && (*only < 0 || *only > 3)) {
    return invalid_argument("--stage " + std::to_string(*only) +
                            ": the stages are 0 (on-premises directory to cloud directory), 1 "
                            "(to the directory store), 2 (to profiles) and 3 (to site user lists)");
  }
  if (only == 0 && !source) {
    return failed_precondition("stage 0 reads an on-premises directory, and tenant '" +
                               tenant.name +
                               "' has no connector: add one (upsync connector add) or sync a "
                               "file (upsync sync ldif)");
  }
  Status s = store.in_bulk_transaction([&]() -> Status {
    if (source && wanted(0)) {
      UPSYNC_ASSIGN_OR_RETURN(StageReport r0, timed([&] {
                                return sync_internal::source_to_cloud(
                                    store, *dir, tenant, options, *source, report.source_entries);
                              }));
      report.stages.push_back(std::move(r0));
    }
    if (wanted(1)) {
      UPSYNC_ASSIGN_OR_RETURN(StageReport r1, timed([&] {
                                return sync_internal::cloud_to_store(store, *dir, tenant, options);
                              }));
      report.stages.push_back(std::move(r1));
    }
    if (wanted(2)) {
      UPSYNC_ASSIGN_OR_RETURN(
          StageReport r2,
          timed([&] { return sync_internal::store_to_profiles(store, *dir, tenant, options); }));
      report.stages.push_back(std::move(r2));
    }
    if (wanted(3)) {
      UPSYNC_ASSIGN_OR_RETURN(
          StageReport r3,
          timed([&] { return sync_internal::profiles_to_sites(store, *dir, tenant, options); }));
      report.stages.push_back(std::move(r3));
    }
    if (options.dry_run) return failed_precondition(kDryRunMarker);
    if (options.before_commit) return options.before_commit(report);
    return Status::ok();
  });
  if (!s.is_ok() && !(options.dry_run && s.message() == kDryRunMarker)) return s;
  return report;
}

}  // namespace

Result<StageReport> sync_profiles_to_sites(Store& store, const Tenant& tenant,
                                           const SyncOptions& options) {
  UPSYNC_ASSIGN_OR_RETURN(auto dir, open_directory_store(store));
  return timed([&] { return sync_internal::profiles_to_sites(store, *dir, tenant, options); });
}

Result<SyncReport> run_source_sync(Store& store, const Tenant& tenant, const SourceRead& source,
                                   const SyncOptions& options) {
  return run(store, tenant, &source, options);
}

Result<SyncReport> run_sync(Store& store, const Tenant& tenant, const std::vector<LdifRecord>* ldif,
                            const SyncOptions& options) {
  if (!ldif) return run(store, tenant, nullptr, options);
  SourceRead source;
  source.entries = *ldif;
  source.complete = true;
  return run(store, tenant, &source, options);
}

}  // namespace upsync
