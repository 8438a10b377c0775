// What the path-door suites share (path_door_test.cpp, file_door_test.cpp): the corpus of
// hostile URLs and the looks at a folder tree that show nothing outside a tenant changed.
#pragma once

#include <sys/stat.h>

#include <filesystem>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "test_support.h"

namespace upsync::testing::hostile {

namespace fs = std::filesystem;

inline const std::string kLib = "/sites/hr/Shared Documents";

// Every file and folder under `root` with its content (files) or "<dir>" (folders), except
// the store's own files and the server's output, which change with every command.
inline std::map<std::string, std::string> tree(const fs::path& root) {
  std::map<std::string, std::string> out;
  std::error_code ec;
  for (auto it = fs::recursive_directory_iterator(root, ec); it != fs::end(it); it.increment(ec)) {
    std::string rel = fs::relative(it->path(), root).string();
    std::string name = it->path().filename().string();
    if (name.starts_with("upsync.db") || name.starts_with("serve.")) continue;
    if (it->is_symlink()) {
      out[rel] = "<link>";
    } else if (it->is_directory()) {
      out[rel] = "<dir>";
    } else {
      out[rel] = read_file(it->path());
    }
  }
  return out;
}

inline mode_t mode_of(const fs::path& p) {
  struct stat st {};
  if (lstat(p.c_str(), &st) != 0) return 0;
  return st.st_mode & 07777;
}

inline std::string quote(const std::string& s) {
  std::string out;
  for (unsigned char c : s) {
    if (c < 0x20 || c >= 0x7F) {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\x%02X", c);
      out += buf;
    } else {
      out.push_back(static_cast<char>(c));
    }
  }
  return out;
}

// Percent-encodes every byte but unreserved ones (what encodeURIComponent does to a path).
inline std::string encode_all(std::string_view s) { return percent_encode(s); }

// The URLs a client might type (percent-encoded, as the CLI and a sourceUri take them); none
// may reach a file outside the tenant. `outside` is a folder beside the data folder.
inline std::vector<std::string> hostile_urls(const std::string& outside) {
  const std::string lib = kLib + "/";
  std::vector<std::string> urls = {
      // Finding 1, word for word: contoso's import reading fabrikam's file.
      lib +
          "%2e%2e%2f%2e%2e%2f%2e%2e%2f%2e%2e/fabrikam/sites/hr/Shared Documents/import/"
          "users.json",
      // Finding 9: '..' with an encoded '/', an absolute library, a library at the root.
      lib + "..%2f..%2f..%2f..%2f..%2fESCAPED.txt",
      lib + "..%2F..%2F..%2F..%2F..%2F..%2Foutside%2Fx.txt",
      "/sites/hr/%2f" + encode_all(outside.substr(1)) + "/x.txt",
      "/sites/s/%2f",
      "/sites/s/%2F/x.txt",
      "/sites/h%2fr/Shared Documents/x.txt",
      "/sites/hr/Shared%2fDocuments/x.txt",
      "/sites/hr/Shared Documents//x.txt",
      "/sites//hr/Shared Documents/x.txt",
      // Dot segments, plain and encoded.
      lib + "../../../../fabrikam/sites/hr/Shared Documents/x.txt",
      lib + "./x.txt",
      lib + "%2e%2e/%2e%2e/%2e%2e/%2e%2e/fabrikam/sites/hr/Shared Documents/x.txt",
      lib + ".%2e/x.txt",
      lib + "%2E/x.txt",
      lib + ".../x.txt",
      // Backslashes, plain and encoded.
      lib + "..\\..\\..\\..\\x.txt",
      lib + "..%5c..%5c..%5c..%5cx.txt",
      lib + "%5C",
      // NUL and other control characters.
      lib + "x.txt%00.json",
      lib + "%00",
      lib + "x%0a.txt",
      lib + "x%1f.txt",
      lib + "x%7f.txt",
      lib + "x%c2%85.txt",  // U+0085, a C1 control
      // Overlong UTF-8 forms of '.', '/' and '\'.
      lib + "%c0%ae%c0%ae%c0%af%c0%ae%c0%ae%c0%afx.txt",
      lib + "%c0%ae%c0%ae/x.txt",
      lib + "..%c0%afx.txt",
      lib + "..%c1%9cx.txt",
      lib + "%e0%80%ae%e0%80%ae/x.txt",
      lib + "%f0%80%80%af/x.txt",
      // Full-width and compatibility forms (NFKC makes them '.', '/' or '\').
      lib + "%ef%bc%8e%ef%bc%8e%ef%bc%8fx.txt",
      lib + "\xef\xbc\x8e\xef\xbc\x8e/x.txt",
      lib + "..%ef%bc%bcx.txt",
      lib + "%ef%b9%92%ef%b9%92/x.txt",  // U+FE52 small full stop
      lib + "%e2%80%a5/x.txt",           // U+2025 two dot leader
      // Invalid UTF-8.
      lib + "x%ff.txt",
      lib + "x%ed%a0%80.txt",  // a UTF-16 surrogate
      lib + "x%e2%82.txt",     // truncated
      // Double encoding.
      lib + "%252e%252e%252f%252e%252e%252fx.txt",
      lib + "..%252f..%252fx.txt",
      lib + "%25252e%25252e/x.txt",
      // Bad escapes.
      lib + "x%2.txt",
      lib + "x%zz.txt",
      // Absolute URLs of other hosts and tenants.
      "https://fabrikam.sharepoint.com" + lib + "import/users.json",
      "https://evil.example.com" + lib + "x.txt",
      "https://contoso.sharepoint.com@evil.example.com" + lib + "x.txt",
      "https://contoso.sharepoint.com%2f..%2f..%2ffabrikam" + lib + "x.txt",
      "file:///etc/passwd",
      "//evil.example.com" + lib + "x.txt",
      // Over-long names, the reserved temporary suffix.
      lib + std::string(300, 'a') + ".txt",
      lib + std::string(150, 'b') + "/" + std::string(150, 'c') + "/" + std::string(150, 'd'),
      lib + "x.upsync-tmp",
      lib + "import/users.json.upsync-tmp",
  };
  return urls;
}

// A well-formed absolute URL of another host: seed 003's DataFileNotInTenant for an import.
inline bool other_host(const std::string& url) {
  return url.starts_with("https://fabrikam.sharepoint.com/") ||
         url.starts_with("https://evil.example.com/");
}

// Hostile URLs that, once decoded, are plain paths of the tenant (an encoded '/' turned into
// a real one), or that hold a '%' that is no escape: in a REST decodedUrl, which is decoded
// already, they name ordinary files inside the tenant.
inline bool plain_once_decoded(const std::string& path) {
  return path == "/sites/h/r/Shared Documents/x.txt" ||
         path == "/sites/hr/Shared/Documents/x.txt" || path == kLib + "/x%2.txt" ||
         path == kLib + "/x%zz.txt";
}

}  // namespace upsync::testing::hostile
