// The admin API's audiences and hybrid settings of a server tenant (seed 000; see
// audiences/audiences.h and audiences/hybrid.h). An online tenant answers 409 with the
// reason. Audiences are named in paths by name (URL-encoded) or by id.
#include <charconv>

#include "audiences/audience_compiler.h"
#include "audiences/audience_json.h"
#include "http/admin_route_table.h"

namespace upsync {

namespace {

constexpr int kMaxTop = 5000;

Result<std::unique_ptr<AudienceStore>> audience_store(Call& call) {
  UPSYNC_RETURN_IF_ERROR(require_server_tenant(call.tenant));
  return open_audience_store(call.store);
}

Result<Audience> audience_in_path(Call& call, AudienceStore& audiences) {
  const std::string name = call.match[1].str();
  UPSYNC_ASSIGN_OR_RETURN(auto a, audiences.find(call.tenant.id, name));
  if (!a) {
    return not_found("no audience '" + quote_for_message(name) + "' in tenant '" +
                     call.tenant.name + "'");
  }
  return *a;
}

// A whole-number query parameter from `low` to `high`, or `fallback` when absent.
Result<int64_t> number_param(Call& call, const char* name, int64_t low, int64_t high,
                             int64_t fallback) {
  if (!call.req.has_param(name)) return fallback;
  const std::string text = call.req.get_param_value(name);
  int64_t v = 0;
  auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (text.empty() || ec != std::errc() || ptr != text.data() + text.size() || v < low ||
      v > high) {
    return invalid_argument("query parameter '" + std::string(name) +
                            "': expected a whole number from " + std::to_string(low) + " to " +
                            std::to_string(high) + ", got '" + quote_for_message(text, 40) + "'");
  }
  return v;
}

// The members route applies top and after; any other parameter is refused, not ignored.
Status only_params(Call& call, std::initializer_list<std::string_view> known) {
  for (const auto& [key, value] : call.req.params) {
    bool ok = false;
    for (std::string_view k : known) ok |= key == k;
    if (!ok) {
      return invalid_argument("query parameter '" + quote_for_message(key, 40) +
                              "' is not one this route takes");
    }
  }
  return Status::ok();
}

Status list_audiences(Call& call) {
  UPSYNC_RETURN_IF_ERROR(only_params(call, {}));
  UPSYNC_ASSIGN_OR_RETURN(auto audiences, audience_store(call));
  UPSYNC_ASSIGN_OR_RETURN(auto all, audiences->list(call.tenant.id));
  nlohmann::json arr = nlohmann::json::array();
  for (const Audience& a : all) arr.push_back(audience_json(a));
  write_json(call.res, 200, {{"value", arr}});
  return Status::ok();
}

Status add(Call& call) {
  UPSYNC_RETURN_IF_ERROR(only_params(call, {}));
  UPSYNC_RETURN_IF_ERROR(require_server_tenant(call.tenant));
  UPSYNC_ASSIGN_OR_RETURN(nlohmann::json body, json_body(call.req));
  UPSYNC_ASSIGN_OR_RETURN(NewAudience n, new_audience_from_json(body));
  UPSYNC_ASSIGN_OR_RETURN(Audience a, add_audience(call.store, call.tenant, n));
  call.res.set_header("Location", call.tenant_base + "/admin/v1/audiences/" + std::to_string(a.id));
  write_json(call.res, 201, audience_json(a));
  return Status::ok();
}

Status show(Call& call) {
  UPSYNC_RETURN_IF_ERROR(only_params(call, {}));
  UPSYNC_ASSIGN_OR_RETURN(auto audiences, audience_store(call));
  UPSYNC_ASSIGN_OR_RETURN(Audience a, audience_in_path(call, *audiences));
  write_json(call.res, 200, audience_json(a));
  return Status::ok();
}

Status members(Call& call) {
  UPSYNC_RETURN_IF_ERROR(only_params(call, {"top", "after"}));
  UPSYNC_ASSIGN_OR_RETURN(auto audiences, audience_store(call));
  UPSYNC_ASSIGN_OR_RETURN(Audience a, audience_in_path(call, *audiences));
  UPSYNC_ASSIGN_OR_RETURN(int64_t top, number_param(call, "top", 1, kMaxTop, 1000));
  UPSYNC_ASSIGN_OR_RETURN(int64_t after,
                          number_param(call, "after", 0, std::numeric_limits<int64_t>::max(), 0));
  UPSYNC_ASSIGN_OR_RETURN(auto ids,
                          audiences->members(call.tenant.id, a.id, after, static_cast<int>(top)));
  nlohmann::json arr = nlohmann::json::array();
  for (ProfileId id : ids) {
    UPSYNC_ASSIGN_OR_RETURN(
        auto p, call.store.find_profile(call.tenant.id, {ProfileKeyKind::kId, std::to_string(id)}));
    if (!p) continue;  // deleted since: the next sync drops it
    arr.push_back({{"id", p->id}, {"accountName", p->account_name}});
  }
  nlohmann::json out = {{"value", arr}};
  if (static_cast<int64_t>(ids.size()) == top) {
    out["nextLink"] = call.tenant_base + "/admin/v1/audiences/" + std::to_string(a.id) +
                      "/members?top=" + std::to_string(top) +
                      "&after=" + std::to_string(ids.back());
  }
  write_json(call.res, 200, out);
  return Status::ok();
}

Status compile(Call& call) {
  UPSYNC_RETURN_IF_ERROR(only_params(call, {}));
  UPSYNC_ASSIGN_OR_RETURN(auto audiences, audience_store(call));
  UPSYNC_ASSIGN_OR_RETURN(Audience a, audience_in_path(call, *audiences));
  UPSYNC_RETURN_IF_ERROR(call.store.in_transaction([&]() -> Status {
    UPSYNC_RETURN_IF_ERROR(call.store.take_tenant_turn(call.tenant.id));
    return compile_audience(call.store, call.tenant, a).status();
  }));
  UPSYNC_ASSIGN_OR_RETURN(Audience after, audience_in_path(call, *audiences));
  write_json(call.res, 200, audience_json(after));
  return Status::ok();
}

Status remove(Call& call) {
  UPSYNC_RETURN_IF_ERROR(only_params(call, {}));
  UPSYNC_ASSIGN_OR_RETURN(auto audiences, audience_store(call));
  UPSYNC_ASSIGN_OR_RETURN(Audience a, audience_in_path(call, *audiences));
  UPSYNC_RETURN_IF_ERROR(audiences->remove(call.tenant.id, a.id).status());
  call.res.status = 204;
  return Status::ok();
}

Status get_hybrid(Call& call) {
  UPSYNC_RETURN_IF_ERROR(only_params(call, {}));
  UPSYNC_RETURN_IF_ERROR(require_server_tenant(call.tenant));
  UPSYNC_ASSIGN_OR_RETURN(auto hybrid, open_hybrid_store(call.store));
  UPSYNC_ASSIGN_OR_RETURN(auto s, hybrid->get(call.tenant.id));
  write_json(call.res, 200, hybrid_settings_json(call.tenant, s));
  return Status::ok();
}

Status put_hybrid(Call& call) {
  UPSYNC_RETURN_IF_ERROR(only_params(call, {}));
  UPSYNC_RETURN_IF_ERROR(require_server_tenant(call.tenant));
  UPSYNC_ASSIGN_OR_RETURN(nlohmann::json body, json_body(call.req));
  const char* kShape =
      "request body: expected {\"onlineUrl\": \"https://...\", \"audience\": name | null}";
  if (!body.is_object() || !body.contains("onlineUrl") || !body["onlineUrl"].is_string()) {
    return invalid_argument(kShape);
  }
  std::optional<std::string> audience;
  for (const auto& [key, value] : body.items()) {
    if (key == "onlineUrl") continue;
    if (key != "audience") {
      return invalid_argument("request body: unknown member '" + quote_for_message(key, 40) +
                              "' (expected onlineUrl, audience)");
    }
    if (value.is_string()) {
      audience = value.get<std::string>();
    } else if (!value.is_null()) {
      return invalid_argument("request body: 'audience' must be an audience's name or null");
    }
  }
  std::optional<std::string_view> audience_view;
  if (audience) audience_view = *audience;
  UPSYNC_ASSIGN_OR_RETURN(HybridSettings s,
                          set_hybrid_settings(call.store, call.tenant,
                                              body["onlineUrl"].get<std::string>(), audience_view));
  write_json(call.res, 200, hybrid_settings_json(call.tenant, s));
  return Status::ok();
}

Status clear_hybrid(Call& call) {
  UPSYNC_RETURN_IF_ERROR(only_params(call, {}));
  UPSYNC_RETURN_IF_ERROR(require_server_tenant(call.tenant));
  UPSYNC_ASSIGN_OR_RETURN(auto hybrid, open_hybrid_store(call.store));
  UPSYNC_RETURN_IF_ERROR(hybrid->clear(call.tenant.id).status());
  call.res.status = 204;
  return Status::ok();
}

const AdminRoute kAudienceRoutes[] = {
    {"GET", "/admin/v1/audiences", "A server tenant's audiences", Who::kTenantManager, 200,
     list_audiences},
    {"POST", "/admin/v1/audiences",
     "Define an audience ({\"name\", \"match\": all|any, \"rules\": [{\"kind\": memberOf|"
     "propertyEquals|propertyContains|reportsUnder, ...}]}); compiled at once",
     Who::kTenantManager, 201, add},
    {"GET", "/admin/v1/audiences/{name}", "One audience, by name or id", Who::kTenantManager, 200,
     show},
    {"GET", "/admin/v1/audiences/{name}/members", "An audience's members (?top=N&after=ID)",
     Who::kTenantManager, 200, members},
    {"POST", "/admin/v1/audiences/{name}/compile", "Compile an audience from every profile now",
     Who::kTenantManager, 200, compile},
    {"DELETE", "/admin/v1/audiences/{name}", "Remove an audience and its membership",
     Who::kTenantManager, 204, remove},
    {"GET", "/admin/v1/hybrid", "The hybrid settings: the online tenant's URL and audience",
     Who::kTenantManager, 200, get_hybrid},
    {"PUT", "/admin/v1/hybrid",
     "Send hybrid users' profiles online ({\"onlineUrl\", \"audience\": name | null})",
     Who::kTenantManager, 200, put_hybrid},
    {"DELETE", "/admin/v1/hybrid", "No hybrid users: every profile stays here", Who::kTenantManager,
     204, clear_hybrid},
};

}  // namespace

std::span<const AdminRoute> admin_audience_routes() { return kAudienceRoutes; }

}  // namespace upsync
