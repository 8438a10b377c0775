#include "photos/profile_photos.h"

#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "core/text.h"

namespace upsync {
namespace {

// A stored size is a JPEG GD wrote at most 648 pixels a side: far below this.
constexpr uint64_t kMaxStoredBytes = 8 * 1024 * 1024;

Result<std::string> read_all(int fd, uint64_t size, const std::string& shown) {
  if (size > kMaxStoredBytes) {
    return failed_precondition("The stored photo " + shown + " is " + std::to_string(size) +
                               " bytes: not one upsync wrote.");
  }
  std::string out(size, '\0');
  size_t done = 0;
  while (done < out.size()) {
    ssize_t n = pread(fd, out.data() + done, out.size() - done, static_cast<off_t>(done));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return internal_error("Cannot read " + shown + ": " + std::strerror(errno));
    if (n == 0) break;
    done += static_cast<size_t>(n);
  }
  out.resize(done);
  return out;
}

const PhotoSizeSpec& spec_of(PhotoSize size) {
  for (const PhotoSizeSpec& s : photo_sizes()) {
    if (s.size == size) return s;
  }
  return photo_sizes().back();
}

}  // namespace

std::string photo_file_stem(std::string_view upn) {
  static const char* kHex = "0123456789ABCDEF";
  std::string out;
  for (char c : ascii_lower(upn)) {
    if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-') {
      out += c;
    } else {
      auto b = static_cast<uint8_t>(c);
      out += '_';
      out += kHex[b >> 4];
      out += kHex[b & 15];
    }
  }
  return out;
}

FileUrl photo_file_url(std::string_view upn, const PhotoSizeSpec& spec) {
  FileUrl url{.host = "", .site = "sites/my", .library = "User Photos", .path = ""};
  url.path = "Profile Pictures/" + photo_file_stem(upn) + "_" + std::string(spec.suffix) + ".jpg";
  return url;
}

Result<std::vector<ScaledPhoto>> ProfilePhotos::put(const Tenant& t, std::string_view upn,
                                                    std::string_view bytes,
                                                    std::string_view declared) {
  if (upn.empty()) return invalid_argument("A photo belongs to a person; no person was named.");
  UPSYNC_ASSIGN_OR_RETURN(ImageInfo info, check_photo(bytes, declared));
  UPSYNC_ASSIGN_OR_RETURN(std::vector<ScaledPhoto> sizes, scale_photo(bytes, info));
  // Every size is written beside its target first, then all are renamed into place: a failed
  // write leaves the previous photo whole.
  std::vector<std::unique_ptr<FileWriter>> writers;
  for (const ScaledPhoto& s : sizes) {
    UPSYNC_ASSIGN_OR_RETURN(auto w, libs_.begin_write(t, photo_file_url(upn, s.spec)));
    UPSYNC_RETURN_IF_ERROR(w->append(s.jpeg));
    writers.push_back(std::move(w));
  }
  for (auto& w : writers) UPSYNC_RETURN_IF_ERROR(w->commit(true));
  return sizes;
}

Result<std::optional<StoredPhoto>> ProfilePhotos::get(const Tenant& t, std::string_view upn,
                                                      PhotoSize size) {
  FileUrl url = photo_file_url(upn, spec_of(size));
  auto opened = libs_.open_file(t, url);
  if (!opened && opened.status().code() == StatusCode::kNotFound) {
    return std::optional<StoredPhoto>{};
  }
  if (!opened) return opened.status();
  UPSYNC_ASSIGN_OR_RETURN(std::string jpeg,
                          read_all(opened->fd.get(), opened->info.size, url.server_relative()));
  auto info = read_image_header(jpeg);
  if (!info) {
    return failed_precondition("The stored photo " + url.server_relative() +
                               " is not an image upsync wrote: " + info.status().message());
  }
  StoredPhoto out{std::move(jpeg), info->width, info->height, ""};
  out.etag = "\"" + std::to_string(opened->info.modified_ns) + "-" +
             std::to_string(opened->info.size) + "\"";
  return std::optional<StoredPhoto>{std::move(out)};
}

Result<bool> ProfilePhotos::remove(const Tenant& t, std::string_view upn) {
  bool had = false;
  for (const PhotoSizeSpec& spec : photo_sizes()) {
    FileUrl url = photo_file_url(upn, spec);
    Status s = libs_.remove(t, url);
    if (s.is_ok()) {
      had = true;
    } else if (s.code() != StatusCode::kNotFound) {
      return s;
    }
  }
  return had;
}

}  // namespace upsync
