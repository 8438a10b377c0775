// PgStore: the PostgreSQL Store backend, one connection (a PgDb) from its Storage's pool.
// See store/store.h for the contract and pg_schema.h for the schema and its versions.
//
// The change feed that no reader can skip. With several writers on one database, a feed
// whose numbers are handed out before commit (a SEQUENCE) lets a reader see N+1 committed
// while N is still in flight; the reader moves its cursor past N and never sees it. Here the
// order of numbers is the order of commits, per tenant: a transaction takes its tenant's first
// number by locking the tenant's row (SELECT last_seq ... FOR NO KEY UPDATE), hands out the
// next ones from memory, and writes the last back just before COMMIT, which releases the lock.
// The next writer of that tenant waits for the lock, so it can take N+1 only after N's
// transaction has committed (PostgreSQL makes a commit visible before it releases its
// locks) or rolled back (then it takes N again: the feed has no gaps). A reader whose
// snapshot shows N+1 therefore shows every number below it, and reading "after my cursor" in
// order misses nothing.
// Why this and not the others: a visibility horizon (pg_snapshot_xmin) would let writers run
// in parallel but needs a commit-ordered key beside seq, as rows are numbered before commit;
// a single feed-writer process would add a hop and a queue to every write. Writers of one
// tenant already take turns on SQLite; here they take turns from their first change, or from
// the read of what they are about to change (take_tenant_turn), to their commit, and writers
// of different tenants never wait for each other. The FOR NO KEY UPDATE lock does not conflict
// with the KEY SHARE lock that inserts referencing the tenant take, so a writer that inserts
// before it numbers its change cannot deadlock with another.
//
// Runs. A feed entry is a row of change_feed, or one of the entries of a row of
// change_feed_runs: changes numbered in a row (next_seqs()) with one operation and time, the
// run's object ids in one array. The bulk import writes each batch's entries as one run
// (append_change_run()): inserting 5,000 rows of change_feed per batch, each with its index
// entry, took about a third of the server's time of an import; the run is one row. Readers
// (changes_after, count_changes_after) see the same entries either way, in order of number;
// changes_after reads a run's ids only up to the last entry it can answer with.
//
// For the other storage interfaces of this backend (pg_*.cpp): write under in_transaction,
// number each change with record_change() (or next_seq() and append_change() for batches),
// and run a statement whose failure you turn into a message in a nested in_transaction (see
// pg_db.h: a failed statement aborts the transaction up to its savepoint).
#pragma once

#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <unordered_map>
#include <vector>

#include "store/common/read_cache.h"
#include "store/postgres/pg_db.h"
#include "store/store.h"

namespace upsync {

class PgPool;  // pg_storage.h

class PgStore : public Store {
 public:
  // A Store over `db`, which goes back to `pool` when the Store goes.
  PgStore(std::shared_ptr<PgPool> pool, std::unique_ptr<PgDb> db);
  ~PgStore() override;

  Status in_transaction(const std::function<Status()>& body) override;
  // No savepoints inside (PgDb::in_bulk_transaction).
  Status in_bulk_transaction(const std::function<Status()>& body) override;
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

  // Storage interfaces, each in its own pg_*.cpp.
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

  // Takes the next sequence number of `tenant` and records a change under it. Call inside a
  // transaction.
  Result<int64_t> record_change(TenantId tenant, std::string_view feed, std::string_view object_id,
                                ChangeOp op);
  // The two halves of record_change() for writers that batch: the tenant's next number (the
  // first call in a transaction locks the tenant's counter until it ends; see the top), and
  // the entry recorded under it.
  Result<int64_t> next_seq(TenantId tenant);
  // The tenant's turn to write, taken before a write transaction reads what it will change:
  // inside in_transaction, locks the tenant's counter as next_seq's first call does (nothing
  // when this transaction holds it already, or outside a transaction). A write computed from
  // an earlier read (a profile's properties, a directory object's attributes) must not follow
  // a read made before another writer of the tenant committed, or it would write over that
  // writer's change: the read-modify-write paths of this backend call this before they read,
  // as SQLite's BEGIN IMMEDIATE makes every writer wait before it reads.
  Status take_tenant_turn(TenantId tenant) override;
  // The tenant's last number when this transaction took its turn; nullopt when it has not.
  std::optional<int64_t> tenant_turn_taken_at(TenantId tenant) const;
  Status append_change(TenantId tenant, std::string_view feed, int64_t seq,
                       std::string_view object_id, ChangeOp op, std::string_view at);
  // The objects of the entries on `feed` numbered after `after_seq` up to `upto_seq`, in
  // either form (see the top), in no order, one per entry: what changed between two numbers,
  // without the entries' order that changes_after pays a sort for.
  Result<std::vector<std::string>> objects_changed_between(TenantId tenant, std::string_view feed,
                                                           int64_t after_seq, int64_t upto_seq);
  // `n` (at least 1) numbers in a row of the tenant, as n calls of next_seq() would take them;
  // the first of them.
  Result<int64_t> next_seqs(TenantId tenant, int64_t n);
  // The entries numbered first_seq, first_seq + 1, ... for object_ids in order (numbers taken
  // by next_seqs()), all with `op` at `at`, as one run (see the top).
  Status append_change_run(TenantId tenant, std::string_view feed, int64_t first_seq,
                           const std::vector<std::string>& object_ids, ChangeOp op,
                           std::string_view at);

