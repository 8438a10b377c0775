// check_photo and scale_photo on real images that GD makes here, and on hostile bytes: each
// refused with a message naming the problem, before any pixel is decoded where the header
// tells enough.
#include "photos/photo_image.h"

#include <gd.h>
#include <gtest/gtest.h>

#include <string>

namespace upsync {
namespace {

// A w x h image with a gradient, encoded by GD as `format`.
std::string make_image(ImageFormat format, int w, int h) {
  gdImagePtr im = format == ImageFormat::kGif ? gdImageCreate(w, h) : gdImageCreateTrueColor(w, h);
  if (format == ImageFormat::kGif) {
    for (int i = 0; i < 64; ++i) gdImageColorAllocate(im, i * 4, 255 - i * 4, 128);
  }
  for (int y = 0; y < h; ++y) {
    for (int x = 0; x < w; ++x) {
      int c =
          format == ImageFormat::kGif ? (x + y) % 64 : gdTrueColor(x * 255 / w, y * 255 / h, 100);
      gdImageSetPixel(im, x, y, c);
    }
  }
  int size = 0;
  void* data = nullptr;
  switch (format) {
    case ImageFormat::kJpeg:
      data = gdImageJpegPtr(im, &size, 85);
      break;
    case ImageFormat::kPng:
      data = gdImagePngPtr(im, &size);
      break;
    case ImageFormat::kGif:
      data = gdImageGifPtr(im, &size);
      break;
  }
  gdImageDestroy(im);
  std::string out(static_cast<const char*>(data), static_cast<size_t>(size));
  gdFree(data);
  return out;
}

void put_be32(std::string& s, size_t at, uint32_t v) {
  s[at] = static_cast<char>(v >> 24);
  s[at + 1] = static_cast<char>(v >> 16);
  s[at + 2] = static_cast<char>(v >> 8);
  s[at + 3] = static_cast<char>(v);
}

struct FormatCase {
  ImageFormat format;
  const char* type;
};

class PhotoFormats : public testing::TestWithParam<FormatCase> {};

TEST_P(PhotoFormats, AreReadFromTheirContentAndScaledToSharePointsSizes) {
  const std::string bytes = make_image(GetParam().format, 400, 200);
  auto info = check_photo(bytes, GetParam().type);
  ASSERT_TRUE(info.has_value()) << info.status().message();
  EXPECT_EQ(info->format, GetParam().format);
  EXPECT_EQ(info->width, 400);
  EXPECT_EQ(info->height, 200);
  // Declaring nothing, or only octet-stream, is no lie.
  EXPECT_TRUE(check_photo(bytes, "").has_value());
  EXPECT_TRUE(check_photo(bytes, "application/octet-stream").has_value());

  auto sizes = scale_photo(bytes, *info);
  ASSERT_TRUE(sizes.has_value()) << sizes.status().message();
  ASSERT_EQ(sizes->size(), 4u);
  const int want[4][2] = {{32, 16}, {96, 48}, {144, 72}, {400, 200}};
  for (size_t i = 0; i < 4; ++i) {
    const ScaledPhoto& s = (*sizes)[i];
    EXPECT_EQ(s.width, want[i][0]) << s.spec.suffix;
    EXPECT_EQ(s.height, want[i][1]) << s.spec.suffix;
    // What is stored is a JPEG of that size, as its own header says.
    auto back = check_photo(s.jpeg, "image/jpeg");
    ASSERT_TRUE(back.has_value()) << back.status().message();
    EXPECT_EQ(back->width, s.width);
    EXPECT_EQ(back->height, s.height);
  }
}

INSTANTIATE_TEST_SUITE_P(JpegPngGif, PhotoFormats,
                         testing::Values(FormatCase{ImageFormat::kJpeg, "image/jpeg"},
                                         FormatCase{ImageFormat::kPng, "image/png"},
                                         FormatCase{ImageFormat::kGif, "image/gif; charset=x"}));

TEST(PhotoImage, ASmallPhotoIsNeverEnlarged) {
  const std::string bytes = make_image(ImageFormat::kPng, 20, 30);
  auto info = check_photo(bytes, "image/png");
  ASSERT_TRUE(info.has_value());
  auto sizes = scale_photo(bytes, *info);
  ASSERT_TRUE(sizes.has_value());
  for (const ScaledPhoto& s : *sizes) {
    EXPECT_EQ(s.width, 20) << s.spec.suffix;
    EXPECT_EQ(s.height, 30) << s.spec.suffix;
  }
}

// Every hostile input: refused with a message naming the problem.
struct BadPhoto {
  const char* name;
  std::string bytes;
  const char* declared;
  const char* message_part;
};

std::vector<BadPhoto> bad_photos() {
  std::vector<BadPhoto> out;
  out.push_back({"NotAnImage", "hello, this is text and not a picture", "image/png",
                 "not a JPEG, PNG or GIF"});
  out.push_back({"Empty", "", "image/png", "empty"});
  out.push_back({"PngDeclaredAsJpeg", make_image(ImageFormat::kPng, 10, 10), "image/jpeg",
                 "content is image/png"});
  out.push_back({"JpegDeclaredAsText", make_image(ImageFormat::kJpeg, 10, 10), "text/plain",
                 "content is image/jpeg"});
  std::string big = make_image(ImageFormat::kPng, 10, 10);
  big.resize(kMaxPhotoBytes + 1, 'x');
  out.push_back({"OverFourMegabytes", big, "image/png", "maximum size of a photo is 4 MB"});
  // A tiny PNG whose header claims 60,000 x 60,000 pixels: refused from the header alone.
  std::string bomb = make_image(ImageFormat::kPng, 10, 10);
  put_be32(bomb, 16, 60000);
  put_be32(bomb, 20, 60000);
  out.push_back({"DecompressionBomb", bomb, "image/png", "60000x60000 pixels"});
  // Sides within the limit, too many pixels in all.
  std::string wide = make_image(ImageFormat::kPng, 10, 10);
  put_be32(wide, 16, 8000);
  put_be32(wide, 20, 8000);
  out.push_back({"TooManyPixels", wide, "image/png", "16777216 pixels in all"});
  std::string zero = make_image(ImageFormat::kPng, 10, 10);
  put_be32(zero, 16, 0);
  out.push_back({"ZeroWidth", zero, "image/png", "0x10 pixels"});
  std::string png = make_image(ImageFormat::kPng, 100, 100);
  out.push_back({"TruncatedPng", png.substr(0, png.size() / 2), "image/png", "truncated"});
  std::string jpeg = make_image(ImageFormat::kJpeg, 100, 100);
  out.push_back({"TruncatedJpeg", jpeg.substr(0, jpeg.size() / 2), "image/jpeg", "truncated"});
  out.push_back({"JpegHeaderOnly", jpeg.substr(0, 10), "", "cut short"});
  std::string gif = make_image(ImageFormat::kGif, 100, 100);
  out.push_back({"TruncatedGif", gif.substr(0, gif.size() - 5), "image/gif", "truncated"});
  return out;
}

class BadPhotos : public testing::TestWithParam<BadPhoto> {};

TEST_P(BadPhotos, AreRefusedWithTheirReason) {
  auto r = check_photo(GetParam().bytes, GetParam().declared);
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(r.status().message().find(GetParam().message_part), std::string::npos)
      << r.status().message();
}

INSTANTIATE_TEST_SUITE_P(Corpus, BadPhotos, testing::ValuesIn(bad_photos()),
                         [](const auto& info) { return std::string(info.param.name); });

TEST(PhotoImage, CorruptImageDataIsRefusedByTheDecoder) {
  // A header and end marker that pass, with the compressed data between them garbled.
  std::string png = make_image(ImageFormat::kPng, 50, 50);
  for (size_t i = 45; i < png.size() - 20; ++i) png[i] = static_cast<char>(png[i] ^ 0x5A);
  auto info = check_photo(png, "image/png");
  ASSERT_TRUE(info.has_value()) << info.status().message();
  auto sizes = scale_photo(png, *info);
  ASSERT_FALSE(sizes.has_value());
  EXPECT_NE(sizes.status().message().find("could not be decoded"), std::string::npos)
      << sizes.status().message();
}

}  // namespace
}  // namespace upsync
