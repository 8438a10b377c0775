// The sync pipeline (DESIGN.md §1, seed 002's four steps), one way:
//   stage 0  on-premises entries (LDIF) → cloud directory       attribute flows, source anchors
//   stage 1  cloud directory → directory store                  fixed attribute set
//   stage 2  directory store → user profiles                    seed 002 / seed 003 mappings
//   stage 3  user profiles → site user information lists       "sync to sites" properties
// Stages 1 to 3 read the change feed of the layer before them from a named cursor
// ("sync.stage1", "sync.stage2", "sync.stage3"; stage 1 reads groups from
// "sync.stage1.groups"): a delta run reads only what changed since the last run, a full run
// starts the cursor at 0 and ends in the state a delta run would reach.
// Groups (AD `group`, LDAP `groupOfNames` / `groupOfUniqueNames`) go through stages 0 and 1:
// stage 0 resolves their member DNs to the object ids of the users and groups in scope (a
// member outside it is left out and counted), stage 1 copies them and resolves nested
// membership in the directory store. Profiles (stages 2 and 3) are users only.
//
//   SyncOptions o;  o.dry_run = true;
//   auto report = run_sync(store, tenant, &ldif_records, o);   // writes nothing when dry
#pragma once

#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "core/status.h"
#include "directory/directory_store.h"
#include "directory/ldif.h"
#include "store/store.h"

