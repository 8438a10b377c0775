// A profile photo as an image: what a client's bytes are, whether upsync takes them, and the
// sizes SharePoint keeps.
//
//   UPSYNC_ASSIGN_OR_RETURN(ImageInfo info, check_photo(bytes, "image/png"));
//   UPSYNC_ASSIGN_OR_RETURN(std::vector<ScaledPhoto> sizes, scale_photo(bytes, info));
//
// The type is read from the bytes (JPEG, PNG, GIF), never taken from the client; a declared
// image type must agree with them. Before any pixel is decoded, the file's own header gives
// the dimensions, and a file over kMaxPhotoBytes, with a side over kMaxPhotoSide or more than
// kMaxPhotoPixels pixels, is refused: a few kilobytes of PNG can claim gigabytes of pixels
// (a decompression bomb), and the decoder would allocate them all. A file cut short (no end
// marker) is refused too, rather than shown with a grey or missing part. Only then does GD
// (libgd, Debian's libgd3) decode it, and the photo is re-encoded as JPEG at every size, so
// what is stored is always an image GD produced, never the client's bytes.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"

namespace upsync {

// Graph's limit on a photo upload ("The maximum size of a photo is 4 MB").
inline constexpr size_t kMaxPhotoBytes = 4 * 1024 * 1024;
inline constexpr int kMaxPhotoSide = 8192;
// 16 megapixels: 64 MB decoded (GD keeps four bytes a pixel).
inline constexpr int64_t kMaxPhotoPixels = int64_t{16} * 1024 * 1024;

enum class ImageFormat { kJpeg, kPng, kGif };
std::string_view image_media_type(ImageFormat f);  // "image/jpeg", ...

struct ImageInfo {
  ImageFormat format;
  int width = 0;
  int height = 0;
};

// What the header of `bytes` says, with no pixel decoded: InvalidArgument when the bytes are
// no JPEG, PNG or GIF, or their header is cut short or malformed.
Result<ImageInfo> read_image_header(std::string_view bytes);

// read_image_header plus every limit above and the end marker; `declared` is the request's
// Content-Type: an image type must be the one the bytes are ("" and
// application/octet-stream declare nothing). InvalidArgument naming the problem.
Result<ImageInfo> check_photo(std::string_view bytes, std::string_view declared);

// SharePoint's thumbnails in "User Photos/Profile Pictures": each scaled so that its larger
// side fits the box, keeping the aspect ratio and never enlarged.
enum class PhotoSize { kSmall, kMedium, kLarge, kFull };
struct PhotoSizeSpec {
  PhotoSize size;
  std::string_view suffix;  // "SThumb", "MThumb", "LThumb", "Photo"
  int box;                  // 32, 96, 144; the full photo: Graph's largest size, 648
};
const std::vector<PhotoSizeSpec>& photo_sizes();

struct ScaledPhoto {
  PhotoSizeSpec spec;
  int width = 0;
  int height = 0;
  std::string jpeg;
};

// Decodes `bytes` (checked by check_photo) and encodes each of photo_sizes() as JPEG.
// InvalidArgument when the decoder refuses the data.
Result<std::vector<ScaledPhoto>> scale_photo(std::string_view bytes, const ImageInfo& info);

}  // namespace upsync
