// The storage interfaces not yet kept on PostgreSQL: each refuses, naming what it would keep,
// so that a feature that needs one fails with that reason rather than a wrong answer. When an
// interface gets its own pg_*.cpp, its function moves there and leaves this file.
#include "auth/credentials.h"
#include "auth/sign_in_store.h"
#include "bulkimport/job.h"
#include "bulkimport/profile_writer.h"
#include "directory/directory_store.h"
#include "sites/following.h"
#include "sites/people_search.h"
#include "sites/site_permissions.h"
#include "sites/site_users.h"
#include "store/postgres/pg_store.h"
#include "sync/connector.h"
#include "sync/run_history.h"
#include "sync/scheduler.h"
#include "sync/server_import.h"

namespace upsync {

namespace {

Status not_kept(std::string_view what) {
  return failed_precondition("the PostgreSQL backend does not keep " + std::string(what) + " yet");
}

}  // namespace

Result<std::unique_ptr<DirectoryStore>> PgStore::directory_store() {
  return not_kept("the directory (users and groups)");
}

Result<std::unique_ptr<JobStore>> PgStore::job_store() { return not_kept("bulk import jobs"); }

Result<std::unique_ptr<ProfileBatchWriter>> PgStore::profile_batch_writer() {
  return not_kept("bulk import writes");
}

Result<std::unique_ptr<CredentialStore>> PgStore::credential_store() {
  return not_kept("credentials (apps and passwords)");
}

Result<std::unique_ptr<SiteUserStore>> PgStore::site_user_store() {
  return not_kept("site user information lists");
}

Result<std::unique_ptr<SitePermissionStore>> PgStore::site_permission_store() {
  return not_kept("site permissions");
}

Result<std::unique_ptr<ConnectorStore>> PgStore::connector_store() {
  return not_kept("connectors");
}

Result<std::unique_ptr<MappingStore>> PgStore::mapping_store() {
  return not_kept("property mappings");
}

Result<std::unique_ptr<ScheduleStore>> PgStore::schedule_store() {
  return not_kept("sync schedules");
}

Result<std::unique_ptr<SyncRunStore>> PgStore::sync_run_store() {
  return not_kept("the history of sync runs");
}

Result<std::unique_ptr<PeopleSearchStore>> PgStore::people_search_store() {
  return not_kept("the people search");
}

Result<std::unique_ptr<FollowingStore>> PgStore::following_store() { return not_kept("follows"); }

Result<std::unique_ptr<SignInStore>> PgStore::sign_in_store() {
  return not_kept("browser sign-ins");
}

}  // namespace upsync
