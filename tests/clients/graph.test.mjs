// @microsoft/microsoft-graph-client 3.0.7, unchanged but for its base URL, against upsync's
// Graph-compatible users API over HTTPS: list with PageIterator across pages, get by UPN, and
// follow users/delta through an add, a change and a delete made with the CLI between rounds;
// then groups synced from an LDIF export: listed, filtered, their (transitive) members; then
// the org chart (/me/manager, directReports, $expand=manager) and advanced queries ($search
// with ConsistencyLevel: eventual, $orderby, $count); and writes: a cloud-only user created
// and PATCHed (users/delta shows it), a synced one refused.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import {
  BatchRequestContent, BatchResponseContent, Client, PageIterator,
} from "@microsoft/microsoft-graph-client";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { Upsync } from "./lib/upsync.mjs";

const up = new Upsync();
const ids = {}; // upn → object id
let app;
let token;

function addUser(upn, ...sets) {
  const u = up.cli("--json", "directory", "user", "add", "--tenant", "contoso", upn,
    ...sets.flatMap((s) => ["--set", s]));
  ids[upn] = u.objectId;
  return u.objectId;
}

// The SDK sends the token only over https to a host in customHosts (trap 6).
function graph(baseUrl) {
  return Client.init({
    baseUrl,
    customHosts: new Set(["127.0.0.1"]),
    authProvider: (done) => done(null, token),
  });
}

// GET requests the server logged for a target prefix (its access log: one JSON object per
// line on stderr).
function logged(prefix) {
  return up.log.split("\n").filter((line) => {
    try {
      const entry = JSON.parse(line);
      return entry.method === "GET" && entry.target.startsWith(prefix);
    } catch {
      return false;
    }
  }).length;
}

async function allPages(client, first, requestOptions) {
  const items = [];
  const it = new PageIterator(client, first, (item) => { items.push(item); return true; },
    requestOptions);
  await it.iterate();
  return { items, deltaLink: it.getDeltaLink() };
}

before(async () => {
  app = up.addTenant("contoso");
  for (let i = 0; i < 12; i++) {
    addUser(`user${String(i).padStart(2, "0")}@contoso.com`, `displayName=User ${i}`,
      `jobTitle=${i % 2 ? "Odd" : "Even"}`);
  }
  await up.start();
  token = await up.appToken("contoso", app, "https://graph.microsoft.com/.default");
});
after(() => up.stop());

test("PageIterator walks every user once across pages of $top", async () => {
  const client = graph(`${up.origin}/tenants/contoso/`);
  const before = logged("/tenants/contoso/v1.0/users?");
  const first = await client.api("/users").select(["id", "userPrincipalName"]).top(5).get();
  assert.equal(first["@odata.context"],
    `${up.origin}/tenants/contoso/v1.0/$metadata#users(id,userPrincipalName)`);
  assert.match(first["@odata.nextLink"],
    new RegExp(`^${up.origin}/tenants/contoso/v1\\.0/users\\?.*\\$skiptoken=`));
  const { items } = await allPages(client, first);
  assert.equal(items.length, 12);
  assert.deepEqual(new Set(items.map((u) => u.id)), new Set(Object.values(ids)));
  assert.deepEqual(Object.keys(items[0]).sort(), ["id", "userPrincipalName"]);
  // 12 users in pages of 5: three requests, all authorized (a missing token is a 401).
  // The server logs a request after answering it: wait for the lines to arrive.
  for (let i = 0; i < 100 && logged("/tenants/contoso/v1.0/users?") - before < 3; i++) {
    await new Promise((r) => setTimeout(r, 20));
  }
  assert.equal(logged("/tenants/contoso/v1.0/users?") - before, 3);

  const odd = await allPages(client,
    await client.api("/users").filter("jobTitle eq 'Odd'").top(4).get());
  assert.equal(odd.items.length, 6);
  assert.ok(odd.items.every((u) => u.jobTitle === "Odd"));
});

