// The admin pages for bulk imports and directory sync in a real browser (playwright-core,
// Debian's chromium) against `upsync serve` and a throwaway slapd:
// - a global admin uploads a 20,000-record file in fragments, maps it, queues it and watches
//   the job reach Succeeded with its count rising, then opens the log of a failing job whose
//   lines name the identities that did not resolve;
// - a SharePoint admin is refused the queue with seed 003's reason;
// - bad input (a file that is not JSON, one over the server's file size limit, a mapping to a
//   user-editable or unknown property, a broken connector document) is answered next to its
//   field, stores nothing, and the same request straight to the API gets the same words;
// - an admin runs a dry-run sync against slapd, sees the changes, runs it for real and sees
//   the counts in the history; a run that trips the deletion threshold shows the prompt, and
//   allowing it once completes it.
// Each page's axe-core result, transferred size and time to interactive are printed;
// screenshots admin-import-NN.png and admin-sync-NN.png go to the artifacts.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import {
  checkAccessibility, launchBrowser, measurePage, newPage, shot, signInThroughPage,
} from "./lib/browser.mjs";
import { Slapd } from "./lib/slapd.mjs";
import { Upsync } from "./lib/upsync.mjs";

const up = new Upsync();
const password = "admin-password";
const lib = "/sites/hr/Shared Documents";
const people = 50;
const records = 20000;
const maxFileBytes = 3 * 1024 * 1024;
const ldapUsers = 520;  // over the deletion threshold of 500
const upn = (i) => `person${i}@contoso.com`;
let browser;
let app;
let ldap;
const measured = {};

const pageUrl = (name) => `${up.origin}/tenants/contoso/_layouts/15/upsync/admin/${name}`;

before(async () => {
  app = up.addTenant("contoso");
  for (const [who, role] of [["ga", "global-admin"], ["spa", "sharepoint-admin"]]) {
    up.cli("user", "password", "set", "--tenant", "contoso", `${who}@contoso.com`, "--role", role,
      "--password", password);
  }
  up.cli("property", "add", "--tenant", "contoso", "Notes", "--max-length", "200");
  for (let i = 0; i < people; i++) {
    up.cli("profile", "create", "--tenant", "contoso", `i:0#.f|membership|${upn(i)}`,
      "--set", `WorkEmail=${upn(i)}`);
  }
  ldap = await Slapd.start(ldapUsers, 0, { SIZELIMIT: "2000" });
  await up.start(["--worker-interval", "0.1", "--max-file-size", String(maxFileBytes)]);
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  await up.stop();
  ldap?.stop();
  for (const [label, m] of Object.entries(measured)) {
    console.log(`page ${label}: ${(m.bytes / 1024).toFixed(1)} KB, interactive in ${m.ms.toFixed(0)} ms`);
  }
});

function importFile(n, id = (r) => upn(r % people)) {
  const value = [];
  for (let r = 0; r < n; r++) value.push({ IdName: id(r), Notes: `note ${r}` });
  return Buffer.from(JSON.stringify({ value }));
}

async function token(who) {
  return who === "app" ? up.appToken("contoso", app)
    : up.userToken("contoso", app, `${who}@contoso.com`, password);
}

// The API straight, as a client sends it: { status, message } of the answer.
async function straight(who, method, path, body, type = "application/json") {
  const res = await fetch(`${up.origin}/tenants/contoso${path}`, {
    method,
    headers: { Authorization: `Bearer ${await token(who)}`, Accept: "application/json;odata=nometadata",
      "Content-Type": type },
    body: type === "application/json" && body !== undefined ? JSON.stringify(body) : body,
  });
  const text = await res.text();
  let parsed = null;
  try { parsed = JSON.parse(text); } catch { parsed = text; }
  const e = parsed?.["odata.error"] ?? parsed?.error;
  return { status: res.status, body: parsed, message: e?.message?.value ?? e?.message };
}

const fileOnServer = async (name) =>
  (await straight("app", "GET",
    `/sites/hr/_api/web/GetFileByServerRelativePath(decodedUrl='${encodeURIComponent(`${lib}/${name}`)}')`)).status;
const jobCount = async () => (await straight("app", "GET", "/admin/v1/import/jobs")).body.value.length;
const text = (page, sel) => page.textContent(sel);

async function signedIn(who, name) {
  const opened = await newPage(browser);
  await signInThroughPage(opened.page, pageUrl(name), `${who}@contoso.com`, password);
  await opened.page.waitForSelector("main[data-ready]");
  return opened;
}

async function uploadThroughPage(page, name, buffer) {
  await page.setInputFiles("#file", { name, mimeType: "application/json", buffer });
  await page.waitForFunction(() => document.getElementById("file-facts").textContent ||
    !document.getElementById("file-error").hidden);
  await page.fill("#library", lib);
  await page.click("#upload");
}

