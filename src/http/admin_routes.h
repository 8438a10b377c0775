// The admin API (/admin/v1/...): what SharePoint has no API for. Tenant-scoped like every
// other surface (/tenants/<name>/admin/v1/..., or by host name, or by the token's tenant).
// One table (admin_routes.cpp) defines the routes and the OpenAPI 3 document served at
// /admin/v1/openapi.json, so the two cannot disagree:
//   GET    /admin/v1/me                     the caller, as the server sees them
//   GET    /admin/v1/tenant                 the tenant and its counts
//   GET    /admin/v1/properties             the profile schema
//   POST   /admin/v1/properties             define a custom property
//   DELETE /admin/v1/properties/{name}      remove a custom property (none may hold values)
//   GET    /admin/v1/apps                   registered apps          (global admin)
//   POST   /admin/v1/apps                   register an app; the secret is shown once
//   DELETE /admin/v1/apps/{clientId}        remove an app; its tokens stop working
//   GET    /admin/v1/sync/runs              the sync run history, newest first
//   POST   /admin/v1/sync/runs              run the sync now (cloud directory → profiles)
//   GET    /admin/v1/sync/runs/{id}         one run
//   GET    /admin/v1/sync/schedule          how often `serve` runs the sync
//   PUT    /admin/v1/sync/schedule          {"intervalSeconds": N | null}
//   GET    /admin/v1/import/jobs            bulk import jobs with their progress
//   GET    /admin/v1/profiles               profiles, a page at a time, by a property's value,
//                                           or by the start of a name (?search=)
//   POST   /admin/v1/profiles               create a profile (server tenants)
//   GET    /admin/v1/profiles/{id}          one profile
//   PATCH  /admin/v1/profiles/{id}          change the properties directory sync does not write
//   DELETE /admin/v1/profiles/{id}          remove a profile (server tenants)
//   POST   /admin/v1/properties/{name}/clear  remove every value of a custom property
//   GET    /admin/v1/people                 people who sign in with a password (global admin)
//   PUT    /admin/v1/people/{upn}           set a person's role and/or password
//   DELETE /admin/v1/people/{upn}           remove a person's password
// A refused field is named in the error's "target" (admin_route_table.h), for the admin pages
// (admin_pages.h) to show the message beside it. The routes live in admin_routes.cpp,
// admin_profiles.cpp and admin_people.cpp, each a table of rows (admin_route_table.h).
//   GET    /admin/v1/import/jobs/{id}[/log] one job, its log lines       (admin_jobs.h)
//   GET|PUT /admin/v1/sync/connector, POST .../connector/test, GET /admin/v1/sync/progress
//                                            the connector and the live run (admin_sync.h)
//   POST /admin/v1/sync/runs also takes allowDeletions: true, to let one run pass the
//   deletion threshold.
//   GET    /admin/v1/audiences              a server tenant's audiences (admin_audiences.cpp)
//   POST   /admin/v1/audiences              define one by its rules; compiled at once
//   GET    /admin/v1/audiences/{name}       one audience
//   GET    /admin/v1/audiences/{name}/members  its members (?top=N&after=ID)
//   POST   /admin/v1/audiences/{name}/compile  compile it from every profile now
//   DELETE /admin/v1/audiences/{name}       remove it
//   GET    /admin/v1/hybrid                 the hybrid settings (online URL, audience)
//   PUT    /admin/v1/hybrid                 {"onlineUrl": URL, "audience": name | null}
//   DELETE /admin/v1/hybrid                 no hybrid users
// Admins (global and SharePoint) and apps manage the tenant; only a global admin or an app
// manages apps; users get 403.
#pragma once

#include <nlohmann/json.hpp>

#include "http/router.h"

namespace upsync {

void add_admin_routes(Router& router);

// The OpenAPI 3 document of the admin routes, with `server_url` as its server.
nlohmann::json admin_openapi(const std::string& server_url);

}  // namespace upsync
