#include "http/admin_routes.h"

#include <climits>
#include <regex>
#include <vector>

#include "auth/browser_sign_in.h"
#include "auth/credentials.h"
#include "bulkimport/job.h"
#include "core/property_json.h"
#include "core/text.h"
#include "http/admin_jobs.h"
#include "http/admin_route_table.h"
#include "http/admin_sync.h"
#include "http/json_writer.h"
#include "sync/run_history.h"
#include "sync/scheduler.h"

namespace upsync {

namespace {

Status me(Call& call) {
  UPSYNC_ASSIGN_OR_RETURN(Principal who, call.caller());
  nlohmann::json j = {{"tenant", call.tenant.name}, {"role", std::string(role_name(who.role))}};
  if (who.role == Role::kApp) {
    j["clientId"] = who.client_id;
    j["name"] = who.display_name;
  } else {
    j["userPrincipalName"] = who.upn;
  }
  write_json(call.res, 200, j);
  return Status::ok();
}

Status tenant(Call& call) {
  UPSYNC_ASSIGN_OR_RETURN(int64_t profiles, call.store.count_profiles(call.tenant.id));
  write_json(call.res, 200,
             {{"name", call.tenant.name},
              {"kind", tenant_kind_name(call.tenant.kind)},
              {"education", call.tenant.education},
              {"createdAt", call.tenant.created_at},
              {"profiles", profiles}});
  return Status::ok();
}

// {"value":[...]} of property_json()'s objects, written without building them as trees: every
// person page reads the list (its display names and which properties the directory writes),
// and the tree of a hundred properties cost more than the rest of the answer. Members in
// property_json()'s printed (sorted) order; a test holds the two to the same text.
Result<std::string> properties_json(Call& call) {
  UPSYNC_ASSIGN_OR_RETURN(const ProfileSchema* schema, call.read_schema());
  JsonWriter w;
  w.begin_object().key("value").begin_array();
  for (const PropertyDefinition* d : schema->all()) {
    const PropertyPolicy& policy = schema->policy(d->name);
    w.begin_object()
        .key("custom")
        .boolean(d->custom)
        .key("directoryImported")
        .boolean(d->directory_imported)
        .key("displayName")
        .str(d->display_name)
        .key("maxLength")
        .number(d->max_length)
        .key("multiValue")
        .boolean(d->multi_value)
        .key("name")
        .str(d->name)
        .key("privacy")
        .str(privacy_name(policy.privacy))
        .key("showInEdit")
        .boolean(policy.show_in_edit)
        .key("showOnProfile")
        .boolean(policy.show_on_profile)
        .key("syncToSites")
        .boolean(d->sync_to_sites)
        .key("taxonomyBound")
        .boolean(d->taxonomy_bound)
        .key("type")
        .str(data_type_name(d->type))
        .key("userCanOverride")
        .boolean(policy.user_can_override)
        .key("userEditable")
        .boolean(d->user_editable)
        .end_object();
  }
  w.end_array().end_object();
  return std::move(w).text();
}

Status list_properties(Call& call) {
  // Every caller gets the same answer (the person page asks on each view): kept by the store
  // while nothing changes.
  const std::string key = "admin/v1/properties " + std::to_string(call.tenant.id);
  UPSYNC_ASSIGN_OR_RETURN(std::shared_ptr<const std::string> kept, call.store.kept_text(key));
  if (!kept) {
    UPSYNC_ASSIGN_OR_RETURN(std::string text, properties_json(call));
    kept = std::make_shared<const std::string>(std::move(text));
    UPSYNC_RETURN_IF_ERROR(call.store.keep_text(key, kept));
  }
  call.res.status = 200;
  call.res.set_content(*kept, "application/json; charset=utf-8");
  return Status::ok();
}

// The member a refusal of custom_property_from_json names ("'type': unknown data type"), or
// "name" for the store's refusals of the name (taken, or not a valid name).
std::string refused_member(const Status& status) {
  const std::string& m = status.message();
  if (m.starts_with("'")) {
    size_t end = m.find('\'', 1);
    if (end != std::string::npos) return m.substr(1, end - 1);
  }
  if (status.code() == StatusCode::kAlreadyExists || m.starts_with("custom property name")) {
    return "name";
  }
  return "";
}

Status add_property(Call& call) {
  UPSYNC_ASSIGN_OR_RETURN(nlohmann::json body, json_body(call.req));
  auto d = custom_property_from_json(body);
  if (!d) return write_field_error(call, refused_member(d.status()), d.status());
  auto added = call.store.add_custom_property(call.tenant.id, *d);
  if (!added) return write_field_error(call, refused_member(added.status()), added.status());
  write_json(call.res, 201, property_json(*added));
  return Status::ok();
}

Status remove_property(Call& call) {
  UPSYNC_RETURN_IF_ERROR(call.store.remove_custom_property(call.tenant.id, call.match[1].str()));
  call.res.status = 204;
  return Status::ok();
}

nlohmann::json app_json(const AppRegistration& a) {
  return {{"clientId", a.client_id}, {"name", a.name}, {"createdAt", a.created_at}};
}

Status list_apps(Call& call) {
  UPSYNC_ASSIGN_OR_RETURN(auto creds, open_credential_store(call.store));
  UPSYNC_ASSIGN_OR_RETURN(auto sign_ins, open_sign_in_store(call.store));
  UPSYNC_ASSIGN_OR_RETURN(auto apps, creds->apps(call.tenant.id));
  nlohmann::json arr = nlohmann::json::array();
  for (const auto& a : apps) {
    nlohmann::json j = app_json(a);
    UPSYNC_ASSIGN_OR_RETURN(j["redirectUris"],
                            sign_ins->redirect_uris(call.tenant.id, a.client_id));
    arr.push_back(std::move(j));
  }
  write_json(call.res, 200, {{"value", arr}});
  return Status::ok();
}

Status add_app(Call& call) {
  UPSYNC_ASSIGN_OR_RETURN(nlohmann::json body, json_body(call.req));
  if (!body.is_object()) return invalid_argument("request body: expected a JSON object");
  if (!body.contains("name") || !body["name"].is_string() ||
      trim(body["name"].get<std::string>()).empty()) {
    return write_field_error(
        call, "name", "request body: 'name' (a string) is required, e.g. {\"name\":\"hr-sync\"}");
  }
  std::vector<std::string> uris;
  for (const auto& [key, value] : body.items()) {
    if (key == "name") continue;
    if (key != "redirectUris") {
      return invalid_argument("request body: unknown field '" + key +
                              "' (an app takes 'name' and 'redirectUris')");
    }
    if (!value.is_array()) {
      return write_field_error(call, "redirectUris",
                               "request body: 'redirectUris' must be an array of strings");
    }
    for (const auto& uri : value) {
      if (!uri.is_string()) {
        return write_field_error(call, "redirectUris",
                                 "request body: 'redirectUris' must be an array of strings");
      }
      uris.push_back(uri.get<std::string>());
    }
  }
  auto registered = register_app_with_redirect_uris(call.store, call.tenant,
                                                    body["name"].get<std::string>(), uris);
  if (!registered && registered.status().code() == StatusCode::kInvalidArgument) {
    // The name is checked above: what the registration refuses is a redirect URI.
    return write_field_error(call, "redirectUris", registered.status());
  }
  UPSYNC_ASSIGN_OR_RETURN(NewApp made, std::move(registered));
  nlohmann::json j = app_json(made.app);
  j["redirectUris"] = uris;
  j["clientSecret"] = made.secret;
  write_json(call.res, 201, j);
  return Status::ok();
}

Status remove_app(Call& call) {
  UPSYNC_ASSIGN_OR_RETURN(auto creds, open_credential_store(call.store));
  UPSYNC_RETURN_IF_ERROR(creds->remove_app(call.tenant.id, call.match[1].str()));
  call.res.status = 204;
  return Status::ok();
}

// An app's certificates (auth/app_certificate.h); the app must be the tenant's.
Status list_certificates(Call& call) {
  UPSYNC_ASSIGN_OR_RETURN(auto creds, open_credential_store(call.store));
  const std::string client_id = call.match[1].str();
  UPSYNC_RETURN_IF_ERROR(creds->app_with_secret(call.tenant.id, client_id).status());
  UPSYNC_ASSIGN_OR_RETURN(auto certs, creds->certificates(call.tenant.id, client_id));
  nlohmann::json arr = nlohmann::json::array();
  for (const auto& c : certs) arr.push_back(app_certificate_json(c));
  write_json(call.res, 200, {{"value", arr}});
  return Status::ok();
}

Status add_certificate(Call& call) {
  UPSYNC_ASSIGN_OR_RETURN(nlohmann::json body, json_body(call.req));
  if (!body.is_object() || !body.contains("certificate") || !body["certificate"].is_string()) {
    return invalid_argument(
        "request body: 'certificate' (a string, the PEM certificate: "
        "-----BEGIN CERTIFICATE-----...) is required");
  }
  for (const auto& [key, value] : body.items()) {
    if (key != "certificate") {
      return invalid_argument("request body: unknown field '" + key +
                              "' (the only field is 'certificate')");
    }
  }
  UPSYNC_ASSIGN_OR_RETURN(auto creds, open_credential_store(call.store));
  UPSYNC_ASSIGN_OR_RETURN(AppCertificate c,
                          add_app_certificate(*creds, call.tenant, call.match[1].str(),
                                              body["certificate"].get<std::string>()));
  write_json(call.res, 201, app_certificate_json(c));
  return Status::ok();
}

Status remove_certificate(Call& call) {
  UPSYNC_ASSIGN_OR_RETURN(auto creds, open_credential_store(call.store));
  UPSYNC_RETURN_IF_ERROR(
      creds->remove_certificate(call.tenant.id, call.match[1].str(), call.match[2].str()));
  call.res.status = 204;
  return Status::ok();
}

Status list_runs(Call& call) {
  int limit = 50;
  if (call.req.has_param("top")) {
    const std::string top = call.req.get_param_value("top");
    if (top.empty() || top.size() > 5 || top.find_first_not_of("0123456789") != std::string::npos ||
        std::stoi(top) < 1) {
      return invalid_argument(
          "query parameter 'top': expected a whole number from 1 to 99999, got '" + top + "'");
    }
    limit = std::stoi(top);
  }
  // summary=true: the counts without the change lines (a history page needs no 1,000 lines
  // per stage and run).
  bool summary = false;
  if (call.req.has_param("summary")) {
    const std::string v = call.req.get_param_value("summary");
    if (v != "true" && v != "false") {
      return invalid_argument("query parameter 'summary': expected true or false, got '" +
                              quote_for_message(v, 20) + "'");
    }
    summary = v == "true";
  }
  UPSYNC_ASSIGN_OR_RETURN(auto runs_store, open_sync_run_store(call.store));
  UPSYNC_ASSIGN_OR_RETURN(auto runs, runs_store->list(call.tenant.id, limit));
  nlohmann::json arr = nlohmann::json::array();
  for (const auto& r : runs) {
    nlohmann::json j = sync_run_json(r);
    if (summary) {
      for (auto& stage : j["stages"]) stage.erase("changes");
    }
    arr.push_back(std::move(j));
  }
  write_json(call.res, 200, {{"value", arr}});
  return Status::ok();
}

Status run_now(Call& call, SyncOptions options);

Status start_run(Call& call) {
  UPSYNC_ASSIGN_OR_RETURN(nlohmann::json body, json_body(call.req));
  SyncOptions options;
  for (const auto& [key, value] : body.items()) {
    if (key == "stage") {
      if (!value.is_number_integer() || value.get<int64_t>() < 0 || value.get<int64_t>() > 3)
        return invalid_argument("request body: 'stage' must be a whole number from 0 to 3");
      options.only_stage = value.get<int>();
      continue;
    }
    if (key != "full" && key != "dryRun" && key != "allowDeletions") {
      return invalid_argument("request body: unknown member '" + key +
                              "' (expected full, dryRun, stage, allowDeletions)");
    }
    if (!value.is_boolean())
      return invalid_argument("request body: '" + key + "' must be true or false");
  }
  options.full = body.value("full", false);
  options.dry_run = body.value("dryRun", false);
  // Allowing a run that the deletion threshold stopped, once (Azure AD Connect's
  // Disable-ADSyncExportDeletionThreshold, for one run): this run deletes what it finds gone.
  if (body.value("allowDeletions", false)) options.deletion_threshold = INT_MAX;
  // The run reads the directory server: on the directory pool, answered when it ends.
  return on_directory_pool(call, [options](Call& pooled) { return run_now(pooled, options); });
}

Status run_now(Call& call, SyncOptions options) {
  options.progress = begin_live_sync(call.tenant.id, options.dry_run);
  auto recorded = run_and_record(call.store, call.tenant, nullptr, options, "api", "cloud");
  end_live_sync(call.tenant.id);
  UPSYNC_ASSIGN_OR_RETURN(SyncRun run, std::move(recorded));
  // A refused run (e.g. a server tenant) is recorded and answered as 409 with its record.
  nlohmann::json j = sync_run_json(run);
  if (!run.succeeded) {
    write_json(call.res, 409,
               {{"error", {{"code", "FailedPrecondition"}, {"message", run.error}}}, {"run", j}});
    return Status::ok();
  }
  call.res.set_header("Location",
                      call.tenant_base + "/admin/v1/sync/runs/" + std::to_string(run.id));
  write_json(call.res, 201, j);
  return Status::ok();
}

Status get_run(Call& call) {
  const std::string id = call.match[1].str();
  if (id.empty() || id.size() > 18 || id.find_first_not_of("0123456789") != std::string::npos) {
    return invalid_argument("sync run id: expected a number, got '" + id + "'");
  }
  UPSYNC_ASSIGN_OR_RETURN(auto runs_store, open_sync_run_store(call.store));
  UPSYNC_ASSIGN_OR_RETURN(SyncRun run, runs_store->get(call.tenant.id, std::stoll(id)));
  write_json(call.res, 200, sync_run_json(run));
  return Status::ok();
}

nlohmann::json schedule_json(const Tenant& t, const std::optional<int64_t>& every) {
  return {{"tenant", t.name}, {"intervalSeconds", every ? nlohmann::json(*every) : nullptr}};
}

Status get_schedule(Call& call) {
  UPSYNC_ASSIGN_OR_RETURN(auto schedules, open_schedule_store(call.store));
  UPSYNC_ASSIGN_OR_RETURN(auto every, schedules->get(call.tenant));
  write_json(call.res, 200, schedule_json(call.tenant, every));
  return Status::ok();
}

Status put_schedule(Call& call) {
  UPSYNC_ASSIGN_OR_RETURN(nlohmann::json body, json_body(call.req));
  if (!body.is_object() || !body.contains("intervalSeconds") ||
      !(body["intervalSeconds"].is_null() || body["intervalSeconds"].is_number_integer()) ||
      body.size() != 1) {
    return invalid_argument(
        "request body: expected {\"intervalSeconds\": N} (seconds) or {\"intervalSeconds\": "
        "null} (no schedule)");
  }
  UPSYNC_ASSIGN_OR_RETURN(auto schedules, open_schedule_store(call.store));
  if (body["intervalSeconds"].is_null()) {
    UPSYNC_RETURN_IF_ERROR(schedules->clear(call.tenant));
  } else {
    UPSYNC_RETURN_IF_ERROR(schedules->set(call.tenant, body["intervalSeconds"].get<int64_t>()));
  }
  UPSYNC_ASSIGN_OR_RETURN(auto every, schedules->get(call.tenant));
  write_json(call.res, 200, schedule_json(call.tenant, every));
  return Status::ok();
}

Status list_jobs(Call& call) {
  UPSYNC_ASSIGN_OR_RETURN(auto jobs, open_job_store(call.store));
  UPSYNC_ASSIGN_OR_RETURN(auto list, jobs->list(call.tenant.id));
  nlohmann::json arr = nlohmann::json::array();
  UPSYNC_RETURN_IF_ERROR(add_ranges(*jobs, list));
  for (const auto& j : list) arr.push_back(admin_job_json(j));
  write_json(call.res, 200, {{"value", arr}});
  return Status::ok();
}

Status openapi(Call& call) {
  write_json(call.res, 200, admin_openapi(call.tenant_base));
  return Status::ok();
}

const AdminRoute kAdminRoutes[] = {
    {"GET", "/admin/v1/openapi.json", "This OpenAPI document", Who::kAnyone, 200, openapi},
    {"GET", "/admin/v1/me", "The caller as the server sees them", Who::kSignedIn, 200, me},
    {"GET", "/admin/v1/tenant", "The tenant and its counts", Who::kTenantManager, 200, tenant},
    // Everyone signed in reads the schema: the person page labels and checks values with it.
    {"GET", "/admin/v1/properties", "The profile schema with each property's policy",
     Who::kSignedIn, 200, list_properties},
    {"POST", "/admin/v1/properties", "Define a custom property", Who::kTenantManager, 201,
     add_property},
    {"DELETE", "/admin/v1/properties/{name}", "Remove a custom property that no profile uses",
     Who::kTenantManager, 204, remove_property},
    {"GET", "/admin/v1/apps", "Registered apps", Who::kGlobalAdmin, 200, list_apps},
    {"POST", "/admin/v1/apps",
     "Register an app ({\"name\":..,\"redirectUris\":[..]}, the URIs its people's sign-in may "
     "return to); its secret is in this answer only",
     Who::kGlobalAdmin, 201, add_app},
    {"DELETE", "/admin/v1/apps/{clientId}", "Remove an app; its tokens stop working within 2 s",
     Who::kGlobalAdmin, 204, remove_app},
    {"GET", "/admin/v1/apps/{clientId}/certificates", "An app's certificates", Who::kGlobalAdmin,
     200, list_certificates},
    {"POST", "/admin/v1/apps/{clientId}/certificates",
     "Register a certificate (body: {\"certificate\": PEM}) for client assertions",
     Who::kGlobalAdmin, 201, add_certificate},
    {"DELETE", "/admin/v1/apps/{clientId}/certificates/{thumbprint}",
     "Remove a certificate; the app's tokens stop working within 2 s", Who::kGlobalAdmin, 204,
     remove_certificate},
    {"GET", "/admin/v1/sync/runs",
     "Sync runs, newest first (?top=N, ?summary=true: no change lines)", Who::kTenantManager, 200,
     list_runs},
    {"POST", "/admin/v1/sync/runs",
     "Run the sync now: cloud directory to profiles (body: full, dryRun, stage)",
     Who::kTenantManager, 201, start_run},
    {"GET", "/admin/v1/sync/runs/{id}", "One sync run", Who::kTenantManager, 200, get_run},
    {"GET", "/admin/v1/sync/schedule", "How often serve runs the sync", Who::kTenantManager, 200,
     get_schedule},
    {"PUT", "/admin/v1/sync/schedule",
     "Run the sync every intervalSeconds inside serve (null: never)", Who::kTenantManager, 200,
     put_schedule},
    {"GET", "/admin/v1/import/jobs", "Bulk import jobs with their progress", Who::kTenantManager,
     200, list_jobs},
    {"GET", "/admin/v1/import/jobs/{id}", "One bulk import job with its progress",
     Who::kTenantManager, 200, admin_get_job},
    {"GET", "/admin/v1/import/jobs/{id}/log", "The lines of a bulk import job's log",
     Who::kTenantManager, 200, admin_get_job_log},
    {"GET", "/admin/v1/sync/connector", "The tenant's connector (TOML)", Who::kTenantManager, 200,
     admin_get_connector},
    {"PUT", "/admin/v1/sync/connector",
     "Set the tenant's connector (body: name, toml); the server's operator keeps the connection "
     "keys of one with a password",
     Who::kTenantManager, 200, admin_put_connector},
    {"POST", "/admin/v1/sync/connector/test", "Connect and bind with the tenant's connector",
     Who::kTenantManager, 200, admin_test_connector},
    {"GET", "/admin/v1/sync/progress", "The sync run in progress, stage by stage",
     Who::kTenantManager, 200, admin_sync_progress},
};

std::string regex_for(const std::string& templ) {
  static const std::regex kParam(R"(\{[^}]+\})");
  std::string escaped = std::regex_replace(templ, std::regex(R"(\.)"), R"(\.)");
  return "^" + std::regex_replace(escaped, kParam, "([^/]+)") + "$";
}

// Every row: this file's, then the other files' (admin_route_table.h).
const std::vector<AdminRoute>& all_routes() {
  static const std::vector<AdminRoute> kAll = [] {
    std::vector<AdminRoute> all(std::begin(kAdminRoutes), std::end(kAdminRoutes));
    for (auto rows : {admin_profile_routes(), admin_people_routes(), admin_audience_routes(),
                      admin_privacy_routes()}) {
      all.insert(all.end(), rows.begin(), rows.end());
    }
    return all;
  }();
  return kAll;
}

}  // namespace

Status require_caller(const Call& call, Who who) {
  if (who == Who::kAnyone) return Status::ok();
  UPSYNC_ASSIGN_OR_RETURN(Principal p, call.caller());
  if (who == Who::kTenantManager && !p.manages_tenant()) {
    return permission_denied(p.describe() +
                             " may not manage the tenant: this needs a global admin, a "
                             "SharePoint admin or an app");
  }
  // Apps belong to the tenant and only a global admin manages them: an app that could register
  // apps would mint credentials that outlive its own removal (issue 15). An app a global admin
  // registered stays when that admin leaves, as in Azure AD.
  if (who == Who::kGlobalAdmin && p.role != Role::kGlobalAdmin) {
    return permission_denied(p.describe() +
                             " may not manage apps: this needs a global admin (apps may not "
                             "register, list or remove apps)");
  }
  // A role is what every other check reads: whoever could set one could make themselves a
  // global admin, so only a global admin sets roles and passwords.
  if (who == Who::kPeopleAdmin && p.role != Role::kGlobalAdmin) {
    return permission_denied(p.describe() +
                             " may not set people's roles or passwords: this needs a global "
                             "admin");
  }
  return Status::ok();
}

Status write_field_error(Call& call, std::string_view target, const Status& status) {
  if (target.empty()) return status;  // about no one field: the admin API's usual answer
  write_json(call.res, http_status_for(status),
             {{"error",
               {{"code", std::string(status_code_name(status.code()))},
                {"message", status.message()},
                {"target", std::string(target)}}}});
  return Status::ok();
}

Status write_field_error(Call& call, std::string_view target, std::string_view message) {
  return write_field_error(call, target, invalid_argument(std::string(message)));
}

nlohmann::json admin_openapi(const std::string& server_url) {
  nlohmann::json paths = nlohmann::json::object();
  static const std::regex kParam(R"(\{([^}]+)\})");
  for (const AdminRoute& r : all_routes()) {
    std::string method = r.method;
    for (char& c : method) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    nlohmann::json op = {
        {"summary", r.summary},
        {"operationId", method + std::string(r.path)},
        {"responses",
         {{std::to_string(r.success), {{"description", "Success"}}},
          {"default", {{"description", "An error: {\"error\":{code,message}}"}}}}}};
    nlohmann::json params = nlohmann::json::array();
    std::string path = r.path;
    for (std::sregex_iterator it(path.begin(), path.end(), kParam), end; it != end; ++it) {
      params.push_back({{"name", (*it)[1].str()},
                        {"in", "path"},
                        {"required", true},
                        {"schema", {{"type", "string"}}}});
    }
    if (!params.empty()) op["parameters"] = params;
    if (r.who != Who::kAnyone) op["security"] = {{{"bearer", nlohmann::json::array()}}};
    if (method == "post" || method == "put" || method == "patch") {
      op["requestBody"] = {{"required", false},
                           {"content", {{"application/json", {{"schema", {{"type", "object"}}}}}}}};
    }
    paths[path][method] = op;
  }
  return {{"openapi", "3.0.3"},
          {"info",
           {{"title", "upsync admin API"},
            {"version", "1"},
            {"description",
             "What SharePoint has no API for: the tenant, custom properties, apps, sync runs, "
             "import jobs, and a server tenant's audiences and hybrid settings. Tokens come from "
             "/{tenant}/oauth2/v2.0/token."}}},
          {"servers", {{{"url", server_url}}}},
          {"components",
           {{"securitySchemes",
             {{"bearer", {{"type", "http"}, {"scheme", "bearer"}, {"bearerFormat", "JWT"}}}}}}},
          {"paths", paths}};
}

void add_admin_routes(Router& router) {
  for (const AdminRoute& r : all_routes()) {
    Who who = r.who;
    auto handler = r.handler;
    router.add(r.method, regex_for(r.path), Surface::kAdmin,
               who == Who::kAnyone ? Access::kPublic : Access::kSignedIn,
               [who, handler](Call& call) -> Status {
                 UPSYNC_RETURN_IF_ERROR(require_caller(call, who));
                 return handler(call);
               });
  }
}

}  // namespace upsync
