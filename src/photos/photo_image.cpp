#include "photos/photo_image.h"

#include <gd.h>

#include <algorithm>
#include <memory>

#include "core/text.h"

namespace upsync {
namespace {

uint32_t be16(std::string_view b, size_t at) {
  return (uint32_t{static_cast<uint8_t>(b[at])} << 8) | static_cast<uint8_t>(b[at + 1]);
}
uint32_t be32(std::string_view b, size_t at) { return (be16(b, at) << 16) | be16(b, at + 2); }
uint32_t le16(std::string_view b, size_t at) {
  return (uint32_t{static_cast<uint8_t>(b[at + 1])} << 8) | static_cast<uint8_t>(b[at]);
}
uint8_t byte_at(std::string_view b, size_t at) { return static_cast<uint8_t>(b[at]); }

Status cut_short(std::string_view what) {
  return invalid_argument("The " + std::string(what) +
                          " header is cut short: the file is truncated or not an image.");
}

// JPEG: the frame header (SOFn) gives the size; the segments before it are walked by their
// lengths. The entropy-coded data after a scan never holds an FF D9 but as the end marker.
Result<ImageInfo> jpeg_header(std::string_view b) {
  size_t pos = 2;
  while (true) {
    if (pos + 4 > b.size()) return cut_short("JPEG");
    if (byte_at(b, pos) != 0xFF) {
      return invalid_argument("The JPEG data is malformed at byte " + std::to_string(pos) +
                              ": a marker was expected.");
    }
    uint8_t marker = byte_at(b, pos + 1);
    if (marker == 0xFF) {  // fill byte
      ++pos;
      continue;
    }
    if (marker == 0x01 || (marker >= 0xD0 && marker <= 0xD8)) {
      pos += 2;
      continue;
    }
    if (marker == 0xDA || marker == 0xD9) {
      return invalid_argument("The JPEG data has no frame header before its image data.");
    }
    uint32_t len = be16(b, pos + 2);
    if (len < 2) {
      return invalid_argument("The JPEG data is malformed at byte " + std::to_string(pos) +
                              ": a segment length below 2.");
    }
    bool frame =
        marker >= 0xC0 && marker <= 0xCF && marker != 0xC4 && marker != 0xC8 && marker != 0xCC;
    if (frame) {
      if (pos + 9 > b.size() || len < 7) return cut_short("JPEG");
      return ImageInfo{ImageFormat::kJpeg, static_cast<int>(be16(b, pos + 7)),
                       static_cast<int>(be16(b, pos + 5))};
    }
    pos += 2 + len;
  }
}

Result<ImageInfo> png_header(std::string_view b) {
  if (b.size() < 24) return cut_short("PNG");
  if (b.substr(12, 4) != "IHDR") {
    return invalid_argument("The PNG data does not start with its IHDR chunk.");
  }
  uint32_t w = be32(b, 16), h = be32(b, 20);
  // PNG allows sides up to 2^31-1; anything past an int is past every limit anyway.
  auto side = [](uint32_t v) { return static_cast<int>(std::min<uint32_t>(v, 0x7FFFFFFF)); };
  return ImageInfo{ImageFormat::kPng, side(w), side(h)};
}

// GIF: the logical screen's size, and that of the first image (GD decodes the first frame,
// whose size the file may give apart from the screen's).
Result<ImageInfo> gif_header(std::string_view b) {
  if (b.size() < 13) return cut_short("GIF");
  ImageInfo info{ImageFormat::kGif, static_cast<int>(le16(b, 6)), static_cast<int>(le16(b, 8))};
  uint8_t flags = byte_at(b, 10);
  size_t pos = 13;
  if (flags & 0x80) pos += 3 * (size_t{1} << ((flags & 7) + 1));
  while (true) {
    if (pos >= b.size()) return cut_short("GIF");
    uint8_t kind = byte_at(b, pos);
    if (kind == 0x21) {  // extension: label, then sub-blocks up to an empty one
      pos += 2;
      while (pos < b.size() && byte_at(b, pos) != 0) pos += 1 + byte_at(b, pos);
      ++pos;
      continue;
    }
    if (kind == 0x2C) {
      if (pos + 9 > b.size()) return cut_short("GIF");
      info.width = std::max(info.width, static_cast<int>(le16(b, pos + 5)));
      info.height = std::max(info.height, static_cast<int>(le16(b, pos + 7)));
      return info;
    }
    return invalid_argument("The GIF data holds no image (an unknown block " +
                            std::to_string(kind) + " at byte " + std::to_string(pos) + ").");
  }
}

bool has_end_marker(std::string_view b, ImageFormat f) {
  switch (f) {
    case ImageFormat::kJpeg:
      return b.find("\xFF\xD9", 2) != std::string_view::npos;
    case ImageFormat::kPng:
      return b.find("IEND", 33) != std::string_view::npos;
    case ImageFormat::kGif:
      return !b.empty() && byte_at(b, b.size() - 1) == 0x3B;
  }
  return false;
}

std::string_view base_media_type(std::string_view content_type) {
  size_t semi = content_type.find(';');
  return trim(content_type.substr(0, semi == std::string_view::npos ? content_type.size() : semi));
}

struct GdImageFree {
  void operator()(gdImagePtr im) const { gdImageDestroy(im); }
};
using GdImage = std::unique_ptr<gdImage, GdImageFree>;

GdImage decode(std::string_view bytes, ImageFormat f) {
  int size = static_cast<int>(bytes.size());
  void* data = const_cast<char*>(bytes.data());  // GD reads through a non-const pointer
  switch (f) {
    case ImageFormat::kJpeg:
      return GdImage(gdImageCreateFromJpegPtr(size, data));
    case ImageFormat::kPng:
      return GdImage(gdImageCreateFromPngPtr(size, data));
    case ImageFormat::kGif:
      return GdImage(gdImageCreateFromGifPtr(size, data));
  }
  return nullptr;
}

// The largest size with the aspect ratio of w x h whose larger side is at most `box`, never
// larger than w x h and never below 1.
std::pair<int, int> fit(int w, int h, int box) {
  if (w <= box && h <= box) return {w, h};
  if (w >= h) return {box, std::max(1, static_cast<int>(int64_t{h} * box / w))};
  return {std::max(1, static_cast<int>(int64_t{w} * box / h)), box};
}

Result<std::string> encode_jpeg(gdImagePtr im) {
  int size = 0;
  void* data = gdImageJpegPtr(im, &size, 90);
  if (data == nullptr || size <= 0) {
    if (data) gdFree(data);
    return internal_error("GD could not encode a photo as JPEG.");
  }
  std::string out(static_cast<const char*>(data), static_cast<size_t>(size));
  gdFree(data);
  return out;
}

}  // namespace

std::string_view image_media_type(ImageFormat f) {
  switch (f) {
    case ImageFormat::kJpeg:
      return "image/jpeg";
    case ImageFormat::kPng:
      return "image/png";
    case ImageFormat::kGif:
      return "image/gif";
  }
  return "application/octet-stream";
}

Result<ImageInfo> read_image_header(std::string_view b) {
  if (b.size() >= 3 && b.substr(0, 3) == "\xFF\xD8\xFF") return jpeg_header(b);
  if (b.size() >= 8 && b.substr(0, 8) == "\x89PNG\r\n\x1A\n") return png_header(b);
  if (b.size() >= 6 && (b.substr(0, 6) == "GIF87a" || b.substr(0, 6) == "GIF89a")) {
    return gif_header(b);
  }
  if (b.empty()) return invalid_argument("The photo is empty: the request has no body.");
  return invalid_argument("The photo is not a JPEG, PNG or GIF image (read from its content).");
}

Result<ImageInfo> check_photo(std::string_view bytes, std::string_view declared) {
  if (bytes.size() > kMaxPhotoBytes) {
    return invalid_argument("The photo is " + std::to_string(bytes.size()) +
                            " bytes; the maximum size of a photo is 4 MB (" +
                            std::to_string(kMaxPhotoBytes) + " bytes).");
  }
  UPSYNC_ASSIGN_OR_RETURN(ImageInfo info, read_image_header(bytes));
  std::string_view media = image_media_type(info.format);
  std::string type = ascii_lower(base_media_type(declared));
  if (type == "image/jpg" || type == "image/pjpeg") type = "image/jpeg";
  if (!type.empty() && type != "application/octet-stream" && type != media) {
    return invalid_argument("The request's Content-Type is '" + std::string(declared) +
                            "' but the photo's content is " + std::string(media) + ".");
  }
  if (info.width < 1 || info.height < 1) {
    return invalid_argument("The " + std::string(media) + " photo declares a size of " +
                            std::to_string(info.width) + "x" + std::to_string(info.height) +
                            " pixels.");
  }
  if (info.width > kMaxPhotoSide || info.height > kMaxPhotoSide ||
      int64_t{info.width} * info.height > kMaxPhotoPixels) {
    return invalid_argument("The photo is " + std::to_string(info.width) + "x" +
                            std::to_string(info.height) + " pixels; a photo may have at most " +
                            std::to_string(kMaxPhotoSide) + " pixels a side and " +
                            std::to_string(kMaxPhotoPixels) + " pixels in all.");
  }
  if (!has_end_marker(bytes, info.format)) {
    return invalid_argument("The " + std::string(media) +
                            " photo is truncated: its data ends before the image's end marker.");
  }
  return info;
}

const std::vector<PhotoSizeSpec>& photo_sizes() {
  static const std::vector<PhotoSizeSpec> sizes = {
      {PhotoSize::kSmall, "SThumb", 32},
      {PhotoSize::kMedium, "MThumb", 96},
      {PhotoSize::kLarge, "LThumb", 144},
      {PhotoSize::kFull, "Photo", 648},
  };
  return sizes;
}

Result<std::vector<ScaledPhoto>> scale_photo(std::string_view bytes, const ImageInfo& info) {
  GdImage src = decode(bytes, info.format);
  if (!src) {
    return invalid_argument("The " + std::string(image_media_type(info.format)) +
                            " photo could not be decoded: its image data is corrupt.");
  }
  const int sw = gdImageSX(src.get()), sh = gdImageSY(src.get());
  std::vector<ScaledPhoto> out;
  for (const PhotoSizeSpec& spec : photo_sizes()) {
    auto [w, h] = fit(sw, sh, spec.box);
    GdImage dst(gdImageCreateTrueColor(w, h));
    if (!dst)
      return internal_error("GD could not allocate a " + std::to_string(w) + "x" +
                            std::to_string(h) + " image.");
    // JPEG has no transparency: transparent parts of a PNG or GIF show on white.
    gdImageFilledRectangle(dst.get(), 0, 0, w - 1, h - 1,
                           gdTrueColorAlpha(255, 255, 255, gdAlphaOpaque));
    gdImageAlphaBlending(dst.get(), 1);
    gdImageCopyResampled(dst.get(), src.get(), 0, 0, 0, 0, w, h, sw, sh);
    UPSYNC_ASSIGN_OR_RETURN(std::string jpeg, encode_jpeg(dst.get()));
    out.push_back({spec, w, h, std::move(jpeg)});
  }
  return out;
}

}  // namespace upsync
