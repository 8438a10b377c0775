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

constexpr std::string_view kGraphJson =
    "application/json;odata.metadata=minimal;odata.streaming=true;IEEE754Compatible=false;"
    "charset=utf-8";

// Writes a Graph error with an explicit code; the handler then returns ok (the answer is
// written).
Status graph_error(Call& call, int http_status, std::string_view code, std::string_view message) {
  write_graph_error(call.req, call.res, http_status, code, message);
  return Status::ok();
}

void write_graph_json(Call& call, const ojson& body) {
  call.res.status = 200;
  call.res.set_content(body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace),
                       std::string(kGraphJson));
}

std::optional<std::string> param(const Call& call, const char* name) {
  if (!call.req.has_param(name)) return std::nullopt;
  return call.req.get_param_value(name);
}

// Percent-encodes a query parameter value for the links we hand out.
std::string encode_query_value(std::string_view v) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : v) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~' || c == ',' || c == '(' ||
        c == ')') {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 15];
    }
  }
  return out;
}

bool eventual(const Call& call) {
  return ascii_iequal(call.req.get_header_value("ConsistencyLevel"), "eventual");
}

std::string join(const std::vector<std::string>& names) {
  std::string out;
  for (const auto& n : names) out += (out.empty() ? "" : ",") + n;
  return out;
}

std::string context_url(const Call& call, const std::vector<std::string>& select, bool selected) {
  std::string url = call.tenant_base + "/v1.0/$metadata#users";
  if (selected) url += "(" + join(select) + ")";
  return url;
}

Result<Selection> selection(const Call& call) {
  auto raw = param(call, "$select");
  if (!raw) return Selection{default_user_select(), false};
  UPSYNC_ASSIGN_OR_RETURN(auto props, parse_user_select(*raw));
  return Selection{std::move(props), true};
}

std::optional<std::string> unsupported_option(const Call& call,
                                              std::initializer_list<const char*> names) {
  for (const char* n : names) {
    if (call.req.has_param(n)) return std::string(n);
  }
  return std::nullopt;
}

// Opaque paging and delta tokens: base64url(JSON), checked field by field when read back.
std::string encode_token(const nlohmann::json& j) { return base64url_encode(j.dump()); }

// Decodes `text` as a token of `kind` issued for the call's tenant.
std::variant<nlohmann::json, TokenProblem> decode_token(const Call& call, std::string_view name,
                                                        std::string_view text,
                                                        std::string_view kind) {
  auto bad = [&](const std::string& why) {
    return TokenProblem{
        400, "Request_BadRequest",
        "The " + std::string(name) + " is not valid: " + why + ". Start again without it."};
  };
  if (text.empty()) return bad("it is empty");
  auto bytes = base64url_decode(text);
  if (!bytes) return bad(bytes.status().message());
  nlohmann::json j = nlohmann::json::parse(*bytes, nullptr, false);
  if (j.is_discarded() || !j.is_object()) return bad("it does not decode to a token of upsync");
  if (j.value("k", "") != kind) {
    return bad("it is not a token of this kind (expected " + std::string(kind) + ")");
  }
  if (!j.contains("t") || !j["t"].is_string() || !j.contains("ti") ||
      !j["ti"].is_number_integer()) {
    return bad("it names no tenant");
  }
  if (j["t"].get<std::string>() != call.tenant.name) {
    return TokenProblem{400, "Request_BadRequest",
                        "The " + std::string(name) + " was issued for another tenant, not '" +
                            call.tenant.name + "'."};
  }
  if (j["ti"].get<int64_t>() != call.tenant.id) {
    return TokenProblem{410, "syncStateNotFound",
                        "The " + std::string(name) +
                            " was issued for an earlier tenant of this name; start a new round."};
  }
  return j;
}

bool is_int(const nlohmann::json& j, const char* key) {
  return j.contains(key) && j[key].is_number_integer() && j[key].get<int64_t>() >= 0;
}
bool is_string(const nlohmann::json& j, const char* key) {
  return j.contains(key) && j[key].is_string();
}

