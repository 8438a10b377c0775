// The directory sync page: the tenant's connector (its TOML, with the server's line and column
// of an error), a connection test, runs (now, full, dry) with their changes as a table and
// their progress stage by stage while they run, the deletion-threshold stop with the prompt
// to allow it once, the run history and the schedule. All of it through the admin API.
import { api, ApiError, session, showError } from "../upsync.js";

const $ = (id) => document.getElementById(id);

const kTemplate = `type = "ldap"
url = "ldap://dc1.contoso.com:389"
base = "DC=contoso,DC=com"
filter = "(objectClass=inetOrgPerson)"
`;

function cell(tr, text) {
  const td = document.createElement("td");
  td.textContent = text;
  tr.append(td);
  return td;
}

async function loadConnector() {
  try {
    const c = await api("GET", "/admin/v1/sync/connector");
    $("connector-name").value = c.name;
    $("toml").value = c.toml;
  } catch (err) {
    if (err.status !== 404) throw err;
    $("toml").value = kTemplate;
    $("connector-status").textContent = "The tenant has no connector yet: write one and save it.";
  }
}

function busy(on) {
  for (const id of ["run-delta", "run-full", "run-dry", "allow-once"]) $(id).disabled = on;
}

// Shows what the run in progress has done, stage by stage, until `done` resolves.
async function followProgress(done) {
  let finished = false;
  // Both ways end the polling; run() handles the answer or the error.
  done.then(() => { finished = true; }, () => { finished = true; });
  $("live").hidden = false;
  while (!finished) {
    const p = await api("GET", "/admin/v1/sync/progress");
    if (p.running) {
      $("live-stages").replaceChildren(...p.stages.map((s) => {
        const li = document.createElement("li");
        li.textContent = `${s.stage}: ${s.done} of ${s.total}`;
        return li;
      }));
    }
    await Promise.race([done.catch(() => {}), new Promise((r) => setTimeout(r, 150))]);
  }
  $("live").hidden = true;
}

const kKinds = { "+": "added", "~": "updated", "-": "deleted" };

function showDiff(run) {
  const rows = [];
  let omitted = 0;
  for (const stage of run.stages) {
    omitted += stage.changesOmitted ?? 0;
    for (const line of stage.changes) {
      const tr = document.createElement("tr");
      tr.className = kKinds[line[0]] ?? "";
      cell(tr, stage.stage);
      cell(tr, kKinds[line[0]] ?? line[0]);
      // An updated profile's line names what changed: "account (Title: a → b, ...)".
      const detail = line[0] === "~" ? /^(.*?) \((.*→.*)\)$/.exec(line.slice(2)) : null;
      cell(tr, detail ? detail[1] : line.slice(2));
      cell(tr, detail ? detail[2] : "");
      rows.push(tr);
    }
  }
  const totals = sum(run);
  $("diff-title").textContent = run.dryRun ? "What the run would change (dry run)" : "What the run changed";
  $("diff-summary").textContent = `${totals.added} added, ${totals.updated} updated, ` +
    `${totals.deleted} deleted` + (omitted ? `; ${omitted} more change lines omitted` : "");
  $("diff-rows").replaceChildren(...rows);
  $("diff").hidden = false;
}

function sum(run) {
  const t = { added: 0, updated: 0, deleted: 0, omitted: 0 };
  for (const s of run.stages) {
    t.added += s.added;
    t.updated += s.updated;
    t.deleted += s.deleted;
    t.omitted += s.changesOmitted ?? 0;
  }
  return t;
}

let lastOptions = null;

async function run(options) {
  showError($("run-error"), null);
  $("threshold").hidden = true;
  $("diff").hidden = true;
  busy(true);
  lastOptions = options;
  const done = api("POST", "/admin/v1/sync/runs", options);
  try {
    await Promise.all([followProgress(done), done]);
    showDiff(await done);
  } catch (err) {
    const stopped = err instanceof ApiError && err.body?.run?.error;
    // The pipeline's deletion threshold stop (Azure AD Connect's export deletion threshold).
    if (stopped && /deletion threshold/.test(err.body.run.error)) {
      $("threshold-text").textContent = `The run stopped: ${err.body.run.error}.`;
      $("threshold").hidden = false;
      $("allow-once").focus();
    } else {
      showError($("run-error"), err);
    }
  } finally {
    busy(false);
    await listRuns();
  }
}

async function listRuns() {
  const runs = (await api("GET", "/admin/v1/sync/runs?top=20&summary=true")).value;
  $("runs").replaceChildren(...runs.map((r) => {
    const tr = document.createElement("tr");
    const t = sum(r);
    cell(tr, new Date(r.startedAt).toLocaleString());
    cell(tr, [r.dryRun ? "dry run" : "run", r.full ? "full" : "delta", r.trigger].join(", "));
    cell(tr, r.status);
    cell(tr, t.added);
    cell(tr, t.updated);
    cell(tr, t.deleted);
    const notes = [];
    if (r.error) notes.push(r.error);
    if (t.omitted) notes.push(`${t.omitted} change lines omitted from the history (the counts are whole)`);
    cell(tr, notes.join("; "));
    return tr;
  }));
}

async function loadSchedule() {
  const s = await api("GET", "/admin/v1/sync/schedule");
  $("interval").value = s.intervalSeconds == null ? "" : String(s.intervalSeconds / 60);
}

function wire(form, errorBox, action) {
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    showError(errorBox, null);
    try { await action(); } catch (err) { showError(errorBox, err); }
  });
}

async function main() {
  const me = await session();
  $("who").textContent = `${me.upn} (${me.role})`;
  await Promise.all([loadConnector(), listRuns(), loadSchedule()]);

  wire($("connector-form"), $("toml-error"), async () => {
    $("connector-status").textContent = "";
    const saved = await api("PUT", "/admin/v1/sync/connector",
      { name: $("connector-name").value.trim(), toml: $("toml").value });
    $("connector-status").textContent = `Saved the connector ${saved.name}.`;
  });
  $("test-connector").addEventListener("click", async () => {
    showError($("toml-error"), null);
    $("connector-status").textContent = "Connecting…";
    try {
      const t = await api("POST", "/admin/v1/sync/connector/test", {});
      $("connector-status").textContent = `Connected to ${t.url}` +
        (t.bindDn ? ` as ${t.bindDn}` : " (anonymous)") + (t.syncrepl ? "; the server offers syncrepl." : ".");
    } catch (err) {
      $("connector-status").textContent = "";
      showError($("toml-error"), err);
    }
  });
  $("run-delta").addEventListener("click", () => run({}));
  $("run-full").addEventListener("click", () => run({ full: true }));
  $("run-dry").addEventListener("click", () => run({ dryRun: true }));
  $("allow-once").addEventListener("click", () => run({ ...lastOptions, allowDeletions: true }));
  $("dismiss-threshold").addEventListener("click", () => { $("threshold").hidden = true; });
  wire($("schedule-form"), $("schedule-error"), async () => {
    const text = $("interval").value.trim();
    if (text !== "" && !/^\d+$/.test(text)) {
      throw new Error(`Run every: expected whole minutes, got '${text}'.`);
    }
    const saved = await api("PUT", "/admin/v1/sync/schedule",
      { intervalSeconds: text === "" ? null : Number(text) * 60 });
    $("schedule-status").textContent = saved.intervalSeconds == null ? "No schedule."
      : `Runs every ${saved.intervalSeconds / 60} minutes.`;
  });
  document.querySelector("main").dataset.ready = "true";
}

main().catch((err) => showError($("page-error"), err));
