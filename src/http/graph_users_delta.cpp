// GET /v1.0/users/delta (and /users/microsoft.graph.delta): Graph's delta query on the cloud
// directory's users:
//   - the first round pages through every live user by object id; the last page carries the
//     deltaLink;
//   - a round from a deltaLink reads the users' change feed after the previous round's end:
//     each changed user once, in its latest state, and a deleted one as {"id", "@removed":
//     {"reason": "deleted"}}.
// Either way a round ends at the tenant's sequence when it began. $select picks the properties
// and is remembered in the tokens; page size: "Prefer: odata.maxpagesize=N". A token whose
// round is ahead of the change feed (a restored directory) is 410 syncStateNotFound.
#include "core/text.h"
#include "directory/directory_store.h"
#include "http/graph_common.h"
#include "http/graph_privacy.h"
#include "http/graph_user.h"

namespace upsync {

namespace {

using namespace graph;

// Where a delta round is: the first round pages through the users by object id; a later round
// reads the change feed after the previous round's end. Either way the round ends at `end`,
// the tenant's sequence when the round began, and its deltaLink starts the next round there.
struct DeltaRound {
  bool initial = true;
  int64_t end = 0;
  std::string after;  // initial: the last object id sent
  int64_t pos = 0;    // later rounds: the last feed sequence read
  std::vector<std::string> select;
  bool selected = false;
  int page_size = kDefaultPageSize;
};

nlohmann::json select_json(const DeltaRound& r) {
  return r.selected ? nlohmann::json(r.select) : nlohmann::json(nullptr);
}

std::string skip_link(const Call& call, const DeltaRound& r) {
  nlohmann::json j = {
      {"k", "delta-page"}, {"t", call.tenant.name}, {"ti", call.tenant.id}, {"i", r.initial},
      {"e", r.end},        {"a", r.after},          {"p", r.pos},           {"sel", select_json(r)},
      {"n", r.page_size}};
  return call.tenant_base + "/v1.0/users/delta?$skiptoken=" + encode_token(j);
}

std::string delta_link(const Call& call, const DeltaRound& r) {
  nlohmann::json j = {{"k", "delta"},
                      {"t", call.tenant.name},
                      {"ti", call.tenant.id},
                      {"s", r.end},
                      {"sel", select_json(r)}};
  return call.tenant_base + "/v1.0/users/delta?$deltatoken=" + encode_token(j);
}

// The $select a token carries: null (defaults) or a list of names parse_user_select accepts.
bool read_select(const nlohmann::json& j, DeltaRound& r) {
  if (!j.contains("sel")) return false;
  const auto& s = j["sel"];
  if (s.is_null()) {
    r.select = default_user_select();
    r.selected = false;
    return true;
  }
  if (!s.is_array()) return false;
  std::vector<std::string> names;
  for (const auto& n : s) {
    if (!n.is_string()) return false;
    names.push_back(n.get<std::string>());
  }
  auto parsed = parse_user_select(join(names));
  if (!parsed || names.empty()) return false;
  r.select = std::move(*parsed);
  r.selected = true;
  return true;
}

Result<ojson> delta_user_json(Call& call, const DirectoryUser& u, const DeltaRound& r) {
  ojson j = graph_user_json(u, r.select);
  UPSYNC_RETURN_IF_ERROR(redact_graph_user(call, u, j));
  if (!j.contains("id")) j["id"] = u.object_id;  // delta always names the object
  return j;
}

Status users_delta(Call& call) {
  UPSYNC_ASSIGN_OR_RETURN(const int64_t last, call.store.last_seq(call.tenant.id));
  auto ahead = [&](int64_t seq) {
    return graph_error(call, 410, "syncStateNotFound",
                       "The sync state of this token (change " + std::to_string(seq) +
                           ") is ahead of this directory's change feed (change " +
                           std::to_string(last) +
                           "): the directory was restored or replaced. Start a new round from " +
                           call.tenant_base + "/v1.0/users/delta.");
  };
  auto malformed = [&](std::string_view name) {
    return graph_error(call, 400, "Request_BadRequest",
                       "The " + std::string(name) +
                           " is not valid: its fields are missing or of the wrong type. Start "
                           "again without it.");
  };

  DeltaRound round;
  auto skip = param(call, "$skiptoken");
  auto delta = param(call, "$deltatoken");
  if (skip && delta) {
    return graph_error(call, 400, "Request_BadRequest",
                       "Send either $skiptoken or $deltatoken, not both.");
  }
  if (skip) {
    auto token = decode_token(call, "$skiptoken", *skip, "delta-page");
    if (auto* p = std::get_if<TokenProblem>(&token)) {
      return graph_error(call, p->http_status, p->code, p->message);
    }
    const auto& j = std::get<nlohmann::json>(token);
    if (!j.contains("i") || !j["i"].is_boolean() || !is_int(j, "e") || !is_string(j, "a") ||
        !is_int(j, "p") || !is_int(j, "n") || !read_select(j, round)) {
      return malformed("$skiptoken");
    }
    round.initial = j["i"].get<bool>();
    round.end = j["e"].get<int64_t>();
    round.after = j["a"].get<std::string>();
    round.pos = j["p"].get<int64_t>();
    auto n = j["n"].get<int64_t>();
    if (n < 1 || n > kMaxPageSize || round.pos > round.end) return malformed("$skiptoken");
    round.page_size = static_cast<int>(n);
    if (round.end > last) return ahead(round.end);
  } else if (delta) {
    if (*delta == "latest") {
      // Graph's "start from now": no users, a deltaLink at the feed's end.
      auto sel = selection(call);
      if (!sel) return sel.status();
      round.select = sel->properties;
      round.selected = sel->selected;
      round.end = last;
      ojson body = ojson::object();
      body["@odata.context"] = context_url(call, round.select, round.selected);
      body["@odata.deltaLink"] = delta_link(call, round);
      body["value"] = ojson::array();
      write_graph_json(call, body);
      return Status::ok();
    }
    auto token = decode_token(call, "$deltatoken", *delta, "delta");
    if (auto* p = std::get_if<TokenProblem>(&token)) {
      return graph_error(call, p->http_status, p->code, p->message);
    }
    const auto& j = std::get<nlohmann::json>(token);
    if (!is_int(j, "s") || !read_select(j, round)) return malformed("$deltatoken");
    const int64_t from = j["s"].get<int64_t>();
    if (from > last) return ahead(from);
    round.initial = false;
    round.pos = from;
    round.end = last;
  } else {
    auto sel = selection(call);
    if (!sel) return sel.status();
    round.select = sel->properties;
    round.selected = sel->selected;
    round.initial = true;
    round.end = last;
  }
  if (auto n = preferred_page_size(call)) {
    round.page_size = *n;
    call.res.set_header("Preference-Applied", "odata.maxpagesize=" + std::to_string(*n));
  }

  UPSYNC_ASSIGN_OR_RETURN(auto dir, open_directory_store(call.store));
  ojson value = ojson::array();
  bool more = false;
  if (round.initial) {
    UPSYNC_ASSIGN_OR_RETURN(auto users, dir->users_after(call.tenant.id, DirectoryLayer::kCloud,
                                                         round.after, round.page_size + 1));
    more = static_cast<int>(users.size()) > round.page_size;
    if (more) users.resize(round.page_size);
    for (const auto& u : users) {
      UPSYNC_ASSIGN_OR_RETURN(ojson j, delta_user_json(call, u, round));
      value.push_back(std::move(j));
    }
    if (!users.empty()) round.after = users.back().object_id;
  } else {
    // Each user once, in its latest state: a feed entry is reported only if it is the user's
    // last change. A user changed again after this round began is left to the next round.
    UPSYNC_ASSIGN_OR_RETURN(auto changes, call.store.changes_after(call.tenant.id, kCloudUsersFeed,
                                                                   round.pos, round.page_size));
    for (const Change& c : changes) {
      if (c.seq > round.end) break;
      round.pos = c.seq;
      UPSYNC_ASSIGN_OR_RETURN(auto user,
                              dir->user(call.tenant.id, DirectoryLayer::kCloud, c.object_id));
      if (!user || user->seq != c.seq) continue;
      if (user->deleted) {
        ojson removed = ojson::object();
        removed["id"] = user->object_id;
        removed["@removed"] = {{"reason", "deleted"}};
        value.push_back(std::move(removed));
      } else {
        UPSYNC_ASSIGN_OR_RETURN(ojson j, delta_user_json(call, *user, round));
        value.push_back(std::move(j));
      }
    }
    more = static_cast<int>(changes.size()) == round.page_size && round.pos < round.end &&
           changes.back().seq <= round.end;
  }

  ojson body = ojson::object();
  body["@odata.context"] = context_url(call, round.select, round.selected);
  if (more) {
    body["@odata.nextLink"] = skip_link(call, round);
  } else {
    body["@odata.deltaLink"] = delta_link(call, round);
  }
  body["value"] = std::move(value);
  write_graph_json(call, body);
  return Status::ok();
}

}  // namespace

namespace graph {

void add_graph_users_delta_route(Router& router) {
  router.add("GET", R"(^/v1\.0/users/(?:delta|microsoft\.graph\.delta)(?:\(\))?$)", Surface::kGraph,
             Access::kSignedIn, users_delta, {"$select", "$skiptoken", "$deltatoken"});
}

}  // namespace graph

}  // namespace upsync