  PgDb& db() { return *db_; }
  // NotFound unless `tenant` exists.
  Status check_tenant(TenantId tenant);
  // The tenant's schema, cached per connection and checked against the tenant's schema
  // generation (tenants.schema_gen) once per transaction, or per call outside one.
  Result<const ProfileSchema*> cached_schema(TenantId tenant);
  // The tenant's schema generation as a read of this transaction or snapshot saw it.
  void schema_generation_seen(TenantId tenant, int64_t generation);
  // The connection's read cache (store/common/read_cache.h) when this read may use it: inside
  // a read snapshot and outside any transaction; nullptr otherwise. Checked against the
  // snapshot (pg_current_snapshot()) once per read snapshot: by tenant(), which a request
  // reads first, in the same statement, or else by a statement of its own.
  Result<ReadCache*> read_cache();
  // Writes a profile's custom properties (packed as profile_codec) to its row in
  // profile_custom, with the sequence and time of the change; empty `props` deletes the row.
  Status write_custom_row(ProfileId id, std::string_view props, int64_t seq,
                          std::string_view updated_at);

  // The people search index, kept in the transactions of the writes it follows
  // (pg_people_index.cpp): a profile's entry rewritten (or dropped), a directory-store
  // group's. `created`: the profile was just created (its entry is not looked for first).
  Status index_profile(TenantId tenant, const Profile& profile, bool created);
  Status unindex_profile(TenantId tenant, ProfileId id);
  Status index_group(TenantId tenant, std::string_view object_id, std::string_view display_name,
                     std::string_view mail, bool security_enabled);
  Status unindex_group(TenantId tenant, std::string_view object_id);
  // The people search index made again from every profile and directory-store group (after a
  // migration that changed what is tokenized).
  Status rebuild_people_search();
  // Deletes a profile's follows, both ways.
  Status delete_follows_of(TenantId tenant, ProfileId id);
  // Drops a deleted profile from its audiences (pg_audiences.cpp).
  Status delete_audience_memberships_of(TenantId tenant, ProfileId id);

 private:
  // Bumps the tenant's schema generation (tenants.schema_gen), which locks its row until the
  // transaction ends and makes every connection's cached schema of it stale. NotFound for an
  // unknown tenant.
  Status bump_schema_generation(TenantId tenant);
  Result<std::unordered_map<std::string, PropertyPolicy>> read_property_policies(TenantId tenant);
  // update_custom_property's steps (pg_property_update.cpp): `aggregate` is the selected
  // aggregate over the property's stored values (rows `v` of the values of profile_custom `c`).
  Result<int64_t> aggregate_custom_values(TenantId tenant, std::string_view name,
                                          std::string_view aggregate);
  Status check_property_update(TenantId tenant, const PropertyDefinition& now,
                               const PropertyDefinition& next);
  // The hooks PgDb calls around the outermost transaction's end.
  Status before_commit();
  void after_end(bool committed);
  Result<Profile> write_profile(TenantId tenant, std::optional<Profile> existing,
                                std::string_view account_name,
                                std::span<const PropertyChange> changes);
  // The same inside the transaction the caller has open (no savepoint of its own).
  Result<Profile> write_profile_now(TenantId tenant, const std::optional<Profile>& existing,
                                    std::string_view account_name,
                                    std::span<const PropertyChange> changes);

  // The id of a profile created in a bulk transaction, from reserved_ids_ (refilled by a
  // block of the identity's numbers when empty).
  Result<ProfileId> reserved_profile_id();

  std::shared_ptr<PgPool> pool_;
  std::unique_ptr<PgDb> db_;
  struct TenantTurn {
    int64_t locked_at = 0;  // the tenant's last number when this transaction locked it
    int64_t last = 0;       // the last number this transaction took
  };
  std::unordered_map<TenantId, TenantTurn> tx_turn_;  // tenants this transaction locked
  std::vector<ProfileId> reserved_ids_;  // taken from the profiles' identity, smallest last
  struct CachedSchema {
    int64_t generation = -1;
    std::shared_ptr<const ProfileSchema> schema;
  };
  std::unordered_map<TenantId, CachedSchema> schema_cache_;
  std::set<TenantId> schema_checked_in_tx_;  // tenants whose cache this transaction checked
  // Tenants whose cache a read snapshot checked, with its PgDb::snapshot_number().
  std::map<TenantId, uint64_t> schema_checked_in_snapshot_;
  // Drops the read cache unless `version` (pg_current_snapshot() of this read snapshot) is
  // the one its answers were read at.
  void check_read_cache(std::string_view version);
  ReadCache read_cache_;
  uint64_t read_cache_snapshot_ = 0;  // the PgDb::snapshot_number() read_cache_ was checked in
};

}  // namespace upsync
