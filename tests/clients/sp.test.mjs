// @pnp/sp and @pnp/sp-admin, unchanged but for the base URL and a bearer token, against
// upsync serve: profiles read and set in all three OData modes, files uploaded and read,
// site users ensured, looked up and removed, seed 003's bulk import queued, polled to its
// end and its log read back, a library's permissions managed with @pnp/sp/security, the
// people picker searched and resolved, and people followed with sp.social and sp.profiles.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { spfi, DefaultHeaders, DefaultInit } from "@pnp/sp";
import "@pnp/sp/webs/index.js";
import "@pnp/sp/profiles/index.js";
import "@pnp/sp/files/index.js";
import "@pnp/sp/folders/index.js";
import "@pnp/sp/site-users/web.js";
import "@pnp/sp/lists/web.js";
import "@pnp/sp/items/index.js";
import "@pnp/sp/security/index.js";
import "@pnp/sp/social/index.js";
import "@pnp/sp-admin";
import { DefaultParse, InjectHeaders } from "@pnp/queryable";
import { NodeFetch } from "@pnp/nodejs";
import { Upsync } from "./lib/upsync.mjs";

const up = new Upsync();
const adele = "i:0#.f|membership|adele@contoso.com";
const megan = "i:0#.f|membership|megan@contoso.com";
const lib = "/sites/hr/Shared Documents";
const modes = {
  minimal: "application/json",
  nometadata: "application/json;odata=nometadata",
  verbose: "application/json;odata=verbose",
};
let app;

before(async () => {
  app = up.addTenant("contoso");
  up.cli("user", "password", "set", "--tenant", "contoso", "adele@contoso.com",
    "--password", "adele-password");
  up.cli("user", "password", "set", "--tenant", "contoso", "sam@contoso.com",
    "--role", "sharepoint-admin", "--password", "sam-password");
  up.cli("property", "add", "--tenant", "contoso", "City");
  up.cli("property", "add", "--tenant", "contoso", "CostCenter", "--type", "integer");
  up.cli("profile", "create", "--tenant", "contoso", megan, "--set", "PreferredName=Megan Bowen",
    "--set", "WorkEmail=megan@contoso.com");
  up.cli("profile", "create", "--tenant", "contoso", adele, "--set", "PreferredName=Adele Vance",
    "--set", "WorkEmail=adele@contoso.com", "--set", `Manager=${megan}`,
    "--set", "SPS-Skills=C++", "--set", "SPS-Skills=Rust");
  // The import worker inside `upsync serve` runs the queued jobs.
  await up.start(["--worker-interval", "0.1"]);
});
after(() => up.stop());

// PnPjs as a Node app would set it up without MSAL (reference/test-infra README §4).
function sp(token, accept) {
  const headers = { Authorization: `Bearer ${token}` };
  if (accept) headers.Accept = accept;
  return spfi(`${up.origin}/tenants/contoso/sites/hr`).using(DefaultHeaders(), DefaultInit(),
    NodeFetch(), DefaultParse(), InjectHeaders(headers));
}

function stored(account) {
  return up.cli("--json", "profile", "get", "--tenant", "contoso", account).properties;
}

// The collections of a PersonProperties: plain arrays, or {results:[...]} in verbose.
const list = (v) => (Array.isArray(v) ? v : v.results);

test("sp.web() reads the web", async () => {
  const web = await sp(await up.appToken("contoso", app)).web();
  assert.equal(web.Title, "hr");
  assert.equal(web.ServerRelativeUrl, "/sites/hr");
  assert.equal(web.Url, `${up.origin}/tenants/contoso/sites/hr`);
});

