// People's photos through the calls clients make (photos/profile_photos.h keeps them):
//
//   PUT    /v1.0/me/photo/$value, /v1.0/users/{id | upn}/photo/$value   the image's bytes
//          (JPEG, PNG or GIF, at most 4 MB); 200 with no body. The person themself, admins
//          and apps; anyone else 403 Authorization_RequestDenied.
//   GET    .../photo/$value             the photo (image/jpeg, at most 648 pixels a side)
//   GET    .../photo                    its profilePhoto metadata (id "WxH", width, height,
//                                       @odata.mediaContentType, @odata.mediaEtag)
//   GET    .../photos                   the sizes kept: 32X32, 96X96, 144X144, 648X648
//   GET    .../photos/{size}[/$value]   one of them
//   DELETE .../photo/$value             204; the person has no photo afterwards
//   Without a photo, every read is Graph's 404 ImageNotFound.
//   POST   {web}/_api/SP.UserProfiles.PeopleManager/SetMyProfilePicture   the caller's own
//          photo, the body the image's bytes (PnPjs sp.profiles.setMyProfilePic)
//   GET    /sites/my/User Photos/Profile Pictures/<person>_<size>.jpg      a stored size, the
//          URL PictureURL holds; any signed-in caller of the tenant, as SharePoint's library.
// A photo stored sets the person's PictureURL (their profile, found by user principal name)
// to the medium size; a photo removed clears it. A bad image is refused with a message naming
// the problem (photo_image.h) and changes nothing.
#pragma once

#include "http/router.h"

namespace upsync {

// Registered before the other Graph routes (users/{id} would take /users/{id}/photo).
void add_graph_photo_routes(Router& router);
void add_sharepoint_photo_routes(Router& router);
// PeopleManager's SetMyProfilePicture (its method segment routed by sharepoint_routes.cpp).
Status sp_set_my_profile_picture(Call& call);

}  // namespace upsync
