#include "http/page_routes.h"

#include "http/page_assets.h"

namespace upsync {

namespace {

Status serve_file(Call& call, const std::string& name) {
  // A page's address takes no query: nothing in it would be read.
  if (!call.req.params.empty()) {
    return invalid_argument("the query parameter '" + call.req.params.begin()->first +
                            "' is not supported on " + call.req.path +
                            ": page files take no query");
  }
  const PageAsset* asset = find_page_asset("upsync/" + name);
  if (!asset) return not_found("No page file '" + name + "' under /_layouts/15/upsync/.");
  serve_page_asset(call.req, call.res, *asset);
  return Status::ok();
}

Status home(Call& call) {
  if (!call.path.ends_with("/")) {
    // Relative links in the page resolve against the folder, with its slash.
    call.res.status = 301;
    call.res.set_header("Location", call.req.path + "/");
    call.res.set_content("", "text/plain");
    return Status::ok();
  }
  return serve_file(call, "index.html");
}

Status file(Call& call) { return serve_file(call, call.match[1].str()); }

}  // namespace

void add_page_routes(Router& router) {
  router.add("GET", R"(^/_layouts/15/upsync/?$)", Surface::kPlain, Access::kPublic, home);
  // admin/: the administration pages, static like the rest (the admin API they call decides
  // who may do what).
  router.add("GET", R"(^/_layouts/15/upsync/((?:admin/)?[A-Za-z0-9_-]+\.[a-z]+)$)",
             Surface::kPlain, Access::kPublic, file);
}

}  // namespace upsync
