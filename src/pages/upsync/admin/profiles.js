// Profiles: find them (all, those where a property has a value, or by the start of a name as
// the people picker finds people), a page at a time; open
// one and change the properties directory sync does not write, each checked by the store with
// its refusal shown beside its field; create and delete profiles on server tenants (an online
// tenant's come from its directory).
import { $, act, api, bindFieldForm, el, field, ready, run, say, start } from "./admin.js";

const kPageSize = 20;
let schema = [];          // the tenant's property definitions
let tenant = null;
let query = { after: 0 }; // the list's filter and where its page starts
let opened = null;        // the profile being edited, as last read

const byName = (name) => schema.find((p) => p.name === name);

function listPath() {
  const params = new URLSearchParams({ top: String(kPageSize) });
  if (query.after) params.set("after", String(query.after));
  if (query.search) params.set("search", query.search);
  if (query.property) {
    params.set("property", query.property);
    params.set("value", query.value);
  }
  return `/admin/v1/profiles?${params}`;
}

async function showList() {
  const page = await api("GET", listPath());
  const body = $("list").tBodies[0];
  body.replaceChildren(...page.value.map((p) => el("tr", {},
    el("td", { class: "num" }, p.id),
    el("td", {}, p.accountName),
    el("td", {}, p.properties.PreferredName ?? ""),
    el("td", {}, p.updatedAt),
    el("td", {}, el("button", { type: "button", class: "secondary small",
      "aria-label": `Open ${p.accountName}`, onclick: act(() => openProfile(p.id)) }, "Open")))));
  if (!page.value.length) {
    body.append(el("tr", {}, el("td", { colspan: 5, class: "muted" }, "No profile matches.")));
  }
  $("list-caption").textContent = query.search ? `Profiles found by “${query.search}”`
    : query.property ? `Profiles where ${query.property} is “${query.value}”`
      : "All profiles, by id";
  $("next-page").disabled = page.nextAfter === null;
  $("next-page").dataset.after = page.nextAfter ?? "";
  $("first-page").disabled = !query.after;
}

function valueText(def, value) {
  if (value === undefined) return "";
  return Array.isArray(value) ? value.join("\n") : value;
}

function hintFor(def) {
  const parts = [def.type];
  if (def.multiValue) parts.push("one value a line");
  if (def.userEditable) parts.push("people may edit it too");
  return parts.join("; ");
}

async function openProfile(id) {
  opened = await api("GET", `/admin/v1/profiles/${id}`);
  $("edit-account").textContent = `${opened.accountName} (#${opened.id})`;
  const fields = [];
  const synced = [];
  for (const def of schema) {
    const value = opened.properties[def.name];
    if (def.directoryImported) {
      if (value !== undefined) synced.push(el("dt", {}, def.displayName), el("dd", {}, valueText(def, value)));
      continue;
    }
    const id = `prop-${def.name.replace(/[^A-Za-z0-9_-]/g, "_")}`;
    const input = def.multiValue ? el("textarea", { rows: 2 }) : el("input", { type: "text" });
    input.name = def.name;
    input.value = valueText(def, value);
    input.dataset.original = input.value;
    fields.push(field(id, def.name, `${def.displayName} (${def.name})`, input, hintFor(def)));
  }
  $("edit-fields").replaceChildren(...fields);
  $("synced").replaceChildren(...(synced.length ? synced : [el("dt", {}, "None")]));
  $("delete-profile").hidden = tenant.kind !== "server";
  $("edit-section").hidden = false;
  $("edit-h").scrollIntoView();
}

async function save() {
  const changes = {};
  for (const input of $("edit-fields").querySelectorAll("[data-field]")) {
    if (input.value === input.dataset.original) continue;
    const def = byName(input.dataset.field);
    if (def.multiValue) {
      changes[def.name] = input.value.split("\n").map((v) => v.trim()).filter((v) => v);
    } else {
      changes[def.name] = input.value === "" ? null : input.value;
    }
  }
  const count = Object.keys(changes).length;
  if (!count) {
    say("Nothing changed.");
    return;
  }
  await api("PATCH", `/admin/v1/profiles/${opened.id}`, { properties: changes });
  await openProfile(opened.id);
  say(`Saved ${count} ${count === 1 ? "property" : "properties"} of ${opened.accountName}.`);
}

run(async () => {
  // Independent reads go out together: the page is ready after the slowest, not their sum.
  [tenant, { value: schema }] = await Promise.all([
    api("GET", "/admin/v1/tenant"), api("GET", "/admin/v1/properties"), start(), showList()]);
  $("find-property").append(...schema.map((p) => el("option", { value: p.name }, p.name)));
  bindFieldForm($("find"), async (form) => {
    query = { after: 0, search: form.get("search").trim(), property: form.get("property"),
      value: form.get("value") };
    await showList();
  });
  $("next-page").addEventListener("click", act(async () => {
    query.after = Number($("next-page").dataset.after);
    await showList();
  }));
  $("first-page").addEventListener("click", act(async () => {
    query.after = 0;
    await showList();
  }));
  bindFieldForm($("edit"), save);
  if (tenant.kind === "server") {
    $("create-section").hidden = false;
    bindFieldForm($("create"), async (form) => {
      const made = await api("POST", "/admin/v1/profiles", { accountName: form.get("accountName") });
      $("create").reset();
      say(`Created ${made.accountName}.`);
      await showList();
      await openProfile(made.id);
    });
    $("delete-profile").addEventListener("click", act(async () => {
      const gone = opened;
      await api("DELETE", `/admin/v1/profiles/${gone.id}`);
      $("edit-section").hidden = true;
      say(`Deleted ${gone.accountName}.`);
      await showList();
    }, $("edit").querySelector("[data-error]")));
  }
  ready();
});
