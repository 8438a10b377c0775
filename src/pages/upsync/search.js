// People search (search.html#q=...): finds people by the start of their name, e-mail, account
// or title through SharePoint's people picker API (clientPeoplePickerSearchUser, the tenant's
// people search index, sites/people_search.h), each result a link to their person page.
import { api, base, session, showError, bindForm, signOut } from "./upsync.js";

const $ = (id) => document.getElementById(id);
const PICKER = "/_api/SP.UI.ApplicationPages.ClientPeoplePickerWebServiceInterface." +
  "clientPeoplePickerSearchUser";

export async function searchPeople(text, max = 30) {
  const answer = await api("POST", PICKER, {
    queryParams: {
      QueryString: text, MaximumEntitySuggestions: max, PrincipalSource: 15, PrincipalType: 1,
      AllowEmailAddresses: false, AllowMultipleEntities: true,
    },
  });
  // The picker answers its entities as a JSON string (an Edm.String), as SharePoint does.
  return JSON.parse(answer.value);
}

function show(people, text) {
  const list = $("results");
  list.replaceChildren();
  $("count").textContent = people.length === 0
    ? `Nobody found for “${text}”.`
    : `${people.length} ${people.length === 1 ? "person" : "people"} found for “${text}”.`;
  for (const p of people) {
    const li = document.createElement("li");
    const a = document.createElement("a");
    a.href = `${base}/person.aspx?accountname=${encodeURIComponent(p.Key)}`;
    a.textContent = p.DisplayText;
    li.append(a);
    const details = [p.EntityData?.Title, p.EntityData?.Department, p.EntityData?.Email]
      .filter(Boolean).join(" · ");
    if (details) {
      const span = document.createElement("span");
      span.className = "muted";
      span.textContent = ` · ${details}`;
      li.append(span);
    }
    list.append(li);
  }
  $("count").hidden = false;
}

async function run(text) {
  showError($("error"), null);
  if (!text.trim()) return;
  try {
    show(await searchPeople(text.trim()), text.trim());
  } catch (err) {
    showError($("error"), err);
  }
}

async function main() {
  const me = await session();
  $("who").textContent = me.upn;
  $("sign-out").hidden = false;
  bindForm($("sign-out"), () => signOut());
  const box = $("q");
  const fromHash = new URLSearchParams(location.hash.slice(1)).get("q") ?? "";
  box.value = fromHash;
  bindForm($("search"), async () => {
    history.replaceState(null, "", `#q=${encodeURIComponent(box.value)}`);
    await run(box.value);
  });
  await run(fromHash);
}

main().catch((err) => showError($("error"), err));
