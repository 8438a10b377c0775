// upsync backup --to FILE, upsync restore FILE --to DIR: see backup/backup_archive.h.
// upsync migrate --to postgresql://...: see storage/migrate.h.
#include <CLI/CLI.hpp>
#include <map>
#include <nlohmann/json.hpp>
#include <ostream>
#include <string>

#include "backup/backup_archive.h"
#include "cli/context.h"
#include "cli/output.h"
#include "storage/migrate.h"
#include "storage/open_storage.h"

namespace upsync {
namespace {

nlohmann::json facts_json(const DatabaseFacts& f) {
  return {{"backend", f.backend},
          {"schemaVersion", f.schema_version},
          {"tables", f.table_rows},
          {"feedPositions", f.feed_positions}};
}

void print_feed_positions(std::ostream& out, const std::map<std::string, int64_t>& positions) {
  TextTable feeds({"FEED POSITION", "SEQ"});
  for (const auto& [p, n] : positions) feeds.add_row({p, std::to_string(n)});
  feeds.print(out);
}

void print_facts(std::ostream& out, const DatabaseFacts& f) {
  TextTable tables({"TABLE", "ROWS"});
  for (const auto& [t, n] : f.table_rows) tables.add_row({t, group_thousands(n)});
  tables.print(out);
  print_feed_positions(out, f.feed_positions);
}

}  // namespace

void add_backup_commands(CLI::App& app, CliContext& ctx) {
  auto to = std::make_shared<std::string>();
  CLI::App* backup = app.add_subcommand(
      "backup",
      "write a consistent copy of the database and the data folder's files (document "
      "libraries, keys) to one tar archive, while serve and workers keep running");
  backup->add_option("--to", *to, "the archive to write (must not exist)")->required();
  backup->callback([&ctx, to] {
    ctx.action = [&ctx, to]() -> Status {
      UPSYNC_ASSIGN_OR_RETURN(Storage * storage, ctx.storage());
      UPSYNC_ASSIGN_OR_RETURN(auto copier, storage->database_copy());
      UPSYNC_ASSIGN_OR_RETURN(BackupReport r,
                              write_backup(*copier, storage->backend(), ctx.data_dir, *to));
      if (ctx.json) {
        print_json(*ctx.out, {{"archive", r.archive},
                              {"bytes", r.bytes},
                              {"files", r.manifest.files.size()},
                              {"vanishedFiles", r.vanished_files},
                              {"skippedLinks", r.skipped_links},
                              {"database", facts_json(r.manifest.database)}});
        return Status::ok();
      }
      *ctx.out << "backup written to " << r.archive << " ("
               << group_thousands(static_cast<int64_t>(r.bytes)) << " bytes): the database (schema "
               << r.manifest.database.schema_version << ") and " << r.manifest.files.size()
               << " files\n";
      if (r.vanished_files > 0) {
        *ctx.out << r.vanished_files << " files removed during the backup are not in it\n";
      }
      if (r.skipped_links > 0) {
        *ctx.out << r.skipped_links << " links and other non-files were left out\n";
      }
      print_facts(*ctx.out, r.manifest.database);
      return Status::ok();
    };
  });

  struct RestoreArgs {
    std::string archive;
    std::string to;
  };
  auto ra = std::make_shared<RestoreArgs>();
  CLI::App* restore = app.add_subcommand(
      "restore",
      "restore a backup into a new or empty data folder (with --db, the database goes there), "
      "verifying every checksum; nothing is left when a check fails");
  restore->add_option("archive", ra->archive, "the backup archive")->required();
  restore->add_option("--to", ra->to, "the data folder to restore into (new or empty)")->required();
  restore->callback([&ctx, ra] {
    ctx.action = [&ctx, ra]() -> Status {
      UPSYNC_ASSIGN_OR_RETURN(auto storage,
                              open_storage({.url = ctx.db, .data_dir = ra->to, .create = true}));
      UPSYNC_ASSIGN_OR_RETURN(auto copier, storage->database_copy());
      UPSYNC_ASSIGN_OR_RETURN(RestoreReport r,
                              restore_backup(ra->archive, *copier, storage->backend(), ra->to));
      if (ctx.json) {
        print_json(*ctx.out, {{"to", ra->to},
                              {"database", storage->where()},
                              {"writtenBy", r.header.upsync_version},
                              {"createdAt", r.header.created_at},
                              {"files", r.files},
                              {"bytes", r.bytes},
                              {"verified", facts_json(r.manifest.database)}});
        return Status::ok();
      }
      *ctx.out << "restored the backup of " << r.header.created_at << " (upsync "
               << r.header.upsync_version << ") into " << ra->to << ": the database at "
               << storage->where() << " and " << r.files
               << " files; every checksum, the integrity check, the row counts and feed "
                  "positions verified\n";
      print_facts(*ctx.out, r.manifest.database);
      return Status::ok();
    };
  });

  auto target = std::make_shared<std::string>();
  CLI::App* migrate = app.add_subcommand(
      "migrate",
      "copy the data folder's embedded database into an empty PostgreSQL database, verifying "
      "every table's rows and checksum; the files and keys stay in the data folder");
  migrate->add_option("--to", *target, "the PostgreSQL database (postgresql://...)")->required();
  migrate->callback([&ctx, target] {
    ctx.action = [&ctx, target]() -> Status {
      UPSYNC_ASSIGN_OR_RETURN(Storage * storage, ctx.storage());
      UPSYNC_ASSIGN_OR_RETURN(MigrationReport r, migrate_database(*storage, *target, ctx.data_dir));
      if (ctx.json) {
        nlohmann::json tables = nlohmann::json::array();
        for (const TableMigration& t : r.tables) {
          tables.push_back({{"table", t.table}, {"rows", t.rows}, {"checksum", t.checksum}});
        }
        print_json(*ctx.out, {{"from", r.source},
                              {"to", r.target},
                              {"schemaVersion", r.schema_version},
                              {"tables", tables},
                              {"feedPositions", r.feed_positions},
                              {"verified", true}});
        return Status::ok();
      }
      *ctx.out << "copied " << r.source << " (schema " << r.schema_version << ") into " << r.target
               << "; every table's row count and checksum verified\n";
      TextTable tables({"TABLE", "ROWS", "CHECKSUM"});
      for (const TableMigration& t : r.tables) {
        tables.add_row({t.table, group_thousands(t.rows), t.checksum});
      }
      tables.print(*ctx.out);
      print_feed_positions(*ctx.out, r.feed_positions);
      *ctx.out << "from now on, start every process with --db '" << r.target
               << "' and this data folder (its files and keys)\n";
      return Status::ok();
    };
  });
}

}  // namespace upsync
