// Document libraries: per tenant, site collections holding document libraries of folders and
// files, addressed as SharePoint addresses them.
//
//   /sites/hr/Shared Documents/import/users.json                 (server-relative)
//   https://contoso.sharepoint.com/sites/hr/Shared%20Documents/import/users.json
//
// The first two segments name the site collection ("sites/hr" or "teams/x"), the third the
// document library, the rest folders and the file. Content lives in the data folder under
// files/<tenant>/<site path>/<library>/<path>; sizes and timestamps are the file system's.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"
#include "core/tenant.h"

namespace upsync {

struct FileUrl {
  std::string host;                     // "" for a server-relative URL
  std::string site;                     // "sites/hr"
  std::string library;                  // "Shared Documents"
  std::string path;                     // "import/users.json" (may be "" for the library itself)
  std::string server_relative() const;  // "/sites/hr/Shared Documents/import/users.json"
  // The folder holding this file or folder, as a FileUrl.
  FileUrl parent() const;
  FileUrl child(std::string_view name) const;
};

// Parses a server-relative or absolute URL (percent-escapes decoded). Rejects "..", ".",
// empty segments and backslashes, naming the offending part.
Result<FileUrl> parse_file_url(std::string_view url);

// The host name of a tenant: "<name>.sharepoint.com".
std::string tenant_host(const Tenant& tenant);
// True when the URL is server-relative or names the tenant's host.
bool url_in_tenant(const FileUrl& url, const Tenant& tenant);

struct FileInfo {
  std::string url;  // server-relative
  bool folder = false;
  uint64_t size = 0;
  std::string modified_at;  // UTC, ISO 8601
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
  // The entries of a folder (or library), sorted by name.
  Result<std::vector<FileInfo>> list(const Tenant& t, const FileUrl& folder);
  // Removes a file, or a folder with everything in it.
  Status remove(const Tenant& t, const FileUrl& url);
  // Where the content of `url` is on disk (for streaming readers).
  std::string local_path(const Tenant& t, const FileUrl& url) const;

 private:
  std::string data_dir_;
};

}  // namespace upsync
