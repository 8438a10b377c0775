#include "http/photo_routes.h"

#include <unistd.h>

#include <optional>
#include <regex>
#include <string>

#include "core/text.h"
#include "directory/directory_store.h"
#include "http/graph_common.h"
#include "http/odata.h"
#include "http/sharepoint_common.h"
#include "photos/profile_photos.h"

namespace upsync {
namespace {

using graph::ojson;

// Graph answers a person without a photo so (the message is Exchange's exception name).
Status image_not_found(Call& call) {
  return graph::graph_error(
      call, 404, "ImageNotFound",
      "Exception of type 'Microsoft.Fast.Profile.Core.Exception.ImageNotFoundException' was "
      "thrown.");
}

// Whom a Graph photo call is about: "me" (a person's token) or users/{id | upn}.
struct PhotoSubject {
  std::string upn;
  std::string context;  // "users('<id>')" for @odata.context
};

// nullopt when the answer (400 for an app's /me, 404 for nobody) is written already.
Result<std::optional<PhotoSubject>> photo_subject(Call& call) {
  UPSYNC_ASSIGN_OR_RETURN(Principal who, call.caller());
  const std::string key = call.match[2].matched ? call.match[2].str() : "";
  if (key.empty()) {
    if (who.role == Role::kApp || who.upn.empty()) {
      (void)graph::graph_error(call, 400, "BadRequest",
                               "/me request is only valid with delegated authentication flow.");
      return std::optional<PhotoSubject>{};
    }
  }
  UPSYNC_ASSIGN_OR_RETURN(auto dir, open_directory_store(call.store));
  UPSYNC_ASSIGN_OR_RETURN(auto user, graph::find_user(call, *dir, key.empty() ? who.upn : key));
  if (!user) {
    if (key.empty()) {
      // A person signed in with no cloud directory entry (a server tenant): their photo is
      // still theirs, by the name their token carries.
      return std::optional<PhotoSubject>{PhotoSubject{ascii_lower(who.upn), "me"}};
    }
    (void)graph::not_found_error(call, key);
    return std::optional<PhotoSubject>{};
  }
  return std::optional<PhotoSubject>{PhotoSubject{ascii_lower(user->first("userPrincipalName")),
                                                  "users('" + user->object_id + "')"}};
}

bool may_change_photo(const Principal& who, std::string_view upn) {
  return who.manages_tenant() || (!who.upn.empty() && ascii_lower(who.upn) == upn);
}

// PictureURL, absolute as SharePoint's: the medium size under the tenant's base URL.
std::string picture_url(const Call& call, std::string_view upn) {
  std::string path = photo_file_url(upn, photo_sizes()[1]).server_relative();
  std::string out = call.tenant_base;
  for (char c : path) {
    if (c == ' ') {
      out += "%20";
    } else {
      out += c;
    }
  }
  return out;
}

// Sets (or, with `url` empty, clears) the PictureURL of the person's profile, when they have
// one: a Graph user need not.
Status link_picture(Call& call, std::string_view upn, std::string url) {
  auto p = call.store.profile(call.tenant.id, {ProfileKeyKind::kPrincipalName, std::string(upn)});
  if (!p && p.status().code() == StatusCode::kNotFound) return Status::ok();
  if (!p) return p.status();
  PropertyChange change{"PictureURL", {}};
  if (!url.empty()) change.values.push_back(std::move(url));
  return call.store.update_profile(call.tenant.id, p->id, {&change, 1}).status();
}

// Stores the request's body as the photo of `upn` and links it from their profile.
Status store_photo(Call& call, std::string_view upn) {
  DocumentLibraries libs(call.server.data_dir);
  ProfilePhotos photos(libs);
  UPSYNC_RETURN_IF_ERROR(
      photos.put(call.tenant, upn, call.req.body, call.req.get_header_value("Content-Type"))
          .status());
  return link_picture(call, upn, picture_url(call, upn));
}

// ---- Graph ----

std::optional<PhotoSize> size_named(std::string_view id) {
  for (const PhotoSizeSpec& s : photo_sizes()) {
    std::string name = std::to_string(s.box) + "X" + std::to_string(s.box);
    if (ascii_lower(id) == ascii_lower(name)) return s.size;
  }
  return std::nullopt;
}

const PhotoSizeSpec& spec_of(PhotoSize size) {
  for (const PhotoSizeSpec& s : photo_sizes()) {
    if (s.size == size) return s;
  }
  return photo_sizes().back();
}

ojson photo_json(const StoredPhoto& p, std::string id) {
  ojson j = ojson::object();
  j["@odata.mediaContentType"] = "image/jpeg";
  j["@odata.mediaEtag"] = p.etag;
  j["id"] = std::move(id);
  j["height"] = p.height;
  j["width"] = p.width;
  return j;
}

// The size a route names: /photo is the full photo, /photos/{size} one of the boxes.
Result<std::optional<PhotoSize>> routed_size(Call& call) {
  if (!call.match[3].matched) return std::optional<PhotoSize>{PhotoSize::kFull};
  auto size = size_named(call.match[3].str());
  if (!size) {
    (void)graph::graph_error(call, 404, "ImageNotFound",
                             "The photo size '" + call.match[3].str() +
                                 "' is not one upsync keeps (32X32, 96X96, 144X144, 648X648).");
  }
  return size;
}

Status graph_photo_read(Call& call, bool value) {
  UPSYNC_ASSIGN_OR_RETURN(auto subject, photo_subject(call));
  if (!subject) return Status::ok();
  UPSYNC_ASSIGN_OR_RETURN(auto size, routed_size(call));
  if (!size) return Status::ok();
  DocumentLibraries libs(call.server.data_dir);
  ProfilePhotos photos(libs);
  UPSYNC_ASSIGN_OR_RETURN(auto photo, photos.get(call.tenant, subject->upn, *size));
  if (!photo) return image_not_found(call);
  if (value) {
    call.res.status = 200;
    call.res.set_header("ETag", photo->etag);
    call.res.set_content(std::move(photo->jpeg), "image/jpeg");
    return Status::ok();
  }
  const PhotoSizeSpec& spec = spec_of(*size);
  std::string id = call.match[3].matched
                       ? std::to_string(spec.box) + "X" + std::to_string(spec.box)
                       : std::to_string(photo->width) + "X" + std::to_string(photo->height);
  ojson j = ojson::object();
  j["@odata.context"] = call.tenant_base + "/v1.0/$metadata#" + subject->context +
                        (call.match[3].matched ? "/photos/$entity" : "/photo/$entity");
  j.update(photo_json(*photo, id));
  graph::write_graph_json(call, j);
  return Status::ok();
}

Status graph_photo_list(Call& call) {
  UPSYNC_ASSIGN_OR_RETURN(auto subject, photo_subject(call));
  if (!subject) return Status::ok();
  DocumentLibraries libs(call.server.data_dir);
  ProfilePhotos photos(libs);
  ojson value = ojson::array();
  for (const PhotoSizeSpec& spec : photo_sizes()) {
    UPSYNC_ASSIGN_OR_RETURN(auto photo, photos.get(call.tenant, subject->upn, spec.size));
    if (!photo) return image_not_found(call);
    value.push_back(photo_json(*photo, std::to_string(spec.box) + "X" + std::to_string(spec.box)));
  }
  ojson j = ojson::object();
  j["@odata.context"] = call.tenant_base + "/v1.0/$metadata#" + subject->context + "/photos";
  j["value"] = std::move(value);
  graph::write_graph_json(call, j);
  return Status::ok();
}

Status graph_photo_write(Call& call) {
  UPSYNC_ASSIGN_OR_RETURN(Principal who, call.caller());
  UPSYNC_ASSIGN_OR_RETURN(auto subject, photo_subject(call));
  if (!subject) return Status::ok();
  if (!may_change_photo(who, subject->upn)) {
    return graph::graph_error(call, 403, "Authorization_RequestDenied",
                              "Insufficient privileges to complete the operation. (" +
                                  who.describe() + " may change only their own photo.)");
  }
  if (call.req.method == "DELETE") {
    DocumentLibraries libs(call.server.data_dir);
    ProfilePhotos photos(libs);
    UPSYNC_ASSIGN_OR_RETURN(bool had, photos.remove(call.tenant, subject->upn));
    if (!had) return image_not_found(call);
    UPSYNC_RETURN_IF_ERROR(link_picture(call, subject->upn, ""));
    call.res.status = 204;
    return Status::ok();
  }
  UPSYNC_RETURN_IF_ERROR(store_photo(call, subject->upn));
  call.res.status = 200;
  return Status::ok();
}

// ---- SharePoint ----

// GET of a stored size by the URL PictureURL holds.
Status library_photo(Call& call) {
  static const std::regex kName(R"(^[a-z0-9A-F_-]+_(SThumb|MThumb|LThumb|Photo)\.jpg$)");
  const std::string name = call.match[1].str();
  if (!std::regex_match(name, kName)) {
    return not_found("'" + std::string(kPhotoFolder) + "/" + name +
                     "' is not a profile picture upsync keeps.");
  }
  UPSYNC_ASSIGN_OR_RETURN(FileUrl url, parse_decoded_file_url(call.path));
  DocumentLibraries libs(call.server.data_dir);
  UPSYNC_ASSIGN_OR_RETURN(OpenedFile f, libs.open_file(call.tenant, url));
  std::string body(f.info.size, '\0');
  size_t done = 0;
  while (done < body.size()) {
    ssize_t n = pread(f.fd.get(), body.data() + done, body.size() - done, static_cast<off_t>(done));
    if (n <= 0) return internal_error("Cannot read '" + url.server_relative() + "'.");
    done += static_cast<size_t>(n);
  }
  call.res.status = 200;
  call.res.set_header("Cache-Control", "private, max-age=60");
  call.res.set_content(std::move(body), "image/jpeg");
  return Status::ok();
}

}  // namespace

Status sp_set_my_profile_picture(Call& call) {
  UPSYNC_RETURN_IF_ERROR(only_query_options(call, {}));
  UPSYNC_ASSIGN_OR_RETURN(Principal who, call.caller());
  if (who.role == Role::kApp || who.upn.empty()) {
    return permission_denied("SetMyProfilePicture sets the caller's own picture; " +
                             who.describe() + " has no profile.");
  }
  auto me = sp_own_profile(call, who);
  if (!me && me.status().code() == StatusCode::kNotFound) return sp_user_not_found(who.upn);
  if (!me) return me.status();
  // PnPjs sends its default JSON Content-Type with the picture's bytes; only an image type is
  // a statement about them (check_photo holds it to the content).
  std::string declared = call.req.get_header_value("Content-Type");
  if (!ascii_lower(declared).starts_with("image/")) declared.clear();
  const std::string upn = ascii_lower(who.upn);
  DocumentLibraries libs(call.server.data_dir);
  ProfilePhotos photos(libs);
  UPSYNC_RETURN_IF_ERROR(photos.put(call.tenant, upn, call.req.body, declared).status());
  PropertyChange change{"PictureURL", {picture_url(call, upn)}};
  UPSYNC_RETURN_IF_ERROR(call.store.update_profile(call.tenant.id, me->id, {&change, 1}).status());
  write_odata_null(call.res);
  return Status::ok();
}

void add_graph_photo_routes(Router& router) {
  // Captures: 1 the subject ("me" or "users/<key>"), 2 the key, 3 the size of /photos/{size}.
  const std::string who = R"(^/v1\.0/(me|users/([^/]+)))";
  router.add("GET", who + R"(/photo/\$value$)", Surface::kGraph, Access::kSignedIn,
             [](Call& c) { return graph_photo_read(c, true); });
  router.add("GET", who + R"(/photos/([^/]+)/\$value$)", Surface::kGraph, Access::kSignedIn,
             [](Call& c) { return graph_photo_read(c, true); });
  router.add("GET", who + R"(/photo$)", Surface::kGraph, Access::kSignedIn,
             [](Call& c) { return graph_photo_read(c, false); });
  router.add("GET", who + R"(/photos/([^/]+)$)", Surface::kGraph, Access::kSignedIn,
             [](Call& c) { return graph_photo_read(c, false); });
  router.add("GET", who + R"(/photos$)", Surface::kGraph, Access::kSignedIn, graph_photo_list);
  router.add("PUT", who + R"(/photo/\$value$)", Surface::kGraph, Access::kSignedIn,
             graph_photo_write);
  router.add("DELETE", who + R"(/photo/\$value$)", Surface::kGraph, Access::kSignedIn,
             graph_photo_write);
}

void add_sharepoint_photo_routes(Router& router) {
  router.add("GET", R"(^/sites/my/User Photos/Profile Pictures/([^/]+)$)", Surface::kSharePoint,
             Access::kSignedIn, library_photo);
}

}  // namespace upsync
