// Store: where upsync keeps tenants, profile schemas, profiles and their change feeds; one
// connection to the database, used by one thread.
//
// Backends plug in here. A backend is one folder (store/sqlite/, the embedded default) built
// as its own library above the subsystems: it implements Storage (store/storage.h: a
// database, which connect()s Stores), Store (this header), and every storage interface the
// subsystems declare, which its Store hands out (directory_store(), job_store(), ...: see
// "Storage interfaces" below). SQL dialects stay inside the backend; nothing outside its folder
// names it or casts to it. A new backend:
//  1. a folder src/store/NAME/ with a Storage, a Store (all of its methods, the storage
//     interfaces' included: a missing one does not compile) and the interfaces' classes;
//  2. its library in src/CMakeLists.txt, linked into upsync_storage, and one line in
//     kBackends (storage/open_storage.cpp) for its URL scheme;
//  3. one line in backends() of tests/store/backends.h: every storage interface's tests then
//     run on it.
// A new storage interface: declared in its subsystem's header with a forwarder
// open_x_store(Store&) (see sync/scheduler.h), a pure virtual x_store() below, and an override
// in each backend's Store.
//
//   UPSYNC_ASSIGN_OR_RETURN(auto storage, open_storage({.data_dir = "/var/lib/upsync"}));
//   UPSYNC_ASSIGN_OR_RETURN(auto store, storage->connect());
//   auto tenant = store->create_tenant({.name = "contoso"});
//
// Rules every backend keeps:
//  - Nothing crosses tenants: every call names its tenant, and an id from one tenant is
//    unknown in another.
//  - Profile property values are checked against the tenant's schema on every write;
//    nothing unchecked is stored.
//  - Change feed: every write that changes something takes the next sequence number of its
//    tenant, in the same transaction as the write, and records (feed, object, op) under it.
//    Readers ask for "changes after N, up to K" of one feed; that read costs O(K), however
//    large the tenant (an index on (tenant, feed, seq)). Named cursors (a stage name → the
//    last sequence it processed) are kept beside the feed.
//  - A Store object is used by one thread at a time; connect one per thread. Several processes
//    may open the same data (SQLite WAL, or PostgreSQL).
//  - A new database, or an older one, is brought to this build's schema on connect(); a
//    corrupt one or one written by a newer upsync is refused with DataLoss, untouched.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/profile_schema.h"
#include "core/property.h"
#include "core/property_value.h"
#include "core/status.h"
#include "core/tenant.h"

namespace upsync {

// The storage interfaces the subsystems declare, each in its own header; a Store hands out
// one of each over its own connection (see "Storage interfaces" in class Store).
class AudienceStore;        // audiences/audiences.h
class ConnectorStore;       // sync/connector.h
class CredentialStore;      // auth/credentials.h
class DirectoryStore;       // directory/directory_store.h
class FollowingStore;       // sites/following.h
class HybridStore;          // audiences/hybrid.h
class JobStore;             // bulkimport/job.h
class LeaseStore;           // core/lease.h
class MappingStore;         // sync/server_import.h
class PeopleSearchStore;    // sites/people_search.h
class ProfileBatchWriter;   // bulkimport/profile_writer.h
class ScheduleStore;        // sync/scheduler.h
class SitePermissionStore;  // sites/site_permissions.h
class SignInStore;          // auth/sign_in_store.h
class SiteUserStore;        // sites/site_users.h
class SyncRunStore;         // sync/run_history.h

struct NewTenant {
  std::string name;
  TenantKind kind = TenantKind::kOnline;
  bool education = false;
};

using ProfileId = int64_t;

struct Profile {
  ProfileId id = 0;
  std::string account_name;  // claims-encoded, e.g. i:0#.f|membership|bob@contoso.com
  // Canonical property name → values (canonical text, see property_value.h). Only properties
  // that have a value are present. AccountName is among them.
  std::map<std::string, PropertyValues> properties;
  int64_t seq = 0;         // the change-feed sequence of the profile's last change
  std::string updated_at;  // UTC, ISO 8601

