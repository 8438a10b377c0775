#include "audiences/hybrid.h"

#include "audiences/audiences.h"
#include "core/text.h"

namespace upsync {

namespace {

constexpr size_t kMaxUrlLength = 2000;

// SharePoint Online's OneDrive folder name for a UPN: bob.smith@contoso.com →
// bob_smith_contoso_com.
std::string personal_folder(std::string_view upn) {
  std::string out;
  for (char c : upn) {
    const auto u = static_cast<unsigned char>(c);
    out.push_back(std::isalnum(u) ? static_cast<char>(std::tolower(u)) : '_');
  }
  return out;
}

}  // namespace

Result<std::string> normalize_online_url(std::string_view url) {
  auto bad = [&](std::string_view why) {
    return invalid_argument("online URL '" + quote_for_message(url) + "': " + std::string(why));
  };
  if (url.empty()) return bad("empty; expected e.g. https://contoso-my.sharepoint.com");
  if (url.size() > kMaxUrlLength) return bad("longer than 2000 characters");
  for (char c : url) {
    const auto u = static_cast<unsigned char>(c);
    if (u <= 0x20 || u >= 0x7f) return bad("spaces, controls and non-ASCII must be %-encoded");
  }
  std::string lower = ascii_lower(url);
  size_t scheme_end = 0;
  if (lower.starts_with("https://")) {
    scheme_end = 8;
  } else if (lower.starts_with("http://")) {
    scheme_end = 7;
  } else {
    return bad("not an http:// or https:// URL");
  }
  if (url.find_first_of("?#") != std::string_view::npos) {
    return bad("a base URL takes no query or fragment");
  }
  const size_t path_at = std::min(url.find('/', scheme_end), url.size());
  std::string_view authority = url.substr(scheme_end, path_at - scheme_end);
  if (authority.empty() || authority.front() == ':' || authority.front() == '.') {
    return bad("no host");
  }
  if (authority.find('@') != std::string_view::npos) return bad("user information in the URL");
  // Scheme and host are case-insensitive; the path is kept as written.
  std::string out = lower.substr(0, path_at) + std::string(url.substr(path_at));
  while (out.size() > path_at && out.back() == '/') out.pop_back();
  return out;
}

Result<HybridSettings> set_hybrid_settings(Store& store, const Tenant& tenant,
                                           std::string_view online_url,
                                           std::optional<std::string_view> audience) {
  UPSYNC_RETURN_IF_ERROR(require_server_tenant(tenant));
  HybridSettings s;
  UPSYNC_ASSIGN_OR_RETURN(s.online_url, normalize_online_url(online_url));
  UPSYNC_ASSIGN_OR_RETURN(auto hybrid, open_hybrid_store(store));
  // The audience is found and named in the tenant's turn, as an audience's removal checks that
  // the settings do not name it in its own: one of the two comes wholly first.
  UPSYNC_RETURN_IF_ERROR(store.in_tenant_turn(tenant.id, [&]() -> Status {
    if (audience) {
      UPSYNC_ASSIGN_OR_RETURN(auto audiences, open_audience_store(store));
      UPSYNC_ASSIGN_OR_RETURN(auto a, audiences->find(tenant.id, *audience));
      if (!a) {
        return not_found("no audience '" + quote_for_message(*audience) + "' in tenant '" +
                         tenant.name + "' (upsync audience list -t " + tenant.name + ")");
      }
      s.audience_id = a->id;
    }
    return hybrid->set(tenant.id, s);
  }));
  UPSYNC_ASSIGN_OR_RETURN(auto stored, hybrid->get(tenant.id));
  if (!stored) return internal_error("hybrid settings of '" + tenant.name + "' vanished");
  return *stored;
}

Result<std::optional<HybridProfileTarget>> hybrid_profile_target(Store& store, const Tenant& tenant,
                                                                 const Profile& profile) {
  if (tenant.kind != TenantKind::kServer) return std::optional<HybridProfileTarget>();
  UPSYNC_ASSIGN_OR_RETURN(auto hybrid, open_hybrid_store(store));
  UPSYNC_ASSIGN_OR_RETURN(auto settings, hybrid->get(tenant.id));
  if (!settings) return std::optional<HybridProfileTarget>();
  if (settings->audience_id) {
    UPSYNC_ASSIGN_OR_RETURN(auto audiences, open_audience_store(store));
    UPSYNC_ASSIGN_OR_RETURN(bool in,
                            audiences->is_member(tenant.id, *settings->audience_id, profile.id));
    // Seed 000: users outside the audience keep their SharePoint Server profile.
    if (!in) return std::optional<HybridProfileTarget>();
  }
  // The online tenant knows people by their UPN (its accounts are i:0#.f|membership|upn,
  // not the server tenant's Windows claims).
  std::string upn = profile.first("SPS-UserPrincipalName");
  if (upn.empty()) upn = profile.first("WorkEmail");
  if (upn.empty()) return std::optional<HybridProfileTarget>();
  upn = ascii_lower(upn);
  HybridProfileTarget t;
  t.person_url =
      settings->online_url + "/person.aspx?accountname=" + url_encode("i:0#.f|membership|" + upn);
  t.personal_url = settings->online_url + "/personal/" + personal_folder(upn) + "/";
  return std::optional<HybridProfileTarget>(std::move(t));
}

Result<std::optional<std::string>> hybrid_person_url(Store& store, const Tenant& tenant,
                                                     const Profile& profile) {
  UPSYNC_ASSIGN_OR_RETURN(auto target, hybrid_profile_target(store, tenant, profile));
  if (!target) return std::optional<std::string>();
  return std::optional<std::string>(std::move(target->person_url));
}

}  // namespace upsync
