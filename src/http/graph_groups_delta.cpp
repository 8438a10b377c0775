// GET /v1.0/groups/delta (and /groups/microsoft.graph.delta): Graph's delta query on the
// cloud directory's groups, in the same rounds as users/delta (graph_routes.h):
//   - the first round pages through every group by object id, each with its direct members
//     as "members@delta" [{"@odata.type", "id"}, ...]; the last page carries the deltaLink;
//   - a round from a deltaLink reads the groups' change feed after the previous round's end:
//     each changed group once, in its latest state, with "members@delta" holding only the
//     members that joined ({"@odata.type", "id"}) or left (with "@removed": {"reason":
//     "deleted"}) since; a deleted group is {"id", "@removed": {"reason": "deleted"}}.
// $select picks the properties (and "members" whether members@delta comes; without $select
// it does); it is remembered in the tokens. Page size: "Prefer: odata.maxpagesize=N".
#include "core/text.h"
#include "http/graph_common.h"
#include "http/graph_group.h"
#include "http/graph_org.h"

namespace upsync {

namespace {

using namespace graph;

constexpr std::string_view kPageKind = "groups-delta-page";
constexpr std::string_view kDeltaKind = "groups-delta";

struct GroupRound {
  bool initial = true;
  int64_t from = 0;   // later rounds: the sequence the round started after
  int64_t end = 0;    // the tenant's sequence when the round began
  std::string after;  // initial: the last object id sent
  int64_t pos = 0;    // later rounds: the last feed sequence read
  std::vector<std::string> select;
  bool selected = false;
  bool members = true;
  int page_size = kDefaultPageSize;
};

// $select of groups/delta: group properties, and "members" for members@delta.
Result<GroupRound> parse_delta_select(std::optional<std::string> raw) {
  GroupRound r;
  if (!raw) {
    r.select = group_type().default_select();
    return r;
  }
  std::string rest;
  r.members = false;
  size_t start = 0;
  while (start <= raw->size()) {
    size_t comma = raw->find(',', start);
    if (comma == std::string::npos) comma = raw->size();
    std::string name(trim(std::string_view(*raw).substr(start, comma - start)));
    start = comma + 1;
    if (ascii_iequal(name, "members")) {
      r.members = true;
    } else {
      rest += (rest.empty() ? "" : ",") + name;
    }
  }
  if (rest.empty()) {
    r.select = {"id"};
  } else {
    UPSYNC_ASSIGN_OR_RETURN(r.select, group_type().parse_select(rest));
  }
  r.selected = true;
  return r;
}

nlohmann::json select_json(const GroupRound& r) {
  nlohmann::json sel = r.selected ? nlohmann::json(r.select) : nlohmann::json(nullptr);
  return {{"sel", sel}, {"m", r.members}};
}

bool read_select(const nlohmann::json& j, GroupRound& r) {
  if (!j.contains("sel") || !j.contains("m") || !j["m"].is_boolean()) return false;
  r.members = j["m"].get<bool>();
  const auto& s = j["sel"];
  if (s.is_null()) {
    r.select = group_type().default_select();
    r.selected = false;
    return true;
  }
  if (!s.is_array() || s.empty()) return false;
  std::string names;
  for (const auto& n : s) {
    if (!n.is_string()) return false;
    names += (names.empty() ? "" : ",") + n.get<std::string>();
  }
  auto parsed = group_type().parse_select(names);
  if (!parsed) return false;
  r.select = std::move(*parsed);
  r.selected = true;
  return true;
}

nlohmann::json token_of(const Call& call, const GroupRound& r, bool page) {
  nlohmann::json j = {{"k", page ? kPageKind : kDeltaKind},
                      {"t", call.tenant.name},
                      {"ti", call.tenant.id},
                      {"sel", select_json(r)}};
  if (page) {
    j["i"] = r.initial;
    j["f"] = r.from;
    j["e"] = r.end;
    j["a"] = r.after;
    j["p"] = r.pos;
    j["n"] = r.page_size;
  } else {
    j["s"] = r.end;
  }
  return j;
}

std::string link(const Call& call, const GroupRound& r, bool page) {
  return call.tenant_base + "/v1.0/groups/delta?" + (page ? "$skiptoken=" : "$deltatoken=") +
         encode_token(token_of(call, r, page));
}

std::string context(const Call& call, const GroupRound& r) {
  std::vector<std::string> names = r.select;
  if (r.members) names.push_back("members");
  return call.tenant_base + "/v1.0/$metadata#groups" + (r.selected ? "(" + join(names) + ")" : "");
}

// The "@odata.type" of a member, live or gone.
Result<std::string> member_type(Call& call, DirectoryStore& dir, const std::string& id) {
  UPSYNC_ASSIGN_OR_RETURN(auto u, dir.user(call.tenant.id, DirectoryLayer::kCloud, id));
  if (u) return std::string("#microsoft.graph.user");
  UPSYNC_ASSIGN_OR_RETURN(auto g, dir.group(call.tenant.id, DirectoryLayer::kCloud, id));
  if (g) return std::string("#microsoft.graph.group");
  return std::string("#microsoft.graph.directoryObject");
}

Result<ojson> group_delta_json(Call& call, DirectoryStore& dir, const DirectoryGroup& g,
                               const GroupRound& r) {
  ojson j = group_type().json(view_of(g), r.select);
  if (!j.contains("id")) j["id"] = g.object_id;  // delta always names the object
  if (!r.members) return j;
  ojson members = ojson::array();
  auto add = [&](const std::string& id, bool removed) -> Status {
    UPSYNC_ASSIGN_OR_RETURN(std::string type, member_type(call, dir, id));
    ojson m = ojson::object();
    m["@odata.type"] = type;
    m["id"] = id;
    if (removed) m["@removed"] = {{"reason", "deleted"}};
    members.push_back(std::move(m));
    return Status::ok();
  };
  if (r.initial) {
    for (const std::string& id : g.members) UPSYNC_RETURN_IF_ERROR(add(id, false));
  } else {
    UPSYNC_ASSIGN_OR_RETURN(auto changes,
                            dir.member_changes(call.tenant.id, g.object_id, r.from, r.end));
    for (const auto& c : changes) UPSYNC_RETURN_IF_ERROR(add(c.member_id, c.removed));
  }
  j["members@delta"] = std::move(members);
  return j;
}

// Reads the round the request names (first, page or deltaLink); false with the answer written.
Result<bool> read_round(Call& call, int64_t last, GroupRound& round) {
  auto ahead = [&](int64_t seq) {
    return graph_error(call, 410, "syncStateNotFound",
                       "The sync state of this token (change " + std::to_string(seq) +
                           ") is ahead of this directory's change feed (change " +
                           std::to_string(last) + "). Start a new round from " + call.tenant_base +
                           "/v1.0/groups/delta.");
  };
  auto malformed = [&](std::string_view name) {
    return graph_error(call, 400, "Request_BadRequest",
                       "The " + std::string(name) +
                           " is not valid: its fields are missing or of the wrong type. Start "
                           "again without it.");
  };
  auto skip = param(call, "$skiptoken");
  auto delta = param(call, "$deltatoken");
  if (skip && delta) {
    UPSYNC_RETURN_IF_ERROR(graph_error(call, 400, "Request_BadRequest",
                                       "Send either $skiptoken or $deltatoken, not both."));
    return false;
  }
  if ((skip || delta) && call.req.has_param("$select")) {
    UPSYNC_RETURN_IF_ERROR(
        graph_error(call, 400, "Request_BadRequest",
                    "$select belongs to the first request of a round; the token carries it."));
    return false;
  }
  if (!skip && !delta) {
    auto r = parse_delta_select(param(call, "$select"));
    if (!r) return r.status();
    round = std::move(*r);
    round.end = last;
    return true;
  }
  const std::string name = skip ? "$skiptoken" : "$deltatoken";
  auto token = decode_token(call, name, skip ? *skip : *delta, skip ? kPageKind : kDeltaKind);
  if (auto* p = std::get_if<TokenProblem>(&token)) {
    UPSYNC_RETURN_IF_ERROR(graph_error(call, p->http_status, p->code, p->message));
    return false;
  }
  const auto& j = std::get<nlohmann::json>(token);
  if (!read_select(j.value("sel", nlohmann::json()), round)) {
    UPSYNC_RETURN_IF_ERROR(malformed(name));
    return false;
  }
  if (delta) {
    if (!is_int(j, "s")) {
      UPSYNC_RETURN_IF_ERROR(malformed(name));
      return false;
    }
    round.initial = false;
    round.from = round.pos = j["s"].get<int64_t>();
    round.end = last;
    if (round.from > last) {
      UPSYNC_RETURN_IF_ERROR(ahead(round.from));
      return false;
    }
    return true;
  }
  if (!j.contains("i") || !j["i"].is_boolean() || !is_int(j, "f") || !is_int(j, "e") ||
      !is_string(j, "a") || !is_int(j, "p") || !is_int(j, "n")) {
    UPSYNC_RETURN_IF_ERROR(malformed(name));
    return false;
  }
  round.initial = j["i"].get<bool>();
  round.from = j["f"].get<int64_t>();
  round.end = j["e"].get<int64_t>();
  round.after = j["a"].get<std::string>();
  round.pos = j["p"].get<int64_t>();
  const int64_t n = j["n"].get<int64_t>();
  if (n < 1 || n > kMaxPageSize || round.pos > round.end || round.from > round.pos) {
    UPSYNC_RETURN_IF_ERROR(malformed(name));
    return false;
  }
  round.page_size = static_cast<int>(n);
  if (round.end > last) {
    UPSYNC_RETURN_IF_ERROR(ahead(round.end));
    return false;
  }
  return true;
}

Status groups_delta(Call& call) {
  if (auto opt = unsupported_option(
          call, {"$filter", "$orderby", "$search", "$expand", "$top", "$skip", "$count"})) {
    return graph_error(call, 400, "Request_UnsupportedQuery",
                       "The query option " + *opt +
                           " is not supported by upsync on groups/delta (page size: send "
                           "'Prefer: odata.maxpagesize=N').");
  }
  UPSYNC_ASSIGN_OR_RETURN(const int64_t last, call.store.last_seq(call.tenant.id));
  GroupRound round;
  UPSYNC_ASSIGN_OR_RETURN(const bool go_on, read_round(call, last, round));
  if (!go_on) return Status::ok();
  if (auto n = preferred_page_size(call)) {
    round.page_size = *n;
    call.res.set_header("Preference-Applied", "odata.maxpagesize=" + std::to_string(*n));
  }

  UPSYNC_ASSIGN_OR_RETURN(auto dir, open_directory_store(call.store));
  ojson value = ojson::array();
  bool more = false;
  if (round.initial) {
    UPSYNC_ASSIGN_OR_RETURN(auto groups, dir->groups_after(call.tenant.id, DirectoryLayer::kCloud,
                                                           round.after, round.page_size + 1));
    more = static_cast<int>(groups.size()) > round.page_size;
    if (more) groups.resize(round.page_size);
    for (const auto& g : groups) {
      UPSYNC_ASSIGN_OR_RETURN(ojson j, group_delta_json(call, *dir, g, round));
      value.push_back(std::move(j));
    }
    if (!groups.empty()) round.after = groups.back().object_id;
  } else {
    // Each group once, in its latest state: a feed entry is reported only if it is the
    // group's last change. A group changed again after this round began is left to the next.
    UPSYNC_ASSIGN_OR_RETURN(auto changes, call.store.changes_after(call.tenant.id, kCloudGroupsFeed,
                                                                   round.pos, round.page_size));
    for (const Change& c : changes) {
      if (c.seq > round.end) break;
      round.pos = c.seq;
      UPSYNC_ASSIGN_OR_RETURN(auto g,
                              dir->group(call.tenant.id, DirectoryLayer::kCloud, c.object_id));
      if (!g || g->seq != c.seq) continue;
      if (g->deleted) {
        ojson removed = ojson::object();
        removed["id"] = g->object_id;
        removed["@removed"] = {{"reason", "deleted"}};
        value.push_back(std::move(removed));
      } else {
        UPSYNC_ASSIGN_OR_RETURN(ojson j, group_delta_json(call, *dir, *g, round));
        value.push_back(std::move(j));
      }
    }
    more = static_cast<int>(changes.size()) == round.page_size && round.pos < round.end &&
           changes.back().seq <= round.end;
  }

  ojson body = ojson::object();
  body["@odata.context"] = context(call, round);
  if (more) {
    body["@odata.nextLink"] = link(call, round, true);
  } else {
    body["@odata.deltaLink"] = link(call, round, false);
  }
  body["value"] = std::move(value);
  write_graph_json(call, body);
  return Status::ok();
}

}  // namespace

void add_graph_groups_delta_route(Router& router) {
  router.add("GET", R"(^/v1\.0/groups/(?:delta|microsoft\.graph\.delta)(?:\(\))?$)",
             Surface::kGraph, Access::kSignedIn, groups_delta,
             {"$select", "$skiptoken", "$deltatoken"});
}

}  // namespace upsync