for (const [mode, accept] of Object.entries(modes)) {
  test(`profiles read and set with ${mode}`, async () => {
    const client = sp(await up.appToken("contoso", app), accept);
    const props = await client.profiles.getPropertiesFor(adele);
    assert.equal(props.AccountName, adele);
    assert.equal(props.DisplayName, "Adele Vance");
    assert.equal(props.Email, "adele@contoso.com");
    assert.deepEqual(list(props.ExtendedManagers), [megan]);
    const skills = list(props.UserProfileProperties).find((p) => p.Key === "SPS-Skills");
    assert.equal(skills.Value, "C++|Rust");
    assert.equal(skills.ValueType, "Edm.String");
    if (mode === "minimal") assert.equal(props["odata.type"], "SP.UserProfiles.PersonProperties");
    if (mode === "nometadata") assert.equal(props["odata.type"], undefined);
    if (mode === "verbose") assert.equal(props.__metadata.type, "SP.UserProfiles.PersonProperties");

    const boss = await client.profiles.getPropertiesFor("megan@contoso.com");
    assert.deepEqual(list(boss.DirectReports), [adele]);

    await client.profiles.setSingleValueProfileProperty(adele, "City", `City-${mode}`);
    assert.equal(stored(adele).City, `City-${mode}`);
    await client.profiles.setMultiValuedProfileProperty(adele, "SPS-School", [mode, "MIT"]);
    assert.deepEqual(stored(adele)["SPS-School"], [mode, "MIT"]);

    // A scalar: PnPjs unwraps {"value":...}; in verbose it returns {"<Method>": ...}.
    const city = await client.profiles.getUserProfilePropertyFor(adele, "City");
    if (mode === "verbose") {
      assert.deepEqual(city, { GetUserProfilePropertyFor: "City-verbose" });
    } else {
      assert.equal(city, `City-${mode}`);
    }
    // An unknown user is a null result, not an error.
    assert.deepEqual(await client.profiles.getPropertiesFor("nobody@contoso.com"),
      { "odata.null": true });
  });
}

for (const [mode, accept] of Object.entries(modes)) {
  test(`site users ensured, listed, found and removed with ${mode}`, async () => {
    const client = sp(await up.appToken("contoso", app), accept);
    const web = client.web;
    const ensured = await web.ensureUser(adele);
    assert.equal(ensured.LoginName, adele);
    assert.equal(ensured.Title, "Adele Vance");
    assert.equal(ensured.Email, "adele@contoso.com");
    await web.siteUsers.add(megan);
    const users = await web.siteUsers();
    assert.deepEqual(users.map((u) => u.LoginName).sort(), [adele, megan]);
    const byLogin = await web.siteUsers.getByLoginName(megan)();
    assert.equal(byLogin.Title, "Megan Bowen");
    const byEmail = await web.siteUsers.getByEmail("adele@contoso.com")();
    assert.equal(byEmail.Id, ensured.Id);
    assert.equal((await web.getUserById(ensured.Id)()).LoginName, adele);
    const items = await web.siteUserInfoList.items();
    const adeleItem = items.find((i) => i.Name === adele);
    assert.equal(adeleItem.EMail, "adele@contoso.com");
    assert.equal(adeleItem.Manager, megan);
    await web.siteUsers.removeById(byLogin.Id);
    await web.siteUsers.removeByLoginName(adele);
    assert.deepEqual(await web.siteUsers(), []);
  });
}

for (const [mode, accept] of Object.entries(modes)) {
  test(`site users and the user list filtered, selected, ordered and paged with ${mode}`,
    async () => {
      const web = sp(await up.appToken("contoso", app), accept).web;
      const a = await web.ensureUser(adele);
      const m = await web.ensureUser(megan);
      // Asked for less, a client gets less: nobody matches, nobody is listed.
      assert.deepEqual(await web.siteUsers.filter("Email eq 'nobody@x.com'")(), []);
      const found = await web.siteUsers.filter("Email eq 'ADELE@contoso.com'")
        .select("Id", "Title")();
      assert.equal(found.length, 1);
      assert.equal(found[0].Id, a.Id);
      assert.equal(found[0].Title, "Adele Vance");
      assert.equal(found[0].LoginName, undefined);
      const first = await web.siteUsers.orderBy("Title", false).top(1)();
      assert.deepEqual(first.map((u) => u.Title), ["Megan Bowen"]);
      const either = await web.siteUsers
        .filter("(startswith(Title,'meg') or substringof('zzz',Email)) and IsSiteAdmin eq false")();
      assert.deepEqual(either.map((u) => u.Id), [m.Id]);
      assert.deepEqual((await web.siteUsers.skip(1).orderBy("Id")()).map((u) => u.Id), [m.Id]);
      // What is not applied is refused, never ignored.
      await assert.rejects(web.siteUsers.expand("Groups")(),
        (e) => e.status === 400 && /\$expand/.test(e.message));
      await assert.rejects(web.siteUsers.select("Nope")(),
        (e) => e.status === 400 && /'Nope' does not exist on type 'SP.User'/.test(e.message));
      await assert.rejects(web.siteUsers.filter("Id eq 'one'")(),
        (e) => e.status === 400 && /position 6/.test(e.message));
      // The user information list pages by $skiptoken, PnPjs following each page's next link.
      const pages = [];
      for await (const page of web.siteUserInfoList.items.select("Id", "Title").top(1)) {
        pages.push(page.map((i) => i.Id));
      }
      assert.deepEqual(pages, [[a.Id], [m.Id]]);
      assert.deepEqual((await web.siteUserInfoList.items.skip(a.Id)()).map((i) => i.Id), [m.Id]);
      await web.siteUsers.removeById(a.Id);
      await web.siteUsers.removeById(m.Id);
    });
}

