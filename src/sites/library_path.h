// The one door from a path a client gives to a file of a document library.
//
// Every path that comes from outside (the SharePoint file routes, a bulk import's sourceUri,
// the CLI's `file` commands) becomes a FileUrl here and nowhere else:
//
//   auto url = parse_file_url("https://contoso.sharepoint.com/sites/hr/Shared%20Documents/a.json");
//   auto url = parse_decoded_file_url("/sites/hr/Shared Documents/a.json");  // REST decodedUrl
//   url->site == "sites/hr", url->library == "Shared Documents", url->path == "a.json"
//
// parse_file_url decodes the whole URL once; parse_decoded_file_url takes text that was
// decoded already (an OData literal) and decodes nothing. Both then refuse, as InvalidArgument
// naming the problem and its position (1-based, in the text as given):
//  - a '/' that an escape produced (%2F), and a backslash in any form;
//  - NUL and every control character (C0, DEL, C1), invalid UTF-8 (overlong forms of '.',
//    '/' and '\' are named as such, surrogates, truncated sequences), and the full-width and
//    compatibility forms that NFKC turns into '.', '/' or '\' (U+FF0E, U+FF0F, U+FF3C,
//    U+FE52, U+FE68, U+2024, U+2025);
//  - empty inner segments ("//"), segments of dots only (".", "..", "..."), a name longer
//    than 255 bytes, a decoded path longer than 400 characters (SharePoint's limit);
//  - a name ending in ".upsync-tmp" (reserved for files being written);
//  - an escape left after decoding ("%2e" in a name: the URL was encoded twice);
//  - in an encoded URL, a bare '?' or '#' (write %3F, %23 for them in a name), a bad escape,
//    and a host that is not a host name.
// A URL the door accepts has only plain names: it cannot name anything outside its library,
// and it round-trips: parse_file_url(u.escaped()) and parse_decoded_file_url(u.server_relative())
// give u back (fuzz/file_url_fuzzer.cpp checks both).
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"

namespace upsync {

inline constexpr size_t kMaxLibraryNameBytes = 255;
inline constexpr size_t kMaxLibraryPathChars = 400;
// The suffix of a file being written (then renamed into place); never a client's name.
inline constexpr std::string_view kLibraryTempSuffix = ".upsync-tmp";

struct FileUrl {
  std::string host;                     // "" for a server-relative URL; lower-case
  std::string site;                     // "sites/hr"
  std::string library;                  // "Shared Documents"
  std::string path;                     // "import/users.json" (may be "" for the library itself)
  std::string server_relative() const;  // "/sites/hr/Shared Documents/import/users.json"
  // server_relative() with '%', '?' and '#' escaped: what parse_file_url takes back.
  std::string escaped() const;
  // The names from the tenant's folder down: {"sites", "hr", "Shared Documents", "import",
  // "users.json"}.
  std::vector<std::string> segments() const;
  // The folder holding this file or folder, as a FileUrl.
  FileUrl parent() const;
  FileUrl child(std::string_view name) const;
  bool operator==(const FileUrl&) const = default;
};

// A server-relative or absolute URL, percent-escapes decoded once.
Result<FileUrl> parse_file_url(std::string_view url);
// A server-relative or absolute URL whose percent-escapes were decoded already.
Result<FileUrl> parse_decoded_file_url(std::string_view url);

// One name (a site, library, folder or file name, as stored): InvalidArgument naming the
// problem unless it is a plain name by the rules above.
Status check_library_name(std::string_view name);

// Whether the authority of an absolute URL ("contoso.sharepoint.com", "127.0.0.1:8080") is a
// host name with an optional port: letters, digits, '.' and '-' (no user, no escapes).
bool valid_url_host(std::string_view authority);

// Escapes '%', '?' and '#' in a decoded server-relative path.
std::string escape_file_path(std::string_view decoded);

}  // namespace upsync
