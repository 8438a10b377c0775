#include "http/page_assets.h"

#include "core/text.h"

namespace upsync {

const PageAsset* find_page_asset(std::string_view path) {
  for (const auto& a : page_assets()) {
    if (a.path == path) return &a;
  }
  return nullptr;
}

void set_page_security_headers(HttpResponse& res, std::string_view form_action) {
  std::string forms = "'self'";
  if (!form_action.empty()) forms += " " + std::string(form_action);
  res.set_header("Content-Security-Policy",
                 "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
                 "connect-src 'self'; form-action " +
                     forms + "; frame-ancestors 'none'; base-uri 'none'");
  res.set_header("X-Content-Type-Options", "nosniff");
  res.set_header("X-Frame-Options", "DENY");
  // same-origin, not no-referrer: with no-referrer a browser sends "Origin: null" on the
  // pages' own form posts, and the sign-in form checks that Origin (sign_in_form.h).
  res.set_header("Referrer-Policy", "same-origin");
  res.set_header("Cross-Origin-Opener-Policy", "same-origin");
}

void serve_page_asset(const HttpRequest& req, HttpResponse& res, const PageAsset& asset) {
  set_page_security_headers(res);
  res.set_header("ETag", std::string(asset.etag));
  res.set_header("Cache-Control", "no-cache");
  std::string inm = req.get_header_value("If-None-Match");
  // If-None-Match may list several tags; a strong match of ours is enough.
  if (!inm.empty() && (inm.find(asset.etag) != std::string::npos || trim(inm) == "*")) {
    res.status = 304;
    return;
  }
  res.status = 200;
  res.set_content(std::string(asset.bytes), asset.content_type);
}

std::string html_escape(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      case '\'':
        out += "&#39;";
        break;
      default:
        out.push_back(c);
    }
  }
  return out;
}

std::string render_template(std::string_view name,
                            const std::vector<std::pair<std::string, std::string>>& values) {
  const PageAsset* asset = find_page_asset("templates/" + std::string(name));
  if (!asset) return "";  // a template name is the program's own: tests cover each one
  std::string_view t = asset->bytes;
  std::string out;
  out.reserve(t.size() + 256);
  size_t at = 0;
  while (true) {
    size_t open = t.find("{{", at);
    if (open == std::string_view::npos) break;
    size_t close = t.find("}}", open + 2);
    if (close == std::string_view::npos) break;
    out.append(t.substr(at, open - at));
    std::string_view key = t.substr(open + 2, close - open - 2);
    for (const auto& [k, v] : values) {
      if (k == key) {
        out += key.ends_with("_html") ? v : html_escape(v);
        break;
      }
    }
    at = close + 2;
  }
  out.append(t.substr(at));
  return out;
}

}  // namespace upsync
