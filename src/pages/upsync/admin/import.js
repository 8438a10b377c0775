// The bulk import page (seed 003): upload a JSON file to a document library in fragments
// (StartUpload / ContinueUpload / FinishUpload, as PnPjs's addChunked), map its fields to the
// properties the import accepts, queue it with QueueImportProfileProperties, watch the job
// through the admin API, read its log. Every check is the server's: the page shows its words.
import { api, ApiError, base, session, showError } from "../upsync.js";

const $ = (id) => document.getElementById(id);
// Fragments of 1 MB: a progress bar that moves on a big file, few requests on a small one.
const kFragment = 1024 * 1024;
// Files up to this size are read whole in the browser (fields and the record count); a
// bigger one only by its first fragment (fields, no count).
const kReadWhole = 64 * 1024 * 1024;

let uploaded = null;  // { path, records } of the file on the server
let watching = null;  // the job being watched

// The file's fields (from its first records) and record count, or an Error in seed 003's
// words (DataFileNotJson) naming what is wrong.
async function readFields(file) {
  let text;
  let whole = file.size <= kReadWhole;
  if (whole) {
    text = await file.text();
  } else {
    text = await file.slice(0, kFragment).text();
    const cut = text.lastIndexOf("},");
    if (cut < 0) throw new Error("DataFileNotJson - the first megabyte holds no whole record.");
    text = text.slice(0, cut + 1) + "]}";
  }
  let doc;
  try {
    doc = JSON.parse(text);
  } catch (err) {
    throw new Error(`DataFileNotJson - ${err.message}`);
  }
  if (!doc || typeof doc !== "object" || !Array.isArray(doc.value)) {
    throw new Error('DataFileNotJson - the file must be an object with an array "value" of records.');
  }
  const fields = new Set();
  for (const record of doc.value.slice(0, 100)) {
    if (!record || typeof record !== "object" || Array.isArray(record)) {
      throw new Error("DataFileNotJson - every record of \"value\" must be an object.");
    }
    Object.keys(record).forEach((k) => fields.add(k));
  }
  if (fields.size === 0) throw new Error("DataFileNotJson - the file has no records.");
  return { fields: [...fields], records: whole ? doc.value.length : null };
}

// A write of raw bytes to the SharePoint file API, with the session's CSRF token.
async function post(path, body) {
  const s = await session();
  const res = await fetch(base + path, {
    method: "POST", credentials: "same-origin", body,
    headers: { Accept: "application/json;odata=nometadata", [s.csrfHeader ?? "X-RequestDigest"]: s.csrfToken },
  });
  const text = await res.text();
  let parsed = null;
  try { parsed = text ? JSON.parse(text) : null; } catch { parsed = text; }
  if (!res.ok) throw new ApiError(res.status, parsed);
  return parsed;
}

const quoted = (s) => encodeURIComponent(s.replaceAll("'", "''"));
// The web a server-relative path is in (/sites/x or /teams/x, else the root web).
const webOf = (path) => (/^\/(sites|teams)\/[^/]+/i.exec(path) ?? [""])[0];

