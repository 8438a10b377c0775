// The shared module of upsync's pages: the session, calls to the HTTP API, errors and forms.
// Every page imports it; see src/http/page_assets.h for the conventions.
//
//   import { api, session, showError, bindForm, signOut } from "./upsync.js";
//   const me = await session();    // signs the browser in first when it has no session
//   const props = await api("GET", "/_api/SP.UserProfiles.PeopleManager/GetMyProperties");

// The tenant's base: what comes before /_layouts/15/ ("/tenants/contoso" or ""), taken from
// this module's own address, which is under /_layouts/15/upsync/ whatever page loaded it (the
// person page is at SharePoint's /person.aspx).
const modulePath = new URL(import.meta.url).pathname;
export const base = modulePath.slice(0, modulePath.indexOf("/_layouts/15/"));

let current = null;  // the session answer, with its CSRF token

// An error of the HTTP API, with the message of whichever surface answered.
export class ApiError extends Error {
  constructor(status, body) {
    super(messageOf(status, body));
    this.status = status;
    this.body = body;
  }
}

function messageOf(status, body) {
  if (body && typeof body === "object") {
    const e = body["odata.error"] ?? body.error;
    if (e?.message?.value) return e.message.value;      // SharePoint
    if (typeof e?.message === "string") return e.message; // Graph, admin API
    if (typeof body.error_description === "string") return body.error_description;
  }
  return `The server answered ${status}.`;
}

// Sends the browser to the sign-in page, back here afterwards.
export function signIn() {
  const source = location.pathname + location.search;
  location.assign(`${base}/_layouts/15/Authenticate.aspx?Source=${encodeURIComponent(source)}`);
  return new Promise(() => {});  // the page is going away
}

// The signed-in person ({tenant, upn, role, csrfToken, expiresAt}); signs in when there is none.
export async function session() {
  if (current) return current;
  const res = await fetch(`${base}/_layouts/15/upsync/session`, {
    credentials: "same-origin", headers: { Accept: "application/json" },
  });
  if (res.status === 401) return signIn();
  const body = await res.json();
  if (!res.ok) throw new ApiError(res.status, body);
  current = body;
  return current;
}

// Calls the HTTP API at `path` (relative to the tenant's base) with the session cookie; writes
// carry the session's CSRF token. `body` is sent as JSON, or as it is when a Blob (a File). Returns the parsed JSON (or null for an empty answer);
// throws ApiError, and signs in again when the session has ended.
export async function api(method, path, body) {
  const headers = { Accept: "application/json;odata=nometadata" };
  if (method !== "GET" && method !== "HEAD") {
    const s = await session();
    headers[s.csrfHeader ?? "X-RequestDigest"] = s.csrfToken;
  }
  const init = { method, headers, credentials: "same-origin" };
  if (body instanceof Blob) {
    // A file (a photo): its bytes as they are, with its own type.
    headers["Content-Type"] = body.type || "application/octet-stream";
    init.body = body;
  } else if (body !== undefined) {
    headers["Content-Type"] = "application/json";
    init.body = JSON.stringify(body);
  }
  const res = await fetch(base + path, init);
  const text = await res.text();
  let parsed = null;
  if (text) {
    try { parsed = JSON.parse(text); } catch { parsed = text; }
  }
  if (res.status === 401) {
    current = null;
    return signIn();
  }
  if (!res.ok) throw new ApiError(res.status, parsed);
  return parsed;
}

// Shows `error` (an ApiError or any Error) in `element`, or clears it with null.
export function showError(element, error) {
  element.textContent = error ? error.message : "";
  element.hidden = !error;
  if (error) element.setAttribute("role", "alert");
}

// Wires a form: on submit, `action(FormData)` runs with the button disabled; an error is shown
// in the form's [data-error] element.
export function bindForm(form, action) {
  const errorBox = form.querySelector("[data-error]");
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const buttons = form.querySelectorAll("button");
    buttons.forEach((b) => { b.disabled = true; });
    if (errorBox) showError(errorBox, null);
    try {
      await action(new FormData(form));
    } catch (err) {
      if (errorBox) showError(errorBox, err); else throw err;
    } finally {
      buttons.forEach((b) => { b.disabled = false; });
    }
  });
}

// Ends the session and goes to the sign-in page.
export async function signOut() {
  const answer = await api("POST", "/_layouts/15/upsync/signout");
  current = null;
  location.assign(answer.signIn);
}
