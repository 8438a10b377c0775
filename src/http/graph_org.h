// The org chart and group membership of Graph users, from the cloud directory's manager
// attribute (the manager's object id) and its groups:
//   GET  /v1.0/users/{id | upn}/manager           the manager as a directoryObject entity;
//   GET  /v1.0/me/manager                         404 Request_ResourceNotFound without one
//   GET  /v1.0/users/{id | upn}/directReports     the users whose manager this is
//   GET  /v1.0/me/directReports                   ($select, $top, paging)
//   GET  /v1.0/me/memberOf                        the groups holding the user directly
//   GET  /v1.0/users/{id | upn}/transitiveMemberOf  ... directly or through nested groups
//   GET  /v1.0/me/transitiveMemberOf
//   POST /v1.0/{users/{id}|me|groups/{id}}/checkMemberGroups  {"groupIds": [...] (1-20)}
//        the ids among groupIds that hold the object, directly or through nesting
//   POST /v1.0/{users/{id}|me|groups/{id}}/getMemberGroups    {"securityEnabledOnly": bool}
//        every group holding it, directly or through nesting (security groups only if asked)
//   GET  /v1.0/groups/delta                      groups and members@delta (graph_groups_delta)
//   GET  /v1.0/users/$count, /v1.0/groups/$count  a text/plain count; Graph's 400
//        "$count is not currently supported." without "ConsistencyLevel: eventual"; $filter
//        and $search apply
// and $expand=manager / $expand=directReports on a user, on /me and on the users list, with
// an optional $select inside: $expand=manager($select=id,displayName). One property at a time;
// any other option inside the parentheses, or another property, is Request_UnsupportedQuery.
// Apps have no /me: 400 BadRequest, as Graph.
#pragma once

#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "http/graph_common.h"
#include "http/graph_query.h"
#include "http/router.h"

namespace upsync {

struct UserExpansion {
  enum class What { kManager, kDirectReports };
  What what = What::kManager;
  std::vector<std::string> select;  // canonical names
};

// $expand on a user ("manager", "directReports", each with an optional ($select=...)).
std::variant<UserExpansion, QueryRefusal> parse_user_expand(std::string_view text);

// Adds the expanded property to `into`: "manager" (left out when the user has none, as Graph
// does) or "directReports" (an array), each object with its "@odata.type".
Status expand_user(Call& call, DirectoryStore& dir, const DirectoryUser& user,
                   const UserExpansion& expansion, graph::ojson& into);

// GET /v1.0/groups/delta (graph_groups_delta.cpp): groups and their member changes
// (members@delta) in delta rounds, as users/delta.
void add_graph_groups_delta_route(Router& router);

// Registered before the other Graph routes: /users/$count and the /me/... paths would
// otherwise match /users/{id} and its relatives.
void add_graph_org_routes(Router& router);

}  // namespace upsync