namespace upsync {

// What a stage did to objects of one kind.
struct ObjectCounts {
  int64_t read = 0;
  int64_t added = 0;
  int64_t updated = 0;
  int64_t deleted = 0;
  int64_t unchanged = 0;
};

struct StageReport {
  std::string stage;
  int64_t read = 0;  // change-feed entries (stages 1-2) or source entries (stage 0) read
  int64_t added = 0;
  int64_t updated = 0;
  int64_t deleted = 0;
  int64_t unchanged = 0;
  std::map<std::string, int64_t> skipped;  // reason → count
  std::vector<std::string> changes;        // one line per changed object (dry-run diffs)
  int64_t changes_omitted = 0;  // lines a run's history left out of `changes` (run_history.h)
  ObjectCounts groups;          // the counts above are users (profiles in stage 2); these groups
  double seconds = 0;           // how long the stage ran (whole milliseconds)
};

// How far a stage is, for a progress bar: users written (stage 0) or change-feed entries
// read (stages 1-3), of how many.
struct SyncProgress {
  std::string_view stage;  // StageReport::stage
  int64_t done = 0;
  int64_t total = 0;
};

struct SyncReport;

struct SyncOptions {
  bool full = false;     // stages 1-3 re-read their whole feed
  bool dry_run = false;  // report what would change, write nothing
  // Stage 0 from a complete export: entries missing from it are deleted, unless more than
  // this many (Azure AD Connect's default safety threshold).
  int deletion_threshold = 500;
  // Run this stage alone (0-3) instead of all four; stage 0 needs a source to read, the
  // others read the change feed of the layer before them from their cursor as usual.
  std::optional<int> only_stage;
  bool license_new_users = true;  // users a connector creates get a license, as by group policy
  // A connector's edits of stage 0's attribute flows: cloud attribute → the directory
  // attribute it flows from instead of the preset's ("" for none). See connector.h.
  std::map<std::string, std::string> attribute_flows;
  // OU scope of stage 0 (distinguished names, compared case-insensitively): when
  // `include_ous` is not empty only entries inside one of them are in scope; entries inside
  // an `exclude_ous` one never are. An entry out of scope is left out of a complete read (so
  // its user is deleted as gone) and counts as deleted in a delta (it moved out).
  std::vector<std::string> include_ous;
  std::vector<std::string> exclude_ous;
  // Called as each stage goes, every few thousand objects and at its end, when the stage
  // has anything to do (e.g. to draw a progress bar on a terminal).
  std::function<void(const SyncProgress&)> progress;
  // Called inside the run's transaction after its last write, just before the commit (never
  // for a dry run), with the report so far: what it writes commits with the run's data or
  // not at all. record_run() (run_history.h) writes the run's history entry there, so that a
  // process killed after the commit still leaves its entry.
  std::function<Status(const SyncReport&)> before_commit;
};

struct SyncReport {
  std::vector<StageReport> stages;
  // How stage 0 read its source ("ldif", "ldap full", "syncrepl delta", "timestamp delta",
  // ...), how many entries of any kind the source sent, and what the reader had to work
  // around (a refused cookie), for the run's report. Empty / 0 without a source.
  std::string source_method;
  int64_t source_entries = 0;
  std::vector<std::string> notes;
};

// Where a streamed read (SourceRead::stream) hands its entries, in the source's order.
class EntrySink {
 public:
  virtual ~EntrySink() = default;
  virtual void add(LdifRecord&& entry) = 0;
  // Forgets the entries handed over so far: the read starts again (a refused sync cookie).
  virtual void restart() = 0;
};

// What stage 0 reads from an on-premises source.
struct SourceRead {
  std::vector<LdifRecord> entries;
  // true: `entries` is everything in scope, and anchored users and groups missing from it are
  // deleted. false (a delta): `entries` changed since the last read; `deleted_anchors` are
  // gone; with `present_anchors` (an RFC 4533 present phase: entryUUIDs) every user or group
  // anchored on an entryUUID and named in neither `present_anchors` nor `entries` is gone too.
  bool complete = true;
  std::vector<std::string> deleted_anchors;
  std::optional<std::vector<std::string>> present_anchors;
  // The source's position after this read, stored in the run's transaction (Store::
  // source_state) when `state_name` is set. The run fails, writing nothing, if the stored
  // position is no longer `state_before` (another run of the same source finished meanwhile).
  std::string state_name;
  std::optional<std::string> state_before;
  std::string state_after;
  // A read that runs while stage 0 does, in place of `entries`: called once, on a thread of
  // its own, it hands the entries to the sink and, when it succeeds, sets `complete`,
  // `deleted_anchors`, `present_anchors` and `state_after` of the SourceRead it is given (a
  // copy of this one). Stage 0 converts each entry as it arrives and lets it go, so the read
  // overlaps stage 0's work and the source's entries are never all held at once; when the
  // read is complete from the start, stage 0 also writes each user as soon as nothing later
  // in the read can change it. The results are those of the same entries read first: a read
  // that fails fails the run with its own error (even after an entry stage 0 refused), and
  // the run's one transaction leaves nothing written.
  std::function<Status(EntrySink& sink, SourceRead& read)> stream;
};

// Runs stage 0 over `ldif` (when given, a complete export of the on-premises users), then
// stages 1 to 3, all in one transaction.
Result<SyncReport> run_sync(Store& store, const Tenant& tenant, const std::vector<LdifRecord>* ldif,
                            const SyncOptions& options);
// The same over what a connector read (a complete export or a delta).
Result<SyncReport> run_source_sync(Store& store, const Tenant& tenant, const SourceRead& source,
                                   const SyncOptions& options);

// Stage 3 alone, inside the caller's transaction: the profiles changed since its cursor (all
// with options.full) into the site user lists that hold them. Server tenants' imports
// (server_import.h) end with it too.
Result<StageReport> sync_profiles_to_sites(Store& store, const Tenant& tenant,
                                           const SyncOptions& options);

// Stage 2's mapping (seed 002's table and seed 003's FAQ table): the profile properties of a
// directory-store user. `manager_account` is the manager's claims account name, or "".
// Every mapped property is present; no values means "clear it".
std::vector<PropertyChange> profile_properties_for(const DirectoryUser& user,
                                                   const std::string& manager_account);

// Stage 0's attribute flow for one on-premises entry: Azure AD Connect's defaults for an
// Active Directory user (anchor objectGUID), or the inetOrgPerson preset (anchor entryUUID).
// Refuses an entry without a source anchor, naming its line; an entry without a user
// principal name comes back without one (stage 0 skips it).
Result<DirectoryUser> cloud_user_from_entry(const LdifRecord& entry);

// Whether the entry `dn` is inside one of `ous` (the OU itself or below it).
bool dn_within(std::string_view dn, const std::vector<std::string>& ous);

// Applies a connector's attribute flows (SyncOptions::attribute_flows) to a user that
// cloud_user_from_entry() made from `entry`.
void apply_attribute_flows(DirectoryUser& user, const LdifRecord& entry,
                           const std::map<std::string, std::string>& flows);

// A group entry with its members as the entry names them (DNs, not yet resolved).
struct GroupEntry {
  DirectoryGroup group;  // no object id yet
  std::vector<std::string> member_dns;
};

// Whether the entry is a group (objectClass group, groupOfNames or groupOfUniqueNames).
bool is_group_entry(const LdifRecord& entry);

// Stage 0's attribute flow for a group entry (Azure AD Connect's for an AD group: displayName,
// or cn when it has none, or the DN's first RDN value; securityEnabled from groupType bit
// 0x80000000; mailEnabled when it has mail). Refuses an entry without a source anchor, a groupType
// that is not a number, or a member value that is not a DN, naming the line (LDIF) or the entry
// (LDAP).
Result<GroupEntry> cloud_group_from_entry(const LdifRecord& entry);

// Why stage 2 does not process a user (seed 002), or nullopt when it does.
std::optional<std::string> skip_reason(const DirectoryUser& user);

}  // namespace upsync
