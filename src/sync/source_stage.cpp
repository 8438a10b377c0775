// Stage 0 of the sync pipeline (sync/pipeline.h): the on-premises directory's entries, read
// whole or as a delta, streamed or from a file, into the cloud directory: each entry in scope
// converted (sync/attribute_flows.cpp), its cloud object found by source anchor, groups'
// member DNs resolved, and the writes; then the removals of what the read shows gone
// (sync/source_removals.cpp).
#include <algorithm>
#include <climits>
#include <cstdint>
#include <deque>
#include <optional>
#include <span>
#include <thread>
#include <unordered_map>
#include <unordered_set>

#include "core/bounded_queue.h"
#include "core/clock.h"
#include "core/text.h"
#include "sync/stages.h"

namespace upsync::sync_internal {
namespace {

const std::string kMemberOutOfScope = "group member outside the synced scope";
// Entries converted, looked up (one query for their anchors) and taken at a time.
constexpr size_t kTakeBatch = 256;

// Azure AD stamps onPremisesLastSyncDateTime when a sync changes the object: the stamp stays
// as it was while nothing else changed, so that an unchanged user stays unchanged.
void stamp_last_sync(DirectoryUser& u, const std::optional<DirectoryUser>& before) {
  constexpr std::string_view kStamp = "onPremisesLastSyncDateTime";
  u.attributes.erase(std::string(kStamp));
  if (before && !before->deleted) {
    DirectoryAttributes old = before->attributes;
    auto stamp = old.find(kStamp);
    std::vector<std::string> kept;
    if (stamp != old.end()) {
      kept = stamp->second;
      old.erase(stamp);
    }
    if (old == u.attributes && !kept.empty()) {
      u.attributes[std::string(kStamp)] = std::move(kept);
      return;
    }
  }
  u.attributes[std::string(kStamp)] = {utc_now_iso().substr(0, 19) + "Z"};
}

class SourceStage {
 public:
  SourceStage(Store& store, DirectoryStore& dir, const Tenant& tenant, const SyncOptions& o)
      : store_(store), dir_(dir), tenant_(tenant), options_(o) {}

  // A converted user not written yet, and the DN (lower case) its live cloud user had before
  // this run when that was another ("" otherwise).
  struct PendingUser {
    DirectoryUser user;
    std::string old_dn;
    bool fresh = false;  // its object id was made in this run: the cloud directory has none
  };

  // Stage 0's pass over the read: each entry in scope converted and its cloud object looked
  // up; then the writes.
  struct Collected {
    StageReport r;
    int64_t entries = 0;  // every entry the source sent, in scope or not
    // Resolve DNs first: manager values are DNs of other entries.
    std::unordered_map<std::string, std::string> dn_to_object;
    std::deque<PendingUser> users;  // in the read's order
    int64_t users_converted = 0;    // written or pending
    std::vector<GroupEntry> groups;
    // What the writes did: the object ids written, how many users, and the users written
    // before the groups' members were resolved that had another DN before this run, by that
    // DN (see write_ready).
    std::unordered_set<std::string> seen;
    int64_t written = 0;
    std::unordered_multimap<std::string, DirectoryStore::AnchoredId> renamed;
    // Live cloud users whose entry has lost its user principal name: gone, in a delta.
    std::vector<DirectoryUser> nameless;
    std::unordered_set<std::string> seen_anchors;
    // Anchors of the entries outside the OU scope (SyncOptions::include_ous, exclude_ous):
    // in a delta they moved out, and count as deleted.
    std::vector<std::string> out_of_scope;
  };

  // An entry as stage 0 takes it: what convert() makes of it without the store (on the
  // reader's thread when the read is streamed), for take() to look up and keep.
  struct Converted {
    enum class Kind { kOutOfScope, kOther, kGroup, kUser };
    Kind kind = Kind::kOther;
    Status error = Status::ok();  // the entry is refused
    std::string anchor;           // kOutOfScope: its source anchor, "" when it has none
    std::string dn_key;           // kGroup, kUser: the DN in lower case
    std::string dn;               // kGroup, kUser: the DN and its line, for messages
    int64_t line = 0;
    GroupEntry group;
    DirectoryUser user;
  };

