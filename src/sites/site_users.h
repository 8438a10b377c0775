// Site user information lists: seed 002's fourth step, "UPA to sites" (DESIGN.md §1 stage 3).
//
// Each site collection ("sites/hr", "teams/x", or "" for the root site collection) keeps its
// own list of the people who were added to it, with an id of their own in that site
// (SharePoint's SP.User.Id) and a copy of their profile's "sync to sites" properties (the Yes
// column of seed 002, and custom properties added with --sync-to-sites). A person enters a
// site's list when an admin or app ensures them there (`upsync site user add`, REST
// web/ensureuser) or on their own first access; stage 3 of the sync then keeps the copy up to
// date from the profiles' change feed, and only for people in a list, so its cost follows the
// number of changed profiles. A deleted profile leaves its entries in place, as SharePoint
// keeps a departed user in a site's list until someone removes them.
//
//   auto sites = open_site_user_store(store);
//   auto bob = ensure_site_user(store, **sites, tenant, "sites/hr", bob_profile);
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"
#include "store/store.h"

namespace upsync {

// A site collection's key: "" for the root, else "sites/<name>" or "teams/<name>" in lower
// case (SharePoint's URLs are case-insensitive). Accepts "/sites/HR", "sites/hr/" and a
// server-relative URL below the site ("/sites/hr/Shared Documents" → "sites/hr").
Result<std::string> site_collection_key(std::string_view site);

// Property name → values: the profile's properties flagged "sync to sites", as copied.
using SiteProperties = std::map<std::string, std::vector<std::string>>;

struct SiteUser {
  std::string site;        // site_collection_key()
  int64_t id = 0;          // the person's id in this site collection, from 1
  std::string login_name;  // the claims account name
  ProfileId profile_id = 0;
  bool site_admin = false;
  SiteProperties properties;
  std::string created_at;  // UTC, ISO 8601
  std::string updated_at;

  // The first value of a copied property, or "".
  std::string first(std::string_view property) const;
};

class SiteUserStore {
 public:
  virtual ~SiteUserStore() = default;
  // Adds `user` to its site's list with the next free id there (user.id is ignored).
  virtual Result<SiteUser> add(TenantId tenant, const SiteUser& user) = 0;
  // Replaces the copied properties and profile id of an entry; false when they were equal.
  virtual Result<bool> update(TenantId tenant, const SiteUser& user) = 0;
  virtual Result<bool> set_site_admin(TenantId tenant, std::string_view site, int64_t id,
                                      bool admin) = 0;
  // Removes an entry; false when there was none.
  virtual Result<bool> remove(TenantId tenant, std::string_view site, int64_t id) = 0;
  virtual Result<std::optional<SiteUser>> by_id(TenantId tenant, std::string_view site,
                                                int64_t id) = 0;
  // By claims account name (ASCII case-insensitive).
  virtual Result<std::optional<SiteUser>> by_login(TenantId tenant, std::string_view site,
                                                   std::string_view login_name) = 0;
  // By the copied WorkEmail (case-insensitive).
  virtual Result<std::optional<SiteUser>> by_email(TenantId tenant, std::string_view site,
                                                   std::string_view email) = 0;
  // A site's list, by id.
  virtual Result<std::vector<SiteUser>> list(TenantId tenant, std::string_view site) = 0;
  // Whether any site collection of the tenant lists anyone (stage 3 has nothing to do if not).
  virtual Result<bool> any(TenantId tenant) = 0;
  // Every entry of a person, in all site collections (stage 3's lookup, by index).
  virtual Result<std::vector<SiteUser>> of_login(TenantId tenant, std::string_view login_name) = 0;
};

// The SiteUserStore over `store`'s connection, from its backend (store/store.h).
inline Result<std::unique_ptr<SiteUserStore>> open_site_user_store(Store& store) {
  return store.site_user_store();
}

// The "sync to sites" properties of a profile under the tenant's schema.
SiteProperties site_properties(const Profile& profile, const ProfileSchema& schema);

// The person's entry in the site's list: added, with a fresh copy of the profile's synced
// properties, when missing; refreshed when present. Requests that ensure one person at once
// (a first access and an ensureuser) both answer with the one entry.
Result<SiteUser> ensure_site_user(Store& store, SiteUserStore& sites, const Tenant& tenant,
                                  std::string_view site, const Profile& profile);

}  // namespace upsync
