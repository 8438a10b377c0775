// The person page (/person.aspx, src/http/person_page.h) in a real browser: profiles that the
// directory sync made from cloud directory users (so the org chart and the synced properties
// are the directory's), seen and edited by their owner, a colleague and an admin. Screenshots
// go to build/test-artifacts/pages/person-NN-*.png (or $UPSYNC_ARTIFACTS).
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { checkAccessibility, launchBrowser, newPage, shot, signInThroughPage } from "./lib/browser.mjs";
import { png } from "./lib/png.mjs";
import { Upsync } from "./lib/upsync.mjs";

const up = new Upsync();
let browser;
const claim = (upn) => `i:0#.f|membership|${upn}`;
const page = (upn) =>
  `${up.origin}/tenants/contoso/person.aspx?accountname=${encodeURIComponent(claim(upn))}`;
const own = () => `${up.origin}/tenants/contoso/my/Person.aspx`;
const reportCount = 50;

before(async () => {
  up.cli("tenant", "create", "contoso", "--kind", "online");
  const ids = {};
  // Nestor ← Megan ← Adele ← Alex, and Lynne beside Adele under Megan.
  const people = [
    ["nestor@contoso.com", "Nestor Wilke", "Chief Executive", "Board", null],
    ["megan@contoso.com", "Megan Bowen", "Marketing Director", "Marketing", "nestor@contoso.com"],
    ["adele@contoso.com", "Adele Vance", "Retail Manager", "Retail", "megan@contoso.com"],
    ["lynne@contoso.com", "Lynne Robbins", "Planner", "Retail", "megan@contoso.com"],
    ["alex@contoso.com", "Alex Wilber", "Sales Associate", "Retail", "adele@contoso.com"],
  ];
  for (const [upn, name, title, department, manager] of people) {
    const u = up.cli("--json", "directory", "user", "add", "--tenant", "contoso", upn,
      "--set", `displayName=${name}`, "--set", `jobTitle=${title}`,
      "--set", `department=${department}`, "--set", `mail=${upn}`,
      "--set", "physicalDeliveryOfficeName=Building 4");
    ids[upn] = u.objectId;
    if (manager) {
      up.cli("directory", "user", "set", "--tenant", "contoso", upn,
        "--set", `manager=${ids[manager]}`);
    }
  }
  // Miriam manages fifty people.
  const miriam = up.cli("--json", "directory", "user", "add", "--tenant", "contoso",
    "miriam@contoso.com", "--set", "displayName=Miriam Graham", "--set", "jobTitle=Director");
  for (let i = 1; i <= reportCount; i++) {
    const n = String(i).padStart(2, "0");
    up.cli("directory", "user", "add", "--tenant", "contoso", `report${n}@contoso.com`,
      "--set", `displayName=Report ${n}`, "--set", `jobTitle=Analyst ${n}`,
      "--set", `manager=${miriam.objectId}`);
  }
  up.cli("sync", "run", "-t", "contoso");
  for (const upn of ["adele@contoso.com", "lynne@contoso.com"]) {
    up.cli("user", "password", "set", "--tenant", "contoso", upn, "--password", `${upn}-pw`);
  }
  up.cli("user", "password", "set", "--tenant", "contoso", "admin@contoso.com",
    "--password", "admin-pw", "--role", "global-admin");
  up.cli("profile", "set", "--tenant", "contoso", claim("adele@contoso.com"),
    "--set", "CellPhone=+1 555 0100");
  up.cli("property", "set", "-t", "contoso", "CellPhone", "--privacy", "Private");
  // Office is for everyone to see, unless its owner chooses otherwise.
  up.cli("property", "set", "-t", "contoso", "Office", "--user-can-override", "true");
  await up.start();
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  await up.stop();
});

const texts = (p, selector) => p.$$eval(selector, (els) => els.map((e) => e.textContent.trim()));

async function signedIn(upn, password, url) {
  const opened = await newPage(browser);
  await signInThroughPage(opened.page, url, upn, password);
  await opened.page.waitForSelector("#loading[hidden]", { state: "attached" });
  return opened;
}

