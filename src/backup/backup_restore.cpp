// restore_backup (backup/backup_archive.h): every entry is checked before a byte of it is
// written, extracted into a fresh temporary folder, verified against the manifest, and put
// in place with one rename.
#include <archive.h>
#include <archive_entry.h>
#include <fcntl.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <filesystem>
#include <map>
#include <optional>
#include <vector>

#include "backup/archive_io.h"
#include "backup/backup_archive.h"
#include "core/unique_fd.h"

namespace upsync {

namespace fs = std::filesystem;

namespace {

// The database's name inside the temporary folder, until DatabaseCopy::install moves it.
constexpr std::string_view kStagedDatabase = ".restore-database";

using ArchivePtr = std::unique_ptr<struct archive, int (*)(struct archive*)>;

struct Extracted {
  uint64_t size = 0;
  std::string sha256;
};

class Restore {
 public:
  Restore(DatabaseCopy& database, std::string_view backend, const RestoreLimits& limits,
          uint64_t archive_size, std::string staging)
      : database_(database),
        backend_(backend),
        limits_(limits),
        archive_size_(archive_size),
        staging_(std::move(staging)),
        a_(archive_read_new(), &archive_read_free) {}

  Status run(int archive_fd, RestoreReport& report);

 private:
  Status failure(const std::string& what) {
    const char* m = archive_error_string(a_.get());
    return data_loss("the archive is corrupt or truncated (" + what + ": " +
                     (m ? m : "libarchive failed") + ")");
  }
  Result<std::string> read_text(std::string_view path, uint64_t size);
  Result<Extracted> extract(const std::string& path, uint64_t size);
  Status check_header(const BackupHeader& h);
  Status verify(const RestoreReport& report);

