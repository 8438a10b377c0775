// The tenant: its kind and education flag (from the admin API), and the admin API's routes for
// hybrid settings and audiences, read from its OpenAPI document: what this server offers is
// listed and read, and where it offers none the page says so.
import { $, api, el, ready, run, start } from "./admin.js";

run(async () => {
  const [t, doc] = await Promise.all([api("GET", "/admin/v1/tenant"),
    api("GET", "/admin/v1/openapi.json"), start()]);
  $("facts").replaceChildren(...[
    ["Name", t.name], ["Kind", t.kind === "server" ? "server (SharePoint Server farm)" : "online (SharePoint Online)"],
    ["Education", t.education ? "yes" : "no"], ["Created", t.createdAt],
    ["Profiles", t.profiles.toLocaleString()],
  ].flatMap(([k, v]) => [el("dt", {}, k), el("dd", {}, v)]));
  const wanted = Object.keys(doc.paths).filter((p) => /hybrid|audience/i.test(p));
  const more = $("more");
  if (!wanted.length) {
    more.append(el("p", { class: "muted", id: "none" },
      "This server's admin API has no hybrid settings or audiences."));
  }
  for (const path of wanted) {
    const get = doc.paths[path].get;
    const block = el("section", { class: "api-part" }, el("h3", {}, path),
      el("p", { class: "muted" }, Object.entries(doc.paths[path])
        .map(([m, op]) => `${m.toUpperCase()}: ${op.summary}`).join(" · ")));
    if (get && !path.includes("{")) {
      const value = await api("GET", path);
      block.append(el("pre", {}, JSON.stringify(value, null, 2)));
    }
    more.append(block);
  }
  ready();
});
