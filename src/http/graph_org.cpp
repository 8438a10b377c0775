#include "http/graph_org.h"

#include <algorithm>
#include <set>

#include "core/text.h"
#include "http/graph_group.h"
#include "http/graph_privacy.h"
#include "http/graph_user.h"

namespace upsync {

using graph::ojson;

namespace {

using namespace graph;

constexpr int kMaxCheckedGroups = 20;  // Graph's limit on checkMemberGroups' groupIds

// ---- Whose org chart: a user by id or user principal name, or the caller ----

// The user a route names (match 1), or the signed-in person for /me routes. nullopt with the
// answer written (404, or the 400 Graph gives apps on /me).
Result<std::optional<DirectoryUser>> subject(Call& call, DirectoryStore& dir, bool me) {
  std::string key;
  if (me) {
    UPSYNC_ASSIGN_OR_RETURN(Principal who, call.caller());
    if (who.role == Role::kApp) {
      UPSYNC_RETURN_IF_ERROR(
          graph_error(call, 400, "BadRequest",
                      "/me request is only valid with delegated authentication flow."));
      return std::optional<DirectoryUser>();
    }
    key = who.upn;
  } else {
    key = call.match[1].str();
  }
  UPSYNC_ASSIGN_OR_RETURN(auto user, find_user(call, dir, key));
  if (!user) UPSYNC_RETURN_IF_ERROR(not_found_error(call, key));
  return user;
}

// The live manager of `user` (nullopt when none is set or it is gone).
Result<std::optional<DirectoryUser>> manager_of(Call& call, DirectoryStore& dir,
                                                const DirectoryUser& user) {
  const std::string id = user.first("manager");
  if (id.empty() || !looks_like_guid(id)) return std::optional<DirectoryUser>();
  UPSYNC_ASSIGN_OR_RETURN(auto m, dir.user(call.tenant.id, DirectoryLayer::kCloud, id));
  if (!m || m->deleted) return std::optional<DirectoryUser>();
  return m;
}

Result<std::vector<std::string>> report_ids(Call& call, DirectoryStore& dir,
                                            const DirectoryUser& user) {
  UPSYNC_ASSIGN_OR_RETURN(auto reports, dir.cloud_direct_reports(call.tenant.id, user.object_id));
  std::vector<std::string> ids;
  for (const auto& r : reports) ids.push_back(r.object_id);
  std::sort(ids.begin(), ids.end());
  return ids;
}

// A user as a member of a directoryObject collection: its type, then its properties.
ojson typed_user_json(const DirectoryUser& u, const std::vector<std::string>& select) {
  ojson j = ojson::object();
  j["@odata.type"] = "#microsoft.graph.user";
  ojson fields = user_type().json(view_of(u), select);
  for (auto& [k, v] : fields.items()) j[k] = std::move(v);
  return j;
}

// ---- manager and directReports ----

Status get_manager(Call& call, bool me) {
  if (auto opt = unsupported_option(
          call, {"$filter", "$orderby", "$search", "$expand", "$top", "$skip", "$count"})) {
    return graph_error(call, 400, "Request_UnsupportedQuery",
                       "The query option " + *opt + " is not supported by upsync on manager.");
  }
  auto sel = selection(call);
  if (!sel) return sel.status();
  UPSYNC_ASSIGN_OR_RETURN(auto dir, open_directory_store(call.store));
  UPSYNC_ASSIGN_OR_RETURN(auto user, subject(call, *dir, me));
  if (!user) return Status::ok();
  UPSYNC_ASSIGN_OR_RETURN(auto manager, manager_of(call, *dir, *user));
  if (!manager) return not_found_error(call, "manager");
  ojson body = ojson::object();
  body["@odata.context"] = call.tenant_base + "/v1.0/$metadata#directoryObjects" +
                           (sel->selected ? "(" + join(sel->properties) + ")" : "") + "/$entity";
  ojson fields = typed_user_json(*manager, sel->properties);
  UPSYNC_RETURN_IF_ERROR(redact_graph_user(call, *manager, fields));
  for (auto& [k, v] : fields.items()) body[k] = std::move(v);
  write_graph_json(call, body);
  return Status::ok();
}

Status list_direct_reports(Call& call, bool me) {
  UPSYNC_ASSIGN_OR_RETURN(auto dir, open_directory_store(call.store));
  UPSYNC_ASSIGN_OR_RETURN(auto user, subject(call, *dir, me));
  if (!user) return Status::ok();
  UPSYNC_ASSIGN_OR_RETURN(auto ids, report_ids(call, *dir, *user));
  Collection c{"users/" + user->object_id + "/directReports", "directoryObjects", nullptr,
               [&](const std::string& after, int limit) {
                 return objects_after(*dir, call.tenant.id, ids, after, limit);
               }};
  return list_collection(call, c);
}

// ---- memberOf, transitiveMemberOf, checkMemberGroups, getMemberGroups ----

// The groups holding `object_id`, directly or (transitive) through nested groups: each once,
// safe with cycles.
Result<std::vector<DirectoryGroup>> groups_of(Call& call, DirectoryStore& dir,
                                              const std::string& object_id, bool transitive) {
  std::vector<DirectoryGroup> out;
  std::set<std::string> seen = {object_id};
  std::vector<std::string> frontier = {object_id};
  while (!frontier.empty()) {
    std::vector<std::string> next;
    for (const std::string& id : frontier) {
      UPSYNC_ASSIGN_OR_RETURN(auto groups,
                              dir.member_of(call.tenant.id, DirectoryLayer::kCloud, id));
      for (auto& g : groups) {
        if (!seen.insert(g.object_id).second) continue;
        next.push_back(g.object_id);
        out.push_back(std::move(g));
      }
    }
    if (!transitive) break;
    frontier = std::move(next);
  }
  return out;
}

Status list_groups_of(Call& call, bool me, bool transitive) {
  UPSYNC_ASSIGN_OR_RETURN(auto dir, open_directory_store(call.store));
  UPSYNC_ASSIGN_OR_RETURN(auto user, subject(call, *dir, me));
  if (!user) return Status::ok();
  UPSYNC_ASSIGN_OR_RETURN(auto groups, groups_of(call, *dir, user->object_id, transitive));
  std::vector<std::string> ids;
  for (const auto& g : groups) ids.push_back(g.object_id);
  std::sort(ids.begin(), ids.end());
  Collection c{"users/" + user->object_id + (transitive ? "/transitiveMemberOf" : "/memberOf"),
               "directoryObjects", nullptr, [&](const std::string& after, int limit) {
                 return objects_after(*dir, call.tenant.id, ids, after, limit);
               }};
  return list_collection(call, c);
}

enum class Subject { kUser, kMe, kGroup };

// The object id whose groups checkMemberGroups / getMemberGroups look at; "" with the answer
// written.
Result<std::string> member_subject(Call& call, DirectoryStore& dir, Subject s) {
  if (s == Subject::kGroup) {
    const std::string key = call.match[1].str();
    UPSYNC_ASSIGN_OR_RETURN(auto g, find_group(call, dir, key));
    if (!g) {
      UPSYNC_RETURN_IF_ERROR(not_found_error(call, key));
      return std::string();
    }
    return g->object_id;
  }
  UPSYNC_ASSIGN_OR_RETURN(auto user, subject(call, dir, s == Subject::kMe));
  return user ? user->object_id : std::string();
}

void write_string_collection(Call& call, const std::vector<std::string>& ids) {
  ojson body = ojson::object();
  body["@odata.context"] = call.tenant_base + "/v1.0/$metadata#Collection(Edm.String)";
  body["value"] = ids;
  write_graph_json(call, body);
}

Status check_member_groups(Call& call, Subject s) {
  if (!call.req.params.empty()) {
    return graph_error(call, 400, "Request_UnsupportedQuery",
                       "checkMemberGroups takes no query options.");
  }
  UPSYNC_ASSIGN_OR_RETURN(nlohmann::json body, json_body(call.req));
  if (!body.is_object() || !body.contains("groupIds") || !body["groupIds"].is_array()) {
    return graph_error(call, 400, "Request_BadRequest",
                       "The body must be {\"groupIds\": [\"<group id>\", ...]}.");
  }
  const auto& wanted = body["groupIds"];
  if (wanted.empty() || wanted.size() > kMaxCheckedGroups) {
    return graph_error(call, 400, "Request_BadRequest",
                       "groupIds must hold from 1 to " + std::to_string(kMaxCheckedGroups) +
                           " group ids, not " + std::to_string(wanted.size()) + ".");
  }
  for (const auto& id : wanted) {
    if (!id.is_string() || !looks_like_guid(id.get<std::string>())) {
      return graph_error(call, 400, "Request_BadRequest",
                         "Invalid GUID in groupIds: " + quote_for_message(id.dump(), 60) + ".");
    }
  }
  UPSYNC_ASSIGN_OR_RETURN(auto dir, open_directory_store(call.store));
  UPSYNC_ASSIGN_OR_RETURN(const std::string id, member_subject(call, *dir, s));
  if (id.empty()) return Status::ok();
  UPSYNC_ASSIGN_OR_RETURN(auto groups, groups_of(call, *dir, id, true));
  std::set<std::string> holding;
  for (const auto& g : groups) holding.insert(g.object_id);
  std::vector<std::string> out;
  for (const auto& w : wanted) {
    const std::string g = ascii_lower(w.get<std::string>());
    if (holding.contains(g) && std::find(out.begin(), out.end(), g) == out.end()) {
      out.push_back(g);
    }
  }
  write_string_collection(call, out);
  return Status::ok();
}

Status get_member_groups(Call& call, Subject s) {
  if (!call.req.params.empty()) {
    return graph_error(call, 400, "Request_UnsupportedQuery",
                       "getMemberGroups takes no query options.");
  }
  UPSYNC_ASSIGN_OR_RETURN(nlohmann::json body, json_body(call.req));
  if (!body.is_object() || !body.contains("securityEnabledOnly") ||
      !body["securityEnabledOnly"].is_boolean()) {
    return graph_error(call, 400, "Request_BadRequest",
                       "The body must be {\"securityEnabledOnly\": true | false}.");
  }
  const bool security_only = body["securityEnabledOnly"].get<bool>();
  UPSYNC_ASSIGN_OR_RETURN(auto dir, open_directory_store(call.store));
  UPSYNC_ASSIGN_OR_RETURN(const std::string id, member_subject(call, *dir, s));
  if (id.empty()) return Status::ok();
  UPSYNC_ASSIGN_OR_RETURN(auto groups, groups_of(call, *dir, id, true));
  std::vector<std::string> out;
  for (const auto& g : groups) {
    if (!security_only || g.flag("securityEnabled", false)) out.push_back(g.object_id);
  }
  std::sort(out.begin(), out.end());
  write_string_collection(call, out);
  return Status::ok();
}

// ---- /users/$count and /groups/$count ----

Status count_objects(Call& call, bool users) {
  if (auto opt = unsupported_option(
          call, {"$select", "$orderby", "$expand", "$top", "$skip", "$skiptoken", "$count"})) {
    return graph_error(call, 400, "Request_UnsupportedQuery",
                       "The query option " + *opt + " is not supported on $count.");
  }
  // Graph counts directory objects only as an advanced query.
  if (!eventual(call)) {
    return graph_error(call, 400, "Request_BadRequest", "$count is not currently supported.");
  }
  const GraphObjectType& type = users ? user_type() : group_type();
  std::optional<GraphFilter> filter;
  if (auto text = param(call, "$filter")) {
    auto parsed = GraphFilter::parse(*text, type.filter_properties(), FilterMode::kAdvanced);
    if (auto* e = std::get_if<FilterError>(&parsed)) {
      return graph_error(
          call, 400,
          e->kind == FilterError::Kind::kSyntax ? "BadRequest" : "Request_UnsupportedQuery",
          e->message + " (at position " + std::to_string(e->position) + " in '" +
              quote_for_message(*text, 200) + "')");
    }
    filter = std::move(std::get<GraphFilter>(parsed));
  }
  std::optional<GraphSearch> search;
  if (auto text = param(call, "$search")) {
    auto parsed = GraphSearch::parse(*text, type);
    if (auto* r = std::get_if<QueryRefusal>(&parsed)) {
      return graph_error(call, 400, r->code, r->message);
    }
    search = std::move(std::get<GraphSearch>(parsed));
  }
  UPSYNC_ASSIGN_OR_RETURN(auto dir, open_directory_store(call.store));
  int64_t n = 0;
  std::string after;
  constexpr int kBatch = 4096;
  while (true) {
    std::vector<DirectoryObject> batch;
    if (users) {
      UPSYNC_ASSIGN_OR_RETURN(
          auto us, dir->users_after(call.tenant.id, DirectoryLayer::kCloud, after, kBatch));
      for (auto& u : us) batch.push_back({std::move(u), {}});
    } else {
      UPSYNC_ASSIGN_OR_RETURN(
          auto gs, dir->groups_after(call.tenant.id, DirectoryLayer::kCloud, after, kBatch));
      for (auto& g : gs) batch.push_back({{}, std::move(g)});
    }
    for (const auto& o : batch) {
      const GraphObjectView v = view_of(o);
      if (filter &&
          !filter->matches([&](std::string_view p) { return type.filter_value(v, p); },
                           [&](std::string_view p) { return type.filter_values(v, p); })) {
        continue;
      }
      if (search && !search->matches(type, v)) continue;
      ++n;
    }
    if (static_cast<int>(batch.size()) < kBatch) break;
    after = batch.back().object_id();
  }
  call.res.status = 200;
  call.res.set_content(std::to_string(n), "text/plain;charset=utf-8");
  return Status::ok();
}

}  // namespace

// ---- $expand on users ----

std::variant<UserExpansion, QueryRefusal> parse_user_expand(std::string_view text) {
  const std::string_view t = trim(text);
  const size_t open = t.find('(');
  const std::string_view name = trim(t.substr(0, open));
  UserExpansion out;
  if (ascii_iequal(name, "manager")) {
    out.what = UserExpansion::What::kManager;
  } else if (ascii_iequal(name, "directReports")) {
    out.what = UserExpansion::What::kDirectReports;
  } else if (name.find(',') != std::string_view::npos) {
    return QueryRefusal{"Request_UnsupportedQuery",
                        "Only one navigation property can be expanded at a time, not '" +
                            quote_for_message(t, 100) + "'."};
  } else {
    return QueryRefusal{"Request_UnsupportedQuery",
                        "Could not find a navigation property named '" +
                            quote_for_message(name, 60) +
                            "' on type 'microsoft.graph.user' that upsync expands (manager, "
                            "directReports)."};
  }
  out.select = default_user_select();
  if (open == std::string_view::npos) return out;
  if (t.back() != ')') {
    return QueryRefusal{"BadRequest", "Syntax error: $expand '" + quote_for_message(t, 100) +
                                          "' does not end with ')'."};
  }
  const std::string_view inner = trim(t.substr(open + 1, t.size() - open - 2));
  constexpr std::string_view kSelect = "$select=";
  if (inner.size() < kSelect.size() || !ascii_iequal(inner.substr(0, kSelect.size()), kSelect) ||
      inner.find(';') != std::string_view::npos) {
    return QueryRefusal{
        "Request_UnsupportedQuery",
        "Only $select is supported inside $expand, not '" + quote_for_message(inner, 100) + "'."};
  }
  auto select = parse_user_select(inner.substr(kSelect.size()));
  if (!select) return QueryRefusal{"BadRequest", select.status().message()};
  out.select = std::move(*select);
  return out;
}

Status expand_user(Call& call, DirectoryStore& dir, const DirectoryUser& user,
                   const UserExpansion& expansion, ojson& into) {
  if (expansion.what == UserExpansion::What::kManager) {
    UPSYNC_ASSIGN_OR_RETURN(auto manager, manager_of(call, dir, user));
    if (manager) {
      ojson m = typed_user_json(*manager, expansion.select);
      UPSYNC_RETURN_IF_ERROR(redact_graph_user(call, *manager, m));
      into["manager"] = std::move(m);
    }
    return Status::ok();
  }
  UPSYNC_ASSIGN_OR_RETURN(auto ids, report_ids(call, dir, user));
  ojson reports = ojson::array();
  for (const std::string& id : ids) {
    UPSYNC_ASSIGN_OR_RETURN(auto r, dir.user(call.tenant.id, DirectoryLayer::kCloud, id));
    if (!r || r->deleted) continue;
    ojson report = typed_user_json(*r, expansion.select);
    UPSYNC_RETURN_IF_ERROR(redact_graph_user(call, *r, report));
    reports.push_back(std::move(report));
  }
  into["directReports"] = std::move(reports);
  return Status::ok();
}

void add_graph_org_routes(Router& router) {
  // The query options each handler applies (the router refuses the others; list_collection
  // narrows a list's per collection).
  const QueryOptions list = {"$select",    "$filter",  "$top",    "$count",
                             "$skiptoken", "$orderby", "$search", "$expand"};
  auto get = [&](const char* pattern, Handler h, QueryOptions options) {
    router.add("GET", pattern, Surface::kGraph, Access::kSignedIn, std::move(h),
               std::move(options));
  };
  auto post = [&](const char* pattern, Handler h) {
    router.add("POST", pattern, Surface::kGraph, Access::kSignedIn, std::move(h));
  };
  add_graph_groups_delta_route(router);
  get(R"(^/v1\.0/users/\$count$)", [](Call& c) { return count_objects(c, true); },
      {"$filter", "$search"});
  get(R"(^/v1\.0/groups/\$count$)", [](Call& c) { return count_objects(c, false); },
      {"$filter", "$search"});
  get(R"(^/v1\.0/users/([^/]+)/manager$)", [](Call& c) { return get_manager(c, false); },
      {"$select"});
  get(R"(^/v1\.0/me/manager$)", [](Call& c) { return get_manager(c, true); }, {"$select"});
  get(R"(^/v1\.0/users/([^/]+)/directReports$)",
      [](Call& c) { return list_direct_reports(c, false); }, list);
  get(R"(^/v1\.0/me/directReports$)", [](Call& c) { return list_direct_reports(c, true); }, list);
  get(R"(^/v1\.0/me/memberOf$)", [](Call& c) { return list_groups_of(c, true, false); }, list);
  get(R"(^/v1\.0/users/([^/]+)/transitiveMemberOf$)",
      [](Call& c) { return list_groups_of(c, false, true); }, list);
  get(R"(^/v1\.0/me/transitiveMemberOf$)", [](Call& c) { return list_groups_of(c, true, true); },
      list);
  post(R"(^/v1\.0/users/([^/]+)/checkMemberGroups$)",
       [](Call& c) { return check_member_groups(c, Subject::kUser); });
  post(R"(^/v1\.0/me/checkMemberGroups$)",
       [](Call& c) { return check_member_groups(c, Subject::kMe); });
  post(R"(^/v1\.0/groups/([^/]+)/checkMemberGroups$)",
       [](Call& c) { return check_member_groups(c, Subject::kGroup); });
  post(R"(^/v1\.0/users/([^/]+)/getMemberGroups$)",
       [](Call& c) { return get_member_groups(c, Subject::kUser); });
  post(R"(^/v1\.0/me/getMemberGroups$)",
       [](Call& c) { return get_member_groups(c, Subject::kMe); });
  post(R"(^/v1\.0/groups/([^/]+)/getMemberGroups$)",
       [](Call& c) { return get_member_groups(c, Subject::kGroup); });
}

}  // namespace upsync
