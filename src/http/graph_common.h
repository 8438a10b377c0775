// What the Graph route files share (graph_routes.cpp, graph_org.cpp, graph_advanced.cpp,
// graph_groups_delta.cpp, graph_users_delta.cpp): Graph's JSON and error answers, query parameters,
// opaque tokens, and the listing of a collection of directory objects with $select, $filter, $top,
// $count, $skiptoken and, where a route allows them, $expand, $search and $orderby.
//
//   Collection c{"users", "users", &user_type(), page_of_users};
//   return list_collection(call, c);   // answers the call, or an error in Graph's shape
//
// Handlers return Status: an answer already written (a Graph error with its own code
// included) is Status::ok(); anything else is written by the router in Graph's shape.
#pragma once

#include <functional>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "core/status.h"
#include "directory/directory_store.h"
#include "http/graph_filter.h"
#include "http/graph_object.h"
#include "http/router.h"

namespace upsync::graph {

using ojson = nlohmann::ordered_json;

inline constexpr int kDefaultPageSize = 100;
inline constexpr int kMaxPageSize = 999;

// Writes a Graph error with an explicit code; the handler then returns ok (the answer is
// written).
Status graph_error(Call& call, int http_status, std::string_view code, std::string_view message);
void write_graph_json(Call& call, const ojson& body);
// The same for a body already written as JSON text.
void write_graph_text(Call& call, std::string body);
std::optional<std::string> param(const Call& call, const char* name);
// Percent-encodes a query parameter value for the links we hand out.
std::string encode_query_value(std::string_view v);
std::string join(const std::vector<std::string>& names);
// The @odata.context of an answer about users: $metadata#users, with "(a,b)" when $select was
// given.
std::string context_url(const Call& call, const std::vector<std::string>& select, bool selected);
// True when the request carries "ConsistencyLevel: eventual" (Graph's advanced queries).
bool eventual(const Call& call);

// $select as given, or the defaults; `selected` tells which.
struct Selection {
  std::vector<std::string> properties;
  bool selected = false;
};
Result<Selection> selection(const Call& call);

// The first of `names` the request carries, to refuse it by name rather than ignore it.
std::optional<std::string> unsupported_option(const Call& call,
                                              std::initializer_list<const char*> names);

// Opaque paging and delta tokens: base64url(JSON), checked field by field when read back.
std::string encode_token(const nlohmann::json& j);
struct TokenProblem {
  int http_status;
  std::string code;
  std::string message;
};
// Decodes `text` as a token of `kind` issued for the call's tenant.
std::variant<nlohmann::json, TokenProblem> decode_token(const Call& call, std::string_view name,
                                                        std::string_view text,
                                                        std::string_view kind);
bool is_int(const nlohmann::json& j, const char* key);
bool is_string(const nlohmann::json& j, const char* key);
Result<int> parse_int(std::string_view text, int lo, int hi);
// "Prefer: odata.maxpagesize=N" (several preferences may share the header).
std::optional<int> preferred_page_size(const Call& call);
// GET /v1.0/users/delta (graph_users_delta.cpp).
void add_graph_users_delta_route(Router& router);

bool looks_like_guid(std::string_view s);
Status not_found_error(Call& call, std::string_view key);
// The live cloud user named by object id or user principal name (nullopt when none).
Result<std::optional<DirectoryUser>> find_user(Call& call, DirectoryStore& dir,
                                               std::string_view key);
Result<std::optional<DirectoryGroup>> find_group(Call& call, DirectoryStore& dir,
                                                 std::string_view id);

const GraphObjectType& type_of(const DirectoryObject& o);
GraphObjectView view_of(const DirectoryObject& o);

// A collection of directory objects in object id order, paged by $skiptoken.
struct Collection {
  std::string path;             // after /v1.0/, for links: "users", "groups/<id>/members"
  std::string context;          // after $metadata#: "users", "directoryObjects"
  const GraphObjectType* type;  // the one type listed, or nullptr for users and groups mixed
  // Up to `limit` objects whose id sorts after `after`, in id order.
  std::function<Result<std::vector<DirectoryObject>>(const std::string& after, int limit)> page;
  // The users and groups lists serve $search and $orderby (graph_query.h); elsewhere they are
  // refused.
  bool advanced = false;
  // Adds the $expand-ed navigation properties to an object's JSON; empty: $expand refused.
  std::function<Status(const DirectoryObject&, ojson&)> expand = {};
};

// When a filter pins an indexed property to a few values: every object the filter can match,
// in id order (nullopt: read the whole collection), with the attributes of `only` when given.
using IndexedRead = std::function<Result<std::optional<std::vector<DirectoryObject>>>(
    const GraphFilter&, const AttributeNames* only)>;

Result<Selection> collection_selection(const Call& call, const Collection& c);
ojson object_json(const Collection& c, const DirectoryObject& o, const Selection& sel);
Status list_collection(Call& call, const Collection& c, const IndexedRead& indexed = {});
// What list_collection parsed, for list_advanced.
struct ListRequest {
  const Selection& sel;
  const GraphFilter* filter;  // nullptr: no $filter
  int top;
  bool count;
  // The query options to repeat in the next page's link ("$select=...&$filter=...&").
  std::string link_options;
};
// The users or groups list with $search and/or $orderby (graph_advanced.cpp): every match
// read, ordered, and paged by position.
Status list_advanced(Call& call, const Collection& c, const ListRequest& r);
// The object's JSON for a listing: object_json() as the caller may see it (a user's values
// hidden by the property policies are null, graph_privacy.h), plus what `c.expand` adds.
Result<ojson> listed_json(Call& call, const Collection& c, const DirectoryObject& o,
                          const Selection& sel);

// The objects of `ids` (sorted) after `after`, up to `limit`, that are live.
Result<std::vector<DirectoryObject>> objects_after(DirectoryStore& dir, TenantId tenant,
                                                   const std::vector<std::string>& ids,
                                                   const std::string& after, int limit);

}  // namespace upsync::graph
