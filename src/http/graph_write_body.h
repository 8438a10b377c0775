// Checking the body of a Graph write (graph_writes.h) before anything is written: which
// properties of users and groups may be set and to what, in Graph's words when they may not.
//
//   GraphChanges c;
//   if (auto no = read_graph_body(body, /*creating=*/true, /*user=*/true, c)) ... // refuse
//   if (auto no = check_graph_required(c, {"displayName", ...}, "User")) ...
//   c.set["jobTitle"];   // the cloud directory's attributes to set; [] clears one
//
// A creation's null is as good as absent; a change's clears. Property names are matched
// case-insensitively, as Graph matches them.
#pragma once

#include <initializer_list>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "directory/directory_store.h"

namespace upsync {

// A Graph answer other than success, decided before anything is written.
struct GraphRefusal {
  int http_status = 400;
  std::string code = "Request_BadRequest";
  std::string message;
};

// What a body asks to change: attributes to set (an empty list clears one), a password, and
// (groups) members to bind.
struct GraphChanges {
  DirectoryAttributes set;
  std::optional<std::string> password;
  std::vector<std::string> members;  // object ids from members@odata.bind
  std::vector<std::string> given;    // Graph names present, for the required check
};

// "Invalid value specified for property 'x' of resource 'User'." (a missing required property
// or a value of the wrong type or form).
GraphRefusal graph_invalid_value(std::string_view property, std::string_view resource);

// Reads every property of `body` (a user's when `user`, else a group's) into `out`, or says
// why it cannot be written: unknown, read-only, not held by the cloud directory, mistyped.
std::optional<GraphRefusal> read_graph_body(const nlohmann::json& body, bool creating, bool user,
                                            GraphChanges& out);

// The first of `names` (Graph's) the body did not give, as graph_invalid_value.
std::optional<GraphRefusal> check_graph_required(const GraphChanges& c,
                                                 std::initializer_list<const char*> names,
                                                 std::string_view resource);

bool graph_body_gave(const GraphChanges& c, std::string_view name);

// The object id an "@odata.id" / "members@odata.bind" URL names: its last segment, a GUID
// (lower case), after /directoryObjects, /users or /groups; nullopt otherwise.
std::optional<std::string> referenced_object_id(const nlohmann::json& url);

}  // namespace upsync
