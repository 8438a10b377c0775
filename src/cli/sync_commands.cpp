// upsync sync run|ldif, upsync directory user list|set
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <nlohmann/json.hpp>
#include <optional>
#include <ostream>
#include <sstream>

#include "cli/context.h"
#include "cli/output.h"
#include "directory/ldap_source.h"
#include "sync/ldap_connector.h"
#include "sync/pipeline.h"
#include "sync/run_history.h"
#include "sync/scheduler.h"
#include "sync/server_import.h"

namespace upsync {
namespace {

std::string seconds_text(double seconds) {
  char text[32];
  std::snprintf(text, sizeof text, "%.2f", seconds);
  return text;
}

void print_report(std::ostream& out, const SyncReport& r, bool dry_run) {
  TextTable t({"STAGE", "READ", "ADDED", "UPDATED", "DELETED", "UNCHANGED", "SKIPPED", "SECONDS"});
  for (const StageReport& s : r.stages) {
    std::string skipped;
    for (const auto& [why, n] : s.skipped) {
      skipped += (skipped.empty() ? "" : ", ") + std::to_string(n) + " " + why;
    }
    t.add_row({s.stage, std::to_string(s.read), std::to_string(s.added), std::to_string(s.updated),
               std::to_string(s.deleted), std::to_string(s.unchanged), skipped,
               seconds_text(s.seconds)});
    const ObjectCounts& g = s.groups;
    if (g.read || g.added || g.updated || g.deleted || g.unchanged) {
      t.add_row({s.stage + " (groups)", std::to_string(g.read), std::to_string(g.added),
                 std::to_string(g.updated), std::to_string(g.deleted), std::to_string(g.unchanged),
                 "", ""});
    }
  }
  t.print(out);
  if (!r.source_method.empty()) {
    out << "source: " << r.source_method << ", " << r.source_entries << " entries read\n";
  }
  for (const std::string& n : r.notes) out << "note: " << n << "\n";
  if (dry_run) {
    out << "dry run: nothing was written. Changes it would make:\n";
    for (const StageReport& s : r.stages) {
      for (const std::string& c : s.changes) out << "  " << s.stage << "  " << c << "\n";
    }
  }
}

}  // namespace

void add_sync_commands(CLI::App& app, CliContext& ctx) {
  CLI::App* group = app.add_subcommand("sync", "run the directory sync pipeline");
  group->require_subcommand(1);
  struct Args {
    std::string tenant;
    std::string file;
    SyncOptions options;
    LdapSourceConfig ldap;
    std::string password_env;
    std::string delta_method = "auto";
  };
  auto a = std::make_shared<Args>();
  auto add_common = [&](CLI::App* c) {
    c->add_option("--tenant,-t", a->tenant, "tenant name")->required();
    c->add_flag("--full", a->options.full, "re-read everything instead of the changes");
    c->add_flag("--dry-run", a->options.dry_run, "show what would change, write nothing");
  };
  enum class Source { kNone, kLdif, kLdap };
  auto run = [&ctx, a](Source source) {
    ctx.action = [&ctx, a, source]() -> Status {
      // The tenant first: an unknown one must not cost a read of the whole directory.
      UPSYNC_ASSIGN_OR_RETURN(Tenant t, ctx.tenant(a->tenant));
      std::vector<LdifRecord> records;
      if (source == Source::kLdif) {
        UPSYNC_ASSIGN_OR_RETURN(std::string text, read_input_file(a->file));
        UPSYNC_ASSIGN_OR_RETURN(records, parse_ldif(text));
      } else if (source == Source::kLdap) {
        if (!a->password_env.empty()) {
          const char* pw = std::getenv(a->password_env.c_str());
          if (!pw) {
            return invalid_argument("--password-env: environment variable '" + a->password_env +
                                    "' is not set");
          }
          a->ldap.password = pw;
        }
      }
      UPSYNC_ASSIGN_OR_RETURN(Store * store, ctx.store());
      // A progress bar per stage, on a terminal only: logs and pipes get the report alone.
      std::string drawn;  // the stage whose bar is on the line
      auto stage_start = std::chrono::steady_clock::now();
      if (isatty(STDERR_FILENO) != 0) {
        a->options.progress = [&](const SyncProgress& p) {
          const auto now = std::chrono::steady_clock::now();
          if (drawn != p.stage) {
            if (!drawn.empty()) *ctx.err << "\n";
            drawn = p.stage;
            stage_start = now;
          }
          const double seconds = std::chrono::duration<double>(now - stage_start).count();
          const double rate = seconds > 0 ? static_cast<double>(p.done) / seconds : 0;
          *ctx.err << "\r" << p.stage << " "
                   << progress_line(p.done, p.total, rate,
                                    p.stage == "connect" ? "users" : "changes")
                   << "\x1b[K" << std::flush;
        };
      }
      const char* source_name = source == Source::kLdif   ? "ldif"
                                : source == Source::kLdap ? "ldap"
                                                          : "cloud";
      // `o` is a->options with record_run()'s hook that writes the history entry.
      auto sync = [&](const SyncOptions& o) -> Result<SyncReport> {
        if (source != Source::kLdap) {
          return sync_tenant(*store, t, source == Source::kLdif ? &records : nullptr, o);
        }
        if (t.kind == TenantKind::kServer) {
          // Server tenants import a complete read straight into profiles.
          UPSYNC_ASSIGN_OR_RETURN(auto entries, read_ldap_entries(a->ldap));
          return import_server_profiles(*store, t, entries, o);
        }
        UPSYNC_ASSIGN_OR_RETURN(DeltaMethod method, parse_delta_method(a->delta_method));
        return run_ldap_sync(*store, t, a->ldap, method, o);
      };
      auto run_result = record_run(*store, t, a->options, "cli", source_name, sync);
      a->options.progress = nullptr;  // it refers to this call's locals
      if (!drawn.empty()) *ctx.err << "\n";
      UPSYNC_ASSIGN_OR_RETURN(SyncRun run, std::move(run_result));
      if (!run.succeeded) return failed_precondition(run.error);
      if (ctx.json) {
        print_json(*ctx.out, sync_report_json(run.report));
      } else {
        print_report(*ctx.out, run.report, a->options.dry_run);
      }
      return Status::ok();
    };
  };

  CLI::App* ldif = group->add_subcommand(
      "ldif", "import a complete LDIF export of the on-premises directory, then sync");
  add_common(ldif);
  ldif->add_option("file", a->file, "the LDIF file")->required();
  ldif->add_option("--deletion-threshold", a->options.deletion_threshold,
                   "refuse a run that would delete more users than this");
  ldif->callback([run] { run(Source::kLdif); });

  CLI::App* ldap = group->add_subcommand(
      "ldap",
      "read the on-premises directory over LDAP, then sync. The first run of a source and "
      "--full read everything and delete the users the directory no longer has; later runs "
      "read only the changes (see --delta-method).");
  add_common(ldap);
  ldap->add_option("--url", a->ldap.url, "ldap://host:port or ldaps://host:port")->required();
  ldap->add_option("--base", a->ldap.base, "search base DN")->required();
  ldap->add_option("--bind-dn", a->ldap.bind_dn, "DN to bind as (default: anonymous)");
  ldap->add_option("--password-env", a->password_env,
                   "name of the environment variable holding the bind password");
  ldap->add_option("--filter", a->ldap.filter, "LDAP filter");
  ldap->add_flag("--start-tls", a->ldap.start_tls, "upgrade ldap:// with StartTLS");
  ldap->add_flag("--one-level", a->ldap.one_level, "only the base's direct children");
  ldap->add_option("--page-size", a->ldap.page_size,
                   "entries per page (RFC 2696) for the usn, timestamp and none methods "
                   "(syncrepl never pages: it would truncate silently)");
  ldap->add_option(
      "--delta-method", a->delta_method,
      "how a delta run reads changes: auto (syncrepl when the server offers it, else usn on "
      "Active Directory, else timestamp); syncrepl (RFC 4533 refreshOnly with the stored "
      "cookie: changes, deletions and moves out of scope); usn (uSNChanged, Active Directory) "
      "and timestamp (modifyTimestamp) see changes only: deletions and moves out of scope are "
      "found by the next --full run; none (read everything every run)");
  ldap->add_option("--deletion-threshold", a->options.deletion_threshold,
                   "refuse a run that would delete more users than this");
  ldap->callback([run] { run(Source::kLdap); });

  CLI::App* r = group->add_subcommand(
      "run", "sync the tenant: its connector (upsync connector add), then stages 1-3");
  add_common(r);
  r->add_option("--deletion-threshold", a->options.deletion_threshold,
                "refuse a run that would delete more users than this");
  r->add_option("--stage", a->options.only_stage,
                "run one stage only: 0 connector to cloud directory, 1 to the directory store, 2 "
                "to profiles, 3 to site user lists");
  r->callback([run] { run(Source::kNone); });

  struct ScheduleArgs {
    std::string tenant;
    std::optional<int64_t> every;
    bool off = false;
  };
  auto sc = std::make_shared<ScheduleArgs>();
  CLI::App* schedule = group->add_subcommand(
      "schedule", "run the sync (stages 1-2) every N seconds inside `upsync serve`");
  schedule->add_option("--tenant,-t", sc->tenant, "tenant name")->required();
  schedule->add_option("--every", sc->every, "seconds between runs, e.g. 300");
  schedule->add_flag("--off", sc->off, "no scheduled runs");
  schedule->callback([&ctx, sc] {
    ctx.action = [&ctx, sc]() -> Status {
      UPSYNC_ASSIGN_OR_RETURN(Tenant t, ctx.tenant(sc->tenant));
      UPSYNC_ASSIGN_OR_RETURN(Store * store, ctx.store());
      UPSYNC_ASSIGN_OR_RETURN(auto schedules, open_schedule_store(*store));
      if (sc->off && sc->every) return invalid_argument("--off and --every exclude each other");
      if (sc->off) UPSYNC_RETURN_IF_ERROR(schedules->clear(t));
      if (sc->every) UPSYNC_RETURN_IF_ERROR(schedules->set(t, *sc->every));
      UPSYNC_ASSIGN_OR_RETURN(auto every, schedules->get(t));
      if (ctx.json) {
        print_json(*ctx.out, {{"tenant", t.name},
                              {"intervalSeconds", every ? nlohmann::json(*every) : nullptr}});
      } else if (every) {
        *ctx.out << "tenant '" << t.name << "' syncs every " << *every
                 << " seconds while upsync serve runs\n";
      } else {
        *ctx.out << "tenant '" << t.name << "' has no scheduled sync\n";
      }
      return Status::ok();
    };
  });

  struct StatusArgs {
    std::string tenant;
    int limit = 20;
  };
  auto sa = std::make_shared<StatusArgs>();
  CLI::App* status = group->add_subcommand("status", "the history of sync runs, newest first");
  status->add_option("--tenant,-t", sa->tenant, "tenant name")->required();
  status->add_option("--limit", sa->limit, "how many runs")->check(CLI::Range(1, 10000));
  status->callback([&ctx, sa] {
    ctx.action = [&ctx, sa]() -> Status {
      UPSYNC_ASSIGN_OR_RETURN(Tenant t, ctx.tenant(sa->tenant));
      UPSYNC_ASSIGN_OR_RETURN(Store * store, ctx.store());
      UPSYNC_ASSIGN_OR_RETURN(auto runs_store, open_sync_run_store(*store));
      UPSYNC_ASSIGN_OR_RETURN(auto runs, runs_store->list(t.id, sa->limit));
      // A run going on now (in any process on the database) is not in the history yet.
      UPSYNC_ASSIGN_OR_RETURN(std::optional<Lease> running, running_sync(*store, t));
      if (ctx.json) {
        nlohmann::json arr = nlohmann::json::array();
        for (const auto& run : runs) arr.push_back(sync_run_json(run));
        // --json keeps printing the history's array; the running run goes to stderr.
        if (running) *ctx.err << "running: " << describe_lease(*running) << "\n";
        print_json(*ctx.out, arr);
        return Status::ok();
      }
      if (running) *ctx.out << "running: " << describe_lease(*running) << "\n";
      TextTable table({"RUN", "STARTED", "SECONDS", "STAGE SECONDS", "HOW", "STATUS", "ADDED",
                       "UPDATED", "DELETED", "SKIPPED", "GROUPS +/~/-", "ERROR"});
      for (const auto& run : runs) {
        int64_t added = 0, updated = 0, deleted = 0, skipped = 0;
        ObjectCounts groups;
        std::string stage_seconds;  // "0.41/0.20/0.35/0.01", stage by stage
        for (const auto& st : run.report.stages) {
          stage_seconds += (stage_seconds.empty() ? "" : "/") + seconds_text(st.seconds);
          added += st.added;
          updated += st.updated;
          deleted += st.deleted;
          for (const auto& [why, n] : st.skipped) skipped += n;
          groups.added += st.groups.added;
          groups.updated += st.groups.updated;
          groups.deleted += st.groups.deleted;
        }
        std::string how = run.trigger + " " + run.source + (run.full ? " full" : "") +
                          (run.dry_run ? " dry-run" : "");
        table.add_row({std::to_string(run.id), run.started_at, seconds_text(run.seconds),
                       stage_seconds, how, run.succeeded ? "succeeded" : "failed",
                       std::to_string(added), std::to_string(updated), std::to_string(deleted),
                       std::to_string(skipped),
                       std::to_string(groups.added) + "/" + std::to_string(groups.updated) + "/" +
                           std::to_string(groups.deleted),
                       run.error});
      }
      table.print(*ctx.out);
      return Status::ok();
    };
  });
}

}  // namespace upsync
