// The signed-in home page: who is signed in (from the session and SharePoint's
// GetMyProperties, as any client reads them), and the sign-out button.
import { api, session, showError, bindForm, signOut } from "./upsync.js";

const $ = (id) => document.getElementById(id);

async function main() {
  const me = await session();
  $("upn").textContent = me.upn;
  $("role").textContent = me.role;
  $("tenant").textContent = me.tenant;
  $("expires").textContent = new Date(me.expiresAt * 1000).toLocaleString();
  $("who").textContent = me.upn;
  $("sign-out").hidden = false;
  bindForm($("sign-out"), () => signOut());
  try {
    const props = await api("GET", "/_api/SP.UserProfiles.PeopleManager/GetMyProperties");
    $("name").textContent = props.DisplayName || me.upn;
  } catch (err) {
    // A person with a password but no profile yet: the name is their account.
    $("name").textContent = me.upn;
    if (err.status !== 404) showError($("error"), err);
  }
  $("loading").hidden = true;
  $("facts").hidden = false;
}

main().catch((err) => {
  $("loading").hidden = true;
  showError($("error"), err);
});
