// The SharePoint-compatible REST surface (DESIGN.md §3; reference/client-wire-formats.md
// §0-§3): what PnPjs (@pnp/sp, @pnp/sp-admin) and other SharePoint clients call, under an
// optional site prefix (/sites/x or /teams/x), tenant-addressed like every route (router.h).
//
//   POST {web}/_api/contextinfo                       form digest (flat JSON light, trap 2)
//   GET  {web}/_api/web                               Title, Url, ServerRelativeUrl, Id
//   POST {web}/_api/$batch                            multipart batches (sharepoint_batch.h)
//   {web}/_api/SP.UserProfiles.PeopleManager/...      GetPropertiesFor, GetMyProperties,
//        GetUserProfilePropertyFor, SetSingleValueProfileProperty,
//        SetMultiValuedProfileProperty, and following (sharepoint_following.cpp); tags,
//        suggestions, pictures and personal sites are 501
//   POST {web}/_api/SP.UI.ApplicationPages.ClientPeoplePickerWebServiceInterface.
//        clientPeoplePickerSearchUser | clientPeoplePickerResolveUser   (the people picker,
//        sharepoint_people_picker.cpp)
//   {web}/_api/social.following/...                   follow, stopfollowing, isfollowed,
//        my/followed(types=N), my/followedcount(types=N), my/followers (people only)
//   {web}/_api/web/GetFolderByServerRelative{Path,Url}(...)/files|folders|files/AddUsingPath
//   {web}/_api/web/GetFileByServerRelative{Path,Url}(...)[/$value]   read, replace, delete
//   {web}/_api/web/siteusers[/getbyid(7)|...], ensureuser, currentuser, getuserbyid(7),
//        siteuserinfolist[/items]                        the site's user list (site_users.h)
//   POST {web}/_api/Microsoft.Online.SharePoint.TenantManagement.Office365Tenant/
//        QueueImportProfileProperties | GetImportProfilePropertyJob[s] |
//        DeleteImportProfilePropertiesJob                  (seed 003's bulk import API)
//
// Answers come in the OData mode the Accept header asks for (odata.h); errors are
// SharePoint's odata.error with a 4xx status. Every route needs a bearer token; a form
// digest is accepted but never required (trap 3). Who may do what (auth/principal.h):
// anyone signed in reads profiles and files and writes files; a user sets only their own
// user-editable properties; admins and apps set anyone's; only a global admin or an app
// queues or deletes bulk import jobs, and tenant admins and apps read them.
#pragma once

#include "http/router.h"

namespace upsync {

void add_sharepoint_routes(Router& router);

}  // namespace upsync
