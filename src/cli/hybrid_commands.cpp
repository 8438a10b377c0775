// upsync hybrid export|push|sync: moving custom profile properties from a server tenant to
// an online one (seed 000, "Moving custom profile properties to Office 365"), through the
// bulk import of seed 003 on the online side.
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <ostream>

#include "audiences/audiences.h"
#include "audiences/hybrid.h"
#include "cli/context.h"
#include "cli/output.h"
#include "core/text.h"
#include "hybrid/profile_export.h"
#include "hybrid/profile_push.h"

namespace upsync {
namespace {

const char* const kJobStates[] = {"Unknown", "Submitted", "Processing",
                                  "Queued",  "Succeeded", "Error"};

std::string state_name(int s) { return s >= 0 && s <= 5 ? kJobStates[s] : std::to_string(s); }

std::string error_name(int e) {
  if (auto n = import_job_error_name(static_cast<ImportJobError>(e)); !n.empty()) {
    return std::string(n);
  }
  return std::to_string(e);
}

Result<ImportIdType> id_type_option(const std::string& text) {
  if (auto t = parse_import_id_type(text)) return *t;
  return invalid_argument("--id-type '" + text + "': expected PrincipalName, Email or CloudId");
}

Result<std::map<std::string, std::string>> map_option(const std::vector<std::string>& maps) {
  std::map<std::string, std::string> out;
  for (const auto& m : maps) {
    auto eq = m.find('=');
    if (eq == std::string::npos || eq == 0 || eq + 1 == m.size()) {
      return invalid_argument("--map '" + m + "': expected FILEPROPERTY=ONLINEPROPERTY");
    }
    if (!out.emplace(m.substr(0, eq), m.substr(eq + 1)).second) {
      return invalid_argument("--map maps '" + m.substr(0, eq) + "' twice");
    }
  }
  return out;
}

// The hybrid users (seed 000): the members of --audience when given, else of the audience the
// tenant's hybrid settings name (`hybrid set --audience`), else every user.
Result<std::optional<int64_t>> hybrid_audience(Store& store, const Tenant& tenant,
                                               const std::string& audience) {
  if (!audience.empty()) {
    UPSYNC_ASSIGN_OR_RETURN(auto audiences, open_audience_store(store));
    UPSYNC_ASSIGN_OR_RETURN(auto found, audiences->find(tenant.id, audience));
    if (!found) {
      return not_found("--audience '" + audience + "': tenant '" + tenant.name +
                       "' has no such audience (see `upsync audience list`)");
    }
    return std::optional<int64_t>(found->id);
  }
  UPSYNC_ASSIGN_OR_RETURN(auto hybrid, open_hybrid_store(store));
  UPSYNC_ASSIGN_OR_RETURN(auto settings, hybrid->get(tenant.id));
  if (settings && settings->audience_id) return settings->audience_id;
  return std::optional<int64_t>();
}

nlohmann::json summary_json(const ExportSummary& s, const std::string& out) {
  nlohmann::json files = nlohmann::json::array();
  for (const ExportedFile& f : s.files) {
    files.push_back(
        {{"file", f.path}, {"users", f.users}, {"values", f.values}, {"bytes", f.bytes}});
  }
  return {{"file", out},
          {"files", files},
          {"usersRead", s.users_read},
          {"usersWritten", s.users_written},
          {"valuesWritten", s.values_written},
          {"skippedNoValue", s.skipped_no_value},
          {"skippedNoId", s.skipped_no_id},
          {"skippedNotInAudience", s.skipped_not_in_audience},
          {"bytes", s.bytes},
          {"properties", s.properties},
          {"idProperty", s.id_profile_property}};
}

struct ExportArgs {
  std::string tenant, out, id_type = "PrincipalName", id_property = "IdName", audience;
  std::vector<std::string> properties;
  int page_size = ExportOptions{}.page_size;
  int64_t max_values = ExportOptions{}.max_values_per_file;
  bool multi_value_arrays = false;
};

void add_export_options(CLI::App* cmd, ExportArgs& a) {
  cmd->add_option("--tenant,-t", a.tenant, "the server tenant")->required();
  cmd->add_option("--properties", a.properties, "profile properties to export (A,B,...)")
      ->delimiter(',')
      ->required();
  cmd->add_option("--id-type", a.id_type,
                  "how the online side finds users: PrincipalName (the UPN), Email or CloudId");
  cmd->add_option("--id-property", a.id_property, "the name of the id member in the file");
  cmd->add_option("--audience", a.audience,
                  "export only this audience's members (default: the hybrid settings' audience, "
                  "else everyone)");
  cmd->add_option("--page-size", a.page_size, "profiles read at a time (memory use)")
      ->check(CLI::Range(1, 10000));
  cmd->add_option("--max-values", a.max_values,
                  "property values per file, at most seed 003's 500,000 per import (the "
                  "default); more are split into several files, imported one after the other")
      ->check(CLI::Range(int64_t{1}, ExportOptions{}.max_values_per_file));
  cmd->add_flag("--multi-value-arrays", a.multi_value_arrays,
                "write multi-value properties as JSON arrays and queue their import with "
                "upsync's extension (an upsync online tenant takes them, SharePoint Online "
                "does not)");
}

Result<ExportSummary> run_export(CliContext& ctx, const ExportArgs& a, const std::string& out) {
  UPSYNC_ASSIGN_OR_RETURN(ImportIdType id_type, id_type_option(a.id_type));
  UPSYNC_ASSIGN_OR_RETURN(Tenant t, ctx.tenant(a.tenant));
  UPSYNC_ASSIGN_OR_RETURN(Store * store, ctx.store());
  UPSYNC_ASSIGN_OR_RETURN(std::optional<int64_t> audience, hybrid_audience(*store, t, a.audience));
  ExportOptions opt;
  opt.properties = a.properties;
  opt.id_type = id_type;
  opt.id_property = a.id_property;
  opt.page_size = a.page_size;
  opt.audience_id = audience;
  opt.max_values_per_file = a.max_values;
  opt.multi_value_arrays = a.multi_value_arrays;
  return export_profile_values(*store, t.id, opt, out);
}

// What an export wrote, in a line (and one per file when it was split).
void print_export(std::ostream& out, const ExportSummary& s) {
  out << "exported " << group_thousands(s.users_written) << " users ("
      << group_thousands(s.values_written) << " values) to " << s.files.front().path << "; skipped "
      << group_thousands(s.skipped_no_value) << " without a value and "
      << group_thousands(s.skipped_no_id) << " without " << s.id_profile_property << "\n";
  if (s.files.size() < 2) return;
  out << "split into " << s.files.size()
      << " files, each one import (seed 003: at most 500,000 values and 2 GB each); import them "
         "one after the other:\n";
  for (const ExportedFile& f : s.files) {
    out << "  " << f.path << ": " << group_thousands(f.users) << " users, "
        << group_thousands(f.values) << " values\n";
  }
}

struct PushArgs {
  std::string to, client_id, client_secret, client_secret_file, file, folder, authority, scope,
      ca_file, id_type = "PrincipalName", id_property = "IdName";
  std::vector<std::string> maps;
  uint64_t chunk_bytes = 10 * 1024 * 1024;
  double poll = 5, wait = 0;
  bool multi_value_arrays = false;
};

void add_push_options(CLI::App* cmd, PushArgs& a, bool with_file_and_map) {
  cmd->add_option("--to", a.to, "the online tenant: https://host[/tenant base path]")->required();
  cmd->add_option("--client-id", a.client_id, "the app's client id on the online tenant")
      ->required();
  cmd->add_option("--client-secret", a.client_secret,
                  "the app's secret (or $UPSYNC_CLIENT_SECRET, or --client-secret-file)");
  cmd->add_option("--client-secret-file", a.client_secret_file, "a file holding the secret");
  if (with_file_and_map) {
    cmd->add_option("--file", a.file, "the bulk-import file (from hybrid export)")->required();
    cmd->add_option("--map", a.maps, "FILEPROPERTY=ONLINEPROPERTY (repeat)")->required();
    cmd->add_option("--id-type", a.id_type, "PrincipalName, Email or CloudId (as exported)");
    cmd->add_option("--id-property", a.id_property, "the file's id member (as exported)");
    cmd->add_flag("--multi-value-arrays", a.multi_value_arrays,
                  "the file gives multi-value properties as JSON arrays (exported with "
                  "--multi-value-arrays): queue with upsync's extension");
  }
  cmd->add_option("--folder", a.folder,
                  "the online library folder the file goes to (default: /sites/hybrid/Shared "
                  "Documents)");
  cmd->add_option("--authority", a.authority,
                  "the token endpoint's authority (default: <origin>/<tenant> of --to)");
  cmd->add_option("--scope", a.scope,
                  "the token's scope (default: https://<tenant>.sharepoint.com/.default)");
  cmd->add_option("--ca-file", a.ca_file, "PEM CA certificates to trust (a private CA)");
  cmd->add_option("--chunk-size", a.chunk_bytes, "bytes per upload request (default 10 MiB)")
      ->check(CLI::Range(uint64_t{1}, uint64_t{1} << 31));
  cmd->add_option("--poll", a.poll, "seconds between reads of the job's state")
      ->check(CLI::Range(0.01, 3600.0));
  cmd->add_option("--wait", a.wait,
                  "stop following the job after this many seconds (0: until it ends); a rerun "
                  "resumes")
      ->check(CLI::Range(0.0, 1e7));
}

Result<std::string> client_secret(const PushArgs& a) {
  if (!a.client_secret.empty()) return a.client_secret;
  if (!a.client_secret_file.empty()) {
    UPSYNC_ASSIGN_OR_RETURN(std::string s, read_input_file(a.client_secret_file));
    return std::string(trim(s));
  }
  if (const char* env = std::getenv("UPSYNC_CLIENT_SECRET"); env && *env) return std::string(env);
  return invalid_argument(
      "no client secret: give --client-secret, --client-secret-file or $UPSYNC_CLIENT_SECRET");
}

nlohmann::json push_json(const PushResult& r) {
  nlohmann::json log = nlohmann::json::array();
  for (const auto& f : r.log) log.push_back({{"name", f.name}, {"content", f.content}});
  return {{"fileUrl", r.file_url},
          {"bytes", r.bytes},
          {"fragments", r.fragments},
          {"resumedUploadAt", r.resumed_upload_at},
          {"resumedJob", r.resumed_job},
          {"JobId", r.job.job_id},
          {"State", state_name(r.job.state)},
          {"Error", error_name(r.job.error)},
          {"ErrorMessage", r.job.error_message},
          {"LogFolderUri", r.job.log_folder_uri},
          {"log", log},
          {"seconds", r.seconds}};
}

// The first lines of a log file: a job over a large file may log a line per user.
void print_log_head(std::ostream& out, const RemoteFile& f, const std::string& folder) {
  constexpr int kLines = 20;
  out << "--- " << f.name << "\n";
  size_t pos = 0;
  int shown = 0;
  while (pos < f.content.size() && shown < kLines) {
    size_t nl = f.content.find('\n', pos);
    if (nl == std::string::npos) nl = f.content.size();
    out << std::string_view(f.content).substr(pos, nl - pos) << "\n";
    pos = nl + 1;
    ++shown;
  }
  if (pos < f.content.size()) {
    const auto more =
        std::count(f.content.begin() + static_cast<std::ptrdiff_t>(pos), f.content.end(), '\n');
    out << "... " << group_thousands(more) << " more lines in " << folder << "/" << f.name << "\n";
  }
}

// Runs the push with a progress bar on a terminal, plain lines otherwise; prints the outcome
// (with --json: appends it to `results` when given, else prints it) and turns a job that did
// not succeed into the command's failure.
Status run_push(CliContext& ctx, PushOptions opt, nlohmann::json* results = nullptr) {
  const bool tty = isatty(STDERR_FILENO) != 0;
  bool bar = false;  // a bar is on the line
  auto end_bar = [&] {
    if (bar) *ctx.err << "\n";
    bar = false;
  };
  int last_state = -1;
  PushEvents ev;
  ev.note = [&](const std::string& s) {
    end_bar();
    *ctx.err << "upsync: " << s << "\n";
  };
  ev.uploaded = [&](uint64_t sent, uint64_t total) {
    if (!tty) return;
    *ctx.err << "\ruploading "
             << progress_line(static_cast<int64_t>(sent), static_cast<int64_t>(total), 0, "bytes")
             << "\x1b[K" << std::flush;
    bar = true;
  };
  ev.polled = [&](const RemoteImportJob& j, double seconds) {
    if (tty) {
      *ctx.err << "\rimport job " << j.job_id << ": " << state_name(j.state) << " ("
               << static_cast<int64_t>(seconds) << " s)\x1b[K" << std::flush;
      bar = true;
    } else if (j.state != last_state) {
      *ctx.err << "upsync: import job " << j.job_id << ": " << state_name(j.state) << "\n";
    }
    last_state = j.state;
  };
  auto r = push_profile_values(opt, ev);
  end_bar();
  if (!r) return r.status();
  if (ctx.json && results) {
    results->push_back(push_json(*r));
  } else if (ctx.json) {
    print_json(*ctx.out, push_json(*r));
  } else {
    *ctx.out << r->job.job_id << " " << state_name(r->job.state);
    if (r->job.error != 0) *ctx.out << " " << error_name(r->job.error);
    *ctx.out << "\n";
    for (const auto& f : r->log) print_log_head(*ctx.out, f, r->job.log_folder_uri);
  }
  if (!r->job.ended()) {
    return failed_precondition("import job " + r->job.job_id + " is still " +
                               state_name(r->job.state) +
                               " after the wait; run the same push again to keep following it");
  }
  if (r->job.state != 4) {
    return failed_precondition("import job " + r->job.job_id + " ended in Error (" +
                               error_name(r->job.error) + "): " + r->job.error_message +
                               (r->log.empty() ? "" : " (its log is printed above)"));
  }
  return Status::ok();
}

Result<PushOptions> push_options(const PushArgs& a) {
  PushOptions opt;
  opt.target.base_url = a.to;
  opt.target.authority = a.authority;
  opt.target.scope = a.scope;
  opt.target.ca_file = a.ca_file;
  opt.client_id = a.client_id;
  UPSYNC_ASSIGN_OR_RETURN(opt.client_secret, client_secret(a));
  opt.file = a.file;
  if (!a.folder.empty()) opt.folder = a.folder;
  UPSYNC_ASSIGN_OR_RETURN(opt.property_map, map_option(a.maps));
  UPSYNC_ASSIGN_OR_RETURN(opt.id_type, id_type_option(a.id_type));
  opt.id_property = a.id_property;
  opt.multi_value_arrays = a.multi_value_arrays;
  opt.chunk_bytes = a.chunk_bytes;
  opt.poll_seconds = a.poll;
  opt.wait_seconds = a.wait;
  return opt;
}

// `hybrid sync`'s record, beside its files, of an export being pushed: the files in order and
// how many of them were imported. A run that stops (a job that failed or is still running)
// leaves it, and the next run resumes with the first file not imported yet, whose push
// resumes too; the record goes when the last file is imported.
struct SyncParts {
  std::vector<std::string> files;
  size_t pushed = 0;
};

Result<std::optional<SyncParts>> read_sync_parts(const std::string& path) {
  if (!std::filesystem::exists(path)) return std::optional<SyncParts>();
  UPSYNC_ASSIGN_OR_RETURN(std::string text, read_input_file(path));
  auto j = nlohmann::json::parse(text, nullptr, false);
  SyncParts parts;
  if (j.is_object() && j["files"].is_array() && j["pushed"].is_number_unsigned()) {
    for (const auto& f : j["files"]) {
      if (f.is_string()) parts.files.push_back(f.get<std::string>());
    }
    parts.pushed = j["pushed"].get<size_t>();
  }
  if (parts.files.empty() || parts.files.size() != j["files"].size() ||
      parts.pushed >= parts.files.size()) {
    return data_loss("'" + path + "' is not a record of files to push; remove it to export afresh");
  }
  return std::optional<SyncParts>(std::move(parts));
}

Status write_sync_parts(const std::string& path, const SyncParts& parts) {
  const std::string tmp = path + ".upsync-tmp";
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    out << nlohmann::json{{"files", parts.files}, {"pushed", parts.pushed}}.dump() << "\n";
    out.flush();
    if (!out) return internal_error("cannot write '" + tmp + "'");
  }
  std::error_code ec;
  std::filesystem::rename(tmp, path, ec);
  if (ec) return internal_error("renaming '" + tmp + "' to '" + path + "': " + ec.message());
  return Status::ok();
}

}  // namespace

