// Properties: the tenant's schema as a table (with each property's privacy when the API
// gives one); add a custom property with its flags; change a custom property's display name
// and flags, with the store's refusal beside the field it is about; remove one, showing what the store says when profiles still hold values, with the way to clear
// them first.
import {
  $, act, api, bindFieldForm, clearFieldErrors, el, ready, run, say, showError, start,
} from "./admin.js";

let removing = null;  // the custom property whose removal the store refused
let editing = null;  // the custom property the edit form changes

const yes = (flag) => (flag ? "yes" : "no");

async function showSchema() {
  const { value } = await api("GET", "/admin/v1/properties");
  // Privacy is shown only when the server has property policies: nothing is made up.
  const privacy = value.some((p) => typeof p.privacy === "string");
  $("privacy-col").hidden = !privacy;
  $("schema").tBodies[0].replaceChildren(...value.map((p) => el("tr", {},
    el("th", { scope: "row" }, p.name),
    el("td", {}, p.displayName),
    el("td", {}, p.type),
    el("td", {}, yes(p.multiValue)),
    el("td", {}, yes(p.userEditable)),
    el("td", {}, yes(p.directoryImported)),
    el("td", {}, yes(p.syncToSites)),
    privacy ? el("td", {}, p.privacy ?? "") : null,
    el("td", { class: "actions" }, p.custom ? [
      el("button", { type: "button", class: "small", "aria-label": `Change ${p.name}`,
        onclick: () => edit(p) }, "Change"),
      el("button", { type: "button", class: "danger small", "aria-label": `Remove ${p.name}`,
        onclick: act(() => remove(p.name)) }, "Remove"),
    ] : el("span", { class: "muted" }, "catalog")))));
}

function edit(p) {
  editing = p.name;
  const form = $("edit");
  clearFieldErrors(form);
  showError(form.querySelector("[data-error]"), null);
  $("edit-name").textContent = p.name;
  form.elements.displayName.value = p.displayName;
  form.elements.maxLength.value = p.maxLength;
  form.elements.multiValue.checked = p.multiValue;
  form.elements.userEditable.checked = p.userEditable;
  form.elements.syncToSites.checked = p.syncToSites;
  $("edit-section").hidden = false;
  $("edit-display").focus();
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
  bindFieldForm($("edit"), async (form) => {
    // The number goes as typed when it is not a whole number: the API's refusal names it.
    const max = form.get("maxLength");
    const body = { displayName: form.get("displayName"),
      maxLength: /^\d+$/.test(max) ? Number(max) : max,
      multiValue: form.has("multiValue"), userEditable: form.has("userEditable"),
      syncToSites: form.has("syncToSites") };
    const changed = await api("PATCH", `/admin/v1/properties/${encodeURIComponent(editing)}`, body);
    $("edit-section").hidden = true;
    say(`Changed ${changed.name}.`);
    await showSchema();
  });
  $("edit-cancel").addEventListener("click", () => { $("edit-section").hidden = true; });
  $("clear-values").addEventListener("click", act(async () => {
    const { cleared } = await api("POST",
      `/admin/v1/properties/${encodeURIComponent(removing)}/clear`, {});
    say(`Cleared ${removing} in ${cleared} profile(s).`);
    await remove(removing);
  }, $("remove-error")));
  ready();
});
