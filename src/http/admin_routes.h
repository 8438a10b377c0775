// The admin API (/admin/v1/...): what SharePoint has no API for. Tenant-scoped like every
// other surface (/tenants/<name>/admin/v1/..., or by host or token).
//   GET /admin/v1/me                      the caller as the server sees them
//   GET /admin/v1/openapi.json            the OpenAPI 3 document of these routes
#pragma once

#include "http/router.h"

namespace upsync {

void add_admin_routes(Router& router);

}  // namespace upsync
