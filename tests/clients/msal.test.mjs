// @azure/msal-node takes upsync as its authority (OpenID discovery, then the token endpoint)
// and gets client-credentials tokens that the server accepts; bad secrets fail as Azure AD's.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { ConfidentialClientApplication } from "@azure/msal-node";
import { Upsync } from "./lib/upsync.mjs";

const up = new Upsync();
let app;

before(async () => {
  app = up.addTenant("contoso");
  await up.start();
});
after(() => up.stop());

function msal(clientSecret) {
  return new ConfidentialClientApplication({
    auth: {
      clientId: app.clientId,
      clientSecret,
      authority: `${up.origin}/contoso`,
      knownAuthorities: [`127.0.0.1:${up.port}`],
    },
  });
}

test("msal-node gets a client-credentials token that upsync accepts", async () => {
  const result = await msal(app.clientSecret).acquireTokenByClientCredential({
    scopes: ["https://contoso.sharepoint.com/.default"],
  });
  assert.equal(result.tokenType, "Bearer");
  assert.ok(result.accessToken.split(".").length === 3);
  const claims = JSON.parse(Buffer.from(result.accessToken.split(".")[1], "base64url"));
  assert.equal(claims.tid, "contoso");
  assert.equal(claims.aud, "https://contoso.sharepoint.com");
  assert.equal(claims.appid, app.clientId);

  const me = await fetch(`${up.origin}/tenants/contoso/admin/v1/me`, {
    headers: { Authorization: `Bearer ${result.accessToken}` },
  });
  assert.equal(me.status, 200);
  assert.deepEqual(await me.json(),
    { tenant: "contoso", role: "app", clientId: app.clientId, name: "test-client" });
});

test("msal-node reports a wrong secret with Azure AD's error code", async () => {
  await assert.rejects(
    msal("not-the-secret").acquireTokenByClientCredential({
      scopes: ["https://contoso.sharepoint.com/.default"],
    }),
    (err) => {
      assert.equal(err.errorCode, "invalid_client");
      assert.match(err.errorMessage, /AADSTS7000215: Invalid client secret provided/);
      return true;
    });
});

test("the token service publishes discovery and keys that verify its tokens", async () => {
  const config = await (await fetch(`${up.origin}/contoso/v2.0/.well-known/openid-configuration`))
    .json();
  assert.equal(config.token_endpoint, `${up.origin}/contoso/oauth2/v2.0/token`);
  assert.equal(config.issuer, `${up.origin}/contoso/v2.0`);
  const jwks = await (await fetch(config.jwks_uri)).json();
  assert.equal(jwks.keys.length, 1);
  const token = await up.appToken("contoso", app);
  const [h, p, s] = token.split(".");
  const header = JSON.parse(Buffer.from(h, "base64url"));
  assert.equal(header.kid, jwks.keys[0].kid);
  const { createPublicKey, verify } = await import("node:crypto");
  const key = createPublicKey({ key: jwks.keys[0], format: "jwk" });
  assert.ok(verify("RSA-SHA256", Buffer.from(`${h}.${p}`), key, Buffer.from(s, "base64url")));
  const claims = JSON.parse(Buffer.from(p, "base64url"));
  assert.equal(claims.iss, config.issuer);
});