  // The values of `name` (case-insensitive), or nullptr.
  const PropertyValues* find(std::string_view name) const;
  // The first value of `name`, or "".
  std::string first(std::string_view name) const;
};

// The ways to find a profile; each has its own index.
enum class ProfileKeyKind {
  kAccountName,    // the claims account name (AccountName)
  kPrincipalName,  // the UPN (SPS-UserPrincipalName): bulk import idType PrincipalName
  kEmail,          // WorkEmail: bulk import idType Email
  kCloudId,        // the directory object id (msOnline-ObjectId): bulk import idType CloudId
  kId,             // upsync's own ProfileId
};
std::string_view profile_key_kind_name(ProfileKeyKind kind);
// The text a unique key of that kind (kAccountName, kCloudId) is stored and compared as: an
// account name's claim in canonical form, lower case; a cloud id in lower case. An account
// name that is not a claim is InvalidArgument.
Result<std::string> unique_profile_key(ProfileKeyKind kind, std::string_view value);
// The keys of each of `values`, for Store::find_profiles: at most
// Store::kMaxProfilesPerQuery of them, else InvalidArgument.
Result<std::vector<std::string>> unique_profile_keys(ProfileKeyKind kind,
                                                     std::span<const std::string> values);

struct ProfileKey {
  ProfileKeyKind kind;
  std::string value;
};

// Setting one property: `values` are raw text, checked against the schema by the store; no
// values (or one empty string for a single-value property) clears it.
struct PropertyChange {
  std::string name;
  std::vector<std::string> values;
};

// A change to a custom property's definition: each member that is set replaces the stored one,
// the others stay as they are. Flags that only steer what upsync does next (display name,
// user-editable, sync to sites) may change at any time; the members the stored values were
// checked against may change only where every stored value still passes (see
// Store::update_custom_property).
struct PropertyUpdate {
  std::optional<std::string> display_name;  // empty means the name, as when it is added
  std::optional<DataType> type;             // accepted only when it is the current type
  std::optional<bool> multi_value;
  std::optional<bool> user_editable;
  std::optional<bool> sync_to_sites;
  std::optional<int> max_length;  // 1 to 1000000 characters, as for a new property
};

// The rules of Store::update_custom_property that every backend keeps alike: whether `next`
// may replace `now`, given the values stored for the property. A backend answers the two
// questions about those values from its own tables; each is asked only when the update needs
// it (a narrower max length, multi-value turned off).
struct StoredValueQueries {
  std::function<Result<int64_t>()> profiles_with_several_values;
  std::function<Result<int64_t>()> longest_value;  // in characters
};
Status check_property_update(const PropertyDefinition& now, const PropertyDefinition& next,
                             const StoredValueQueries& stored);

// The checks of Store::set_privacy_choice before anything is written: the property's canonical
// name, or NotFound / FailedPrecondition (its policy does not let people choose).
Result<std::string> check_privacy_choice(const ProfileSchema& schema, std::string_view property);

// The two halves of Store::direct_reports that do not depend on the backend. ManagerKeys:
// the managers' keys (each a Manager value as the schema normalizes it, in lower case), and
// where each key's reports go in the answer (several places when a manager was asked for
// twice). add() files one row of the answer, given in id order.
class ManagerKeys {
 public:
  static Result<ManagerKeys> of(const ProfileSchema& schema, std::span<const std::string> managers);
  // The keys, each once.
  std::vector<std::string> keys() const;
  void add(const std::string& manager_key, std::string account_name);
  std::vector<std::vector<std::string>> take() { return std::move(reports_); }