test("get by user principal name, and Graph's errors through GraphError", async () => {
  const client = graph(`${up.origin}/tenants/contoso/`);
  const u = await client.api("/users/user03@contoso.com").select("id,displayName").get();
  assert.deepEqual(u, {
    "@odata.context": `${up.origin}/tenants/contoso/v1.0/$metadata#users(id,displayName)/$entity`,
    id: ids["user03@contoso.com"],
    displayName: "User 3",
  });
  await assert.rejects(client.api("/users/nobody@contoso.com").get(), (err) => {
    assert.equal(err.statusCode, 404);
    assert.equal(err.code, "Request_ResourceNotFound");
    assert.match(err.message, /Resource 'nobody@contoso.com' does not exist/);
    assert.ok(err.requestId);
    return true;
  });
  await assert.rejects(client.api("/users").filter("startswith(displayName,'User'").get(),
    (err) => {
      assert.equal(err.statusCode, 400);
      assert.equal(err.code, "BadRequest");
      assert.match(err.message, /expected '\)'.*at position 29/);
      return true;
    });
});

test("without a tenant in the path, the token names the tenant", async () => {
  const client = graph(`${up.origin}/`);
  const page = await client.api("/users").select("userPrincipalName").top(999).get();
  assert.equal(page.value.length, 12);
  assert.equal(page["@odata.nextLink"], undefined);
});

test("users/delta follows an add, a change and a delete between rounds", async () => {
  const client = graph(`${up.origin}/tenants/contoso/`);
  const options = { headers: { Prefer: "odata.maxpagesize=5" } };

  // Round 1: every user, in pages of 5, then a deltaLink.
  const first = await client.api("/users/delta").select("displayName,jobTitle")
    .header("Prefer", "odata.maxpagesize=5").get();
  assert.ok(first["@odata.nextLink"]);
  const r1 = await allPages(client, first, options);
  assert.equal(r1.items.length, 12);
  assert.deepEqual(new Set(r1.items.map((u) => u.id)), new Set(Object.values(ids)));
  assert.deepEqual(Object.keys(r1.items[0]).sort(), ["displayName", "id", "jobTitle"]);
  assert.match(r1.deltaLink,
    new RegExp(`^${up.origin}/tenants/contoso/v1\\.0/users/delta\\?\\$deltatoken=`));

  // Round 2: exactly the three changes.
  const added = addUser("new@contoso.com", "displayName=New Person", "jobTitle=Odd");
  up.cli("directory", "user", "set", "--tenant", "contoso", "user04@contoso.com",
    "--set", "displayName=Renamed Four");
  up.cli("directory", "user", "delete", "--tenant", "contoso", "user07@contoso.com");
  const r2 = await allPages(client, await client.api(r1.deltaLink).get(), options);
  const byId = Object.fromEntries(r2.items.map((o) => [o.id, o]));
  assert.equal(r2.items.length, 3);
  assert.deepEqual(byId[added], { displayName: "New Person", jobTitle: "Odd", id: added });
  assert.deepEqual(byId[ids["user04@contoso.com"]],
    { displayName: "Renamed Four", jobTitle: "Even", id: ids["user04@contoso.com"] });
  assert.deepEqual(byId[ids["user07@contoso.com"]],
    { id: ids["user07@contoso.com"], "@removed": { reason: "deleted" } });

  // Round 3: nothing changed.
  const r3 = await allPages(client, await client.api(r2.deltaLink).get(), options);
  assert.deepEqual(r3.items, []);
  assert.ok(r3.deltaLink);

  // A list no longer shows the deleted user; a fresh round starts over with 12 users.
  const fresh = await allPages(client, await client.api("/users/delta").get());
  assert.equal(fresh.items.length, 12);
  assert.ok(!fresh.items.some((u) => u.id === ids["user07@contoso.com"]));
});

