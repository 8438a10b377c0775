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
