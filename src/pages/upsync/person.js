// The person page (/person.aspx?accountname=..., src/http/person_page.h): a profile as the
// signed-in viewer may see it, from the same APIs clients use. PeopleManager answers the
// profile with the tenant's policies applied for this viewer; the admin API's schema gives
// the display names, which properties the directory writes (the sync icon) and which the
// viewer may edit; the save goes to /_layouts/15/upsync/profile, which checks every value
// before it writes any.
import { api, base, session, showError, bindForm, signOut } from "./upsync.js";

const $ = (id) => document.getElementById(id);
const PEOPLE = "/_api/SP.UserProfiles.PeopleManager";
// Never edited here: they name the profile.
const IDENTITY = new Set(["accountname", "userprofile_guid", "sid", "msonline-objectid"]);
// Set by the photo upload (which checks and scales the image), not typed in as an address.
const PHOTO = "pictureurl";
// The members of PersonProperties the page shows.
const SHOWN = "AccountName,DisplayName,Email,PictureUrl,Title,UserProfileProperties," +
  "DirectReports,ExtendedManagers,Peers";

function personPath(account, select) {
  const v = encodeURIComponent(`'${account.replaceAll("'", "''")}'`);
  return `${PEOPLE}/GetPropertiesFor(@v)?@v=${v}` + (select ? `&$select=${select}` : "");
}

export function pageUrl(account) {
  return `${base}/person.aspx?accountname=${encodeURIComponent(account)}`;
}

function initials(name) {
  return name.split(/[\s@.]+/).filter(Boolean).slice(0, 2).map((w) => w[0].toUpperCase()).join("");
}

function element(tag, text, cls) {
  const e = document.createElement(tag);
  if (text !== undefined) e.textContent = text;
  if (cls) e.className = cls;
  return e;
}

function fact(list, label, value, synced) {
  const dt = element("dt", label);
  if (synced) {
    const icon = element("span", "⟳", "sync");
    icon.title = "Set by the directory";
    icon.setAttribute("role", "img");
    icon.setAttribute("aria-label", "synced from the directory");
    dt.append(" ", icon);
  }
  const dd = element("dd", value);
  list.append(dt, dd);
  return dd;
}

// The name and title of each of `accounts`, by lower-cased account. The people of an org
// chart come from the directory: one Graph request per hundred of them reads them by
// userPrincipalName (an index lookup each on the server), so a manager with fifty reports costs
// one request, not fifty. Anyone Graph does not know (a profile without a directory user, an
// account that is not an e-mail address) is read from their profile.
async function namesOf(accounts) {
  const names = new Map();
  const upnOf = (account) => account.split("|").pop().toLowerCase();
  const upns = [...new Set(accounts.map(upnOf).filter((u) => u.includes("@")))];
  for (let i = 0; i < upns.length; i += 100) {
    const list = upns.slice(i, i + 100).map((u) => `'${u.replaceAll("'", "''")}'`).join(",");
    const query = new URLSearchParams({
      $filter: `userPrincipalName in (${list})`,
      $select: "userPrincipalName,displayName,jobTitle",
      $top: "999",
    });
    try {
      for (const u of (await api("GET", `/v1.0/users?${query}`)).value) {
        names.set(u.userPrincipalName.toLowerCase(),
          { DisplayName: u.displayName, Title: u.jobTitle ?? "" });
      }
    } catch {
      break;  // read from the profiles below
    }
  }
  await Promise.all(accounts.filter((a) => !names.has(upnOf(a))).map(async (account) => {
    try {
      const p = await api("GET", personPath(account, "DisplayName,Title"));
      names.set(upnOf(account), { DisplayName: p.DisplayName, Title: p.Title });
    } catch {
      names.set(upnOf(account), { DisplayName: account.split("|").pop(), Title: "" });
    }
  }));
  return (account) => names.get(upnOf(account));
}

// Links to people's pages, with their names.
function fillPeople(list, empty, accounts, nameOf) {
  empty.hidden = accounts.length > 0;
  for (const account of accounts) {
    const p = nameOf(account);
    const li = element("li");
    const a = element("a", p.DisplayName || account);
    a.href = pageUrl(account);
    li.append(a);
    if (p.Title) li.append(element("span", ` · ${p.Title}`, "muted"));
    list.append(li);
  }
}

function values(person) {
  const out = new Map();
  for (const kv of person.UserProfileProperties) out.set(kv.Key.toLowerCase(), kv.Value);
  return out;
}