test("groups: list with PageIterator, a group's members and transitiveMembers", async () => {
  // A directory export with groups: the connector brings them into the cloud directory.
  const guid = (n) => Buffer.from([n, ...Array(14).fill(0), 0x7c]).toString("base64");
  const user = (n, cn) => `dn: CN=${cn},OU=Staff,DC=contoso,DC=com\nobjectClass: user\n` +
    `objectGUID:: ${guid(n)}\nuserPrincipalName: ${cn.toLowerCase()}@contoso.com\n\n`;
  const group = (n, cn, members, extra = "") =>
    `dn: CN=${cn},OU=Groups,DC=contoso,DC=com\nobjectClass: group\ncn: ${cn}\n` +
    `objectGUID:: ${guid(n)}\n${extra}` +
    members.map((m) => `member: ${m}\n`).join("") + "\n";
  let ldif = user(1, "Ada") + user(2, "Grace") +
    group(10, "Engineering", ["CN=Ada,OU=Staff,DC=contoso,DC=com",
      "CN=Compilers,OU=Groups,DC=contoso,DC=com"], "mail: eng@contoso.com\n") +
    group(11, "Compilers", ["CN=Grace,OU=Staff,DC=contoso,DC=com"]);
  for (let i = 0; i < 4; i++) ldif += group(20 + i, `Team ${i}`, []);
  const file = join(up.dir, "groups.ldif");
  writeFileSync(file, ldif);
  up.cli("sync", "ldif", "--tenant", "contoso", file);

  const client = graph(`${up.origin}/tenants/contoso/`);
  const first = await client.api("/groups").select(["id", "displayName", "mail"]).top(4).get();
  assert.equal(first["@odata.context"],
    `${up.origin}/tenants/contoso/v1.0/$metadata#groups(id,displayName,mail)`);
  assert.match(first["@odata.nextLink"], new RegExp(`^${up.origin}/tenants/contoso/v1\\.0/groups\\?`));
  const { items } = await allPages(client, first);
  assert.deepEqual(items.map((g) => g.displayName).sort(),
    ["Compilers", "Engineering", "Team 0", "Team 1", "Team 2", "Team 3"]);
  const eng = (await client.api("/groups").filter("mail eq 'eng@contoso.com'").get()).value[0];
  assert.equal(eng.displayName, "Engineering");
  assert.equal(eng.securityEnabled, true);

  const members = await client.api(`/groups/${eng.id}/members`).get();
  assert.deepEqual(members.value.map((m) => [m["@odata.type"], m.userPrincipalName ?? m.displayName])
    .sort(), [["#microsoft.graph.group", "Compilers"], ["#microsoft.graph.user", "ada@contoso.com"]]);
  const transitive = await client.api(`/groups/${eng.id}/transitiveMembers`).get();
  assert.deepEqual(transitive.value.map((m) => m.userPrincipalName ?? m.displayName).sort(),
    ["Compilers", "ada@contoso.com", "grace@contoso.com"]);
  const memberOf = await client.api("/users/grace@contoso.com/memberOf").get();
  assert.deepEqual(memberOf.value.map((g) => g.displayName), ["Compilers"]);
  await assert.rejects(client.api("/groups/00000000-0000-0000-0000-000000000000/members").get(),
    (err) => {
      assert.equal(err.statusCode, 404);
      assert.equal(err.code, "Request_ResourceNotFound");
      return true;
    });
});

