#include "sites/upload_sessions.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <nlohmann/json.hpp>
#include <vector>

namespace upsync {

namespace {

constexpr std::string_view kPartSuffix = ".part";
constexpr std::string_view kMetaSuffix = ".json";

Status write_whole(int fd, std::string_view data) {
  while (!data.empty()) {
    ssize_t n = ::write(fd, data.data(), data.size());
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return internal_error(std::string("write: ") + std::strerror(errno));
    data.remove_prefix(static_cast<size_t>(n));
  }
  return Status::ok();
}

Result<std::string> read_whole(int dir, const std::string& name) {
  UniqueFd fd(openat(dir, name.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC));
  if (!fd.valid()) {
    if (errno == ENOENT) return not_found(name);
    return internal_error("reading upload session " + name + ": " + std::strerror(errno));
  }
  std::string out;
  char buf[4096];
  while (true) {
    ssize_t n = ::read(fd.get(), buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0)
      return internal_error("reading upload session " + name + ": " + std::strerror(errno));
    if (n == 0) return out;
    out.append(buf, static_cast<size_t>(n));
  }
}

// Writes `content` as `name` of `dir` through a temporary name (a reader sees all or nothing).
Status write_file_atomically(int dir, const std::string& name, std::string_view content) {
  std::string tmp = name + ".new";
  UniqueFd fd(
      openat(dir, tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0600));
  if (!fd.valid()) return internal_error("writing " + name + ": " + std::strerror(errno));
  Status st = write_whole(fd.get(), content);
  if (st.is_ok() && ::close(fd.release()) != 0) {
    st = internal_error("writing " + name + ": " + std::strerror(errno));
  }
  if (st.is_ok() && renameat(dir, tmp.c_str(), dir, name.c_str()) != 0) {
    st = internal_error("writing " + name + ": " + std::strerror(errno));
  }
  if (!st.is_ok()) unlinkat(dir, tmp.c_str(), 0);
  return st;
}

Status no_session(std::string_view id) {
  return not_found("There is no upload session " + std::string(id) +
                   " (it was finished, cancelled, has expired, or was never started).");
}

}  // namespace

Result<std::string> upload_id(std::string_view id) {
  static constexpr size_t kGroups[] = {8, 4, 4, 4, 12};
  std::string out;
  size_t pos = 0;
  for (size_t g = 0; g < 5; ++g) {
    if (g > 0) {
      if (pos >= id.size() || id[pos] != '-') break;
      out.push_back('-');
      ++pos;
    }
    for (size_t i = 0; i < kGroups[g]; ++i, ++pos) {
      char c = pos < id.size() ? id[pos] : '\0';
      bool hex = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
      if (!hex) {
        return invalid_argument("The upload id '" + std::string(id.substr(0, 64)) +
                                "' is not a GUID (xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx).");
      }
      out.push_back(static_cast<char>(c >= 'A' && c <= 'F' ? c - 'A' + 'a' : c));
    }
  }
  if (out.size() != 36 || pos != id.size()) {
    return invalid_argument("The upload id '" + std::string(id.substr(0, 64)) +
                            "' is not a GUID (xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx).");
  }
  return out;
}

UploadFragment::~UploadFragment() {
  // A fragment not kept (its client went away, or its request was refused) is taken back.
  if (!kept_ && fd_.valid() && written_ > 0) {
    if (ftruncate(fd_.get(), static_cast<off_t>(start_)) != 0) {
      std::fprintf(stderr, "upsync: cannot cut an upload session back: %s\n", std::strerror(errno));
    }
  }
}

Status UploadFragment::append(std::string_view piece) {
  while (!piece.empty()) {
    ssize_t n = ::pwrite(fd_.get(), piece.data(), piece.size(), static_cast<off_t>(end()));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      return internal_error(std::string("storing an upload fragment: ") + std::strerror(errno));
    }
    written_ += static_cast<uint64_t>(n);
    piece.remove_prefix(static_cast<size_t>(n));
  }
  return Status::ok();
}

