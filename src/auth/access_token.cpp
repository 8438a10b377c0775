#include "auth/access_token.h"

#include "auth/credentials.h"
#include "core/clock.h"

namespace upsync {

nlohmann::json access_token_claims(const Principal& who, std::string_view issuer,
                                   std::string_view audience, int64_t now, int64_t lifetime) {
  nlohmann::json c = {{"aud", std::string(audience)},
                      {"iss", std::string(issuer)},
                      {"iat", now},
                      {"nbf", now},
                      {"exp", now + lifetime},
                      {"tid", who.tenant},
                      {"ver", "2.0"},
                      {"uti", new_guid()}};
  if (who.role == Role::kApp) {
    c["idtyp"] = "app";
    c["appid"] = who.client_id;
    c["azp"] = who.client_id;
    c["sub"] = who.client_id;
    c["oid"] = who.client_id;
    c["app_displayname"] = who.display_name;
    c["roles"] = {"Sites.FullControl.All", "User.ReadWrite.All"};
  } else {
    c["idtyp"] = "user";
    c["upn"] = who.upn;
    c["preferred_username"] = who.upn;
    c["sub"] = who.upn;
    c["oid"] = who.upn;
    if (!who.client_id.empty()) c["azp"] = who.client_id;
    c["scp"] = "AllSites.Manage User.Read.All";
    nlohmann::json wids = nlohmann::json::array();
    if (who.role == Role::kGlobalAdmin) wids.push_back(kGlobalAdminRoleId);
    if (who.role == Role::kSharePointAdmin) wids.push_back(kSharePointAdminRoleId);
    c["wids"] = wids;
  }
  return c;
}

Result<Principal> principal_from_claims(Store& store, const Tenant& tenant,
                                        const nlohmann::json& claims) {
  std::string tid = claims.value("tid", "");
  if (tid != tenant.name) {
    return unauthenticated("the token was issued for tenant '" + tid + "', not '" + tenant.name +
                           "'");
  }
  Principal p;
  p.tenant = tenant.name;
  if (claims.value("idtyp", "") == "app") {
    p.role = Role::kApp;
    p.client_id = claims.value("appid", "");
    p.display_name = claims.value("app_displayname", "");
    UPSYNC_ASSIGN_OR_RETURN(auto creds, open_credential_store(store));
    auto app = creds->app_with_secret(tenant.id, p.client_id);
    if (!app) {
      if (app.status().code() == StatusCode::kNotFound) {
        return unauthenticated("the app '" + p.client_id + "' of this token has been removed");
      }
      return app.status();
    }
    return p;
  }
  p.upn = claims.value("upn", "");
  if (p.upn.empty()) return unauthenticated("the token names no user (upn) and is not an app's");
  p.client_id = claims.value("azp", "");
  p.role = Role::kUser;
  if (claims.contains("wids") && claims["wids"].is_array()) {
    for (const auto& w : claims["wids"]) {
      if (!w.is_string()) continue;
      if (w.get<std::string>() == kGlobalAdminRoleId) p.role = Role::kGlobalAdmin;
      if (w.get<std::string>() == kSharePointAdminRoleId && p.role != Role::kGlobalAdmin) {
        p.role = Role::kSharePointAdmin;
      }
    }
  }
  return p;
}

}  // namespace upsync
