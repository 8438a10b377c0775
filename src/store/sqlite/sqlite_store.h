// SqliteStore: the embedded Store backend, one SQLite database in WAL mode.
//
// The schema is versioned with PRAGMA user_version; open() applies pending migrations in
// one transaction and refuses, untouched, a file that is corrupt or was written by a newer
// upsync. See store/store.h for the contract.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <unordered_map>

#include "store/common/read_cache.h"
#include "store/sqlite/sqlite_db.h"
#include "store/store.h"

namespace upsync {

class SqliteStore : public Store {
 public:
  // The schema version this build writes.
  static int current_schema_version();

  static Result<std::unique_ptr<SqliteStore>> open(const std::string& path, bool create);

  Status in_transaction(const std::function<Status()>& body) override;
  // With a page cache of kBulkCacheKiB while it runs (SqliteDb::larger_cache), and no
  // savepoints inside.
  Status in_bulk_transaction(const std::function<Status()>& body) override;
  static constexpr int64_t kBulkCacheKiB = 256 * 1024;
  Status read_snapshot(const std::function<Status()>& body) override;

  Result<std::shared_ptr<const std::string>> kept_text(std::string_view key) override;
  Status keep_text(std::string_view key, std::shared_ptr<const std::string> text) override;

  Result<Tenant> create_tenant(const NewTenant& t) override;
  Result<Tenant> tenant(std::string_view name) override;
  Result<std::vector<Tenant>> tenants() override;

  Result<ProfileSchema> schema(TenantId tenant) override;
  Result<std::shared_ptr<const ProfileSchema>> shared_schema(TenantId tenant) override;
  Result<PropertyDefinition> add_custom_property(TenantId tenant,
                                                 const PropertyDefinition& def) override;
  Status remove_custom_property(TenantId tenant, std::string_view name) override;
  Status set_property_policy(TenantId tenant, std::string_view name,
                             const PropertyPolicy& policy) override;
  Result<PropertyDefinition> update_custom_property(TenantId tenant, std::string_view name,
                                                    const PropertyUpdate& update) override;

  Result<Profile> create_profile(TenantId tenant, std::string_view account_name,
                                 std::span<const PropertyChange> initial) override;
  Result<Profile> profile(TenantId tenant, const ProfileKey& key) override;
  Result<std::optional<Profile>> find_profile(TenantId tenant, const ProfileKey& key) override;
  Result<std::vector<Profile>> find_profiles(TenantId tenant, ProfileKeyKind kind,
                                             std::span<const std::string> values) override;
  Result<Profile> update_profile(TenantId tenant, ProfileId id,
                                 std::span<const PropertyChange> changes) override;
  Result<Profile> update_read_profile(TenantId tenant, const Profile& current,
                                      std::span<const PropertyChange> changes) override;
  Status delete_profile(TenantId tenant, ProfileId id) override;
  Result<ProfilePage> list_profiles(TenantId tenant, const ProfileQuery& query) override;
  Result<std::map<std::string, Privacy>> privacy_choices(TenantId tenant,
                                                         ProfileId profile) override;
  Status set_privacy_choice(TenantId tenant, ProfileId profile, std::string_view property,
                            std::optional<Privacy> privacy) override;
  Result<std::vector<std::vector<std::string>>> direct_reports(
      TenantId tenant, std::span<const std::string> managers) override;
  Result<int64_t> count_profiles(TenantId tenant) override;

  Result<std::vector<Change>> changes_after(TenantId tenant, std::string_view feed,
                                            int64_t after_seq, int limit) override;
  Result<int64_t> count_changes_after(TenantId tenant, std::string_view feed,
                                      int64_t after_seq) override;
  Result<int64_t> last_seq(TenantId tenant) override;
  Result<int64_t> cursor(TenantId tenant, std::string_view name) override;
  Status set_cursor(TenantId tenant, std::string_view name, int64_t seq) override;
  Result<std::optional<std::string>> source_state(TenantId tenant, std::string_view name) override;
  Status set_source_state(TenantId tenant, std::string_view name, std::string_view value) override;

  // Storage interfaces, each defined in the file that implements it (sqlite_directory.cpp, ...).
  Result<std::unique_ptr<DirectoryStore>> directory_store() override;
  Result<std::unique_ptr<JobStore>> job_store() override;
  Result<std::unique_ptr<ProfileBatchWriter>> profile_batch_writer() override;
  Result<std::unique_ptr<CredentialStore>> credential_store() override;
  Result<std::unique_ptr<SiteUserStore>> site_user_store() override;
  Result<std::unique_ptr<SitePermissionStore>> site_permission_store() override;
  Result<std::unique_ptr<ConnectorStore>> connector_store() override;
  Result<std::unique_ptr<MappingStore>> mapping_store() override;
  Result<std::unique_ptr<ScheduleStore>> schedule_store() override;
  Result<std::unique_ptr<SyncRunStore>> sync_run_store() override;
  Result<std::unique_ptr<PeopleSearchStore>> people_search_store() override;
  Result<std::unique_ptr<FollowingStore>> following_store() override;
  Result<std::unique_ptr<SignInStore>> sign_in_store() override;
  Result<std::unique_ptr<AudienceStore>> audience_store() override;
  Result<std::unique_ptr<HybridStore>> hybrid_store() override;
  Result<std::unique_ptr<LeaseStore>> lease_store() override;