Result<UniqueFd> UploadSessions::tenant_folder(const Tenant& t, bool create) {
  Status named = check_library_name(t.name);
  if (!named.is_ok()) return invalid_argument("tenant " + named.message());
  UniqueFd dir(::open(data_dir_.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
  if (!dir.valid()) {
    return unavailable("cannot open data folder '" + data_dir_ + "': " + std::strerror(errno));
  }
  for (const std::string& name : {std::string("uploads"), t.name}) {
    if (create && mkdirat(dir.get(), name.c_str(), 0700) != 0 && errno != EEXIST) {
      return unavailable("cannot create '" + name + "' in '" + data_dir_ +
                         "': " + std::strerror(errno));
    }
    UniqueFd next(openat(dir.get(), name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
    if (!next.valid()) {
      if (errno == ENOENT) return not_found("tenant '" + t.name + "' has no upload session");
      return unavailable("cannot open the upload sessions of tenant '" + t.name +
                         "': " + std::strerror(errno));
    }
    dir = std::move(next);
  }
  return dir;
}

Result<std::unique_ptr<UploadFragment>> UploadSessions::lock_part(int dir, const std::string& id,
                                                                  bool truncate) {
  std::string part = id + std::string(kPartSuffix);
  UniqueFd fd(openat(dir, part.c_str(), O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600));
  if (!fd.valid()) {
    return internal_error("opening upload session " + id + ": " + std::strerror(errno));
  }
  if (flock(fd.get(), LOCK_EX | LOCK_NB) != 0) {
    return failed_precondition("A fragment of upload session " + id +
                               " is being received; send the next one when it is answered.");
  }
  if (truncate && ftruncate(fd.get(), 0) != 0) {
    return internal_error("restarting upload session " + id + ": " + std::strerror(errno));
  }
  struct stat st {};
  if (fstat(fd.get(), &st) != 0) {
    return internal_error("reading upload session " + id + ": " + std::strerror(errno));
  }
  uint64_t size = static_cast<uint64_t>(st.st_size);
  return std::unique_ptr<UploadFragment>(new UploadFragment(std::move(fd), size));
}

Result<std::unique_ptr<UploadFragment>> UploadSessions::start(const Tenant& t, std::string_view id,
                                                              std::string_view owner,
                                                              const FileUrl& file) {
  UPSYNC_ASSIGN_OR_RETURN(std::string key, upload_id(id));
  UPSYNC_ASSIGN_OR_RETURN(UniqueFd dir, tenant_folder(t, true));
  auto existing = find(t, key);
  if (existing) {
    if (existing->owner != owner || existing->file != file) {
      return already_exists("The upload id " + key +
                            " is in use by another upload session; start with a new id.");
    }
  } else if (existing.status().code() != StatusCode::kNotFound) {
    return existing.status();
  }
  nlohmann::json meta = {{"owner", std::string(owner)}, {"file", file.server_relative()}};
  UPSYNC_RETURN_IF_ERROR(
      write_file_atomically(dir.get(), key + std::string(kMetaSuffix), meta.dump()));
  return lock_part(dir.get(), key, true);
}

Result<UploadSession> UploadSessions::find(const Tenant& t, std::string_view id) {
  UPSYNC_ASSIGN_OR_RETURN(std::string key, upload_id(id));
  auto dir = tenant_folder(t, false);
  if (!dir && dir.status().code() == StatusCode::kNotFound) return no_session(key);
  if (!dir) return dir.status();
  auto text = read_whole(dir->get(), key + std::string(kMetaSuffix));
  if (!text && text.status().code() == StatusCode::kNotFound) return no_session(key);
  if (!text) return text.status();
  nlohmann::json meta = nlohmann::json::parse(*text, nullptr, false);
  if (!meta.is_object() || !meta.contains("owner") || !meta["owner"].is_string() ||
      !meta.contains("file") || !meta["file"].is_string()) {
    return data_loss("upload session " + key + " of tenant '" + t.name + "' is damaged");
  }
  UploadSession s;
  s.id = key;
  s.owner = meta["owner"].get<std::string>();
  UPSYNC_ASSIGN_OR_RETURN(s.file, parse_decoded_file_url(meta["file"].get<std::string>()));
  struct stat st {};
  std::string part = key + std::string(kPartSuffix);
  if (fstatat(dir->get(), part.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) return no_session(key);
  s.size = static_cast<uint64_t>(st.st_size);
  return s;
}

Result<std::unique_ptr<UploadFragment>> UploadSessions::append(const Tenant& t,
                                                               const UploadSession& session) {
  UPSYNC_ASSIGN_OR_RETURN(UniqueFd dir, tenant_folder(t, false));
  std::string part = session.id + std::string(kPartSuffix);
  struct stat st {};
  if (fstatat(dir.get(), part.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0)
    return no_session(session.id);
  return lock_part(dir.get(), session.id, false);
}

Status UploadSessions::finish(const Tenant& t, const UploadSession& session,
                              DocumentLibraries& libraries) {
  UPSYNC_ASSIGN_OR_RETURN(UniqueFd dir, tenant_folder(t, false));
  UPSYNC_RETURN_IF_ERROR(
      libraries.install(t, session.file, dir.get(), session.id + std::string(kPartSuffix)));
  std::string meta = session.id + std::string(kMetaSuffix);
  unlinkat(dir.get(), meta.c_str(), 0);
  return Status::ok();
}

Status UploadSessions::cancel(const Tenant& t, const UploadSession& session) {
  UPSYNC_ASSIGN_OR_RETURN(UniqueFd dir, tenant_folder(t, false));
  // Under the part's lock, so that a fragment being received is not cut from under it.
  UPSYNC_ASSIGN_OR_RETURN(auto fragment, lock_part(dir.get(), session.id, false));
  fragment->keep();
  for (std::string_view suffix : {kPartSuffix, kMetaSuffix}) {
    std::string name = session.id + std::string(suffix);
    if (unlinkat(dir.get(), name.c_str(), 0) != 0 && errno != ENOENT) {
      return internal_error("removing upload session " + session.id + ": " + std::strerror(errno));
    }
  }
  return Status::ok();
}

Result<size_t> UploadSessions::remove_expired(std::chrono::seconds idle) {
  UniqueFd root(
      ::open((data_dir_ + "/uploads").c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
  if (!root.valid()) {
    if (errno == ENOENT) return size_t{0};
    return unavailable("cannot open '" + data_dir_ + "/uploads': " + std::strerror(errno));
  }
  auto names_in = [](int fd) {
    std::vector<std::string> names;
    int copy = dup(fd);
    if (copy < 0) return names;
    DIR* d = fdopendir(copy);
    if (!d) {
      ::close(copy);
      return names;
    }
    while (dirent* e = readdir(d)) {
      std::string n = e->d_name;
      if (n != "." && n != "..") names.push_back(std::move(n));
    }
    closedir(d);
    return names;
  };
  time_t now = std::time(nullptr);
  size_t removed = 0;
  for (const std::string& tenant : names_in(root.get())) {
    UniqueFd dir(
        openat(root.get(), tenant.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
    if (!dir.valid()) continue;  // not a folder of sessions
    for (const std::string& name : names_in(dir.get())) {
      size_t dot = name.find('.');
      std::string id = name.substr(0, dot);
      if (!upload_id(id) || name.substr(dot) != kPartSuffix) continue;
      struct stat st {};
      if (fstatat(dir.get(), name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) continue;
      if (now - st.st_mtime <= idle.count()) continue;
      // A session whose fragment is being received is not idle, whatever its time says.
      UniqueFd part(openat(dir.get(), name.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC));
      if (!part.valid() || flock(part.get(), LOCK_EX | LOCK_NB) != 0) continue;
      std::string meta = id + std::string(kMetaSuffix);
      unlinkat(dir.get(), meta.c_str(), 0);
      unlinkat(dir.get(), name.c_str(), 0);
      ++removed;
    }
  }
  return removed;
}

}  // namespace upsync