void add_hybrid_commands(CLI::App& hybrid, CliContext& ctx) {
  CLI::App* group = &hybrid;

  struct Export {
    ExportArgs args;
    std::string out;
  };
  auto ea = std::make_shared<Export>();
  CLI::App* exp = group->add_subcommand(
      "export", "write the tenant's users' values as a bulk-import file (seed 003's JSON)");
  add_export_options(exp, ea->args);
  exp->add_option("--out", ea->out, "the file to write")->required();
  exp->callback([&ctx, ea] {
    ctx.action = [&ctx, ea]() -> Status {
      UPSYNC_ASSIGN_OR_RETURN(ExportSummary s, run_export(ctx, ea->args, ea->out));
      if (ctx.json) {
        print_json(*ctx.out, summary_json(s, ea->out));
      } else {
        print_export(*ctx.out, s);
      }
      return Status::ok();
    };
  });

  auto pa = std::make_shared<PushArgs>();
  CLI::App* push = group->add_subcommand(
      "push", "upload a bulk-import file to the online tenant, queue its import, follow it");
  add_push_options(push, *pa, true);
  push->callback([&ctx, pa] {
    ctx.action = [&ctx, pa]() -> Status {
      UPSYNC_ASSIGN_OR_RETURN(PushOptions opt, push_options(*pa));
      return run_push(ctx, std::move(opt));
    };
  });

  struct Sync {
    ExportArgs exp;
    PushArgs push;
    std::string work_dir;
  };
  auto sa = std::make_shared<Sync>();
  CLI::App* sync = group->add_subcommand(
      "sync",
      "export the properties and push them online under the same names (for the scheduler)");
  add_export_options(sync, sa->exp);
  add_push_options(sync, sa->push, false);
  sync->add_option("--work-dir", sa->work_dir,
                   "where the file and its push state are kept (default: <data>/hybrid)");
  sync->callback([&ctx, sa] {
    ctx.action = [&ctx, sa]() -> Status {
      const std::string dir = sa->work_dir.empty() ? ctx.data_dir + "/hybrid" : sa->work_dir;
      std::error_code ec;
      std::filesystem::create_directories(dir, ec);
      if (ec) return internal_error("cannot create '" + dir + "': " + ec.message());
      const std::string file = dir + "/" + sa->exp.tenant + "-profiles.json";
      const std::string record = file + ".parts";
      PushArgs push = sa->push;
      push.id_type = sa->exp.id_type;
      push.id_property = sa->exp.id_property;
      push.multi_value_arrays = sa->exp.multi_value_arrays;
      // A push interrupted earlier resumes with its files as they were: exporting anew would
      // change them and start over. (A push state without a record: one file, as before files
      // were split.)
      UPSYNC_ASSIGN_OR_RETURN(std::optional<SyncParts> parts, read_sync_parts(record));
      if (!parts && std::filesystem::exists(push_state_path(file))) {
        parts = SyncParts{{file}, 0};
      }
      if (!parts) {
        UPSYNC_ASSIGN_OR_RETURN(ExportSummary s, run_export(ctx, sa->exp, file));
        print_export(*ctx.err, s);
        parts = SyncParts{};
        for (const ExportedFile& f : s.files) parts->files.push_back(f.path);
        for (const auto& p : s.properties) push.maps.push_back(p + "=" + p);
        if (parts->files.size() > 1) UPSYNC_RETURN_IF_ERROR(write_sync_parts(record, *parts));
      } else {
        *ctx.err << "upsync: resuming the push of " << parts->files[parts->pushed];
        if (parts->files.size() > 1) {
          *ctx.err << " (file " << parts->pushed + 1 << " of " << parts->files.size() << ")";
        }
        *ctx.err << "\n";
        UPSYNC_ASSIGN_OR_RETURN(Tenant t, ctx.tenant(sa->exp.tenant));
        UPSYNC_ASSIGN_OR_RETURN(Store * store, ctx.store());
        UPSYNC_ASSIGN_OR_RETURN(ProfileSchema schema, store->schema(t.id));
        for (const auto& p : sa->exp.properties) {
          const PropertyDefinition* def = schema.find(p);
          push.maps.push_back((def ? def->name : p) + "=" + (def ? def->name : p));
        }
      }
      // One import at a time, each to its end, as seed 003 asks of imports over its limits.
      nlohmann::json results = nlohmann::json::array();
      Status st = Status::ok();
      for (size_t i = parts->pushed; i < parts->files.size() && st.is_ok(); ++i) {
        if (parts->files.size() > 1) {
          *ctx.err << "upsync: importing file " << i + 1 << " of " << parts->files.size() << ": "
                   << parts->files[i] << "\n";
        }
        push.file = parts->files[i];
        auto opt = push_options(push);
        st = opt ? run_push(ctx, std::move(*opt), &results) : opt.status();
        if (st.is_ok() && parts->files.size() > 1) {
          parts->pushed = i + 1;
          st =
              parts->pushed < parts->files.size() ? write_sync_parts(record, *parts) : Status::ok();
        }
      }
      if (st.is_ok()) std::filesystem::remove(record, ec);
      if (ctx.json) print_json(*ctx.out, {{"imports", results}});
      return st;
    };
  });
}

}  // namespace upsync
