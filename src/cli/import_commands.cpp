// upsync import queue|status|list|run-pending, and upsync worker: the bulk import of seed 003
// and the process that runs imports and scheduled syncs outside `serve`.
#include <signal.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <chrono>
#include <nlohmann/json.hpp>
#include <optional>
#include <ostream>
#include <thread>

#include "bulkimport/importer.h"
#include "cli/context.h"
#include "cli/output.h"
#include "http/import_worker.h"
#include "sync/scheduler.h"

namespace upsync {
namespace {

nlohmann::json job_json(const ImportJob& j) {
  nlohmann::json out = {{"JobId", j.job_id},
                        {"State", import_job_state_name(j.state)},
                        {"SourceUri", j.source_uri},
                        {"Error", import_job_error_name(j.error)},
                        {"ErrorMessage", j.error_message},
                        {"LogFileUri", j.log_folder_uri},
                        {"LogFolderUri", j.log_folder_uri},
                        {"RecordsDone", j.records_done},
                        {"MultiValueArrays", j.multi_value_arrays},
                        {"Worker", nullptr},
                        {"Heartbeat", nullptr}};
  // Who runs the job (its lease's holder) and when that worker last checked in.
  if (j.lease) {
    out["Worker"] = j.lease->holder;
    out["Heartbeat"] = lease_time_iso(j.lease->heartbeat_at_ms);
    out["LeaseExpired"] = j.lease->expired;
  }
  // A split job: each range with its checkpoint and the worker applying it.
  if (!j.ranges.empty()) {
    nlohmann::json ranges = nlohmann::json::array();
    for (const ImportRange& r : j.ranges) {
      nlohmann::json range = {{"Index", r.index},   {"FirstRecord", r.first},
                              {"EndRecord", r.end}, {"RecordsDone", r.done - r.first},
                              {"Worker", nullptr},  {"Heartbeat", nullptr}};
      if (r.lease) {
        range["Worker"] = r.lease->holder;
        range["Heartbeat"] = lease_time_iso(r.lease->heartbeat_at_ms);
        range["LeaseExpired"] = r.lease->expired;
      }
      ranges.push_back(std::move(range));
    }
    out["Ranges"] = std::move(ranges);
  }
  return out;
}

// "<holder>, heartbeat <time>" for the text table, with " (expired)" when it has passed.
std::string lease_text(const Lease& l) {
  return l.holder + ", heartbeat " + lease_time_iso(l.heartbeat_at_ms) +
         (l.expired ? " (expired)" : "");
}

// Who runs the job, for the text table: its lease's holder, and for a split job the holder of
// each range being applied ("range 2/4: <holder>, heartbeat <time>"); "" when nobody does.
std::string worker_text(const ImportJob& j) {
  std::string out;
  if (j.lease) out = lease_text(*j.lease);
  for (const ImportRange& r : j.ranges) {
    if (!r.lease || r.finished()) continue;
    if (!out.empty()) out += "; ";
    out += "range " + std::to_string(r.index + 1) + "/" + std::to_string(j.ranges.size()) + ": " +
           lease_text(*r.lease);
  }
  return out;
}

void print_jobs(CliContext& ctx, const std::vector<ImportJob>& jobs) {
  if (ctx.json) {
    nlohmann::json arr = nlohmann::json::array();
    for (const auto& j : jobs) arr.push_back(job_json(j));
    print_json(*ctx.out, arr);
    return;
  }
  TextTable table({"JOB", "STATE", "ERROR", "SOURCE", "LOG", "MESSAGE", "WORKER"});
  for (const auto& j : jobs) {
    table.add_row({j.job_id, std::string(import_job_state_name(j.state)),
                   std::string(import_job_error_name(j.error)), j.source_uri, j.log_folder_uri,
                   j.error_message, worker_text(j)});
  }
  table.print(*ctx.out);
}

struct Limits {
  uint64_t max_file_bytes = ImportLimits{}.max_file_bytes;
  int64_t max_properties = ImportLimits{}.max_properties;
  int batch = ImportLimits{}.batch_records;
  int64_t range_records = ImportLimits{}.range_records;
  double lease_seconds = std::chrono::duration<double>(ImportLimits{}.lease_ttl).count();
  ImportLimits get() const {
    ImportLimits l;
    l.max_file_bytes = max_file_bytes;
    l.max_properties = max_properties;
    l.batch_records = batch;
    l.range_records = range_records;
    l.lease_ttl = std::chrono::milliseconds(static_cast<int64_t>(lease_seconds * 1000));
    return l;
  }
};

void add_limit_options(CLI::App* cmd, Limits& l) {
  cmd->add_option("--max-file-bytes", l.max_file_bytes, "largest data file accepted");
  cmd->add_option("--max-properties", l.max_properties, "most property values in one file");
  cmd->add_option("--batch", l.batch, "user objects per transaction")
      ->check(CLI::Range(1, 1000000));
  cmd->add_option("--range-records", l.range_records,
                  "a job of at least twice this many user objects is split into ranges of about "
                  "this many, which several workers apply side by side (0: never split)")
      ->check(CLI::Range(int64_t{0}, int64_t{1} << 40));
  cmd->add_option("--lease-seconds", l.lease_seconds,
                  "how long a job stays this worker's without a checkpoint; a killed worker's "
                  "job is taken over by another once it has passed")
      ->check(CLI::Range(0.05, 86400.0));
}

void add_worker_command(CLI::App& app, CliContext& ctx);

// Runs every runnable job, or `tenant`'s alone when given; prints each as it ends.
Status run_pending(CliContext& ctx, const Limits& limits, bool quiet_when_idle,
                   const std::optional<std::string>& tenant = std::nullopt) {
  std::optional<TenantId> only;
  if (tenant) {
    UPSYNC_ASSIGN_OR_RETURN(Tenant t, ctx.tenant(*tenant));
    only = t.id;
  }
  UPSYNC_ASSIGN_OR_RETURN(Store * store, ctx.store());
  UPSYNC_ASSIGN_OR_RETURN(auto jobs, open_job_store(*store));
  DocumentLibraries libs(ctx.data_dir);
  BulkImporter imp(*store, *jobs, libs, limits.get());
  // A progress bar on a terminal only: logs and pipes get the jobs' outcomes alone.
  const bool tty = isatty(STDERR_FILENO) != 0;
  std::string drawn;  // the job whose bar is on the line
  UPSYNC_ASSIGN_OR_RETURN(
      auto done, imp.run_pending(
                     [&](const ImportJob& j, const ImportProgress& p) {
                       if (!tty) return;
                       if (!drawn.empty() && drawn != j.job_id) *ctx.err << "\n";
                       // \r back to the line's start, the bar, then \x1b[K clears what a
                       // longer bar left.
                       *ctx.err << "\r" << j.job_id << " ";
                       if (p.checking) {
                         const double per_second =
                             p.seconds > 0 ? static_cast<double>(p.bytes_checked) / p.seconds : 0;
                         *ctx.err << "checking "
                                  << progress_line(p.bytes_checked, p.bytes_total, per_second,
                                                   "bytes");
                       } else {
                         *ctx.err << progress_line(p.records_done, p.records_total, p.rate());
                       }
                       *ctx.err << "\x1b[K" << std::flush;
                       drawn = j.job_id;
                     },
                     only));
  if (!drawn.empty()) *ctx.err << "\n";
  if (done.empty() && quiet_when_idle) return Status::ok();
  print_jobs(ctx, done);
  return Status::ok();
}

// upsync worker: the import worker and the sync scheduler that `serve` runs (ImportWorkerThread,
// SyncSchedulerThread), in a process of their own, until SIGTERM or SIGINT; then a running
// import stops at its next checkpoint (it stays Processing and the next worker resumes it).
void add_worker_command(CLI::App& app, CliContext& ctx) {
  struct WorkerArgs {
    Limits limits;
    double interval = 5;
    std::string config;
    std::string name;
    bool no_scheduler = false;
  };
  auto wa = std::make_shared<WorkerArgs>();
  CLI::App* worker = app.add_subcommand(
      "worker",
      "run queued imports and scheduled syncs until SIGTERM (what serve --no-worker leaves)");
  worker->add_option("--config", wa->config,
                     "a configuration file (e.g. /etc/upsync/upsync.toml); flags given here win");
  worker->add_option("--interval", wa->interval, "seconds between polls for queued imports")
      ->check(CLI::Range(0.05, 3600.0));
  worker->add_option("--name", wa->name,
                     "this worker's name in logs (the systemd unit passes its instance); with "
                     "the configuration's worker.scheduler, only the worker so named runs "
                     "scheduled syncs");
  worker->add_flag("--no-scheduler", wa->no_scheduler, "run imports only, no scheduled syncs");
  add_limit_options(worker, wa->limits);
  worker->callback([&ctx, wa, worker] {
    ctx.action = [&ctx, wa, worker]() -> Status {
      bool scheduler = !wa->no_scheduler;
      if (!wa->config.empty()) {
        UPSYNC_ASSIGN_OR_RETURN(ServiceConfig config, load_service_config(wa->config));
        UPSYNC_RETURN_IF_ERROR(ctx.use_config(config));
        if (config.worker.interval && worker->get_option("--interval")->count() == 0) {
          wa->interval = *config.worker.interval;
        }
        // Each process keeps the scheduler's timing for itself: every worker running it would
        // run each scheduled sync once per worker. The file names the one that does.
        if (config.worker.scheduler) scheduler = scheduler && *config.worker.scheduler == wa->name;
      }
      // Blocked in every thread started below; this one waits for them.
      sigset_t signals;
      sigemptyset(&signals);
      sigaddset(&signals, SIGTERM);
      sigaddset(&signals, SIGINT);
      pthread_sigmask(SIG_BLOCK, &signals, nullptr);
      UPSYNC_ASSIGN_OR_RETURN(Storage * storage, ctx.storage());
      const std::string who = "upsync worker" + (wa->name.empty() ? "" : " " + wa->name);
      ImportWorkerThread imports(
          *storage, ctx.data_dir, wa->interval,
          [&ctx](const ImportJob& job) {
            print_jobs(ctx, {job});
            ctx.out->flush();
          },
          wa->limits.get());
      std::optional<SyncSchedulerThread> syncs;
      if (scheduler) syncs.emplace(*storage, nullptr);
      imports.start();
      if (syncs) syncs->start();
      *ctx.err << who << ": running queued imports (polling every " << wa->interval << " s)"
               << (scheduler ? " and scheduled syncs" : "") << " on " << storage->where()
               << " until SIGTERM" << std::endl;
      int sig = 0;
      sigwait(&signals, &sig);
      *ctx.err << who << ": stopping on signal " << sig << std::endl;
      imports.stop();
      if (syncs) syncs->stop();
      return Status::ok();
    };
  });
}

}  // namespace

void add_import_commands(CLI::App& app, CliContext& ctx) {
  CLI::App* group = app.add_subcommand("import", "bulk import of custom profile properties");
  group->require_subcommand(1);

  struct QueueArgs {
    std::string tenant, id_type, id_property, source;
    std::vector<std::string> maps;
    Limits limits;
    bool multi_value_arrays = false;
  };
  auto qa = std::make_shared<QueueArgs>();
  CLI::App* queue =
      group->add_subcommand("queue", "queue an import (QueueImportProfileProperties)");
  queue->add_option("--tenant,-t", qa->tenant, "tenant name")->required();
  queue->add_option("--id-type", qa->id_type, "Email, CloudId or PrincipalName")->required();
  queue->add_option("--id-property", qa->id_property, "the identity property of the file")
      ->required();
  queue->add_option("--map", qa->maps, "FILEPROPERTY=PROFILEPROPERTY (repeat)")->required();
  queue->add_option("--source", qa->source, "URL of the data file in a document library")
      ->required();
  queue->add_flag("--multi-value-arrays", qa->multi_value_arrays,
                  "upsync's extension: map multi-value properties too, their values given as "
                  "JSON arrays of strings in the file (SharePoint Online refuses them)");
  add_limit_options(queue, qa->limits);
  queue->callback([&ctx, qa] {
    ctx.action = [&ctx, qa]() -> Status {
      auto id_type = parse_import_id_type(qa->id_type);
      if (!id_type) {
        return invalid_argument("--id-type '" + qa->id_type +
                                "': expected Email, CloudId or PrincipalName");
      }
      std::map<std::string, std::string> map;
      for (const auto& m : qa->maps) {
        auto eq = m.find('=');
        if (eq == std::string::npos || eq == 0 || eq + 1 == m.size()) {
          return invalid_argument("--map '" + m + "': expected FILEPROPERTY=PROFILEPROPERTY");
        }
        map[m.substr(0, eq)] = m.substr(eq + 1);
      }
      UPSYNC_ASSIGN_OR_RETURN(Tenant t, ctx.tenant(qa->tenant));
      UPSYNC_ASSIGN_OR_RETURN(Store * store, ctx.store());
      UPSYNC_ASSIGN_OR_RETURN(auto jobs, open_job_store(*store));
      DocumentLibraries libs(ctx.data_dir);
      BulkImporter imp(*store, *jobs, libs, qa->limits.get());
      UPSYNC_ASSIGN_OR_RETURN(
          std::string id, imp.queue_import_profile_properties(t, *id_type, qa->id_property, map,
                                                              qa->source, qa->multi_value_arrays));
      UPSYNC_ASSIGN_OR_RETURN(ImportJob job, imp.get_import_profile_property_job(t, id));
      if (ctx.json) {
        print_json(*ctx.out, job_json(job));
      } else {
        *ctx.out << job.job_id << "\n";
      }
      return Status::ok();
    };
  });

  struct StatusArgs {
    std::string tenant, job;
  };
  auto sa = std::make_shared<StatusArgs>();
  CLI::App* status =
      group->add_subcommand("status", "a job's status (GetImportProfilePropertyJob)");
  status->add_option("--tenant,-t", sa->tenant, "tenant name")->required();
  status->add_option("job", sa->job, "job id (default: every job)");
  status->callback([&ctx, sa] {
    ctx.action = [&ctx, sa]() -> Status {
      UPSYNC_ASSIGN_OR_RETURN(Tenant t, ctx.tenant(sa->tenant));
      UPSYNC_ASSIGN_OR_RETURN(Store * store, ctx.store());
      UPSYNC_ASSIGN_OR_RETURN(auto jobs, open_job_store(*store));
      if (sa->job.empty()) {
        UPSYNC_ASSIGN_OR_RETURN(auto all, jobs->list(t.id));
        UPSYNC_RETURN_IF_ERROR(add_ranges(*jobs, all));
        print_jobs(ctx, all);
        return Status::ok();
      }
      UPSYNC_ASSIGN_OR_RETURN(ImportJob j, jobs->get(t.id, sa->job));
      std::vector<ImportJob> one = {std::move(j)};
      UPSYNC_RETURN_IF_ERROR(add_ranges(*jobs, one));
      if (ctx.json) {
        print_json(*ctx.out, job_json(one[0]));
      } else {
        print_jobs(ctx, one);
      }
      return Status::ok();
    };
  });

  auto la = std::make_shared<StatusArgs>();
  CLI::App* list =
      group->add_subcommand("list", "every job of the tenant (GetImportProfilePropertyJobs)");
  list->add_option("--tenant,-t", la->tenant, "tenant name")->required();
  list->callback([&ctx, la] {
    ctx.action = [&ctx, la]() -> Status {
      UPSYNC_ASSIGN_OR_RETURN(Tenant t, ctx.tenant(la->tenant));
      UPSYNC_ASSIGN_OR_RETURN(Store * store, ctx.store());
      UPSYNC_ASSIGN_OR_RETURN(auto jobs, open_job_store(*store));
      UPSYNC_ASSIGN_OR_RETURN(auto all, jobs->list(t.id));
      print_jobs(ctx, all);
      return Status::ok();
    };
  });

  struct RunArgs {
    Limits limits;
    std::optional<std::string> tenant;
  };
  auto ra = std::make_shared<RunArgs>();
  CLI::App* run = group->add_subcommand(
      "run-pending", "run every queued job once (or one tenant's, with --tenant), then exit");
  run->add_option("--tenant,-t", ra->tenant, "run this tenant's jobs only");
  add_limit_options(run, ra->limits);
  run->callback([&ctx, ra] {
    ctx.action = [&ctx, ra]() -> Status { return run_pending(ctx, ra->limits, false, ra->tenant); };
  });

  add_worker_command(app, ctx);
}

}  // namespace upsync
