// Graph's directory collections (graph_common.h's Collection): /v1.0/users, /v1.0/groups, a
// group's members, a user's groups, listed with $select, $filter, $top, $count and paging by
// $skiptoken, each object as the caller may see it.
#include <algorithm>
#include <nlohmann/json.hpp>

#include "core/text.h"
#include "directory/directory_store.h"
#include "http/graph_common.h"
#include "http/graph_filter.h"
#include "http/graph_group.h"
#include "http/graph_privacy.h"
#include "http/graph_query.h"
#include "http/graph_user.h"
#include "http/json_writer.h"

namespace upsync {
namespace graph {

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

// A page of objects of one type, nothing expanded: written as the tree listed_json() builds
// would print, without building it (a team's hundred names and titles on every person page).
Status write_page(Call& call, const GraphObjectType& type, const std::string& context,
                  std::optional<int64_t> counted, const std::optional<std::string>& next_link,
                  const std::vector<DirectoryObject>& page, const Selection& sel) {
  const std::vector<const GraphProperty*> properties = type.resolve(sel.properties);
  JsonWriter w;
  w.begin_object().key("@odata.context").str(context);
  if (counted) w.key("@odata.count").number(*counted);
  if (next_link) w.key("@odata.nextLink").str(*next_link);
  w.key("value").begin_array();
  for (const DirectoryObject& o : page) {
    std::vector<std::string_view> hidden;
    if (o.user) {
      UPSYNC_ASSIGN_OR_RETURN(hidden, hidden_user_fields(call, *o.user, [&](std::string_view f) {
                                return std::any_of(
                                    properties.begin(), properties.end(),
                                    [&](const GraphProperty* p) { return p->name == f; });
                              }));
    }
    type.write(view_of(o), properties, hidden, w);
  }
  w.end_array().end_object();
  write_graph_text(call, std::move(w).text());
  return Status::ok();
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

  // The query options a next page's link repeats (written only when there is one: a filter
  // naming a whole team is long).
  auto link_options = [&] {
    std::string out;
    if (sel->selected) out += "$select=" + encode_query_value(*param(call, "$select")) + "&";
    if (filter_text) out += "$filter=" + encode_query_value(*filter_text) + "&";
    if (auto e = param(call, "$expand")) out += "$expand=" + encode_query_value(*e) + "&";
    if (top_text) out += "$top=" + std::to_string(top) + "&";
    if (count) out += "$count=true&";
    return out;
  };
  if (c.advanced && (call.req.has_param("$search") || call.req.has_param("$orderby"))) {
    return list_advanced(
        call, c, ListRequest{*sel, filter ? &*filter : nullptr, top, count, link_options()});
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

  const std::string context = call.tenant_base + "/v1.0/$metadata#" + c.context +
                              (sel->selected ? "(" + join(sel->properties) + ")" : "");
  std::optional<int64_t> counted;
  if (count && candidates) {
    int64_t n = 0;
    for (const auto& o : *candidates) n += matches(o) ? 1 : 0;
    counted = n;
  } else if (count) {
    int64_t n = 0;
    std::string at;
    while (true) {
      UPSYNC_ASSIGN_OR_RETURN(auto objects, c.page(at, 4096));
      for (const auto& o : objects) n += matches(o) ? 1 : 0;
      if (objects.size() < 4096) break;
      at = objects.back().object_id();
    }
    counted = n;
  }
  std::optional<std::string> next_link;
  if (more) {
    next_link = call.tenant_base + "/v1.0/" + c.path + "?" + link_options() + "$skiptoken=" +
                encode_token({{"k", c.path},
                              {"t", call.tenant.name},
                              {"ti", call.tenant.id},
                              {"a", page.back().object_id()}});
  }
  if (c.type && !c.expand) {
    return write_page(call, *c.type, context, counted, next_link, page, *sel);
  }
  ojson body = ojson::object();
  body["@odata.context"] = context;
  if (counted) body["@odata.count"] = *counted;
  if (next_link) body["@odata.nextLink"] = *next_link;
  ojson value = ojson::array();
  for (const auto& o : page) {
    UPSYNC_ASSIGN_OR_RETURN(ojson j, listed_json(call, c, o, *sel));
    value.push_back(std::move(j));
  }
  body["value"] = std::move(value);
  write_graph_json(call, body);
  return Status::ok();
}

}  // namespace graph
}  // namespace upsync