function showCard(person, props) {
  const name = person.DisplayName || person.AccountName;
  document.title = `${name} - Profile`;
  $("name").textContent = name;
  $("headline").textContent = [person.Title, props.get("department"), props.get("office")]
    .filter(Boolean).join(" · ");
  const photo = $("photo");
  if (person.PictureUrl) {
    const img = element("img");
    img.src = person.PictureUrl;
    img.alt = "";
    photo.append(img);
  } else {
    photo.textContent = initials(name);
  }
  const contact = $("contact");
  const rows = [["E-mail", person.Email], ["Work phone", props.get("workphone")],
    ["Mobile phone", props.get("cellphone")], ["Office", props.get("office")]];
  for (const [label, value] of rows) {
    if (!value) continue;
    const dd = fact(contact, label, "");
    if (label === "E-mail") {
      const a = element("a", value);
      a.href = `mailto:${value}`;
      dd.append(a);
    } else {
      dd.textContent = value;
    }
  }
  $("card").hidden = false;
}

// Two properties may share a display name and a value (Department and SPS-Department, the
// second its taxonomy twin): one row says it. The answer tells whether a row is the first.
function firstOfTwins() {
  const shown = new Set();
  return (d, value) => {
    const row = `${d.displayName}\n${value}`;
    if (shown.has(row)) return false;
    shown.add(row);
    return true;
  };
}

function showProperties(schema, props) {
  const list = $("properties");
  const first = firstOfTwins();
  for (const d of schema) {
    const value = props.get(d.name.toLowerCase());
    if (!value || !d.showOnProfile || !first(d, value)) continue;
    const dd = fact(list, d.displayName, d.multiValue ? value.split("|").join(", ") : value,
      d.directoryImported);
    dd.dataset.property = d.name;
    list.lastElementChild.previousElementSibling.dataset.property = d.name;
  }
  $("details").hidden = false;
}

function field(d, value, editable) {
  const id = `field-${d.name}`;
  const wrap = element("div", undefined, "field");
  wrap.dataset.property = d.name;
  const label = element("label", d.displayName);
  label.htmlFor = id;
  if (d.directoryImported) {
    const icon = element("span", " ⟳", "sync");
    icon.setAttribute("aria-hidden", "true");
    label.append(icon);
  }
  const multiline = d.multiValue || d.type === "html";
  const input = element(multiline ? "textarea" : "input");
  if (!multiline) input.type = "text";
  input.id = id;
  input.name = d.name;
  input.value = d.multiValue ? (value ? value.split("|").join("\n") : "") : (value ?? "");
  input.dataset.original = input.value;
  const errorId = `${id}-error`;
  const describedBy = [errorId];
  wrap.append(label, input);
  if (d.multiValue && editable) {
    const hint = element("p", "One value per line.", "muted hint");
    hint.id = `${id}-hint`;
    describedBy.push(hint.id);
    wrap.append(hint);
  }
  if (!editable) {
    input.readOnly = true;
    const note = element("p", "Set by the directory: the next sync would overwrite a change " +
      "made here, so only the directory changes it.", "muted hint");
    note.id = `${id}-note`;
    describedBy.push(note.id);
    wrap.append(note);
  }
  const error = element("p", "", "error field-error");
  error.id = errorId;
  error.hidden = true;
  wrap.append(error);
  input.setAttribute("aria-describedby", describedBy.join(" "));
  return wrap;
}

// SharePoint's privacy levels with the labels its edit page shows, widest first.
const PRIVACY = [["Public", "Everyone"], ["Contacts", "My Colleagues"],
  ["Organization", "My Team"], ["Manager", "My Manager"], ["Private", "Only Me"]];
const privacyLabel = (level) => PRIVACY.find(([l]) => l === level)?.[1] ?? level;

// A choice of who sees one of the person's own values (admin API /me/privacy): the policy's
// default, or a level of their own.
function privacyField(c) {
  const id = `privacy-${c.name}`;
  const wrap = element("div", undefined, "field");
  wrap.dataset.privacy = c.name;
  const label = element("label", c.displayName);
  label.htmlFor = id;
  const select = element("select");
  select.id = id;
  select.name = c.name;
  const fallback = element("option", `Default (${privacyLabel(c.default)})`);
  fallback.value = "";
  select.append(fallback);
  for (const [level, text] of PRIVACY) {
    const option = element("option", text);
    option.value = level;
    select.append(option);
  }
  select.value = c.chosen ? c.privacy : "";
  select.dataset.original = select.value;
  const error = element("p", "", "error field-error");
  error.id = `${id}-error`;
  error.hidden = true;
  select.setAttribute("aria-describedby", error.id);
  wrap.append(label, select, error);
  return wrap;
}

// The privacy choices that changed, each sent on its own; a refusal goes beside its field.
async function savePrivacy(form) {
  let changed = 0;
  for (const select of form.querySelectorAll("#privacy-fields select")) {
    if (select.value === select.dataset.original) continue;
    try {
      await api("PUT", `/admin/v1/me/privacy/${encodeURIComponent(select.name)}`,
        { privacy: select.value || null });
      select.dataset.original = select.value;
      changed++;
    } catch (err) {
      showError(select.parentElement.querySelector(".field-error"), err);
      throw err;
    }
  }
  return changed;
}