async function upload(file, library) {
  const web = webOf(library);
  const folder = `${web}/_api/web/GetFolderByServerRelativePath(decodedUrl='${quoted(library)}')`;
  const path = `${library}/${file.name}`;
  const onFile = `${web}/_api/web/GetFileByServerRelativePath(decodedUrl='${quoted(path)}')`;
  const add = `${folder}/Files/AddUsingPath(decodedurl='${quoted(file.name)}',overwrite=true)`;
  const progress = (done) => {
    $("upload-progress").value = file.size ? Math.round((done / file.size) * 100) : 100;
    $("upload-text").textContent = `${(done / 1048576).toFixed(1)} of ${(file.size / 1048576).toFixed(1)} MB`;
  };
  $("upload-status").hidden = false;
  progress(0);
  if (file.size <= kFragment) {
    await post(add, file);
    progress(file.size);
    return path;
  }
  const id = crypto.randomUUID();
  await post(add, new Blob([]));  // addChunked starts from an empty file
  let offset = 0;
  try {
    while (offset < file.size) {
      const piece = file.slice(offset, offset + kFragment);
      const last = offset + piece.size >= file.size;
      const call = offset === 0 ? `StartUpload(uploadId=guid'${id}')`
        : last ? `FinishUpload(uploadId=guid'${id}',fileOffset=${offset})`
          : `ContinueUpload(uploadId=guid'${id}',fileOffset=${offset})`;
      const answer = await post(`${onFile}/${call}`, piece);
      offset = last ? file.size : Number(answer?.value ?? offset + piece.size);
      progress(offset);
    }
  } catch (err) {
    // Nothing of a refused file stays: the fragments and the empty file go. A session the
    // server has already dropped answers CancelUpload with an error that changes nothing.
    await post(`${onFile}/CancelUpload(uploadId=guid'${id}')`, new Blob([])).catch((e) => e);
    try {
      await api("DELETE", onFile);
    } catch (cleanup) {
      throw new Error(`${err.message} (The empty file ${path} stayed: ${cleanup.message})`);
    }
    throw err;
  }
  return path;
}

function fillMapping(fields, targets) {
  const idSelect = $("id-property");
  idSelect.replaceChildren(...fields.map((f) => new Option(f, f)));
  const guess = fields.find((f) => /^(idname|email|mail|upn|userprincipalname|id)$/i.test(f));
  if (guess) idSelect.value = guess;
  $("targets").replaceChildren(...targets.map((t) => new Option(t.displayName || t.name, t.name)));
  const rows = fields.map((f, i) => {
    const tr = document.createElement("tr");
    tr.dataset.field = f;
    const th = document.createElement("th");
    th.scope = "row";
    th.textContent = f;
    const td = document.createElement("td");
    const input = document.createElement("input");
    input.type = "text";
    input.id = `map-${i}`;
    input.setAttribute("list", "targets");
    input.setAttribute("aria-label", `Profile property for ${f}`);
    input.dataset.field = f;
    if (targets.some((t) => t.name === f)) input.value = f;
    td.append(input);
    tr.append(th, td);
    return tr;
  });
  $("mapping").replaceChildren(...rows);
  const hideId = () => {
    for (const tr of $("mapping").children) tr.hidden = tr.dataset.field === idSelect.value;
  };
  idSelect.onchange = hideId;
  hideId();
}

async function queue() {
  const idProperty = $("id-property").value;
  const propertyMap = {};
  for (const input of $("mapping").querySelectorAll("input")) {
    if (input.dataset.field !== idProperty && input.value.trim()) {
      propertyMap[input.dataset.field] = input.value.trim();
    }
  }
  const answer = await api("POST",
    "/_api/Microsoft.Online.SharePoint.TenantManagement.Office365Tenant/QueueImportProfileProperties",
    { idType: $("id-type").value, sourceDataIdProperty: idProperty, propertyMap,
      sourceUri: location.origin + base + uploaded.path });
  return answer.value ?? answer;
}

function showJob(job, startedAt, firstDone) {
  $("job-id").textContent = job.JobId;
  $("job-state").textContent = job.State;
  const total = uploaded?.records;
  $("job-records").textContent = total ? `${job.recordsDone} of ${total}` : `${job.recordsDone}`;
  if (total) $("job-progress").value = Math.round((job.recordsDone / total) * 100);
  if (job.State === "Succeeded") $("job-progress").value = 100;
  const seconds = (performance.now() - startedAt) / 1000;
  const rate = seconds > 0 ? (job.recordsDone - firstDone) / seconds : 0;
  $("job-rate").textContent = `${Math.max(0, Math.round(rate))} records/s`;
  $("job-error").textContent = job.Error === "NoError" ? "none" : `${job.Error}: ${job.ErrorMessage}`;
}

// Polls the job until it ends (Succeeded or Error), showing each step.
async function watch(id) {
  watching = id;
  $("watch").hidden = false;
  const startedAt = performance.now();
  let first = null;
  for (;;) {
    const job = await api("GET", `/admin/v1/import/jobs/${id}`);
    first ??= job.recordsDone;
    showJob(job, startedAt, first);
    if (job.State === "Succeeded" || job.State === "Error" || watching !== id) break;
    await new Promise((r) => setTimeout(r, 250));
  }
  await listJobs();
}