test("myProperties.select() answers only the selected PersonProperties", async () => {
  const client = sp(await up.userToken("contoso", app, "adele@contoso.com", "adele-password"));
  const me = await client.profiles.myProperties.select("DisplayName", "UserProfileProperties")();
  assert.equal(me.DisplayName, "Adele Vance");
  assert.ok(me.UserProfileProperties.some((p) => p.Key === "WorkEmail"));
  assert.equal(me.AccountName, undefined);
  assert.equal(me.Email, undefined);
  await assert.rejects(client.profiles.myProperties.expand("DirectReports")(),
    (e) => e.status === 400 && /\$expand/.test(e.message));
});

test("web.currentUser adds the signed-in person to the site on first access", async () => {
  const token = await up.userToken("contoso", app, "adele@contoso.com", "adele-password");
  const me = await sp(token).web.currentUser();
  assert.equal(me.LoginName, adele);
  const listed = await sp(await up.appToken("contoso", app)).web.siteUsers.getById(me.Id)();
  assert.equal(listed.LoginName, adele);
  await sp(await up.appToken("contoso", app)).web.siteUsers.removeById(me.Id);
});

test("a user reads their own profile and sets only their own user-editable properties",
  async () => {
    const client = sp(await up.userToken("contoso", app, "adele@contoso.com", "adele-password"));
    const me = await client.profiles.myProperties();
    assert.equal(me.AccountName, adele);
    await client.profiles.setSingleValueProfileProperty(adele, "AboutMe", "Hello");
    assert.equal(stored(adele).AboutMe, "Hello");
    await assert.rejects(client.profiles.setSingleValueProfileProperty(adele, "City", "Oslo"),
      (e) => e.status === 403 && /managing your own data/.test(e.message));
    await assert.rejects(client.profiles.setSingleValueProfileProperty(megan, "AboutMe", "x"),
      (e) => e.status === 403);
    assert.equal(stored(megan).AboutMe, undefined);
  });

test("bad property names and values are 400s that say what", async () => {
  const client = sp(await up.appToken("contoso", app));
  await assert.rejects(client.profiles.setSingleValueProfileProperty(adele, "Nope", "x"),
    (e) => e.status === 400 && /'Nope' does not exist/.test(e.message));
  await assert.rejects(client.profiles.setSingleValueProfileProperty(adele, "CostCenter", "abc"),
    (e) => e.status === 400 && /CostCenter/.test(e.message) && /abc/.test(e.message));
  await assert.rejects(client.profiles.getFollowersFor("i:0#.f|membership|nobody@contoso.com"),
    (e) => e.status === 404 && /could not be found/.test(e.message));
});

async function upload(client, folder, name, text) {
  return client.web.getFolderByServerRelativePath(folder).files
    .addUsingPath(name, text, { Overwrite: true });
}

// Polls the job as PnP PowerShell's -Wait does (but every 100 ms) until the server's own
// worker has run it to an end.
async function runJob(admin, id) {
  for (let i = 0; i < 200; i++) {
    const job = await admin.office365Tenant.getImportProfilePropertyJob(id);
    if (job.State === 4 || job.State === 5) return job;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`import job ${id} did not end`);
}

// The log folder of a job, read back through the file endpoints.
async function readLog(client, job) {
  const url = new URL(job.LogFolderUri);
  assert.equal(url.origin, up.origin);
  const folder = decodeURIComponent(url.pathname).replace(/^\/tenants\/contoso/, "");
  const files = await client.web.getFolderByServerRelativePath(folder).files();
  assert.equal(files.length, 1);
  return client.web.getFileByServerRelativePath(files[0].ServerRelativeUrl).getText();
}

