// SharePoint's site users (web/siteusers, ensureuser, currentuser, siteuserinfolist) and files
// (folders, AddUsingPath, reading and deleting) through the real `upsync serve`, with their
// permission rules and bad paths. The server: sharepoint_fixture.h.
#include <gtest/gtest.h>
#include <httplib.h>

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "http/sharepoint_fixture.h"

namespace upsync::testing {
namespace {

// ---- Site users (web/siteusers, ensureuser, currentuser, siteuserinfolist) --------------------

TEST_F(SharePointTest, EnsureUserAddsFromTheProfileAndSiteUsersListsInEachMode) {
  const std::string api = "/tenants/contoso/sites/people/_api/web";
  // PnPjs: sp.web.ensureUser(login) posts {logonName}.
  auto r = post(api + "/ensureuser", app(), json({{"logonName", kAdele}}).dump(), kNoMeta);
  ASSERT_EQ(r->status, 200) << r->body;
  json adele_user = json::parse(r->body);
  EXPECT_EQ(adele_user["Id"], 1);
  EXPECT_EQ(adele_user["LoginName"], kAdele);
  EXPECT_EQ(adele_user["Title"], "adele@contoso.com") << "no PreferredName: the UPN";
  EXPECT_EQ(adele_user["Email"], "adele@contoso.com");
  EXPECT_EQ(adele_user["PrincipalType"], 1);
  EXPECT_EQ(adele_user["IsSiteAdmin"], false);
  // A UPN or e-mail names the same person; ensuring again keeps the id.
  r = post(api + "/ensureuser", megan(), json({{"logonName", "adele@contoso.com"}}).dump(),
           kNoMeta);
  ASSERT_EQ(r->status, 200) << r->body;
  EXPECT_EQ(json::parse(r->body)["Id"], 1);
  r = post(api + "/ensureuser", app(), json({{"logonName", "megan@contoso.com"}}).dump(), kNoMeta);
  ASSERT_EQ(r->status, 200) << r->body;
  EXPECT_EQ(json::parse(r->body)["Title"], "Megan Bowen");
  EXPECT_EQ(json::parse(r->body)["Id"], 2);

  r = get(api + "/siteusers", adele(), kNoMeta);
  ASSERT_EQ(r->status, 200) << r->body;
  json list = json::parse(r->body)["value"];
  ASSERT_EQ(list.size(), 2u);
  EXPECT_EQ(list[1]["LoginName"], kMegan);
  r = get(api + "/siteusers", adele(), kVerbose);
  ASSERT_EQ(r->status, 200) << r->body;
  json verbose = json::parse(r->body)["d"]["results"];
  ASSERT_EQ(verbose.size(), 2u);
  EXPECT_EQ(verbose[0]["__metadata"]["type"], "SP.User");
  r = get(api + "/siteusers", adele(), kMinimal);
  ASSERT_EQ(r->status, 200) << r->body;
  EXPECT_NE(json::parse(r->body)["odata.metadata"].get<std::string>().find("SP.User"),
            std::string::npos);
  // Another site collection has its own list.
  r = get("/tenants/contoso/sites/other/_api/web/siteusers", adele(), kNoMeta);
  EXPECT_EQ(json::parse(r->body)["value"].size(), 0u);
}

TEST_F(SharePointTest, SiteUsersAreFoundByIdEmailAndLoginName) {
  const std::string api = "/tenants/contoso/sites/lookup/_api/web";
  ASSERT_EQ(post(api + "/ensureuser", app(), json({{"logonName", kMegan}}).dump())->status, 200);
  ASSERT_EQ(post(api + "/ensureuser", app(), json({{"logonName", kAdele}}).dump())->status, 200);
  auto login = [](const httplib::Result& r) {
    EXPECT_EQ(r->status, 200) << r->body;
    return r->status == 200 ? json::parse(r->body)["LoginName"].get<std::string>() : "";
  };
  EXPECT_EQ(login(get(api + "/siteusers/getbyid(2)", adele(), kNoMeta)), kAdele);
  EXPECT_EQ(login(get(api + "/getuserbyid(1)", adele(), kNoMeta)), kMegan);
  EXPECT_EQ(login(get(api + "/siteusers/getByEmail('ADELE@contoso.com')", adele(), kNoMeta)),
            kAdele);
  // PnPjs's getByLoginName: siteusers('!@v::login') becomes siteusers(@v1)?@v1='login'.
  EXPECT_EQ(
      login(get(api + "/siteusers(@v1)?@v1=%27i%3A0%23.f%7Cmembership%7Cadele%40contoso.com%27",
                adele(), kNoMeta)),
      kAdele);
  EXPECT_EQ(login(get(api + "/siteusers/getbyloginname(@v)?" + kAdeleAlias, adele(), kNoMeta)),
            kAdele);
  // Not there: 404 in SharePoint's shape.
  auto r = get(api + "/siteusers/getbyid(99)", adele(), kNoMeta);
  EXPECT_EQ(r->status, 404);
  EXPECT_EQ(error_message(r),
            "User id 99 is not in the user list of site collection '/sites/lookup'.");
  r = get(api + "/siteusers/getbyid(x1)", adele(), kNoMeta);
  EXPECT_EQ(r->status, 400);
  EXPECT_EQ(error_message(r), "The user id 'x1' in getbyid is not a positive whole number.");
  r = get(api + "/siteusers/getbyemail('nobody@contoso.com')", adele(), kNoMeta);
  EXPECT_EQ(r->status, 404);
  r = get(api + "/siteusers/frobnicate(1)", adele(), kNoMeta);
  EXPECT_EQ(r->status, 404);
}

TEST_F(SharePointTest, OnlyAdminsAndAppsChangeASitesUsersAndBadRequestsChangeNothing) {
  const std::string api = "/tenants/contoso/sites/perm/_api/web";
  auto users = [&] { return get(api + "/siteusers", app(), kNoMeta)->body; };
  const std::string empty = users();
  auto r = post(api + "/ensureuser", adele(), json({{"logonName", kMegan}}).dump(), kNoMeta);
  EXPECT_EQ(r->status, 403) << r->body;
  EXPECT_NE(error_message(r).find("site users are managed by admins and apps"), std::string::npos);
  r = post(api + "/ensureuser", app(), json({{"logonName", "nobody@contoso.com"}}).dump(), kNoMeta);
  EXPECT_EQ(r->status, 404);
  EXPECT_EQ(error_message(r), "The specified user nobody@contoso.com could not be found.");
  r = post(api + "/ensureuser", app(), "{\"logonName\": ", kNoMeta);
  EXPECT_EQ(r->status, 400);
  r = post(api + "/ensureuser", app(), json({{"logonName", 7}}).dump(), kNoMeta);
  EXPECT_EQ(r->status, 400);
  EXPECT_EQ(error_message(r), "'logonName' in the request body must be a string, got number.");
  r = post(api + "/siteusers", app(), json({{"Title", "x"}}).dump(), kNoMeta);
  EXPECT_EQ(r->status, 400);
  EXPECT_EQ(error_message(r), "The request body has no 'LoginName'.");
  EXPECT_EQ(users(), empty);

  // PnPjs siteUsers.add(login) posts {LoginName}.
  r = post(api + "/siteusers", sam(), json({{"LoginName", kAdele}}).dump(), kNoMeta);
  ASSERT_EQ(r->status, 200) << r->body;
  const std::string one = users();
  // MERGE: only IsSiteAdmin; the rest comes from the profile.
  r = post(api + "/siteusers/getbyid(1)", adele(), json({{"IsSiteAdmin", true}}).dump(), kNoMeta,
           {{"X-HTTP-Method", "MERGE"}});
  EXPECT_EQ(r->status, 403);
  r = post(api + "/siteusers/getbyid(1)", app(), json({{"Title", "Boss"}}).dump(), kNoMeta,
           {{"X-HTTP-Method", "MERGE"}});
  EXPECT_EQ(r->status, 400);
  EXPECT_NE(error_message(r).find("'Title' of a site user cannot be set"), std::string::npos);
  r = post(api + "/siteusers/getbyid(1)", app(), json({{"IsSiteAdmin", "yes"}}).dump(), kNoMeta,
           {{"X-HTTP-Method", "MERGE"}});
  EXPECT_EQ(r->status, 400);
  EXPECT_EQ(users(), one);
  r = post(api + "/siteusers/getbyid(1)", app(),
           json({{"__metadata", {{"type", "SP.User"}}}, {"IsSiteAdmin", true}}).dump(), kVerbose,
           {{"X-HTTP-Method", "MERGE"}});
  EXPECT_EQ(r->status, 204) << r->body;
  EXPECT_EQ(json::parse(get(api + "/getuserbyid(1)", adele(), kNoMeta)->body)["IsSiteAdmin"], true);

  // Removal: by id (PnPjs removeById), by login name, or DELETE on the user.
  r = post(api + "/siteusers/removebyid(1)", adele(), "", kNoMeta);
  EXPECT_EQ(r->status, 403);
  r = post(api + "/siteusers/removebyid(1)", megan(), "", kNoMeta);
  EXPECT_EQ(r->status, 200) << r->body;
  EXPECT_EQ(json::parse(r->body), json({{"odata.null", true}}));
  EXPECT_EQ(users(), empty);
  ASSERT_EQ(post(api + "/ensureuser", app(), json({{"logonName", kMegan}}).dump())->status, 200);
  r = post(
      api +
          "/siteusers/removebyloginname(@v)?@v=%27i%3A0%23.f%7Cmembership%7Cmegan%40contoso.com%27",
      app(), "", kNoMeta);
  EXPECT_EQ(r->status, 200) << r->body;
  EXPECT_EQ(users(), empty);
}

TEST_F(SharePointTest, CurrentUserJoinsTheSiteOnFirstAccess) {
  const std::string api = "/tenants/contoso/sites/visit/_api/web";
  auto r = get(api + "/currentuser", adele(), kNoMeta);
  ASSERT_EQ(r->status, 200) << r->body;
  json me = json::parse(r->body);
  EXPECT_EQ(me["LoginName"], kAdele);
  EXPECT_EQ(me["Id"], 1);
  EXPECT_EQ(json::parse(get(api + "/currentuser", adele(), kNoMeta)->body)["Id"], 1);
  r = get(api + "/currentuser", app(), kNoMeta);
  EXPECT_EQ(r->status, 404);
  r = get(api + "/currentuser", sam(), kNoMeta);  // no profile, not an education tenant
  EXPECT_EQ(r->status, 404);
  r = post(api + "/currentuser", adele(), "", kNoMeta);
  EXPECT_EQ(r->status, 405);
}

TEST_F(SharePointTest, TheUserInformationListShowsTheCopiedFields) {
  const std::string api = "/tenants/contoso/sites/uil/_api/web";
  ASSERT_EQ(post(api + "/ensureuser", app(), json({{"logonName", kAdele}}).dump())->status, 200);
  auto r = get(api + "/siteuserinfolist", adele(), kNoMeta);
  ASSERT_EQ(r->status, 200) << r->body;
  EXPECT_EQ(json::parse(r->body)["Title"], "User Information List");
  EXPECT_EQ(json::parse(r->body)["ItemCount"], 1);
  r = get(api + "/siteuserinfolist/items", adele(), kNoMeta);
  ASSERT_EQ(r->status, 200) << r->body;
  json item = json::parse(r->body)["value"][0];
  EXPECT_EQ(item["Id"], 1);
  EXPECT_EQ(item["Name"], kAdele);
  EXPECT_EQ(item["FirstName"], "Adele");
  EXPECT_EQ(item["LastName"], "Vance");
  EXPECT_EQ(item["EMail"], "adele@contoso.com");
  EXPECT_EQ(item["JobTitle"], "Retail Manager");
  EXPECT_EQ(item["Manager"], kMegan);
  EXPECT_FALSE(item.contains("SPS_x002d_Skills")) << "not synced to sites";
  r = get(api + "/siteuserinfolist/items(1)", adele(), kVerbose);
  ASSERT_EQ(r->status, 200) << r->body;
  EXPECT_EQ(json::parse(r->body)["d"]["__metadata"]["type"], "SP.Data.UserInfoItem");
  EXPECT_EQ(get(api + "/siteuserinfolist/items/getbyid(1)", adele(), kNoMeta)->status, 200);
  EXPECT_EQ(get(api + "/siteuserinfolist/items(5)", adele(), kNoMeta)->status, 404);
  EXPECT_EQ(post(api + "/siteuserinfolist/items", app(), "{}", kNoMeta)->status, 405);
}

TEST_F(SharePointTest, FilesUploadListReadAndDelete) {
  // A person writes once the site makes them a member (everyone else only reads).
  ASSERT_EQ(run({"--data-dir", data_, "site", "permission", "grant", "-t", "contoso", "/sites/hr",
                 "--role", "member", "--user", "adele@contoso.com"}),
            0);
  std::string t = adele();
  std::string content("{\"value\":[]}\0binary\xff", 20);
  auto r =
      post(folder_path(kLib + "/files") + "/files/AddUsingPath(decodedurl='a.json',Overwrite=true)",
           t, content);
  ASSERT_EQ(r->status, 200) << r->body;
  json f = json::parse(r->body);
  EXPECT_EQ(f["odata.type"], "SP.File");
  EXPECT_EQ(f["Name"], "a.json");
  EXPECT_EQ(f["ServerRelativeUrl"], kLib + "/files/a.json");
  EXPECT_EQ(f["Length"], "20");
  EXPECT_EQ(f["UniqueId"].get<std::string>().size(), 36u);
  EXPECT_FALSE(f["TimeLastModified"].get<std::string>().empty());

  // Legacy form with a literal path, and a doubled quote in the name.
  r = post(kApi +
               "/web/GetFolderByServerRelativeUrl('/sites/hr/Shared%20Documents/files')"
               "/Files/add(url='it''s.txt',overwrite=true)",
           t, "hello", kNoMeta);
  ASSERT_EQ(r->status, 200) << r->body;
  EXPECT_EQ(json::parse(r->body)["Name"], "it's.txt");

  r = get(file_path(kLib + "/files/a.json") + "/$value", t);
  ASSERT_EQ(r->status, 200);
  EXPECT_EQ(r->body, content);
  r = get(
      kApi +
          "/web/GetFileByServerRelativeUrl('/sites/hr/Shared%20Documents/files/it''s.txt')/$value",
      t);
  EXPECT_EQ(r->body, "hello");
  r = get(file_path(kLib + "/files/a.json"), t, kVerbose);
  EXPECT_EQ(json::parse(r->body)["d"]["__metadata"]["type"], "SP.File");

  // Listing: files and folders.
  r = post(folder_path(kLib + "/files/sub") + "/files/AddUsingPath(decodedurl='b.txt')", t, "b");
  ASSERT_EQ(r->status, 200) << r->body;
  r = get(folder_path(kLib + "/files") + "/files", t, kNoMeta);
  ASSERT_EQ(r->status, 200) << r->body;
  json files = json::parse(r->body)["value"];
  ASSERT_EQ(files.size(), 2u);
  EXPECT_EQ(files[0]["Name"], "a.json");
  EXPECT_EQ(files[1]["Name"], "it's.txt");
  r = get(folder_path(kLib + "/files") + "/folders", t, kVerbose);
  json folders = json::parse(r->body)["d"]["results"];
  ASSERT_EQ(folders.size(), 1u);
  EXPECT_EQ(folders[0]["Name"], "sub");
  EXPECT_EQ(folders[0]["ItemCount"], 1);
  r = get(folder_path(kLib + "/files"), t, kNoMeta);
  EXPECT_EQ(json::parse(r->body)["ItemCount"], 3);

  // No overwrite: refused, content kept.
  r = post(folder_path(kLib + "/files") + "/files/AddUsingPath(decodedurl='a.json')", t, "new");
  EXPECT_EQ(r->status, 409);
  EXPECT_NE(error_message(r).find("Overwrite=true"), std::string::npos);
  EXPECT_EQ(get(file_path(kLib + "/files/a.json") + "/$value", t)->body, content);

  // Replace the content, then delete (tunnelled and plain DELETE).
  r = post(file_path(kLib + "/files/a.json") + "/$value", t, "v2", kMinimal,
           {{"X-HTTP-Method", "PUT"}});
  EXPECT_EQ(r->status, 200) << r->body;
  EXPECT_EQ(get(file_path(kLib + "/files/a.json") + "/$value", t)->body, "v2");
  r = post(file_path(kLib + "/files/a.json"), t, "", kMinimal, {{"X-HTTP-Method", "DELETE"}});
  EXPECT_EQ(r->status, 200) << r->body;
  EXPECT_EQ(get(file_path(kLib + "/files/a.json"), t)->status, 404);
  auto d = client().Delete(file_path(kLib + "/files/sub/b.txt").c_str(), headers(t, kMinimal));
  EXPECT_EQ(d->status, 200) << d->body;
  EXPECT_EQ(get(file_path(kLib + "/files/sub/b.txt") + "/$value", t)->status, 404);
  // Writes need a token.
  r = post(folder_path(kLib + "/files") + "/files/AddUsingPath(decodedurl='c.json')", "", "x");
  EXPECT_EQ(r->status, 401);
  EXPECT_EQ(get(file_path(kLib + "/files/c.json"), t)->status, 404);
}

TEST_F(SharePointTest, BadFilePathsAre4xxAndWriteNothing) {
  std::string t = app();
  std::string listing = get(folder_path(kLib) + "/files", t, kNoMeta)->body;
  struct Case {
    std::string path;
    int status;
  };
  std::vector<Case> cases = {
      {folder_path(kLib + "/../../etc") + "/files/AddUsingPath(decodedurl='x.json')", 400},
      {folder_path(kLib) + "/files/AddUsingPath(decodedurl='..%2F..%2Fx.json')", 400},
      {kApi + "/web/GetFolderByServerRelativeUrl('/sites/hr/Shared%20Documents/..')/Files/"
              "add(url='x.json',overwrite=true)",
       400},
      {folder_path("/tenants/fabrikam" + kLib) + "/files/AddUsingPath(decodedurl='x.json')", 400},
      {folder_path("https://fabrikam.sharepoint.com" + kLib) +
           "/files/AddUsingPath(decodedurl='x.json')",
       400},
      {folder_path("/nosite") + "/files/AddUsingPath(decodedurl='x.json')", 400},
      {folder_path(kLib) + "/files/AddUsingPath(decodedurl='x.json',Overwrite=maybe)", 400},
      {folder_path(kLib) + "/files/AddUsingPath()", 400},
      {kApi + "/web/getFolderByServerRelativePath(decodedUrl='/sites/hr/Shared Documents)/files",
       400},
      {folder_path(kLib) + "/files/Unknown(x=1)", 404},
      {kApi + "/web/lists", 404},
  };
  for (const Case& c : cases) {
    auto r = post(c.path, t, "{}");
    ASSERT_TRUE(r) << c.path;
    EXPECT_EQ(r->status, c.status) << c.path << " → " << r->body;
    EXPECT_NE(r->body.find("odata.error"), std::string::npos);
  }
  EXPECT_EQ(get(folder_path(kLib) + "/files", t, kNoMeta)->body, listing);
  // Another tenant's files are never visible from this one.
  auto up = post("/tenants/fabrikam/sites/hr/_api/web/getFolderByServerRelativePath(decodedUrl='" +
                     httplib::detail::encode_query_param(kLib) +
                     "')/files/AddUsingPath(decodedurl='secret.txt')",
                 app_token(fabrikam_app_, "fabrikam"), "fabrikam's");
  ASSERT_EQ(up->status, 200) << up->body;
  EXPECT_EQ(get(file_path("/tenants/fabrikam" + kLib + "/secret.txt") + "/$value", t)->status, 400);
  EXPECT_EQ(get(file_path(kLib + "/secret.txt") + "/$value", t)->status, 404);
}

}  // namespace
}  // namespace upsync::testing
