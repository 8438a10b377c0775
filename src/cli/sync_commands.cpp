// upsync sync run|ldif, upsync directory user list|set
#include <CLI/CLI.hpp>
#include <cstdlib>
#include <fstream>
#include <nlohmann/json.hpp>
#include <ostream>
#include <sstream>

#include "cli/context.h"
#include "cli/output.h"
#include "directory/ldap_source.h"
#include "sync/ldap_connector.h"
#include "sync/pipeline.h"

namespace upsync {
namespace {

nlohmann::json report_json(const SyncReport& r) {
  nlohmann::json stages = nlohmann::json::array();
  for (const StageReport& s : r.stages) {
    stages.push_back({{"stage", s.stage},
                      {"read", s.read},
                      {"added", s.added},
                      {"updated", s.updated},
                      {"deleted", s.deleted},
                      {"unchanged", s.unchanged},
                      {"skipped", s.skipped},
                      {"changes", s.changes}});
  }
  nlohmann::json j = {{"stages", stages}};
  if (!r.source_method.empty()) {
    j["source"] = {{"method", r.source_method}, {"entries", r.source_entries}, {"notes", r.notes}};
  }
  return j;
}

void print_report(std::ostream& out, const SyncReport& r, bool dry_run) {
  TextTable t({"STAGE", "READ", "ADDED", "UPDATED", "DELETED", "UNCHANGED", "SKIPPED"});
  for (const StageReport& s : r.stages) {
    std::string skipped;
    for (const auto& [why, n] : s.skipped) {
      skipped += (skipped.empty() ? "" : ", ") + std::to_string(n) + " " + why;
    }
    t.add_row({s.stage, std::to_string(s.read), std::to_string(s.added), std::to_string(s.updated),
               std::to_string(s.deleted), std::to_string(s.unchanged), skipped});
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

Result<std::string> read_whole_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return not_found("cannot read '" + path + "'");
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
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
        UPSYNC_ASSIGN_OR_RETURN(std::string text, read_whole_file(a->file));
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
      SyncReport r;
      if (source == Source::kLdap) {
        UPSYNC_ASSIGN_OR_RETURN(DeltaMethod method, parse_delta_method(a->delta_method));
        UPSYNC_ASSIGN_OR_RETURN(r, run_ldap_sync(*store, t, a->ldap, method, a->options));
      } else {
        UPSYNC_ASSIGN_OR_RETURN(
            r, run_sync(*store, t, source == Source::kLdif ? &records : nullptr, a->options));
      }
      if (ctx.json) {
        print_json(*ctx.out, report_json(r));
      } else {
        print_report(*ctx.out, r, a->options.dry_run);
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

  CLI::App* r = group->add_subcommand("run", "sync the cloud directory into profiles");
  add_common(r);
  r->callback([run] { run(Source::kNone); });
}

}  // namespace upsync
