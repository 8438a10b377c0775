// A person's sign-in in a browser:
//   GET|POST /{tenant}/oauth2/v2.0/authorize   the OAuth 2.0 authorization code flow with
//            PKCE, as Azure AD's v2 endpoint and MSAL speak it: response_type=code, client_id
//            of a registered app, a redirect_uri registered for it, scope, state, nonce,
//            code_challenge (S256; "plain" refused), response_mode query | fragment |
//            form_post, prompt (none answers login_required: there is no single sign-on
//            without the form). The GET shows the sign-in form (sign_in_form.h); its POST
//            checks the password, starts the pages' session and sends the browser to the
//            redirect URI with a one-time code (code_grant.h redeems it) and the state.
//   GET|POST [/tenants/<t>]/_layouts/15/Authenticate.aspx?Source=<path>   the same form for
//            upsync's own pages (SharePoint's sign-in address): after it, the browser goes to
//            Source (a path on this server only) or the pages' home.
//   POST     [/tenants/<t>]/_layouts/15/upsync/signout   ends the session (CSRF-checked as
//            every cookie write) and removes its cookie.
//   GET      [/tenants/<t>]/_layouts/15/upsync/session   who is signed in, the session's
//            expiry and its CSRF token, for the pages' script (upsync.js).
// Errors before the redirect URI is known good (a missing or unknown client, a redirect URI
// not registered for it: AADSTS50011) are answered on a page of their own and never sent to
// the URI the request named; later ones go to the redirect URI as error= and
// error_description=, as Azure AD sends them.
#pragma once

#include "http/router.h"

namespace upsync {

void add_authorize_routes(Router& router);

}  // namespace upsync
