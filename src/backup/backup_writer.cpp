// write_backup (backup/backup_archive.h): the snapshot first, then the files, then the
// manifest, streamed into a pax archive under a temporary name.
#include <archive.h>
#include <archive_entry.h>
#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <ctime>
#include <filesystem>
#include <memory>
#include <vector>

#include "backup/archive_io.h"
#include "backup/backup_archive.h"
#include "core/unique_fd.h"

namespace upsync {

namespace {

using ArchivePtr = std::unique_ptr<struct archive, int (*)(struct archive*)>;
using EntryPtr = std::unique_ptr<struct archive_entry, void (*)(struct archive_entry*)>;

std::string utc_now() {
  std::time_t now = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&now, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

class ArchiveWriter {
 public:
  ArchiveWriter(int fd) : a_(archive_write_new(), &archive_write_free), fd_(fd) {}

  Status open() {
    if (archive_write_set_format_pax_restricted(a_.get()) != ARCHIVE_OK ||
        archive_write_open_fd(a_.get(), fd_) != ARCHIVE_OK) {
      return failure("starting the archive");
    }
    return Status::ok();
  }

  // One regular file of `size` bytes; its content comes from write_data().
  Status begin(std::string_view path, uint64_t size, time_t mtime) {
    EntryPtr e(archive_entry_new(), &archive_entry_free);
    archive_entry_set_pathname(e.get(), std::string(path).c_str());
    archive_entry_set_filetype(e.get(), AE_IFREG);
    archive_entry_set_perm(e.get(), 0600);
    archive_entry_set_size(e.get(), static_cast<la_int64_t>(size));
    archive_entry_set_mtime(e.get(), mtime, 0);
    if (archive_write_header(a_.get(), e.get()) != ARCHIVE_OK) {
      return failure("writing the entry '" + std::string(path) + "'");
    }
    return Status::ok();
  }

  Status write_data(const void* data, size_t n) {
    la_ssize_t w = archive_write_data(a_.get(), data, n);
    if (w < 0 || static_cast<size_t>(w) != n) return failure("writing the archive");
    return Status::ok();
  }

  Status add_text(std::string_view path, std::string_view text) {
    UPSYNC_RETURN_IF_ERROR(begin(path, text.size(), std::time(nullptr)));
    return write_data(text.data(), text.size());
  }

  // Streams `size` bytes of `fd` into the current entry, hashing them.
  Status copy_from(int fd, uint64_t size, std::string_view path, Sha256& hash) {
    std::vector<char> buf(1 << 20);
    uint64_t left = size;
    while (left > 0) {
      ssize_t n = ::read(fd, buf.data(), std::min<uint64_t>(left, buf.size()));
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) return unavailable(errno_message("reading '" + std::string(path) + "'"));
      // The file layer never writes a file in place, so an open file cannot shrink: one that
      // does was changed by something else, and the entry cannot be finished honestly.
      if (n == 0) return unavailable("'" + std::string(path) + "' shrank while it was copied");
      hash.update(buf.data(), static_cast<size_t>(n));
      UPSYNC_RETURN_IF_ERROR(write_data(buf.data(), static_cast<size_t>(n)));
      left -= static_cast<uint64_t>(n);
    }
    return Status::ok();
  }

  Status close() {
    if (archive_write_close(a_.get()) != ARCHIVE_OK) return failure("finishing the archive");
    return Status::ok();
  }

 private:
  Status failure(const std::string& what) {
    const char* m = archive_error_string(a_.get());
    return unavailable(what + ": " + (m ? m : "libarchive failed"));
  }
  ArchivePtr a_;
  int fd_;
};

struct Walk {
  ArchiveWriter& out;
  BackupReport& report;
};

Status add_folder(Walk& w, int dir_fd, const std::string& rel);

// One name of a folder: a file is copied, a folder walked, anything else (a link) counted.
Status add_name(Walk& w, int dir_fd, const std::string& rel, const std::string& name) {
  const std::string path = rel + "/" + name;
  struct stat st {};
  if (fstatat(dir_fd, name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) {
    if (errno == ENOENT) {
      ++w.report.vanished_files;
      return Status::ok();
    }
    return unavailable(errno_message("reading '" + path + "'"));
  }
  if (S_ISDIR(st.st_mode)) {
    UniqueFd sub(openat(dir_fd, name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
    if (!sub.valid()) {
      if (errno == ENOENT) return Status::ok();
      return unavailable(errno_message("opening '" + path + "'"));
    }
    return add_folder(w, sub.get(), path);
  }
  if (!S_ISREG(st.st_mode)) {
    ++w.report.skipped_links;
    return Status::ok();
  }
  // A file being written, or a name the door refuses (put there by hand): not a library file.
  if (!check_backup_path(path).is_ok()) return Status::ok();
  UniqueFd fd(openat(dir_fd, name.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC));
  if (!fd.valid()) {
    if (errno == ENOENT) {
      ++w.report.vanished_files;
      return Status::ok();
    }
    if (errno == ELOOP) {  // replaced by a link since fstatat
      ++w.report.skipped_links;
      return Status::ok();
    }
    return unavailable(errno_message("opening '" + path + "'"));
  }
  // The opened file is the version copied: a rename over its name does not change it.
  if (fstat(fd.get(), &st) != 0) return unavailable(errno_message("reading '" + path + "'"));
  if (!S_ISREG(st.st_mode)) return Status::ok();
  const auto size = static_cast<uint64_t>(st.st_size);
  UPSYNC_RETURN_IF_ERROR(w.out.begin(path, size, st.st_mtim.tv_sec));
  Sha256 hash;
  UPSYNC_RETURN_IF_ERROR(w.out.copy_from(fd.get(), size, path, hash));
  w.report.manifest.files.push_back({path, size, hash.hex()});
  return Status::ok();
}

Status add_folder(Walk& w, int dir_fd, const std::string& rel) {
  int dup_fd = dup(dir_fd);
  if (dup_fd < 0) return internal_error(errno_message("dup"));
  std::unique_ptr<DIR, int (*)(DIR*)> dir(fdopendir(dup_fd), &closedir);
  if (!dir) {
    ::close(dup_fd);
    return unavailable(errno_message("listing '" + rel + "'"));
  }
  std::vector<std::string> names;
  errno = 0;
  while (dirent* d = readdir(dir.get())) {
    std::string_view n = d->d_name;
    if (n != "." && n != "..") names.emplace_back(n);
  }
  if (errno != 0) return unavailable(errno_message("listing '" + rel + "'"));
  std::sort(names.begin(), names.end());
  for (const std::string& n : names) UPSYNC_RETURN_IF_ERROR(add_name(w, dir_fd, rel, n));
  return Status::ok();
}

Status add_database(ArchiveWriter& out, const std::string& copy, BackupManifest& m) {
  UniqueFd fd(::open(copy.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd.valid()) return unavailable(errno_message("opening the snapshot '" + copy + "'"));
  struct stat st {};
  if (fstat(fd.get(), &st) != 0) return unavailable(errno_message("reading '" + copy + "'"));
  m.database_size = static_cast<uint64_t>(st.st_size);
  UPSYNC_RETURN_IF_ERROR(out.begin(kBackupDatabaseEntry, m.database_size, st.st_mtim.tv_sec));
  Sha256 hash;
  UPSYNC_RETURN_IF_ERROR(out.copy_from(fd.get(), m.database_size, copy, hash));
  m.database_sha256 = hash.hex();
  return Status::ok();
}

// Everything after the temporary archive `fd` was created.
Status write_archive(DatabaseCopy& database, std::string_view backend, const std::string& data_dir,
                     const std::string& snapshot, int fd, BackupReport& report) {
  // The snapshot first: the files copied after it are at least as new (see the header).
  UPSYNC_ASSIGN_OR_RETURN(report.manifest.database, database.copy_to(snapshot));
  ArchiveWriter out(fd);
  UPSYNC_RETURN_IF_ERROR(out.open());
  BackupHeader header{.format = kBackupFormat,
                      .upsync_version = std::string(upsync_version()),
                      .backend = std::string(backend),
                      .schema_version = report.manifest.database.schema_version,
                      .created_at = utc_now()};
  UPSYNC_RETURN_IF_ERROR(out.add_text(kBackupHeaderEntry, header_json(header)));
  UPSYNC_RETURN_IF_ERROR(add_database(out, snapshot, report.manifest));
  UniqueFd root(::open(data_dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!root.valid())
    return unavailable(errno_message("opening the data folder '" + data_dir + "'"));
  Walk walk{out, report};
  for (const char* top : {"files", "keys", "tls"}) {
    UniqueFd sub(openat(root.get(), top, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
    if (!sub.valid()) {
      if (errno == ENOENT) continue;  // no library, key or certificate made yet
      return unavailable(errno_message("opening '" + data_dir + "/" + top + "'"));
    }
    UPSYNC_RETURN_IF_ERROR(add_folder(walk, sub.get(), top));
  }
  UPSYNC_RETURN_IF_ERROR(out.add_text(kBackupManifestEntry, manifest_json(report.manifest)));
  UPSYNC_RETURN_IF_ERROR(out.close());
  if (fsync(fd) != 0) return unavailable(errno_message("writing the archive"));
  struct stat st {};
  if (fstat(fd, &st) == 0) report.bytes = static_cast<uint64_t>(st.st_size);
  return Status::ok();
}

}  // namespace

Result<BackupReport> write_backup(DatabaseCopy& database, std::string_view backend,
                                  const std::string& data_dir, const std::string& archive) {
  {
    // An archive inside the data folder would copy itself into itself as it grows.
    namespace fs = std::filesystem;
    std::error_code ec;
    const fs::path folder = fs::weakly_canonical(data_dir, ec);
    const fs::path target = fs::weakly_canonical(fs::absolute(archive), ec);
    auto [f, t] = std::mismatch(folder.begin(), folder.end(), target.begin(), target.end());
    if (!ec && f == folder.end()) {
      return invalid_argument("'" + archive + "' is inside the data folder '" + data_dir +
                              "': write the backup elsewhere");
    }
  }
  if (::access(archive.c_str(), F_OK) == 0) {
    return already_exists("'" + archive + "' exists; a backup does not overwrite a file");
  }
  const std::string partial = archive + ".partial";
  const std::string snapshot = archive + ".database.partial";
  UniqueFd fd(::open(partial.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600));
  if (!fd.valid()) {
    if (errno == EEXIST) {
      return already_exists("'" + partial + "' exists: another backup to '" + archive +
                            "' is running, or one was interrupted (remove the file)");
    }
    return unavailable(errno_message("cannot create '" + partial + "'"));
  }
  BackupReport report;
  report.archive = archive;
  Status s = write_archive(database, backend, data_dir, snapshot, fd.get(), report);
  ::unlink(snapshot.c_str());
  fd.reset();
  // link() refuses a file that appeared at `archive` meanwhile, where rename() would replace it.
  if (s.is_ok() && ::link(partial.c_str(), archive.c_str()) != 0) {
    s = unavailable(errno_message("cannot create '" + archive + "'"));
  }
  ::unlink(partial.c_str());
  if (!s.is_ok()) return s;
  return report;
}

}  // namespace upsync
