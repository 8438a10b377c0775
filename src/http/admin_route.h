// One route of the admin API (admin_routes.h): the tables of routes that the admin files
// (admin_routes.cpp, admin_audiences.cpp) define, from which add_admin_routes() registers
// the routes and admin_openapi() writes the OpenAPI document.
#pragma once

#include <span>

#include "http/router.h"

namespace upsync {

// Who may call an admin route.
enum class AdminWho { kAnyone, kSignedIn, kTenantManager, kGlobalAdmin };

struct AdminRoute {
  const char* method;
  const char* path;  // OpenAPI template: /admin/v1/properties/{name}
  const char* summary;
  AdminWho who;
  int success;  // the HTTP status of a success
  Status (*handler)(Call&);
};

// admin_audiences.cpp: a server tenant's audiences and hybrid settings.
std::span<const AdminRoute> admin_audience_routes();

}  // namespace upsync
