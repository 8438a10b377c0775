// upsync's own pages in a real browser: playwright-core drives Debian's chromium (headless)
// through the sign-in page (a wrong password, then the right one), the signed-in home page
// and sign-out; and @azure/msal-node's authorization-code flow with PKCE, whose sign-in page
// the browser fills, gets a token that reads GetMyProperties and Graph's me. Screenshots of
// every page go to build/test-artifacts/pages/ (or $UPSYNC_ARTIFACTS), which CI keeps.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { PublicClientApplication, CryptoProvider } from "@azure/msal-node";
import { checkAccessibility, launchBrowser, newPage as openPage, shot } from "./lib/browser.mjs";
import { Upsync } from "./lib/upsync.mjs";

const redirectUri = "http://localhost:3000/redirect";
const adele = "i:0#.f|membership|adele@contoso.com";

const up = new Upsync();
let browser;
let app;

before(async () => {
  up.cli("tenant", "create", "contoso", "--kind", "online");
  app = up.cli("--json", "app", "add", "--tenant", "contoso", "web-app",
    "--redirect-uri", redirectUri);
  up.cli("user", "password", "set", "--tenant", "contoso", "adele@contoso.com",
    "--password", "adele-password");
  up.cli("directory", "user", "add", "--tenant", "contoso", "adele@contoso.com",
    "--set", "displayName=Adele Vance", "--set", "jobTitle=Retail Manager");
  up.cli("profile", "create", "--tenant", "contoso", adele, "--set", "PreferredName=Adele Vance",
    "--set", "WorkEmail=adele@contoso.com");
  await up.start();
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  await up.stop();
});

const newPage = () => openPage(browser);

test("sign-in answers a wrong password in the form, then the right one shows who is signed in", async () => {
  const { context, page, problems } = await newPage();
  const home = `${up.origin}/tenants/contoso/_layouts/15/upsync/`;
  await page.goto(home);
  // No session: the home page's script sends the browser to the sign-in page.
  await page.waitForURL(/\/_layouts\/15\/Authenticate\.aspx\?Source=/);
  await page.waitForSelector("#username");
  await shot(page, "01-sign-in");
  assert.equal((await checkAccessibility(page, "sign-in")).serious, 0);

  await page.fill("#username", "adele@contoso.com");
  await page.fill("#password", "not-her-password");
  await page.click("button[type=submit]");
  await page.waitForSelector("#error-message");
  assert.match(await page.textContent("#error-message"), /Your account or password is incorrect/);
  assert.equal(await page.inputValue("#username"), "adele@contoso.com");
  assert.equal(await page.inputValue("#password"), "");
  await shot(page, "02-sign-in-wrong-password");

  await page.fill("#password", "adele-password");
  await page.click("button[type=submit]");
  await page.waitForURL(home);
  await page.waitForSelector("#facts:not([hidden])");
  assert.equal(await page.textContent("#upn"), "adele@contoso.com");
  assert.equal(await page.textContent("#name"), "Adele Vance");
  assert.equal(await page.textContent("#role"), "user");
  await shot(page, "03-home-signed-in");
  assert.equal((await checkAccessibility(page, "home")).serious, 0);

  const cookies = await context.cookies();
  const session = cookies.find((c) => c.name === "__Host-upsync-contoso");
  assert.ok(session, JSON.stringify(cookies));
  assert.equal(session.httpOnly, true);
  assert.equal(session.secure, true);
  assert.equal(session.sameSite, "Strict");
  assert.equal(session.path, "/");
  // The page's script cannot read it.
  assert.equal(await page.evaluate(() => document.cookie.includes("upsync-contoso")), false);

  // A write with the cookie but without the CSRF token is refused; the session lives on.
  const csrfLess = await page.evaluate(async () => {
    const r = await fetch("/tenants/contoso/_layouts/15/upsync/signout", { method: "POST" });
    return r.status;
  });
  assert.equal(csrfLess, 403);
  const profileWrite = await page.evaluate(async () => {
    const r = await fetch("/tenants/contoso/_api/SP.UserProfiles.PeopleManager/SetSingleValueProfileProperty", {
      method: "POST", headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ accountName: "i:0#.f|membership|adele@contoso.com",
        propertyName: "AboutMe", propertyValue: "written by another site" }),
    });
    return r.status;
  });
  assert.equal(profileWrite, 403);

  await page.click("#sign-out button");
  await page.waitForURL(/\/_layouts\/15\/Authenticate\.aspx/);
  await page.waitForSelector("#username");
  await shot(page, "04-signed-out");
  const after = await page.evaluate(async () =>
    (await fetch("/tenants/contoso/_layouts/15/upsync/session")).status);
  assert.equal(after, 401);
  // The old cookie value, replayed by hand, is no longer a session.
  const replay = await fetch(`${up.origin}/tenants/contoso/_layouts/15/upsync/session`, {
    headers: { Cookie: `__Host-upsync-contoso=${session.value}` },
  });
  assert.equal(replay.status, 401);
  assert.deepEqual(problems.filter((p) => !/401|403/.test(p)), []);
  await context.close();
});

