// Document library permissions on the SharePoint surface (sites/site_permissions.h): the check
// every route that reads or writes library content makes, and the REST calls PnPjs's
// @pnp/sp/security sends. Internal to src/http.
//
//   GET  {web}/_api/web/roleassignments[?$expand=Member,RoleDefinitionBindings]
//   GET  {web}/_api/web/roleassignments(7) | roleassignments/getbyprincipalid(7)
//        [/roledefinitionbindings]; DELETE (or POST with X-HTTP-Method: DELETE) removes it
//   POST {web}/_api/web/roleassignments/addroleassignment(principalid=7,roledefid=1073741827)
//   POST {web}/_api/web/roleassignments/removeroleassignment(principalid=7,roledefid=...)
//   GET  {web}/_api/web/roledefinitions[/getbyid(n) | getbyname('Read') | getbytype(2)]
//   GET  {web}/_api/web/lists/getbytitle('Shared Documents')       Title, HasUniqueRoleAssignments
//   POST {web}/_api/web/lists/getbytitle('...')/breakroleinheritance(copyroleassignments=true,
//        clearsubscopes=true) | resetroleinheritance
//   ...  {web}/_api/web/lists/getbytitle('...')/roleassignments/...   as for the web
//
// A list's title is its library's name in the URL ("Shared Documents"). Principal ids are a
// person's id in the site's user list (web/siteusers; added there when they get a role) and,
// for directory groups and Everyone, an id of the same sequence (site_permissions.h).
// Reading and changing role assignments needs Full Control (owners, admins, apps); role
// definitions and the list need Read. Query options other than $expand on roleassignments
// are refused with 400. clearsubscopes is accepted either way: folders and files never have
// assignments of their own here.
#pragma once

#include "http/router.h"
#include "sites/sites.h"

namespace upsync {

enum class LibraryAccess {
  kRead,   // read a file or list a folder: visitor (Read) or more
  kWrite,  // add, overwrite or delete: member (Contribute) or more
};

// Refuses with SharePoint's 403 (System.UnauthorizedAccessException, "Access denied. ...") a
// caller whose role in the library of `url` is below `need`, and anyone but admins and apps
// inside a bulk import job's log folder.
Status sp_require_library_access(Call& call, const FileUrl& url, LibraryAccess need);

void add_sharepoint_permission_routes(Router& router);

}  // namespace upsync
