// The admin API's directory sync calls beyond the run history (admin_routes.h), for the sync
// page and any admin client:
//   GET  /admin/v1/sync/connector        the tenant's connector: {"name", "toml"} (404: none)
//   PUT  /admin/v1/sync/connector        {"name"?, "toml"}: checked (line and column of a TOML
//                                        error, or the key that is wrong), then kept
//   POST /admin/v1/sync/connector/test   connects and binds with the stored connector
//   GET  /admin/v1/sync/progress         the run in progress, stage by stage, or none
// Connection keys belong to the server's operator: a document sent here may not name a
// password_file or password_env other than the stored one (they read files and variables of
// the server's machine), and once the connector has a password its url, start_tls and bind_dn
// stay as stored (else the password would go to another server or account). The CLI
// (`upsync connector set`) changes them.
#pragma once

#include <functional>

#include "http/router.h"
#include "sync/pipeline.h"

namespace upsync {

Status admin_get_connector(Call& call);
Status admin_put_connector(Call& call);
Status admin_test_connector(Call& call);
Status admin_sync_progress(Call& call);

// While a run of `tenant` started through the admin API runs: its SyncOptions::progress,
// which GET /admin/v1/sync/progress shows. end_live_sync() when it has ended.
std::function<void(const SyncProgress&)> begin_live_sync(TenantId tenant, bool dry_run);
void end_live_sync(TenantId tenant);

// Runs `work`, which waits on the directory server (a sync run, a connection test), on the
// server's directory pool and answers when it ends (answer_later.h); a full pool answers 503.
Status on_directory_pool(Call& call, std::function<Status(Call&)> work);

}  // namespace upsync
