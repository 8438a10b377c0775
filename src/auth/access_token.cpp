#include "auth/access_token.h"

#include "auth/audience.h"
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
                      {"uti", new_guid()},
                      {"gen", who.token_generation}};
  if (who.role == Role::kApp) {
    c["idtyp"] = "app";
    c["appid"] = who.client_id;
    c["azp"] = who.client_id;
    c["sub"] = who.client_id;
    c["oid"] = who.client_id;
    c["app_displayname"] = who.display_name;
    c["roles"] = {"Sites.FullControl.All", "User.ReadWrite.All", "Group.ReadWrite.All"};
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

namespace {

// The generation a token carries must be the principal's current one.
Status check_generation(const nlohmann::json& claims, const CredentialRecord& now,
                        std::string_view who) {
  auto gen = claims.find("gen");
  if (gen == claims.end() || !gen->is_number_integer()) {
    return unauthenticated(
        "the token carries no token generation (gen): it predates this "
        "server's revocation checks; get a new one");
  }
  if (gen->get<int64_t>() != now.token_generation) {
    return unauthenticated(std::string(who) +
                           " changed after this token was issued (a new secret, password or "
                           "role, or a removal): get a new token");
  }
  return Status::ok();
}

}  // namespace

Result<Principal> principal_from_claims(Store& store, const Tenant& tenant,
                                        const nlohmann::json& claims,
                                        std::span<const std::string> own_origins,
                                        CredentialCache* cache) {
  std::string tid = claims.value("tid", "");
  if (tid != tenant.name) {
    return unauthenticated("the token was issued for tenant '" + tid + "', not '" + tenant.name +
                           "'");
  }
  auto aud = claims.find("aud");
  std::string audience = aud != claims.end() && aud->is_string() ? aud->get<std::string>() : "";
  if (!is_tenant_audience(audience, tenant.name, own_origins)) {
    return unauthenticated("the token's audience '" + audience + "' is not a resource of tenant '" +
                           tenant.name + "' (its SharePoint, Microsoft Graph or this server)");
  }
  auto app_record = [&](std::string_view client_id) {
    return cache ? cache->app(store, tenant.id, client_id)
                 : read_app_record(store, tenant.id, client_id);
  };
  Principal p;
  p.tenant = tenant.name;
  if (claims.value("idtyp", "") == "app") {
    p.role = Role::kApp;
    p.client_id = claims.value("appid", "");
    UPSYNC_ASSIGN_OR_RETURN(CredentialRecord app, app_record(p.client_id));
    if (!app.present) {
      return unauthenticated("the app '" + p.client_id + "' of this token has been removed");
    }
    UPSYNC_RETURN_IF_ERROR(check_generation(claims, app, "the app '" + p.client_id + "'"));
    p.display_name = app.name;
    p.token_generation = app.token_generation;
    return p;
  }
  p.upn = claims.value("upn", "");
  if (p.upn.empty()) return unauthenticated("the token names no user (upn) and is not an app's");
  p.client_id = claims.value("azp", "");
  if (p.client_id.empty()) {
    return unauthenticated("the token names no app (azp) that '" + p.upn + "' signed in through");
  }
  UPSYNC_ASSIGN_OR_RETURN(
      CredentialRecord person,
      cache ? cache->person(store, tenant.id, p.upn) : read_person_record(store, tenant.id, p.upn));
  if (!person.present) {
    return unauthenticated("'" + p.upn + "' no longer has a password in tenant '" + tenant.name +
                           "': their tokens are revoked");
  }
  UPSYNC_RETURN_IF_ERROR(check_generation(claims, person, "'" + p.upn + "'"));
  UPSYNC_ASSIGN_OR_RETURN(CredentialRecord through, app_record(p.client_id));
  if (!through.present) {
    return unauthenticated("the app '" + p.client_id + "' that '" + p.upn +
                           "' signed in through has been removed");
  }
  p.role = person.role;
  p.token_generation = person.token_generation;
  return p;
}

}  // namespace upsync
