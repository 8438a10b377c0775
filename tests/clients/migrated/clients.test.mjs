// The real clients against a deployment that moved up from SQLite to PostgreSQL (prepared by
// run.sh beside this file: the demo tenant contoso and a full sync of N users into fabrikam,
// then `upsync migrate`): two `upsync serve` processes on the migrated database and the same
// data folder behind a round-robin balancer. What PnPjs, sp-admin, the Graph SDK and MSAL read
// must be what the SQLite folder held before the move (run.sh saved it in
// UPSYNC_MIGRATED_EXPECTED), and the migrated database must take writes and new tenants.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { spfi, DefaultHeaders, DefaultInit } from "@pnp/sp";
import "@pnp/sp/webs/index.js";
import "@pnp/sp/profiles/index.js";
import "@pnp/sp/files/index.js";
import "@pnp/sp/folders/index.js";
import "@pnp/sp-admin";
import { DefaultParse, InjectHeaders } from "@pnp/queryable";
import { NodeFetch } from "@pnp/nodejs";
import { Client, PageIterator } from "@microsoft/microsoft-graph-client";
import { ConfidentialClientApplication } from "@azure/msal-node";
import { Upsync } from "../lib/upsync.mjs";

for (const name of ["UPSYNC_MIGRATED_DATA", "UPSYNC_MIGRATED_DB", "UPSYNC_MIGRATED_EXPECTED"]) {
  if (!process.env[name]) throw new Error(`set ${name} (tests/clients/migrated/run.sh does)`);
}
const expectedDir = process.env.UPSYNC_MIGRATED_EXPECTED;
const expected = (file) => readFileSync(join(expectedDir, file), "utf8");
const up = new Upsync({
  dataDir: process.env.UPSYNC_MIGRATED_DATA,
  db: process.env.UPSYNC_MIGRATED_DB,
});
const vesaj = "i:0#.f|membership|vesaj@contoso.com";
let contosoApp;
let fabrikamApp;

before(async () => {
  // Apps registered after the move: the credential store on PostgreSQL takes new rows.
  contosoApp = up.cli("--json", "app", "add", "--tenant", "contoso", "migrated-clients");
  fabrikamApp = up.cli("--json", "app", "add", "--tenant", "fabrikam", "migrated-clients");
  await up.start(["--no-worker"]);
});
after(() => up.stop());

function sp(token, tenant = "contoso") {
  return spfi(`${up.origin}/tenants/${tenant}/sites/hr`).using(DefaultHeaders(), DefaultInit(),
    NodeFetch(), DefaultParse(), InjectHeaders({ Authorization: `Bearer ${token}` }));
}

function graph(tenant, token) {
  return Client.init({
    baseUrl: `${up.origin}/tenants/${tenant}/`,
    customHosts: new Set(["127.0.0.1"]),
    authProvider: (done) => done(null, token),
  });
}

// A PersonProperties' UserProfileProperties as a map (multi-value values joined by "|").
function propertiesOf(person) {
  return Object.fromEntries(person.UserProfileProperties.map((p) => [p.Key, p.Value]));
}

test("PnPjs reads the demo's profile with every value it had on SQLite", async () => {
  const before = JSON.parse(expected("vesaj.json"));
  const person = await sp(await up.appToken("contoso", contosoApp)).profiles
    .getPropertiesFor(vesaj);
  assert.equal(person.AccountName, vesaj);
  const props = propertiesOf(person);
  // Synced (Department, Manager, ...) and imported (City, OfficeCode) values alike.
  assert.ok(Object.keys(before.properties).length >= 15);
  for (const [key, value] of Object.entries(before.properties)) {
    assert.equal(props[key], Array.isArray(value) ? value.join("|") : value, key);
  }
  assert.equal(props.City, "Helsinki");
});