 private:
  std::map<std::string, std::vector<size_t>> places_;
  std::vector<std::vector<std::string>> reports_;
};

struct ProfileQuery {
  // Only profiles where `filter_property` has the value `filter_value` (case-sensitive
  // equality with the canonical value; for multi-value properties, any of the values).
  std::optional<std::string> filter_property;
  std::string filter_value;
  ProfileId after_id = 0;  // paging: profiles with a larger id
  int limit = 100;
};

struct ProfilePage {
  std::vector<Profile> profiles;
  std::optional<ProfileId> next_after_id;  // set when more profiles follow
};

enum class ChangeOp { kUpsert = 1, kDelete = 2 };

// One entry of a change feed.
struct Change {
  int64_t seq = 0;
  std::string feed;       // which store the change is in, e.g. kProfilesFeed
  std::string object_id;  // the changed object's id within that feed
  ChangeOp op = ChangeOp::kUpsert;
  std::string changed_at;
};

inline constexpr std::string_view kProfilesFeed = "profiles";

class Store {
 public:
  virtual ~Store() = default;

  // Runs `body` in one transaction: everything it writes commits together, or nothing does
  // when it returns a failure. Calls may nest; only the outermost commits.
  virtual Status in_transaction(const std::function<Status()>& body) = 0;
  // The same for a transaction that writes many rows (a full directory sync): the backend may
  // give it more memory while it runs, and the transactions nested in it are not savepoints of
  // their own: a failed nested write must fail `body`, which then rolls back everything.
  virtual Status in_bulk_transaction(const std::function<Status()>& body) {
    return in_transaction(body);
  }
  // Runs `body` with its reads seeing one committed state (a read transaction), which also
  // spares each read taking the database's read lock: for requests that read many times. A
  // write inside (in_transaction or a single write) ends the snapshot first; the reads after
  // it see the latest state, as outside. Inside a transaction or a snapshot: just runs `body`.
  virtual Status read_snapshot(const std::function<Status()>& body) { return body(); }
  // Inside in_transaction, before the transaction reads what it will decide or change (a check
  // then a write, a read-modify-write): the tenant's other writers wait until this transaction
  // ends, so that its reads see every write committed before it and none commits in between.
  // SQLite's write transactions hold the database's write lock from their start (BEGIN
  // IMMEDIATE): nothing more to do there. PostgreSQL locks the tenant's change counter
  // (store/postgres/pg_store.h); its reads of profiles and directory objects inside a
  // transaction take the turn themselves. Outside a transaction: nothing.
  virtual Status take_tenant_turn(TenantId tenant) {
    (void)tenant;
    return Status::ok();
  }
  // in_transaction with the tenant's turn taken first: for a check then a write, or a
  // read-modify-write, of a storage interface whose reads do not take the turn themselves (site
  // users and permissions, connectors, audiences and hybrid settings, apps...). Without it two
  // PostgreSQL writers can read the same state and one's change is lost, or one fails on a
  // unique index with a raw error instead of the answer it gets alone. The body may run again
  // (a retried transaction): it sets what it returns from the start.
  Status in_tenant_turn(TenantId tenant, const std::function<Status()>& body) {
    return in_transaction([&]() -> Status {
      UPSYNC_RETURN_IF_ERROR(take_tenant_turn(tenant));
      return body();
    });
  }

  // Text made from what the store holds (an answer every caller gets alike), kept under a key
  // that names everything it was made from, for as long as the store can tell that nothing it
  // holds has changed: inside a read snapshot (store/common/read_cache.h). Backends that cannot
  // tell cheaply keep nothing: kept_text() answers nullptr there.
  virtual Result<std::shared_ptr<const std::string>> kept_text(std::string_view key) {
    (void)key;
    return std::shared_ptr<const std::string>();
  }
  virtual Status keep_text(std::string_view key, std::shared_ptr<const std::string> text) {
    (void)key;
    (void)text;
    return Status::ok();
  }

  // Tenants.
  virtual Result<Tenant> create_tenant(const NewTenant& t) = 0;
  virtual Result<Tenant> tenant(std::string_view name) = 0;
  virtual Result<std::vector<Tenant>> tenants() = 0;

