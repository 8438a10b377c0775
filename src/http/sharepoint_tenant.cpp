// Microsoft.Online.SharePoint.TenantManagement.Office365Tenant: seed 003's bulk import API
// as PnPjs's @pnp/sp-admin calls it (reference §2.2): POST even for the two Get* methods,
// reachable from any site URL.
#include <regex>

#include "bulkimport/importer.h"
#include "core/text.h"
#include "http/sharepoint_common.h"
#include "http/sharepoint_permissions.h"

namespace upsync {

namespace {

constexpr std::string_view kJobInfoType =
    "Microsoft.Online.SharePoint.TenantManagement.ImportProfilePropertiesJobInfo";

// A URL the store keeps (server-relative and decoded, or absolute elsewhere) as a client can
// use it: absolute on the address the client came in by, with spaces and other characters
// that may not stand in a URL percent-encoded (an existing escape is kept).
nlohmann::json absolute(const Call& call, const std::string& url) {
  if (url.empty()) return nullptr;
  std::string out = url.front() == '/' ? call.tenant_base : "";
  static const char* kHex = "0123456789ABCDEF";
  for (unsigned char c : url) {
    if (c <= 0x20 || c >= 0x7f ||
        std::string_view("\"<>\\^`{|}#").find(static_cast<char>(c)) != std::string_view::npos) {
      out.push_back('%');
      out.push_back(kHex[c >> 4]);
      out.push_back(kHex[c & 15]);
    } else {
      out.push_back(static_cast<char>(c));
    }
  }
  return out;
}

nlohmann::json job_json(const Call& call, const ImportJob& job) {
  nlohmann::json log = absolute(call, job.log_folder_uri);
  return {{"Error", static_cast<int>(job.error)},
          {"ErrorMessage",
           job.error_message.empty() ? nlohmann::json() : nlohmann::json(job.error_message)},
          {"JobId", job.job_id},
          // Trap 11: real clients read LogFolderUri, seed 003 names it LogFileUri; both
          // point to the job's log folder.
          {"LogFolderUri", log},
          {"LogFileUri", log},
          {"SourceUri", absolute(call, job.source_uri)},
          {"State", static_cast<int>(job.state)}};
}

Status require_bulk_import_rights(const Principal& who, std::string_view what) {
  if (who.may_queue_bulk_import()) return Status::ok();
  std::string why = who.role == Role::kSharePointAdmin
                        ? "; a SharePoint admin is not sufficient (seed 003)."
                        : ".";
  return permission_denied(std::string(what) + " requires a global admin or app-only access (" +
                           who.describe() + " is neither)" + why);
}

Result<ImportIdType> id_type_of(const nlohmann::json& body) {
  auto it = body.find("idType");
  if (it == body.end() || it->is_null()) {
    return invalid_argument(
        "The request body has no 'idType' (0 Email, 1 CloudId, 2 PrincipalName).");
  }
  if (it->is_number_integer()) {
    int64_t v = it->get<int64_t>();
    if (v >= 0 && v <= 2) return static_cast<ImportIdType>(v);
    return invalid_argument("idType " + std::to_string(v) +
                            " is not one of 0 (Email), 1 (CloudId), 2 (PrincipalName).");
  }
  if (it->is_string()) {
    std::string s = it->get<std::string>();
    if (s == "0" || s == "1" || s == "2") return static_cast<ImportIdType>(s[0] - '0');
    if (auto t = parse_import_id_type(s)) return *t;
    return invalid_argument("idType '" + quote_for_message(s) +
                            "' is not one of Email, CloudId, PrincipalName (or 0, 1, 2).");
  }
  return invalid_argument("idType must be an integer (0, 1, 2) or a name, got " +
                          std::string(it->type_name()) + ".");
}

// propertyMap in any of the three encodings of reference §2.2: a plain object, an array of
// SP.KeyValue, or verbose {"__metadata":...,"results":[...]}.
Result<std::map<std::string, std::string>> property_map_of(const nlohmann::json& body) {
  auto it = body.find("propertyMap");
  if (it == body.end() || it->is_null()) {
    return invalid_argument(
        "The request body has no 'propertyMap' (file property → profile property).");
  }
  const nlohmann::json* m = &*it;
  if (m->is_object() && m->contains("results")) m = &(*m)["results"];
  std::map<std::string, std::string> out;
  if (m->is_object()) {
    for (const auto& [k, v] : m->items()) {
      if (k == "__metadata") continue;
      if (!v.is_string()) {
        return invalid_argument("propertyMap['" + k +
                                "'] must be a string (a profile property "
                                "name), got " +
                                std::string(v.type_name()) + ".");
      }
      out[k] = v.get<std::string>();
    }
    return out;
  }
  if (!m->is_array()) {
    return invalid_argument("propertyMap must be an object or an array of {Key, Value}, got " +
                            std::string(m->type_name()) + ".");
  }
  for (size_t i = 0; i < m->size(); ++i) {
    const nlohmann::json& kv = (*m)[i];
    std::string where = "propertyMap[" + std::to_string(i) + "]";
    if (!kv.is_object()) return invalid_argument(where + " must be an object {Key, Value}.");
    auto k = kv.find("Key");
    auto v = kv.find("Value");
    if (k == kv.end() || !k->is_string() || v == kv.end() || !v->is_string()) {
      return invalid_argument(where + " must have string members Key and Value.");
    }
    if (!out.emplace(k->get<std::string>(), v->get<std::string>()).second) {
      return invalid_argument(where + " maps '" + k->get<std::string>() +
                              "' again; each file property is mapped once.");
    }
  }
  return out;
}

Result<std::string> job_id_of(const nlohmann::json& body) {
  UPSYNC_ASSIGN_OR_RETURN(std::string id, sp_string_member(body, "jobId"));
  static const std::regex kGuid(
      "^\\{?([0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12})\\}?$");
  std::smatch m;
  if (!std::regex_match(id, m, kGuid)) {
    return invalid_argument("jobId '" + quote_for_message(id) +
                            "' is not a GUID (xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx).");
  }
  return ascii_lower(m[1].str());
}

Status import_job_not_found(const std::string& id) {
  return not_found("The import job " + id + " does not exist in this tenant.");
}

Status queue_import(Call& call) {
  UPSYNC_ASSIGN_OR_RETURN(Principal who, call.caller());
  UPSYNC_RETURN_IF_ERROR(require_bulk_import_rights(who, "Queuing a bulk profile import"));
  UPSYNC_ASSIGN_OR_RETURN(nlohmann::json body, sp_json_body(call));
  // The method has four parameters, and upsync's extension a fifth (multi-value properties
  // as JSON arrays, BulkImporter::queue_import_profile_properties), which a stock client
  // never sends. Another member is refused as SharePoint refuses an unknown parameter, never
  // dropped (a caller's option would otherwise vanish unnoticed).
  bool multi_value_arrays = false;
  for (const auto& [k, v] : body.items()) {
    if (k == kMultiValueArraysParameter) {
      if (!v.is_boolean()) {
        return invalid_argument(std::string("The parameter ") +
                                std::string(kMultiValueArraysParameter) +
                                " must be true or false, got " + v.type_name() + ".");
      }
      multi_value_arrays = v.get<bool>();
    } else if (k != "idType" && k != "sourceDataIdProperty" && k != "propertyMap" &&
               k != "sourceUri") {
      return invalid_argument("The parameter " + quote_for_message(k) +
                              " does not exist in method QueueImportProfileProperties.");
    }
  }
  UPSYNC_ASSIGN_OR_RETURN(ImportIdType id_type, id_type_of(body));
  UPSYNC_ASSIGN_OR_RETURN(std::string id_property, sp_string_member(body, "sourceDataIdProperty"));
  UPSYNC_ASSIGN_OR_RETURN(auto map, property_map_of(body));
  UPSYNC_ASSIGN_OR_RETURN(std::string source, sp_string_member(body, "sourceUri"));
  UPSYNC_ASSIGN_OR_RETURN(TenantUrl where, sp_resolve_url(call, source));
  // The importer sees the file as the store keeps it: server-relative in this tenant, or by
  // its tenant's canonical host (which it refuses as DataFileNotInTenant).
  std::string uri = source;
  if (where.in_tenant) {
    uri = where.server_relative;
  } else if (!where.other_tenant.empty()) {
    uri = "https://" + where.other_tenant + ".sharepoint.com" + where.server_relative;
  }
  // The caller must be able to read the source (an unparsable one ends the job in error).
  if (auto src = parse_file_url(uri); src && where.in_tenant) {
    UPSYNC_RETURN_IF_ERROR(sp_require_library_access(call, *src, LibraryAccess::kRead));
  }
  UPSYNC_ASSIGN_OR_RETURN(auto jobs, open_job_store(call.store));
  DocumentLibraries libs(call.server.data_dir);
  BulkImporter importer(call.store, *jobs, libs);
  UPSYNC_ASSIGN_OR_RETURN(
      std::string id, importer.queue_import_profile_properties(call.tenant, id_type, id_property,
                                                               map, uri, multi_value_arrays));
  write_odata_value(call.req, call.res, sp_service_root(call), "QueueImportProfileProperties",
                    "Edm.Guid", id);
  return Status::ok();
}

Status read_rights(const Principal& who) {
  if (who.manages_tenant()) return Status::ok();
  return permission_denied("Reading bulk import jobs requires a tenant admin or an app (" +
                           who.describe() + " is neither).");
}

Status get_job(Call& call) {
  UPSYNC_ASSIGN_OR_RETURN(Principal who, call.caller());
  UPSYNC_RETURN_IF_ERROR(read_rights(who));
  UPSYNC_ASSIGN_OR_RETURN(nlohmann::json body, sp_json_body(call));
  UPSYNC_ASSIGN_OR_RETURN(std::string id, job_id_of(body));
  UPSYNC_ASSIGN_OR_RETURN(auto jobs, open_job_store(call.store));
  auto job = jobs->get(call.tenant.id, id);
  if (!job && job.status().code() == StatusCode::kNotFound) return import_job_not_found(id);
  if (!job) return job.status();
  write_odata_entity(call.req, call.res, {std::string(kJobInfoType), sp_service_root(call), ""},
                     job_json(call, *job));
  return Status::ok();
}

Status get_jobs(Call& call) {
  UPSYNC_ASSIGN_OR_RETURN(Principal who, call.caller());
  UPSYNC_RETURN_IF_ERROR(read_rights(who));
  UPSYNC_ASSIGN_OR_RETURN(auto jobs, open_job_store(call.store));
  UPSYNC_ASSIGN_OR_RETURN(auto all, jobs->list(call.tenant.id));
  std::vector<nlohmann::json> items;
  for (const ImportJob& j : all) items.push_back(job_json(call, j));
  write_odata_collection(call.req, call.res, {std::string(kJobInfoType), sp_service_root(call), ""},
                         std::move(items));
  return Status::ok();
}

Status delete_job(Call& call) {
  UPSYNC_ASSIGN_OR_RETURN(Principal who, call.caller());
  UPSYNC_RETURN_IF_ERROR(require_bulk_import_rights(who, "Deleting a bulk profile import job"));
  UPSYNC_ASSIGN_OR_RETURN(nlohmann::json body, sp_json_body(call));
  UPSYNC_ASSIGN_OR_RETURN(std::string id, job_id_of(body));
  UPSYNC_ASSIGN_OR_RETURN(auto jobs, open_job_store(call.store));
  Status st = jobs->remove_unstarted(call.tenant.id, id);
  if (st.code() == StatusCode::kNotFound) return import_job_not_found(id);
  UPSYNC_RETURN_IF_ERROR(st);
  write_odata_value(call.req, call.res, sp_service_root(call), "DeleteImportProfilePropertiesJob",
                    "Edm.Boolean", true);
  return Status::ok();
}

Status office365_tenant(Call& call) {
  UPSYNC_ASSIGN_OR_RETURN(auto segs, sp_api_segments(call));
  if (segs.size() != 2) {
    return not_found("Cannot find resource for the request " + call.req.path +
                     ": name an Office365Tenant method, e.g. QueueImportProfileProperties.");
  }
  const ODataSegment& m = segs[1];
  if (sp_is(m, "QueueImportProfileProperties")) return queue_import(call);
  if (sp_is(m, "GetImportProfilePropertyJob")) return get_job(call);
  if (sp_is(m, "GetImportProfilePropertyJobs")) return get_jobs(call);
  if (sp_is(m, "DeleteImportProfilePropertiesJob")) return delete_job(call);
  return sp_not_supported(call, "Office365Tenant." + m.name,
                          "upsync implements the bulk profile import methods of Office365Tenant "
                          "only (QueueImportProfileProperties, GetImportProfilePropertyJob[s], "
                          "DeleteImportProfilePropertiesJob)");
}

}  // namespace

void add_sharepoint_tenant_routes(Router& router) {
  router.add("POST",
             std::string(kSitePrefix) +
                 R"(microsoft\.online\.sharepoint\.tenantmanagement\.office365tenant/.+$)",
             Surface::kSharePoint, Access::kSignedIn, office365_tenant);
}

}  // namespace upsync