  DatabaseCopy& database_;
  std::string_view backend_;
  const RestoreLimits& limits_;
  uint64_t archive_size_;
  std::string staging_;
  ArchivePtr a_;
  std::map<std::string, Extracted> files_;
  std::optional<Extracted> database_entry_;
};

Result<std::string> Restore::read_text(std::string_view path, uint64_t size) {
  if (size > limits_.max_json_bytes) {
    return data_loss("the entry '" + std::string(path) + "' is " + std::to_string(size) +
                     " bytes, more than a backup writes");
  }
  std::string text(size, '\0');
  size_t got = 0;
  while (got < size) {
    la_ssize_t n = archive_read_data(a_.get(), text.data() + got, size - got);
    if (n < 0) return failure("reading '" + std::string(path) + "'");
    if (n == 0) break;
    got += static_cast<size_t>(n);
  }
  if (got != size) return data_loss("the entry '" + std::string(path) + "' is cut short");
  return text;
}

// Creates the folders of `rel` under `root`, each 0700 whatever the process's umask.
Status make_folders(const fs::path& root, const fs::path& rel) {
  fs::path at = root;
  for (const fs::path& name : rel) {
    at /= name;
    if (::mkdir(at.c_str(), 0700) == 0) {
      if (::chmod(at.c_str(), 0700) != 0)
        return unavailable(errno_message("chmod '" + at.string() + "'"));
    } else if (errno != EEXIST) {
      return unavailable(errno_message("cannot create '" + at.string() + "'"));
    }
  }
  return Status::ok();
}

// Writes the current entry to `path` under the temporary folder (parents made 0700, the file
// 0600, never over an existing one: a repeated entry is refused), hashing it.
Result<Extracted> Restore::extract(const std::string& path, uint64_t size) {
  fs::path target = fs::path(staging_) / path;
  UPSYNC_RETURN_IF_ERROR(make_folders(staging_, fs::path(path).parent_path()));
  UniqueFd fd(::open(target.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600));
  if (!fd.valid()) {
    if (errno == EEXIST) return data_loss("the archive holds '" + path + "' twice");
    return unavailable(errno_message("cannot create '" + target.string() + "'"));
  }
  Sha256 hash;
  std::vector<char> buf(1 << 20);
  uint64_t total = 0;
  while (true) {
    la_ssize_t n = archive_read_data(a_.get(), buf.data(), buf.size());
    if (n < 0) return failure("reading '" + path + "'");
    if (n == 0) break;
    total += static_cast<uint64_t>(n);
    if (total > size) return data_loss("the entry '" + path + "' is longer than its header says");
    hash.update(buf.data(), static_cast<size_t>(n));
    const char* p = buf.data();
    size_t left = static_cast<size_t>(n);
    while (left > 0) {
      ssize_t w = ::write(fd.get(), p, left);
      if (w < 0 && errno == EINTR) continue;
      if (w < 0) return unavailable(errno_message("writing '" + target.string() + "'"));
      p += w;
      left -= static_cast<size_t>(w);
    }
  }
  if (total != size) return data_loss("the entry '" + path + "' is cut short");
  if (fsync(fd.get()) != 0) return unavailable(errno_message("writing '" + target.string() + "'"));
  return Extracted{size, hash.hex()};
}

Status Restore::check_header(const BackupHeader& h) {
  if (h.format > kBackupFormat) {
    return failed_precondition("the backup has format " + std::to_string(h.format) +
                               ", newer than this upsync reads (" + std::to_string(kBackupFormat) +
                               "); restore it with upsync " + h.upsync_version + " or newer");
  }
  auto order = compare_versions(h.upsync_version, upsync_version());
  if (!order) return data_loss("the backup's header: " + order.status().message());
  if (*order > 0) {
    return failed_precondition("the backup was written by upsync " + h.upsync_version +
                               ", newer than this one (" + std::string(upsync_version()) +
                               "); restore it with upsync " + h.upsync_version + " or newer");
  }
  if (h.schema_version > database_.schema_version()) {
    return failed_precondition("the backup's database has schema version " +
                               std::to_string(h.schema_version) + ", newer than this upsync's (" +
                               std::to_string(database_.schema_version()) + ")");
  }
  if (h.backend != backend_) {
    return failed_precondition("the backup holds a " + h.backend + " database; the target is " +
                               std::string(backend_));
  }
  return Status::ok();
}

Status Restore::run(int archive_fd, RestoreReport& report) {
  // tar alone, without decompression filters: nothing can expand beyond the archive's size.
  if (archive_read_support_format_tar(a_.get()) != ARCHIVE_OK ||
      archive_read_open_fd(a_.get(), archive_fd, 1 << 16) != ARCHIVE_OK) {
    return failure("opening");
  }
  bool have_manifest = false;
  for (uint64_t index = 0;; ++index) {
    archive_entry* e = nullptr;
    int rc = archive_read_next_header(a_.get(), &e);
    if (rc == ARCHIVE_EOF) break;
    if (rc != ARCHIVE_OK) return failure("entry " + std::to_string(index + 1));
    if (index >= limits_.max_entries) return data_loss("the archive holds too many entries");
    const char* name = archive_entry_pathname(e);
    if (!name) return data_loss("entry " + std::to_string(index + 1) + " has no name");
    const std::string path = name;
    const std::string shown = "the entry '" + path.substr(0, 200) + "'";
    if (have_manifest) return data_loss(shown + " follows the manifest, which must be last");
    if (archive_entry_filetype(e) != AE_IFREG || archive_entry_hardlink(e) != nullptr ||
        archive_entry_symlink(e) != nullptr) {
      return data_loss(shown + " is not a regular file (links, folders and devices are refused)");
    }
    if (!archive_entry_size_is_set(e) || archive_entry_size(e) < 0 ||
        static_cast<uint64_t>(archive_entry_size(e)) > archive_size_) {
      return data_loss(shown + " claims a size larger than the archive");
    }
    const auto size = static_cast<uint64_t>(archive_entry_size(e));
    if (index == 0) {
      if (path != kBackupHeaderEntry) {
        return data_loss("not an upsync backup: the first entry is '" + path.substr(0, 200) +
                         "', not " + std::string(kBackupHeaderEntry));
      }
      UPSYNC_ASSIGN_OR_RETURN(std::string text, read_text(path, size));
      UPSYNC_ASSIGN_OR_RETURN(report.header, parse_header(text));
      UPSYNC_RETURN_IF_ERROR(check_header(report.header));
      continue;
    }
    if (path == kBackupManifestEntry) {
      UPSYNC_ASSIGN_OR_RETURN(std::string text, read_text(path, size));
      UPSYNC_ASSIGN_OR_RETURN(report.manifest, parse_manifest(text));
      have_manifest = true;
      continue;
    }
    if (path == kBackupDatabaseEntry) {
      if (database_entry_) return data_loss("the archive holds two databases");
      UPSYNC_ASSIGN_OR_RETURN(database_entry_, extract(std::string(kStagedDatabase), size));
      continue;
    }
    Status ok_path = check_backup_path(path);
    if (!ok_path.is_ok()) return data_loss("refused entry: " + ok_path.message());
    UPSYNC_ASSIGN_OR_RETURN(files_[path], extract(path, size));
    report.bytes += size;
    ++report.files;
  }
  if (!have_manifest) return data_loss("the archive is truncated: its manifest is missing");
  return verify(report);
}

// Every entry against the manifest, then the database copy against its facts.
Status Restore::verify(const RestoreReport& report) {
  const BackupManifest& m = report.manifest;
  if (!database_entry_) return data_loss("the archive holds no database");
  if (database_entry_->size != m.database_size || database_entry_->sha256 != m.database_sha256) {
    return data_loss("the database's checksum differs from the manifest's: the archive is corrupt");
  }
  if (m.files.size() != files_.size()) {
    return data_loss("the manifest lists " + std::to_string(m.files.size()) +
                     " files, the archive holds " + std::to_string(files_.size()));
  }
  for (const BackupFileEntry& f : m.files) {
    auto it = files_.find(f.path);
    if (it == files_.end())
      return data_loss("'" + f.path + "' of the manifest is not in the archive");
    if (it->second.size != f.size || it->second.sha256 != f.sha256) {
      return data_loss("the checksum of '" + f.path + "' differs from the manifest's");
    }
  }
  UPSYNC_ASSIGN_OR_RETURN(DatabaseFacts facts,
                          database_.check_copy(staging_ + "/" + std::string(kStagedDatabase)));
  if (facts.schema_version != m.database.schema_version) {
    return data_loss("the database's schema version differs from the manifest's");
  }
  for (const auto& [table, rows] : m.database.table_rows) {
    auto it = facts.table_rows.find(table);
    int64_t got = it == facts.table_rows.end() ? -1 : it->second;
    if (got != rows) {
      return data_loss("table " + table + ": the manifest counts " + std::to_string(rows) +
                       " rows, the restored database " + std::to_string(got));
    }
  }
  if (facts.table_rows.size() != m.database.table_rows.size() ||
      facts.feed_positions != m.database.feed_positions) {
    return data_loss(
        "the restored database's tables or change-feed positions differ from the "
        "manifest's");
  }
  return Status::ok();
}

// What keeps `dir` from being restored into: a file, or a folder with something in it.
Status check_target(const fs::path& dir, bool& exists) {
  std::error_code ec;
  auto st = fs::symlink_status(dir, ec);
  exists = !ec && st.type() != fs::file_type::not_found;
  if (!exists) return Status::ok();
  if (st.type() != fs::file_type::directory) {
    return failed_precondition("'" + dir.string() + "' exists and is not a folder");
  }
  fs::directory_iterator it(dir, ec);
  if (ec) return unavailable("cannot read '" + dir.string() + "': " + ec.message());
  if (it != fs::directory_iterator()) {
    return failed_precondition("'" + dir.string() + "' is not empty (it holds '" +
                               it->path().filename().string() +
                               "'): a restore goes into an empty or new folder only");
  }
  return Status::ok();
}

Result<std::string> staging_name(const fs::path& dir) {
  unsigned char bytes[6];
  if (getrandom(bytes, sizeof bytes, 0) != static_cast<ssize_t>(sizeof bytes)) {
    return internal_error(errno_message("getrandom"));
  }
  std::string suffix;
  for (unsigned char b : bytes) suffix += "0123456789abcdef"[b & 15];
  return dir.string() + ".restore-" + suffix;
}

}  // namespace

Result<RestoreReport> restore_backup(const std::string& archive, DatabaseCopy& database,
                                     std::string_view backend, const std::string& to_dir,
                                     const RestoreLimits& limits) {
  fs::path dir = fs::path(to_dir).lexically_normal();
  if (dir.has_filename() == false) dir = dir.parent_path();
  if (dir.empty()) return invalid_argument("no folder to restore into");
  bool existed = false;
  UPSYNC_RETURN_IF_ERROR(check_target(dir, existed));
  UniqueFd fd(::open(archive.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd.valid()) return not_found(errno_message("cannot open the backup '" + archive + "'"));
  struct stat st {};
  if (fstat(fd.get(), &st) != 0 || !S_ISREG(st.st_mode)) {
    return invalid_argument("the backup '" + archive + "' is not a file");
  }
  std::error_code ec;
  if (!dir.parent_path().empty()) {
    fs::create_directories(dir.parent_path(), ec);
    if (ec)
      return unavailable("cannot create '" + dir.parent_path().string() + "': " + ec.message());
  }
  UPSYNC_ASSIGN_OR_RETURN(std::string staging, staging_name(dir));
  if (::mkdir(staging.c_str(), 0700) != 0) {
    return unavailable(errno_message("cannot create '" + staging + "'"));
  }
  RestoreReport report;
  Restore restore(database, backend, limits, static_cast<uint64_t>(st.st_size), staging);
  Status s = restore.run(fd.get(), report);
  if (s.is_ok()) {
    if (existed && ::rmdir(dir.c_str()) != 0) {
      s = unavailable(errno_message("cannot replace the empty folder '" + dir.string() + "'"));
    } else if (::rename(staging.c_str(), dir.c_str()) != 0) {
      s = unavailable(errno_message("cannot move the restored data to '" + dir.string() + "'"));
      if (existed) ::mkdir(dir.c_str(), 0700);
    } else {
      // The database last: when it cannot be put in place, the folder goes back to what it was.
      s = database.install((dir / kStagedDatabase).string());
      if (!s.is_ok()) {
        fs::remove_all(dir, ec);
        if (existed) ::mkdir(dir.c_str(), 0700);
      }
      return s.is_ok() ? Result<RestoreReport>(std::move(report)) : Result<RestoreReport>(s);
    }
  }
  fs::remove_all(staging, ec);
  return s;
}

}  // namespace upsync
