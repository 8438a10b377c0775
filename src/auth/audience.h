// Which resources a tenant's access tokens may name (the JWT "aud"), as Azure AD names them
// for the scopes clients ask for: a scope "<resource>/.default" or "<resource>/<permission>"
// gives aud "<resource>", and a bare permission ("User.Read") is Microsoft Graph's.
//
// A tenant's resources are:
//   its SharePoint: https://<t>.sharepoint.com, https://<t>-admin.sharepoint.com (PnP
//     PowerShell's admin calls) and https://<t>-my.sharepoint.com, and SharePoint Online's
//     application id 00000003-0000-0ff1-ce00-000000000000;
//   Microsoft Graph: https://graph.microsoft.com and its application id
//     00000003-0000-0000-c000-000000000000;
//   upsync itself: `own_origins`, the server's public origins and the tenant's names under
//     them (http/public_hosts.h), for clients whose scope is the server's own URL.
// Compared without case and without a trailing '/'. Anything else (another host, another
// tenant's SharePoint, an api:// URI) is no resource of the tenant: the token endpoint refuses
// to issue a token for it (AADSTS500011) and the server refuses such a token (401).
#pragma once

#include <span>
#include <string>
#include <string_view>

namespace upsync {

inline constexpr std::string_view kGraphResource = "https://graph.microsoft.com";

// The resource a space-separated scope list asks for: the first scope that is not an OpenID
// one ("openid", "profile", "email", "offline_access"); `fallback` when every scope is one.
std::string resource_of_scopes(std::string_view scopes, std::string_view fallback);

bool is_tenant_audience(std::string_view aud, std::string_view tenant,
                        std::span<const std::string> own_origins);

}  // namespace upsync
