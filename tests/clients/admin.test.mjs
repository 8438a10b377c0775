// The admin pages in a real browser (playwright-core, Debian's chromium, headless) against the
// real `upsync serve`: a user is refused, admins see every page, bad input in each form is
// answered beside its field and stores nothing, and the same request sent straight to the API
// gets the same answer. Every page is screenshot (admin-NN-name.png in the pages artifacts),
// checked with axe-core (0 serious or critical, printed per page) and measured on a first
// visit (bytes transferred and time to interactive, printed per page).
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import {
  checkAccessibility, launchBrowser, measurePage, newPage, shot, signInThroughPage,
} from "./lib/browser.mjs";
import { Upsync } from "./lib/upsync.mjs";

const up = new Upsync();
let browser;
let app;      // contoso's registered client
let farmApp;  // farm's
const password = "admin-pages-pw";
const pages = [
  ["index.html", "overview"], ["profiles.html", "profiles"], ["properties.html", "properties"],
  ["apps.html", "apps"], ["tenant.html", "tenant"],
];
// Values that would run or render as markup if a page put them into HTML.
const hostileName = "<b id=bold>Mallory</b>";
const hostileHtml = "<img id=pwn src=x onerror=\"window.pwned=1\">";
const adminUrl = (file, tenant = "contoso") =>
  `${up.origin}/tenants/${tenant}/_layouts/15/upsync/admin/${file}`;

before(async () => {
  app = up.addTenant("contoso");
  farmApp = up.addTenant("farm", "server");
  for (const [upn, role] of [["ga@contoso.com", "global-admin"],
    ["spa@contoso.com", "sharepoint-admin"], ["adele@contoso.com", "user"]]) {
    up.cli("user", "password", "set", "--tenant", "contoso", upn, "--role", role,
      "--password", password);
  }
  up.cli("user", "password", "set", "--tenant", "farm", "admin@farm.local", "--role",
    "global-admin", "--password", password);
  up.cli("property", "add", "--tenant", "contoso", "CostCenter");
  const departments = ["Sales", "Legal", "Sales", "Finance", "Sales", "Legal"];
  departments.forEach((dept, i) => {
    up.cli("profile", "create", "--tenant", "contoso",
      `i:0#.f|membership|person${i + 1}@contoso.com`, "--set", `Department=${dept}`,
      "--set", `PreferredName=${i === 5 ? hostileName : `Person ${i + 1}`}`,
      ...(i < 2 ? ["--set", "CostCenter=4711"] : []),
      ...(i === 5 ? ["--set", `AboutMe=${hostileHtml}`] : []));
  });
  await up.start();
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  await up.stop();
});

// A browser context signed in as `upn` on the admin page `file` (through the sign-in page).
async function signedIn(upn, file = "index.html", tenant = "contoso") {
  const opened = await newPage(browser);
  await signInThroughPage(opened.page, adminUrl(file, tenant), upn, password);
  return opened;
}

async function readyPage(page) {
  await page.waitForSelector("body[data-ready]");
}

