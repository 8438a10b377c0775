// ProfilePhotos: every size stored in the tenant's "User Photos" library, read back, replaced
// whole, removed; a refused photo leaves the previous one as it was.
#include "photos/profile_photos.h"

#include <gd.h>
#include <gtest/gtest.h>

#include "test_support.h"

namespace upsync {
namespace {

using testing::TempDir;

std::string make_png(int w, int h, int red) {
  gdImagePtr im = gdImageCreateTrueColor(w, h);
  gdImageFilledRectangle(im, 0, 0, w - 1, h - 1, gdTrueColor(red, 40, 40));
  int size = 0;
  void* data = gdImagePngPtr(im, &size);
  gdImageDestroy(im);
  std::string out(static_cast<const char*>(data), static_cast<size_t>(size));
  gdFree(data);
  return out;
}

Tenant tenant(TenantId id, std::string name) {
  Tenant t;
  t.id = id;
  t.name = std::move(name);
  return t;
}
Tenant contoso() { return tenant(1, "contoso"); }

TEST(ProfilePhotos, StoresEverySizeInTheUserPhotosLibrary) {
  TempDir dir;
  DocumentLibraries libs(dir.str());
  ProfilePhotos photos(libs);
  auto put = photos.put(contoso(), "adele@contoso.com", make_png(800, 600, 200), "image/png");
  ASSERT_TRUE(put.has_value()) << put.status().message();

  for (const char* name : {"SThumb", "MThumb", "LThumb", "Photo"}) {
    auto url = parse_decoded_file_url(std::string(kPhotoFolder) + "/adele_40contoso_2Ecom_" + name +
                                      ".jpg");
    ASSERT_TRUE(url.has_value());
    EXPECT_TRUE(libs.stat(contoso(), *url).has_value()) << name;
  }
  auto full = photos.get(contoso(), "Adele@Contoso.com", PhotoSize::kFull);
  ASSERT_TRUE(full.has_value()) << full.status().message();
  ASSERT_TRUE(full->has_value());
  EXPECT_EQ((*full)->width, 648);
  EXPECT_EQ((*full)->height, 486);
  auto medium = photos.get(contoso(), "adele@contoso.com", PhotoSize::kMedium);
  ASSERT_TRUE(medium.has_value() && medium->has_value());
  EXPECT_EQ((*medium)->width, 96);
  EXPECT_EQ((*medium)->height, 72);

  // Another person has none; another tenant neither.
  auto other = photos.get(contoso(), "bob@contoso.com", PhotoSize::kFull);
  ASSERT_TRUE(other.has_value());
  EXPECT_FALSE(other->has_value());
  auto elsewhere = photos.get(tenant(2, "fabrikam"), "adele@contoso.com", PhotoSize::kFull);
  ASSERT_TRUE(elsewhere.has_value());
  EXPECT_FALSE(elsewhere->has_value());
}

TEST(ProfilePhotos, ARefusedPhotoLeavesThePreviousOne) {
  TempDir dir;
  DocumentLibraries libs(dir.str());
  ProfilePhotos photos(libs);
  ASSERT_TRUE(photos.put(contoso(), "adele@contoso.com", make_png(100, 100, 10), "").has_value());
  auto before = photos.get(contoso(), "adele@contoso.com", PhotoSize::kFull);
  ASSERT_TRUE(before.has_value() && before->has_value());

  std::string png = make_png(100, 100, 250);
  auto refused = photos.put(contoso(), "adele@contoso.com", png.substr(0, png.size() / 2), "");
  ASSERT_FALSE(refused.has_value());
  EXPECT_NE(refused.status().message().find("truncated"), std::string::npos);
  auto after = photos.get(contoso(), "adele@contoso.com", PhotoSize::kFull);
  ASSERT_TRUE(after.has_value() && after->has_value());
  EXPECT_EQ((*after)->jpeg, (*before)->jpeg);
  EXPECT_EQ((*after)->etag, (*before)->etag);
}

TEST(ProfilePhotos, RemoveTakesEverySize) {
  TempDir dir;
  DocumentLibraries libs(dir.str());
  ProfilePhotos photos(libs);
  ASSERT_TRUE(photos.put(contoso(), "adele@contoso.com", make_png(50, 50, 10), "").has_value());
  auto removed = photos.remove(contoso(), "adele@contoso.com");
  ASSERT_TRUE(removed.has_value());
  EXPECT_TRUE(*removed);
  for (PhotoSize s : {PhotoSize::kSmall, PhotoSize::kMedium, PhotoSize::kLarge, PhotoSize::kFull}) {
    auto got = photos.get(contoso(), "adele@contoso.com", s);
    ASSERT_TRUE(got.has_value());
    EXPECT_FALSE(got->has_value());
  }
  auto again = photos.remove(contoso(), "adele@contoso.com");
  ASSERT_TRUE(again.has_value());
  EXPECT_FALSE(*again);
}

TEST(ProfilePhotos, TwoNamesNeverShareAFile) {
  // SharePoint's own naming (dots and '@' to '_') would give these the same file.
  EXPECT_NE(photo_file_stem("a.b@c.com"), photo_file_stem("a_b@c.com"));
  EXPECT_NE(photo_file_stem("a.b@c.com"), photo_file_stem("a@b.c.com"));
  EXPECT_EQ(photo_file_stem("Adele@Contoso.com"), "adele_40contoso_2Ecom");
  // Nothing a name holds can leave the folder.
  EXPECT_EQ(photo_file_stem("../x/y"), "_2E_2E_2Fx_2Fy");
}

}  // namespace
}  // namespace upsync
