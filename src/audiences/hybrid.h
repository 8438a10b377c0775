// Hybrid profiles on a server tenant (seed 000): where the tenant's hybrid users have their
// profile online, and which users are hybrid.
//
// A server tenant's hybrid settings name the online tenant's base URL (the address its person
// page is under, e.g. https://contoso-my.sharepoint.com or upsync's
// http://online.example.com:8080/tenants/contoso) and, optionally, an audience
// (audiences.h): without one every user of the tenant is hybrid, with one only its members.
// Seed 000's profile redirection then holds for every viewer, hybrid or not: a hybrid user's
// person page on the server tenant answers 302 to hybrid_person_url(), and PeopleManager's
// UserUrl / PersonalUrl for them point online. Users outside the audience keep their server
// profile. Online tenants have no hybrid settings (FailedPrecondition).
//
//   UPSYNC_ASSIGN_OR_RETURN(auto target, hybrid_profile_target(store, farm, profile));
//   if (target) { res.status = 302; res.headers["Location"] = target->person_url; }
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "core/status.h"
#include "store/store.h"

namespace upsync {

struct HybridSettings {
  std::string online_url;  // absolute http(s) URL, no query or fragment, no trailing '/'
  std::optional<int64_t> audience_id;  // nullopt: every user is hybrid
  std::string audience_name;           // the audience's name when read back ("" without one)
  std::string updated_at;              // UTC, ISO 8601
};

// A server tenant's hybrid settings, one row per tenant. An audience named by them cannot be
// removed (AudienceStore::remove answers FailedPrecondition: clear or change these first).
class HybridStore {
 public:
  virtual ~HybridStore() = default;
  virtual Result<std::optional<HybridSettings>> get(TenantId tenant) = 0;
  // Stores `settings` as given (checked by set_hybrid_settings()).
  virtual Status set(TenantId tenant, const HybridSettings& settings) = 0;
  // Whether there were settings to clear.
  virtual Result<bool> clear(TenantId tenant) = 0;
};

// The HybridStore over `store`'s connection, from its backend (store/store.h).
inline Result<std::unique_ptr<HybridStore>> open_hybrid_store(Store& store) {
  return store.hybrid_store();
}

// The base URL in its stored form ("https://Host/x/" → "https://host/x"), or InvalidArgument
// naming what is wrong (not http(s), no host, a query, a fragment, spaces or controls).
Result<std::string> normalize_online_url(std::string_view url);

// Checks and stores a server tenant's settings: the URL (normalize_online_url) and the
// audience, by name or id, which must exist. Returns them as stored.
Result<HybridSettings> set_hybrid_settings(Store& store, const Tenant& tenant,
                                           std::string_view online_url,
                                           std::optional<std::string_view> audience);

// Where a hybrid user's profile is online.
struct HybridProfileTarget {
  // <online_url>/person.aspx?accountname=<url-encoded i:0#.f|membership|upn>
  std::string person_url;
  // <online_url>/personal/<upn with every character but letters and digits as '_'>/ (the
  // OneDrive address SharePoint Online gives PersonalUrl)
  std::string personal_url;
};

// The one decision of seed 000's redirection: nullopt when `profile` keeps its page on
// `tenant` (an online tenant, no hybrid settings, not in the hybrid audience, or no user
// principal name, SPS-UserPrincipalName else WorkEmail, to name them online by); else where
// their profile is online.
Result<std::optional<HybridProfileTarget>> hybrid_profile_target(Store& store, const Tenant& tenant,
                                                                 const Profile& profile);
// The person page part of it, for the person route: the 302's Location, or nullopt.
Result<std::optional<std::string>> hybrid_person_url(Store& store, const Tenant& tenant,
                                                     const Profile& profile);

}  // namespace upsync
