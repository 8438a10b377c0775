#include "auth/audience.h"

#include "core/text.h"

namespace upsync {

namespace {

std::string normalized(std::string_view s) {
  std::string out = ascii_lower(trim(s));
  if (out.size() > 1 && out.back() == '/') out.pop_back();
  return out;
}

bool is_openid_scope(std::string_view s) {
  return s == "openid" || s == "profile" || s == "offline_access" || s == "email";
}

}  // namespace

std::string resource_of_scopes(std::string_view scopes, std::string_view fallback) {
  size_t start = 0;
  while (start < scopes.size()) {
    size_t end = scopes.find(' ', start);
    if (end == std::string_view::npos) end = scopes.size();
    std::string_view s = scopes.substr(start, end - start);
    start = end + 1;
    if (s.empty() || is_openid_scope(s)) continue;
    // "<resource>/<permission>": the resource is everything before the last '/' (after a
    // scheme's "//"); a GUID resource has no scheme ("00000003-...-000000000000/.default").
    size_t scheme = s.find("://");
    size_t slash = s.rfind('/');
    if (slash != std::string_view::npos &&
        (scheme == std::string_view::npos || slash > scheme + 2)) {
      return std::string(s.substr(0, slash));
    }
    if (scheme != std::string_view::npos) return std::string(s);  // "https://host" alone
    return std::string(kGraphResource);  // a bare permission: Graph's, as Azure AD reads it
  }
  return std::string(fallback);
}

bool is_tenant_audience(std::string_view aud, std::string_view tenant,
                        std::span<const std::string> own_origins) {
  const std::string a = normalized(aud);
  if (a.empty()) return false;
  const std::string t = ascii_lower(tenant);
  const std::string resources[] = {
      "https://" + t + ".sharepoint.com",
      "https://" + t + "-admin.sharepoint.com",
      "https://" + t + "-my.sharepoint.com",
      "00000003-0000-0ff1-ce00-000000000000",  // SharePoint Online's application id
      std::string(kGraphResource),
      "00000003-0000-0000-c000-000000000000",  // Microsoft Graph's application id
  };
  for (const auto& r : resources) {
    if (a == r) return true;
  }
  for (const auto& origin : own_origins) {
    if (a == normalized(origin)) return true;
  }
  return false;
}

}  // namespace upsync
