// What every CLI command shares: global options, the lazily opened storage and store, output
// streams.
//
// Command groups (tenant_commands.cpp, profile_commands.cpp, ...) register their
// subcommands with add_*_commands(); each subcommand's callback sets `action`, which
// run_cli() runs after parsing and turns into an exit code.
#pragma once

#include <functional>
#include <iosfwd>
#include <memory>
#include <string>

#include "cli/service_config.h"
#include "core/status.h"
#include "core/tenant.h"
#include "store/storage.h"
#include "store/store.h"

namespace CLI {
class App;
class Option;
}  // namespace CLI

namespace upsync {

struct CliContext {
  std::string data_dir;
  // --db / UPSYNC_DB: the database's URL (storage/open_storage.h); empty: the data folder's.
  std::string db;
  bool json = false;
  std::ostream* out = nullptr;
  std::ostream* err = nullptr;
  std::function<Status()> action;
  // The global --data-dir and --db options, to tell whether the command line gave them.
  CLI::Option* data_dir_flag = nullptr;
  CLI::Option* db_flag = nullptr;

  // Takes data_dir and database from a configuration file where the command line did not
  // give them (then makes that data folder private, as for --data-dir).
  Status use_config(const ServiceConfig& config);

  // Opens the storage on first use. Reading commands do not create a data folder.
  Result<Storage*> storage(bool create = false);
  // This thread's connection to it, made on first use.
  Result<Store*> store(bool create = false);
  Result<Tenant> tenant(std::string_view name);

 private:
  std::unique_ptr<Storage> storage_;
  std::unique_ptr<Store> store_;
};

// Finds a profile by the key's form: a claim is an account name, a GUID a cloud id,
// anything else a UPN and then a work email. `by` (account, upn, email, cloud-id, id)
// forces one kind; "auto" guesses.
Result<Profile> find_profile(Store& store, TenantId tenant, const std::string& key,
                             const std::string& by = "auto");

void add_tenant_commands(CLI::App& app, CliContext& ctx);
void add_property_commands(CLI::App& app, CliContext& ctx);
void add_profile_commands(CLI::App& app, CliContext& ctx);
void add_sync_commands(CLI::App& app, CliContext& ctx);
void add_directory_commands(CLI::App& app, CliContext& ctx);
void add_file_commands(CLI::App& app, CliContext& ctx);
void add_import_commands(CLI::App& app, CliContext& ctx);
void add_serve_commands(CLI::App& app, CliContext& ctx);
void add_auth_commands(CLI::App& app, CliContext& ctx);
void add_mapping_commands(CLI::App& app, CliContext& ctx);
void add_site_commands(CLI::App& app, CliContext& ctx);
void add_connector_commands(CLI::App& app, CliContext& ctx);
void add_backup_commands(CLI::App& app, CliContext& ctx);
void add_audience_commands(CLI::App& app, CliContext& ctx);
// Under `hybrid` (the caller makes the group, which both share): set|show|clear of the hybrid
// settings, and export|push|sync of custom properties.
void add_hybrid_settings_commands(CLI::App& hybrid, CliContext& ctx);
void add_hybrid_commands(CLI::App& hybrid, CliContext& ctx);

}  // namespace upsync