test("a person sees their page: the directory's org chart, synced properties marked, and edits",
  async () => {
    const { context, page: p, problems } = await signedIn("adele@contoso.com",
      "adele@contoso.com-pw", own());
    assert.equal(await p.textContent("#name"), "Adele Vance");
    assert.match(await p.textContent("#headline"), /Retail Manager · Retail · Building 4/);
    assert.equal(await p.textContent("#photo"), "AV");
    // The manager chain to the top, reports and peers, as the directory has them.
    assert.deepEqual(await texts(p, "#managers a"), ["Nestor Wilke", "Megan Bowen"]);
    assert.deepEqual(await texts(p, "#reports a"), ["Alex Wilber"]);
    assert.deepEqual(await texts(p, "#peers a"), ["Lynne Robbins"]);
    assert.match(await p.getAttribute("#reports a", "href"),
      /\/tenants\/contoso\/person\.aspx\?accountname=i%3A0%23\.f%7Cmembership%7Calex%40contoso\.com$/);
    await shot(p, "person-01-own-page");
    assert.equal((await checkAccessibility(p, "person page")).serious, 0);

    // The sync icon is on exactly the properties the directory writes.
    const schema = await p.evaluate(async () =>
      (await (await fetch("/tenants/contoso/admin/v1/properties",
        { headers: { Accept: "application/json" } })).json()).value);
    const synced = new Set(schema.filter((d) => d.directoryImported).map((d) => d.name));
    const shown = await p.$$eval("#properties dt", (dts) =>
      dts.map((dt) => [dt.dataset.property, !!dt.querySelector(".sync")]));
    assert.ok(shown.length > 5, JSON.stringify(shown));
    for (const [name, icon] of shown) assert.equal(icon, synced.has(name), name);
    assert.ok(shown.some(([name, icon]) => name === "Department" && icon));
    assert.ok(shown.some(([name, icon]) => name === "CellPhone" && !icon));
    // Department and its taxonomy twin SPS-Department share a label and a value: one row.
    const rows = await p.$$eval("#properties dt", (dts) =>
      dts.map((dt) => `${dt.textContent.trim()}: ${dt.nextElementSibling.textContent}`));
    assert.equal(new Set(rows).size, rows.length, JSON.stringify(rows));

    // Department is the directory's: read-only, with the note.
    assert.equal(await p.getAttribute("#field-Department", "readonly"), "");
    assert.match(await p.textContent('.field[data-property="Department"]'),
      /the next sync would overwrite/);
    // Its taxonomy twin says the same: the form shows one of them, as the page does.
    const labels = await p.$$eval("#fields .field label", (ls) =>
      ls.map((l) => `${l.textContent.trim()}: ${l.control?.value}`));
    assert.equal(new Set(labels).size, labels.length, JSON.stringify(labels));
    assert.equal(await p.$("#field-SPS-Department"), null);

    // Her picture is the photo upload's to set, not an address typed in the form.
    assert.equal(await p.$("#field-PictureURL"), null);
    assert.equal(await p.isVisible("#photo-form"), true);

    // A bad value beside good ones: the store's message beside the field, nothing saved.
    await p.fill("#field-AboutMe", "Retail, and sailing on weekends.");
    await p.fill("#field-SPS-Skills", "Merchandising\nNegotiation");
    await p.fill("#field-SPS-Birthday", "31-31");
    await p.click("#edit-form button[type=submit]");
    const birthdayError = '.field[data-property="SPS-Birthday"] .field-error';
    await p.waitForSelector(`${birthdayError}:not([hidden])`);
    assert.match(await p.textContent(birthdayError), /SPS-Birthday|date/i);
    await shot(p, "person-02-type-error");
    const stored = await p.evaluate(async () => (await (await fetch(
      "/tenants/contoso/_api/SP.UserProfiles.PeopleManager/GetMyProperties",
      { headers: { Accept: "application/json;odata=nometadata" } })).json()).UserProfileProperties);
    const value = (name) => stored.find((kv) => kv.Key === name).Value;
    assert.equal(value("AboutMe"), "");
    assert.equal(value("SPS-Skills"), "");

    // Fixed: all saved, and the page shows them.
    await p.fill("#field-SPS-Birthday", "");
    await p.click("#edit-form button[type=submit]");
    await p.waitForSelector('#properties dd[data-property="SPS-Skills"]');
    assert.equal(await p.textContent('#properties dd[data-property="SPS-Skills"]'),
      "Merchandising, Negotiation");
    assert.equal(await p.textContent('#properties dd[data-property="AboutMe"]'),
      "Retail, and sailing on weekends.");
    // Her private mobile number is hers to see.
    assert.equal(await p.textContent('#properties dd[data-property="CellPhone"]'), "+1 555 0100");
    await shot(p, "person-03-saved");
    // The 401 before the sign-in and the refused save are answers the page handles.
    assert.deepEqual(problems.filter((m) => !/40[013]/.test(m)), []);
    await context.close();
  });

