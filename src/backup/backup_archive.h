// Backups of a data folder as one tar archive (POSIX pax), readable with standard tools:
// `tar -tvf backup.tar` lists it, `tar -xOf backup.tar manifest.json` prints its manifest.
// tar rather than a format of our own because an operator can inspect and salvage it
// without upsync, and libarchive (Debian's libarchive13) writes and reads it; uncompressed,
// because library files are mostly compressed already and a restore must be able to bound
// what it reads (an entry can be no larger than the archive). Entries, in order:
//
//   upsync-backup.json   the header (backup/backup_manifest.h): upsync and schema versions
//   database             the database snapshot (DatabaseCopy::copy_to; for SQLite, a
//                        database file)
//   files/..., keys/..., tls/...   the data folder's document libraries, token signing keys
//                        and self-signed TLS files, as regular files, mode 0600
//   manifest.json        every entry's size and SHA-256, the database's table row counts
//                        and change-feed positions
//
//   UPSYNC_ASSIGN_OR_RETURN(auto copier, open_database_copy(*storage));
//   UPSYNC_ASSIGN_OR_RETURN(BackupReport r, write_backup(*copier, "/var/lib/upsync", "b.tar"));
//   UPSYNC_ASSIGN_OR_RETURN(RestoreReport s, restore_backup("b.tar", *target_copier, "/srv/new"));
//
// What a backup guarantees (taken while serve and workers run): the database is one
// consistent snapshot (every transaction committed before it, none after). The files are
// copied after the snapshot, each one whole: the file layer writes to a temporary name and
// renames (sites/sites.h), so a file is read in one of its versions, never half of one, and
// files being written (*.upsync-tmp) are left out. Every file that existed when the snapshot
// was taken and was not removed before the copy reached it is in the backup, so the source
// file of every import job queued before the snapshot is there. A file changed after the
// snapshot is there in its newer version (a job queued with the older one then ends with
// InvalidDataFile, as it would have on the live system), and files written after the
// snapshot (a later job's ImportLog.txt) may be there too. Symbolic links are never followed
// nor stored (the file layer never follows them either); they are counted in the report.
#pragma once

#include <cstdint>
#include <string>

#include "backup/backup_manifest.h"
#include "backup/database_copy.h"
#include "core/status.h"

namespace upsync {

struct BackupReport {
  std::string archive;
  BackupManifest manifest;
  uint64_t bytes = 0;           // the archive's size
  uint64_t vanished_files = 0;  // removed between the listing and their copy (left out)
  uint64_t skipped_links = 0;   // symbolic links and other non-files (left out)
};

// Writes the backup of the database behind `database` and of `data_dir`'s files to the new
// file `archive` (mode 0600; AlreadyExists when it exists; InvalidArgument inside `data_dir`). The
// archive is written under a temporary name and renamed when complete: a failed backup leaves
// nothing at `archive`.
Result<BackupReport> write_backup(DatabaseCopy& database, std::string_view backend,
                                  const std::string& data_dir, const std::string& archive);

// Limits a restore keeps whatever the archive says.
struct RestoreLimits {
  uint64_t max_json_bytes = 64ull << 20;  // the header and the manifest
  uint64_t max_entries = 10'000'000;
};

struct RestoreReport {
  BackupHeader header;
  BackupManifest manifest;
  uint64_t files = 0;
  uint64_t bytes = 0;
};

// Restores `archive` into the data folder `to_dir`, which must not exist or be empty
// (FailedPrecondition naming what is in it), its database through `database` (the target
// Storage's DatabaseCopy: the data folder's own database or the one --db names), whose
// backend `backend` must be the one that wrote the backup. Refused (DataLoss, or
// FailedPrecondition for a newer version): a backup written by a newer upsync, format or
// schema; any entry that is not a regular file under a known top folder (absolute paths,
// "..", links, devices), larger than the archive or than the manifest says; a checksum or
// size that differs; an entry missing or extra; a truncated or corrupt archive; a database
// copy that fails the backend's integrity check or whose row counts and feed positions differ
// from the manifest's. Everything is extracted into a temporary folder beside `to_dir` and
// put in place only when every check passed: a refused restore leaves nothing behind.
Result<RestoreReport> restore_backup(const std::string& archive, DatabaseCopy& database,
                                     std::string_view backend, const std::string& to_dir,
                                     const RestoreLimits& limits = {});

}  // namespace upsync
