#include "sites/sites.h"

#include <dirent.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <ctime>

namespace upsync {

namespace {

// openat2 beneath `dir`: no "..", no absolute name, no symbolic link anywhere on the path
// (RESOLVE_NO_SYMLINKS also refuses the last component). -1 with errno on failure.
int open_beneath(int dir, const std::string& rel, int flags, mode_t mode = 0) {
  open_how how{};
  how.flags = static_cast<uint64_t>(flags | O_CLOEXEC);
  how.mode = (flags & O_CREAT) ? mode : 0;
  how.resolve = RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS;
  long fd = -1;
  // EAGAIN: a rename raced the resolution (RESOLVE_BENEATH asks for a retry).
  for (int attempt = 0; attempt < 8; ++attempt) {
    fd = syscall(SYS_openat2, dir, rel.c_str(), &how, sizeof how);
    if (fd >= 0 || errno != EAGAIN) break;
  }
  return static_cast<int>(fd);
}

std::string iso_time(const timespec& ts) {
  std::tm tm{};
  gmtime_r(&ts.tv_sec, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

FileInfo info_of(const struct stat& st, const FileUrl& url) {
  FileInfo info;
  info.url = url.server_relative();
  info.folder = S_ISDIR(st.st_mode);
  info.size = info.folder ? 0 : static_cast<uint64_t>(st.st_size);
  info.modified_at = iso_time(st.st_mtim);
  info.modified_ns = static_cast<int64_t>(st.st_mtim.tv_sec) * 1000000000 + st.st_mtim.tv_nsec;
  return info;
}

std::string join(const std::vector<std::string>& names, size_t count) {
  std::string out;
  for (size_t i = 0; i < count; ++i) {
    if (i > 0) out += "/";
    out += names[i];
  }
  return out;
}

// The answer to a failed open or stat of `url` (errno `err`).
Status file_error(int err, const Tenant& t, const FileUrl& url, std::string_view doing) {
  const std::string shown = "'" + url.server_relative() + "'";
  switch (err) {
    case ENOENT:
    case ENOTDIR:
      return not_found(shown + " does not exist in tenant '" + t.name + "'");
    case ELOOP:
      return failed_precondition(shown +
                                 " passes through a symbolic link; upsync follows no link in a "
                                 "document library");
    case EXDEV:
      return invalid_argument(shown + " resolves outside the tenant's document libraries");
    case ENAMETOOLONG:
      return invalid_argument(shown + " is too long for the file system");
    case ENOSYS:
      return unavailable("the kernel has no openat2 (Linux 5.6 or later is needed) for " + shown);
    default:
      return internal_error(std::string(doing) + " " + shown + ": " + std::strerror(err));
  }
}

// Every name of `url` checked again, whoever built it.
Result<std::vector<std::string>> checked_segments(const FileUrl& url) {
  std::vector<std::string> segs = url.segments();
  if (segs.size() < 3 || (segs[0] != "sites" && segs[0] != "teams")) {
    return invalid_argument("'" + url.server_relative() + "' does not name a document library");
  }
  for (const std::string& s : segs) {
    Status st = check_library_name(s);
    if (!st.is_ok()) return invalid_argument("'" + url.server_relative() + "': " + st.message());
  }
  return segs;
}

// A name for a file being written beside its target: random, so that two writers of one file
// never share it; hidden by the reserved suffix.
Result<std::string> temp_name() {
  unsigned char bytes[8];
  if (getrandom(bytes, sizeof bytes, 0) != static_cast<ssize_t>(sizeof bytes)) {
    return internal_error(std::string("getrandom: ") + std::strerror(errno));
  }
  std::string name = ".";
  static const char* kHex = "0123456789abcdef";
  for (unsigned char b : bytes) {
    name += kHex[b >> 4];
    name += kHex[b & 15];
  }
  return name + std::string(kLibraryTempSuffix);
}

Status write_all(int fd, std::string_view data) {
  while (!data.empty()) {
    ssize_t n = ::write(fd, data.data(), data.size());
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return internal_error(std::string("write: ") + std::strerror(errno));
    data.remove_prefix(static_cast<size_t>(n));
  }
  return Status::ok();
}

Status copy_all(int from, int to) {
  char buf[1 << 16];
  while (true) {
    ssize_t n = ::read(from, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return internal_error(std::string("read: ") + std::strerror(errno));
    if (n == 0) return Status::ok();
    UPSYNC_RETURN_IF_ERROR(write_all(to, std::string_view(buf, static_cast<size_t>(n))));
  }
}

// Removes the folder `name` of `dir` and everything in it, following no link (a link is
// removed, not what it points to).
Status remove_tree(int dir, const std::string& name) {
  int fd = open_beneath(dir, name, O_RDONLY | O_DIRECTORY);
  if (fd < 0) return internal_error("opening '" + name + "': " + std::strerror(errno));
  DIR* d = fdopendir(fd);
  if (!d) {
    ::close(fd);
    return internal_error("listing '" + name + "': " + std::strerror(errno));
  }
  std::vector<std::string> names;
  while (dirent* e = readdir(d)) {
    std::string n = e->d_name;
    if (n != "." && n != "..") names.push_back(std::move(n));
  }
  Status result;
  for (const std::string& n : names) {
    struct stat st {};
    if (fstatat(dirfd(d), n.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) continue;  // gone already
    if (S_ISDIR(st.st_mode)) {
      result = remove_tree(dirfd(d), n);
    } else if (unlinkat(dirfd(d), n.c_str(), 0) != 0 && errno != ENOENT) {
      result = internal_error("removing '" + n + "': " + std::strerror(errno));
    }
    if (!result.is_ok()) break;
  }
  closedir(d);
  UPSYNC_RETURN_IF_ERROR(result);
  if (unlinkat(dir, name.c_str(), AT_REMOVEDIR) != 0 && errno != ENOENT) {
    return internal_error("removing '" + name + "': " + std::strerror(errno));
  }
  return Status::ok();
}

}  // namespace

std::string tenant_host(const Tenant& tenant) { return tenant.name + ".sharepoint.com"; }

bool url_in_tenant(const FileUrl& url, const Tenant& tenant) {
  return url.host.empty() || url.host == tenant_host(tenant);
}

Result<UniqueFd> DocumentLibraries::tenant_folder(const Tenant& t, bool create) {
  Status named = check_library_name(t.name);
  if (!named.is_ok()) return invalid_argument("tenant " + named.message());
  // The data folder itself may be a link (the administrator's choice); nothing below it.
  UniqueFd data(::open(data_dir_.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
  if (!data.valid()) {
    return unavailable("cannot open data folder '" + data_dir_ + "': " + std::strerror(errno));
  }
  UniqueFd dir = std::move(data);
  for (const std::string& name : {std::string("files"), t.name}) {
    if (create && mkdirat(dir.get(), name.c_str(), 0700) != 0 && errno != EEXIST) {
      return unavailable("cannot create '" + name + "' in '" + data_dir_ +
                         "': " + std::strerror(errno));
    }
    UniqueFd next(open_beneath(dir.get(), name, O_PATH | O_DIRECTORY));
    if (!next.valid()) {
      if (errno == ENOENT) return not_found("tenant '" + t.name + "' has no document library");
      return unavailable("cannot open the document libraries of tenant '" + t.name +
                         "': " + std::strerror(errno));
    }
    dir = std::move(next);
  }
  return dir;
}

Result<UniqueFd> DocumentLibraries::parent_folder(const Tenant& t, const FileUrl& url,
                                                  bool create) {
  UPSYNC_ASSIGN_OR_RETURN(auto segs, checked_segments(url));
  auto root = tenant_folder(t, create);
  if (!root && root.status().code() == StatusCode::kNotFound) return file_error(ENOENT, t, url, "");
  if (!root) return root.status();
  UniqueFd dir = std::move(*root);
  if (!create) {
    if (segs.size() == 1) return dir;
    UniqueFd parent(open_beneath(dir.get(), join(segs, segs.size() - 1), O_PATH | O_DIRECTORY));
    if (!parent.valid()) return file_error(errno, t, url, "opening the folder of");
    return parent;
  }
  // One level at a time: each folder is made (0700) and opened beneath the one before it.
  for (size_t i = 0; i + 1 < segs.size(); ++i) {
    if (mkdirat(dir.get(), segs[i].c_str(), 0700) != 0 && errno != EEXIST) {
      return file_error(errno, t, url, "creating a folder for");
    }
    UniqueFd next(open_beneath(dir.get(), segs[i], O_PATH | O_DIRECTORY));
    if (!next.valid()) {
      if (errno == ENOTDIR) {
        return failed_precondition("'" + url.server_relative() + "' is inside '" + segs[i] +
                                   "', which is a file");
      }
      return file_error(errno, t, url, "opening a folder for");
    }
    dir = std::move(next);
  }
  return dir;
}

FileWriter::~FileWriter() {
  if (!committed_) unlinkat(dir_.get(), tmp_.c_str(), 0);
}

Status FileWriter::append(std::string_view piece) {
  if (committed_) return failed_precondition("'" + shown_ + "' is written already");
  UPSYNC_RETURN_IF_ERROR(write_all(fd_.get(), piece).with_context("storing '" + shown_ + "'"));
  size_ += piece.size();
  return Status::ok();
}

Status FileWriter::append_from(int source_fd) {
  char buf[1 << 16];
  while (true) {
    ssize_t n = ::read(source_fd, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return internal_error(std::string("read: ") + std::strerror(errno));
    if (n == 0) return Status::ok();
    UPSYNC_RETURN_IF_ERROR(append(std::string_view(buf, static_cast<size_t>(n))));
  }
}

Status FileWriter::commit(bool replace) {
  if (committed_) return failed_precondition("'" + shown_ + "' is written already");
  if (::close(fd_.release()) != 0) {
    return internal_error("storing '" + shown_ + "': close: " + std::strerror(errno));
  }
  // RENAME_NOREPLACE: a file that appeared since the caller looked is not overwritten.
  unsigned flags = replace ? 0 : RENAME_NOREPLACE;
  if (renameat2(dir_.get(), tmp_.c_str(), dir_.get(), name_.c_str(), flags) != 0) {
    if (errno == EEXIST) {
      return already_exists("A file named " + shown_ +
                            " already exists; pass Overwrite=true to replace it.");
    }
    return internal_error("storing '" + shown_ + "': rename: " + std::strerror(errno));
  }
  committed_ = true;
  return Status::ok();
}

Result<std::unique_ptr<FileWriter>> DocumentLibraries::begin_write(const Tenant& t,
                                                                   const FileUrl& url) {
  if (url.path.empty()) return invalid_argument("'" + url.server_relative() + "' is a library");
  UPSYNC_ASSIGN_OR_RETURN(UniqueFd dir, parent_folder(t, url, true));
  std::string name = url.segments().back();
  struct stat st {};
  if (fstatat(dir.get(), name.c_str(), &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISDIR(st.st_mode)) {
    return failed_precondition("'" + url.server_relative() + "' is a folder");
  }
  UPSYNC_ASSIGN_OR_RETURN(std::string tmp, temp_name());
  UniqueFd out(open_beneath(dir.get(), tmp, O_WRONLY | O_CREAT | O_EXCL, 0600));
  if (!out.valid()) return file_error(errno, t, url, "writing");
  return std::unique_ptr<FileWriter>(new FileWriter(std::move(dir), std::move(out), std::move(tmp),
                                                    std::move(name), url.server_relative()));
}

Status DocumentLibraries::install(const Tenant& t, const FileUrl& url, int from_dir,
                                  const std::string& from_name) {
  if (url.path.empty()) return invalid_argument("'" + url.server_relative() + "' is a library");
  UPSYNC_ASSIGN_OR_RETURN(UniqueFd dir, parent_folder(t, url, true));
  const std::string name = url.segments().back();
  struct stat st {};
  if (fstatat(dir.get(), name.c_str(), &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISDIR(st.st_mode)) {
    return failed_precondition("'" + url.server_relative() + "' is a folder");
  }
  if (renameat(from_dir, from_name.c_str(), dir.get(), name.c_str()) == 0) return Status::ok();
  if (errno != EXDEV) return file_error(errno, t, url, "storing");
  UniqueFd in(openat(from_dir, from_name.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC));
  if (!in.valid()) return file_error(errno, t, url, "storing");
  UPSYNC_ASSIGN_OR_RETURN(auto writer, begin_write(t, url));
  UPSYNC_RETURN_IF_ERROR(writer->append_from(in.get()));
  UPSYNC_RETURN_IF_ERROR(writer->commit(true));
  unlinkat(from_dir, from_name.c_str(), 0);
  return Status::ok();
}

Status DocumentLibraries::write(const Tenant& t, const FileUrl& url, int source_fd,
                                std::string_view content) {
  UPSYNC_ASSIGN_OR_RETURN(auto writer, begin_write(t, url));
  UPSYNC_RETURN_IF_ERROR(source_fd >= 0 ? writer->append_from(source_fd) : writer->append(content));
  return writer->commit(true);
}

Status DocumentLibraries::put_file(const Tenant& t, const FileUrl& url, const std::string& source) {
  UniqueFd in(::open(source.c_str(), O_RDONLY | O_CLOEXEC));
  struct stat st {};
  if (!in.valid() || fstat(in.get(), &st) != 0 || !S_ISREG(st.st_mode)) {
    return not_found("local file '" + source + "' not found");
  }
  return write(t, url, in.get(), {});
}

Status DocumentLibraries::put_text(const Tenant& t, const FileUrl& url, std::string_view content) {
  return write(t, url, -1, content);
}

Result<OpenedFile> DocumentLibraries::open_file(const Tenant& t, const FileUrl& url) {
  UPSYNC_ASSIGN_OR_RETURN(UniqueFd dir, parent_folder(t, url, false));
  // O_NONBLOCK: a FIFO put in a library by hand must not block the opener (it is refused below).
  UniqueFd fd(open_beneath(dir.get(), url.segments().back(), O_RDONLY | O_NONBLOCK));
  if (!fd.valid()) return file_error(errno, t, url, "opening");
  struct stat st {};
  if (fstat(fd.get(), &st) != 0) return file_error(errno, t, url, "reading");
  if (S_ISDIR(st.st_mode))
    return failed_precondition("'" + url.server_relative() + "' is a folder");
  if (!S_ISREG(st.st_mode)) {
    return failed_precondition("'" + url.server_relative() + "' is not a file");
  }
  return OpenedFile{std::move(fd), info_of(st, url)};
}

Status DocumentLibraries::get_file(const Tenant& t, const FileUrl& url, const std::string& dest) {
  UPSYNC_ASSIGN_OR_RETURN(OpenedFile f, open_file(t, url));
  UniqueFd out(::open(dest.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0666));
  if (!out.valid()) return unavailable("cannot write '" + dest + "': " + std::strerror(errno));
  UPSYNC_RETURN_IF_ERROR(copy_all(f.fd.get(), out.get())
                             .with_context("copying '" + f.info.url + "' to '" + dest + "'"));
  if (::close(out.release()) != 0) {
    return unavailable("cannot write '" + dest + "': " + std::strerror(errno));
  }
  return Status::ok();
}

Result<FileInfo> DocumentLibraries::stat(const Tenant& t, const FileUrl& url) {
  UPSYNC_ASSIGN_OR_RETURN(UniqueFd dir, parent_folder(t, url, false));
  UniqueFd fd(open_beneath(dir.get(), url.segments().back(), O_PATH));
  if (!fd.valid()) return file_error(errno, t, url, "reading");
  struct stat st {};
  if (fstat(fd.get(), &st) != 0) return file_error(errno, t, url, "reading");
  if (!S_ISDIR(st.st_mode) && !S_ISREG(st.st_mode)) {
    return failed_precondition("'" + url.server_relative() + "' is neither a file nor a folder");
  }
  return info_of(st, url);
}

Result<std::vector<FileInfo>> DocumentLibraries::list(const Tenant& t, const FileUrl& folder) {
  UPSYNC_ASSIGN_OR_RETURN(FileInfo info, stat(t, folder));
  if (!info.folder) return std::vector<FileInfo>{info};
  UPSYNC_ASSIGN_OR_RETURN(UniqueFd dir, parent_folder(t, folder, false));
  int fd = open_beneath(dir.get(), folder.segments().back(), O_RDONLY | O_DIRECTORY);
  if (fd < 0) return file_error(errno, t, folder, "listing");
  DIR* d = fdopendir(fd);
  if (!d) {
    ::close(fd);
    return file_error(errno, t, folder, "listing");
  }
  std::vector<FileInfo> out;
  while (dirent* e = readdir(d)) {
    std::string_view name = e->d_name;
    if (!check_library_name(name).is_ok()) continue;  // ".", "..", files being written, ...
    struct stat st {};
    if (fstatat(dirfd(d), e->d_name, &st, AT_SYMLINK_NOFOLLOW) != 0) continue;  // removed since
    if (!S_ISDIR(st.st_mode) && !S_ISREG(st.st_mode)) continue;                 // links and such
    out.push_back(info_of(st, folder.child(name)));
  }
  closedir(d);
  std::sort(out.begin(), out.end(),
            [](const FileInfo& a, const FileInfo& b) { return a.url < b.url; });
  return out;
}

Status DocumentLibraries::remove(const Tenant& t, const FileUrl& url) {
  UPSYNC_ASSIGN_OR_RETURN(UniqueFd dir, parent_folder(t, url, false));
  const std::string name = url.segments().back();
  struct stat st {};
  if (fstatat(dir.get(), name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) {
    return file_error(errno, t, url, "removing");
  }
  if (S_ISDIR(st.st_mode)) {
    return remove_tree(dir.get(), name).with_context("removing '" + url.server_relative() + "'");
  }
  if (unlinkat(dir.get(), name.c_str(), 0) != 0) return file_error(errno, t, url, "removing");
  return Status::ok();
}

}  // namespace upsync
