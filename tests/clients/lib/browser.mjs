// Driving upsync's pages in a real browser: playwright-core with Debian's chromium, headless.
// Shared by every page test: launching, a fresh context per test, screenshots kept as
// artifacts, the accessibility check (axe-core, run inside the page) and the page's weight and
// time to interactive.
//
//   const browser = await launchBrowser();
//   const { context, page, problems } = await newPage(browser);
//   await shot(page, "admin-01-overview");
//   const { serious } = await checkAccessibility(page, "admin overview");  // prints per page
//   const { bytes, ms } = await measurePage(browser, url, "#ready", storageState);
import { mkdirSync, readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { chromium } from "playwright-core";

const here = dirname(fileURLToPath(import.meta.url));
export const artifacts = process.env.UPSYNC_ARTIFACTS
  ? join(process.env.UPSYNC_ARTIFACTS, "pages")
  : resolve(here, "../../../build/test-artifacts/pages");
const chromiumPath = process.env.UPSYNC_CHROMIUM ?? "/usr/bin/chromium";
const axeSource = readFileSync(createRequire(import.meta.url).resolve("axe-core/axe.min.js"), "utf8");

export async function launchBrowser() {
  mkdirSync(artifacts, { recursive: true });
  return chromium.launch({
    executablePath: chromiumPath, headless: true,
    args: ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
      "--disable-background-networking", "--disable-component-update", "--no-first-run"],
  });
}

// A fresh browser profile that trusts the test's self-signed certificate; `problems` collects
// the page's console errors and uncaught exceptions.
export async function newPage(browser, options = {}) {
  const context = await browser.newContext({ ignoreHTTPSErrors: true, ...options });
  const page = await context.newPage();
  const problems = [];
  page.on("console", (m) => { if (m.type() === "error") problems.push(m.text()); });
  page.on("pageerror", (e) => problems.push(e.message));
  return { context, page, problems };
}

// A screenshot is an artifact, not a check: on a loaded machine headless Chromium may not paint
// the frame a full-page capture waits for within the timeout, so a capture that timed out is
// taken once more (the page is asked for a fresh frame first) before the test fails on it.
export async function shot(page, name) {
  const options = { path: join(artifacts, `${name}.png`), fullPage: true, animations: "disabled",
    caret: "hide" };
  try {
    await page.screenshot(options);
  } catch (e) {
    if (e?.name !== "TimeoutError") throw e;
    console.log(`# screenshot ${name}: no frame within the timeout, taken once more`);
    await page.evaluate(() => new Promise((r) => { requestAnimationFrame(() => r()); setTimeout(r, 5000); }));
    await page.screenshot({ ...options, timeout: 60000 });
  }
}

// Signs `upn` in through the sign-in page, starting from `url` (a page that needs a session);
// returns once the browser is back on `url`.
export async function signInThroughPage(page, url, upn, password) {
  await page.goto(url);
  await page.waitForSelector("#username");
  await page.fill("#username", upn);
  await page.fill("#password", password);
  await page.click("button[type=submit]");
  await page.waitForURL(url);
}

// Runs axe-core in the page (injected through the DevTools protocol, so the page's
// Content-Security-Policy does not stop it) and prints its violations by impact. Returns
// { serious, violations }: serious counts the serious and critical ones.
export async function checkAccessibility(page, label) {
  await page.evaluate(axeSource);
  const result = await page.evaluate(async () =>
    // eslint-disable-next-line no-undef
    axe.run(document, { resultTypes: ["violations"] }));
  const violations = result.violations.map((v) => ({
    id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.map((n) => n.target.join(" ")),
  }));
  const serious = violations.filter((v) => v.impact === "serious" || v.impact === "critical");
  const counts = ["critical", "serious", "moderate", "minor"]
    .map((i) => `${i} ${violations.filter((v) => v.impact === i).length}`).join(", ");
  console.log(`axe ${label}: ${counts}`);
  for (const v of serious) console.log(`  ${v.impact} ${v.id}: ${v.help} (${v.nodes.join("; ")})`);
  return { serious: serious.length, violations };
}

// Loads `url` in a fresh context with an empty cache (signed in through `storageState`, as
// context.storageState() gave it) and measures what a first visit costs: the bytes transferred
// (every response's body and headers) and the time from navigation to `readySelector` being
// visible (the page's own signal that it shows its data). Prints both.
export async function measurePage(browser, url, readySelector, storageState, label) {
  const { context, page } = await newPage(browser, { storageState });
  const cdp = await context.newCDPSession(page);
  await cdp.send("Network.enable");
  await cdp.send("Network.setCacheDisabled", { cacheDisabled: true });
  let bytes = 0;
  cdp.on("Network.loadingFinished", (e) => { bytes += e.encodedDataLength; });
  const start = performance.now();
  await page.goto(url);
  await page.waitForSelector(readySelector, { state: "visible" });
  const ms = performance.now() - start;
  await page.waitForLoadState("networkidle");
  await context.close();
  console.log(`page ${label ?? url}: ${(bytes / 1024).toFixed(1)} KB transferred, ` +
    `interactive in ${ms.toFixed(0)} ms`);
  return { bytes, ms };
}