test("a global admin uploads 20,000 records, maps, queues and watches the job to Succeeded", async () => {
  const { context, page, problems } = await signedIn("ga", "import.html");
  await shot(page, "admin-import-01");
  assert.equal((await checkAccessibility(page, "admin import")).serious, 0);

  await uploadThroughPage(page, "people.json", importFile(records));
  await page.waitForSelector("#queue-form:not([hidden])", { timeout: 60000 });
  assert.match(await text(page, "#file-facts"), /20000 records, fields: IdName, Notes/);
  assert.equal(await page.getAttribute("#upload-progress", "value"), "100");
  // Targets are those the import takes: Notes, not the user-editable AboutMe.
  const targets = await page.$$eval("#targets option", (os) => os.map((o) => o.value));
  assert.ok(targets.includes("Notes"), targets.join());
  assert.ok(!targets.includes("AboutMe"));
  assert.equal(await page.inputValue("#id-property"), "IdName");
  assert.equal(await page.inputValue("#mapping input[data-field=Notes]"), "Notes");
  await shot(page, "admin-import-02");

  await page.evaluate(() => {
    window.seen = [];
    const watch = document.getElementById("watch");
    new MutationObserver(() => window.seen.push(
      `${document.getElementById("job-state").textContent}|${document.getElementById("job-records").textContent}`))
      .observe(watch, { subtree: true, childList: true, characterData: true });
  });
  await page.click("#queue");
  await page.waitForFunction(() => document.getElementById("job-state").textContent === "Succeeded",
    null, { timeout: 120000 });
  const seen = [...new Set(await page.evaluate(() => window.seen))];
  console.log(`job as the page showed it: ${seen.join(" → ")}`);
  const counts = seen.map((s) => Number(s.split("|")[1].split(" ")[0]));
  for (let i = 1; i < counts.length; i++) assert.ok(counts[i] >= counts[i - 1], seen.join());
  assert.ok(new Set(counts).size >= 2, `the count did not rise: ${seen.join()}`);
  assert.equal(await text(page, "#job-records"), `${records} of ${records}`);
  assert.match(await text(page, "#job-rate"), /records\/s/);
  await shot(page, "admin-import-03");

  // A job that fails: its log names the identities that did not resolve.
  await page.reload();
  await page.waitForSelector("main[data-ready]");
  await uploadThroughPage(page, "ghosts.json",
    importFile(4, (r) => (r % 2 ? `ghost${r}@contoso.com` : upn(r))));
  await page.waitForSelector("#queue-form:not([hidden])");
  await page.click("#queue");
  await page.waitForFunction(() => document.getElementById("job-state").textContent === "Error",
    null, { timeout: 60000 });
  assert.match(await text(page, "#job-error"), /ImportCompleteWithError/);
  await page.click("#jobs tr:first-child button");
  await page.waitForSelector("#log:not([hidden])");
  const log = await text(page, "#log-lines");
  assert.match(log, /IdentityNotResolvable ghost1@contoso.com/);
  assert.match(log, /IdentityNotResolvable ghost3@contoso.com/);
  assert.doesNotMatch(log, /person0@contoso.com/);
  assert.match(await text(page, "#jobs tr:first-child"), /Error/);
  assert.match(await text(page, "#jobs tr:last-child"), /Succeeded/);
  await shot(page, "admin-import-04");
  assert.equal((await checkAccessibility(page, "admin import, job and log")).serious, 0);
  assert.deepEqual(problems.filter((p) => !/status of 4\d\d/.test(p)), []);
  measured["admin import"] = await measurePage(browser, pageUrl("import.html"), "main[data-ready]",
    await context.storageState(), "admin import");
  await context.close();
});

test("a SharePoint admin is refused the queue with seed 003's reason, as from the API", async () => {
  const { context, page } = await signedIn("spa", "import.html");
  const before = await jobCount();
  await uploadThroughPage(page, "spa.json", importFile(3));
  await page.waitForSelector("#queue-form:not([hidden])");
  await page.click("#queue");
  await page.waitForSelector("#mapping-error:not([hidden])");
  const shown = await text(page, "#mapping-error");
  assert.match(shown, /a SharePoint admin is not sufficient \(seed 003\)/);
  await shot(page, "admin-import-05");
  assert.equal(await jobCount(), before);
  const api = await straight("spa", "POST",
    "/_api/Microsoft.Online.SharePoint.TenantManagement.Office365Tenant/QueueImportProfileProperties",
    { idType: "Email", sourceDataIdProperty: "IdName", propertyMap: { Notes: "Notes" },
      sourceUri: `${up.origin}/tenants/contoso${lib}/spa.json` });
  assert.equal(api.status, 403);
  assert.equal(api.message, shown);
  await context.close();
});

