// People's photos through real clients, unchanged but for the base URL: the Graph SDK
// (@microsoft/microsoft-graph-client) puts a PNG at /me/photo/$value and reads it back as a
// JPEG with its metadata, and is refused another person's photo; PnPjs's
// sp.profiles.setMyProfilePic(blob) sets the caller's picture, and the PictureUrl that
// myProperties() then answers serves it.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { Client, ResponseType } from "@microsoft/microsoft-graph-client";
import { spfi, DefaultHeaders, DefaultInit } from "@pnp/sp";
import "@pnp/sp/profiles/index.js";
import { DefaultParse, InjectHeaders } from "@pnp/queryable";
import { NodeFetch } from "@pnp/nodejs";
import { png } from "./lib/png.mjs";
import { Upsync } from "./lib/upsync.mjs";

const up = new Upsync();
let app;

// The width and height a JPEG's frame header gives.
function jpegSize(bytes) {
  const b = Buffer.from(bytes);
  assert.equal(b.readUInt16BE(0), 0xffd8, "a JPEG");
  for (let pos = 2; pos + 9 < b.length;) {
    const marker = b[pos + 1];
    if (marker >= 0xc0 && marker <= 0xcf && ![0xc4, 0xc8, 0xcc].includes(marker)) {
      return [b.readUInt16BE(pos + 7), b.readUInt16BE(pos + 5)];
    }
    pos += 2 + b.readUInt16BE(pos + 2);
  }
  throw new Error("no frame header");
}

function graphAs(token) {
  return Client.init({
    baseUrl: `${up.origin}/tenants/contoso/`,
    customHosts: new Set(["127.0.0.1"]),
    authProvider: (done) => done(null, token),
  });
}

function sp(token) {
  return spfi(`${up.origin}/tenants/contoso`).using(DefaultHeaders(), DefaultInit(), NodeFetch(),
    DefaultParse(), InjectHeaders({ Authorization: `Bearer ${token}` }));
}

before(async () => {
  app = up.addTenant("contoso");
  for (const name of ["adele", "bob"]) {
    const upn = `${name}@contoso.com`;
    up.cli("directory", "user", "add", "--tenant", "contoso", upn, "--set", `displayName=${name}`);
    up.cli("profile", "create", "--tenant", "contoso", `i:0#.f|membership|${upn}`,
      "--set", `SPS-UserPrincipalName=${upn}`, "--set", `WorkEmail=${upn}`);
    up.cli("user", "password", "set", "--tenant", "contoso", upn,
      "--password", `${name}-password`);
  }
  await up.start();
});
after(() => up.stop());

const graphToken = (name) => up.userToken("contoso", app, `${name}@contoso.com`,
  `${name}-password`, "https://graph.microsoft.com/.default");

test("the Graph SDK puts a photo at /me/photo/$value and gets it back", async () => {
  const adele = graphAs(await graphToken("adele"));
  await adele.api("/me/photo/$value").header("Content-Type", "image/png").put(png(900, 600));

  const bytes = await adele.api("/me/photo/$value").responseType(ResponseType.ARRAYBUFFER).get();
  assert.deepEqual(jpegSize(bytes), [648, 432]);
  const meta = await adele.api("/me/photo").get();
  assert.equal(meta["@odata.mediaContentType"], "image/jpeg");
  assert.equal(meta.width, 648);
  assert.equal(meta.height, 432);
  assert.equal(meta.id, "648X432");

  // A colleague reads it, by UPN, in a smaller size too; and may not replace it.
  const bob = graphAs(await graphToken("bob"));
  const small = await bob.api("/users/adele@contoso.com/photos/96X96/$value")
    .responseType(ResponseType.ARRAYBUFFER).get();
  assert.deepEqual(jpegSize(small), [96, 64]);
  await assert.rejects(
    bob.api("/users/adele@contoso.com/photo/$value").header("Content-Type", "image/png")
      .put(png(10, 10)),
    (err) => err.statusCode === 403 && err.code === "Authorization_RequestDenied");
  // Not an image: a clear 400, and Adele's photo is as it was.
  await assert.rejects(
    adele.api("/me/photo/$value").header("Content-Type", "image/png").put(Buffer.from("nope")),
    (err) => err.statusCode === 400 && /not a JPEG, PNG or GIF/.test(err.message));
  assert.deepEqual((await adele.api("/me/photo").get()).width, 648);
  // Bob has none: Graph's 404 ImageNotFound.
  await assert.rejects(bob.api("/me/photo/$value").get(),
    (err) => err.statusCode === 404 && err.code === "ImageNotFound");
});

test("PnPjs setMyProfilePic sets the caller's picture, linked from PictureUrl", async () => {
  // PnPjs reads the Blob with the browser's FileReader, which Node lacks: the same reading
  // through Blob.arrayBuffer().
  globalThis.FileReader ??= class {
    readAsArrayBuffer(blob) {
      blob.arrayBuffer().then((result) => this.onload({ target: { result } }));
    }
  };
  const token = await up.userToken("contoso", app, "bob@contoso.com", "bob-password");
  const bob = sp(token);
  await bob.profiles.setMyProfilePic(new Blob([png(300, 300)]));
  const me = await bob.profiles.myProperties();
  assert.equal(me.PictureUrl,
    `${up.origin}/tenants/contoso/sites/my/User%20Photos/Profile%20Pictures/` +
    "bob_40contoso_2Ecom_MThumb.jpg");
  const res = await fetch(me.PictureUrl, { headers: { Authorization: `Bearer ${token}` } });
  assert.equal(res.status, 200);
  assert.equal(res.headers.get("content-type"), "image/jpeg");
  assert.deepEqual(jpegSize(await res.arrayBuffer()), [96, 96]);
});
