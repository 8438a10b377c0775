// The tenant: its kind and education flag, and on a server tenant its hybrid settings (seed
// 000: where hybrid users' profiles are online, and the audience that says who is hybrid) and
// its audiences with their member counts, all from the admin API. Audiences and hybrid
// settings belong to server tenants; an online tenant's page says so.
import { $, api, el, ready, run, start } from "./admin.js";

function hybridFacts(h) {
  if (!h.onlineUrl) {
    return [el("p", { class: "muted", id: "hybrid-none" },
      "No hybrid users: every profile stays on this server (upsync hybrid set).")];
  }
  return [el("dl", { class: "facts", id: "hybrid" },
    el("dt", {}, "Online tenant"), el("dd", {}, el("a", { href: h.onlineUrl }, h.onlineUrl)),
    el("dt", {}, "Hybrid users"),
    el("dd", {}, h.audience ? `the members of the audience ${h.audience}` : "everyone"),
    el("dt", {}, "Changed"), el("dd", {}, h.updatedAt))];
}

function audienceTable(audiences) {
  if (!audiences.length) {
    return el("p", { class: "muted", id: "audiences-none" }, "No audiences (upsync audience add).");
  }
  const rule = (r) => r.kind === "memberOf" ? `member of ${r.group}`
    : r.kind === "reportsUnder" ? `reports under ${r.manager}`
      : `${r.property} ${r.kind === "propertyContains" ? "contains" : "="} ${r.value}`;
  return el("table", { id: "audiences" },
    el("caption", {}, "Audiences, compiled by each directory sync"),
    el("thead", {}, el("tr", {}, ["Name", "Rules", "Members", "Compiled"]
      .map((h) => el("th", { scope: "col" }, h)))),
    el("tbody", {}, audiences.map((a) => el("tr", {},
      el("td", {}, a.name),
      el("td", {}, a.rules.map(rule).join(a.match === "any" ? " or " : " and ")),
      el("td", { class: "num" }, a.memberCount.toLocaleString()),
      el("td", {}, a.compiledAt)))));
}

run(async () => {
  const [t] = await Promise.all([api("GET", "/admin/v1/tenant"), start()]);
  $("facts").replaceChildren(...[
    ["Name", t.name], ["Kind", t.kind === "server" ? "server (SharePoint Server farm)" : "online (SharePoint Online)"],
    ["Education", t.education ? "yes" : "no"], ["Created", t.createdAt],
    ["Profiles", t.profiles.toLocaleString()],
  ].flatMap(([k, v]) => [el("dt", {}, k), el("dd", {}, v)]));
  const more = $("more");
  if (t.kind !== "server") {
    more.append(el("p", { class: "muted", id: "none" },
      "Hybrid settings and audiences belong to server tenants: an online tenant is where " +
      "hybrid users' profiles go."));
  } else {
    const [hybrid, audiences] = await Promise.all([api("GET", "/admin/v1/hybrid"),
      api("GET", "/admin/v1/audiences")]);
    more.append(el("h3", {}, "Hybrid profiles"), ...hybridFacts(hybrid),
      el("h3", {}, "Audiences"), audienceTable(audiences.value));
  }
  ready();
});
