// Hybrid profiles end to end (seed 000), in a real browser: one throwaway slapd feeds two
// `upsync serve` processes, a SharePoint Server tenant (profiles straight from the directory,
// seed 001's mappings) and a SharePoint Online tenant (through the cloud directory stages). The
// server tenant's hybrid users are an audience (Department = Sales); `upsync hybrid sync`
// moves their custom property online (seed 003's bulk import, over HTTPS with the online side's
// certificate checked). Then a person signed in on premises opens profiles: a colleague outside
// the audience keeps the server's page; a hybrid user's page redirects to the online tenant,
// which signs the browser in there and shows the value that moved.
// Screenshots go to build/test-artifacts/pages/hybrid-NN-*.png (or $UPSYNC_ARTIFACTS).
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { launchBrowser, newPage, shot } from "./lib/browser.mjs";
import { Slapd } from "./lib/slapd.mjs";
import { Upsync } from "./lib/upsync.mjs";

const onprem = new Upsync();
const online = new Upsync();
let browser;
let ldap;
// tests/scripts/gen-users.sh's people: userNNNNNN@example.com, department by number (1 and 9
// are in Sales).
const upn = (i) => `user${String(i).padStart(6, "0")}@example.com`;
const windowsClaim = (i) => `i:0#.w|EXAMPLE\\user${String(i).padStart(6, "0")}`;
const personUrl = (origin, tenant, account) =>
  `${origin}/tenants/${tenant}/person.aspx?accountname=${encodeURIComponent(account)}`;

before(async () => {
  ldap = await Slapd.start(12, 2);
  const connector = join(onprem.dir, "connector.toml");
  writeFileSync(connector, `type = "ldap"\nurl = "${ldap.url}"\n` +
    'base = "dc=example,dc=com"\n' +
    'filter = "(|(objectClass=inetOrgPerson)(objectClass=groupOfNames))"\n');

  // The server tenant: seed 001's mappings, edited for an OpenLDAP directory.
  onprem.cli("tenant", "create", "onprem", "--kind", "server");
  onprem.cli("connector", "add", "-t", "onprem", "directory", "--file", connector);
  for (const m of ["UserName=uid", "SPS-UserPrincipalName=mail", "Department=departmentNumber"]) {
    onprem.cli("mapping", "set", "-t", "onprem", m);
  }
  onprem.cli("sync", "run", "-t", "onprem");
  onprem.cli("property", "add", "-t", "onprem", "CostCenter");
  onprem.cli("audience", "add", "-t", "onprem", "Sales", "--rule", "Department=Sales");
  for (const i of [1, 2, 9]) {
    onprem.cli("profile", "set", "-t", "onprem", windowsClaim(i), "--set", `CostCenter=CC-${i}`);
  }
  onprem.cli("user", "password", "set", "-t", "onprem", upn(2), "--password", "onprem-pw-2");

  // The online tenant, from the same directory through the cloud stages.
  online.cli("tenant", "create", "contoso", "--kind", "online");
  online.cli("connector", "add", "-t", "contoso", "directory", "--file", connector);
  online.cli("sync", "run", "-t", "contoso");
  online.cli("property", "add", "-t", "contoso", "CostCenter");
  online.cli("user", "password", "set", "-t", "contoso", upn(3), "--password", "online-pw-3");
  await online.start(["--worker-interval", "0.1"]);
  await onprem.start();
  onprem.cli("hybrid", "set", "-t", "onprem", "--online-url", `${online.origin}/tenants/contoso`,
    "--audience", "Sales");
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  await onprem.stop();
  await online.stop();
  ldap?.stop();
});

// Fills in the sign-in page the browser was sent to (on `origin` when given).
async function signIn(page, username, password, origin) {
  await page.waitForSelector("#username");
  if (origin) assert.ok(page.url().startsWith(origin), page.url());
  await page.fill("#username", username);
  await page.fill("#password", password);
  await page.click("button[type=submit]");
}

const onlineValue = (i) => online.cli("--json", "profile", "get", "-t", "contoso",
  `i:0#.f|membership|${upn(i)}`).properties.CostCenter ?? "";

test("hybrid sync moves the audience's custom property online, and only theirs", () => {
  const app = online.cli("--json", "app", "add", "-t", "contoso", "hybrid");
  const out = onprem.cli("--json", "hybrid", "sync", "-t", "onprem", "--properties", "CostCenter",
    "--to", `${online.origin}/tenants/contoso`, "--client-id", app.clientId,
    "--client-secret", app.clientSecret, "--ca-file", process.env.UPSYNC_TEST_CERT,
    "--poll", "0.1");
  assert.equal(out.imports.length, 1);
  assert.equal(out.imports[0].State, "Succeeded", JSON.stringify(out));
  assert.equal(onlineValue(1), "CC-1");
  assert.equal(onlineValue(9), "CC-9");
  assert.equal(onlineValue(2), "");  // Marketing: not a hybrid user, stays on premises
});

test("on premises, a hybrid user's page opens online and a colleague's stays", async () => {
  const { context, page, problems } = await newPage(browser);
  // Signed in on the server tenant, through its own sign-in page.
  const colleague = personUrl(onprem.origin, "onprem", windowsClaim(2));
  await page.goto(colleague);
  await signIn(page, upn(2), "onprem-pw-2");
  await page.waitForURL(colleague);
  await page.waitForSelector("#loading[hidden]", { state: "attached" });
  assert.equal(await page.textContent("#name"), "Given2 Family2");
  assert.equal(await page.textContent('#properties dd[data-property="CostCenter"]'), "CC-2");
  await shot(page, "hybrid-01-server-page");

  // A hybrid user (Sales): the server answers with the online tenant's page, which signs this
  // browser in there (another tenant, another account) and shows what moved.
  await page.goto(personUrl(onprem.origin, "onprem", windowsClaim(1)));
  await signIn(page, upn(3), "online-pw-3", `${online.origin}/tenants/contoso/`);
  const onlinePage = personUrl(online.origin, "contoso", `i:0#.f|membership|${upn(1)}`);
  await page.waitForURL(onlinePage);
  await page.waitForSelector("#loading[hidden]", { state: "attached" });
  assert.equal(await page.textContent("#name"), "Given1 Family1");
  assert.equal(await page.textContent('#properties dd[data-property="CostCenter"]'), "CC-1");
  await shot(page, "hybrid-02-online-page");

  // Signed in on both now: the server keeps sending hybrid users' pages online, and keeps the
  // others'.
  await page.goto(personUrl(onprem.origin, "onprem", windowsClaim(9)));
  await page.waitForURL(personUrl(online.origin, "contoso", `i:0#.f|membership|${upn(9)}`));
  await page.goto(personUrl(onprem.origin, "onprem", windowsClaim(4)));
  await page.waitForSelector("#loading[hidden]", { state: "attached" });
  assert.ok(page.url().startsWith(onprem.origin), page.url());
  assert.equal(await page.textContent("#name"), "Given4 Family4");
  // The 401s before each sign-in are answers the pages handle.
  assert.deepEqual(problems.filter((m) => !/401/.test(m)), []);
  await context.close();
});
