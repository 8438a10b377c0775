#include "sync/run_history.h"

#include <algorithm>
#include <atomic>
#include <chrono>

#include "core/clock.h"
#include "core/lease.h"
#include "sync/connector.h"
#include "sync/server_import.h"

namespace upsync {

nlohmann::json sync_report_json(const SyncReport& r, size_t max_changes) {
  nlohmann::json stages = nlohmann::json::array();
  for (const StageReport& s : r.stages) {
    const size_t kept = std::min(s.changes.size(), max_changes);
    const int64_t omitted = s.changes_omitted + static_cast<int64_t>(s.changes.size() - kept);
    // Straight into the JSON array: a full sync's stage has 100,000 lines.
    nlohmann::json changes = nlohmann::json::array();
    auto& lines = changes.get_ref<nlohmann::json::array_t&>();
    lines.reserve(kept);
    for (size_t i = 0; i < kept; ++i) lines.emplace_back(s.changes[i]);
    stages.push_back({{"stage", s.stage},
                      {"read", s.read},
                      {"added", s.added},
                      {"updated", s.updated},
                      {"deleted", s.deleted},
                      {"unchanged", s.unchanged},
                      {"skipped", s.skipped},
                      {"changes", std::move(changes)},
                      {"seconds", s.seconds},
                      {"groups",
                       {{"read", s.groups.read},
                        {"added", s.groups.added},
                        {"updated", s.groups.updated},
                        {"deleted", s.groups.deleted},
                        {"unchanged", s.groups.unchanged}}}});
    if (omitted > 0) stages.back()["changesOmitted"] = omitted;
  }
  nlohmann::json j = {{"stages", std::move(stages)}};
  if (!r.source_method.empty()) {
    j["source"] = {{"method", r.source_method}, {"entries", r.source_entries}, {"notes", r.notes}};
  }
  return j;
}

Result<SyncReport> sync_report_from_json(const nlohmann::json& j) {
  SyncReport r;
  try {
    for (const auto& s : j.at("stages")) {
      StageReport st;
      st.stage = s.at("stage").get<std::string>();
      st.read = s.at("read").get<int64_t>();
      st.added = s.at("added").get<int64_t>();
      st.updated = s.at("updated").get<int64_t>();
      st.deleted = s.at("deleted").get<int64_t>();
      st.unchanged = s.at("unchanged").get<int64_t>();
      st.skipped = s.at("skipped").get<std::map<std::string, int64_t>>();
      st.changes = s.at("changes").get<std::vector<std::string>>();
      if (s.contains("changesOmitted")) st.changes_omitted = s["changesOmitted"].get<int64_t>();
      // Runs recorded before stages were timed have no duration.
      if (s.contains("seconds")) st.seconds = s["seconds"].get<double>();
      if (s.contains("groups")) {  // runs recorded before groups were synced have none
        const auto& g = s["groups"];
        st.groups.read = g.at("read").get<int64_t>();
        st.groups.added = g.at("added").get<int64_t>();
        st.groups.updated = g.at("updated").get<int64_t>();
        st.groups.deleted = g.at("deleted").get<int64_t>();
        st.groups.unchanged = g.at("unchanged").get<int64_t>();
      }
      r.stages.push_back(std::move(st));
    }
    if (j.contains("source")) {
      r.source_method = j["source"].at("method").get<std::string>();
      r.source_entries = j["source"].at("entries").get<int64_t>();
      r.notes = j["source"].at("notes").get<std::vector<std::string>>();
    }
  } catch (const nlohmann::json::exception& e) {
    return data_loss(std::string("sync run history: corrupt report: ") + e.what());
  }
  return r;
}

nlohmann::json sync_run_json(const SyncRun& run) {
  nlohmann::json j = {{"id", run.id},
                      {"startedAt", run.started_at},
                      {"finishedAt", run.finished_at},
                      {"trigger", run.trigger},
                      {"source", run.source},
                      {"full", run.full},
                      {"dryRun", run.dry_run},
                      {"status", run.succeeded ? "succeeded" : "failed"},
                      {"seconds", run.seconds}};
  // The report once (its change lines are many), its parts moved in.
  nlohmann::json report = sync_report_json(run.report);
  j["stages"] = std::move(report["stages"]);
  if (report.contains("source")) j["source"] = std::move(report["source"]);
  if (!run.error.empty()) j["error"] = run.error;
  return j;
}

Result<SyncReport> sync_tenant(Store& store, const Tenant& tenant,
                               const std::vector<LdifRecord>* ldif, const SyncOptions& options) {
  if (options.only_stage && tenant.kind == TenantKind::kServer) {
    return failed_precondition("tenant '" + tenant.name +
                               "' is a server tenant: its directory imports into profiles in one "
                               "step, without the online stages that --stage picks");
  }
  // Stages 1-3 alone read no source: the connector is read for stage 0 only.
  if (!ldif && (!options.only_stage || *options.only_stage == 0)) {
    UPSYNC_ASSIGN_OR_RETURN(auto connectors, open_connector_store(store));
    UPSYNC_ASSIGN_OR_RETURN(auto all, connectors->list(tenant.id));
    if (!all.empty()) {
      UPSYNC_ASSIGN_OR_RETURN(SyncReport r, run_connector(store, tenant, all.front(), options));
      r.notes.insert(r.notes.begin(), "connector " + all.front().name);
      return r;
    }
  }
  if (tenant.kind != TenantKind::kServer) return run_sync(store, tenant, ldif, options);
  if (!ldif) {
    return failed_precondition("tenant '" + tenant.name +
                               "' is a server tenant: its profiles import straight from its "
                               "directory (upsync sync ldif|ldap, or a connector: upsync "
                               "connector add), not from a cloud directory");
  }
  return import_server_profiles(store, tenant, *ldif, options);
}

namespace {

// A holder name per run: two runs in one process (two API requests) are two holders.
std::string next_sync_holder(std::string_view trigger) {
  static std::atomic<int64_t> runs{0};
  return lease_holder_name(std::string(trigger) + "-sync-" + std::to_string(++runs));
}

// record_run() once its lease is held.
Result<SyncRun> record_claimed_run(
    Store& store, const Tenant& tenant, const SyncOptions& options, std::string_view trigger,
    std::string_view source, LeaseStore& leases, const std::string& lease,
    const std::string& holder, const std::function<Result<SyncReport>(const SyncOptions&)>& sync);

}  // namespace

Result<std::optional<Lease>> running_sync(Store& store, const Tenant& tenant) {
  UPSYNC_ASSIGN_OR_RETURN(auto leases, store.lease_store());
  UPSYNC_ASSIGN_OR_RETURN(std::optional<Lease> lease, leases->get(sync_lease_name(tenant.name)));
  if (lease && lease->expired) return std::optional<Lease>();
  return lease;
}

Result<SyncRun> record_run(Store& store, const Tenant& tenant, const SyncOptions& options,
                           std::string_view trigger, std::string_view source,
                           const std::function<Result<SyncReport>(const SyncOptions&)>& sync) {
  UPSYNC_ASSIGN_OR_RETURN(auto leases, store.lease_store());
  const std::string lease = sync_lease_name(tenant.name);
  const std::string holder = next_sync_holder(trigger);
  if (auto claimed = leases->claim(lease, holder, kSyncLeaseTtl); !claimed) {
    if (claimed.status().code() != StatusCode::kFailedPrecondition) return claimed.status();
    return failed_precondition(
        "tenant '" + tenant.name +
        "' is being synced by another run, which must end first: " + claimed.status().message());
  }
  auto run =
      record_claimed_run(store, tenant, options, trigger, source, *leases, lease, holder, sync);
  // Released whatever the outcome, so that the next run need not wait for the expiry.
  Status released = leases->release(lease, holder);
  if (!released.is_ok()) {
    released = released.with_context("releasing the sync lease of tenant '" + tenant.name + "'");
    if (run) return released;
    return Status(run.status().code(), run.status().message() + "; and " + released.to_string());
  }
  return run;
}

namespace {

Result<SyncRun> record_claimed_run(
    Store& store, const Tenant& tenant, const SyncOptions& options, std::string_view trigger,
    std::string_view source, LeaseStore& leases, const std::string& lease,
    const std::string& holder, const std::function<Result<SyncReport>(const SyncOptions&)>& sync) {
  UPSYNC_ASSIGN_OR_RETURN(auto runs, open_sync_run_store(store));
  SyncRun run;
  run.trigger = trigger;
  run.source = source;
  run.full = options.full;
  run.dry_run = options.dry_run;
  run.started_at = utc_now_iso();
  const auto t0 = std::chrono::steady_clock::now();
  // Whole milliseconds: what the history keeps, so a run reads back as it was answered.
  auto seconds = [&] {
    return static_cast<double>(std::chrono::duration_cast<std::chrono::milliseconds>(
                                   std::chrono::steady_clock::now() - t0)
                                   .count()) /
           1000;
  };
  // Whether the entry went in with the run's data (before_commit ran in a transaction that
  // then committed, as a successful `sync` tells).
  bool written = false;
  SyncOptions recorded = options;
  recorded.before_commit = [&](const SyncReport& so_far) -> Status {
    // In the run's transaction: its data commits only while the run still holds the lease.
    UPSYNC_ASSIGN_OR_RETURN(bool held, leases.renew(lease, holder, kSyncLeaseTtl));
    if (!held) {
      return failed_precondition("tenant '" + tenant.name + "': this run's lease (" + holder +
                                 ") expired before it could commit; another run may have "
                                 "started, so this one wrote nothing");
    }
    if (options.before_commit) UPSYNC_RETURN_IF_ERROR(options.before_commit(so_far));
    SyncRun entry = run;
    entry.succeeded = true;
    entry.report = so_far;
    entry.seconds = seconds();
    entry.finished_at = utc_now_iso();
    if (written) return runs->update(tenant.id, entry);
    UPSYNC_ASSIGN_OR_RETURN(run.id, runs->add(tenant.id, entry));
    written = true;
    return Status::ok();
  };
  auto report = sync(recorded);
  run.seconds = seconds();
  run.finished_at = utc_now_iso();
  if (report) {
    run.succeeded = true;
    run.report = std::move(*report);
  } else if (report.status().is_user_error()) {
    run.error = report.status().message();
  } else {
    return report.status();  // a broken store cannot record the run either
  }
  if (run.succeeded && written) {
    UPSYNC_RETURN_IF_ERROR(runs->update(tenant.id, run));
    return run;
  }
  // Rolled back (a dry run, a failure), or a sync that never reached a commit of its own:
  // the entry goes in now.
  UPSYNC_ASSIGN_OR_RETURN(run.id, runs->add(tenant.id, run));
  return run;
}

}  // namespace

Result<SyncRun> run_and_record(Store& store, const Tenant& tenant,
                               const std::vector<LdifRecord>* ldif, const SyncOptions& options,
                               std::string_view trigger, std::string_view source) {
  return record_run(store, tenant, options, trigger, source,
                    [&](const SyncOptions& o) { return sync_tenant(store, tenant, ldif, o); });
}

}  // namespace upsync