test("bad files and mappings are answered beside their field, store nothing, as from the API", async () => {
  const { context, page } = await signedIn("ga", "import.html");
  // Not JSON: seed 003's DataFileNotJson, and nothing is uploaded.
  await uploadThroughPage(page, "broken.json", Buffer.from('{"value":[{"IdName":"x",}'));
  await page.waitForSelector("#file-error:not([hidden])");
  assert.match(await text(page, "#file-error"), /^DataFileNotJson - /);
  assert.ok(await page.isHidden("#queue-form"));
  assert.equal(await fileOnServer("broken.json"), 404);
  await shot(page, "admin-import-06");

  // Over the server's limit: refused by the file API in the middle of the upload, nothing kept.
  const big = importFile(60000);
  assert.ok(big.length > maxFileBytes);
  await uploadThroughPage(page, "big.json", big);
  await page.waitForFunction(() => /exceeds the limit allowed/.test(document.getElementById("file-error").textContent),
    null, { timeout: 60000 });
  const shown = await text(page, "#file-error");
  assert.match(shown, new RegExp(`exceeds the limit allowed \\(${maxFileBytes} bytes\\)`));
  assert.equal(await fileOnServer("big.json"), 404);
  await shot(page, "admin-import-07");
  const api = await straight("ga", "POST",
    `/sites/hr/_api/web/GetFolderByServerRelativePath(decodedUrl='${encodeURIComponent(lib)}')/Files/AddUsingPath(decodedurl='big.json',overwrite=true)`,
    big, "application/octet-stream");
  assert.equal(api.status, 413);
  assert.equal(api.message.replace(/\(\d+ bytes\) exceeds/, "(N bytes) exceeds"),
    shown.replace(/\(\d+ bytes\) exceeds/, "(N bytes) exceeds"));
  assert.equal(await fileOnServer("big.json"), 404);

  // Mappings the queue refuses (seed 003's words); no job is stored.
  await uploadThroughPage(page, "map.json", importFile(3));
  await page.waitForSelector("#queue-form:not([hidden])");
  const before = await jobCount();
  for (const [target, words] of [["AboutMe", "Property Names [AboutMe] are editable by user."],
    ["NoSuchProperty", "Property Names [NoSuchProperty] do not exist."]]) {
    await page.fill("#mapping input[data-field=Notes]", target);
    await page.click("#queue");
    await page.waitForFunction((w) => document.getElementById("mapping-error").textContent === w, words);
    const straightAnswer = await straight("ga", "POST",
      "/_api/Microsoft.Online.SharePoint.TenantManagement.Office365Tenant/QueueImportProfileProperties",
      { idType: "Email", sourceDataIdProperty: "IdName", propertyMap: { Notes: target },
        sourceUri: `${up.origin}/tenants/contoso${lib}/map.json` });
    assert.equal(straightAnswer.status, 400);
    assert.equal(straightAnswer.message, words);
  }
  await shot(page, "admin-import-08");
  assert.equal(await jobCount(), before);
  await context.close();
});

const connector = (filter = "(objectClass=inetOrgPerson)") => `type = "ldap"
url = "${ldap.url}"
base = "ou=people,dc=example,dc=com"
filter = "${filter}"
`;

async function historyTop(page) {
  return page.$$eval("#runs tr:first-child td", (tds) => tds.map((td) => td.textContent));
}

