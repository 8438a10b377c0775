// The Microsoft Graph-compatible users and groups API (DESIGN.md §3), served from the tenant's
// cloud directory (what Graph reads in Azure AD). Tenant from the path prefix
// (/tenants/<name>/v1.0/...), the host name, or the token; any signed-in caller of the tenant
// may read. Writes (POST, PATCH, DELETE) are graph_writes.h's.
//   GET /v1.0/users                     $select, $filter (graph_filter.h), $top (1-999, default
//                                       100), $count=true (needs "ConsistencyLevel: eventual",
//                                       as Graph does), paged by @odata.nextLink ($skiptoken),
//                                       in object id order; deleted users are not listed.
//                                       $search and $orderby (graph_query.h), and $filter's
//                                       ne/not/endswith with the header: read whole, ordered,
//                                       paged by position (graph_advanced.cpp). $expand=manager
//                                       or directReports (graph_org.h)
//   GET /v1.0/users/{id | userPrincipalName}   one user ($select, $expand)
//   GET /v1.0/users/delta  (and /users/microsoft.graph.delta)
//                                       first round: every user, paged; the last page carries
//                                       @odata.deltaLink. A round from a deltaLink: the users
//                                       changed since, each once in its latest state, deleted
//                                       ones as {"id", "@removed": {"reason": "deleted"}}.
//                                       Page size: "Prefer: odata.maxpagesize=N" (default 100).
//   GET /v1.0/me                        the signed-in person's user (apps: 400, as Graph)
//   GET /v1.0/groups                    as users: $select, $filter (displayName, mail,
//                                       mailNickname, ...), $top, $count, paging
//   GET /v1.0/groups/{id}               one group ($select)
//   GET /v1.0/groups/{id}/members       direct members, users and groups, each with its
//                                       "@odata.type"; $select, $top, paging
//   GET /v1.0/groups/{id}/transitiveMembers   the same through nested groups
//   GET /v1.0/users/{id | userPrincipalName}/memberOf   the user's groups
//   POST /v1.0/$batch                   JSON batching (graph_batch.h)
// The org chart, transitive memberships, checkMemberGroups / getMemberGroups and $count are
// graph_org.h's routes.
// $skiptoken and $deltatoken are opaque to clients: base64url of a small JSON object naming
// the tenant, the position and (delta) the change-feed sequence reached and the $select. A
// token that does not decode, or that another tenant issued, is a 400; one ahead of the
// tenant's change feed (a data folder restored from backup, a recreated tenant) is 410
// syncStateNotFound, so the client starts a new round.
// Errors are Graph's shape: {"error": {"code", "message", "innerError": {date, request-id,
// client-request-id}}}.
#pragma once

#include "http/router.h"

namespace upsync {

void add_graph_routes(Router& router);

}  // namespace upsync
