#include "http/admin_pages.h"

#include "http/page_assets.h"
#include "http/sign_in_form.h"

namespace upsync {

namespace {

// Whether the gate refused the caller (and wrote the answer: sign in first, or 403).
bool refused_at_gate(Call& call) {
  if (!call.principal) {
    call.res.status = 302;
    call.res.set_header("Location", pages_base(call) + "/_layouts/15/Authenticate.aspx?Source=" +
                                        url_encode(call.req.path));
    call.res.set_header("Cache-Control", "no-store");
    call.res.set_content("", "text/plain");
    return true;
  }
  if (!call.principal->is_admin()) {
    set_page_security_headers(call.res);
    call.res.status = 403;
    call.res.set_header("Cache-Control", "no-store");
    call.res.set_content(render_template("admin_denied.html",
                                         {{"base", pages_base(call)},
                                          {"who", call.principal->upn},
                                          {"role", std::string(role_name(call.principal->role))}}),
                         "text/html; charset=utf-8");
    return true;
  }
  return false;
}

Status serve_admin_file(Call& call, const std::string& name) {
  if (!call.req.params.empty()) {
    return invalid_argument("the query parameter '" + call.req.params.begin()->first +
                            "' is not supported on " + call.req.path +
                            ": page files take no query");
  }
  if (refused_at_gate(call)) return Status::ok();
  const PageAsset* asset = find_page_asset("upsync/admin/" + name);
  if (!asset) {
    return not_found("No page file '" + name + "' under /_layouts/15/upsync/admin/.");
  }
  serve_page_asset(call.req, call.res, *asset);
  // An admin page's answer depends on who asks (the gate): no shared cache may keep it.
  call.res.set_header("Cache-Control", "no-cache, private");
  return Status::ok();
}

Status admin_home(Call& call) {
  if (!call.path.ends_with("/")) {
    call.res.status = 301;
    call.res.set_header("Location", call.req.path + "/");
    call.res.set_content("", "text/plain");
    return Status::ok();
  }
  return serve_admin_file(call, "index.html");
}

Status admin_file(Call& call) { return serve_admin_file(call, call.match[1].str()); }

}  // namespace

void add_admin_page_routes(Router& router) {
  router.add("GET", R"(^/_layouts/15/upsync/admin/?$)", Surface::kPlain, Access::kPublic,
             admin_home);
  router.add("GET", R"(^/_layouts/15/upsync/admin/([A-Za-z0-9_-]+\.[a-z]+)$)", Surface::kPlain,
             Access::kPublic, admin_file);
}

}  // namespace upsync
