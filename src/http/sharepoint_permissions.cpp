// Document library permissions on the SharePoint surface: the access check of the file routes
// and the role assignment REST calls (sharepoint_permissions.h).
#include "http/sharepoint_permissions.h"

#include <algorithm>
#include <charconv>
#include <memory>
#include <span>

#include "bulkimport/job.h"
#include "core/text.h"
#include "directory/directory_store.h"
#include "http/sharepoint_common.h"
#include "sites/site_permissions.h"
#include "sites/site_users.h"

namespace upsync {

namespace {

// SharePoint's own words for a refused caller (code -2147024891,
// System.UnauthorizedAccessException, from http_status_for's PermissionDenied).
constexpr std::string_view kAccessDenied =
    "Access denied. You do not have permission to perform this action or access this resource.";

Status access_denied() { return permission_denied(std::string(kAccessDenied)); }

bool looks_like_guid(std::string_view s) {
  if (s.size() != 36) return false;
  for (size_t i = 0; i < s.size(); ++i) {
    const bool dash = i == 8 || i == 13 || i == 18 || i == 23;
    if (dash != (s[i] == '-')) return false;
    if (!dash && !std::isxdigit(static_cast<unsigned char>(s[i]))) return false;
  }
  return true;
}

// Whether the URL is a bulk import job's log folder or inside one: a segment of its path is
// the id of one of the tenant's jobs (the importer names the folder so, beside the source).
Result<bool> in_job_log_folder(Call& call, const FileUrl& url) {
  std::unique_ptr<JobStore> jobs;
  std::string_view path = url.path;
  while (!path.empty()) {
    const size_t slash = path.find('/');
    std::string_view seg = path.substr(0, slash);
    path = slash == std::string_view::npos ? std::string_view() : path.substr(slash + 1);
    if (!looks_like_guid(seg)) continue;
    if (!jobs) {
      UPSYNC_ASSIGN_OR_RETURN(jobs, open_job_store(call.store));
    }
    auto job = jobs->get(call.tenant.id, ascii_lower(seg));
    if (job) return true;
    if (job.status().code() != StatusCode::kNotFound) return job.status();
  }
  return false;
}

// The caller as site_role_of sees them. Group membership is looked up in the directory store
// (stage 1's copy, with its resolved nested membership), once per group asked about.
PermissionSubject subject_of(Call& call, const Principal& who) {
  PermissionSubject s;
  s.tenant_owner = who.manages_tenant();
  if (who.role == Role::kApp) return s;
  s.person_key = ascii_lower(who.upn);
  struct Lookup {
    std::unique_ptr<DirectoryStore> dir;
    bool looked = false;
    std::optional<std::string> object_id;
  };
  auto state = std::make_shared<Lookup>();
  Store* store = &call.store;
  const TenantId tenant = call.tenant.id;
  const std::string upn = who.upn;
  s.in_group = [state, store, tenant, upn](std::string_view group) -> Result<bool> {
    if (!state->looked) {
      UPSYNC_ASSIGN_OR_RETURN(state->dir, open_directory_store(*store));
      UPSYNC_ASSIGN_OR_RETURN(auto user,
                              state->dir->user_by_upn(tenant, DirectoryLayer::kStore, upn));
      if (user && !user->deleted) state->object_id = user->object_id;
      state->looked = true;
    }
    if (!state->object_id) return false;
    UPSYNC_ASSIGN_OR_RETURN(auto members,
                            state->dir->transitive_members(tenant, DirectoryLayer::kStore, group));
    return std::find_if(members.begin(), members.end(), [&](const std::string& m) {
             return ascii_iequal(m, *state->object_id);
           }) != members.end();
  };
  return s;
}

Result<std::optional<SiteRole>> caller_role(Call& call, SitePermissionStore& perms,
                                            std::string_view site, std::string_view library) {
  UPSYNC_ASSIGN_OR_RETURN(Principal who, call.caller());
  return site_role_of(perms, call.tenant.id, site, library, subject_of(call, who));
}

Status require_role(Call& call, SitePermissionStore& perms, std::string_view site,
                    std::string_view library, SiteRole needed) {
  UPSYNC_ASSIGN_OR_RETURN(auto role, caller_role(call, perms, site, library));
  if (role && *role >= needed) return Status::ok();
  return access_denied();
}

// ---- The REST calls ------------------------------------------------------------------------

// What a request addresses: the web of the route's site collection, or one of its lists.
struct Securable {
  std::string site;     // site_collection_key()
  std::string library;  // "" for the web
  std::unique_ptr<SitePermissionStore> perms;
  std::unique_ptr<SiteUserStore> users;
};

nlohmann::json base_permissions(SiteRole role) {
  // SharePoint's masks of its built-in levels (SP.BasePermissions, Edm.Int64 as strings).
  switch (role) {
    case SiteRole::kOwner:
      return {{"__type", "SP.BasePermissions"}, {"High", "2147483647"}, {"Low", "4294967295"}};
    case SiteRole::kMember:
      return {{"__type", "SP.BasePermissions"}, {"High", "432"}, {"Low", "1011030767"}};
    case SiteRole::kVisitor:
      break;
  }
  return {{"__type", "SP.BasePermissions"}, {"High", "176"}, {"Low", "138612833"}};
}

nlohmann::json role_definition_json(SiteRole role, bool typed) {
  static const std::map<SiteRole, std::pair<std::string_view, int>> kText = {
      {SiteRole::kOwner, {"Has full control.", 1}},
      {SiteRole::kMember, {"Can view, add, update, and delete list items and documents.", 64}},
      {SiteRole::kVisitor, {"Can view pages and list items and download documents.", 128}}};
  const auto& [description, order] = kText.at(role);
  nlohmann::json j = {{"BasePermissions", base_permissions(role)},
                      {"Description", description},
                      {"Hidden", false},
                      {"Id", role_definition_id(role)},
                      {"Name", role_definition_name(role)},
                      {"Order", order},
                      {"RoleTypeKind", role_type_kind(role)}};
  if (typed) j["__type"] = "SP.RoleDefinition";
  return j;
}

// A principal as SharePoint shows it, with its id: a person's id in the site's user list (added
// there if they are missing, as SharePoint keeps everyone who holds a role in it), a group's or
// Everyone's from the permission store.
struct ShownPrincipal {
  int64_t id = 0;
  nlohmann::json member;  // SP.User (directory groups and Everyone are PrincipalType 4)
};

Result<ShownPrincipal> show_principal(Call& call, Securable& s, const SitePrincipal& p) {
  ShownPrincipal out;
  if (p.kind == PrincipalKind::kPerson) {
    UPSYNC_ASSIGN_OR_RETURN(auto u, s.users->by_login(call.tenant.id, s.site, p.name));
    if (!u) {
      UPSYNC_ASSIGN_OR_RETURN(Profile profile, sp_find_account(call, p.name));
      UPSYNC_ASSIGN_OR_RETURN(SiteUser added,
                              ensure_site_user(call.store, *s.users, call.tenant, s.site, profile));
      u = std::move(added);
    }
    std::string title = u->first("PreferredName");
    out.id = u->id;
    out.member = {{"__type", "SP.User"},        {"Id", u->id},
                  {"LoginName", u->login_name}, {"Title", title.empty() ? p.key : title},
                  {"PrincipalType", 1},         {"Email", u->first("WorkEmail")},
                  {"IsHiddenInUI", false},      {"IsSiteAdmin", u->site_admin}};
    return out;
  }
  UPSYNC_ASSIGN_OR_RETURN(out.id, s.perms->principal_id(call.tenant.id, s.site, p));
  out.member = {
      {"__type", "SP.User"},
      {"Id", out.id},
      {"LoginName", principal_login(p)},
      {"Title", p.kind == PrincipalKind::kEveryone ? "Everyone except external users" : p.name},
      {"PrincipalType", 4},
      {"Email", ""},
      {"IsHiddenInUI", false},
      {"IsSiteAdmin", false}};
  return out;
}

// The principal a REST principal id names: a site user, or a group or Everyone.
Result<SitePrincipal> principal_of_id(Call& call, Securable& s, int64_t id) {
  UPSYNC_ASSIGN_OR_RETURN(auto u, s.users->by_id(call.tenant.id, s.site, id));
  if (u) return person_principal(u->login_name, u->first("SPS-UserPrincipalName"));
  UPSYNC_ASSIGN_OR_RETURN(auto other, s.perms->principal_by_id(call.tenant.id, s.site, id));
  if (other) return *other;
  return invalid_argument("No principal has id " + std::to_string(id) + " in site collection '/" +
                          s.site + "': add the person first (web/ensureuser), then use their Id.");
}

Result<int64_t> int_arg(const ODataSegment& seg, std::string_view name, size_t position) {
  const std::string* lit = seg.arg(name, position);
  if (!lit) {
    return invalid_argument(seg.name + " needs " + std::string(name) + ", e.g. " + seg.name + "(" +
                            std::string(name) + "=7).");
  }
  int64_t v = 0;
  auto [end, ec] = std::from_chars(lit->data(), lit->data() + lit->size(), v);
  if (ec != std::errc() || end != lit->data() + lit->size()) {
    return invalid_argument(std::string(name) + " '" + quote_for_message(*lit) + "' of " +
                            seg.name + " is not a whole number.");
  }
  return v;
}

Result<SiteRole> role_arg(const ODataSegment& seg) {
  UPSYNC_ASSIGN_OR_RETURN(int64_t id, int_arg(seg, "roledefid", 1));
  if (auto role = role_of_definition_id(id)) return *role;
  return invalid_argument("roledefid " + std::to_string(id) +
                          " is not a role definition of this site: 1073741829 (Full Control), "
                          "1073741827 (Contribute) or 1073741826 (Read).");
}

// What $expand asks of a role assignment.
struct Expand {
  bool member = false;
  bool bindings = false;
};

Result<Expand> expand_of(Call& call) {
  Expand e;
  const std::string value = call.req.get_param_value("$expand");  // a copy: keep it alive
  std::string_view text = value;
  while (!text.empty()) {
    const size_t comma = text.find(',');
    std::string_view item = trim(text.substr(0, comma));
    text = comma == std::string_view::npos ? std::string_view() : text.substr(comma + 1);
    if (ascii_iequal(item, "Member")) {
      e.member = true;
    } else if (ascii_iequal(item, "RoleDefinitionBindings")) {
      e.bindings = true;
    } else {
      call.error_code = std::string(query_option_error_code(Surface::kSharePoint));
      return invalid_argument("$expand '" + quote_for_message(item) +
                              "' is not supported on role assignments; upsync expands Member "
                              "and RoleDefinitionBindings.");
    }
  }
  return e;
}

Result<nlohmann::json> assignment_json(Call& call, Securable& s, const RoleAssignment& a,
                                       const Expand& expand) {
  UPSYNC_ASSIGN_OR_RETURN(ShownPrincipal shown, show_principal(call, s, a.principal));
  nlohmann::json j = {{"PrincipalId", shown.id}};
  if (expand.member) j["Member"] = shown.member;
  if (expand.bindings) {
    nlohmann::json bindings = nlohmann::json::array();
    for (SiteRole r : a.roles) bindings.push_back(role_definition_json(r, true));
    j["RoleDefinitionBindings"] = std::move(bindings);
  }
  return j;
}

std::string scope_path(const Securable& s) {
  return s.library.empty() ? "Web" : "Web/Lists/GetByTitle('" + s.library + "')";
}

Result<RoleAssignment> assignment_of(Call& call, Securable& s, int64_t principal_id) {
  UPSYNC_ASSIGN_OR_RETURN(SitePrincipal p, principal_of_id(call, s, principal_id));
  UPSYNC_ASSIGN_OR_RETURN(PermissionScope scope,
                          effective_scope(*s.perms, call.tenant.id, s.site, s.library));
  for (const RoleAssignment& a : scope.assignments) {
    if (a.principal == p) return a;
  }
  return not_found("Principal " + std::to_string(principal_id) + " has no role assignment here.");
}

// roleassignments(7) / roleassignments/getbyprincipalid(7) [/roledefinitionbindings]
Status one_assignment(Call& call, Securable& s, int64_t id, std::span<const ODataSegment> rest) {
  const std::string method = sp_effective_method(call);
  if (method == "DELETE" && rest.empty()) {
    UPSYNC_ASSIGN_OR_RETURN(SitePrincipal p, principal_of_id(call, s, id));
    UPSYNC_RETURN_IF_ERROR(revoke(call.store, *s.perms, call.tenant.id, s.site, s.library, p));
    write_odata_null(call.res);
    return Status::ok();
  }
  if (method != "GET") {
    return sp_wrong_method(
        call, "A role assignment is read with GET and removed with DELETE, not " + method + ".");
  }
  UPSYNC_ASSIGN_OR_RETURN(RoleAssignment a, assignment_of(call, s, id));
  if (rest.size() == 1 && sp_is(rest[0], "roledefinitionbindings") && !rest[0].call) {
    UPSYNC_RETURN_IF_ERROR(only_query_options(call, {}));
    std::vector<nlohmann::json> items;
    for (SiteRole r : a.roles) items.push_back(role_definition_json(r, false));
    write_odata_collection(call.req, call.res, {"SP.RoleDefinition", sp_service_root(call), ""},
                           std::move(items));
    return Status::ok();
  }
  if (!rest.empty()) {
    return not_found("upsync serves a role assignment and its roledefinitionbindings, not '" +
                     rest[0].name + "'.");
  }
  UPSYNC_RETURN_IF_ERROR(only_query_options(call, {"$expand"}));
  UPSYNC_ASSIGN_OR_RETURN(Expand expand, expand_of(call));
  UPSYNC_ASSIGN_OR_RETURN(nlohmann::json j, assignment_json(call, s, a, expand));
  write_odata_entity(
      call.req, call.res,
      {"SP.RoleAssignment", sp_service_root(call),
       scope_path(s) + "/RoleAssignments/GetByPrincipalId(" + std::to_string(id) + ")"},
      std::move(j));
  return Status::ok();
}

Status role_assignments(Call& call, Securable& s, std::span<const ODataSegment> segs) {
  // Reading or changing who may do what is Full Control's (SharePoint's EnumeratePermissions
  // and ManagePermissions).
  UPSYNC_RETURN_IF_ERROR(require_role(call, *s.perms, s.site, s.library, SiteRole::kOwner));
  const std::string method = sp_effective_method(call);
  const ODataSegment& head = segs[0];
  if (head.call) {
    UPSYNC_ASSIGN_OR_RETURN(int64_t id, int_arg(head, "principalid", 0));
    return one_assignment(call, s, id, segs.subspan(1));
  }
  if (segs.size() == 1) {
    if (method != "GET") {
      return sp_wrong_method(call, "roleassignments is listed with GET, not " + method + ".");
    }
    UPSYNC_ASSIGN_OR_RETURN(Expand expand, expand_of(call));
    UPSYNC_ASSIGN_OR_RETURN(PermissionScope scope,
                            effective_scope(*s.perms, call.tenant.id, s.site, s.library));
    std::vector<nlohmann::json> items;
    for (const RoleAssignment& a : scope.assignments) {
      UPSYNC_ASSIGN_OR_RETURN(nlohmann::json j, assignment_json(call, s, a, expand));
      items.push_back(std::move(j));
    }
    // The collection options apply to PrincipalId; the expanded members are selected whole.
    static const SpSchema kSchema{"SP.RoleAssignment",
                                  {{"PrincipalId", SpType::kInt},
                                   {"Member", SpType::kObject},
                                   {"RoleDefinitionBindings", SpType::kObject}},
                                  ""};
    return sp_write_collection(call, kSchema, {"SP.RoleAssignment", sp_service_root(call), ""},
                               std::move(items));
  }
  const ODataSegment& op = segs[1];
  if (sp_is(op, "getbyprincipalid")) {
    UPSYNC_ASSIGN_OR_RETURN(int64_t id, int_arg(op, "principalid", 0));
    return one_assignment(call, s, id, segs.subspan(2));
  }
  const bool add = sp_is(op, "addroleassignment");
  if (!add && !sp_is(op, "removeroleassignment")) {
    return not_found("SP.RoleAssignmentCollection has no member '" + op.name +
                     "'; upsync serves getByPrincipalId, addRoleAssignment and "
                     "removeRoleAssignment.");
  }
  if (segs.size() > 2) return not_found(op.name + " has no member '" + segs[2].name + "'.");
  if (method != "POST") {
    return sp_wrong_method(call, op.name + " is called with POST, not " + method + ".");
  }
  UPSYNC_RETURN_IF_ERROR(only_query_options(call, {}));
  UPSYNC_ASSIGN_OR_RETURN(int64_t id, int_arg(op, "principalid", 0));
  UPSYNC_ASSIGN_OR_RETURN(SiteRole role, role_arg(op));
  UPSYNC_ASSIGN_OR_RETURN(SitePrincipal p, principal_of_id(call, s, id));
  if (add) {
    UPSYNC_RETURN_IF_ERROR(
        grant(call.store, *s.perms, call.tenant.id, s.site, s.library, p, role, GrantMode::kAdd)
            .status());
  } else {
    UPSYNC_RETURN_IF_ERROR(
        revoke(call.store, *s.perms, call.tenant.id, s.site, s.library, p, role));
  }
  write_odata_null(call.res);
  return Status::ok();
}

Status role_definitions(Call& call, Securable& s, std::span<const ODataSegment> segs) {
  UPSYNC_RETURN_IF_ERROR(require_role(call, *s.perms, s.site, "", SiteRole::kVisitor));
  if (sp_effective_method(call) != "GET") {
    return sp_wrong_method(call,
                           "Role definitions are read with GET; upsync keeps SharePoint's "
                           "three built-in ones and no others.");
  }
  UPSYNC_RETURN_IF_ERROR(only_query_options(call, {}));
  const std::string root = sp_service_root(call);
  if (segs.size() == 1 && !segs[0].call) {
    std::vector<nlohmann::json> items;
    for (SiteRole r : {SiteRole::kOwner, SiteRole::kMember, SiteRole::kVisitor}) {
      items.push_back(role_definition_json(r, false));
    }
    write_odata_collection(call.req, call.res, {"SP.RoleDefinition", root, ""}, std::move(items));
    return Status::ok();
  }
  const ODataSegment& op = segs[0].call ? segs[0] : segs[1];
  if (segs.size() > (segs[0].call ? 1u : 2u)) {
    return not_found("A role definition has no member '" + segs.back().name + "' here.");
  }
  std::optional<SiteRole> role;
  std::string asked;
  if (segs[0].call || sp_is(op, "getbyid")) {
    UPSYNC_ASSIGN_OR_RETURN(int64_t id, int_arg(op, "id", 0));
    role = role_of_definition_id(id);
    asked = "id " + std::to_string(id);
  } else if (sp_is(op, "getbytype")) {
    UPSYNC_ASSIGN_OR_RETURN(int64_t kind, int_arg(op, "roletypekind", 0));
    role = role_of_type_kind(kind);
    asked = "RoleTypeKind " + std::to_string(kind);
  } else if (sp_is(op, "getbyname")) {
    const std::string* lit = op.arg("name");
    if (!lit) return invalid_argument("getbyname needs a name: getbyname('Read').");
    UPSYNC_ASSIGN_OR_RETURN(std::string name, odata_string(call.req, *lit, "the name"));
    role = role_of_definition_name(name);
    asked = "name '" + quote_for_message(name) + "'";
  } else {
    return not_found("SP.RoleDefinitionCollection has no member '" + op.name +
                     "'; upsync serves getById, getByName and getByType.");
  }
  if (!role) {
    return not_found("No role definition has " + asked +
                     "; this site has Full Control, Contribute and Read.");
  }
  write_odata_entity(call.req, call.res,
                     {"SP.RoleDefinition", root,
                      "Web/RoleDefinitions(" + std::to_string(role_definition_id(*role)) + ")"},
                     role_definition_json(*role, false));
  return Status::ok();
}

// lists/getbytitle('...')[/roleassignments/...|/breakroleinheritance(...)|/resetroleinheritance]
Status list_item(Call& call, Securable& s, std::span<const ODataSegment> segs) {
  if (segs.size() < 2 || !sp_is(segs[1], "getbytitle")) {
    return not_found("upsync serves web/lists/getByTitle('<library>') and its permissions only.");
  }
  const std::string* lit = segs[1].arg("title");
  if (!lit) return invalid_argument("getbytitle needs the list's title: getbytitle('Documents').");
  UPSYNC_ASSIGN_OR_RETURN(std::string title, odata_string(call.req, *lit, "the list title"));
  // A list's title is its library's name in URLs here.
  auto url = sp_file_url(call, call.match[1].str() + "/" + title);
  bool exists = false;
  if (url && url->path.empty()) {
    auto info = DocumentLibraries(call.server.data_dir).stat(call.tenant, *url);
    exists = info && info->folder;
  }
  if (!exists) {
    return not_found("List '" + quote_for_message(title) + "' does not exist at site with URL '" +
                     sp_web_url(call) + "'.");
  }
  s.library = url->library;
  std::span<const ODataSegment> rest = segs.subspan(2);
  const std::string method = sp_effective_method(call);
  if (rest.empty()) {
    UPSYNC_RETURN_IF_ERROR(require_role(call, *s.perms, s.site, s.library, SiteRole::kVisitor));
    if (method != "GET") return sp_wrong_method(call, "A list is read with GET here.");
    UPSYNC_RETURN_IF_ERROR(only_query_options(call, {}));
    UPSYNC_ASSIGN_OR_RETURN(auto own, s.perms->scope(call.tenant.id, s.site, s.library));
    const std::string id = sp_name_guid(call.tenant.name + ":" + url->server_relative());
    write_odata_entity(call.req, call.res,
                       {"SP.List", sp_service_root(call), "Web/Lists(guid'" + id + "')"},
                       {{"Id", id},
                        {"Title", url->library},
                        {"BaseTemplate", 101},
                        {"HasUniqueRoleAssignments", own.has_value()},
                        {"ParentWebUrl", "/" + s.site}});
    return Status::ok();
  }
  const ODataSegment& op = rest[0];
  if (sp_is(op, "roleassignments")) return role_assignments(call, s, rest);
  const bool do_break = sp_is(op, "breakroleinheritance");
  if (!do_break && !sp_is(op, "resetroleinheritance")) {
    return not_found(
        "upsync serves a list's roleassignments, breakroleinheritance and "
        "resetroleinheritance, not '" +
        op.name + "'.");
  }
  if (rest.size() > 1) return not_found(op.name + " has no member '" + rest[1].name + "'.");
  if (method != "POST") {
    return sp_wrong_method(call, op.name + " is called with POST, not " + method + ".");
  }
  UPSYNC_RETURN_IF_ERROR(only_query_options(call, {}));
  UPSYNC_RETURN_IF_ERROR(require_role(call, *s.perms, s.site, s.library, SiteRole::kOwner));
  if (do_break) {
    const std::string* copy_lit = op.arg("copyroleassignments");
    if (!copy_lit) {
      return invalid_argument(
          "breakroleinheritance needs copyroleassignments: "
          "breakroleinheritance(copyroleassignments=true,clearsubscopes=true).");
    }
    UPSYNC_ASSIGN_OR_RETURN(bool copy, odata_bool(call.req, *copy_lit, "copyroleassignments"));
    // clearsubscopes is checked for its type: folders and files here never have scopes of
    // their own, so there is nothing below the list to clear either way.
    if (const std::string* clear = op.arg("clearsubscopes", 99)) {
      UPSYNC_RETURN_IF_ERROR(odata_bool(call.req, *clear, "clearsubscopes").status());
    }
    for (const auto& [name, value] : op.args) {
      if (!ascii_iequal(name, "copyroleassignments") && !ascii_iequal(name, "clearsubscopes")) {
        return invalid_argument("breakroleinheritance has no parameter '" + name + "'.");
      }
    }
    UPSYNC_RETURN_IF_ERROR(
        break_inheritance(call.store, *s.perms, call.tenant.id, s.site, s.library, copy).status());
  } else {
    UPSYNC_RETURN_IF_ERROR(reset_inheritance(*s.perms, call.tenant.id, s.site, s.library).status());
  }
  write_odata_null(call.res);
  return Status::ok();
}

Status permission_route(Call& call) {
  UPSYNC_ASSIGN_OR_RETURN(auto segs, sp_api_segments(call));
  if (segs.size() < 2 || !sp_is(segs[0], "web")) {
    return not_found("Cannot find resource for the request " + call.req.path + ".");
  }
  Securable s;
  UPSYNC_ASSIGN_OR_RETURN(s.site, site_collection_key(call.match[1].str()));
  UPSYNC_ASSIGN_OR_RETURN(s.perms, open_site_permission_store(call.store));
  UPSYNC_ASSIGN_OR_RETURN(s.users, open_site_user_store(call.store));
  std::span<const ODataSegment> rest(segs.begin() + 1, segs.end());
  const ODataSegment& head = rest[0];
  if (sp_is(head, "roleassignments")) return role_assignments(call, s, rest);
  if (sp_is(head, "roledefinitions")) return role_definitions(call, s, rest);
  return list_item(call, s, rest);
}

}  // namespace

Status sp_require_library_access(Call& call, const FileUrl& url, LibraryAccess need) {
  UPSYNC_ASSIGN_OR_RETURN(Principal who, call.caller());
  if (who.manages_tenant()) return Status::ok();
  UPSYNC_ASSIGN_OR_RETURN(bool log_folder, in_job_log_folder(call, url));
  if (log_folder) return access_denied();
  UPSYNC_ASSIGN_OR_RETURN(std::string site, site_collection_key(url.site));
  UPSYNC_ASSIGN_OR_RETURN(auto perms, open_site_permission_store(call.store));
  return require_role(call, *perms, site, url.library,
                      need == LibraryAccess::kRead ? SiteRole::kVisitor : SiteRole::kMember);
}

void add_sharepoint_permission_routes(Router& router) {
  std::string pattern =
      std::string(kSitePrefix) + R"(web/(?:roleassignments|roledefinitions|lists)(?:[/(].*)?$)";
  // $expand on role assignments, and the collection options on their collection (each resource
  // refuses what it does not apply); writes take no option.
  router.add("GET", pattern, Surface::kSharePoint, Access::kSignedIn, permission_route,
             {"$expand", "$select", "$filter", "$orderby", "$top", "$skip"});
  for (const char* method : {"POST", "DELETE"}) {
    router.add(method, pattern, Surface::kSharePoint, Access::kSignedIn, permission_route);
  }
}

}  // namespace upsync
