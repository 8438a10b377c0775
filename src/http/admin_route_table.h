// The admin API's route table (admin_routes.h), shared by the files that define its routes:
// each file lists its routes as AdminRoute rows, and admin_routes.cpp serves them all and
// writes the one OpenAPI document from the same rows, so the two cannot disagree.
#pragma once

#include <span>

#include "http/router.h"

namespace upsync {

// Who may call a route; every route checks this before its handler runs.
enum class Who {
  kAnyone,
  kSignedIn,
  kTenantManager,  // a global admin, a SharePoint admin or an app
  kGlobalAdmin,    // a global admin only: apps (an app may not mint apps)
  kPeopleAdmin,    // a global admin only: people's roles and passwords
};

struct AdminRoute {
  const char* method;
  const char* path;  // OpenAPI template: /admin/v1/properties/{name}
  const char* summary;
  Who who;
  int success;  // the HTTP status of a success
  Status (*handler)(Call&);
};

// PermissionDenied naming the caller and what the route needs, unless `call`'s caller is `who`.
Status require_caller(const Call& call, Who who);

// The rows of the files beside admin_routes.cpp.
std::span<const AdminRoute> admin_profile_routes();   // admin_profiles.cpp
std::span<const AdminRoute> admin_people_routes();    // admin_people.cpp
std::span<const AdminRoute> admin_audience_routes();  // admin_audiences.cpp: audiences, hybrid
std::span<const AdminRoute> admin_privacy_routes();   // admin_privacy.cpp: a person's choices

// An InvalidArgument answer of the admin API that names the field it is about in "target"
// (as Graph's errors do), so that a page shows it beside that field. Returns OK: the answer
// is written. The first answers `status` with its own HTTP status and code (as the error the
// route would have returned, plus target); an empty target returns `status` itself.
Status write_field_error(Call& call, std::string_view target, const Status& status);
Status write_field_error(Call& call, std::string_view target, std::string_view message);

}  // namespace upsync
