// The overview: the tenant's counts (admin API) and the server's live figures, read from
// /metrics (requests by status, import jobs by outcome, sync runs) every 5 seconds, with the
// last sync run from the run history.
import { $, api, el, ready, run, showError, start } from "./admin.js";

const kRefreshMs = 5000;

// Prometheus text → [{name, labels: {k: v}, value}] (the exposition format's simple lines).
function parseMetrics(text) {
  const out = [];
  for (const line of text.split("\n")) {
    const m = /^([a-z_]+)(?:\{(.*)\})? ([0-9.e+-]+)$/.exec(line);
    if (!m) continue;
    const labels = {};
    for (const [, k, v] of (m[2] ?? "").matchAll(/([a-z_]+)="([^"]*)"/g)) labels[k] = v;
    out.push({ name: m[1], labels, value: Number(m[3]) });
  }
  return out;
}

function facts(dl, pairs) {
  dl.replaceChildren(...pairs.flatMap(([k, v]) => [el("dt", {}, k), el("dd", {}, v)]));
}

function rows(tbody, list, empty, columns) {
  tbody.replaceChildren(...(list.length ? list.map((r) => el("tr", {}, ...columns(r).map(
    (c, i) => el("td", { class: i === columns(r).length - 1 ? "num" : null }, c))))
    : [el("tr", {}, el("td", { colspan: 3, class: "muted" }, empty))]));
}

async function refresh() {
  const res = await fetch("/metrics", { credentials: "same-origin" });
  if (!res.ok) throw new Error(`/metrics answered ${res.status}`);
  const metrics = parseMetrics(await res.text());
  const requests = metrics.filter((m) => m.name === "upsync_http_requests_total");
  rows($("requests").tBodies[0], requests, "No requests yet.",
    (m) => [m.labels.code, m.value.toLocaleString()]);
  const imports = metrics.filter((m) => m.name === "upsync_import_jobs_total");
  rows($("imports").tBodies[0], imports, "No import job has ended since the server started.",
    (m) => [m.labels.state, m.labels.error, m.value.toLocaleString()]);
  const scheduled = metrics.filter((m) => m.name === "upsync_sync_runs_total")
    .map((m) => `${m.value} ${m.labels.status}`).join(", ") || "none";
  const runs = await api("GET", "/admin/v1/sync/runs?top=1");
  const last = runs.value[0];
  facts($("sync-facts"), [
    ["Last run", last ? `#${last.id}, ${last.status}${last.dryRun ? " (dry run)" : ""}` : "never"],
    ...(last ? [["Started", last.startedAt], ["Finished", last.finishedAt ?? ""]] : []),
    ...(last && last.error ? [["Error", last.error]] : []),
    ["Scheduled runs since start", scheduled],
  ]);
}

run(async () => {
  // Independent reads go out together: the page is ready after the slowest, not their sum.
  const [, t] = await Promise.all([start(), api("GET", "/admin/v1/tenant"), refresh()]);
  facts($("tenant-facts"), [["Name", t.name], ["Kind", t.kind],
    ["Education", t.education ? "yes" : "no"], ["Profiles", t.profiles.toLocaleString()]]);
  ready();
  setInterval(() => refresh().then(() => showError($("error"), null),
    (err) => showError($("error"), err)), kRefreshMs);
});
