#include "core/private_modes.h"

#include <sys/stat.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>

namespace upsync {
namespace {

std::string octal(mode_t m) {
  char buf[8];
  std::snprintf(buf, sizeof buf, "%04o", static_cast<unsigned>(m));
  return buf;
}

// Tightens one path (not through a link); true when it changed.
Result<bool> tighten(const std::filesystem::path& p, mode_t& before, mode_t& after) {
  struct stat st {};
  if (lstat(p.c_str(), &st) != 0) {
    if (errno == ENOENT) return false;  // removed meanwhile
    return unavailable("cannot read the mode of '" + p.string() + "': " + std::strerror(errno));
  }
  if (S_ISLNK(st.st_mode) || (st.st_mode & 077) == 0) return false;
  before = st.st_mode & 07777;
  after = before & ~static_cast<mode_t>(077);
  if (chmod(p.c_str(), after) != 0) {
    return unavailable("cannot make '" + p.string() + "' private (" + octal(before) + " → " +
                       octal(after) + "): " + std::strerror(errno));
  }
  return true;
}

}  // namespace

Result<std::vector<TightenedMode>> make_private(const std::string& dir) {
  namespace fs = std::filesystem;
  std::vector<TightenedMode> out;
  TightenedMode t;
  UPSYNC_ASSIGN_OR_RETURN(bool changed, tighten(dir, t.before, t.after));
  if (changed) out.push_back({".", t.before, t.after});
  std::error_code ec;
  for (auto it =
           fs::recursive_directory_iterator(dir, fs::directory_options::skip_permission_denied, ec);
       !ec && it != fs::end(it); it.increment(ec)) {
    UPSYNC_ASSIGN_OR_RETURN(changed, tighten(it->path(), t.before, t.after));
    if (changed) out.push_back({fs::relative(it->path(), dir).string(), t.before, t.after});
  }
  if (ec) return unavailable("cannot read the data folder '" + dir + "': " + ec.message());
  return out;
}

std::string describe_tightened(const std::vector<TightenedMode>& changed, size_t max) {
  std::string out;
  for (size_t i = 0; i < changed.size() && i < max; ++i) {
    if (i > 0) out += ", ";
    out +=
        changed[i].path + " (" + octal(changed[i].before) + " → " + octal(changed[i].after) + ")";
  }
  if (changed.size() > max) out += " and " + std::to_string(changed.size() - max) + " more";
  return out;
}

}  // namespace upsync