test("a colleague does not see a private property, nor gets an edit form", async () => {
  const { context, page: p } = await signedIn("lynne@contoso.com", "lynne@contoso.com-pw",
    page("adele@contoso.com"));
  assert.equal(await p.textContent("#name"), "Adele Vance");
  assert.equal(await p.$('#properties dd[data-property="CellPhone"]'), null);
  assert.doesNotMatch(await p.textContent("main"), /555 0100/);
  assert.equal(await p.isHidden("#edit"), true);
  // Nor can she save through the API behind the page.
  const status = await p.evaluate(async () => {
    const s = await (await fetch("/tenants/contoso/_layouts/15/upsync/session")).json();
    const r = await fetch(
      "/tenants/contoso/_layouts/15/upsync/profile?accountname=" +
        encodeURIComponent("i:0#.f|membership|adele@contoso.com"),
      { method: "POST", headers: { "Content-Type": "application/json",
        "X-RequestDigest": s.csrfToken }, body: JSON.stringify({ AboutMe: "hi" }) });
    return r.status;
  });
  assert.equal(status, 403);
  await shot(p, "person-04-colleague-view");
  assert.equal((await checkAccessibility(p, "person page, colleague")).serious, 0);
  await context.close();
});

test("a person chooses who sees their office: a peer then does not, until they choose the default",
  async () => {
    const lynne = await signedIn("lynne@contoso.com", "lynne@contoso.com-pw", own());
    const p = lynne.page;
    assert.equal(await p.isVisible("#privacy"), true);
    assert.equal(await p.inputValue("#privacy-Office"), "");
    assert.equal(await p.textContent('#privacy-Office option[value=""]'), "Default (Everyone)");
    await p.selectOption("#privacy-Office", "Private");
    await p.click("#edit-form button[type=submit]");
    await p.waitForSelector("#saved", { state: "visible" });
    await shot(p, "person-05a-privacy-choice");
    assert.equal((await checkAccessibility(p, "person page, privacy choice")).serious, 0);
    // Adele, Lynne's peer, no longer sees it; Lynne does, and her choice is kept.
    const adele = await signedIn("adele@contoso.com", "adele@contoso.com-pw",
      page("lynne@contoso.com"));
    assert.equal(await adele.page.textContent("#name"), "Lynne Robbins");
    assert.equal(await adele.page.$('#properties dd[data-property="Office"]'), null);
    assert.equal(await adele.page.isHidden("#privacy"), true);  // not her profile
    await p.reload();
    await p.waitForSelector("#loading[hidden]", { state: "attached" });
    assert.equal(await p.inputValue("#privacy-Office"), "Private");
    assert.equal(await p.textContent('#properties dd[data-property="Office"]'), "Building 4");
    // Back to the policy's default: Adele sees it again.
    await p.selectOption("#privacy-Office", "");
    await p.click("#edit-form button[type=submit]");
    await p.waitForSelector("#saved", { state: "visible" });
    await adele.page.reload();
    await adele.page.waitForSelector('#properties dd[data-property="Office"]');
    assert.equal(await adele.page.textContent('#properties dd[data-property="Office"]'),
      "Building 4");
    await adele.context.close();
    await lynne.context.close();
  });

test("a manager's fifty reports are named on the page by one request", async () => {
  const { context, page: p } = await newPage(browser);
  const calls = [];
  p.on("request", (r) => {
    const path = new URL(r.url()).pathname.toLowerCase();
    if (path.includes("/v1.0/users") || path.includes("getpropertiesfor")) calls.push(path);
  });
  await signInThroughPage(p, page("miriam@contoso.com"), "lynne@contoso.com",
    "lynne@contoso.com-pw");
  await p.waitForSelector("#loading[hidden]", { state: "attached" });
  const reports = await texts(p, "#reports li");
  assert.equal(reports.length, reportCount);
  assert.equal(reports[0], "Report 01 · Analyst 01");
  assert.equal(reports[reportCount - 1], `Report ${reportCount} · Analyst ${reportCount}`);
  // Her profile, then one Graph read for every name of her org chart.
  assert.deepEqual(calls.map((c) => c.split("/").pop()),
    ["getpropertiesfor(@v)", "users"], JSON.stringify(calls));
  await shot(p, "person-05-fifty-reports");
  await context.close();
});

