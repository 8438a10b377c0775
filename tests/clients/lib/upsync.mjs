// Starts a real `upsync serve` (HTTPS, on a free port) over a fresh data folder, and gives the
// tests what they need to talk to it: the origin, a registered app's client id and secret,
// tokens, and the CLI for setting up data. The server is stopped by pid.
//
// With UPSYNC_CLIENT_SERVERS=2 (and the run's PostgreSQL server named by UPSYNC_PG_SHARED,
// tests/store/pg_shared_server.sh), the same tests run against a deployment of several
// servers: a fresh PostgreSQL database shared by two `upsync serve` processes (each with its
// import worker) over one data folder, behind a round-robin balancer (lib/balancer.mjs) that
// alternates requests between them. A token issued by one is then used at the other, and a
// change made through one is read through the other. stop() fails when either server
// answered less than half its share of the requests.
import { spawn, execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Balancer } from "./balancer.mjs";

const binary = process.env.UPSYNC_BINARY;
if (!binary) throw new Error("set UPSYNC_BINARY to the upsync binary");
const servers = Number(process.env.UPSYNC_CLIENT_SERVERS || "1");
let databases = 0;

// A new database on the run's PostgreSQL server; returns its URL for --db.
function freshPostgresDatabase() {
  const pointer = process.env.UPSYNC_PG_SHARED;
  if (!pointer) throw new Error("UPSYNC_CLIENT_SERVERS needs the run's PostgreSQL (UPSYNC_PG_SHARED)");
  const socketDir = readFileSync(pointer, "utf8").trim();
  const name = `clients_${process.pid}_${++databases}`;
  execFileSync("psql", ["-h", socketDir, "-p", "5432", "-U", "upsync", "-d", "postgres",
    "-v", "ON_ERROR_STOP=1", "-qc", `CREATE DATABASE ${name}`], { stdio: "pipe" });
  return { socketDir, name, url: `postgresql:///${name}?host=${socketDir}&port=5432&user=upsync` };
}

export class Upsync {
  // Without arguments, a fresh deployment (removed by stop()). With { dataDir, db }, one
  // prepared elsewhere (a data folder and its PostgreSQL database, as `upsync migrate` leaves
  // them: tests/clients/migrated/), served as it is and left in place.
  constructor(existing = {}) {
    if (existing.dataDir) {
      this.dataDir = existing.dataDir;
      this.storeArgs = ["--data-dir", this.dataDir, "--db", existing.db];
      return;
    }
    this.dir = mkdtempSync(join(tmpdir(), "upsync-clients-"));
    this.dataDir = join(this.dir, "data");
    this.storeArgs = ["--data-dir", this.dataDir];
    if (servers > 1) {
      this.database = freshPostgresDatabase();
      this.storeArgs.push("--db", this.database.url);
    }
  }

  // Runs the CLI; returns stdout (parsed when --json is among the arguments).
  cli(...args) {
    const out = execFileSync(binary, [...this.storeArgs, ...args], {
      encoding: "utf8",
      stdio: ["pipe", "pipe", "pipe"],
    });
    return args.includes("--json") ? JSON.parse(out) : out;
  }

  // Starts serving over HTTPS with the certificate that run.sh made (Node trusts it); with
  // UPSYNC_CLIENT_SERVERS=N, N servers behind the balancer, started at once.
  async start(extraArgs = []) {
    this.log = "";
    if (servers === 1) {
      this.proc = await this.serve(extraArgs);
      this.port = this.proc.port;
    } else {
      this.balancer = await Balancer.start();
      this.port = this.balancer.port;
      const publicHost = ["--public-host", `https://127.0.0.1:${this.port}`];
      this.procs = await Promise.all(
        Array.from({ length: servers }, () => this.serve([...publicHost, ...extraArgs])));
      this.proc = this.procs[0];
      await this.balancer.setBackends(this.procs.map((p) => p.port));
    }
    this.origin = `https://127.0.0.1:${this.port}`;
    return this;
  }

  // One `upsync serve` on a free port; resolves to its process, with .port, once it listens.
  // Its stderr (the access log) joins this.log a whole line at a time.
  async serve(extraArgs) {
    const args = [...this.storeArgs, "serve", "--listen", "127.0.0.1:0",
      "--tls-cert", process.env.UPSYNC_TEST_CERT, "--tls-key", process.env.UPSYNC_TEST_KEY,
      ...extraArgs];
    const proc = spawn(binary, args, { stdio: ["ignore", "pipe", "pipe"] });
    let partial = "";
    proc.stderr.on("data", (d) => {
      const text = partial + d;
      const end = text.lastIndexOf("\n") + 1;
      this.log += text.slice(0, end);
      partial = text.slice(end);
    });
    proc.port = await new Promise((resolve, reject) => {
      let out = "";
      const timer = setTimeout(() => reject(new Error("upsync serve did not start: " + this.log)),
        15000);
      proc.stdout.on("data", (d) => {
        out += d;
        const m = /listening on https:\/\/127\.0\.0\.1:(\d+)/.exec(out);
        if (m) { clearTimeout(timer); resolve(Number(m[1])); }
      });
      proc.on("exit", (code) => {
        clearTimeout(timer);
        reject(new Error(`upsync serve exited with ${code}: ${this.log}${partial}`));
      });
    });
    return proc;
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
    for (const proc of this.procs || [this.proc]) {
      if (proc && proc.exitCode === null) {
        const exited = new Promise((resolve) => proc.on("exit", resolve));
        proc.kill("SIGTERM");
        await exited;
      }
    }
    let unbalanced = null;
    if (this.balancer) {
      const counts = await this.balancer.stop();
      const total = counts.reduce((a, b) => a + b, 0);
      console.log(`requests answered per server: ${counts.join(", ")} (${total} in all)`);
      // Round robin gives each about total / N; half of that is the least a server may answer.
      if (counts.some((n) => n * 2 * counts.length < total)) {
        unbalanced = new Error(`the balancer sent too few requests to a server: ${counts}`);
      }
    }
    if (this.database) {
      execFileSync("psql", ["-h", this.database.socketDir, "-p", "5432", "-U", "upsync", "-d",
        "postgres", "-v", "ON_ERROR_STOP=1", "-qc", `DROP DATABASE ${this.database.name}`],
      { stdio: "pipe" });
    }
    if (this.dir) rmSync(this.dir, { recursive: true, force: true });
    if (unbalanced) throw unbalanced;
  }
}
