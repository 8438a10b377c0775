#include "cli/app.h"

#include <CLI/CLI.hpp>
#include <cstdlib>
#include <exception>
#include <filesystem>
#include <ostream>

#include "cli/context.h"
#include "core/private_modes.h"
#include "storage/open_storage.h"

namespace upsync {

Result<Storage*> CliContext::storage(bool create) {
  if (!storage_) {
    UPSYNC_ASSIGN_OR_RETURN(storage_,
                            open_storage({.url = db, .data_dir = data_dir, .create = create}));
  }
  return storage_.get();
}

Result<Store*> CliContext::store(bool create) {
  if (!store_) {
    UPSYNC_ASSIGN_OR_RETURN(Storage * s, storage(create));
    UPSYNC_ASSIGN_OR_RETURN(store_, s->connect());
  }
  return store_.get();
}

Result<Tenant> CliContext::tenant(std::string_view name) {
  UPSYNC_ASSIGN_OR_RETURN(Store * s, store());
  return s->tenant(name);
}

namespace {

// An existing data folder left readable by others (by an older version, or by hand) is made
// private before any command opens it, saying what changed.
Status make_data_folder_private(CliContext& ctx) {
  std::error_code ec;
  if (!std::filesystem::is_directory(ctx.data_dir, ec)) return Status::ok();
  UPSYNC_ASSIGN_OR_RETURN(auto tightened, make_private(ctx.data_dir));
  if (!tightened.empty()) {
    *ctx.err << "upsync: warning: other accounts could read the data folder '" << ctx.data_dir
             << "'; made private: " << describe_tightened(tightened) << "\n";
  }
  return Status::ok();
}

}  // namespace

Status CliContext::use_config(const ServiceConfig& config) {
  if (config.database && db_flag->count() == 0) db = *config.database;
  if (config.data_dir && data_dir_flag->count() == 0) {
    data_dir = *config.data_dir;
    return make_data_folder_private(*this);
  }
  return Status::ok();
}

namespace {

std::string default_data_dir() {
  const char* env = std::getenv("UPSYNC_DATA_DIR");
  return (env && *env) ? env : "upsync-data";
}

std::string default_db() {
  const char* env = std::getenv("UPSYNC_DB");
  return env ? env : "";
}
}  // namespace

int run_cli(const std::vector<std::string>& args, std::ostream& out, std::ostream& err) {
  CliContext ctx;
  ctx.out = &out;
  ctx.err = &err;
  ctx.data_dir = default_data_dir();
  ctx.db = default_db();

  CLI::App app("upsync: user profiles with directory synchronization", "upsync");
  app.require_subcommand(1);
  app.fallthrough();
  app.option_defaults()->always_capture_default();
  ctx.data_dir_flag = app.add_option("--data-dir", ctx.data_dir,
                                     "data folder (default: $UPSYNC_DATA_DIR or ./upsync-data)");
  ctx.db_flag = app.add_option(
      "--db", ctx.db,
      "database: a data folder, sqlite:FILE or postgresql://... (default: $UPSYNC_DB, "
      "else the data folder's upsync.db); files and keys stay in the data folder");
  app.add_flag("--json", ctx.json, "print JSON for scripts instead of tables");
  app.footer("Exit codes: 0 ok, 1 user error (nothing changed), 2 usage error, 3 internal error.");
  add_tenant_commands(app, ctx);
  add_property_commands(app, ctx);
  add_profile_commands(app, ctx);
  add_sync_commands(app, ctx);
  add_directory_commands(app, ctx);
  add_file_commands(app, ctx);
  add_import_commands(app, ctx);
  add_serve_commands(app, ctx);
  add_auth_commands(app, ctx);
  add_mapping_commands(app, ctx);
  add_site_commands(app, ctx);
  add_connector_commands(app, ctx);
  add_backup_commands(app, ctx);
  add_audience_commands(app, ctx);
  {
    CLI::App* hybrid =
        app.add_subcommand("hybrid",
                           "hybrid profiles with an online tenant: its settings, and moving custom "
                           "profile properties from a server tenant to it");
    hybrid->require_subcommand(1);
    add_hybrid_settings_commands(*hybrid, ctx);
    add_hybrid_commands(*hybrid, ctx);
  }

  std::vector<std::string> argv_rev(args.rbegin(), args.rend());
  if (!argv_rev.empty()) argv_rev.pop_back();  // the program name
  try {
    app.parse(argv_rev);
  } catch (const CLI::CallForHelp&) {
    out << app.help();
    return kExitOk;
  } catch (const CLI::CallForAllHelp&) {
    out << app.help("", CLI::AppFormatMode::All);
    return kExitOk;
  } catch (const CLI::ParseError& e) {
    err << "upsync: " << e.what() << "\n";
    err << "Run 'upsync --help' (or 'upsync <group> --help') for usage.\n";
    return kExitUsage;
  }
  if (!ctx.action) {
    err << "upsync: no command given; run 'upsync --help'\n";
    return kExitUsage;
  }
  Status s;
  try {
    s = make_data_folder_private(ctx);
    if (s.is_ok()) s = ctx.action();
  } catch (const std::exception& e) {
    s = internal_error(std::string("unexpected failure: ") + e.what());
  }
  if (s.is_ok()) return kExitOk;
  err << "upsync: " << s.message() << "\n";
  return s.is_user_error() ? kExitUserError : kExitInternal;
}

}  // namespace upsync
