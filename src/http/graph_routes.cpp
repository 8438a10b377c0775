#include "http/graph_routes.h"

#include <algorithm>
#include <charconv>
#include <functional>
#include <map>
#include <nlohmann/json.hpp>

#include "auth/secret.h"
#include "core/text.h"
#include "directory/directory_store.h"
#include "http/graph_batch.h"
#include "http/graph_common.h"
#include "http/graph_filter.h"
#include "http/graph_group.h"
#include "http/graph_org.h"
#include "http/graph_privacy.h"
#include "http/graph_query.h"
#include "http/graph_user.h"
#include "http/graph_writes.h"
#include "http/photo_routes.h"
namespace upsync {

namespace graph {

// When `filter` pins id, userPrincipalName or mail to a few values: the live cloud users with
// one of them, in object id order, each once (a superset of the filter's matches). Otherwise
// nullopt: the caller reads everyone.
Result<std::optional<std::vector<DirectoryObject>>> indexed_users(Call& call, DirectoryStore& dir,
                                                                  const GraphFilter& filter,
                                                                  const AttributeNames* only) {
  using Key = DirectoryStore::CloudKey;
  constexpr std::pair<std::string_view, Key> kIndexed[] = {
      {"id", Key::kObjectId}, {"userPrincipalName", Key::kUserPrincipalName}, {"mail", Key::kMail}};
  std::optional<std::vector<std::string>> best;
  Key key = Key::kObjectId;
  for (const auto& [property, k] : kIndexed) {
    auto values = filter.equality_values(property);
    if (values && (!best || values->size() < best->size())) {
      best = std::move(values);
      key = k;
    }
  }
  if (!best) return std::optional<std::vector<DirectoryObject>>();
  UPSYNC_ASSIGN_OR_RETURN(auto users, dir.cloud_users_with(call.tenant.id, key, *best, only));
  std::vector<DirectoryObject> out;
  out.reserve(users.size());
  for (auto& u : users) out.push_back({std::move(u), {}});
  return std::optional<std::vector<DirectoryObject>>(std::move(out));
}

// The objects of `ids` (sorted) after `after`, up to `limit`, that are live.
Result<std::vector<DirectoryObject>> objects_after(DirectoryStore& dir, TenantId tenant,
                                                   const std::vector<std::string>& ids,
                                                   const std::string& after, int limit) {
  std::vector<DirectoryObject> out;
  for (auto it = std::upper_bound(ids.begin(), ids.end(), after);
       it != ids.end() && static_cast<int>(out.size()) < limit; ++it) {
    UPSYNC_ASSIGN_OR_RETURN(auto o, dir.object(tenant, DirectoryLayer::kCloud, *it));
    if (o) out.push_back(std::move(*o));
  }
  return out;
}

Status list_users(Call& call) {
  UPSYNC_ASSIGN_OR_RETURN(auto dir, open_directory_store(call.store));
  Collection c{"users", "users", &user_type(),
               [&](const std::string& after, int limit) -> Result<std::vector<DirectoryObject>> {
                 UPSYNC_ASSIGN_OR_RETURN(
                     auto users,
                     dir->users_after(call.tenant.id, DirectoryLayer::kCloud, after, limit));
                 std::vector<DirectoryObject> out;
                 for (auto& u : users) out.push_back({std::move(u), {}});
                 return out;
               }};
  c.advanced = true;
  std::optional<UserExpansion> expansion;
  if (auto text = param(call, "$expand")) {
    auto parsed = parse_user_expand(*text);
    if (auto* r = std::get_if<QueryRefusal>(&parsed)) {
      return graph_error(call, 400, r->code, r->message);
    }
    expansion = std::get<UserExpansion>(std::move(parsed));
    c.expand = [&](const DirectoryObject& o, ojson& j) {
      return expand_user(call, *dir, *o.user, *expansion, j);
    };
  }
  return list_collection(call, c, [&](const GraphFilter& f, const AttributeNames* only) {
    return indexed_users(call, *dir, f, only);
  });
}

Status list_groups(Call& call) {
  UPSYNC_ASSIGN_OR_RETURN(auto dir, open_directory_store(call.store));
  Collection c{"groups", "groups", &group_type(),
               [&](const std::string& after, int limit) -> Result<std::vector<DirectoryObject>> {
                 UPSYNC_ASSIGN_OR_RETURN(
                     auto groups,
                     dir->groups_after(call.tenant.id, DirectoryLayer::kCloud, after, limit));
                 std::vector<DirectoryObject> out;
                 for (auto& g : groups) out.push_back({{}, std::move(g)});
                 return out;
               }};
  c.advanced = true;
  return list_collection(call, c);
}

// ---- GET /v1.0/users/{id | userPrincipalName} and /v1.0/me ----

bool looks_like_guid(std::string_view s) {
  if (s.size() != 36) return false;
  for (size_t i = 0; i < s.size(); ++i) {
    bool dash = i == 8 || i == 13 || i == 18 || i == 23;
    if (dash ? s[i] != '-' : !std::isxdigit(static_cast<unsigned char>(s[i]))) return false;
  }
  return true;
}

Status not_found_error(Call& call, std::string_view key) {
  return graph_error(call, 404, "Request_ResourceNotFound",
                     "Resource '" + quote_for_message(key, 200) +
                         "' does not exist or one of its queried reference-property objects are "
                         "not present.");
}

Result<std::optional<DirectoryUser>> find_user(Call& call, DirectoryStore& dir,
                                               std::string_view key) {
  std::optional<DirectoryUser> user;
  if (looks_like_guid(key)) {
    UPSYNC_ASSIGN_OR_RETURN(user, dir.user(call.tenant.id, DirectoryLayer::kCloud, key));
  } else {
    UPSYNC_ASSIGN_OR_RETURN(user, dir.user_by_upn(call.tenant.id, DirectoryLayer::kCloud, key));
  }
  if (user && user->deleted) user.reset();
  return user;
}

Status write_one_user(Call& call, std::string_view key) {
  if (auto opt = unsupported_option(
          call, {"$filter", "$orderby", "$search", "$top", "$skip", "$skiptoken", "$count"})) {
    return graph_error(call, 400, "Request_UnsupportedQuery",
                       "The query option " + *opt + " is not supported by upsync on a user.");
  }
  auto sel = selection(call);
  if (!sel) return sel.status();
  std::optional<UserExpansion> expansion;
  if (auto text = param(call, "$expand")) {
    auto parsed = parse_user_expand(*text);
    if (auto* r = std::get_if<QueryRefusal>(&parsed)) {
      return graph_error(call, 400, r->code, r->message);
    }
    expansion = std::get<UserExpansion>(std::move(parsed));
  }
  UPSYNC_ASSIGN_OR_RETURN(auto dir, open_directory_store(call.store));
  UPSYNC_ASSIGN_OR_RETURN(auto user, find_user(call, *dir, key));
  if (!user) return not_found_error(call, key);
  ojson body = ojson::object();
  body["@odata.context"] = context_url(call, sel->properties, sel->selected) + "/$entity";
  ojson fields = graph_user_json(*user, sel->properties);
  UPSYNC_RETURN_IF_ERROR(redact_graph_user(call, *user, fields));
  for (auto& [k, v] : fields.items()) body[k] = std::move(v);
  if (expansion) UPSYNC_RETURN_IF_ERROR(expand_user(call, *dir, *user, *expansion, body));
  write_graph_json(call, body);
  return Status::ok();
}

Status get_user(Call& call) { return write_one_user(call, call.match[1].str()); }

// ---- GET /v1.0/groups/{id}, its members and transitiveMembers; a user's memberOf ----

Result<std::optional<DirectoryGroup>> find_group(Call& call, DirectoryStore& dir,
                                                 std::string_view id) {
  if (!looks_like_guid(id)) return std::optional<DirectoryGroup>();
  UPSYNC_ASSIGN_OR_RETURN(auto g, dir.group(call.tenant.id, DirectoryLayer::kCloud, id));
  if (!g || g->deleted) return std::optional<DirectoryGroup>();
  return g;
}

Status get_group(Call& call) {
  const std::string key = call.match[1].str();
  Collection c{"groups", "groups", &group_type(), {}};
  auto sel = collection_selection(call, c);
  if (!sel) return sel.status();
  UPSYNC_ASSIGN_OR_RETURN(auto dir, open_directory_store(call.store));
  UPSYNC_ASSIGN_OR_RETURN(auto group, find_group(call, *dir, key));
  if (!group) return not_found_error(call, key);
  ojson body = ojson::object();
  body["@odata.context"] = call.tenant_base + "/v1.0/$metadata#groups" +
                           (sel->selected ? "(" + join(sel->properties) + ")" : "") + "/$entity";
  ojson fields = group_type().json(view_of(*group), sel->properties);
  for (auto& [k, v] : fields.items()) body[k] = std::move(v);
  write_graph_json(call, body);
  return Status::ok();
}

Status group_members(Call& call, bool transitive) {
  const std::string key = call.match[1].str();
  UPSYNC_ASSIGN_OR_RETURN(auto dir, open_directory_store(call.store));
  UPSYNC_ASSIGN_OR_RETURN(auto group, find_group(call, *dir, key));
  if (!group) return not_found_error(call, key);
  std::vector<std::string> ids = group->members;
  if (transitive) {
    UPSYNC_ASSIGN_OR_RETURN(
        ids, dir->transitive_members(call.tenant.id, DirectoryLayer::kCloud, group->object_id));
  }
  Collection c{"groups/" + group->object_id + (transitive ? "/transitiveMembers" : "/members"),
               "directoryObjects", nullptr, [&](const std::string& after, int limit) {
                 return objects_after(*dir, call.tenant.id, ids, after, limit);
               }};
  return list_collection(call, c);
}

Status list_group_members(Call& call) { return group_members(call, false); }
Status list_group_transitive_members(Call& call) { return group_members(call, true); }

Status list_member_of(Call& call) {
  const std::string key = call.match[1].str();
  UPSYNC_ASSIGN_OR_RETURN(auto dir, open_directory_store(call.store));
  std::optional<DirectoryUser> user;
  if (looks_like_guid(key)) {
    UPSYNC_ASSIGN_OR_RETURN(user, dir->user(call.tenant.id, DirectoryLayer::kCloud, key));
  } else {
    UPSYNC_ASSIGN_OR_RETURN(user, dir->user_by_upn(call.tenant.id, DirectoryLayer::kCloud, key));
  }
  if (!user || user->deleted) return not_found_error(call, key);
  UPSYNC_ASSIGN_OR_RETURN(auto groups,
                          dir->member_of(call.tenant.id, DirectoryLayer::kCloud, user->object_id));
  std::vector<std::string> ids;
  for (const auto& g : groups) ids.push_back(g.object_id);
  std::sort(ids.begin(), ids.end());
  Collection c{"users/" + user->object_id + "/memberOf", "directoryObjects", nullptr,
               [&](const std::string& after, int limit) {
                 return objects_after(*dir, call.tenant.id, ids, after, limit);
               }};
  return list_collection(call, c);
}

Status me(Call& call) {
  UPSYNC_ASSIGN_OR_RETURN(Principal who, call.caller());
  if (who.role == Role::kApp) {
    return graph_error(call, 400, "BadRequest",
                       "/me request is only valid with delegated authentication flow.");
  }
  return write_one_user(call, who.upn);
}

// "Prefer: odata.maxpagesize=N" (several preferences may share the header).
std::optional<int> preferred_page_size(const Call& call) {
  std::string prefer = ascii_lower(call.req.get_header_value("Prefer"));
  constexpr std::string_view kKey = "odata.maxpagesize=";
  size_t at = prefer.find(kKey);
  if (at == std::string::npos) return std::nullopt;
  size_t start = at + kKey.size();
  size_t end = start;
  while (end < prefer.size() && std::isdigit(static_cast<unsigned char>(prefer[end]))) ++end;
  auto n = parse_int(std::string_view(prefer).substr(start, end - start), 1, kMaxPageSize);
  if (!n) return std::nullopt;
  return *n;
}

}  // namespace graph

void add_graph_routes(Router& router) {
  using namespace graph;
  add_graph_batch_routes(router);
  add_graph_photo_routes(router);
  add_graph_org_routes(router);
  // The query options each handler applies; the router refuses the others with
  // Request_UnsupportedQuery, and list_collection narrows them per collection ($orderby and
  // $search where advanced queries are served, $expand where an expansion is).
  const QueryOptions list = {"$select",    "$filter",  "$top",    "$count",
                             "$skiptoken", "$orderby", "$search", "$expand"};
  // Directory objects of mixed types: no $filter (its properties depend on the type).
  const QueryOptions objects = {"$select", "$top", "$count", "$skiptoken"};
  const QueryOptions one = {"$select"};
  const QueryOptions user = {"$select", "$expand"};
  router.add("GET", R"(^/v1\.0/users/?$)", Surface::kGraph, Access::kSignedIn, list_users, list);
  add_graph_users_delta_route(router);  // before users/{id}, which "delta" would match
  router.add("GET", R"(^/v1\.0/users/([^/]+)$)", Surface::kGraph, Access::kSignedIn, get_user,
             user);
  router.add("GET", R"(^/v1\.0/users/([^/]+)/memberOf$)", Surface::kGraph, Access::kSignedIn,
             list_member_of, objects);
  router.add("GET", R"(^/v1\.0/groups/?$)", Surface::kGraph, Access::kSignedIn, list_groups, list);
  router.add("GET", R"(^/v1\.0/groups/([^/]+)$)", Surface::kGraph, Access::kSignedIn, get_group,
             one);
  router.add("GET", R"(^/v1\.0/groups/([^/]+)/members$)", Surface::kGraph, Access::kSignedIn,
             list_group_members, objects);
  router.add("GET", R"(^/v1\.0/groups/([^/]+)/transitiveMembers$)", Surface::kGraph,
             Access::kSignedIn, list_group_transitive_members, objects);
  router.add("GET", R"(^/v1\.0/me$)", Surface::kGraph, Access::kSignedIn, me, user);
  add_graph_write_routes(router);
}

}  // namespace upsync