test("an admin edits a non-synced property of someone else, not a synced one", async () => {
  const { context, page: p } = await signedIn("admin@contoso.com", "admin-pw",
    page("alex@contoso.com"));
  assert.equal(await p.textContent("#name"), "Alex Wilber");
  assert.equal(await p.getAttribute("#field-Department", "readonly"), "");
  await p.fill("#field-Fax", "+1 555 0199");
  await p.click("#edit-form button[type=submit]");
  await p.waitForSelector('#properties dd[data-property="Fax"]');
  assert.equal(await p.textContent('#properties dd[data-property="Fax"]'), "+1 555 0199");
  await shot(p, "person-06-admin-edit");
  await context.close();
});

test("the header's search box finds people by the start of a name, title or department", async () => {
  const { context, page: p } = await signedIn("lynne@contoso.com", "lynne@contoso.com-pw",
    own());
  await p.fill("#people-q", "ade");
  await p.click("#people-search button");
  await p.waitForURL(/search\.html#q=ade$/);
  await p.waitForSelector("#results a");
  assert.deepEqual(await texts(p, "#results a"), ["Adele Vance"]);
  await shot(p, "person-07-search");
  assert.equal((await checkAccessibility(p, "people search")).serious, 0);
  // By department: nothing else of Nestor's says Board; Retail is Adele's title and the
  // department of three.
  await p.fill("#q", "board");
  await p.click("#search button");
  await p.waitForFunction(() => document.querySelector("#results a")?.textContent === "Nestor Wilke");
  assert.deepEqual(await texts(p, "#results a"), ["Nestor Wilke"]);
  await p.fill("#q", "retail");
  await p.click("#search button");
  await p.waitForFunction(() => document.querySelectorAll("#results a").length === 3);
  assert.deepEqual((await texts(p, "#results a")).sort(),
    ["Adele Vance", "Alex Wilber", "Lynne Robbins"]);
  await p.fill("#q", "sales assoc");
  await p.click("#search button");
  await p.waitForFunction(() => document.querySelector("#results a")?.textContent === "Alex Wilber");
  await p.click("#results a");
  await p.waitForURL(/person\.aspx\?accountname=/);
  await p.waitForSelector("#loading[hidden]", { state: "attached" });
  assert.equal(await p.textContent("#name"), "Alex Wilber");
  await context.close();
});

test("a photo uploaded on the page shows on the page and comes back from Graph's photo/$value",
  async () => {
    const { context, page: p, problems } = await signedIn("lynne@contoso.com",
      "lynne@contoso.com-pw", own());
    assert.equal(await p.$("#photo img"), null);  // initials before any photo
    // Not an image: the refusal is shown in the form and nothing changes.
    await p.setInputFiles("#photo-file",
      { name: "notes.png", mimeType: "image/png", buffer: Buffer.from("not a picture") });
    await p.click("#photo-form button[type=submit]");
    await p.waitForSelector("#photo-form [data-error]:not([hidden])");
    assert.match(await p.textContent("#photo-form [data-error]"), /not a JPEG, PNG or GIF/);
    assert.equal(await p.$("#photo img"), null);
    await shot(p, "person-08-photo-refused");

    await p.setInputFiles("#photo-file",
      { name: "lynne.png", mimeType: "image/png", buffer: png(400, 300) });
    await p.click("#photo-form button[type=submit]");
    await p.waitForSelector("#photo img");
    const shown = await p.$eval("#photo img", (img) =>
      img.complete ? { w: img.naturalWidth, src: img.src } : null);
    assert.ok(shown && shown.w > 0, JSON.stringify(shown));
    await shot(p, "person-09-photo");
    assert.equal((await checkAccessibility(p, "person page with a photo")).serious, 0);

    // The same photo through Graph, as another person reads it.
    const graph = await p.evaluate(async () => {
      const r = await fetch("/tenants/contoso/v1.0/users/lynne@contoso.com/photo/$value");
      return { status: r.status, type: r.headers.get("content-type"), size: (await r.arrayBuffer()).byteLength };
    });
    assert.equal(graph.status, 200);
    assert.equal(graph.type, "image/jpeg");
    assert.ok(graph.size > 100, JSON.stringify(graph));
    assert.deepEqual(problems.filter((m) => !/40[01]/.test(m)), []);
    await context.close();
  });