async function showLog(job) {
  const answer = await api("GET", `/admin/v1/import/jobs/${job.JobId}/log`);
  $("log").hidden = false;
  $("log-title").textContent = `Log of the job ${job.JobId}`;
  $("log-lines").textContent = answer.value.length ? answer.value.join("\n") : "(no lines)";
  const folder = $("log-folder");
  folder.hidden = !job.LogFolderUri;
  if (job.LogFolderUri) folder.href = base + job.LogFolderUri;
  $("log").scrollIntoView();
}

async function listJobs() {
  const jobs = (await api("GET", "/admin/v1/import/jobs")).value.reverse();
  $("no-jobs").hidden = jobs.length > 0;
  $("jobs").replaceChildren(...jobs.map((job) => {
    const tr = document.createElement("tr");
    for (const text of [new Date(job.createdAt).toLocaleString(), job.State, job.recordsDone,
      job.Error === "NoError" ? "" : `${job.Error}: ${job.ErrorMessage}`]) {
      const td = document.createElement("td");
      td.textContent = text;
      tr.append(td);
    }
    const td = document.createElement("td");
    const button = document.createElement("button");
    button.type = "button";
    button.className = "secondary small";
    button.textContent = "Open the log";
    button.setAttribute("aria-label", `Open the log of the job ${job.JobId}`);
    button.onclick = () => showLog(job).catch((err) => showError($("page-error"), err));
    td.append(button);
    tr.append(td);
    return tr;
  }));
}

function guard(form, errorBox, action) {
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const buttons = form.querySelectorAll("button");
    buttons.forEach((b) => { b.disabled = true; });
    showError(errorBox, null);
    try {
      await action();
    } catch (err) {
      showError(errorBox, err);
    } finally {
      buttons.forEach((b) => { b.disabled = false; });
    }
  });
}

async function main() {
  const me = await session();
  $("who").textContent = `${me.upn} (${me.role})`;
  const [schema] = await Promise.all([
    api("GET", "/admin/v1/properties").then((answer) => answer.value), listJobs()]);
  // Seed 003: only properties that are not user-editable, not core directory properties,
  // single-valued and not taxonomy-bound take imported values.
  const targets = schema.filter((p) => !p.userEditable && !p.directoryImported && !p.multiValue &&
    !p.taxonomyBound);
  let fields = null;
  let readError = null;  // why the chosen file cannot be imported, shown again on Upload
  $("file").addEventListener("change", async () => {
    showError($("file-error"), null);
    fields = null;
    readError = null;
    const file = $("file").files[0];
    if (!file) return;
    try {
      const read = await readFields(file);
      fields = read.fields;
      uploaded = { path: null, records: read.records };
      $("file-facts").textContent = `${(file.size / 1048576).toFixed(2)} MB, ` +
        `${read.records ?? "many"} records, fields: ${read.fields.join(", ")}`;
    } catch (err) {
      readError = err;
      $("file-facts").textContent = "";
      showError($("file-error"), err);
    }
  });
  guard($("upload-form"), $("file-error"), async () => {
    const file = $("file").files[0];
    if (!fields) throw readError ?? new Error("Choose a JSON file first.");
    const library = $("library").value.trim().replace(/\/+$/, "");
    if (!library.startsWith("/")) {
      showError($("library-error"), new Error("The library is a server-relative path: /sites/hr/Shared Documents"));
      return;
    }
    showError($("library-error"), null);
    uploaded.path = await upload(file, library);
    const link = $("source-link");
    link.textContent = uploaded.path;
    link.href = base + uploaded.path;
    fillMapping(fields, targets);
    $("queue-form").hidden = false;
    $("id-type").focus();
  });
  guard($("queue-form"), $("mapping-error"), async () => {
    const id = await queue();
    await watch(id);
  });
  document.querySelector("main").dataset.ready = "true";
}

main().catch((err) => showError($("page-error"), err));
