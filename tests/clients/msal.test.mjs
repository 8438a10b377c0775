// @azure/msal-node takes upsync as its authority (OpenID discovery, then the token endpoint)
// and gets client-credentials tokens that the server accepts; bad secrets fail as Azure AD's.
// With `clientCertificate`, MSAL signs a client assertion with a certificate registered by
// `upsync app cert add`.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { createHash, X509Certificate } from "node:crypto";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
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

// A self-signed RSA certificate and its private key, made with the openssl CLI.
function makeCertificate(name) {
  const key = join(up.dir, `${name}.key`);
  const cert = join(up.dir, `${name}.pem`);
  execFileSync("openssl", ["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", key,
    "-out", cert, "-days", "30", "-subj", `/CN=${name}`], { stdio: "ignore" });
  const pem = readFileSync(cert, "utf8");
  const der = new X509Certificate(pem).raw;
  return {
    file: cert, pem, privateKey: readFileSync(key, "utf8"),
    sha1: createHash("sha1").update(der).digest("hex").toUpperCase(),
    sha256: createHash("sha256").update(der).digest("hex").toUpperCase(),
  };
}

function msalWithCertificate(clientCertificate) {
  return new ConfidentialClientApplication({
    auth: {
      clientId: app.clientId,
      clientCertificate,
      authority: `${up.origin}/contoso`,
      knownAuthorities: [`127.0.0.1:${up.port}`],
    },
  });
}

test("msal-node signs in with a registered certificate (clientCertificate), by either thumbprint",
  async () => {
    const cert = makeCertificate("hr-sync");
    const added = up.cli("--json", "app", "cert", "add", "-t", "contoso", app.clientId, cert.file);
    assert.equal(added.thumbprint, cert.sha1);
    assert.equal(added.thumbprintSha256, cert.sha256);
    const listed = up.cli("--json", "app", "cert", "list", "-t", "contoso", app.clientId);
    assert.deepEqual(listed.map((c) => c.thumbprint), [cert.sha1]);
    assert.match(listed[0].publicKey, /BEGIN PUBLIC KEY/);

    // thumbprintSha256: PS256 and x5t#S256 (MSAL's current way).
    const bySha256 = await msalWithCertificate({
      thumbprintSha256: cert.sha256, privateKey: cert.privateKey,
    }).acquireTokenByClientCredential({ scopes: ["https://contoso.sharepoint.com/.default"] });
    const claims = JSON.parse(Buffer.from(bySha256.accessToken.split(".")[1], "base64url"));
    assert.equal(claims.appid, app.clientId);
    assert.equal(claims.idtyp, "app");
    // thumbprint: RS256 and x5t (SHA-1), with the certificate chain in x5c.
    const bySha1 = await msalWithCertificate({
      thumbprint: cert.sha1, privateKey: cert.privateKey, x5c: cert.pem,
    }).acquireTokenByClientCredential({ scopes: ["https://graph.microsoft.com/.default"] });
    const me = await fetch(`${up.origin}/tenants/contoso/admin/v1/me`, {
      headers: { Authorization: `Bearer ${bySha1.accessToken}` },
    });
    assert.equal(me.status, 200);
    assert.equal((await me.json()).clientId, app.clientId);

    // Removing the certificate revokes the tokens issued through it.
    up.cli("app", "cert", "remove", "-t", "contoso", app.clientId, cert.sha1);
    await new Promise((r) => setTimeout(r, 2100));  // the credential cache's bound
    const after = await fetch(`${up.origin}/tenants/contoso/admin/v1/me`, {
      headers: { Authorization: `Bearer ${bySha1.accessToken}` },
    });
    assert.equal(after.status, 401);
    await assert.rejects(
      msalWithCertificate({ thumbprintSha256: cert.sha256, privateKey: cert.privateKey })
        .acquireTokenByClientCredential({ scopes: ["https://contoso.sharepoint.com/.default"] }),
      (err) => {
        assert.equal(err.errorCode, "invalid_client");
        assert.match(err.errorMessage,
          /AADSTS700027: The certificate with identifier used to sign the client assertion is not registered on application/);
        assert.ok(err.errorMessage.includes(cert.sha256));
        return true;
      });
  });

test("an unregistered certificate's key is refused with AADSTS700027", async () => {
  const registered = makeCertificate("registered");
  const stranger = makeCertificate("stranger");
  up.cli("app", "cert", "add", "-t", "contoso", app.clientId, registered.file);
  // The registered thumbprint, signed with another key: the signature does not verify.
  await assert.rejects(
    msalWithCertificate({ thumbprintSha256: registered.sha256, privateKey: stranger.privateKey })
      .acquireTokenByClientCredential({ scopes: ["https://contoso.sharepoint.com/.default"] }),
    (err) => {
      assert.equal(err.errorCode, "invalid_client");
      assert.match(err.errorMessage, /AADSTS700027: Client assertion failed signature validation/);
      return true;
    });
  // A private key is never taken as a certificate.
  const both = join(up.dir, "both.pem");
  writeFileSync(both, registered.pem + registered.privateKey);
  assert.throws(() => up.cli("app", "cert", "add", "-t", "contoso", app.clientId, both),
    (err) => /private key/.test(err.stderr));
});
