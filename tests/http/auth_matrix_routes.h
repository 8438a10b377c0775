// The auth matrix's table (auth_matrix_test.cpp): every route of the admin API and the
// token-protected routes of the other surfaces, with who may call each and what it answers.
#pragma once

#include <httplib.h>

#include <string>
#include <vector>

namespace upsync::testing {

// Who may call a route. Apps are the tenant's, so only a global admin manages them (an app
// that could register apps would mint credentials that outlive its own removal).
enum class Needs { kNobody, kAnyone, kManager, kGlobalAdminOrApp, kGlobalAdmin };

struct RouteCase {
  std::string method;
  // Under /tenants/contoso. "{who}" becomes the caller's name, "{group}" a group's object id,
  // "{app}" the client id of an app registered for this caller to remove, "{job}" the id of
  // a queued bulk import job, "{log}" the log folder of a job that ran (its ImportLog.txt).
  std::string path;
  std::string body;
  Needs needs;
  int success;
  int as_app = 0;  // what an app gets instead of `success`, for routes about a person
  httplib::Headers headers = {};  // beside the caller's Authorization
};

inline const httplib::Headers kEventual = {{"ConsistencyLevel", "eventual"}};
// A 1x1 GIF, the body of the photo uploads.
inline const std::string kGif(
    "GIF89a\x01\x00\x01\x00\x80\x00\x00\xff\xff\xff\x00\x00\x00!\xf9\x04\x01\x00\x00"
    "\x00\x00,\x00\x00\x00\x00\x01\x00\x01\x00\x00\x02\x02\x44\x01\x00;",
    43);

// Every route of the admin API and the token-protected routes of the other surfaces.
inline const std::vector<RouteCase>& auth_matrix_routes() {
  static const std::vector<RouteCase> kRoutes = {
      {"GET", "/admin/v1/openapi.json", "", Needs::kNobody, 200},
      {"GET", "/admin/v1/me", "", Needs::kAnyone, 200},
      // upsync's pages (authorize_routes.h, page_routes.h): files and the sign-in form are
      // public; the session answers any caller; sign-out ends a cookie session, which a
      // bearer caller has not (tests/http/sign_in_test.cpp has the cookie callers).
      {"GET", "/_layouts/15/upsync/", "", Needs::kNobody, 200},
      {"GET", "/_layouts/15/upsync/upsync.js", "", Needs::kNobody, 200},
      {"GET", "/_layouts/15/Authenticate.aspx", "", Needs::kNobody, 200},
      {"GET", "/_layouts/15/upsync/session", "", Needs::kAnyone, 200},
      {"POST", "/_layouts/15/upsync/signout", "", Needs::kAnyone, 400},
      // The person page (person_page.h) holds no data; its save changes someone else's
      // profile only for managers.
      {"GET", "/person.aspx", "", Needs::kNobody, 200},
      {"GET", "/my/Person.aspx", "", Needs::kNobody, 200},
      {"POST", "/_layouts/15/upsync/profile?accountname=i%3A0%23.f%7Cmembership%7Cga%40contoso.com",
       R"({"Fax":"set by {who}"})", Needs::kManager, 200},
      {"GET", "/admin/v1/tenant", "", Needs::kManager, 200},
      // Everyone signed in reads the schema and its policies (the person page labels with it);
      // only managers change a policy.
      {"GET", "/admin/v1/properties", "", Needs::kAnyone, 200},
      {"PATCH", "/admin/v1/properties/Fax", R"({"privacy":"Public"})", Needs::kManager, 200},
      {"POST", "/admin/v1/properties", R"({"name":"P{who}"})", Needs::kManager, 201},
      {"POST", "/admin/v1/properties/Q{who}/clear", "{}", Needs::kManager, 200},
      {"PATCH", "/admin/v1/properties/Q{who}", R"({"displayName":"by {who}"})", Needs::kManager,
       200},
      {"DELETE", "/admin/v1/properties/Q{who}", "", Needs::kManager, 204},
      {"GET", "/admin/v1/apps", "", Needs::kGlobalAdmin, 200},
      {"POST", "/admin/v1/apps", R"({"name":"a-{who}"})", Needs::kGlobalAdmin, 201},
      // "{cert}" is a PEM certificate (a JSON string), "{thumb}" its SHA-1 thumbprint.
      {"GET", "/admin/v1/apps/{app}/certificates", "", Needs::kGlobalAdmin, 200},
      {"POST", "/admin/v1/apps/{app}/certificates", R"({"certificate":{cert}})",
       Needs::kGlobalAdmin, 201},
      {"DELETE", "/admin/v1/apps/{app}/certificates/{thumb}", "", Needs::kGlobalAdmin, 204},
      {"DELETE", "/admin/v1/apps/{app}", "", Needs::kGlobalAdmin, 204},
      {"GET", "/admin/v1/sync/runs", "", Needs::kManager, 200},
      {"POST", "/admin/v1/sync/runs", R"({"dryRun":true})", Needs::kManager, 201},
      {"GET", "/admin/v1/sync/runs/1", "", Needs::kManager, 200},
      // Profiles (admin_profiles.cpp): contoso is an online tenant, so a manager's create or
      // delete passes the role check and is then refused by the tenant's kind (409).
      {"GET", "/admin/v1/profiles", "", Needs::kManager, 200},
      {"GET", "/admin/v1/profiles/1", "", Needs::kManager, 200},
      {"PATCH", "/admin/v1/profiles/1", R"({"properties":{"AboutMe":"set by {who}"}})",
       Needs::kManager, 200},
      {"POST", "/admin/v1/profiles", R"({"accountName":"i:0#.f|membership|p-{who}@contoso.com"})",
       Needs::kManager, 409},
      {"DELETE", "/admin/v1/profiles/1", "", Needs::kManager, 409},
      // People (admin_people.cpp): roles and passwords are a global admin's alone.
      {"GET", "/admin/v1/people", "", Needs::kGlobalAdmin, 200},
      {"PUT", "/admin/v1/people/p-{who}@contoso.com", R"({"role":"user","password":"pa55word!x"})",
       Needs::kGlobalAdmin, 200},
      {"DELETE", "/admin/v1/people/p-{who}@contoso.com", "", Needs::kGlobalAdmin, 204},
      {"GET", "/admin/v1/import/jobs", "", Needs::kManager, 200},
      {"GET", "/admin/v1/import/jobs/{job}", "", Needs::kManager, 200},
      {"GET", "/admin/v1/import/jobs/{job}/log", "", Needs::kManager, 200},
      // The connector (admin_sync.h): set, read, tested (nothing listens on port 1, so a
      // manager gets as far as connecting: 503), and the live run's progress.
      {"PUT", "/admin/v1/sync/connector",
       R"({"toml":"type = \"ldap\"\nurl = \"ldap://127.0.0.1:1\"\nbase = \"dc=example,dc=com\"\n"})",
       Needs::kManager, 200},
      {"GET", "/admin/v1/sync/connector", "", Needs::kManager, 200},
      {"POST", "/admin/v1/sync/connector/test", "{}", Needs::kManager, 503},
      {"GET", "/admin/v1/sync/progress", "", Needs::kManager, 200},
      {"GET", "/v1.0/users", "", Needs::kAnyone, 200},
      {"GET", "/v1.0/users?$select=id&$filter=accountEnabled%20eq%20true", "", Needs::kAnyone, 200},
      {"GET", "/v1.0/users/delta", "", Needs::kAnyone, 200},
      {"GET", "/v1.0/users/adele@contoso.com", "", Needs::kAnyone, 200},
      {"GET", "/v1.0/users/adele@contoso.com/memberOf", "", Needs::kAnyone, 200},
      {"GET", "/v1.0/me", "", Needs::kAnyone, 200, 400},
      {"GET", "/v1.0/groups", "", Needs::kAnyone, 200},
      {"GET", "/v1.0/groups?$select=id&$filter=startswith(displayName,%27S%27)", "", Needs::kAnyone,
       200},
      {"GET", "/v1.0/groups/{group}", "", Needs::kAnyone, 200},
      {"GET", "/v1.0/groups/{group}/members", "", Needs::kAnyone, 200},
      {"GET", "/v1.0/groups/{group}/transitiveMembers", "", Needs::kAnyone, 200},
      // Graph writes (graph_writes.h): User.ReadWrite.All / Group.ReadWrite.All, which apps
      // and global admins hold. "{user}" is a cloud-only user made for the caller, "{group}2" a
      // cloud-only group with "{user}" as its member, each acted on once.
      {"POST", "/v1.0/users",
       R"({"accountEnabled":true,"displayName":"N","mailNickname":"n{who}",)"
       R"("userPrincipalName":"n-{who}@contoso.com","passwordProfile":{"password":"Xy7!secret"}})",
       Needs::kGlobalAdminOrApp, 201},
      {"PATCH", "/v1.0/users/{user}", R"({"jobTitle":"set by {who}"})", Needs::kGlobalAdminOrApp,
       204},
      {"POST", "/v1.0/groups",
       R"({"displayName":"G {who}","mailEnabled":false,"mailNickname":"g{who}",)"
       R"("securityEnabled":true})",
       Needs::kGlobalAdminOrApp, 201},
      {"PATCH", "/v1.0/groups/{cgroup}", R"({"description":"set by {who}"})",
       Needs::kGlobalAdminOrApp, 204},
      {"DELETE", "/v1.0/groups/{cgroup}/members/{user}/$ref", "", Needs::kGlobalAdminOrApp, 204},
      {"POST", "/v1.0/groups/{cgroup}/members/$ref",
       R"({"@odata.id":"https://graph.microsoft.com/v1.0/directoryObjects/{user}"})",
       Needs::kGlobalAdminOrApp, 204},
      {"DELETE", "/v1.0/groups/{cgroup}", "", Needs::kGlobalAdminOrApp, 204},
      {"DELETE", "/v1.0/users/{user}", "", Needs::kGlobalAdminOrApp, 204},
      // Batches (graph_batch.h, sharepoint_batch.h); every GET and idempotent write row below is
      // also sent inside one, by send_batched.
      {"POST", "/v1.0/$batch", R"({"requests":[{"id":"1","method":"GET","url":"/users"}]})",
       Needs::kAnyone, 200},
      // The org chart and memberships (graph_org.h); every person of the directory has a
      // manager, so /me/manager answers each of them.
      {"GET", "/v1.0/users/adele@contoso.com/manager", "", Needs::kAnyone, 200},
      {"GET", "/v1.0/users/ga@contoso.com/directReports", "", Needs::kAnyone, 200},
      {"GET", "/v1.0/users/adele@contoso.com/transitiveMemberOf", "", Needs::kAnyone, 200},
      {"GET", "/v1.0/users/adele@contoso.com?$expand=manager", "", Needs::kAnyone, 200},
      {"GET", "/v1.0/users?$expand=manager($select=id)", "", Needs::kAnyone, 200},
      {"GET", "/v1.0/me/manager", "", Needs::kAnyone, 200, 400},
      {"GET", "/v1.0/me/directReports", "", Needs::kAnyone, 200, 400},
      {"GET", "/v1.0/me/memberOf", "", Needs::kAnyone, 200, 400},
      {"GET", "/v1.0/me/transitiveMemberOf", "", Needs::kAnyone, 200, 400},
      {"GET", "/v1.0/me?$expand=directReports", "", Needs::kAnyone, 200, 400},
      {"POST", "/v1.0/users/adele@contoso.com/checkMemberGroups", R"({"groupIds":["{group}"]})",
       Needs::kAnyone, 200},
      {"POST", "/v1.0/users/adele@contoso.com/getMemberGroups", R"({"securityEnabledOnly":true})",
       Needs::kAnyone, 200},
      {"POST", "/v1.0/groups/{group}/checkMemberGroups", R"({"groupIds":["{group}"]})",
       Needs::kAnyone, 200},
      {"POST", "/v1.0/groups/{group}/getMemberGroups", R"({"securityEnabledOnly":false})",
       Needs::kAnyone, 200},
      {"POST", "/v1.0/me/checkMemberGroups", R"({"groupIds":["{group}"]})", Needs::kAnyone, 200,
       400},
      {"POST", "/v1.0/me/getMemberGroups", R"({"securityEnabledOnly":true})", Needs::kAnyone, 200,
       400},
      {"GET", "/v1.0/users/$count", "", Needs::kAnyone, 200, 0, kEventual},
      {"GET", "/v1.0/groups/$count", "", Needs::kAnyone, 200, 0, kEventual},
      {"GET", "/v1.0/users?$search=%22displayName:a%22&$orderby=displayName&$count=true", "",
       Needs::kAnyone, 200, 0, kEventual},
      {"GET", "/v1.0/groups?$orderby=displayName", "", Needs::kAnyone, 200},
      {"GET", "/v1.0/groups/delta", "", Needs::kAnyone, 200},
      {"GET", "/v1.0/groups/delta?$select=displayName,members", "", Needs::kAnyone, 200},
      {"GET", "/admin/v1/sync/schedule", "", Needs::kManager, 200},
      {"PUT", "/admin/v1/sync/schedule", R"({"intervalSeconds":3600})", Needs::kManager, 200},
      // Audiences and hybrid settings (admin_audiences.cpp) are a server tenant's: past the
      // caller's check, this online tenant answers 409 (tests/http/admin_audiences_test.cpp
      // has their successes on a server tenant).
      {"GET", "/admin/v1/audiences", "", Needs::kManager, 409},
      {"POST", "/admin/v1/audiences",
       R"({"name":"A{who}","rules":[{"kind":"propertyEquals","property":"Department",)"
       R"("value":"x"}]})",
       Needs::kManager, 409},
      {"GET", "/admin/v1/audiences/A", "", Needs::kManager, 409},
      {"GET", "/admin/v1/audiences/A/members", "", Needs::kManager, 409},
      {"POST", "/admin/v1/audiences/A/compile", "", Needs::kManager, 409},
      {"DELETE", "/admin/v1/audiences/A", "", Needs::kManager, 409},
      {"GET", "/admin/v1/hybrid", "", Needs::kManager, 409},
      {"PUT", "/admin/v1/hybrid", R"({"onlineUrl":"https://x.example.com"})", Needs::kManager, 409},
      {"DELETE", "/admin/v1/hybrid", "", Needs::kManager, 409},
      // SharePoint REST (sharepoint_routes.h).
      {"POST", "/_api/contextinfo", "", Needs::kAnyone, 200},
      {"GET", "/sites/hr/_api/web", "", Needs::kAnyone, 200},
      {"GET", "/_api/sp.userprofiles.peoplemanager/getpropertiesfor(@v)?@v='nobody'", "",
       Needs::kAnyone, 200},
      {"GET", "/_api/sp.userprofiles.peoplemanager/getmyproperties", "", Needs::kAnyone, 200},
      // A person sets their own properties; someone else's need a tenant admin or an app.
      {"POST", "/_api/SP.UserProfiles.PeopleManager/SetSingleValueProfileProperty",
       R"({"accountName":"i:0#.f|membership|adele@contoso.com","propertyName":"AboutMe",)"
       R"("propertyValue":"set by {who}"})",
       Needs::kAnyone, 200},
      {"POST", "/_api/SP.UserProfiles.PeopleManager/SetSingleValueProfileProperty",
       R"({"accountName":"i:0#.f|membership|ga@contoso.com","propertyName":"AboutMe",)"
       R"("propertyValue":"set by {who}"})",
       Needs::kManager, 200},
      // Document libraries (site_permissions.h): users are visitors, admins and apps owners;
      // a job's log folder is the admins' and apps' only.
      {"POST",
       "/sites/hr/_api/web/GetFolderByServerRelativeUrl('/sites/hr/Shared%20Documents')"
       "/Files/add(url='{who}.txt',overwrite=true)",
       "text", Needs::kManager, 200},
      {"GET",
       "/sites/hr/_api/web/GetFileByServerRelativeUrl('/sites/hr/Shared%20Documents/shared.txt')"
       "/$value",
       "", Needs::kAnyone, 200},
      {"GET",
       "/sites/hr/_api/web/GetFolderByServerRelativeUrl('/sites/hr/Shared%20Documents')/files", "",
       Needs::kAnyone, 200},
      {"DELETE",
       "/sites/hr/_api/web/GetFileByServerRelativeUrl('/sites/hr/Shared%20Documents/{who}.txt')",
       "", Needs::kManager, 200},
      {"GET", "/sites/hr/_api/web/GetFileByServerRelativeUrl('{log}/ImportLog.txt')/$value", "",
       Needs::kManager, 200},
      {"GET", "/sites/hr/_api/web/GetFolderByServerRelativeUrl('{log}')/files", "", Needs::kManager,
       200},
      {"POST",
       "/sites/hr/_api/web/GetFolderByServerRelativeUrl('{log}')/Files/add(url='{who}.txt')",
       "forged", Needs::kManager, 200},
      // Chunked uploads (sharepoint_uploads.cpp): "{uid}" and "{uid2}" are upload ids of this
      // caller; only writers of the library start one, and each goes on with its own.
      {"POST",
       "/sites/hr/_api/web/GetFileByServerRelativeUrl('/sites/hr/Shared%20Documents/shared.txt')"
       "/StartUpload(uploadId=guid'{uid}')",
       "abc", Needs::kManager, 200},
      {"POST",
       "/sites/hr/_api/web/GetFileByServerRelativeUrl('/sites/hr/Shared%20Documents/shared.txt')"
       "/ContinueUpload(uploadId=guid'{uid}',fileOffset=3)",
       "def", Needs::kManager, 200},
      {"POST",
       "/sites/hr/_api/web/GetFileByServerRelativeUrl('/sites/hr/Shared%20Documents/shared.txt')"
       "/FinishUpload(uploadId=guid'{uid}',fileOffset=6)",
       "ghi", Needs::kManager, 200},
      {"POST",
       "/sites/hr/_api/web/GetFileByServerRelativeUrl('/sites/hr/Shared%20Documents/shared.txt')"
       "/StartUpload(uploadId=guid'{uid2}')",
       "abc", Needs::kManager, 200},
      {"POST",
       "/sites/hr/_api/web/GetFileByServerRelativeUrl('/sites/hr/Shared%20Documents/shared.txt')"
       "/CancelUpload(uploadId=guid'{uid2}')",
       "", Needs::kManager, 200},
      {"PUT",
       "/sites/hr/_api/web/GetFileByServerRelativeUrl('/sites/hr/Shared%20Documents/shared.txt')"
       "/$value",
       "replaced", Needs::kManager, 200},
      {"GET", "/sites/hr/_api/web/roleassignments?$expand=Member,RoleDefinitionBindings", "",
       Needs::kManager, 200},
      {"GET", "/sites/hr/_api/web/roledefinitions", "", Needs::kAnyone, 200},
      {"GET", "/sites/hr/_api/web/lists/getbytitle('Shared%20Documents')", "", Needs::kAnyone, 200},
      {"POST",
       "/sites/hr/_api/web/lists/getbytitle('Shared%20Documents')/"
       "breakroleinheritance(copyroleassignments=true,clearsubscopes=true)",
       "", Needs::kManager, 200},
      {"GET", "/sites/hr/_api/web/lists/getbytitle('Shared%20Documents')/roleassignments", "",
       Needs::kManager, 200},
      {"POST", "/sites/hr/_api/web/lists/getbytitle('Shared%20Documents')/resetroleinheritance", "",
       Needs::kManager, 200},
      {"GET", "/sites/hr/_api/web/siteusers", "", Needs::kAnyone, 200},
      {"GET", "/sites/hr/_api/web/currentuser", "", Needs::kAnyone, 200, 404},
      {"GET", "/sites/hr/_api/web/siteuserinfolist/items", "", Needs::kAnyone, 200},
      {"POST", "/sites/hr/_api/web/ensureuser",
       R"({"logonName":"i:0#.f|membership|adele@contoso.com"})", Needs::kManager, 200},
      {"POST",
       "/_api/Microsoft.Online.SharePoint.TenantManagement.Office365Tenant/"
       "GetImportProfilePropertyJobs",
       "", Needs::kManager, 200},
      {"POST",
       "/_api/Microsoft.Online.SharePoint.TenantManagement.Office365Tenant/"
       "QueueImportProfileProperties",
       R"({"idType":0,"sourceDataIdProperty":"IdName","propertyMap":{"H":"SPS-HireDate"},)"
       R"("sourceUri":"/sites/hr/Shared Documents/{who}.json"})",
       Needs::kGlobalAdminOrApp, 200},
      {"POST",
       "/_api/Microsoft.Online.SharePoint.TenantManagement.Office365Tenant/"
       "GetImportProfilePropertyJob",
       R"({"jobId":"{job}"})", Needs::kManager, 200},
      // The people picker: anyone signed in searches and resolves.
      {"POST",
       "/sites/hr/_api/SP.UI.ApplicationPages.ClientPeoplePickerWebServiceInterface."
       "clientPeoplePickerSearchUser",
       R"({"queryParams":{"QueryString":"adele","MaximumEntitySuggestions":5,"PrincipalType":15}})",
       Needs::kAnyone, 200},
      {"POST",
       "/_api/SP.UI.ApplicationPages.ClientPeoplePickerWebServiceInterface."
       "clientPeoplePickerResolveUser",
       R"({"queryParams":{"QueryString":"adele@contoso.com","MaximumEntitySuggestions":1}})",
       Needs::kAnyone, 200},
      // Following: a person follows from their own profile (an app has none); whom anyone
      // follows is public to everyone signed in.
      {"POST", "/_api/social.following/follow",
       R"({"actor":{"AccountName":"i:0#.f|membership|followee@contoso.com","ActorType":0}})",
       Needs::kAnyone, 200, 403},
      {"POST", "/_api/social.following/isfollowed",
       R"({"actor":{"AccountName":"i:0#.f|membership|followee@contoso.com","ActorType":0}})",
       Needs::kAnyone, 200, 403},
      {"GET", "/_api/social.following/my/followed(types=1)", "", Needs::kAnyone, 200, 403},
      {"GET", "/_api/social.following/my/followedcount(types=1)", "", Needs::kAnyone, 200, 403},
      {"GET", "/_api/social.following/my/followers", "", Needs::kAnyone, 200, 403},
      {"POST", "/_api/social.following/stopfollowing",
       R"({"actor":{"AccountName":"i:0#.f|membership|followee@contoso.com","ActorType":0}})",
       Needs::kAnyone, 200, 403},
      {"POST",
       "/_api/sp.userprofiles.peoplemanager/follow(@v)?%40v=%27i%3A0%23.f%7Cmembership%7C"
       "followee%40contoso.com%27",
       "", Needs::kAnyone, 200, 403},
      {"GET",
       "/_api/sp.userprofiles.peoplemanager/amifollowing(@v)?%40v=%27i%3A0%23.f%7Cmembership%7C"
       "followee%40contoso.com%27",
       "", Needs::kAnyone, 200, 403},
      {"GET",
       "/_api/sp.userprofiles.peoplemanager/amifollowedby(@v)?%40v=%27i%3A0%23.f%7Cmembership%7C"
       "followee%40contoso.com%27",
       "", Needs::kAnyone, 200, 403},
      {"GET",
       "/_api/sp.userprofiles.peoplemanager/getfollowersfor(@v)?%40v=%27i%3A0%23.f%7Cmembership%7C"
       "followee%40contoso.com%27",
       "", Needs::kAnyone, 200},
      {"GET",
       "/_api/sp.userprofiles.peoplemanager/getpeoplefollowedby(@v)?%40v=%27i%3A0%23.f%7C"
       "membership%7Cadele%40contoso.com%27",
       "", Needs::kAnyone, 200},
      {"GET", "/_api/sp.userprofiles.peoplemanager/getmyfollowers", "", Needs::kAnyone, 200, 403},
      {"GET",
       "/_api/sp.userprofiles.peoplemanager.isfollowing(possiblefolloweraccountname=@v,%20"
       "possiblefolloweeaccountname=@y)?%40v=%27adele%40contoso.com%27&%40y=%27followee%40"
       "contoso.com%27",
       "", Needs::kAnyone, 200},
      {"POST",
       "/_api/sp.userprofiles.peoplemanager/stopfollowing(@v)?%40v=%27i%3A0%23.f%7Cmembership%7C"
       "followee%40contoso.com%27",
       "", Needs::kAnyone, 200, 403},
      // Photos (photo_routes.h): a person changes their own, admins and apps anyone's; every
      // caller reads them. Each row runs for every caller before the next: Adele's photo is
      // there for the reads, and each person removes the photo they put.
      {"PUT", "/v1.0/me/photo/$value", kGif, Needs::kAnyone, 200, 400},
      {"GET", "/v1.0/users/adele@contoso.com/photo/$value", "", Needs::kAnyone, 200},
      {"GET", "/v1.0/users/adele@contoso.com/photo", "", Needs::kAnyone, 200},
      {"GET", "/v1.0/users/adele@contoso.com/photos", "", Needs::kAnyone, 200},
      {"GET", "/sites/my/User%20Photos/Profile%20Pictures/adele_40contoso_2Ecom_MThumb.jpg", "",
       Needs::kAnyone, 200},
      {"PUT", "/v1.0/users/ga@contoso.com/photo/$value", kGif, Needs::kManager, 200},
      {"DELETE", "/v1.0/me/photo/$value", "", Needs::kAnyone, 204, 400},
      {"POST", "/_api/SP.UserProfiles.PeopleManager/SetMyProfilePicture", kGif, Needs::kAnyone, 200,
       403},
  };
  return kRoutes;
}

}  // namespace upsync::testing
