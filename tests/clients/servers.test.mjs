// Two `upsync serve` processes on one PostgreSQL database and one data folder, each spoken to
// directly rather than through the balancer: what one server issues or changes, the other
// honours at once. A token from one is good at the other; a profile change made through one
// is read through the other; a file uploaded through one is downloaded from the other; a
// password change (made with the CLI, a third process) revokes the old token at both within
// the revocation delay the README promises (auth/credential_cache.h: 2 s), though each had
// just accepted it. Run only with UPSYNC_CLIENT_SERVERS=2 (tests/CMakeLists.txt).
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import https from "node:https";
import { Upsync } from "./lib/upsync.mjs";

const up = new Upsync();
const adele = "i:0#.f|membership|adele@contoso.com";
let app;
let host; // the public host both servers answer to, as the balancer in front would send it

// One request straight to one server (0 or 1), with the deployment's public Host header.
function at(server, method, path, { headers = {}, body } = {}) {
  return new Promise((resolve, reject) => {
    const req = https.request({
      host: "127.0.0.1", port: up.procs[server].port, method, path,
      headers: { Host: host, Accept: "application/json;odata=nometadata", ...headers },
    }, (res) => {
      const chunks = [];
      res.on("data", (c) => chunks.push(c));
      res.on("end", () => {
        const text = Buffer.concat(chunks).toString("utf8");
        let json;
        try { json = JSON.parse(text); } catch { json = undefined; }
        resolve({ status: res.statusCode, text, json });
      });
    });
    req.on("error", reject);
    req.end(body);
  });
}

async function tokenAt(server, form) {
  const r = await at(server, "POST", "/contoso/oauth2/v2.0/token", {
    headers: { "Content-Type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams(form).toString(),
  });
  assert.equal(r.status, 200, r.text);
  return r.json;
}

const bearer = (token) => ({ Authorization: `Bearer ${token}` });
const myProperties = (server, token) =>
  at(server, "GET", "/tenants/contoso/_api/SP.UserProfiles.PeopleManager/GetMyProperties",
    { headers: bearer(token) });

before(async () => {
  assert.ok(Number(process.env.UPSYNC_CLIENT_SERVERS) >= 2, "run with UPSYNC_CLIENT_SERVERS=2");
  app = up.addTenant("contoso");
  up.cli("user", "password", "set", "--tenant", "contoso", "adele@contoso.com",
    "--password", "adele-password");
  up.cli("profile", "create", "--tenant", "contoso", adele,
    "--set", "PreferredName=Adele Vance", "--set", "WorkEmail=adele@contoso.com");
  await up.start();
  host = `127.0.0.1:${up.port}`;
});
after(() => up.stop());

const passwordGrant = (password) => ({
  grant_type: "password", client_id: app.clientId, username: "adele@contoso.com", password,
  scope: "https://contoso.sharepoint.com/.default",
});

test("a token issued by one server is good at the other, and a change through one is read through the other", async () => {
  const { access_token: token } = await tokenAt(0, passwordGrant("adele-password"));
  const mine = await myProperties(1, token);
  assert.equal(mine.status, 200, mine.text);
  assert.equal(mine.json.AccountName, adele);

  const set = await at(1, "POST",
    "/tenants/contoso/_api/SP.UserProfiles.PeopleManager/SetSingleValueProfileProperty", {
      headers: { ...bearer(token), "Content-Type": "application/json" },
      body: JSON.stringify({ accountName: adele, propertyName: "AboutMe",
        propertyValue: "written through server 1" }),
    });
  assert.equal(set.status, 200, set.text);
  const read = await myProperties(0, token);
  const about = read.json.UserProfileProperties.find((p) => p.Key === "AboutMe");
  assert.equal(about.Value, "written through server 1");
});

test("a file uploaded through one server is downloaded from the other, byte for byte", async () => {
  const { access_token: token } = await tokenAt(1, {
    grant_type: "client_credentials", client_id: app.clientId, client_secret: app.clientSecret,
    scope: "https://contoso.sharepoint.com/.default",
  });
  const bytes = Buffer.from(Array.from({ length: 300000 }, (_, i) => (i * 7919) % 251));
  const folder = "/tenants/contoso/sites/hr/_api/web/GetFolderByServerRelativeUrl" +
    "('/sites/hr/Shared%20Documents')";
  const added = await at(0, "POST", `${folder}/Files/add(url='shared.bin',overwrite=true)`,
    { headers: bearer(token), body: bytes });
  assert.equal(added.status, 200, added.text);
  const back = await new Promise((resolve, reject) => {
    https.get({
      host: "127.0.0.1", port: up.procs[1].port, headers: { Host: host, ...bearer(token) },
      path: "/tenants/contoso/sites/hr/_api/web/GetFileByServerRelativeUrl" +
        "('/sites/hr/Shared%20Documents/shared.bin')/$value",
    }, (res) => {
      const chunks = [];
      res.on("data", (c) => chunks.push(c));
      res.on("end", () => resolve({ status: res.statusCode, body: Buffer.concat(chunks) }));
    }).on("error", reject);
  });
  assert.equal(back.status, 200);
  assert.ok(back.body.equals(bytes), "the file read from server 1 differs from the one sent to 0");
});

test("a password change revokes the old token at both servers within the revocation delay", async () => {
  const { access_token: token } = await tokenAt(0, passwordGrant("adele-password"));
  // Each server checks the token once, so that its credential cache holds her.
  for (const server of [0, 1]) assert.equal((await myProperties(server, token)).status, 200);
  const changed = Date.now();
  up.cli("user", "password", "set", "--tenant", "contoso", "adele@contoso.com",
    "--password", "adele-new-password");
  const kBoundMs = 2000;
  const slackMs = process.env.UPSYNC_SANITIZED === "ON" ? 3000 : 1000;
  for (const server of [0, 1]) {
    let r = await myProperties(server, token);
    while (r.status === 200 && Date.now() - changed < kBoundMs + slackMs) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      r = await myProperties(server, token);
    }
    assert.equal(r.status, 401, `server ${server} still took the old token after ` +
      `${Date.now() - changed} ms: ${r.text.slice(0, 200)}`);
  }
  const { access_token: fresh } = await tokenAt(1, passwordGrant("adele-new-password"));
  assert.equal((await myProperties(0, fresh)).status, 200);
  // The old password is refused by both.
  for (const server of [0, 1]) {
    const r = await at(server, "POST", "/contoso/oauth2/v2.0/token", {
      headers: { "Content-Type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams(passwordGrant("adele-password")).toString(),
    });
    assert.equal(r.status, 400, r.text);
    assert.equal(r.json.error, "invalid_grant");
  }
});