test("msal-node's authorization-code flow with PKCE signs a person in through the page", async () => {
  const pca = new PublicClientApplication({
    auth: {
      clientId: app.clientId,
      authority: `${up.origin}/contoso`,
      knownAuthorities: [`127.0.0.1:${up.port}`],
    },
  });
  const crypto = new CryptoProvider();
  const { verifier, challenge } = await crypto.generatePkceCodes();
  const state = crypto.createNewGuid();
  const nonce = crypto.createNewGuid();
  const scopes = ["https://contoso.sharepoint.com/.default"];
  const url = await pca.getAuthCodeUrl({
    scopes, redirectUri, codeChallenge: challenge, codeChallengeMethod: "S256", state, nonce,
  });
  assert.ok(url.startsWith(`${up.origin}/contoso/oauth2/v2.0/authorize?`), url);

  const { context, page } = await newPage();
  let redirected;
  // The application's redirect URI: the browser lands here with the code.
  await page.route("http://localhost:3000/**", (route) => {
    redirected = route.request().url();
    return route.fulfill({ status: 200, contentType: "text/html", body: "<p>app</p>" });
  });
  await page.goto(url);
  await page.waitForSelector("#username");
  await shot(page, "05-msal-authorize");
  await page.fill("#username", "adele@contoso.com");
  await page.fill("#password", "adele-password");
  await page.click("button[type=submit]");
  await page.waitForURL(/localhost:3000\/redirect/);
  const answer = new URL(redirected);
  assert.equal(answer.searchParams.get("state"), state);
  const code = answer.searchParams.get("code");
  assert.ok(code);

  const result = await pca.acquireTokenByCode(
    { code, scopes, redirectUri, codeVerifier: verifier, state },
    { code, state, nonce });
  assert.equal(result.account.username, "adele@contoso.com");
  assert.equal(result.idTokenClaims.nonce, nonce);
  assert.equal(result.account.homeAccountId, "adele@contoso.com.contoso");

  const props = await fetch(
    `${up.origin}/tenants/contoso/_api/SP.UserProfiles.PeopleManager/GetMyProperties`,
    { headers: { Authorization: `Bearer ${result.accessToken}`,
      Accept: "application/json;odata=nometadata" } });
  assert.equal(props.status, 200);
  assert.equal((await props.json()).AccountName, adele);
  const me = await fetch(`${up.origin}/tenants/contoso/v1.0/me`,
    { headers: { Authorization: `Bearer ${result.accessToken}` } });
  assert.equal(me.status, 200);
  const meBody = await me.json();
  assert.equal(meBody.userPrincipalName, "adele@contoso.com");
  assert.equal(meBody.displayName, "Adele Vance");

  // The code was spent: the same exchange again is Azure AD's AADSTS54005.
  await assert.rejects(
    pca.acquireTokenByCode({ code, scopes, redirectUri, codeVerifier: verifier }),
    (err) => { assert.match(err.errorMessage, /AADSTS54005/); return true; });

  // MSAL asks for offline_access by itself and keeps the refresh token it got: a silent call
  // for another resource of the tenant redeems it, and a forced refresh redeems the next one
  // (each redemption rotates it).
  const graph = await pca.acquireTokenSilent({
    account: result.account, scopes: ["https://graph.microsoft.com/.default"],
  });
  assert.notEqual(graph.accessToken, result.accessToken);
  const meAgain = await fetch(`${up.origin}/tenants/contoso/v1.0/me`,
    { headers: { Authorization: `Bearer ${graph.accessToken}` } });
  assert.equal(meAgain.status, 200);
  const forced = await pca.acquireTokenSilent({ account: result.account, scopes,
    forceRefresh: true });
  assert.notEqual(forced.accessToken, result.accessToken);
  const propsAgain = await fetch(
    `${up.origin}/tenants/contoso/_api/SP.UserProfiles.PeopleManager/GetMyProperties`,
    { headers: { Authorization: `Bearer ${forced.accessToken}`,
      Accept: "application/json;odata=nometadata" } });
  assert.equal(propsAgain.status, 200);
  await context.close();
});
