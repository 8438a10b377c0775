#include "sites/sites.h"

#include <algorithm>
#include <chrono>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <system_error>

#include "core/text.h"

namespace upsync {
namespace fs = std::filesystem;

namespace {

Result<std::string> decode_segment(std::string_view s) {
  size_t bad = 0;
  auto out = percent_decode(s, &bad);
  if (!out) {
    return invalid_argument("URL '" + std::string(s) + "': bad escape at position " +
                            std::to_string(bad + 1));
  }
  return *out;
}

std::string iso_time(fs::file_time_type t) {
  auto sys = std::chrono::time_point_cast<std::chrono::system_clock::duration>(
      t - fs::file_time_type::clock::now() + std::chrono::system_clock::now());
  std::time_t tt = std::chrono::system_clock::to_time_t(sys);
  std::tm tm{};
  gmtime_r(&tt, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

}  // namespace

std::string FileUrl::server_relative() const {
  std::string s = "/" + site + "/" + library;
  if (!path.empty()) s += "/" + path;
  return s;
}

FileUrl FileUrl::parent() const {
  FileUrl p = *this;
  auto slash = path.rfind('/');
  p.path = slash == std::string::npos ? "" : path.substr(0, slash);
  return p;
}

FileUrl FileUrl::child(std::string_view name) const {
  FileUrl c = *this;
  c.path = path.empty() ? std::string(name) : path + "/" + std::string(name);
  return c;
}

Result<FileUrl> parse_file_url(std::string_view url) {
  FileUrl out;
  std::string_view rest = url;
  for (std::string_view scheme : {"https://", "http://"}) {
    if (rest.substr(0, scheme.size()) == scheme) {
      rest.remove_prefix(scheme.size());
      auto slash = rest.find('/');
      out.host = ascii_lower(rest.substr(0, slash));
      rest = slash == std::string_view::npos ? std::string_view() : rest.substr(slash);
      break;
    }
  }
  if (rest.empty() || rest[0] != '/') {
    return invalid_argument("URL '" + std::string(url) +
                            "' is neither server-relative (/sites/...) nor absolute (https://...)");
  }
  std::vector<std::string> segs;
  size_t pos = 1;
  while (pos <= rest.size()) {
    auto next = rest.find('/', pos);
    if (next == std::string_view::npos) next = rest.size();
    UPSYNC_ASSIGN_OR_RETURN(std::string seg, decode_segment(rest.substr(pos, next - pos)));
    if (seg.empty() && next == rest.size() && !segs.empty()) break;  // trailing '/'
    if (seg.empty() || seg == "." || seg == ".." || seg.find('\\') != std::string::npos ||
        seg.find('\0') != std::string::npos) {
      return invalid_argument("URL '" + std::string(url) + "': invalid segment '" + seg + "'");
    }
    segs.push_back(std::move(seg));
    pos = next + 1;
  }
  if (segs.size() < 3 || (segs[0] != "sites" && segs[0] != "teams")) {
    return invalid_argument("URL '" + std::string(url) +
                            "' does not name a document library: expected "
                            "/sites/<site>/<library>/...");
  }
  out.site = segs[0] + "/" + segs[1];
  out.library = segs[2];
  for (size_t i = 3; i < segs.size(); ++i) {
    if (!out.path.empty()) out.path += "/";
    out.path += segs[i];
  }
  return out;
}

std::string tenant_host(const Tenant& tenant) { return tenant.name + ".sharepoint.com"; }

bool url_in_tenant(const FileUrl& url, const Tenant& tenant) {
  return url.host.empty() || url.host == tenant_host(tenant);
}

std::string DocumentLibraries::local_path(const Tenant& t, const FileUrl& url) const {
  fs::path p = fs::path(data_dir_) / "files" / t.name / url.site / url.library;
  if (!url.path.empty()) p /= url.path;
  return p.string();
}

Status DocumentLibraries::put_file(const Tenant& t, const FileUrl& url, const std::string& source) {
  if (url.path.empty()) return invalid_argument("'" + url.server_relative() + "' is a library");
  std::error_code ec;
  if (!fs::is_regular_file(source, ec)) return not_found("local file '" + source + "' not found");
  fs::path dest = local_path(t, url);
  if (fs::is_directory(dest, ec)) {
    return failed_precondition("'" + url.server_relative() + "' is a folder");
  }
  fs::create_directories(dest.parent_path(), ec);
  if (ec)
    return internal_error("creating folder for '" + url.server_relative() + "': " + ec.message());
  fs::path tmp = dest.string() + ".upsync-tmp";
  fs::copy_file(source, tmp, fs::copy_options::overwrite_existing, ec);
  if (!ec) fs::rename(tmp, dest, ec);
  if (ec) return internal_error("storing '" + url.server_relative() + "': " + ec.message());
  return Status::ok();
}

Status DocumentLibraries::put_text(const Tenant& t, const FileUrl& url, std::string_view content) {
  fs::path dest = local_path(t, url);
  std::error_code ec;
  fs::create_directories(dest.parent_path(), ec);
  if (ec)
    return internal_error("creating folder for '" + url.server_relative() + "': " + ec.message());
  std::string tmp = dest.string() + ".upsync-tmp";
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    out.write(content.data(), static_cast<std::streamsize>(content.size()));
    if (!out) return internal_error("writing '" + url.server_relative() + "' failed");
  }
  fs::rename(tmp, dest, ec);
  if (ec) return internal_error("storing '" + url.server_relative() + "': " + ec.message());
  return Status::ok();
}

Status DocumentLibraries::get_file(const Tenant& t, const FileUrl& url, const std::string& dest) {
  UPSYNC_ASSIGN_OR_RETURN(FileInfo info, stat(t, url));
  if (info.folder) return failed_precondition("'" + info.url + "' is a folder");
  std::error_code ec;
  fs::copy_file(local_path(t, url), dest, fs::copy_options::overwrite_existing, ec);
  if (ec) return internal_error("copying '" + info.url + "' to '" + dest + "': " + ec.message());
  return Status::ok();
}

Result<FileInfo> DocumentLibraries::stat(const Tenant& t, const FileUrl& url) {
  std::error_code ec;
  fs::path p = local_path(t, url);
  auto st = fs::status(p, ec);
  if (ec || !fs::exists(st) || p.string().ends_with(".upsync-tmp")) {
    return not_found("'" + url.server_relative() + "' does not exist in tenant '" + t.name + "'");
  }
  FileInfo info;
  info.url = url.server_relative();
  info.folder = fs::is_directory(st);
  info.size = info.folder ? 0 : fs::file_size(p, ec);
  info.modified_at = iso_time(fs::last_write_time(p, ec));
  return info;
}

Result<std::vector<FileInfo>> DocumentLibraries::list(const Tenant& t, const FileUrl& folder) {
  UPSYNC_ASSIGN_OR_RETURN(FileInfo info, stat(t, folder));
  if (!info.folder) return std::vector<FileInfo>{info};
  std::vector<FileInfo> out;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(local_path(t, folder), ec)) {
    std::string name = entry.path().filename().string();
    if (name.ends_with(".upsync-tmp")) continue;
    UPSYNC_ASSIGN_OR_RETURN(FileInfo child, stat(t, folder.child(name)));
    out.push_back(std::move(child));
  }
  if (ec) return internal_error("listing '" + folder.server_relative() + "': " + ec.message());
  std::sort(out.begin(), out.end(),
            [](const FileInfo& a, const FileInfo& b) { return a.url < b.url; });
  return out;
}

Status DocumentLibraries::remove(const Tenant& t, const FileUrl& url) {
  UPSYNC_ASSIGN_OR_RETURN(FileInfo info, stat(t, url));
  std::error_code ec;
  fs::remove_all(local_path(t, url), ec);
  if (ec) return internal_error("removing '" + info.url + "': " + ec.message());
  return Status::ok();
}

}  // namespace upsync
