// Apps and people: register an app (its secret shown this once), remove one (its tokens stop
// at once); the people who sign in with a password, their roles, a new role or password. Only
// a global admin manages either: for a SharePoint admin the API refuses, and the page shows
// its refusal in each section.
import { $, act, api, bindFieldForm, el, ready, run, say, showError, start } from "./admin.js";

async function showApps() {
  const { value } = await api("GET", "/admin/v1/apps");
  $("apps").tBodies[0].replaceChildren(...value.map((a) => el("tr", {},
    el("th", { scope: "row" }, a.name),
    el("td", {}, el("code", {}, a.clientId)),
    el("td", {}, a.redirectUris.join(" ")),
    el("td", {}, a.createdAt),
    el("td", {}, el("button", { type: "button", class: "danger small",
      "aria-label": `Remove ${a.name}`, onclick: act(async () => {
        await api("DELETE", `/admin/v1/apps/${encodeURIComponent(a.clientId)}`);
        $("secret-box").hidden = true;
        say(`Removed ${a.name}: its tokens stop working within 2 seconds.`);
        await showApps();
      }, $("apps-error")) }, "Remove")))));
}

async function showPeople() {
  const { value } = await api("GET", "/admin/v1/people");
  $("people").tBodies[0].replaceChildren(...value.map((p) => el("tr", {},
    el("th", { scope: "row" }, p.userPrincipalName),
    el("td", {}, p.role),
    el("td", {}, p.updatedAt),
    el("td", {}, el("button", { type: "button", class: "danger small",
      "aria-label": `Remove the password of ${p.userPrincipalName}`, onclick: act(async () => {
        await api("DELETE", `/admin/v1/people/${encodeURIComponent(p.userPrincipalName)}`);
        say(`${p.userPrincipalName} can no longer sign in.`);
        await showPeople();
      }, $("people-error")) }, "Remove password")))));
}

// Runs a section's first load; a refusal (a SharePoint admin) is shown in the section, whose
// table and form are then hidden: the API would refuse the form too.
async function section(load, errorBox, ...parts) {
  try {
    await load();
  } catch (err) {
    if (err.status !== 403) throw err;
    showError(errorBox, err);
    for (const part of parts) part.hidden = true;
  }
}

run(async () => {
  await Promise.all([start(), section(showApps, $("apps-error"), $("apps"), $("add-app")),
    section(showPeople, $("people-error"), $("people"), $("set-person"))]);
  bindFieldForm($("add-app"), async (form) => {
    const redirectUris = form.get("redirectUris").split("\n").map((u) => u.trim()).filter((u) => u);
    const made = await api("POST", "/admin/v1/apps", { name: form.get("name"), redirectUris });
    $("add-app").reset();
    $("secret-app").textContent = `${made.name} (${made.clientId})`;
    $("secret").textContent = made.clientSecret;
    $("secret-box").hidden = false;
    await showApps();
  });
  bindFieldForm($("set-person"), async (form) => {
    const body = {};
    if (form.get("role")) body.role = form.get("role");
    if (form.get("password")) body.password = form.get("password");
    const upn = form.get("upn");
    const set = await api("PUT", `/admin/v1/people/${encodeURIComponent(upn)}`, body);
    $("set-person").reset();
    await showPeople();
    say(`${set.userPrincipalName} is now ${set.role}; their tokens and sessions have ended.`);
  });
  ready();
});
