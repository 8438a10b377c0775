// What the files of the sync pipeline (sync/pipeline.h) share: its stages as functions that
// sync/pipeline.cpp runs in order inside one transaction, and the helpers more than one of them
// uses. Not for use outside sync/.
//   sync/attribute_flows.cpp  what stage 0 makes of an entry, what stage 2 makes of a user
//   sync/source_stage.cpp     stage 0: the on-premises read into the cloud directory
//   sync/source_removals.cpp  stage 0's removals: what a read shows gone on premises
//   sync/feed_stages.cpp      stages 1 to 3: each layer's change feed into the next layer
//   sync/pipeline.cpp         the run: stages in order, their reports and timings
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_set>
#include <vector>

#include "core/status.h"
#include "directory/directory_store.h"
#include "directory/ldif.h"
#include "store/store.h"
#include "sync/pipeline.h"

namespace upsync::sync_internal {

// Stage 0 over `source`; sets `source_entries` to how many entries the source sent.
Result<StageReport> source_to_cloud(Store& store, DirectoryStore& dir, const Tenant& tenant,
                                    const SyncOptions& options, const SourceRead& source,
                                    int64_t& source_entries);
// What a stage-0 read says of the cloud objects, by source anchor: those it names, those it
// deletes (a delta's deleted entries, then its entries that moved out of scope), and, with an
// RFC 4533 present phase, those still present. Keeps references to `named`.
class ReadAnchors {
 public:
  ReadAnchors(const SourceRead& source, const std::unordered_set<std::string>& named,
              const std::vector<std::string>& out_of_scope);
  bool complete() const { return complete_; }
  // Whether the read names every object in scope (a complete read or a present phase), so
  // that an anchored object it does not name is gone.
  bool names_everything() const { return complete_ || present_phase_; }
  const std::vector<std::string>& deleted() const { return deleted_; }
  // Whether the object with this anchor is still on premises and in scope after the read, so
  // that a group may name it as a member.
  bool in_scope(const std::string& anchor) const;
  // Whether a read that names everything leaves out the cloud object: not among the object
  // ids `written` in this run, nor (in a present phase) present.
  bool missing(const std::string& object_id, const std::string& anchor,
               const std::unordered_set<std::string>& written) const;

 private:
  bool complete_;
  bool present_phase_;
  const std::unordered_set<std::string>& named_;
  std::vector<std::string> deleted_;
  std::unordered_set<std::string> deleted_set_, present_;
};
// Removes the cloud objects the read shows gone, with `gone` (users already known gone), in
// the report: none of them when they are more than options.deletion_threshold (the run
// fails). In a delta, the reports of a removed user who were not `written` lose their manager.
Status remove_gone(DirectoryStore& dir, const Tenant& tenant, const SyncOptions& options,
                   const ReadAnchors& read, const std::unordered_set<std::string>& written,
                   std::vector<DirectoryUser> gone, StageReport& r);
// Stages 1, 2 and 3, each from its cursor (from 0 with options.full).
Result<StageReport> cloud_to_store(Store& store, DirectoryStore& dir, const Tenant& tenant,
                                   const SyncOptions& options);
Result<StageReport> store_to_profiles(Store& store, DirectoryStore& dir, const Tenant& tenant,
                                      const SyncOptions& options);
Result<StageReport> profiles_to_sites(Store& store, DirectoryStore& dir, const Tenant& tenant,
                                      const SyncOptions& options);

// Whether the entry has the object class (ASCII case-insensitive).
bool has_class(const LdifRecord& e, std::string_view cls);
// A refused entry: "LDIF line N (dn): what", or "entry dn: what" for one read over LDAP.
Status line_error(int64_t line, const std::string& dn, const std::string& what);
Status line_error(const LdifRecord& e, const std::string& what);

// An entry's source anchor (DESIGN.md §1: what keeps an object's id stable across renames):
// Active Directory's objectGUID (16 bytes; the anchor is their base64, objectGuid their text)
// or an LDAP entry's entryUUID (lower case, both). `kind` and `ldap_class` name the object for
// the message when it has neither ("user", "inetOrgPerson").
struct SourceAnchor {
  bool ad = false;
  std::string anchor;
  std::string guid;  // the cloud directory's objectGuid
};
Result<SourceAnchor> source_anchor_of(const LdifRecord& e, std::string_view kind,
                                      std::string_view ldap_class);
// uniqueMember values are "DN" or "DN#'0101'B" (an optional bit-string UID): the DN.
std::string member_dn(std::string_view value);

// How an object is named in a report's changes: a user's UPN (else its id), "group <name>".
std::string describe(const DirectoryUser& u);
std::string describe(const DirectoryGroup& g);
// Counts one object's outcome in a report, with its line in the changes when it changed.
void count(StageReport& r, DirectoryStore::PutOutcome outcome, const std::string& what);
void count(ObjectCounts& n, std::vector<std::string>& changes, DirectoryStore::PutOutcome outcome,
           const std::string& what);
void count(StageReport& r, bool existed, bool changed, const std::string& what);
// Calls options.progress every 2,000 objects, and at the end (`last`).
void report_progress(const SyncOptions& options, std::string_view stage, int64_t done,
                     int64_t total, bool last = false);

}  // namespace upsync::sync_internal
