#include "sites/site_users.h"

#include "core/text.h"

namespace upsync {

Result<std::string> site_collection_key(std::string_view site) {
  std::string_view s = trim(site);
  while (!s.empty() && s.front() == '/') s.remove_prefix(1);
  if (s.empty()) return std::string();
  const size_t slash = s.find('/');
  if (slash == std::string_view::npos) {
    return invalid_argument("site collection '" + std::string(site) +
                            "' is neither the root ('/') nor /sites/<name> or /teams/<name>");
  }
  const std::string kind = ascii_lower(s.substr(0, slash));
  std::string_view name = s.substr(slash + 1);
  name = name.substr(0, name.find('/'));
  if ((kind != "sites" && kind != "teams") || name.empty()) {
    return invalid_argument("site collection '" + std::string(site) +
                            "' is neither the root ('/') nor /sites/<name> or /teams/<name>");
  }
  if (name == "." || name == ".." || name.find('\\') != std::string_view::npos) {
    return invalid_argument("site collection '" + std::string(site) + "' has an invalid name");
  }
  return kind + "/" + ascii_lower(name);
}

std::string SiteUser::first(std::string_view property) const {
  auto it = properties.find(std::string(property));
  return it == properties.end() || it->second.empty() ? "" : it->second.front();
}

SiteProperties site_properties(const Profile& profile, const ProfileSchema& schema) {
  SiteProperties out;
  for (const PropertyDefinition* d : schema.all()) {
    if (!d->sync_to_sites) continue;
    const PropertyValues* v = profile.find(d->name);
    if (v && !v->empty()) out[d->name] = *v;
  }
  return out;
}

namespace {

// ensure_site_user's read and write, in the tenant's turn.
Result<SiteUser> ensure_in_list(SiteUserStore& sites, TenantId tenant, SiteUser user) {
  UPSYNC_ASSIGN_OR_RETURN(auto existing, sites.by_login(tenant, user.site, user.login_name));
  if (!existing) return sites.add(tenant, user);
  user.id = existing->id;
  user.site_admin = existing->site_admin;
  user.created_at = existing->created_at;
  user.updated_at = existing->updated_at;
  UPSYNC_ASSIGN_OR_RETURN(bool changed, sites.update(tenant, user));
  if (!changed) return *existing;
  UPSYNC_ASSIGN_OR_RETURN(auto after, sites.by_id(tenant, user.site, user.id));
  if (!after) return internal_error("site user vanished while being refreshed");
  return *after;
}

}  // namespace

Result<SiteUser> ensure_site_user(Store& store, SiteUserStore& sites, const Tenant& tenant,
                                  std::string_view site, const Profile& profile) {
  UPSYNC_ASSIGN_OR_RETURN(std::string key, site_collection_key(site));
  UPSYNC_ASSIGN_OR_RETURN(ProfileSchema schema, store.schema(tenant.id));
  SiteUser user;
  user.site = key;
  user.login_name = profile.account_name;
  user.profile_id = profile.id;
  user.properties = site_properties(profile, schema);
  // A check then an add: two requests ensuring one person at once would both find them missing
  // and the second add would fail on the list's unique login (or, on SQLite outside a
  // transaction, both draw one id). In the tenant's turn the second finds the first's entry.
  SiteUser out;
  UPSYNC_RETURN_IF_ERROR(store.in_tenant_turn(tenant.id, [&]() -> Status {
    UPSYNC_ASSIGN_OR_RETURN(out, ensure_in_list(sites, tenant.id, user));
    return Status::ok();
  }));
  return out;
}

}  // namespace upsync