Result<int> parse_int(std::string_view text, int lo, int hi) {
  int v = 0;
  auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (ec != std::errc() || ptr != text.data() + text.size() || v < lo || v > hi) {
    return invalid_argument("not a number from " + std::to_string(lo) + " to " +
                            std::to_string(hi));
  }
  return v;
}

// ---- Collections: /v1.0/users, /v1.0/groups, a group's members, a user's groups ----

const GraphObjectType& type_of(const DirectoryObject& o) {
  return o.user ? user_type() : group_type();
}

GraphObjectView view_of(const DirectoryObject& o) {
  return o.user ? view_of(*o.user) : view_of(*o.group);
}

// $select of a collection: on a mixed one, each name must be a property of users or groups,
// and each object shows the selected properties its type has.
Result<Selection> collection_selection(const Call& call, const Collection& c) {
  if (c.type) {
    auto raw = param(call, "$select");
    if (!raw) return Selection{c.type->default_select(), false};
    UPSYNC_ASSIGN_OR_RETURN(auto props, c.type->parse_select(*raw));
    return Selection{std::move(props), true};
  }
  auto raw = param(call, "$select");
  if (!raw) return Selection{{}, false};
  std::vector<std::string> names;
  size_t start = 0;
  while (start <= raw->size()) {
    size_t comma = raw->find(',', start);
    if (comma == std::string::npos) comma = raw->size();
    const std::string name(trim(std::string_view(*raw).substr(start, comma - start)));
    start = comma + 1;
    auto as_user = user_type().parse_select(name);
    auto as_group = group_type().parse_select(name);
    if (!as_user && !as_group) {
      return invalid_argument("Could not find a property named '" + quote_for_message(name, 60) +
                              "' on type 'microsoft.graph.directoryObject'.");
    }
    const std::string canonical = as_user ? as_user->front() : as_group->front();
    if (std::find(names.begin(), names.end(), canonical) == names.end()) {
      names.push_back(canonical);
    }
  }
  return Selection{std::move(names), true};
}

ojson object_json(const Collection& c, const DirectoryObject& o, const Selection& sel) {
  const GraphObjectType& type = type_of(o);
  if (c.type) return type.json(view_of(o), sel.properties);
  // A mixed collection names each object's type, as Graph does for directoryObjects.
  ojson j = ojson::object();
  j["@odata.type"] = "#" + std::string(type.type_name());
  std::vector<std::string> props;
  if (!sel.selected) {
    props = type.default_select();
  } else {
    for (const std::string& name : sel.properties) {
      if (type.parse_select(name)) props.push_back(name);
    }
  }
  ojson fields = type.json(view_of(o), props);
  for (auto& [k, v] : fields.items()) j[k] = std::move(v);
  return j;
}

Result<ojson> listed_json(Call& call, const Collection& c, const DirectoryObject& o,
                          const Selection& sel) {
  ojson j = object_json(c, o, sel);
  if (o.user) UPSYNC_RETURN_IF_ERROR(redact_graph_user(call, *o.user, j));
  if (c.expand) UPSYNC_RETURN_IF_ERROR(c.expand(o, j));
  return j;
}