  Converted convert(const LdifRecord& e) const {
    Converted x;
    if ((!options_.include_ous.empty() && !dn_within(e.dn, options_.include_ous)) ||
        dn_within(e.dn, options_.exclude_ous)) {
      x.kind = Converted::Kind::kOutOfScope;
      // An entry without a valid anchor was never synced: nothing to delete.
      if (auto id = source_anchor_of(e, "object", "entry")) x.anchor = std::move(id->anchor);
      return x;
    }
    if (e.change != LdifChange::kContent && e.change != LdifChange::kAdd) {
      x.error = line_error(e,
                           "change records are not read by the LDIF connector; export the "
                           "directory's current content instead");
      return x;
    }
    if (is_group_entry(e)) {
      x.kind = Converted::Kind::kGroup;
      if (auto g = cloud_group_from_entry(e)) {
        x.group = std::move(*g);
      } else {
        x.error = g.status();
      }
      x.dn_key = ascii_lower(e.dn);
      x.dn = e.dn;
      x.line = e.line;
      return x;
    }
    if (has_class(e, "computer") ||
        !(has_class(e, "user") || has_class(e, "person") || has_class(e, "inetOrgPerson"))) {
      return x;  // OUs and machines are not users
    }
    x.kind = Converted::Kind::kUser;
    if (auto u = cloud_user_from_entry(e)) {
      x.user = std::move(*u);
      apply_attribute_flows(x.user, e, options_.attribute_flows);
    } else {
      x.error = u.status();
    }
    x.dn_key = ascii_lower(e.dn);
    x.dn = e.dn;
    x.line = e.line;
    return x;
  }

  // Two entries of one read with the same source anchor would be one object: the read is
  // refused (a directory names each object once).
  static Status check_anchor_once(Collected& c, const Converted& x, const std::string& anchor) {
    if (c.seen_anchors.insert(anchor).second) return Status::ok();
    return line_error(x.line, x.dn,
                      "source anchor '" + anchor + "' is the anchor of an earlier entry too");
  }

  Status take(Collected& c, Converted&& x) {
    StageReport& r = c.r;
    ++c.entries;
    switch (x.kind) {
      case Converted::Kind::kOutOfScope:
        if (!x.anchor.empty()) c.out_of_scope.push_back(std::move(x.anchor));
        return Status::ok();
      case Converted::Kind::kOther:
        return x.error;
      case Converted::Kind::kGroup: {
        ++r.groups.read;
        UPSYNC_RETURN_IF_ERROR(x.error);
        GroupEntry& g = x.group;
        UPSYNC_RETURN_IF_ERROR(check_anchor_once(c, x, g.group.source_anchor));
        UPSYNC_ASSIGN_OR_RETURN(
            auto existing,
            dir_.group_by_anchor(tenant_.id, DirectoryLayer::kCloud, g.group.source_anchor));
        g.group.object_id = existing ? existing->object_id : new_ordered_guid();
        c.dn_to_object[x.dn_key] = g.group.object_id;
        c.groups.push_back(std::move(g));
        return Status::ok();
      }
      case Converted::Kind::kUser:
        break;
    }
    ++r.read;
    UPSYNC_RETURN_IF_ERROR(x.error);
    DirectoryUser& u = x.user;
    UPSYNC_RETURN_IF_ERROR(check_anchor_once(c, x, u.source_anchor));
    std::optional<DirectoryUser> existing;
    if (auto ahead = anchors_ahead_.find(u.source_anchor); ahead != anchors_ahead_.end()) {
      existing = std::move(ahead->second);  // an anchor is taken once (check_anchor_once)
      anchors_ahead_.erase(ahead);
    } else {
      UPSYNC_ASSIGN_OR_RETURN(
          existing, dir_.user_by_anchor(tenant_.id, DirectoryLayer::kCloud, u.source_anchor));
    }
    if (u.first("userPrincipalName").empty()) {
      // Service accounts and policy entries have no sign-in name: not cloud users. One
      // that had a name and lost it leaves (a complete read finds it missing below).
      ++r.skipped["no user principal name"];
      if (existing && !existing->deleted) c.nameless.push_back(std::move(*existing));
      return Status::ok();
    }
    u.object_id = existing ? existing->object_id : new_ordered_guid();
    // Cloud-side settings are the cloud directory's own: licenses and blocked sign-in.
    if (existing) {
      for (const char* keep : {"licensed", "signInBlocked"}) {
        auto it = existing->attributes.find(keep);
        if (it != existing->attributes.end()) u.attributes[keep] = it->second;
      }
    } else if (options_.license_new_users) {
      u.attributes["licensed"] = {"true"};
    }
    std::string old_dn;
    if (existing && !existing->deleted) {
      old_dn = ascii_lower(existing->first("distinguishedName"));
      if (old_dn == x.dn_key) old_dn.clear();
    }
    c.dn_to_object[x.dn_key] = u.object_id;
    c.users.push_back({std::move(u), std::move(old_dn), !existing});
    ++c.users_converted;
    return Status::ok();
  }

