// Document libraries: per tenant, site collections holding document libraries of folders and
// files, addressed as SharePoint addresses them.
//
//   /sites/hr/Shared Documents/import/users.json                 (server-relative)
//   https://contoso.sharepoint.com/sites/hr/Shared%20Documents/import/users.json
//
// The first two segments name the site collection ("sites/hr" or "teams/x"), the third the
// document library, the rest folders and the file. A client's URL becomes a FileUrl only
// through the door of library_path.h. Content lives in the data folder under
// files/<tenant>/<site path>/<library>/<path>; sizes and timestamps are the file system's.
//
// The file layer cannot leave files/<tenant>/, whatever FileUrl it is handed: every name is
// checked again (check_library_name), and every file and folder is opened relative to the
// tenant's folder with openat2(RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS), so that neither "..",
// an absolute name nor a symbolic link (anywhere on the path) is followed. A link found in a
// library is never followed: listing leaves it out, reading or writing through it is
// FailedPrecondition, removing it removes the link. Files are written with mode 0600 and
// folders 0700, through a temporary name and a rename (a reader sees the old or the new
// content, never half of one).
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"
#include "core/tenant.h"
#include "core/unique_fd.h"
#include "sites/library_path.h"

namespace upsync {

// The host name of a tenant: "<name>.sharepoint.com".
std::string tenant_host(const Tenant& tenant);
// True when the URL is server-relative or names the tenant's host.
bool url_in_tenant(const FileUrl& url, const Tenant& tenant);

struct FileInfo {
  std::string url;  // server-relative, decoded
  bool folder = false;
  uint64_t size = 0;
  std::string modified_at;  // UTC, ISO 8601
  int64_t modified_ns = 0;  // the same, in nanoseconds since the epoch
};

// A file being written (DocumentLibraries::begin_write): its content goes to a hidden
// temporary file beside its target (the reserved suffix: invisible to list() and refused by
// the door), and becomes visible only when commit() renames it into place. Destroyed without a
// commit, it removes the temporary file, so a failed or abandoned write (a client gone
// mid-body) leaves the library as it was. Memory use is the caller's pieces, whatever the size.
class FileWriter {
 public:
  ~FileWriter();
  FileWriter(const FileWriter&) = delete;
  FileWriter& operator=(const FileWriter&) = delete;

  Status append(std::string_view piece);
  // Appends everything `source_fd` reads until its end.
  Status append_from(int source_fd);
  uint64_t size() const { return size_; }
  // Makes the content visible at the target. With `replace` false, a file that appeared there
  // since begin_write is kept and the commit is AlreadyExists (the rename refuses to replace).
  Status commit(bool replace);

 private:
  friend class DocumentLibraries;
  FileWriter(UniqueFd dir, UniqueFd fd, std::string tmp, std::string name, std::string shown)
      : dir_(std::move(dir)),
        fd_(std::move(fd)),
        tmp_(std::move(tmp)),
        name_(std::move(name)),
        shown_(std::move(shown)) {}

  UniqueFd dir_;  // the target's folder, opened beneath the tenant's
  UniqueFd fd_;   // the temporary file; closed once committed
  std::string tmp_;
  std::string name_;
  std::string shown_;  // the target's server-relative URL, for messages
  uint64_t size_ = 0;
  bool committed_ = false;
};

// A file of a library opened for reading, with what fstat said of it.
struct OpenedFile {
  UniqueFd fd;
  FileInfo info;
};

class DocumentLibraries {
 public:
  explicit DocumentLibraries(std::string data_dir) : data_dir_(std::move(data_dir)) {}

  // Stores the bytes of the local file `source` at `url`, creating folders; replaces a file.
  Status put_file(const Tenant& t, const FileUrl& url, const std::string& source);
  Status put_text(const Tenant& t, const FileUrl& url, std::string_view content);
  // Starts writing the file at `url` (creating its folders): FailedPrecondition when `url` is a
  // folder. Nothing is visible at `url` until the writer's commit.
  Result<std::unique_ptr<FileWriter>> begin_write(const Tenant& t, const FileUrl& url);
  // Moves the finished file `from_name` of the folder `from_dir` (outside the libraries, e.g.
  // an upload session's) to `url`, replacing a file there; copied through a FileWriter when
  // the two folders are on different file systems.
  Status install(const Tenant& t, const FileUrl& url, int from_dir, const std::string& from_name);
  // Copies the file's content to the local path `dest`.
  Status get_file(const Tenant& t, const FileUrl& url, const std::string& dest);
  // NotFound when nothing is stored at `url`.
  Result<FileInfo> stat(const Tenant& t, const FileUrl& url);
  // The entries of a folder (or library), sorted by name. Links, files being written and
  // names the door would refuse (put there by hand) are left out.
  Result<std::vector<FileInfo>> list(const Tenant& t, const FileUrl& folder);
  // Removes a file, or a folder with everything in it.
  Status remove(const Tenant& t, const FileUrl& url);
  // The file at `url`, open for reading (for streaming readers: read it through the
  // descriptor, with pread or after a dup, never by a path). FailedPrecondition for a folder.
  Result<OpenedFile> open_file(const Tenant& t, const FileUrl& url);

 private:
  Result<UniqueFd> tenant_folder(const Tenant& t, bool create);
  // The folder holding `url` (its parent), created when `create`.
  Result<UniqueFd> parent_folder(const Tenant& t, const FileUrl& url, bool create);
  Status write(const Tenant& t, const FileUrl& url, int source_fd, std::string_view content);

  std::string data_dir_;
};

}  // namespace upsync
