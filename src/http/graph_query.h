// Graph's advanced query options on directory objects: $search and $orderby, parsed and
// applied as Microsoft Graph does for users and groups ("ConsistencyLevel: eventual" is the
// caller's business: graph_advanced.cpp checks it).
//
// $search: one or more clauses "property:text", each in double quotes, joined by AND or OR
// (AND binds tighter, as in Graph; no parentheses):
//   "displayName:wa" OR "displayName:ad"        "displayName:Adele" AND "mail:adele"
// displayName and description are tokenized as Graph tokenizes them: split on spaces and
// punctuation, where lower case turns to upper case ("OneVideo" is "One", "Video") and where
// letters turn to digits; a clause matches when each of its own tokens starts a token of the
// value (case-insensitively). On every other text property a clause is startswith of the
// whole value. Errors keep Graph's words: a clause outside quotes is "Syntax error: character
// ':' is not valid at position N in '...'." (BadRequest); a property that cannot be searched
// is Request_UnsupportedQuery.
//
// $orderby: one property, "asc" (default) or "desc"; users sort on displayName,
// userPrincipalName and mail, groups on displayName and mail. Another property is Graph's
// "Unsupported sort property 'x' for 'User'." (Request_UnsupportedQuery). Text sorts without
// case; objects without a value come last (first when descending); ties go by object id.
//
//   auto s = GraphSearch::parse("\"displayName:ade\"", user_type());
//   if (auto* r = std::get_if<QueryRefusal>(&s)) ... r->code, r->message
//   std::get<GraphSearch>(s).matches(user_type(), view_of(user));
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "http/graph_object.h"

namespace upsync {

// A query option refused, with the Graph error code and message to answer (always a 400).
struct QueryRefusal {
  std::string code;
  std::string message;
};

// The tokens Graph's search index makes of `text`, in lower case.
std::vector<std::string> search_tokens(std::string_view text);

class GraphSearch {
 public:
  static std::variant<GraphSearch, QueryRefusal> parse(std::string_view text,
                                                       const GraphObjectType& type);
  bool matches(const GraphObjectType& type, const GraphObjectView& o) const;

  struct Clause {
    std::string property;             // canonical name
    bool tokenized = false;           // displayName, description
    std::vector<std::string> tokens;  // tokenized: the term's tokens; else one, the lower text
  };

 private:
  // OR of ANDs of clauses.
  std::vector<std::vector<Clause>> any_of_;
};

struct GraphOrder {
  std::string property;  // canonical name
  bool descending = false;
};

// `resource` names the type in the error ("User", "Group").
std::variant<GraphOrder, QueryRefusal> parse_orderby(std::string_view text,
                                                     const GraphObjectType& type,
                                                     std::string_view resource);

// The sort key of an object for `order` (lower case; nullopt when the object has no value).
std::optional<std::string> order_key(const GraphOrder& order, const GraphObjectType& type,
                                     const GraphObjectView& o);

}  // namespace upsync