  // Looks up the cloud users of a batch's user entries by source anchor in one query, for
  // take() (on PostgreSQL a query is a round trip; a user per entry would be one each).
  Status read_anchors_ahead(std::span<const Converted> batch) {
    anchors_ahead_.clear();
    std::vector<std::string> anchors;
    for (const Converted& x : batch) {
      if (x.kind != Converted::Kind::kUser || !x.error.is_ok() || x.user.source_anchor.empty()) {
        continue;
      }
      if (anchors_ahead_.emplace(x.user.source_anchor, std::nullopt).second) {
        anchors.push_back(x.user.source_anchor);
      }
    }
    if (anchors.empty()) return Status::ok();
    UPSYNC_ASSIGN_OR_RETURN(auto users,
                            dir_.users_with_anchors(tenant_.id, DirectoryLayer::kCloud, anchors));
    for (DirectoryUser& u : users) {
      if (auto it = anchors_ahead_.find(u.source_anchor); it != anchors_ahead_.end()) {
        it->second = std::move(u);
      }
    }
    return Status::ok();
  }

  // Writes a converted user to the cloud directory, its manager resolved (by the DNs of the
  // read, else, in a delta, by those the cloud directory knows).
  Status write_user(Collected& c, PendingUser& p, bool complete) {
    DirectoryUser& u = p.user;
    report_progress(options_, c.r.stage, c.written++, c.users_converted);
    auto m = u.attributes.find("manager");
    if (m != u.attributes.end() && !m->second.empty()) {
      auto it = c.dn_to_object.find(ascii_lower(m->second[0]));
      std::optional<std::string> manager;
      if (it != c.dn_to_object.end()) {
        manager = it->second;
      } else if (!complete) {
        // A delta names only the changed users; their managers are already synced.
        UPSYNC_ASSIGN_OR_RETURN(auto known, dir_.cloud_user_by_dn(tenant_.id, m->second[0]));
        if (known && !known->source_anchor.empty()) manager = known->object_id;
      }
      if (manager) {
        m->second = {*manager};
      } else {
        u.attributes.erase(m);  // a manager outside the synced scope
      }
    }
    std::optional<DirectoryUser> before;
    if (!p.fresh) {
      UPSYNC_ASSIGN_OR_RETURN(before, dir_.user(tenant_.id, DirectoryLayer::kCloud, u.object_id));
    }
    stamp_last_sync(u, before);
    DirectoryStore::PutOutcome outcome = DirectoryStore::PutOutcome::kAdded;
    if (p.fresh) {
      UPSYNC_RETURN_IF_ERROR(dir_.add(tenant_.id, DirectoryLayer::kCloud, u));
    } else {
      UPSYNC_ASSIGN_OR_RETURN(outcome, dir_.put(tenant_.id, DirectoryLayer::kCloud, u));
    }
    c.seen.insert(u.object_id);
    count(c.r, outcome, describe(u));
    return Status::ok();
  }

  // During a complete streamed read: writes the users at the head of the queue whose manager
  // is already among the read's entries (or who have none). Nothing the rest of the read
  // brings can change such a write (an LDAP search names each entry once, and a complete
  // read resolves a manager by the read's DNs alone), and the users leave memory as the read
  // goes. The one thing a write changes that is read later is the DN the cloud directory
  // knew a renamed user by, which resolves group members: kept in `renamed`.
  Status write_ready(Collected& c) {
    while (!c.users.empty()) {
      PendingUser& head = c.users.front();
      auto m = head.user.attributes.find("manager");
      if (m != head.user.attributes.end() && !m->second.empty() &&
          !c.dn_to_object.count(ascii_lower(m->second[0]))) {
        return Status::ok();  // its manager may come later in the read
      }
      if (!head.old_dn.empty()) {
        c.renamed.emplace(
            std::move(head.old_dn),
            DirectoryStore::AnchoredId{ascii_lower(head.user.object_id), head.user.source_anchor});
      }
      UPSYNC_RETURN_IF_ERROR(write_user(c, head, /*complete=*/true));
      c.users.pop_front();
    }
    return Status::ok();
  }