  // The tenant's schema: the default catalog and its custom properties.
  virtual Result<ProfileSchema> schema(TenantId tenant) = 0;
  // The same, shared rather than copied: the store's own cached schema where it keeps one (a
  // request reads it several times, and a copy rebuilds every definition).
  virtual Result<std::shared_ptr<const ProfileSchema>> shared_schema(TenantId tenant) {
    UPSYNC_ASSIGN_OR_RETURN(ProfileSchema schema, this->schema(tenant));
    return std::make_shared<const ProfileSchema>(std::move(schema));
  }
  // Changes custom property `name` (case-insensitive) by `update` and returns its definition as
  // stored afterwards; the name, position and taxonomy binding never change. Either the whole
  // update applies, in one transaction with one "schema" change-feed entry (kUpsert, the
  // canonical name) and the tenant's schema as every later call sees it, or nothing does:
  //  - NotFound: the tenant has no property `name`.
  //  - FailedPrecondition: `name` is a catalog property (their definitions are fixed); a type
  //    other than the current one (stored values, import mappings and site copies were made
  //    for its type: remove the property and add it again); multi-value to single-value while
  //    a profile holds more than one value (the message gives how many profiles); a max length
  //    below a stored value's length in characters (the message gives the longest).
  //  - InvalidArgument: a max length outside 1..1000000.
  // Stored values are rewritten to the new form where the multi-value flag changes (one value
  // as a string, several as an array, see profile_codec.h), without a profile change-feed
  // entry: the values themselves are the same. An update that changes nothing still answers
  // the definition and records the entry.
  virtual Result<PropertyDefinition> update_custom_property(TenantId tenant, std::string_view name,
                                                            const PropertyUpdate& update) = 0;
  virtual Result<PropertyDefinition> add_custom_property(TenantId tenant,
                                                         const PropertyDefinition& def) = 0;
  // Refused while a profile of the tenant still has a value for it.
  virtual Status remove_custom_property(TenantId tenant, std::string_view name) = 0;
  // Sets the policy of a property of the schema (catalog or custom; property_policy.h); a
  // property the schema lacks is NotFound. Removing a custom property drops its policy.
  virtual Status set_property_policy(TenantId tenant, std::string_view name,
                                     const PropertyPolicy& policy) = 0;

  // A person's own privacy for their values (SharePoint's "Who can see this?"), where the
  // property's policy lets them choose (PropertyPolicy::user_can_override): canonical property
  // name → their choice, for the properties they chose. Choices outlive a policy that stops
  // allowing them (they are then not applied, http/profile_privacy.h); they go with the
  // profile and with a removed custom property.
  virtual Result<std::map<std::string, Privacy>> privacy_choices(TenantId tenant,
                                                                 ProfileId profile) = 0;
  // Sets (nullopt: clears, back to the policy's default) the owner's choice for `property`.
  // NotFound for an unknown profile or property; FailedPrecondition when the property's policy
  // does not let people choose.
  virtual Status set_privacy_choice(TenantId tenant, ProfileId profile, std::string_view property,
                                    std::optional<Privacy> privacy) = 0;

  // Profiles. `account_name` is claims-encoded; `initial` sets further properties.
  virtual Result<Profile> create_profile(TenantId tenant, std::string_view account_name,
                                         std::span<const PropertyChange> initial) = 0;
  virtual Result<Profile> profile(TenantId tenant, const ProfileKey& key) = 0;
  // The same, with nullopt where profile() is a NotFound (for callers that expect misses:
  // no message is made for them).
  virtual Result<std::optional<Profile>> find_profile(TenantId tenant, const ProfileKey& key) = 0;
  // The profiles whose account name (kAccountName) or cloud id (kCloudId) is one of `values`,
  // in one query (a page of the sync's stage 2 reads ahead with it), in id order; at most
  // kMaxProfilesPerQuery values. Other kinds are InvalidArgument.
  static constexpr size_t kMaxProfilesPerQuery = 5000;
  virtual Result<std::vector<Profile>> find_profiles(TenantId tenant, ProfileKeyKind kind,
                                                     std::span<const std::string> values) = 0;
  // Applies the changes together; a change that sets what is already stored records no
  // change-feed entry. Returns the profile as stored afterwards.
  virtual Result<Profile> update_profile(TenantId tenant, ProfileId id,
                                         std::span<const PropertyChange> changes) = 0;
  // The same for `current`, the profile as the caller read it inside the transaction it is
  // in now (so that it cannot have changed since): it is not read again.
  virtual Result<Profile> update_read_profile(TenantId tenant, const Profile& current,
                                              std::span<const PropertyChange> changes) = 0;
  virtual Status delete_profile(TenantId tenant, ProfileId id) = 0;
  virtual Result<ProfilePage> list_profiles(TenantId tenant, const ProfileQuery& query) = 0;
  // The account names of each manager's direct reports, the profiles whose Manager is that
  // account (compared without case), in id order, as list_profiles with a Manager filter lists
  // them: one list per entry of `managers`, in their order, from one query. At most
  // kMaxManagersPerQuery managers. An org chart is read a level at a time this way.
  static constexpr size_t kMaxManagersPerQuery = 1000;
  virtual Result<std::vector<std::vector<std::string>>> direct_reports(
      TenantId tenant, std::span<const std::string> managers) = 0;
  virtual Result<int64_t> count_profiles(TenantId tenant) = 0;

