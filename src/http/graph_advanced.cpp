// The users and groups lists with $search and $orderby (graph_query.h): Graph's advanced
// queries. Every object that matches is read, ordered and paged by position; the skiptoken
// carries the position, as the index behind Graph's eventual answers does.
#include <algorithm>

#include "core/text.h"
#include "http/graph_common.h"
#include "http/graph_query.h"
#include "http/graph_user.h"

namespace upsync::graph {

namespace {

struct Row {
  std::optional<std::string> key;  // the $orderby property's value, lower case
  DirectoryObject object;
};

// Ascending: by key, objects without one last; descending: the reverse. Ties by object id,
// so that pages never repeat or skip an object.
void order_rows(std::vector<Row>& rows, const GraphOrder& order) {
  std::stable_sort(rows.begin(), rows.end(), [&](const Row& a, const Row& b) {
    if (a.key != b.key) {
      if (!a.key) return order.descending;
      if (!b.key) return !order.descending;
      return order.descending ? *a.key > *b.key : *a.key < *b.key;
    }
    return a.object.object_id() < b.object.object_id();
  });
}

}  // namespace

Status list_advanced(Call& call, const Collection& c, const ListRequest& r) {
  const GraphObjectType& type = *c.type;
  const std::string resource = c.type == &user_type() ? "User" : "Group";
  std::optional<GraphSearch> search;
  if (auto text = param(call, "$search")) {
    if (!eventual(call)) {
      return graph_error(call, 400, "Request_UnsupportedQuery",
                         "Request with $search query parameter only works through MSGraph with a "
                         "special request header: 'ConsistencyLevel: eventual'");
    }
    auto parsed = GraphSearch::parse(*text, type);
    if (auto* q = std::get_if<QueryRefusal>(&parsed)) {
      return graph_error(call, 400, q->code, q->message);
    }
    search = std::move(std::get<GraphSearch>(parsed));
  }
  std::optional<GraphOrder> order;
  if (auto text = param(call, "$orderby")) {
    auto parsed = parse_orderby(*text, type, resource);
    if (auto* q = std::get_if<QueryRefusal>(&parsed)) {
      return graph_error(call, 400, q->code, q->message);
    }
    // Graph orders a filtered or searched list only as an advanced query.
    if ((r.filter || search) && !eventual(call)) {
      return graph_error(call, 400, "Request_UnsupportedQuery",
                         "Sorting not supported for current query.");
    }
    order = std::get<GraphOrder>(std::move(parsed));
  }

  const std::string kind = c.path + "#ordered";
  int64_t offset = 0;
  if (auto skip = param(call, "$skiptoken")) {
    auto token = decode_token(call, "$skiptoken", *skip, kind);
    if (auto* p = std::get_if<TokenProblem>(&token)) {
      return graph_error(call, p->http_status, p->code, p->message);
    }
    const auto& j = std::get<nlohmann::json>(token);
    if (!is_int(j, "o")) {
      return graph_error(call, 400, "Request_BadRequest",
                         "The $skiptoken is not valid: it has no position. Start again without "
                         "it.");
    }
    offset = j["o"].get<int64_t>();
  }

  std::vector<Row> rows;
  std::string at;
  constexpr int kBatch = 4096;
  while (true) {
    UPSYNC_ASSIGN_OR_RETURN(auto objects, c.page(at, kBatch));
    const bool last_batch = static_cast<int>(objects.size()) < kBatch;
    if (!objects.empty()) at = objects.back().object_id();  // before the objects move
    for (auto& o : objects) {
      const GraphObjectView v = view_of(o);
      if (r.filter &&
          !r.filter->matches([&](std::string_view p) { return type.filter_value(v, p); },
                             [&](std::string_view p) { return type.filter_values(v, p); })) {
        continue;
      }
      if (search && !search->matches(type, v)) continue;
      std::optional<std::string> key;
      if (order) key = order_key(*order, type, v);
      rows.push_back({std::move(key), std::move(o)});
    }
    if (last_batch) break;
  }
  if (order) order_rows(rows, *order);

  ojson body = ojson::object();
  body["@odata.context"] = call.tenant_base + "/v1.0/$metadata#" + c.context +
                           (r.sel.selected ? "(" + join(r.sel.properties) + ")" : "");
  if (r.count) body["@odata.count"] = static_cast<int64_t>(rows.size());
  const size_t first = std::min(static_cast<size_t>(offset), rows.size());
  const size_t end = std::min(first + static_cast<size_t>(r.top), rows.size());
  if (end < rows.size()) {
    std::string link = call.tenant_base + "/v1.0/" + c.path + "?" + r.link_options;
    if (auto s = param(call, "$search")) link += "$search=" + encode_query_value(*s) + "&";
    if (auto o = param(call, "$orderby")) link += "$orderby=" + encode_query_value(*o) + "&";
    link += "$skiptoken=" + encode_token({{"k", kind},
                                          {"t", call.tenant.name},
                                          {"ti", call.tenant.id},
                                          {"o", static_cast<int64_t>(end)}});
    body["@odata.nextLink"] = link;
  }
  ojson value = ojson::array();
  for (size_t i = first; i < end; ++i) {
    UPSYNC_ASSIGN_OR_RETURN(ojson j, listed_json(call, c, rows[i].object, r.sel));
    value.push_back(std::move(j));
  }
  body["value"] = std::move(value);
  write_graph_json(call, body);
  return Status::ok();
}

}  // namespace upsync::graph