function showEdit(schema, props, own, admin, account, choices) {
  const fields = $("fields");
  let editable = 0;
  const first = firstOfTwins();
  for (const d of schema) {
    const lower = d.name.toLowerCase();
    if (IDENTITY.has(lower) || lower === PHOTO || !d.showInEdit) continue;
    const value = props.get(d.name.toLowerCase());
    if (d.directoryImported) {
      // Read-only, with the note; a twin of a field already shown is left out.
      if (value && first(d, value)) fields.append(field(d, value, false));
      continue;
    }
    if (!admin && !(own && d.userEditable)) continue;
    fields.append(field(d, value, true));
    editable++;
  }
  for (const c of choices) $("privacy-fields").append(privacyField(c));
  $("privacy").hidden = choices.length === 0;
  if (editable === 0 && choices.length === 0) return;
  $("edit").hidden = false;
  const form = $("edit-form");
  bindForm(form, async () => {
    $("saved").hidden = true;
    for (const e of form.querySelectorAll(".field-error")) showError(e, null);
    const privacyChanged = await savePrivacy(form);
    const body = {};
    for (const input of form.querySelectorAll("input:not([readonly]), textarea:not([readonly])")) {
      if (input.value === input.dataset.original) continue;
      const d = schema.find((x) => x.name === input.name);
      body[d.name] = d.multiValue
        ? input.value.split("\n").map((v) => v.trim()).filter(Boolean)
        : input.value;
    }
    if (Object.keys(body).length === 0) {
      if (privacyChanged) $("saved").hidden = false;
      return;
    }
    const path = "/_layouts/15/upsync/profile" +
      (own ? "" : `?accountname=${encodeURIComponent(account)}`);
    try {
      await api("POST", path, body);
    } catch (err) {
      // Each refused property's message goes beside its field; nothing was saved.
      const details = err.body?.error?.details ?? [];
      for (const d of details) {
        const wrap = form.querySelector(`.field[data-property="${CSS.escape(d.target)}"]`);
        const box = wrap?.querySelector(".field-error");
        if (box) showError(box, new Error(d.message));
      }
      throw err;
    }
    location.reload();
  });
}

// The person's own photo: sent to Graph's /me/photo/$value, which checks it is an image,
// scales it to SharePoint's sizes and sets PictureURL; the page then shows the new one.
function showPhotoUpload() {
  const form = $("photo-form");
  form.hidden = false;
  bindForm(form, async () => {
    const file = $("photo-file").files[0];
    if (!file) throw new Error("Choose an image file first.");
    await api("PUT", "/v1.0/me/photo/$value", file);
    location.reload();
  });
}

async function main() {
  const me = await session();
  $("who").textContent = me.upn;
  $("sign-out").hidden = false;
  bindForm($("sign-out"), () => signOut());
  bindForm($("people-search"), () => {
    const q = $("people-q").value.trim();
    if (q) location.assign(`${base}/_layouts/15/upsync/search.html#q=${encodeURIComponent(q)}`);
  });
  // SharePoint's addresses spell the parameter in any case.
  const account = [...new URLSearchParams(location.search)]
    .find(([k]) => k.toLowerCase() === "accountname")?.[1] ?? null;
  // Only what the page shows: the whole PersonProperties would also walk everyone below a
  // manager (ExtendedReports), which the page does not show.
  const person = account
    ? await api("GET", personPath(account, SHOWN))
    : await api("GET", `${PEOPLE}/GetMyProperties?$select=${SHOWN}`);
  if (!person || !person.AccountName) {
    throw new Error(account ? `No profile for '${account}'.` : "You have no profile yet.");
  }
  const schema = (await api("GET", "/admin/v1/properties")).value;
  const props = values(person);
  const upn = (props.get("sps-userprincipalname") || "").toLowerCase();
  const own = !account || upn === me.upn.toLowerCase();
  const admin = me.role === "global-admin" || me.role === "sharepoint-admin";
  showCard(person, props);
  const nameOf = await namesOf([...person.ExtendedManagers, ...person.DirectReports,
    ...person.Peers]);
  fillPeople($("managers"), $("no-managers"), person.ExtendedManagers, nameOf);
  fillPeople($("reports"), $("no-reports"), person.DirectReports, nameOf);
  fillPeople($("peers"), $("no-peers"), person.Peers, nameOf);
  $("org").hidden = false;
  showProperties(schema, props);
  // The person's own choices of who sees what, where the policies let them choose.
  const choices = own ? (await api("GET", "/admin/v1/me/privacy")).value : [];
  showEdit(schema, props, own, admin, person.AccountName, choices);
  if (own) showPhotoUpload();
  $("loading").hidden = true;
}

main().catch((err) => {
  $("loading").hidden = true;
  showError($("error"), err);
});
