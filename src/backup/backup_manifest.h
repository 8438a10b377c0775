// The two JSON documents of a backup archive (backup/backup_archive.h): the header, the
// archive's first entry, says who wrote it (read before anything is extracted, so that a
// backup from a newer upsync is refused at once); the manifest, its last entry, lists what it
// holds, each file with its size and SHA-256, and the database's facts (table row counts,
// change-feed positions) as read from the snapshot.
//
//   upsync-backup.json  {"format":1,"upsync_version":"0.1.0","backend":"sqlite",
//                        "schema_version":17,"created_at":"2026-12-03T04:00:00Z"}
//   manifest.json       {"format":1,"database":{"entry":"database","size":..,"sha256":"..",
//                        "tables":{"profiles":12,..},"feed_positions":{"contoso":40,..}},
//                        "files":[{"path":"files/contoso/sites/hr/...","size":..,"sha256":".."}]}
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "backup/database_copy.h"
#include "core/status.h"

namespace upsync {

// The archive layout this build writes; a higher one is refused.
inline constexpr int64_t kBackupFormat = 1;
inline constexpr std::string_view kBackupHeaderEntry = "upsync-backup.json";
inline constexpr std::string_view kBackupDatabaseEntry = "database";
inline constexpr std::string_view kBackupManifestEntry = "manifest.json";

// This build's version ("0.1.0", from the project's CMake version).
std::string_view upsync_version();

struct BackupHeader {
  int64_t format = kBackupFormat;
  std::string upsync_version;
  std::string backend;
  int64_t schema_version = 0;
  std::string created_at;
};

struct BackupFileEntry {
  std::string path;  // in the data folder and in the archive: "files/contoso/..."
  uint64_t size = 0;
  std::string sha256;  // lower-case hex
};

struct BackupManifest {
  int64_t format = kBackupFormat;
  uint64_t database_size = 0;
  std::string database_sha256;
  DatabaseFacts database;
  std::vector<BackupFileEntry> files;
};

std::string header_json(const BackupHeader& h);
std::string manifest_json(const BackupManifest& m);
// DataLoss naming the field when the document is not one this build wrote.
Result<BackupHeader> parse_header(std::string_view json);
Result<BackupManifest> parse_manifest(std::string_view json);

// A path a backup may hold besides its three fixed entries: under files/, keys/ or tls/ of
// the data folder, made of names that are not empty, "." or "..", hold no control
// character, are at most 255 bytes and do not end in ".upsync-tmp" (files being written).
// InvalidArgument naming the problem otherwise. The writer leaves out what this refuses, and
// a restore refuses an archive that holds it.
Status check_backup_path(std::string_view path);

// Negative, zero or positive as version `a` ("1.2.3") is older, the same or newer than `b`.
// InvalidArgument for text that is not three dot-separated numbers.
Result<int> compare_versions(std::string_view a, std::string_view b);

}  // namespace upsync
