// The claims of upsync's access tokens, shaped like Azure AD v2 tokens so that clients and
// people reading them at jwt.ms recognise them:
//   apps:   {"idtyp":"app","appid":<client id>,"roles":["Sites.FullControl.All",
//            "User.ReadWrite.All"], ...}
//   people: {"idtyp":"user","upn":..,"preferred_username":..,"wids":[<directory role ids>],
//            "scp":"AllSites.Manage User.Read.All", ...}
//   both:   iss, aud, tid (the tenant's name), sub, oid, iat, nbf, exp, ver "2.0", and "gen",
//           the principal's token generation when the token was issued (credentials.h).
// Directory roles travel as Azure AD's role template ids in "wids" (Global Administrator
// 62e90394-..., SharePoint Administrator f28a1f50-...), for clients to read; the server takes
// the role from its store on every request, not from the token.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <span>
#include <string>
#include <string_view>

#include "auth/credential_cache.h"
#include "auth/principal.h"
#include "core/status.h"
#include "core/tenant.h"
#include "store/store.h"

namespace upsync {

inline constexpr std::string_view kGlobalAdminRoleId = "62e90394-69f5-4237-9190-012177145e10";
inline constexpr std::string_view kSharePointAdminRoleId = "f28a1f50-f6e7-4571-818b-6a12f2af6b6c";

nlohmann::json access_token_claims(const Principal& who, std::string_view issuer,
                                   std::string_view audience, int64_t now, int64_t lifetime);

// The principal a verified token names, as the store has it now. Refuses (Unauthenticated,
// saying why) a token
//   - of another tenant, or for an audience that is not one of the tenant's resources
//     (audience.h; `own_origins` are the server's own origins for this tenant);
//   - of an app that has since been removed, of a person whose password has since been
//     removed, or issued to a person through an app since removed;
//   - whose generation ("gen") is not the principal's current one: the app or the person
//     changed since (a new password or role, a removal and re-creation), or the token
//     predates generations.
// The role is the store's. With a `cache`, the store's answers may be up to its bound old.
Result<Principal> principal_from_claims(Store& store, const Tenant& tenant,
                                        const nlohmann::json& claims,
                                        std::span<const std::string> own_origins,
                                        CredentialCache* cache = nullptr);

}  // namespace upsync