Status list_collection(Call& call, const Collection& c, const IndexedRead& indexed) {
  std::optional<std::string> refused = unsupported_option(call, {"$skip"});
  if (!refused && !c.advanced) refused = unsupported_option(call, {"$orderby", "$search"});
  if (!refused && !c.expand) refused = unsupported_option(call, {"$expand"});
  if (refused) {
    return graph_error(
        call, 400, "Request_UnsupportedQuery",
        "The query option " + *refused + " is not supported by upsync on " + c.path + ".");
  }
  auto sel = collection_selection(call, c);
  if (!sel) return sel.status();
  if (!c.type || c.type == &user_type()) {
    for (const char* option : {"$filter", "$orderby", "$search"}) {
      auto text = param(call, option);
      if (!text) continue;
      UPSYNC_ASSIGN_OR_RETURN(std::string hidden, restricted_user_property_in(call, *text));
      if (!hidden.empty()) {
        return graph_error(call, 400, "Request_UnsupportedQuery",
                           std::string(option) + " on '" + hidden +
                               "' is not supported by upsync for this caller: the tenant's "
                               "property policy hides some of its values from them.");
      }
    }
  }

  std::optional<GraphFilter> filter;
  auto filter_text = param(call, "$filter");
  if (filter_text) {
    if (!c.type) {
      return graph_error(call, 400, "Request_UnsupportedQuery",
                         "$filter is not supported by upsync on " + c.path + ".");
    }
    auto parsed =
        GraphFilter::parse(*filter_text, c.type->filter_properties(),
                           eventual(call) ? FilterMode::kAdvanced : FilterMode::kStandard);
    if (auto* e = std::get_if<FilterError>(&parsed)) {
      std::string where = " (at position " + std::to_string(e->position) + " in '" +
                          quote_for_message(*filter_text, 200) + "')";
      if (e->kind == FilterError::Kind::kSyntax) {
        return graph_error(call, 400, "BadRequest",
                           "Invalid filter clause: " + e->message + where + ".");
      }
      return graph_error(call, 400, "Request_UnsupportedQuery", e->message + where);
    }
    filter = std::move(std::get<GraphFilter>(parsed));
  }

  int top = kDefaultPageSize;
  auto top_text = param(call, "$top");
  if (top_text) {
    auto t = parse_int(*top_text, 1, kMaxPageSize);
    if (!t) {
      return graph_error(call, 400, "Request_UnsupportedQuery",
                         "Invalid page size specified: '" + quote_for_message(*top_text, 40) +
                             "'. Must be between 1 and 999 inclusive.");
    }
    top = *t;
  }

  bool count = false;
  auto count_text = param(call, "$count");
  if (count_text) {
    if (*count_text != "true" && *count_text != "false") {
      return graph_error(
          call, 400, "BadRequest",
          "$count must be true or false, not '" + quote_for_message(*count_text, 40) + "'.");
    }
    count = *count_text == "true";
    // Graph counts directory objects only as an "advanced query" (and without the header
    // quietly leaves @odata.count out); a 400 here tells the developer before production does.
    if (count && !eventual(call)) {
      return graph_error(call, 400, "Request_UnsupportedQuery",
                         "$count=true on " + c.path +
                             " needs the request header 'ConsistencyLevel: eventual', as "
                             "Microsoft Graph requires for directory objects.");
    }
  }

  std::string link_options;
  if (sel->selected) link_options += "$select=" + encode_query_value(*param(call, "$select")) + "&";
  if (filter_text) link_options += "$filter=" + encode_query_value(*filter_text) + "&";
  if (auto e = param(call, "$expand")) link_options += "$expand=" + encode_query_value(*e) + "&";
  if (top_text) link_options += "$top=" + std::to_string(top) + "&";
  if (count) link_options += "$count=true&";
  if (c.advanced && (call.req.has_param("$search") || call.req.has_param("$orderby"))) {
    return list_advanced(call, c,
                         ListRequest{*sel, filter ? &*filter : nullptr, top, count, link_options});
  }

  std::string after;
  auto skip = param(call, "$skiptoken");
  if (skip) {
    auto token = decode_token(call, "$skiptoken", *skip, c.path);
    if (auto* p = std::get_if<TokenProblem>(&token)) {
      return graph_error(call, p->http_status, p->code, p->message);
    }
    const auto& j = std::get<nlohmann::json>(token);
    if (!is_string(j, "a")) {
      return graph_error(call, 400, "Request_BadRequest",
                         "The $skiptoken is not valid: it has no position. Start again without "
                         "it.");
    }
    after = j["a"].get<std::string>();
  }

  auto matches = [&](const DirectoryObject& o) {
    return !filter ||
           filter->matches(
               [&](std::string_view p) { return type_of(o).filter_value(view_of(o), p); },
               [&](std::string_view p) { return type_of(o).filter_values(view_of(o), p); });
  };

  // A filter that pins id, userPrincipalName or mail to a few values reads just those objects
  // (an index lookup each); `candidates` then holds every object the filter can match. Only
  // the attributes that the selected properties, the filter and the privacy check read are
  // decoded, unless $expand reads more.
  std::optional<std::vector<DirectoryObject>> candidates;
  if (filter && indexed) {
    std::optional<AttributeNames> only;
    if (c.type && !c.expand) {
      std::vector<std::string> read = sel->properties;
      for (std::string& p : filter->properties()) read.push_back(std::move(p));
      only = c.type->attributes_read(read);
      if (only) {
        const AttributeNames& redaction = redaction_attributes();
        only->insert(only->end(), redaction.begin(), redaction.end());
        std::sort(only->begin(), only->end());
        only->erase(std::unique(only->begin(), only->end()), only->end());
      }
    }
    UPSYNC_ASSIGN_OR_RETURN(candidates, indexed(*filter, only ? &*only : nullptr));
  }

  // Read in object id order until one more match than the page holds shows there is a next
  // page. Each batch is one indexed range read; batches grow so that a selective filter
  // takes few reads.
  std::vector<DirectoryObject> page;
  bool more = false;
  std::string cursor = after;
  int batch = top + 1;
  if (candidates) {
    const std::string after_key = ascii_lower(after);
    for (auto& o : *candidates) {
      if (o.object_id() <= after_key || !matches(o)) continue;
      if (static_cast<int>(page.size()) == top) {
        more = true;
        break;
      }
      // Copied only when $count reads the candidates again below.
      if (count) {
        page.push_back(o);
      } else {
        page.push_back(std::move(o));
      }
    }
  }
  while (!candidates && !more) {
    UPSYNC_ASSIGN_OR_RETURN(auto objects, c.page(cursor, batch));
    if (objects.empty()) break;
    const bool last_batch = static_cast<int>(objects.size()) < batch;
    cursor = objects.back().object_id();  // before the objects move into the page
    for (auto& o : objects) {
      if (!matches(o)) continue;
      if (static_cast<int>(page.size()) == top) {
        more = true;
        break;
      }
      page.push_back(std::move(o));
    }
    if (last_batch) break;
    batch = std::min(batch * 2, 4096);
  }

  ojson body = ojson::object();
  body["@odata.context"] = call.tenant_base + "/v1.0/$metadata#" + c.context +
                           (sel->selected ? "(" + join(sel->properties) + ")" : "");
  if (count && candidates) {
    int64_t n = 0;
    for (const auto& o : *candidates) n += matches(o) ? 1 : 0;
    body["@odata.count"] = n;
  } else if (count) {
    int64_t n = 0;
    std::string at;
    while (true) {
      UPSYNC_ASSIGN_OR_RETURN(auto objects, c.page(at, 4096));
      for (const auto& o : objects) n += matches(o) ? 1 : 0;
      if (objects.size() < 4096) break;
      at = objects.back().object_id();
    }
    body["@odata.count"] = n;
  }
  if (more) {
    std::string link = call.tenant_base + "/v1.0/" + c.path + "?" + link_options;
    link += "$skiptoken=" + encode_token({{"k", c.path},
                                          {"t", call.tenant.name},
                                          {"ti", call.tenant.id},
                                          {"a", page.back().object_id()}});
    body["@odata.nextLink"] = link;
  }
  ojson value = ojson::array();
  for (const auto& o : page) {
    UPSYNC_ASSIGN_OR_RETURN(ojson j, listed_json(call, c, o, *sel));
    value.push_back(std::move(j));
  }
  body["value"] = std::move(value);
  write_graph_json(call, body);
  return Status::ok();
}

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
