// Properties: the tenant's schema as a table; add a custom property with its flags; remove
// one, showing what the store says when profiles still hold values, with the way to clear
// them first.
import { $, act, api, bindFieldForm, el, ready, run, say, showError, start } from "./admin.js";

let removing = null;  // the custom property whose removal the store refused

const yes = (flag) => (flag ? "yes" : "no");

async function showSchema() {
  const { value } = await api("GET", "/admin/v1/properties");
  $("schema").tBodies[0].replaceChildren(...value.map((p) => el("tr", {},
    el("th", { scope: "row" }, p.name),
    el("td", {}, p.displayName),
    el("td", {}, p.type),
    el("td", {}, yes(p.multiValue)),
    el("td", {}, yes(p.userEditable)),
    el("td", {}, yes(p.directoryImported)),
    el("td", {}, yes(p.syncToSites)),
    el("td", { class: "actions" }, p.custom ? [
      el("button", { type: "button", class: "danger small", "aria-label": `Remove ${p.name}`,
        onclick: act(() => remove(p.name)) }, "Remove"),
    ] : el("span", { class: "muted" }, "catalog")))));
}

async function remove(name) {
  $("remove-section").hidden = true;
  try {
    await api("DELETE", `/admin/v1/properties/${encodeURIComponent(name)}`);
  } catch (err) {
    // FailedPrecondition: profiles still hold values; the store's words, and the way out.
    if (err.status !== 409) throw err;
    removing = name;
    $("remove-name").textContent = name;
    showError($("remove-error"), err);
    $("remove-section").hidden = false;
    $("clear-values").focus();
    return;
  }
  say(`Removed ${name}.`);
  await showSchema();
}

run(async () => {
  await Promise.all([start(), showSchema()]);
  bindFieldForm($("add"), async (form) => {
    const body = { name: form.get("name"), type: form.get("type"),
      multiValue: form.has("multiValue"), userEditable: form.has("userEditable"),
      syncToSites: form.has("syncToSites") };
    if (form.get("displayName")) body.displayName = form.get("displayName");
    const added = await api("POST", "/admin/v1/properties", body);
    $("add").reset();
    say(`Added ${added.name}.`);
    await showSchema();
  });
  $("clear-values").addEventListener("click", act(async () => {
    const { cleared } = await api("POST",
      `/admin/v1/properties/${encodeURIComponent(removing)}/clear`, {});
    say(`Cleared ${removing} in ${cleared} profile(s).`);
    await remove(removing);
  }, $("remove-error")));
  ready();
});
