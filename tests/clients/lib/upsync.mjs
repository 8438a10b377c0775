// Starts a real `upsync serve` (HTTPS, on a free port) over a fresh data folder, and gives the
// tests what they need to talk to it: the origin, a registered app's client id and secret,
// tokens, and the CLI for setting up data. The server is stopped by pid.
import { spawn, execFileSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

const binary = process.env.UPSYNC_BINARY;
if (!binary) throw new Error("set UPSYNC_BINARY to the upsync binary");

export class Upsync {
  constructor() {
    this.dir = mkdtempSync(join(tmpdir(), "upsync-clients-"));
    this.dataDir = join(this.dir, "data");
  }

  // Runs the CLI; returns stdout (parsed when --json is among the arguments).
  cli(...args) {
    const out = execFileSync(binary, ["--data-dir", this.dataDir, ...args], {
      encoding: "utf8",
      stdio: ["pipe", "pipe", "pipe"],
    });
    return args.includes("--json") ? JSON.parse(out) : out;
  }

  // Starts serving over HTTPS with the certificate that run.sh made (Node trusts it).
  async start(extraArgs = []) {
    const args = ["--data-dir", this.dataDir, "serve", "--listen", "127.0.0.1:0",
      "--tls-cert", process.env.UPSYNC_TEST_CERT, "--tls-key", process.env.UPSYNC_TEST_KEY,
      ...extraArgs];
    this.proc = spawn(binary, args, { stdio: ["ignore", "pipe", "pipe"] });
    this.log = "";
    this.proc.stderr.on("data", (d) => { this.log += d; });
    const port = await new Promise((resolve, reject) => {
      let out = "";
      const timer = setTimeout(() => reject(new Error("upsync serve did not start: " + this.log)),
        15000);
      this.proc.stdout.on("data", (d) => {
        out += d;
        const m = /listening on https:\/\/127\.0\.0\.1:(\d+)/.exec(out);
        if (m) { clearTimeout(timer); resolve(Number(m[1])); }
      });
      this.proc.on("exit", (code) => {
        clearTimeout(timer);
        reject(new Error(`upsync serve exited with ${code}: ${this.log}`));
      });
    });
    this.port = port;
    this.origin = `https://127.0.0.1:${port}`;
    return this;
  }

  // A tenant with a registered app; returns { clientId, clientSecret }.
  addTenant(name, kind = "online") {
    this.cli("tenant", "create", name, "--kind", kind);
    return this.cli("--json", "app", "add", "--tenant", name, "test-client");
  }

  // A token from our token endpoint, by plain HTTP form post (no client library).
  async appToken(tenant, app, scope = `https://${tenant}.sharepoint.com/.default`) {
    return this.tokenRequest(tenant, {
      grant_type: "client_credentials", client_id: app.clientId, client_secret: app.clientSecret,
      scope,
    });
  }

  async userToken(tenant, app, username, password,
    scope = `https://${tenant}.sharepoint.com/.default`) {
    return this.tokenRequest(tenant, {
      grant_type: "password", client_id: app.clientId, username, password, scope,
    });
  }

  async tokenRequest(tenant, form) {
    const res = await fetch(`${this.origin}/${tenant}/oauth2/v2.0/token`, {
      method: "POST",
      headers: { "Content-Type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams(form),
    });
    const body = await res.json();
    if (res.status !== 200) throw new Error(`token: ${res.status} ${JSON.stringify(body)}`);
    return body.access_token;
  }

  async stop() {
    if (this.proc && this.proc.exitCode === null) {
      const exited = new Promise((resolve) => this.proc.on("exit", resolve));
      this.proc.kill("SIGTERM");
      await exited;
    }
    rmSync(this.dir, { recursive: true, force: true });
  }
}
