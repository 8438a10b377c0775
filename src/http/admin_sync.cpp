#include "http/admin_sync.h"

#include <map>
#include <mutex>

#include "core/clock.h"
#include "core/text.h"
#include "directory/ldap_source.h"
#include "http/answer_later.h"
#include "sync/connector.h"

namespace upsync {

namespace {

// The runs in progress, by tenant: what each stage has done of how much. A run answers its
// POST only when it ends, so a page polls this while it waits.
struct LiveSync {
  std::string started_at;
  bool dry_run = false;
  struct Stage {
    std::string stage;  // a copy: SyncProgress::stage lives only during the call
    int64_t done = 0;
    int64_t total = 0;
  };
  std::vector<Stage> stages;  // in the order they started
};

std::mutex live_mutex;
std::map<TenantId, LiveSync> live_runs;

nlohmann::json connector_json(const Connector& c) { return {{"name", c.name}, {"toml", c.toml}}; }

Result<std::optional<Connector>> stored_connector(Call& call) {
  UPSYNC_ASSIGN_OR_RETURN(auto connectors, open_connector_store(call.store));
  UPSYNC_ASSIGN_OR_RETURN(auto all, connectors->list(call.tenant.id));
  if (all.empty()) return std::optional<Connector>();
  return std::optional<Connector>(std::move(all.front()));
}

bool has_password(const Connector& c) {
  return !c.password_file.empty() || !c.password_env.empty();
}

// See the header: the keys that read the server's machine or carry its stored password.
Status check_connection_keys(const std::optional<Connector>& stored, const Connector& next) {
  const bool same_password_source = stored && stored->password_file == next.password_file &&
                                    stored->password_env == next.password_env;
  if (has_password(next) && !same_password_source) {
    return permission_denied(
        "connector: password_file and password_env name a file or an environment variable of "
        "the server's machine; only its operator sets them (upsync connector set)");
  }
  if (stored && has_password(*stored) &&
      (stored->ldap.url != next.ldap.url || stored->ldap.bind_dn != next.ldap.bind_dn ||
       stored->ldap.start_tls != next.ldap.start_tls || !same_password_source)) {
    return permission_denied(
        "connector: url, start_tls, bind_dn and the password source stay as the operator set "
        "them while the connector has a password (it would go to another server or account); "
        "change them with upsync connector set");
  }
  return Status::ok();
}

Status test_connector_now(Call& call) {
  UPSYNC_ASSIGN_OR_RETURN(auto stored, stored_connector(call));
  if (!stored) return not_found("tenant '" + call.tenant.name + "' has no connector to test");
  UPSYNC_ASSIGN_OR_RETURN(LdapSourceConfig config, connector_ldap_config(*stored));
  UPSYNC_ASSIGN_OR_RETURN(auto source, LdapSource::connect(config));
  UPSYNC_ASSIGN_OR_RETURN(LdapServerInfo info, source->server_info());
  write_json(call.res, 200,
             {{"connected", true},
              {"url", config.url},
              {"bindDn", config.bind_dn},
              {"syncrepl", info.syncrepl},
              {"openldap", info.openldap}});
  return Status::ok();
}

}  // namespace

Status admin_get_connector(Call& call) {
  UPSYNC_ASSIGN_OR_RETURN(auto stored, stored_connector(call));
  if (!stored) return not_found("tenant '" + call.tenant.name + "' has no connector");
  write_json(call.res, 200, connector_json(*stored));
  return Status::ok();
}

Status admin_put_connector(Call& call) {
  UPSYNC_ASSIGN_OR_RETURN(nlohmann::json body, json_body(call.req));
  if (!body.is_object() || !body.contains("toml") || !body["toml"].is_string()) {
    return invalid_argument(
        "request body: 'toml' (a string, the connector's TOML document) is required");
  }
  for (const auto& [key, value] : body.items()) {
    if (key != "toml" && key != "name") {
      return invalid_argument("request body: unknown field '" + quote_for_message(key, 40) +
                              "' (a connector takes 'name' and 'toml')");
    }
  }
  // A tenant has one connector: the check of what is stored and the write that follows it go
  // in the tenant's turn, or two first PUTs of different names would both add one.
  Connector next;
  UPSYNC_RETURN_IF_ERROR(call.store.in_tenant_turn(call.tenant.id, [&]() -> Status {
    UPSYNC_ASSIGN_OR_RETURN(auto stored, stored_connector(call));
    std::string name = stored ? stored->name : "directory";
    if (body.contains("name")) {
      if (!body["name"].is_string()) {
        return invalid_argument("request body: 'name' must be a string");
      }
      name = body["name"].get<std::string>();
    }
    if (stored && ascii_lower(name) != ascii_lower(stored->name)) {
      return invalid_argument("request body: 'name': the tenant's connector is '" + stored->name +
                              "'; a tenant has one connector");
    }
    UPSYNC_RETURN_IF_ERROR(check_connector_name(name));
    UPSYNC_ASSIGN_OR_RETURN(next, parse_connector(name, body["toml"].get<std::string>()));
    UPSYNC_RETURN_IF_ERROR(check_connection_keys(stored, next));
    UPSYNC_ASSIGN_OR_RETURN(auto connectors, open_connector_store(call.store));
    if (stored) {
      UPSYNC_RETURN_IF_ERROR(connectors->replace(call.tenant.id, next));
    } else {
      UPSYNC_RETURN_IF_ERROR(connectors->add(call.tenant.id, next));
    }
    return Status::ok();
  }));
  write_json(call.res, 200, connector_json(next));
  return Status::ok();
}

Status on_directory_pool(Call& call, std::function<Status(Call&)> work) {
  return answer_on_pool(call, *call.server.directory_pool, std::move(work),
                        [](const HttpRequest& req, HttpResponse& busy) {
                          write_error(req, busy, Surface::kAdmin,
                                      unavailable("the server is busy with other directory "
                                                  "work (sync runs, connection tests); retry "
                                                  "after 1 second"));
                        });
}

Status admin_test_connector(Call& call) {
  UPSYNC_ASSIGN_OR_RETURN(nlohmann::json body, json_body(call.req));
  if (!body.is_null() && !(body.is_object() && body.empty())) {
    return invalid_argument(
        "request body: the test takes no fields (it uses the stored connector)");
  }
  // Connecting may wait for the server's timeout: on the directory pool.
  return on_directory_pool(call, test_connector_now);
}

Status admin_sync_progress(Call& call) {
  std::lock_guard lock(live_mutex);
  auto it = live_runs.find(call.tenant.id);
  if (it == live_runs.end()) {
    write_json(call.res, 200, {{"running", false}});
    return Status::ok();
  }
  nlohmann::json stages = nlohmann::json::array();
  for (const LiveSync::Stage& p : it->second.stages) {
    stages.push_back({{"stage", p.stage}, {"done", p.done}, {"total", p.total}});
  }
  write_json(call.res, 200,
             {{"running", true},
              {"startedAt", it->second.started_at},
              {"dryRun", it->second.dry_run},
              {"stages", stages}});
  return Status::ok();
}

std::function<void(const SyncProgress&)> begin_live_sync(TenantId tenant, bool dry_run) {
  {
    std::lock_guard lock(live_mutex);
    live_runs[tenant] = LiveSync{utc_now_iso(), dry_run, {}};
  }
  return [tenant](const SyncProgress& p) {
    std::lock_guard lock(live_mutex);
    auto& stages = live_runs[tenant].stages;
    for (LiveSync::Stage& s : stages) {
      if (s.stage == p.stage) {
        s.done = p.done;
        s.total = p.total;
        return;
      }
    }
    stages.push_back({std::string(p.stage), p.done, p.total});
  };
}

void end_live_sync(TenantId tenant) {
  std::lock_guard lock(live_mutex);
  live_runs.erase(tenant);
}

}  // namespace upsync
