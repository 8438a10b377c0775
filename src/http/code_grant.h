// The token endpoint's authorization_code grant (RFC 6749 §4.1.3 with PKCE, RFC 7636 §4.5),
// which redeems the codes the authorize endpoint (authorize_routes.h) gives a signed-in
// person's browser, as Azure AD's v2 endpoint does for MSAL's auth-code flow:
//   POST /{tenant}/oauth2/v2.0/token
//     grant_type=authorization_code&client_id=..&code=..&redirect_uri=..&code_verifier=..
//     &scope=..[&client_secret=..][&client_info=1]
// answers access_token, id_token (with the authorize request's nonce) and client_info. A code
// is good once: a second redemption is AADSTS54005, however the first one ended (a wrong
// verifier spends it too, so a stolen code cannot be tried against guessed verifiers). It is
// good only for the client, the redirect URI and the PKCE challenge it was issued for, and
// only while the person's password, role and token generation are what they were at sign-in.
//
// And the refresh_token grant (RFC 6749 §6), for the refresh tokens a person gets with the
// scope offline_access (whatever grant signed them in):
//   POST /{tenant}/oauth2/v2.0/token
//     grant_type=refresh_token&client_id=..&refresh_token=..&scope=..[&client_secret=..]
// answers a new access token for the requested resource and the next refresh token of the
// family; the one presented is spent (rotation). A spent one presented again is a replay: the
// whole family is revoked (AADSTS50173). A token is good only for the client it was issued to,
// while that app is registered, and while the person's token generation (password, role,
// removal: credentials.h) is what it was at sign-in; signing out of upsync's pages revokes
// every refresh token of the person.
#pragma once

#include <string>

#include "http/router.h"

namespace upsync {

Status authorization_code_grant(Call& call, const std::string& client_id,
                                const std::string& secret);
Status refresh_token_grant(Call& call, const std::string& client_id, const std::string& secret);

}  // namespace upsync