  // take() over a streamed read (SourceRead::stream), which runs on a thread of its own
  // meanwhile; `end` is what the read learned. The read's failure comes before any of
  // take()'s: the entries are converted as they come, but judged as if read first.
  Status collect_stream(const SourceRead& source, Collected& c, SourceRead& end) {
    // Users are written as the read goes when it is complete from the start (a read that
    // may start again cannot have written anything) and no flow rewrites distinguishedName
    // (the DNs the writes store are then the read's own).
    bool early = source.complete && !options_.attribute_flows.count("distinguishedName");
    struct Batch {
      std::vector<Converted> entries;
      bool restart = false;
    };
    // A few batches in flight: enough to keep both threads busy, few enough to bound memory.
    constexpr size_t kBatch = kTakeBatch;
    BoundedQueue<Batch> queue(4);
    // Converts on the reader's thread: that work is the store's thread's no more.
    class Sink : public EntrySink {
     public:
      Sink(const SourceStage& p, BoundedQueue<Batch>& q) : pipeline_(p), queue_(q) {}
      void add(LdifRecord&& entry) override {
        batch_.push_back(pipeline_.convert(entry));
        if (batch_.size() >= kBatch) flush();
      }
      void restart() override {
        batch_.clear();
        queue_.push(Batch{{}, true});
      }
      void flush() {
        if (!batch_.empty()) queue_.push(Batch{std::move(batch_), false});
        batch_ = {};
        batch_.reserve(kBatch);
      }

     private:
      const SourceStage& pipeline_;
      BoundedQueue<Batch>& queue_;
      std::vector<Converted> batch_;
    } sink(*this, queue);
    Status read = Status::ok();
    std::thread reader([&] {
      try {
        read = source.stream(sink, end);
        sink.flush();
      } catch (const std::exception& ex) {
        read = internal_error(std::string("reading the source: ") + ex.what());
      }
      queue.close();
    });
    // Whatever leaves this function first, the reader is stopped and joined.
    struct Join {
      BoundedQueue<Batch>& queue;
      std::thread& thread;
      ~Join() {
        queue.close();
        if (thread.joinable()) thread.join();
      }
    } join{queue, reader};
    Status failed = Status::ok();
    while (std::optional<Batch> batch = queue.pop()) {
      if (batch->restart) {
        if (c.written > 0) {
          failed = internal_error("the read started again after stage 0 had written users");
          early = false;
          continue;
        }
        c = Collected{};
        c.r.stage = "connect";
        failed = Status::ok();
        continue;
      }
      if (failed.is_ok()) failed = read_anchors_ahead(batch->entries);
      for (Converted& x : batch->entries) {
        if (!failed.is_ok()) break;  // the rest is drained: the read may still fail
        failed = take(c, std::move(x));
      }
      if (early && failed.is_ok()) failed = write_ready(c);
    }
    reader.join();
    reader = std::thread();
    if (!read.is_ok()) return read;
    return failed;
  }

  // Members by object id, resolved as before this run wrote anything: by the DNs of this read,
  // else by the DNs the cloud directory knew (a delta names only what changed, and a directory
  // without referential integrity may still name a renamed member by its old DN), as long as
  // that object is still in scope. The users are written after this, except those written
  // during a complete streamed read (write_ready).
  Status resolve_members(Collected& c, const ReadAnchors& anchors) {
    for (GroupEntry& g : c.groups) {
      for (const std::string& dn : g.member_dns) {
        auto it = c.dn_to_object.find(ascii_lower(dn));
        if (it != c.dn_to_object.end()) {
          g.group.members.push_back(it->second);
          continue;
        }
        // The cloud user that had this DN before this run: the first by object id, among those
        // it still has and those written in this run under another (write_ready).
        UPSYNC_ASSIGN_OR_RETURN(auto user, dir_.cloud_user_by_dn(tenant_.id, dn));
        std::optional<DirectoryStore::AnchoredId> had;
        if (user) had = DirectoryStore::AnchoredId{user->object_id, user->source_anchor};
        for (auto [at, end] = c.renamed.equal_range(ascii_lower(dn)); at != end; ++at) {
          if (!had || at->second.object_id < had->object_id) had = at->second;
        }
        if (had && anchors.in_scope(had->source_anchor)) {
          g.group.members.push_back(had->object_id);
          continue;
        }
        UPSYNC_ASSIGN_OR_RETURN(auto group, dir_.cloud_group_by_dn(tenant_.id, dn));
        if (group && anchors.in_scope(group->source_anchor)) {
          g.group.members.push_back(group->object_id);
          continue;
        }
        ++c.r.skipped[kMemberOutOfScope];
      }
    }
    return Status::ok();
  }

