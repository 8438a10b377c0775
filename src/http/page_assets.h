// upsync's own web pages: how they are built, served and talk to the server. Read this before
// adding a page.
//
// Where pages live. Every file under src/pages/ is embedded in the binary at build time
// (src/http/embed_pages.cmake turns them into byte arrays of a generated .cpp, with a content
// type by extension and a strong ETag, the first 128 bits of the file's SHA-256); nothing is
// fetched or bundled at build time and `serve` needs no files beside it.
//   src/pages/upsync/      served as they are at <tenant base>/_layouts/15/upsync/<file>
//                          (index.html for the folder itself): HTML, one stylesheet, ES
//                          modules, SVG.
//   src/pages/templates/   HTML the server fills in ({{name}} placeholders, HTML-escaped by
//                          render_template) and never serves as files: the sign-in form,
//                          form_post answers.
// Why /_layouts/15/: SharePoint serves its application pages (Authenticate.aspx,
// SignOut.aspx, userdisp.aspx, ...) under /_layouts/15/ of every site, a path no site, library
// or file can take; upsync's pages sit in a folder of their own there, beside SharePoint's own
// names where a page has one (sign-in is /_layouts/15/Authenticate.aspx?Source=...).
//
// How a page is served (serve_page_asset): GET and HEAD only; Cache-Control "no-cache" (the
// browser keeps the file and revalidates it: If-None-Match with the ETag answers 304, so a new
// build shows at once and an unchanged file costs no bytes); and every page answer carries
// set_page_security_headers():
//   Content-Security-Policy: default-src 'none'; script-src 'self'; style-src 'self';
//     img-src 'self' data:; connect-src 'self'; form-action 'self'; frame-ancestors 'none';
//     base-uri 'none'   -- no inline script or style, no framing, no other origin
//   X-Content-Type-Options: nosniff, X-Frame-Options: DENY, Referrer-Policy: same-origin,
//   Cross-Origin-Opener-Policy: same-origin.
// Files are sent uncompressed: the pages are a few KB each, and TLS compression is off.
//
// How a page calls the HTTP API. The HTTP API is the pages' only backend: a page is static and
// fetches what it shows from the same routes clients use (SharePoint REST, Graph, the admin
// API), same-origin, with the session cookie that the sign-in set (browser_session.h). Every
// write (any method but GET and HEAD) must carry the session's CSRF token in the
// X-RequestDigest header (SharePoint's pages send their form digest in the same header); a
// write with the cookie and without it is refused with 403. The shared module
// src/pages/upsync/upsync.js does all of this:
//   import { api, session, showError, bindForm } from "./upsync.js";
//   const me = await session();             // {upn, role, tenant, csrfToken, ...}; signs in if
//   none const props = await api("GET", "/_api/SP.UserProfiles.PeopleManager/GetMyProperties");
//   await api("POST", "/admin/v1/...", body);   // adds X-RequestDigest, throws ApiError
// ApiError carries the status and the message of the surface's error shape (odata.error,
// Graph's error, the admin API's), for showError(element, error) to put beside the field.
// One plain stylesheet, src/pages/upsync/upsync.css, for every page; no framework.
#pragma once

#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "http/http_message.h"

namespace upsync {

struct PageAsset {
  std::string_view path;  // relative to src/pages/, e.g. "upsync/index.html"
  std::string_view content_type;
  std::string_view etag;  // quoted, strong
  std::string_view bytes;
};

// Every embedded file (generated: page_assets_data.cpp).
std::span<const PageAsset> page_assets();
// The file at `path` (relative to src/pages/), or nullptr.
const PageAsset* find_page_asset(std::string_view path);

// The headers every HTML answer of upsync's own carries (see above). `form_action` adds
// origins a form on the page may post or be redirected to (the OAuth client's, for the
// sign-in form and form_post answers).
void set_page_security_headers(HttpResponse& res, std::string_view form_action = "");

// Answers `asset` (200, or 304 when the request's If-None-Match names its ETag).
void serve_page_asset(const HttpRequest& req, HttpResponse& res, const PageAsset& asset);

// `text` with & < > " ' escaped for HTML text and attribute values.
std::string html_escape(std::string_view text);
// The template src/pages/templates/<name> with each {{key}} replaced by its value,
// HTML-escaped; a key whose name ends in _html is inserted as it is (HTML the caller built
// from escaped parts). A placeholder without a value is left empty.
std::string render_template(std::string_view name,
                            const std::vector<std::pair<std::string, std::string>>& values);

}  // namespace upsync
