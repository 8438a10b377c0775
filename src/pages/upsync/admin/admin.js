// What every admin page shares: the signed-in admin in the header with sign-out, a small DOM
// builder, errors shown beside the field they are about, and the "ready" mark the browser
// tests wait for. The server already refused anyone who is not an admin (http/admin_pages.h),
// and every API call checks the caller's role again: this module only shows.
//
//   import { start, el, bindFieldForm, ready } from "./admin.js";
//   const me = await start();
import { api, session, showError, bindForm, signOut, ApiError } from "../upsync.js";

export { api, showError, ApiError };

export const $ = (id) => document.getElementById(id);

// An element: el("td", { class: "num" }, "12", otherNode). Strings become text (never HTML).
export function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === false || v === null || v === undefined) continue;
    if (k.startsWith("on")) node.addEventListener(k.slice(2), v);
    else node.setAttribute(k, v === true ? "" : v);
  }
  for (const c of children.flat()) {
    if (c !== null && c !== undefined) node.append(c instanceof Node ? c : String(c));
  }
  return node;
}

// Fills the header (who is signed in, sign-out) and returns the session.
export async function start() {
  const me = await session();
  $("who").textContent = `${me.upn} (${me.role})`;
  $("sign-out").hidden = false;
  bindForm($("sign-out"), () => signOut());
  return me;
}

// Marks the page as showing its data (the browser tests and the page measure wait for it).
export function ready() {
  document.body.dataset.ready = "true";
  $("loading")?.remove();
}

// Clears every field error of `form`.
export function clearFieldErrors(form) {
  for (const box of form.querySelectorAll(".field-error")) showError(box, null);
  for (const input of form.querySelectorAll("[aria-invalid]")) input.removeAttribute("aria-invalid");
}

// Shows `error` beside the field its answer names (the admin API's error.target), else in the
// form's [data-error] box. A field's error box is the element with id `${field.id}-error`.
export function showFieldError(form, error) {
  const target = error?.body?.error?.target;
  const field = target ? form.querySelector(`[data-field="${CSS.escape(target)}"]`) : null;
  const box = field ? $(`${field.id}-error`) : form.querySelector("[data-error]");
  if (field) {
    field.setAttribute("aria-invalid", "true");
    field.focus();
  }
  if (box) showError(box, error); else throw error;
}

// Like upsync.js's bindForm, with errors beside their fields: on submit, `action(FormData)` runs
// with the buttons disabled.
export function bindFieldForm(form, action) {
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const buttons = form.querySelectorAll("button");
    buttons.forEach((b) => { b.disabled = true; });
    clearFieldErrors(form);
    showError(form.querySelector("[data-error]"), null);
    try {
      await action(new FormData(form));
    } catch (err) {
      showFieldError(form, err);
    } finally {
      buttons.forEach((b) => { b.disabled = false; });
    }
  });
}

// A labelled input with its error box, for forms built from data: the input carries
// data-field=`name` (what the API's error.target names) and aria-describedby its hint and error.
export function field(id, name, label, input, hint) {
  input.id = id;
  input.dataset.field = name;
  const described = [hint ? `${id}-hint` : null, `${id}-error`].filter(Boolean).join(" ");
  input.setAttribute("aria-describedby", described);
  return el("div", { class: "field" },
    el("label", { for: id }, label),
    input,
    hint ? el("span", { class: "hint", id: `${id}-hint` }, hint) : null,
    el("p", { class: "field-error error", id: `${id}-error`, hidden: true }));
}

// A status line for what just happened ("Saved."), read out by screen readers.
export function say(text) {
  const box = $("status");
  box.textContent = text;
  box.hidden = !text;
}

// Runs `main`, showing a failure in #error.
export function run(main) {
  main().catch((err) => {
    $("loading")?.remove();
    showError($("error"), err);
  });
}

// A click handler that runs `action` with the button disabled and shows a failure in `box`
// (default #error).
export function act(action, box) {
  return async (event) => {
    const button = event.currentTarget;
    button.disabled = true;
    const errorBox = box ?? $("error");
    showError(errorBox, null);
    try {
      await action(event);
    } catch (err) {
      showError(errorBox, err);
    } finally {
      button.disabled = false;
    }
  };
}