test("bulk import: upload, queue, poll to Succeeded, profiles changed", async () => {
  const client = sp(await up.appToken("contoso", app));
  const file = await upload(client, `${lib}/import`, "users.json", JSON.stringify({
    value: [
      { IdName: "adele@contoso.com", City: "Bergen", Cost: "4711" },
      { IdName: "megan@contoso.com", City: "Turku" },
    ],
  }));
  assert.equal(file.ServerRelativeUrl, `${lib}/import/users.json`);
  assert.equal(await client.web.getFileByServerRelativePath(file.ServerRelativeUrl).getText(),
    JSON.stringify({ value: [{ IdName: "adele@contoso.com", City: "Bergen", Cost: "4711" },
      { IdName: "megan@contoso.com", City: "Turku" }] }));

  const id = await client.admin.office365Tenant.queueImportProfileProperties(0, "IdName",
    { City: "City", Cost: "CostCenter" },
    `${up.origin}/tenants/contoso${lib}/import/users.json`);
  assert.match(id, /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
  const job = await runJob(client.admin, id);
  assert.equal(job.State, 4, JSON.stringify(job));
  assert.equal(job.Error, 0);
  assert.equal(job.LogFolderUri, null);
  assert.equal(stored(adele).City, "Bergen");
  assert.equal(stored(adele).CostCenter, "4711");
  assert.equal(stored(megan).City, "Turku");
  const all = await client.admin.office365Tenant.getImportProfilePropertyJobs();
  assert.ok(all.some((j) => j.JobId === id));
});

test("bulk import: an unknown id ends ImportCompleteWithError with a readable log", async () => {
  const client = sp(await up.appToken("contoso", app), modes.nometadata);
  await upload(client, `${lib}/import`, "partly.json", JSON.stringify({
    value: [{ IdName: "ghost@contoso.com", City: "Nowhere" },
      { IdName: "megan@contoso.com", City: "Espoo" }],
  }));
  // The map in the metadata's own encoding, Collection(SP.KeyValue).
  const id = await client.admin.office365Tenant.queueImportProfileProperties(0, "IdName",
    [{ Key: "City", Value: "City", ValueType: "Edm.String" }], `${lib}/import/partly.json`);
  const job = await runJob(client.admin, id);
  assert.equal(job.State, 5);
  assert.equal(job.Error, 30);
  assert.equal(job.LogFileUri, job.LogFolderUri);
  assert.equal(stored(megan).City, "Espoo");
  assert.match(await readLog(client, job),
    /IdentityNotResolvable ghost@contoso.com User identity cannot be resolved/);
});

test("bulk import: a file that is not JSON ends InvalidDataFile with the position", async () => {
  const client = sp(await up.appToken("contoso", app), modes.verbose);
  await upload(client, `${lib}/import`, "broken.json", '{"value":[{"IdName":"a@contoso.com",}]}');
  const queued = await client.admin.office365Tenant.queueImportProfileProperties("Email", "IdName",
    { __metadata: { type: "Collection(SP.KeyValue)" }, results: [{ Key: "City", Value: "City" }] },
    `${lib}/import/broken.json`);
  // Verbose scalars come back as {"d":{"<Method>":...}}, which PnPjs leaves wrapped (trap 4).
  const id = queued.QueueImportProfileProperties;
  const job = await runJob(client.admin, id);
  assert.equal(job.State, 5);
  assert.equal(job.Error, 23);
  assert.match(job.ErrorMessage, /DataFileNotJson/);
  assert.match(await readLog(client, job), /DataFileNotJson .*line 1/);
});

test("bulk import: a SharePoint admin is refused, and a queued job can be deleted", async () => {
  // A second server without a worker, so that the job stays Queued until it is deleted.
  const idle = new Upsync();
  try {
    const idleApp = idle.addTenant("contoso");
    idle.cli("user", "password", "set", "--tenant", "contoso", "sam@contoso.com",
      "--role", "sharepoint-admin", "--password", "sam-password");
    idle.cli("property", "add", "--tenant", "contoso", "City");
    await idle.start(["--no-worker"]);
    const on = (token) => spfi(`${idle.origin}/tenants/contoso/sites/hr`).using(DefaultHeaders(),
      DefaultInit(), NodeFetch(), DefaultParse(),
      InjectHeaders({ Authorization: `Bearer ${token}` }));
    const samClient = on(await idle.userToken("contoso", idleApp, "sam@contoso.com",
      "sam-password"));
    await assert.rejects(
      samClient.admin.office365Tenant.queueImportProfileProperties(0, "IdName", { City: "City" },
        `${lib}/import/users.json`),
      (e) => e.status === 403 && /global admin or app-only access/.test(e.message));
    const client = on(await idle.appToken("contoso", idleApp));
    await assert.rejects(
      client.admin.office365Tenant.queueImportProfileProperties(0, "IdName", { A: "AboutMe" },
        `${lib}/import/users.json`),
      (e) => e.status === 400 &&
        /Property Names \[AboutMe\] are editable by user\./.test(e.message));
    await upload(client, `${lib}/import`, "users.json", '{"value":[]}');
    const id = await client.admin.office365Tenant.queueImportProfileProperties(0, "IdName",
      { City: "City" }, `${lib}/import/users.json`);
    const queued = await client.admin.office365Tenant.getImportProfilePropertyJob(id);
    assert.equal(queued.State, 3);  // Queued
    await assert.rejects(samClient.admin.office365Tenant.deleteImportProfilePropertiesJob(id),
      (e) => e.status === 403);
    assert.equal(await client.admin.office365Tenant.deleteImportProfilePropertiesJob(id), true);
    await assert.rejects(client.admin.office365Tenant.getImportProfilePropertyJob(id),
      (e) => e.status === 404);
    assert.deepEqual(await client.admin.office365Tenant.getImportProfilePropertyJobs(), []);
  } finally {
    await idle.stop();
  }
});

test("library permissions with @pnp/sp/security: break, add, list, remove, reset", async () => {
  const admin = sp(await up.appToken("contoso", app), modes.nometadata);
  const user = sp(await up.userToken("contoso", app, "adele@contoso.com", "adele-password"));
  await admin.web.getFolderByServerRelativePath("/sites/hr/Locked").files
    .addUsingPath("plan.txt", "secret", { Overwrite: true });
  const file = (client) => client.web.getFileByServerRelativePath("/sites/hr/Locked/plan.txt");
  // Everyone reads by default; a plain user may not write or manage permissions.
  assert.equal(await file(user).getText(), "secret");
  await assert.rejects(user.web.getFolderByServerRelativePath("/sites/hr/Locked").files
    .addUsingPath("plan.txt", "mine", { Overwrite: true }), /Access denied/);
  const locked = (client) => client.web.lists.getByTitle("Locked");
  await assert.rejects(locked(user).breakRoleInheritance(false, true), /Access denied/);

  await locked(admin).breakRoleInheritance(false, true);
  await assert.rejects(file(user).getText(), /Access denied/);
  const contribute = await admin.web.roleDefinitions.getByName("Contribute")();
  assert.equal(contribute.Id, 1073741827);
  const { Id: adeleId } = await admin.web.ensureUser(adele);
  await locked(admin).roleAssignments.add(adeleId, contribute.Id);
  const assignments = await locked(admin).roleAssignments.expand("Member",
    "RoleDefinitionBindings")();
  assert.deepEqual(assignments.map((a) => [a.PrincipalId, a.Member.LoginName,
    a.RoleDefinitionBindings.map((b) => b.Name)]), [[adeleId, adele, ["Contribute"]]]);
  await user.web.getFolderByServerRelativePath("/sites/hr/Locked").files
    .addUsingPath("plan.txt", "adele's", { Overwrite: true });
  assert.equal(await file(admin).getText(), "adele's");
  await locked(admin).roleAssignments.remove(adeleId, contribute.Id);
  await assert.rejects(file(user).getText(), /Access denied/);
  await locked(admin).resetRoleInheritance();
  assert.equal(await file(user).getText(), "adele's");
});

for (const [mode, accept] of Object.entries(modes)) {
  test(`the people picker searches and resolves with ${mode}`, async () => {
    const client = sp(await up.appToken("contoso", app), accept);
    const found = await client.profiles.clientPeoplePickerSearchUser({
      AllowEmailAddresses: true, AllowMultipleEntities: false, MaximumEntitySuggestions: 10,
      PrincipalSource: 15, PrincipalType: 1, QueryString: "meg",
    });
    assert.equal(found.length, 1);
    assert.equal(found[0].Key, megan);
    assert.equal(found[0].DisplayText, "Megan Bowen");
    assert.equal(found[0].EntityType, "User");
    assert.equal(found[0].EntityData.Email, "megan@contoso.com");
    assert.equal(found[0].IsResolved, true);
    const resolved = await client.profiles.clientPeoplePickerResolveUser({
      MaximumEntitySuggestions: 1, QueryString: "adele@contoso.com",
    });
    assert.equal(resolved.Key, adele);
    assert.equal(resolved.IsResolved, true);
    const nobody = await client.profiles.clientPeoplePickerResolveUser({
      MaximumEntitySuggestions: 1, QueryString: "nobody at all",
    });
    assert.equal(nobody.IsResolved, false);
    await assert.rejects(client.profiles.clientPeoplePickerSearchUser({
      MaximumEntitySuggestions: 5, QueryString: "meg", SharePointGroupID: 3,
    }), (e) => e.status === 404 && /Group cannot be found/.test(e.message));
  });
}

test("following with sp.social and sp.profiles", async () => {
  const user = sp(await up.userToken("contoso", app, "adele@contoso.com", "adele-password"));
  assert.equal(await user.social.follow({ ActorType: 0, AccountName: megan }), 0);
  assert.equal(await user.social.follow({ ActorType: 0, AccountName: megan }), 1);
  assert.equal(await user.social.isFollowed({ ActorType: 0, AccountName: megan }), true);
  const followed = await user.social.my.followed(1);
  assert.deepEqual(followed.map((a) => a.AccountName), [megan]);
  assert.equal(await user.social.my.followedCount(1), 1);
  assert.equal(await user.profiles.amIFollowing(megan), true);
  assert.equal(await user.profiles.isFollowing(adele, megan), true);
  const followers = await user.profiles.getFollowersFor(megan);
  assert.deepEqual(list(followers).map((p) => p.AccountName), [adele]);
  const byAdele = await user.profiles.getPeopleFollowedBy(adele);
  assert.deepEqual(list(byAdele).map((p) => p.AccountName), [megan]);
  assert.equal((await user.profiles.getPropertiesFor(megan)).IsFollowed, true);
  const admin = sp(await up.appToken("contoso", app));
  assert.equal((await admin.profiles.getPropertiesFor(megan)).IsFollowed, false);
  await assert.rejects(user.social.follow({ ActorType: 0, AccountName: "i:0#.f|membership|ghost@contoso.com" }),
    (e) => e.status === 404 && /could not be found/.test(e.message));
  await assert.rejects(user.social.follow({ ActorType: 2, ContentUri: `${up.origin}/sites/hr` }),
    (e) => e.status === 501);
  await assert.rejects(admin.social.follow({ ActorType: 0, AccountName: megan }),
    (e) => e.status === 403);
  await user.social.stopFollowing({ ActorType: 0, AccountName: megan });
  assert.equal(await user.profiles.amIFollowing(megan), false);
  assert.deepEqual(await user.social.my.followed(1), []);
});

test("sp.batched(): several profile reads, a changeset of writes, a failing part alone", async () => {
  const user = sp(await up.userToken("contoso", app, "adele@contoso.com", "adele-password"),
    modes.nometadata);
  const [batched, execute] = user.batched();
  const reads = [adele, megan].map((a) => batched.profiles.getPropertiesFor(a));
  const own = batched.profiles.setSingleValueProfileProperty(adele, "AboutMe", "set in a batch");
  // Adele may not set Megan's properties, in a batch as alone; the rest is not stopped.
  const others = batched.profiles.setSingleValueProfileProperty(megan, "AboutMe", "not hers");
  const mine = batched.profiles.myProperties();
  const before = up.log.length;
  await execute();
  const [a, m] = await Promise.all(reads);
  assert.equal(a.DisplayName, "Adele Vance");
  assert.equal(m.DisplayName, "Megan Bowen");
  await own;
  await assert.rejects(others, (e) => e.status === 403 && /UnauthorizedAccess|Access denied|only/i
    .test(e.message));
  assert.equal((await mine).AccountName, adele);
  assert.equal(stored(adele).AboutMe, "set in a batch");
  assert.notEqual(stored(megan).AboutMe, "not hers");
  // One request on the wire; the access log shows the batch and each request in it.
  await new Promise((r) => setTimeout(r, 300));
  const lines = up.log.slice(before).split("\n").filter((l) => l.startsWith("{"))
    .map((l) => JSON.parse(l));
  assert.equal(lines.filter((l) => l.target.endsWith("/_api/$batch")).length, 1);
  assert.deepEqual(lines.filter((l) => l.batchPart).map((l) => [l.batchPart, l.status]),
    [["1", 200], ["2", 200], ["3", 200], ["4", 403], ["5", 200]]);
});
