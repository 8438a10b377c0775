// libFuzzer target for the door from a client's URL to a library file
// (src/sites/library_path.h). The invariant: nothing the door accepts resolves outside the
// tenant's folder. For every input, as an encoded URL and as decoded text: either a clean
// InvalidArgument, or a FileUrl whose names are all plain (check_library_name: no '/', '\',
// NUL, dot segment, control character, invalid UTF-8, reserved suffix), whose lexical join
// under a tenant root stays beneath it, whose decoded path keeps SharePoint's limits, and
// which round-trips: parse_file_url(u.escaped()) and parse_decoded_file_url(u.server_relative())
// give the same site, library and path back.
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <string_view>

#include "sites/library_path.h"

namespace {

void check(bool ok) {
  if (!ok) std::abort();
}

bool same_place(const upsync::FileUrl& a, const upsync::FileUrl& b) {
  return a.site == b.site && a.library == b.library && a.path == b.path;
}

void check_accepted(const upsync::FileUrl& u) {
  const auto segments = u.segments();
  check(segments.size() >= 3);
  check(segments[0] == "sites" || segments[0] == "teams");
  std::filesystem::path joined = "/data/files/tenant";
  for (const std::string& s : segments) {
    check(upsync::check_library_name(s).is_ok());
    check(s != "." && s != ".." && !s.empty());
    check(s.find_first_of(std::string_view("/\\\0", 3)) == std::string::npos);
    check(s.size() <= upsync::kMaxLibraryNameBytes);
    joined /= s;
  }
  // The join, normalized as a file system would resolve it lexically, stays beneath the root.
  const std::string normal = joined.lexically_normal().string();
  check(normal.starts_with("/data/files/tenant/sites/") ||
        normal.starts_with("/data/files/tenant/teams/"));
  check(normal.find("/../") == std::string::npos);

  auto again = upsync::parse_file_url(u.escaped());
  check(again && same_place(*again, u));
  auto decoded = upsync::parse_decoded_file_url(u.server_relative());
  check(decoded && same_place(*decoded, u));
}

void run(upsync::Result<upsync::FileUrl> r) {
  if (r) {
    check_accepted(*r);
  } else {
    check(r.status().code() == upsync::StatusCode::kInvalidArgument);
    check(!r.status().message().empty());
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view input(reinterpret_cast<const char*>(data), size);
  run(upsync::parse_file_url(input));
  run(upsync::parse_decoded_file_url(input));
  // The same text under a library prefix, so that most inputs reach the segment checks.
  std::string under = "/sites/hr/Shared%20Documents/" + std::string(input);
  run(upsync::parse_file_url(under));
  run(upsync::parse_decoded_file_url("/sites/hr/Shared Documents/" + std::string(input)));
  upsync::Status name = upsync::check_library_name(input);
  check(name.is_ok() || name.code() == upsync::StatusCode::kInvalidArgument);
  return 0;
}
