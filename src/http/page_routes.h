// The files of upsync's own pages (page_assets.h), served at
//   GET [/tenants/<t>]/_layouts/15/upsync/          index.html, the signed-in home page
//   GET [/tenants/<t>]/_layouts/15/upsync/<file>    any file of src/pages/upsync/
// to anyone: a page holds no data, it fetches what it shows with the caller's session.
#pragma once

#include "http/router.h"

namespace upsync {

void add_page_routes(Router& router);

}  // namespace upsync