test("an admin sets the connector, runs a dry run, runs it for real, and allows a threshold stop once", async () => {
  const { context, page, problems } = await signedIn("ga", "sync.html");
  await shot(page, "admin-sync-01");
  assert.equal((await checkAccessibility(page, "admin sync")).serious, 0);

  // A broken document: its line is named beside it, nothing is stored, the API says the same.
  const broken = 'type = "ldap"\nurl = "ldap://127.0.0.1\n';
  await page.fill("#toml", broken);
  await page.click("#save-connector");
  await page.waitForSelector("#toml-error:not([hidden])");
  const shown = await text(page, "#toml-error");
  assert.match(shown, /line 2/);
  await shot(page, "admin-sync-02");
  assert.equal((await straight("ga", "GET", "/admin/v1/sync/connector")).status, 404);
  const api = await straight("ga", "PUT", "/admin/v1/sync/connector", { name: "directory", toml: broken });
  assert.equal(api.status, 400);
  assert.equal(api.message, shown);

  await page.fill("#toml", connector());
  await page.click("#save-connector");
  await page.waitForFunction(() => /Saved/.test(document.getElementById("connector-status").textContent));
  await page.click("#test-connector");
  await page.waitForFunction(() => /Connected to/.test(document.getElementById("connector-status").textContent));

  // Dry run: the changes as a table, nothing written.
  await page.evaluate(() => {
    window.stages = [];
    new MutationObserver(() => window.stages.push(document.getElementById("live-stages").textContent))
      .observe(document.getElementById("live-stages"), { childList: true, subtree: true });
  });
  await page.click("#run-dry");
  await page.waitForSelector("#diff:not([hidden])", { timeout: 120000 });
  assert.match(await text(page, "#diff-title"), /dry run/);
  const added = await page.$$eval("#diff-rows tr.added", (rows) => rows.length);
  assert.ok(added >= ldapUsers, `${added} added rows`);
  assert.match(await text(page, "#diff-rows tr.added"), /user0000\d\d@example.com|user/);
  await shot(page, "admin-sync-03");
  console.log(`live progress as shown: ${[...new Set(await page.evaluate(() => window.stages))].filter(Boolean).join(" | ") || "(the run ended before a poll)"}`);
  let top = await historyTop(page);
  assert.match(top[1], /dry run/);
  assert.equal(top[2], "succeeded");

  await page.click("#run-delta");
  await page.waitForFunction(() => /^run,/.test(document.querySelector("#runs tr:first-child td:nth-child(2)")?.textContent ?? ""),
    null, { timeout: 120000 });
  top = await historyTop(page);
  assert.equal(top[2], "succeeded");
  assert.ok(Number(top[3]) >= ldapUsers, top.join());
  await shot(page, "admin-sync-04");

  // A changed title in the directory: the dry run shows the profile's before → after.
  execFileSync("ldapmodify", ["-x", "-H", ldap.url, "-D",
    "cn=admin,dc=example,dc=com", "-w", "secret"], {
    input: "dn: uid=user000007,ou=people,dc=example,dc=com\nchangetype: modify\n" +
      "replace: title\ntitle: Chief Sync Officer\n",
  });
  await page.click("#run-dry");
  await page.waitForSelector("#diff:not([hidden])", { timeout: 120000 });
  const updated = await page.$$eval("#diff-rows tr.updated", (rows) =>
    rows.map((r) => [...r.cells].map((c) => c.textContent)));
  const profileRow = updated.find((cells) => cells[0] === "store-to-profiles");
  assert.ok(profileRow, JSON.stringify(updated));
  assert.equal(profileRow[2], "i:0#.f|membership|user000007@example.com");
  assert.match(profileRow[3], /Title: Title 7 → Chief Sync Officer/);
  await shot(page, "admin-sync-04b");

  // Every user leaves the scope: more deletions than the threshold stop the run.
  await page.fill("#toml", connector("(uid=nobody)"));
  await page.click("#save-connector");
  await page.waitForFunction(() => /Saved/.test(document.getElementById("connector-status").textContent));
  await page.click("#run-delta");
  await page.waitForSelector("#threshold:not([hidden])", { timeout: 120000 });
  assert.match(await text(page, "#threshold-text"), /more than the deletion threshold of 500/);
  // The stopped run is in the history, failed, with nothing deleted.
  await page.waitForFunction(() => document.querySelector("#runs tr:first-child td:nth-child(3)")?.textContent === "failed");
  top = await historyTop(page);
  assert.match(top[6], /deletion threshold/);
  await shot(page, "admin-sync-05");
  assert.equal((await checkAccessibility(page, "admin sync, threshold prompt")).serious, 0);
  await page.click("#allow-once");
  await page.waitForFunction(() => document.querySelector("#runs tr:first-child td:nth-child(3)")?.textContent === "succeeded",
    null, { timeout: 120000 });
  top = await historyTop(page);
  assert.ok(Number(top[5]) >= ldapUsers, top.join());
  assert.ok(await page.isHidden("#threshold"));
  await shot(page, "admin-sync-06");

  // The schedule.
  await page.fill("#interval", "every day");
  await page.click("#schedule-form button");
  await page.waitForSelector("#schedule-error:not([hidden])");
  await page.fill("#interval", "60");
  await page.click("#schedule-form button");
  await page.waitForFunction(() => /Runs every 60 minutes/.test(document.getElementById("schedule-status").textContent));
  assert.equal((await straight("ga", "GET", "/admin/v1/sync/schedule")).body.intervalSeconds, 3600);
  await shot(page, "admin-sync-07");
  assert.deepEqual(problems.filter((p) => !/status of 4\d\d/.test(p)), []);
  measured["admin sync"] = await measurePage(browser, pageUrl("sync.html"), "main[data-ready]",
    await context.storageState(), "admin sync");
  await context.close();
});