test("writes: the SDK creates and PATCHes a cloud-only user, users/delta shows it; a synced one is refused",
  async () => {
    const client = graph(`${up.origin}/tenants/contoso/`);
    const start = await allPages(client, await client.api("/users/delta").get());

    const made = await client.api("/users").post({
      accountEnabled: true,
      displayName: "Written By Sdk",
      mailNickname: "sdkwriter",
      userPrincipalName: "sdkwriter@contoso.com",
      passwordProfile: { forceChangePasswordNextSignIn: false, password: "Xy7!secret" },
    });
    assert.equal(made.userPrincipalName, "sdkwriter@contoso.com");
    assert.equal(made["@odata.context"], `${up.origin}/tenants/contoso/v1.0/$metadata#users/$entity`);
    await client.api(`/users/${made.id}`).patch({ jobTitle: "Writer", department: "Docs" });
    const read = await client.api(`/users/${made.id}`).select("jobTitle,department").get();
    assert.equal(read.jobTitle, "Writer");
    assert.equal(read.department, "Docs");

    const round = await allPages(client, await client.api(start.deltaLink).get());
    const mine = round.items.find((u) => u.id === made.id);
    assert.equal(mine.jobTitle, "Writer");
    assert.equal(mine.displayName, "Written By Sdk");

    // A user synced from on premises: Azure AD's refusal, and nothing changed.
    const file = join(up.dir, "synced.ldif");
    writeFileSync(file, "dn: CN=Onprem,DC=contoso,DC=com\nobjectClass: user\n" +
      "objectGUID:: AAECAwQFBgcICQoLDA0ODw==\nuserPrincipalName: onprem@contoso.com\n" +
      "title: Original\n\n");
    up.cli("sync", "ldif", "--tenant", "contoso", file);
    await assert.rejects(client.api("/users/onprem@contoso.com").patch({ jobTitle: "Changed" }),
      (err) => {
        assert.equal(err.statusCode, 400);
        assert.equal(err.code, "Request_BadRequest");
        assert.equal(err.message, "Unable to update the specified properties for on-premises " +
          "mastered Directory Sync objects or objects currently undergoing migration.");
        return true;
      });
    const onprem = await client.api("/users/onprem@contoso.com").select("jobTitle").get();
    assert.equal(onprem.jobTitle, "Original");
    // An unknown property, as Graph words it.
    await assert.rejects(client.api(`/users/${made.id}`).patch({ favouriteColour: "red" }),
      (err) => {
        assert.equal(err.statusCode, 400);
        assert.match(err.message, /Property 'favouriteColour' does not exist/);
        return true;
      });
    await client.api(`/users/${made.id}`).delete();
    await assert.rejects(client.api(`/users/${made.id}`).get(), (err) => err.statusCode === 404);
  });

