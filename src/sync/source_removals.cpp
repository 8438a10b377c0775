// Stage 0's removals (sync/stages.h): which cloud objects a read of the on-premises directory
// leaves in scope (ReadAnchors, by which group members are resolved too), and the removal of
// those it shows gone: not named by a complete read or by a delta's present phase, deleted or
// moved out of scope in a delta, or a user who lost its name; all of them or, past the
// deletion threshold, none. In a delta, the reports of a user who left lose their manager.
#include <cctype>
#include <set>

#include "sync/stages.h"

namespace upsync::sync_internal {
namespace {

// The anchor cloud_user_from_entry() takes from an entryUUID (RFC 4122 text, lower case), as
// opposed to the base64 of an objectGUID.
bool is_entry_uuid_anchor(std::string_view a) {
  if (a.size() != 36) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    const bool dash = i == 8 || i == 13 || i == 18 || i == 23;
    if (dash ? a[i] != '-' : !std::isxdigit(static_cast<unsigned char>(a[i]))) return false;
  }
  return true;
}

}  // namespace

ReadAnchors::ReadAnchors(const SourceRead& source, const std::unordered_set<std::string>& named,
                         const std::vector<std::string>& out_of_scope)
    : complete_(source.complete),
      present_phase_(source.present_anchors.has_value()),
      named_(named),
      deleted_(source.deleted_anchors) {
  if (source.present_anchors)
    present_.insert(source.present_anchors->begin(), source.present_anchors->end());
  if (!complete_) {
    // Entries out of scope in a delta moved out: deleted, after the ones the read names.
    for (const std::string& anchor : out_of_scope) {
      deleted_.push_back(anchor);
      present_.erase(anchor);
    }
  }
  deleted_set_.insert(deleted_.begin(), deleted_.end());
}

bool ReadAnchors::in_scope(const std::string& anchor) const {
  if (anchor.empty()) return false;  // cloud-only objects are not the source's members
  if (named_.count(anchor)) return true;
  if (complete_) return false;
  if (deleted_set_.count(anchor)) return false;
  return !present_phase_ || !is_entry_uuid_anchor(anchor) || present_.count(anchor);
}

bool ReadAnchors::missing(const std::string& object_id, const std::string& anchor,
                          const std::unordered_set<std::string>& written) const {
  if (!complete_ && !present_phase_) return false;  // a delta alone names what changed
  if (written.count(object_id)) return false;
  if (present_phase_) {
    // A present phase names entryUUIDs: an object anchored on objectGUID cannot be named in
    // it, and is left to a complete read.
    if (!is_entry_uuid_anchor(anchor)) return false;
    if (present_.count(anchor) || named_.count(anchor)) return false;
  }
  return true;
}

Status remove_gone(DirectoryStore& dir, const Tenant& tenant, const SyncOptions& options,
                   const ReadAnchors& read, const std::unordered_set<std::string>& written,
                   std::vector<DirectoryUser> gone, StageReport& r) {
  std::vector<DirectoryGroup> gone_groups;
  if (read.names_everything()) {
    // Anchored users and groups that the read does not name are gone on premises.
    UPSYNC_ASSIGN_OR_RETURN(auto all, dir.anchored_user_ids(tenant.id, DirectoryLayer::kCloud));
    for (const DirectoryStore::AnchoredId& a : all) {
      if (!read.missing(a.object_id, a.source_anchor, written)) continue;
      UPSYNC_ASSIGN_OR_RETURN(auto u, dir.user(tenant.id, DirectoryLayer::kCloud, a.object_id));
      if (u) gone.push_back(std::move(*u));
    }
    UPSYNC_ASSIGN_OR_RETURN(auto all_groups,
                            dir.anchored_groups(tenant.id, DirectoryLayer::kCloud));
    for (DirectoryGroup& g : all_groups) {
      if (read.missing(g.object_id, g.source_anchor, written)) gone_groups.push_back(std::move(g));
    }
  }
  for (const std::string& anchor : read.deleted()) {
    UPSYNC_ASSIGN_OR_RETURN(auto u, dir.user_by_anchor(tenant.id, DirectoryLayer::kCloud, anchor));
    if (u && !u->deleted) gone.push_back(std::move(*u));
    UPSYNC_ASSIGN_OR_RETURN(auto g, dir.group_by_anchor(tenant.id, DirectoryLayer::kCloud, anchor));
    if (g && !g->deleted) gone_groups.push_back(std::move(*g));
  }
  // The same object may be named twice (deleted and missing); remove it once.
  std::set<std::string> removing;
  std::erase_if(gone, [&](const DirectoryUser& u) { return !removing.insert(u.object_id).second; });
  std::erase_if(gone_groups,
                [&](const DirectoryGroup& g) { return !removing.insert(g.object_id).second; });
  const size_t deleting = gone.size() + gone_groups.size();
  if (static_cast<int64_t>(deleting) > options.deletion_threshold) {
    std::string what = std::to_string(gone.size()) + " users";
    if (!gone_groups.empty()) what += " and " + std::to_string(gone_groups.size()) + " groups";
    return failed_precondition(
        "this run would delete " + what + ", more than the deletion threshold of " +
        std::to_string(options.deletion_threshold) +
        "; if that is intended, rerun with --deletion-threshold " + std::to_string(deleting));
  }
  for (const DirectoryUser& u : gone) {
    UPSYNC_ASSIGN_OR_RETURN(bool removed,
                            dir.remove(tenant.id, DirectoryLayer::kCloud, u.object_id));
    if (removed) {
      ++r.deleted;
      r.changes.push_back("- " + describe(u));
    }
  }
  for (const DirectoryGroup& g : gone_groups) {
    UPSYNC_ASSIGN_OR_RETURN(bool removed,
                            dir.remove_group(tenant.id, DirectoryLayer::kCloud, g.object_id));
    if (removed) {
      ++r.groups.deleted;
      r.changes.push_back("- " + describe(g));
    }
  }
  if (read.complete()) return Status::ok();
  // A delta does not name the reports of a user who left (their entries did not change): they
  // lose their manager here, as a complete read would find.
  for (const DirectoryUser& u : gone) {
    UPSYNC_ASSIGN_OR_RETURN(auto reports, dir.cloud_direct_reports(tenant.id, u.object_id));
    for (DirectoryUser& report : reports) {
      if (written.count(report.object_id)) continue;
      report.attributes.erase("manager");
      UPSYNC_ASSIGN_OR_RETURN(auto outcome, dir.put(tenant.id, DirectoryLayer::kCloud, report));
      count(r, outcome, describe(report));
    }
  }
  return Status::ok();
}

}  // namespace upsync::sync_internal
