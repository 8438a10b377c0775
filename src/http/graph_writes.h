// Microsoft Graph writes to the tenant's cloud directory (directory_store.h), for cloud-only
// objects, so that the sync stages and users/delta see each change as they see the CLI's:
//   POST   /v1.0/users                          201, the user (Graph's default properties)
//   PATCH  /v1.0/users/{id | userPrincipalName} 204
//   DELETE /v1.0/users/{id | userPrincipalName} 204 (a tombstone: users/delta reports @removed)
//   POST   /v1.0/groups                         201, the group; "members@odata.bind" accepted
//   PATCH  /v1.0/groups/{id}                    204
//   DELETE /v1.0/groups/{id}                    204
//   POST   /v1.0/groups/{id}/members/$ref       204, body {"@odata.id":
//   ".../directoryObjects/{id}"} DELETE /v1.0/groups/{id}/members/{id}/$ref  204
//
// Who: an app (its grant holds User.ReadWrite.All and Group.ReadWrite.All, access_token.h) or
// a global admin; anyone else gets Graph's 403 Authorization_RequestDenied.
//
// As Azure AD answers them: an object synced from on premises (it has a source anchor) is
// refused whole, 400 Request_BadRequest "Unable to update the specified properties for
// on-premises mastered Directory Sync objects or objects currently undergoing migration.";
// an unknown property is "Property 'x' does not exist as a declared property or extension
// property.", a read-only one "Property 'x' is read-only and cannot be set.", a missing
// required property or a value of the wrong type "Invalid value specified for property 'x' of
// resource 'User'." (details: InvalidValue, target x); a userPrincipalName another live user
// has "Another object with the same value for property userPrincipalName already exists.".
// Graph properties the directory does not hold (mobilePhone, city, ...) are refused by name
// rather than dropped. Query options ($select, ...) are refused: writes apply none.
//
// passwordProfile.password becomes the user's sign-in password (auth/credentials.h, role
// user); a UPN that already has a password of someone else's (a person with no directory
// user, an admin) is refused, and a password is never set over an admin's. A created user is
// licensed, as `upsync directory user add` makes one, so that the sync carries it into a
// profile.
#pragma once

#include "http/router.h"

namespace upsync {

void add_graph_write_routes(Router& router);

}  // namespace upsync
