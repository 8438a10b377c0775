// A throwaway slapd for the client tests (tests/scripts/slapd-start.sh, stopped by its pid
// file), loaded with tests/scripts/gen-users.sh's people: userNNNNNN@example.com under
// dc=example,dc=com, in manager chains, with `groups` groups.
//
//   const ldap = await Slapd.start(520, 0, { SIZELIMIT: "2000" });
//   ... `ldap://127.0.0.1:${ldap.port}` ...
//   ldap.stop();
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const scripts = resolve(dirname(fileURLToPath(import.meta.url)), "../../scripts");

// A port nobody listens on now.
export function freePort() {
  return new Promise((res) => {
    const s = createServer().listen(0, "127.0.0.1", () => {
      const { port } = s.address();
      s.close(() => res(port));
    });
  });
}

export class Slapd {
  static async start(users, groups, env = {}) {
    const ldap = new Slapd();
    ldap.dir = mkdtempSync(join(tmpdir(), "upsync-slapd-"));
    ldap.port = await freePort();
    const ldif = join(ldap.dir, "users.ldif");
    writeFileSync(ldif, execFileSync("bash", [join(scripts, "gen-users.sh"), String(users),
      String(groups)]));
    execFileSync("bash", [join(scripts, "slapd-start.sh"), join(ldap.dir, "ldap"),
      String(ldap.port), ldif], { env: { ...process.env, ...env } });
    return ldap;
  }

  get url() {
    return `ldap://127.0.0.1:${this.port}`;
  }

  stop() {
    execFileSync("bash", [join(scripts, "slapd-stop.sh"), join(this.dir, "ldap")]);
    rmSync(this.dir, { recursive: true, force: true });
  }
}