  Result<StageReport> stage0(const SourceRead& input) {
    Collected c;
    c.r.stage = "connect";
    SourceRead streamed;
    const SourceRead* read = &input;
    if (input.stream) {
      streamed.complete = input.complete;
      streamed.state_name = input.state_name;
      streamed.state_before = input.state_before;
      streamed.state_after = input.state_after;
      UPSYNC_RETURN_IF_ERROR(collect_stream(input, c, streamed));
      read = &streamed;
    } else {
      // In batches, as a streamed read comes, so that each batch's anchors are one query.
      std::vector<Converted> batch;
      for (size_t i = 0; i < input.entries.size(); i += kTakeBatch) {
        batch.clear();
        for (size_t j = i; j < std::min(input.entries.size(), i + kTakeBatch); ++j) {
          batch.push_back(convert(input.entries[j]));
        }
        UPSYNC_RETURN_IF_ERROR(read_anchors_ahead(batch));
        for (Converted& x : batch) UPSYNC_RETURN_IF_ERROR(take(c, std::move(x)));
      }
    }
    source_entries_ = c.entries;
    const SourceRead& source = *read;
    StageReport& r = c.r;
    const ReadAnchors anchors(source, c.seen_anchors, c.out_of_scope);
    UPSYNC_RETURN_IF_ERROR(resolve_members(c, anchors));
    for (PendingUser& p : c.users) UPSYNC_RETURN_IF_ERROR(write_user(c, p, source.complete));
    c.users.clear();
    if (c.written > 0) report_progress(options_, r.stage, c.written, c.written, true);
    for (GroupEntry& g : c.groups) {
      UPSYNC_ASSIGN_OR_RETURN(auto outcome,
                              dir_.put_group(tenant_.id, DirectoryLayer::kCloud, g.group));
      c.seen.insert(g.group.object_id);
      count(r.groups, r.changes, outcome, describe(g.group));
    }
    // Cloud users that the source no longer has (by object id, in the order found).
    std::vector<DirectoryUser> gone;
    if (!source.complete) gone = std::move(c.nameless);
    UPSYNC_RETURN_IF_ERROR(
        remove_gone(dir_, tenant_, options_, anchors, c.seen, std::move(gone), r));
    if (!source.state_name.empty()) {
      UPSYNC_ASSIGN_OR_RETURN(auto stored, store_.source_state(tenant_.id, source.state_name));
      if (stored != source.state_before) {
        return failed_precondition("another sync of " + source.state_name +
                                   " finished while this one read the directory; nothing was "
                                   "written, run it again");
      }
      UPSYNC_RETURN_IF_ERROR(
          store_.set_source_state(tenant_.id, source.state_name, source.state_after));
    }
    return std::move(r);
  }

 private:
  Store& store_;
  DirectoryStore& dir_;
  const Tenant& tenant_;
  const SyncOptions& options_;
  // read_anchors_ahead()'s answers, by source anchor (nullopt: no cloud user has it).
  std::unordered_map<std::string, std::optional<DirectoryUser>> anchors_ahead_;

 public:
  // How many entries the source sent (SyncReport::source_entries).
  int64_t source_entries_ = 0;
};

}  // namespace

Result<StageReport> source_to_cloud(Store& store, DirectoryStore& dir, const Tenant& tenant,
                                    const SyncOptions& options, const SourceRead& source,
                                    int64_t& source_entries) {
  SourceStage stage(store, dir, tenant, options);
  Result<StageReport> r = stage.stage0(source);
  source_entries = stage.source_entries_;
  return r;
}

}  // namespace upsync::sync_internal
