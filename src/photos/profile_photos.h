// People's photos, kept where SharePoint keeps them: in the tenant's document libraries, in
// the folder "Profile Pictures" of the library "User Photos" of the site collection /sites/my
// (SharePoint's My Site host), one JPEG per size named <person>_SThumb.jpg, _MThumb.jpg,
// _LThumb.jpg (SharePoint's names and boxes, photo_image.h) and <person>_Photo.jpg (the photo
// Graph answers). Keeping them as library files means they move with the tenant's files
// (backups, any storage backend) and need no table of their own; the PictureURL property links
// the medium one, as SharePoint's does.
//
//   DocumentLibraries libs(data_dir);
//   ProfilePhotos photos(libs);
//   UPSYNC_ASSIGN_OR_RETURN(auto sizes, photos.put(tenant, "adele@contoso.com", bytes, type));
//   UPSYNC_ASSIGN_OR_RETURN(auto photo, photos.get(tenant, "adele@contoso.com", PhotoSize::kFull));
//
// A person is named by user principal name (lower-cased); <person> escapes every byte but
// a-z, 0-9 and '-' (as _XX), so that two names never share a file. Who may change a photo is
// the caller's to decide (the routes: the person and admins); the folder's site collection
// keeps its default permissions, so through the file APIs only admins and apps may write it.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"
#include "core/tenant.h"
#include "photos/photo_image.h"
#include "sites/sites.h"

namespace upsync {

inline constexpr std::string_view kPhotoFolder = "/sites/my/User Photos/Profile Pictures";

// "adele_40contoso_2Ecom" for adele@contoso.com.
std::string photo_file_stem(std::string_view upn);
// The file of one size of a person's photo.
FileUrl photo_file_url(std::string_view upn, const PhotoSizeSpec& spec);

struct StoredPhoto {
  std::string jpeg;
  int width = 0;
  int height = 0;
  std::string etag;  // changes whenever the photo does
};

class ProfilePhotos {
 public:
  explicit ProfilePhotos(DocumentLibraries& libs) : libs_(libs) {}

  // Checks `bytes` (check_photo, with the request's Content-Type `declared`), scales them and
  // stores every size, replacing the person's photo. On a refusal nothing is written.
  Result<std::vector<ScaledPhoto>> put(const Tenant& t, std::string_view upn,
                                       std::string_view bytes, std::string_view declared);
  // The stored size, or nullopt when the person has no photo.
  Result<std::optional<StoredPhoto>> get(const Tenant& t, std::string_view upn, PhotoSize size);
  // Removes every size; false when there was no photo.
  Result<bool> remove(const Tenant& t, std::string_view upn);

 private:
  DocumentLibraries& libs_;
};

}  // namespace upsync
