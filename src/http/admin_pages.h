// The admin pages (src/pages/upsync/admin/, served at <tenant base>/_layouts/15/upsync/admin/):
// the same files and headers as every page (page_assets.h), behind a server-side gate. A
// browser without a session is sent to the sign-in page and back; a signed-in person who is
// neither a global admin nor a SharePoint admin gets a 403 page that says so. The gate only
// spares people a page they cannot use: every API call behind the pages checks the caller's
// role itself (admin_routes.h), whatever page it came from.
#pragma once

#include "http/router.h"

namespace upsync {

void add_admin_page_routes(Router& router);

}  // namespace upsync