test("sp-admin lists the finished import, and PnPjs reads its log from the data folder", async () => {
  const [job] = JSON.parse(expected("imports.json"));
  const client = sp(await up.appToken("contoso", contosoApp));
  const jobs = await client.admin.office365Tenant.getImportProfilePropertyJobs();
  const moved = jobs.find((j) => j.JobId === job.JobId);
  assert.ok(moved, `job ${job.JobId} among ${JSON.stringify(jobs)}`);
  assert.equal(moved.State, 5); // Error
  assert.equal(moved.Error, 30); // ImportCompleteWithError
  assert.equal(moved.ErrorMessage, job.ErrorMessage);
  const log = await client.web
    .getFileByServerRelativePath(`${job.LogFolderUri}/ImportLog.txt`).getText();
  assert.equal(log, expected("ImportLog.txt"));
});

test("the Graph SDK pages every synced user and follows a manager", async () => {
  const { count } = JSON.parse(expected("users.json"));
  assert.equal(count, Number(process.env.UPSYNC_MIGRATED_USERS));
  const client = graph("fabrikam",
    await up.appToken("fabrikam", fabrikamApp, "https://graph.microsoft.com/.default"));
  const counted = await client.api("/users").header("ConsistencyLevel", "eventual")
    .query({ $count: "true" }).top(1).select("id").get();
  assert.equal(counted["@odata.count"], count);

  const seen = new Set();
  const first = await client.api("/users").select("id,userPrincipalName").top(999).get();
  await new PageIterator(client, first, (u) => { seen.add(u.userPrincipalName); return true; })
    .iterate();
  assert.equal(seen.size, count);

  const before = JSON.parse(expected("user2.json")).properties;
  const user = await client.api("/users/user000002@example.com")
    .select("displayName,jobTitle,department").get();
  assert.equal(user.displayName, before.PreferredName);
  assert.equal(user.jobTitle, before.Title);
  const manager = await client.api("/users/user000002@example.com/manager")
    .select("userPrincipalName").get();
  assert.equal(manager.userPrincipalName, "user000001@example.com");
});

test("MSAL takes a token from the migrated deployment, signed with the key the folder kept",
  async () => {
    const msal = new ConfidentialClientApplication({
      auth: {
        clientId: fabrikamApp.clientId,
        clientSecret: fabrikamApp.clientSecret,
        authority: `${up.origin}/fabrikam`,
        knownAuthorities: [`127.0.0.1:${up.port}`],
      },
    });
    const result = await msal.acquireTokenByClientCredential({
      scopes: ["https://graph.microsoft.com/.default"],
    });
    // Both servers take it (the balancer alternates): four requests, two on each.
    for (let i = 0; i < 4; i++) {
      const page = await graph("fabrikam", result.accessToken).api("/users").top(1).get();
      assert.equal(page.value.length, 1);
    }
  });

test("a change through one server is read through the other; new tenants continue the ids",
  async () => {
    const token = await up.appToken("contoso", contosoApp);
    await sp(token).profiles.setSingleValueProfileProperty(vesaj, "City", "Oslo");
    for (const proc of up.procs) {
      const res = await fetch(`https://127.0.0.1:${proc.port}/tenants/contoso/sites/hr/_api/` +
        "SP.UserProfiles.PeopleManager/GetUserProfilePropertyFor(accountName=@v,propertyName='City')" +
        `?@v='${encodeURIComponent(vesaj)}'`,
      { headers: { Authorization: `Bearer ${token}`, Accept: "application/json" } });
      assert.equal(res.status, 200);
      assert.equal((await res.json()).value, "Oslo");
    }

    up.cli("tenant", "create", "newco", "--kind", "online");
    const app = up.cli("--json", "app", "add", "--tenant", "newco", "x");
    up.cli("profile", "create", "--tenant", "newco", "i:0#.f|membership|ann@newco.com",
      "--set", "PreferredName=Ann");
    // Its profile's id comes after every copied one (migrate moved the sequences past them).
    const { count } = JSON.parse(expected("users.json"));
    const stored = up.cli("--json", "profile", "get", "--tenant", "newco", "ann@newco.com");
    assert.ok(stored.id > count, `new profile id ${stored.id} after ${count} copied profiles`);
    const ann = await sp(await up.appToken("newco", app), "newco").profiles
      .getPropertiesFor("ann@newco.com");
    assert.equal(ann.DisplayName, "Ann");
  });