// The answer of the API to the same request, sent straight with a bearer token.
async function straight(token, method, path, body, tenant = "contoso") {
  const res = await fetch(`${up.origin}/tenants/${tenant}${path}`, {
    method,
    headers: { Authorization: `Bearer ${token}`, "Content-Type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: res.status, body: await res.json() };
}

test("a user opening an admin page is refused with a page that says so", async () => {
  const { context, page } = await newPage(browser);
  await page.goto(adminUrl("profiles.html"));
  await page.waitForSelector("#username");  // no session: sent to sign-in first
  await page.fill("#username", "adele@contoso.com");
  await page.fill("#password", password);
  const [answer] = await Promise.all([
    page.waitForResponse((r) => r.url() === adminUrl("profiles.html")),
    page.click("button[type=submit]"),
  ]);
  assert.equal(answer.status(), 403);
  assert.match(await page.textContent("#denied"), /adele@contoso\.com.*role user/);
  assert.equal(await page.$("nav[aria-label=Administration]"), null);
  await shot(page, "admin-00-refused");
  assert.equal((await checkAccessibility(page, "admin refused")).serious, 0);
  // The API behind the page refuses her too, whatever page she calls it from.
  const status = await page.evaluate(async () =>
    (await fetch("/tenants/contoso/admin/v1/profiles")).status);
  assert.equal(status, 403);
  await context.close();
});

test("every admin page: screenshot, accessibility, weight and time to interactive", async () => {
  const { context, page, problems } = await signedIn("ga@contoso.com");
  const state = await context.storageState();
  let n = 1;
  for (const [file, name] of pages) {
    await page.goto(adminUrl(file));
    await readyPage(page);
    const nav = await page.$$eval("nav[aria-label=Administration] a",
      (links) => links.map((a) => a.getAttribute("href")));
    assert.deepEqual(nav, ["index.html", "profiles.html", "properties.html", "import.html",
      "sync.html", "apps.html", "tenant.html"]);
    assert.equal(await page.getAttribute(`nav a[href="${file}"]`, "aria-current"), "page");
    await shot(page, `admin-${String(n++).padStart(2, "0")}-${name}`);
    assert.equal((await checkAccessibility(page, `admin ${name}`)).serious, 0);
  }
  assert.deepEqual(problems, []);
  for (const [file, name] of pages) {
    const { bytes } = await measurePage(browser, adminUrl(file), "body[data-ready]", state,
      `admin ${name}`);
    assert.ok(bytes < 100 * 1024, `${name}: ${bytes} bytes`);
  }
  await context.close();
});

test("overview shows the tenant's figures, the last sync run and live request counts", async () => {
  const token = await up.userToken("contoso", app, "spa@contoso.com", password);
  const ran = await straight(token, "POST", "/admin/v1/sync/runs", { dryRun: true });
  assert.equal(ran.status, 201, JSON.stringify(ran.body));
  const { context, page } = await signedIn("spa@contoso.com");
  await readyPage(page);
  const facts = await page.textContent("#tenant-facts");
  assert.match(facts, /Profiles\s*6/);
  assert.match(await page.textContent("#sync-facts"), new RegExp(`Last run#${ran.body.id}, succeeded \\(dry run\\)`));
  // Live: the count of 200s rises by itself (the page's own reads), without a reload.
  const ok = async () => Number((await page.textContent(
    "#requests tbody tr:first-child td:last-child")).replace(/\D/g, ""));
  const before = await ok();
  await page.waitForFunction((n) => Number(document.querySelector(
    "#requests tbody tr:first-child td:last-child").textContent.replace(/\D/g, "")) > n, before,
  { timeout: 12000 });
  await context.close();
});

test("profiles: search, page, open, edit; a wrong-typed value is shown beside its field and stores nothing", async () => {
  const { context, page, problems } = await signedIn("ga@contoso.com", "profiles.html");
  await readyPage(page);
  assert.equal(await page.locator("#list tbody tr").count(), 6);
  await page.fill("#find-search", "person3@");
  await page.click("#find button[type=submit]");
  await page.waitForFunction(() => document.querySelectorAll("#list tbody tr").length === 1);
  assert.match(await page.textContent("#list tbody"), /person3@contoso\.com/);
  await page.fill("#find-search", "");
  await page.selectOption("#find-property", "Department");
  await page.fill("#find-value", "Sales");
  await page.click("#find button[type=submit]");
  await page.waitForFunction(() => document.querySelectorAll("#list tbody tr").length === 3);
  await page.click("#list tbody tr:first-child button");
  await page.waitForSelector("#edit-section:not([hidden])");
  assert.match(await page.textContent("#edit-account"), /person1@contoso\.com/);
  // Department is written by directory sync: read only, not a field.
  assert.equal(await page.$("[data-field=Department]"), null);
  assert.match(await page.textContent("#synced"), /Sales/);

  await page.fill("#prop-AboutMe", "Sells things");
  await page.fill("#prop-SPS-Birthday", "31-31");
  await page.click("#edit button[type=submit]");
  await page.waitForSelector("#prop-SPS-Birthday-error:not([hidden])");
  const shown = await page.textContent("#prop-SPS-Birthday-error");
  assert.equal(await page.getAttribute("#prop-SPS-Birthday", "aria-invalid"), "true");
  await shot(page, "admin-10-profile-bad-value");
  const token = await up.userToken("contoso", app, "ga@contoso.com", password);
  const same = await straight(token, "PATCH", "/admin/v1/profiles/1",
    { properties: { AboutMe: "Sells things", "SPS-Birthday": "31-31" } });
  assert.equal(same.status, 400);
  assert.equal(same.body.error.message, shown);
  assert.equal(same.body.error.target, "SPS-Birthday");
  const stored = await straight(token, "GET", "/admin/v1/profiles/1");
  assert.equal(stored.body.properties.AboutMe, undefined, "nothing of the refused save stored");

  await page.fill("#prop-SPS-Birthday", "04-21");
  await page.click("#edit button[type=submit]");
  await page.waitForSelector("#status:not([hidden])");
  assert.match(await page.textContent("#status"), /Saved 2 properties/);
  const saved = await straight(token, "GET", "/admin/v1/profiles/1");
  assert.equal(saved.body.properties.AboutMe, "Sells things");
  assert.equal(saved.body.properties["SPS-Birthday"], "04-21");
  // An online tenant's profiles come from its directory: no create, no delete.
  assert.equal(await page.isVisible("#create-section"), false);
  assert.equal(await page.isVisible("#delete-profile"), false);
  assert.deepEqual(problems.filter((p) => !/400/.test(p)), []);
  await context.close();
});

test("profile values are shown as text, never as markup", async () => {
  const { context, page, problems } = await signedIn("ga@contoso.com", "profiles.html");
  await readyPage(page);
  assert.match(await page.textContent("#list"), /<b id=bold>Mallory<\/b>/);
  await page.click("button[aria-label='Open i:0#.f|membership|person6@contoso.com']");
  await page.waitForSelector("#edit-section:not([hidden])");
  assert.equal(await page.inputValue("#prop-AboutMe"), hostileHtml);
  assert.equal(await page.$("#bold"), null);
  assert.equal(await page.$("#pwn"), null);
  assert.equal(await page.evaluate(() => window.pwned), undefined);
  assert.deepEqual(problems, []);
  await context.close();
});

test("profiles on a server tenant: create (a missing account beside its field) and delete", async () => {
  const { context, page } = await signedIn("admin@farm.local", "profiles.html", "farm");
  await readyPage(page);
  await page.click("#create button[type=submit]");
  await page.waitForSelector("#create-account-error:not([hidden])");
  const shown = await page.textContent("#create-account-error");
  const token = await up.userToken("farm", farmApp, "admin@farm.local", password);
  const same = await straight(token, "POST", "/admin/v1/profiles", { accountName: "" }, "farm");
  assert.equal(same.status, 400);
  assert.equal(same.body.error.message, shown);
  assert.equal((await straight(token, "GET", "/admin/v1/profiles", undefined, "farm")).body.value.length, 0);

  await page.fill("#create-account", "i:0#.w|farm\\adele");
  await page.click("#create button[type=submit]");
  await page.waitForSelector("#edit-section:not([hidden])");
  await shot(page, "admin-11-profile-created");
  await page.click("#delete-profile");
  await page.waitForSelector("#edit-section[hidden]", { state: "attached" });
  assert.match(await page.textContent("#status"), /Deleted/);
  assert.equal((await straight(token, "GET", "/admin/v1/profiles", undefined, "farm")).body.value.length, 0);
  await context.close();
});

test("properties: a bad name beside its field; removing one with values shows the store's words, clearing lets it go", async () => {
  const { context, page } = await signedIn("spa@contoso.com", "properties.html");
  await readyPage(page);
  assert.match(await page.textContent("#schema"), /CostCenter/);
  await page.fill("#add-name", "Bad Name!");
  await page.click("#add button[type=submit]");
  await page.waitForSelector("#add-name-error:not([hidden])");
  const shown = await page.textContent("#add-name-error");
  const token = await up.userToken("contoso", app, "spa@contoso.com", password);
  const same = await straight(token, "POST", "/admin/v1/properties", {
    name: "Bad Name!", type: "string", multiValue: false, userEditable: false, syncToSites: false,
  });
  assert.equal(same.status, 400);
  assert.equal(same.body.error.message, shown);
  await shot(page, "admin-12-property-bad-name");

  await page.fill("#add-name", "Badge");
  await page.fill("#add-display", "Badge number");
  await page.selectOption("#add-type", "integer");
  await page.check("#add-editable");
  await page.click("#add button[type=submit]");
  await page.waitForSelector("#status:not([hidden])");
  const added = (await straight(token, "GET", "/admin/v1/properties")).body.value
    .find((p) => p.name === "Badge");
  assert.deepEqual([added.type, added.userEditable, added.displayName],
    ["integer", true, "Badge number"]);

  await page.click("button[aria-label='Remove CostCenter']");
  await page.waitForSelector("#remove-section:not([hidden])");
  assert.match(await page.textContent("#remove-error"), /still has values in 2 profile\(s\)/);
  await shot(page, "admin-13-property-has-values");
  await page.click("#clear-values");
  await page.waitForSelector("#remove-section[hidden]", { state: "attached" });
  await page.waitForFunction(() => !document.querySelector("#schema").textContent.includes("CostCenter"));
  assert.match(await page.textContent("#status"), /Removed CostCenter/);
  await context.close();
});

test("apps and people: register (secret once), remove; a short password beside its field", async () => {
  const { context, page } = await signedIn("ga@contoso.com", "apps.html");
  await readyPage(page);
  await page.click("#add-app button[type=submit]");
  await page.waitForSelector("#app-name-error:not([hidden])");
  const token = await up.userToken("contoso", app, "ga@contoso.com", password);
  const sameName = await straight(token, "POST", "/admin/v1/apps", { name: "", redirectUris: [] });
  assert.equal(sameName.body.error.message, await page.textContent("#app-name-error"));

  await page.fill("#app-name", "hr-feed");
  await page.click("#add-app button[type=submit]");
  await page.waitForSelector("#secret-box:not([hidden])");
  const secret = await page.textContent("#secret");
  assert.ok(secret.length >= 20);
  await shot(page, "admin-14-app-secret");
  const apps = (await straight(token, "GET", "/admin/v1/apps")).body.value;
  const made = apps.find((a) => a.name === "hr-feed");
  const appToken = await up.appToken("contoso", { clientId: made.clientId, clientSecret: secret });
  assert.equal((await straight(appToken, "GET", "/admin/v1/tenant")).status, 200);
  await page.click("button[aria-label='Remove hr-feed']");
  await page.waitForFunction(() => !document.querySelector("#apps").textContent.includes("hr-feed"));
  // Its tokens stop within the credential cache's bound (2 s, auth/credential_cache.h).
  const removedAt = Date.now();
  let status = 200;
  while (status === 200 && Date.now() - removedAt < 5000) {
    status = (await straight(appToken, "GET", "/admin/v1/tenant")).status;
    if (status === 200) await new Promise((r) => setTimeout(r, 100));
  }
  assert.equal(status, 401, "the removed app's token stops");
  assert.ok(Date.now() - removedAt < 3000, `stopped after ${Date.now() - removedAt} ms`);

  await page.fill("#person-upn", "adele@contoso.com");
  await page.fill("#person-password", "short");
  await page.click("#set-person button[type=submit]");
  await page.waitForSelector("#person-password-error:not([hidden])");
  const same = await straight(token, "PUT", "/admin/v1/people/adele%40contoso.com",
    { password: "short" });
  assert.equal(same.status, 400);
  assert.equal(same.body.error.message, await page.textContent("#person-password-error"));
  await shot(page, "admin-15-person-bad-password");
  await up.userToken("contoso", app, "adele@contoso.com", password);  // unchanged

  await page.selectOption("#person-role", "sharepoint-admin");
  await page.fill("#person-password", "");
  await page.click("#set-person button[type=submit]");
  // #status may still show the app's removal, so wait for the table itself.
  await page.waitForFunction(() =>
    /adele@contoso\.com\s*sharepoint-admin/.test(document.querySelector("#people").textContent));
  await context.close();
});

test("a SharePoint admin sees why apps and people are not theirs to manage", async () => {
  const { context, page } = await signedIn("spa@contoso.com", "apps.html");
  await readyPage(page);
  assert.match(await page.textContent("#apps-error"), /needs a global admin/);
  assert.match(await page.textContent("#people-error"), /needs a global admin/);
  assert.equal(await page.isVisible("#add-app"), false);
  assert.equal(await page.isVisible("#people"), false);
  await shot(page, "admin-16-apps-sharepoint-admin");
  await context.close();
});

test("tenant: kind, education flag, hybrid settings and audiences of a server tenant", async () => {
  up.cli("profile", "create", "--tenant", "farm", "i:0#.w|farm\\ann", "--set", "Department=Sales");
  up.cli("profile", "create", "--tenant", "farm", "i:0#.w|farm\\bob", "--set", "Department=Support");
  up.cli("audience", "add", "-t", "farm", "Sales people", "--rule", "Department=Sales");
  up.cli("hybrid", "set", "-t", "farm", "--online-url", "https://contoso-my.sharepoint.com",
    "--audience", "Sales people");
  const { context, page } = await signedIn("admin@farm.local", "tenant.html", "farm");
  await readyPage(page);
  assert.match(await page.textContent("#facts"), /server/);
  assert.match(await page.textContent("#facts"), /Education\s*no/);
  assert.match(await page.textContent("#hybrid"), /https:\/\/contoso-my\.sharepoint\.com/);
  assert.match(await page.textContent("#hybrid"), /members of the audience Sales people/);
  assert.deepEqual(await page.$$eval("#audiences tbody td", (tds) => tds.slice(0, 3)
    .map((td) => td.textContent)), ["Sales people", "Department = Sales", "1"]);
  assert.equal((await checkAccessibility(page, "admin tenant (server)")).serious, 0);
  await shot(page, "admin-17-tenant-server");
  await context.close();
});