test("BatchRequestContent: reads with their own statuses, then dependsOn and 424", async () => {
  const client = graph(`${up.origin}/tenants/contoso/`);
  // The SDK sends each request's URL without its origin: /tenants/contoso/v1.0/...
  const get = (path) => new Request(`${up.origin}/tenants/contoso/v1.0${path}`);
  const run = async (steps) => new BatchResponseContent(
    await client.api("/$batch").post(await new BatchRequestContent(steps).getContent()));

  const parallel = await run([
    { id: "1", request: get("/users/user01@contoso.com?$select=displayName") },
    { id: "2", request: get("/users/user02@contoso.com") },
    { id: "3", request: get("/users/nobody@contoso.com") },
    { id: "4", request: get("/users?$filter=jobTitle eq 'Odd'&$select=id&$top=2") },
  ]);
  const one = parallel.getResponseById("1");
  assert.equal(one.status, 200);
  assert.equal((await one.json()).displayName, "User 1");
  assert.equal((await parallel.getResponseById("2").json()).id, ids["user02@contoso.com"]);
  const missing = parallel.getResponseById("3");
  assert.equal(missing.status, 404);
  assert.equal((await missing.json()).error.code, "Request_ResourceNotFound");
  const odd = await parallel.getResponseById("4").json();
  assert.equal(odd.value.length, 2);
  assert.ok(odd["@odata.nextLink"]);

  // "Same" dependencies: both wait for 1; when it fails they are not run (424).
  const dependent = await run([
    { id: "1", request: get("/users/nobody@contoso.com") },
    { id: "2", request: get("/users/user01@contoso.com"), dependsOn: ["1"] },
    { id: "3", request: get("/users/user02@contoso.com"), dependsOn: ["1"] },
  ]);
  assert.deepEqual([...dependent.getResponses()].map(([id, r]) => [id, r.status]),
    [["1", 404], ["2", 424], ["3", 424]]);
  const serial = await run([
    { id: "a", request: get("/users/user01@contoso.com") },
    { id: "b", request: get("/users/user02@contoso.com"), dependsOn: ["a"] },
  ]);
  assert.deepEqual([...serial.getResponses()].map(([id, r]) => [id, r.status]),
    [["a", 200], ["b", 200]]);
  // Graph's own refusal of a batch of 21 (the SDK refuses to build one, so sent by hand).
  await assert.rejects(client.api("/$batch").post({
    requests: Array.from({ length: 21 }, (_, i) => ({ id: `${i}`, method: "GET", url: "/users" })),
  }), (err) => err.statusCode === 400 && err.code === "BadRequest" &&
    /Invalid batch payload format\. A batch holds at most 20 requests/.test(err.message));
});
test("org chart: api('/me/manager'), $expand=manager, and $search with ConsistencyLevel",
  async () => {
    const boss = addUser("boss@contoso.com", "displayName=Megan OneBoss");
    for (const upn of ["user01@contoso.com", "user02@contoso.com"]) {
      up.cli("directory", "user", "set", "--tenant", "contoso", upn, "--set", `manager=${boss}`);
    }
    up.cli("user", "password", "set", "--tenant", "contoso", "user01@contoso.com", "--role",
      "user", "--password", "correct horse battery");
    const personToken = await up.userToken("contoso", app, "user01@contoso.com",
      "correct horse battery", "https://graph.microsoft.com/.default");
    const me = Client.init({
      baseUrl: `${up.origin}/`,
      customHosts: new Set(["127.0.0.1"]),
      authProvider: (done) => done(null, personToken),
    });
    const manager = await me.api("/me/manager").get();
    assert.equal(manager["@odata.type"], "#microsoft.graph.user");
    assert.equal(manager.id, boss);
    assert.equal(manager.displayName, "Megan OneBoss");
    const reports = await me.api("/me/directReports").get();
    assert.deepEqual(reports.value, []);

    const client = graph(`${up.origin}/tenants/contoso/`);
    const bossReports = await client.api(`/users/${boss}/directReports`).select("id").get();
    assert.deepEqual(bossReports.value.map((u) => u.id).sort(),
      [ids["user01@contoso.com"], ids["user02@contoso.com"]].sort());
    // The boss has no manager: Graph's 404, through GraphError.
    await assert.rejects(client.api(`/users/${boss}/manager`).get(), (err) => {
      assert.equal(err.statusCode, 404);
      assert.equal(err.code, "Request_ResourceNotFound");
      return true;
    });

    const withManager = await client.api("/users/user02@contoso.com")
      .select("id,displayName").expand("manager($select=id,displayName)").get();
    assert.deepEqual(withManager.manager,
      { "@odata.type": "#microsoft.graph.user", id: boss, displayName: "Megan OneBoss" });
    const list = await client.api("/users").select("id").expand("manager($select=id)").top(999)
      .get();
    const managed = list.value.filter((u) => u.manager).map((u) => u.id).sort();
    assert.deepEqual(managed, [ids["user01@contoso.com"], ids["user02@contoso.com"]].sort());

    // $search needs the header, as Graph's advanced queries do; with it, word prefixes match
    // ("OneBoss" is the words "One" and "Boss"), with $count and $orderby.
    await assert.rejects(client.api("/users").search('"displayName:boss"').get(), (err) => {
      assert.equal(err.statusCode, 400);
      assert.equal(err.code, "Request_UnsupportedQuery");
      assert.match(err.message, /ConsistencyLevel: eventual/);
      return true;
    });
    const found = await client.api("/users").header("ConsistencyLevel", "eventual")
      .search('"displayName:boss" OR "displayName:user 1"').count(true).orderby("displayName")
      .select("displayName").get();
    assert.deepEqual(found.value.map((u) => u.displayName),
      ["Megan OneBoss", "User 1", "User 10", "User 11"]);
    assert.equal(found["@odata.count"], 4);
    const count = await client.api("/users/$count").header("ConsistencyLevel", "eventual").get();
    // Every user the list answers (the earlier tests of this file add and remove some).
    const listed = await client.api("/users").top(999).select("id").get();
    assert.equal(listed["@odata.nextLink"], undefined);
    assert.equal(Number(count), listed.value.length);
  });