  // What the last changes_after() cost, read from SQLite's statement counters: the number of
  // virtual-machine steps, and the rows stepped through by full scans (0 when every table
  // access used an index). Tests use it to show that a feed read is O(returned rows).
  struct ReadCost {
    int64_t vm_steps = 0;
    int64_t fullscan_steps = 0;
    std::string query_plan;  // EXPLAIN QUERY PLAN of the feed read
  };
  ReadCost last_feed_read_cost() const { return last_feed_read_cost_; }

  // Takes the next sequence number of `tenant` and records a change under it. Backend
  // internals for other subsystems of this backend; call inside a transaction.
  Result<int64_t> record_change(TenantId tenant, std::string_view feed, std::string_view object_id,
                                ChangeOp op);

  // The tenant's next change-feed sequence number, and the entry recorded under it: the two
  // halves of record_change() for writers that batch (call inside a transaction; the counter
  // is written back to the tenants table at commit).
  Result<int64_t> next_seq(TenantId tenant);
  Status append_change(TenantId tenant, std::string_view feed, int64_t seq,
                       std::string_view object_id, ChangeOp op, std::string_view at);

  SqliteDb& db() { return *db_; }
  // Writes a profile's custom properties (packed as profile_codec) to its row in
  // profile_custom, with the sequence and time of the change; empty `props` deletes the row.
  Status write_custom_row(ProfileId id, std::string_view props, int64_t seq,
                          std::string_view updated_at);

  // The people search index (sites/people_search.h, sqlite_people_search.cpp), kept in the
  // transactions of the writes it follows: a profile's entry rewritten (or dropped), a
  // directory-store group's, and the whole index rebuilt by the migration that adds it.
  // `created`: the profile was just created (its entry is not looked for first).
  Status index_profile(TenantId tenant, const Profile& profile, bool created);
  Status unindex_profile(TenantId tenant, ProfileId id);
  Status index_group(TenantId tenant, std::string_view object_id, std::string_view display_name,
                     std::string_view mail, bool security_enabled);
  Status unindex_group(TenantId tenant, std::string_view object_id);
  Status rebuild_people_search();
  // The connection's read cache (store/common/read_cache.h) when this read may use it: inside a
  // read snapshot and outside any write transaction; nullptr otherwise. Checked against the
  // database once per snapshot.
  Result<ReadCache*> read_cache();

  // Deletes a profile's follows, both ways (sqlite_following.cpp).
  Status delete_follows_of(TenantId tenant, ProfileId id);
  // Drops a deleted profile from its audiences (sqlite_audiences.cpp).
  Status delete_audience_memberships_of(TenantId tenant, ProfileId id);

 private:
  explicit SqliteStore(std::unique_ptr<SqliteDb> db) : db_(std::move(db)) {}
  Status migrate();
  // Writes the sequence counters taken in this transaction back to the tenants table.
  Status flush_sequences();
  Status check_tenant(TenantId tenant);
  // update_custom_property's steps (sqlite_property_update.cpp): `condition` is the selected
  // aggregate over the property's stored values (json_each rows `j` of profile_custom `c`).
  Result<int64_t> count_custom_values(TenantId tenant, std::string_view name,
                                      std::string_view condition);
  Status check_property_update(TenantId tenant, const PropertyDefinition& now,
                               const PropertyDefinition& next);
  Result<const ProfileSchema*> cached_schema(TenantId tenant);
  Result<std::unordered_map<std::string, PropertyPolicy>> read_property_policies(TenantId tenant);
  Result<Profile> read_profile_row(SqliteStatement& s, int first_col);
  Result<Profile> write_profile(TenantId tenant, std::optional<Profile> existing,
                                std::string_view account_name,
                                std::span<const PropertyChange> changes);

  std::unique_ptr<SqliteDb> db_;
  int tx_depth_ = 0;
  bool bulk_ = false;                             // the outermost transaction is a bulk one
  std::unordered_map<TenantId, int64_t> tx_seq_;  // tenant → last sequence taken in this tx
  int64_t schema_cache_data_version_ = -1;
  bool schema_checked_in_tx_ = false;  // the schema cache was checked in this transaction
  std::unordered_map<TenantId, std::shared_ptr<const ProfileSchema>> schema_cache_;
  ReadCost last_feed_read_cost_;
  ReadCache read_cache_;
  uint64_t read_cache_snapshot_ = 0;  // the snapshot read_cache_ was last checked in
};

// The query the SQLite DirectoryStore runs for live cloud users by a key: "id",
// "userPrincipalName", "mail" (cloud_users_with) or "manager" (cloud_direct_reports); ?1 is
// the tenant, ?2 a JSON array of lower-cased values. Exposed for the test of its query plan.
std::string cloud_users_sql(std::string_view key);
// SqliteDirectoryStore's SQL for users_with_ids ("object_id") and users_with_anchors
// ("source_anchor"): ?1 the tenant, ?2 the layer, ?3 a JSON array of the values.
std::string users_in_sql(std::string_view column);

}  // namespace upsync