  // Change feeds and cursors.
  virtual Result<std::vector<Change>> changes_after(TenantId tenant, std::string_view feed,
                                                    int64_t after_seq, int limit) = 0;
  // How many entries of `feed` come after `after_seq`.
  virtual Result<int64_t> count_changes_after(TenantId tenant, std::string_view feed,
                                              int64_t after_seq) = 0;
  virtual Result<int64_t> last_seq(TenantId tenant) = 0;
  // 0 for a cursor never set.
  virtual Result<int64_t> cursor(TenantId tenant, std::string_view name) = 0;
  virtual Status set_cursor(TenantId tenant, std::string_view name, int64_t seq) = 0;

  // Where a connector's last read of an on-premises source ended (an RFC 4533 cookie, a
  // high-water mark), by source name; nullopt for a source never read. Written in the same
  // transaction as what the read brought, so a killed run repeats rather than loses changes.
  virtual Result<std::optional<std::string>> source_state(TenantId tenant,
                                                          std::string_view name) = 0;
  virtual Status set_source_state(TenantId tenant, std::string_view name,
                                  std::string_view value) = 0;

  // Storage interfaces: each call makes a new object that works over this Store's connection,
  // so that its writes join this Store's transactions (in_transaction covers a profile write
  // and a directory write together). It must not outlive this Store. Subsystems reach them
  // through their own open_*_store(Store&) (one-line forwarders in their headers).
  virtual Result<std::unique_ptr<DirectoryStore>> directory_store() = 0;
  virtual Result<std::unique_ptr<JobStore>> job_store() = 0;
  virtual Result<std::unique_ptr<ProfileBatchWriter>> profile_batch_writer() = 0;
  virtual Result<std::unique_ptr<CredentialStore>> credential_store() = 0;
  virtual Result<std::unique_ptr<SiteUserStore>> site_user_store() = 0;
  virtual Result<std::unique_ptr<SitePermissionStore>> site_permission_store() = 0;
  virtual Result<std::unique_ptr<ConnectorStore>> connector_store() = 0;
  virtual Result<std::unique_ptr<MappingStore>> mapping_store() = 0;
  virtual Result<std::unique_ptr<ScheduleStore>> schedule_store() = 0;
  virtual Result<std::unique_ptr<SyncRunStore>> sync_run_store() = 0;
  virtual Result<std::unique_ptr<PeopleSearchStore>> people_search_store() = 0;
  virtual Result<std::unique_ptr<FollowingStore>> following_store() = 0;
  virtual Result<std::unique_ptr<SignInStore>> sign_in_store() = 0;
  virtual Result<std::unique_ptr<AudienceStore>> audience_store() = 0;
  virtual Result<std::unique_ptr<HybridStore>> hybrid_store() = 0;
  virtual Result<std::unique_ptr<LeaseStore>> lease_store() = 0;
};

}  // namespace upsync
