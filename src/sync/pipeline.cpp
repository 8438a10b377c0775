#include "sync/pipeline.h"

#include <algorithm>
#include <cctype>
#include <chrono>
#include <climits>
#include <cstdint>
#include <cstdio>
#include <deque>
#include <set>
#include <thread>
#include <unordered_map>
#include <unordered_set>

#include "core/bounded_queue.h"
#include "core/claims.h"
#include "core/clock.h"
#include "core/text.h"
#include "sites/site_users.h"

namespace upsync {
namespace {

constexpr int kFeedBatch = 1000;
constexpr std::string_view kStage1Cursor = "sync.stage1";
constexpr std::string_view kStage2Cursor = "sync.stage2";
// The profiles feed as stage 2 reads it for an education tenant's stubs (fill_stubs()).
constexpr std::string_view kStage2StubsCursor = "sync.stage2.stubs";
constexpr std::string_view kStage3Cursor = "sync.stage3";
constexpr std::string_view kStage1GroupsCursor = "sync.stage1.groups";
const std::string kMemberOutOfScope = "group member outside the synced scope";

bool has_class(const LdifRecord& e, std::string_view cls) {
  // Walked in place: stage 0 asks up to seven times per entry.
  for (const LdifAttribute& a : e.attributes) {
    if (ascii_iequal(a.name, "objectClass") && ascii_iequal(a.value, cls)) return true;
  }
  return false;
}

// AD's objectGUID bytes → its text form (the first three groups are little-endian).
std::string guid_text(const std::string& b) {
  auto u = [&](int i) { return static_cast<unsigned>(static_cast<unsigned char>(b[i])); };
  char buf[40];
  std::snprintf(buf, sizeof buf,
                "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x", u(3), u(2),
                u(1), u(0), u(5), u(4), u(7), u(6), u(8), u(9), u(10), u(11), u(12), u(13), u(14),
                u(15));
  return buf;
}

void flow(DirectoryAttributes& out, const LdifRecord& e, std::string_view from,
          const std::string& to) {
  std::vector<std::string> v = e.values(from);
  if (!v.empty()) out[to] = std::move(v);
}

Status line_error(int64_t line, const std::string& dn, const std::string& what) {
  // Entries read over LDAP have no line.
  if (line == 0) return invalid_argument("entry " + dn + ": " + what);
  return invalid_argument("LDIF line " + std::to_string(line) + " (" + dn + "): " + what);
}

Status line_error(const LdifRecord& e, const std::string& what) {
  return line_error(e.line, e.dn, what);
}

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
                                      std::string_view ldap_class) {
  const std::string guid = e.first("objectGUID");
  if (!guid.empty()) {
    if (guid.size() != 16) {
      return line_error(e,
                        "objectGUID must be 16 bytes (base64 in LDIF: 'objectGUID:: ...'), "
                        "got " +
                            std::to_string(guid.size()));
    }
    return SourceAnchor{true, base64_encode(guid), guid_text(guid)};
  }
  const std::string uuid = ascii_lower(e.first("entryUUID"));
  if (uuid.empty()) {
    return line_error(e, "no source anchor: an Active Directory " + std::string(kind) +
                             " needs objectGUID, an LDAP " + std::string(ldap_class) +
                             " entryUUID");
  }
  return SourceAnchor{false, uuid, uuid};
}

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

// What changed in a profile, for its line in the report (a dry run's diff): "Title: Clerk →
// Manager, Department: (none) → Sales", values cut at 60 characters.
std::string profile_diff(const Profile& before, const Profile& after) {
  auto shown = [](const Profile& p, const std::string& name) -> std::string {
    const PropertyValues* v = p.find(name);
    if (!v || v->empty()) return "(none)";
    std::string out;
    for (const std::string& one : *v) out += (out.empty() ? "" : "; ") + one;
    return out.size() > 60 ? out.substr(0, 57) + "..." : out;
  };
  std::set<std::string> names;
  for (const auto& [name, values] : before.properties) names.insert(name);
  for (const auto& [name, values] : after.properties) names.insert(name);
  std::string out;
  for (const std::string& name : names) {
    const PropertyValues* b = before.find(name);
    const PropertyValues* a = after.find(name);
    if ((b ? *b : PropertyValues{}) == (a ? *a : PropertyValues{})) continue;
    out += (out.empty() ? "" : ", ") + name + ": " + shown(before, name) + " \u2192 " +
           shown(after, name);
  }
  return out;
}

// Rolls a dry run back after it has computed everything.
const std::string kDryRunMarker = "upsync-dry-run-rollback";

std::string describe(const DirectoryUser& u) {
  std::string upn = u.first("userPrincipalName");
  return upn.empty() ? u.object_id : upn;
}

std::string describe(const DirectoryGroup& g) {
  std::string name = g.first("displayName");
  return "group " + (name.empty() ? g.object_id : name);
}

// The DNS domain of a DN: its DC= components joined by dots ("" without any), as Azure AD
// Connect sets onPremisesDomainName.
std::string dn_domain(std::string_view dn) {
  std::string out;
  size_t start = 0;
  while (start < dn.size()) {
    size_t comma = dn.find(',', start);
    if (comma == std::string_view::npos) comma = dn.size();
    std::string_view rdn = trim(dn.substr(start, comma - start));
    if (rdn.size() > 3 && ascii_iequal(rdn.substr(0, 3), "dc=")) {
      out += (out.empty() ? "" : ".") + std::string(trim(rdn.substr(3)));
    }
    start = comma + 1;
  }
  return ascii_lower(out);
}

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

// The value of a DN's first RDN ("Sales" of "CN=Sales,OU=Groups,..."), unescaped.
std::string first_rdn_value(std::string_view dn) {
  const size_t eq = dn.find('=');
  if (eq == std::string_view::npos) return "";
  std::string out;
  for (size_t i = eq + 1; i < dn.size(); ++i) {
    if (dn[i] == '\\' && i + 1 < dn.size()) {
      out += dn[++i];
    } else if (dn[i] == ',' || dn[i] == '+') {
      break;
    } else {
      out += dn[i];
    }
  }
  return std::string(trim(out));
}

// uniqueMember values are "DN" or "DN#'0101'B" (an optional bit-string UID).
std::string member_dn(std::string_view value) {
  const size_t hash = value.rfind("#'");
  if (hash != std::string_view::npos && value.ends_with("'B"))
    return std::string(value.substr(0, hash));
  return std::string(value);
}

class Pipeline {
 public:
  Pipeline(Store& store, DirectoryStore& dir, const Tenant& tenant, const SyncOptions& o)
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
    UPSYNC_ASSIGN_OR_RETURN(
        auto existing, dir_.user_by_anchor(tenant_.id, DirectoryLayer::kCloud, u.source_anchor));
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

  // Writes a converted user to the cloud directory, its manager resolved (by the DNs of the
  // read, else, in a delta, by those the cloud directory knows).
  Status write_user(Collected& c, PendingUser& p, bool complete) {
    DirectoryUser& u = p.user;
    report_progress(c.r.stage, c.written++, c.users_converted);
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
    constexpr size_t kBatch = 256;
    BoundedQueue<Batch> queue(4);
    // Converts on the reader's thread: that work is the store's thread's no more.
    class Sink : public EntrySink {
     public:
      Sink(const Pipeline& p, BoundedQueue<Batch>& q) : pipeline_(p), queue_(q) {}
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
      const Pipeline& pipeline_;
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
      for (const LdifRecord& e : input.entries) UPSYNC_RETURN_IF_ERROR(take(c, convert(e)));
    }
    source_entries_ = c.entries;
    const SourceRead& source = *read;
    StageReport& r = c.r;
    std::unordered_map<std::string, std::string>& dn_to_object = c.dn_to_object;
    std::vector<GroupEntry>& groups = c.groups;
    const std::unordered_set<std::string>& seen_anchors = c.seen_anchors;
    // Cloud users that the source no longer has (by object id, in the order found).
    std::vector<DirectoryUser> gone;
    if (!source.complete) gone = std::move(c.nameless);
    // Entries out of scope in a delta moved out: deleted, after the ones the read names.
    std::vector<std::string> deleted_anchors = source.deleted_anchors;
    std::optional<std::vector<std::string>> present_anchors = source.present_anchors;
    if (!source.complete) {
      for (const std::string& anchor : c.out_of_scope) {
        deleted_anchors.push_back(anchor);
        if (present_anchors) std::erase(*present_anchors, anchor);
      }
    }
    // Members by object id, resolved as before this run wrote anything: by the DNs of this
    // read, else by the DNs the cloud directory knew (a delta names only what changed, and a
    // directory without referential integrity may still name a renamed member by its old DN),
    // as long as that object is still in scope. The users are written after this, except
    // those written during a complete streamed read (write_ready).
    std::set<std::string> deleted_set(deleted_anchors.begin(), deleted_anchors.end());
    std::set<std::string> present_set;
    if (present_anchors) present_set.insert(present_anchors->begin(), present_anchors->end());
    auto in_scope = [&](const std::string& anchor) {
      if (anchor.empty()) return false;  // cloud-only objects are not the source's members
      if (seen_anchors.count(anchor)) return true;
      if (source.complete) return false;
      if (deleted_set.count(anchor)) return false;
      return !present_anchors || !is_entry_uuid_anchor(anchor) || present_set.count(anchor);
    };
    for (GroupEntry& g : groups) {
      for (const std::string& dn : g.member_dns) {
        auto it = dn_to_object.find(ascii_lower(dn));
        if (it != dn_to_object.end()) {
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
        if (had && in_scope(had->source_anchor)) {
          g.group.members.push_back(had->object_id);
          continue;
        }
        UPSYNC_ASSIGN_OR_RETURN(auto group, dir_.cloud_group_by_dn(tenant_.id, dn));
        if (group && in_scope(group->source_anchor)) {
          g.group.members.push_back(group->object_id);
          continue;
        }
        ++r.skipped[kMemberOutOfScope];
      }
    }
    std::unordered_set<std::string>& seen = c.seen;
    for (PendingUser& p : c.users) UPSYNC_RETURN_IF_ERROR(write_user(c, p, source.complete));
    c.users.clear();
    if (c.written > 0) report_progress(r.stage, c.written, c.written, true);
    for (GroupEntry& g : groups) {
      UPSYNC_ASSIGN_OR_RETURN(auto outcome,
                              dir_.put_group(tenant_.id, DirectoryLayer::kCloud, g.group));
      seen.insert(g.group.object_id);
      count(r.groups, r.changes, outcome, describe(g.group));
    }
    std::vector<DirectoryGroup> gone_groups;
    if (source.complete || present_anchors) {
      // The read names everything in scope: anchored users and groups it does not name are
      // gone on premises.
      auto missing = [&](const std::string& object_id, const std::string& anchor) {
        if (seen.count(object_id)) return false;
        if (present_anchors) {
          // A present phase names entryUUIDs: an object anchored on objectGUID cannot be
          // named in it, and is left to a complete read.
          if (!is_entry_uuid_anchor(anchor)) return false;
          if (present_set.count(anchor) || seen_anchors.count(anchor)) return false;
        }
        return true;
      };
      UPSYNC_ASSIGN_OR_RETURN(auto all, dir_.anchored_user_ids(tenant_.id, DirectoryLayer::kCloud));
      for (const DirectoryStore::AnchoredId& a : all) {
        if (!missing(a.object_id, a.source_anchor)) continue;
        UPSYNC_ASSIGN_OR_RETURN(auto u, dir_.user(tenant_.id, DirectoryLayer::kCloud, a.object_id));
        if (u) gone.push_back(std::move(*u));
      }
      UPSYNC_ASSIGN_OR_RETURN(auto all_groups,
                              dir_.anchored_groups(tenant_.id, DirectoryLayer::kCloud));
      for (DirectoryGroup& g : all_groups) {
        if (missing(g.object_id, g.source_anchor)) gone_groups.push_back(std::move(g));
      }
    }
    for (const std::string& anchor : deleted_anchors) {
      UPSYNC_ASSIGN_OR_RETURN(auto u,
                              dir_.user_by_anchor(tenant_.id, DirectoryLayer::kCloud, anchor));
      if (u && !u->deleted) gone.push_back(std::move(*u));
      UPSYNC_ASSIGN_OR_RETURN(auto g,
                              dir_.group_by_anchor(tenant_.id, DirectoryLayer::kCloud, anchor));
      if (g && !g->deleted) gone_groups.push_back(std::move(*g));
    }
    // The same object may be named twice (deleted and missing); remove it once.
    std::set<std::string> removing;
    std::erase_if(gone,
                  [&](const DirectoryUser& u) { return !removing.insert(u.object_id).second; });
    std::erase_if(gone_groups,
                  [&](const DirectoryGroup& g) { return !removing.insert(g.object_id).second; });
    const size_t deleting = gone.size() + gone_groups.size();
    if (static_cast<int64_t>(deleting) > options_.deletion_threshold) {
      std::string what = std::to_string(gone.size()) + " users";
      if (!gone_groups.empty()) what += " and " + std::to_string(gone_groups.size()) + " groups";
      return failed_precondition(
          "this run would delete " + what + ", more than the deletion threshold of " +
          std::to_string(options_.deletion_threshold) +
          "; if that is intended, rerun with --deletion-threshold " + std::to_string(deleting));
    }
    for (const DirectoryUser& u : gone) {
      UPSYNC_ASSIGN_OR_RETURN(bool removed,
                              dir_.remove(tenant_.id, DirectoryLayer::kCloud, u.object_id));
      if (removed) {
        ++r.deleted;
        r.changes.push_back("- " + describe(u));
      }
    }
    for (const DirectoryGroup& g : gone_groups) {
      UPSYNC_ASSIGN_OR_RETURN(bool removed,
                              dir_.remove_group(tenant_.id, DirectoryLayer::kCloud, g.object_id));
      if (removed) {
        ++r.groups.deleted;
        r.changes.push_back("- " + describe(g));
      }
    }
    if (!source.complete) {
      // A delta does not name the reports of a user who left (their entries did not change):
      // they lose their manager here, as a complete read would find.
      for (const DirectoryUser& u : gone) {
        UPSYNC_ASSIGN_OR_RETURN(auto reports, dir_.cloud_direct_reports(tenant_.id, u.object_id));
        for (DirectoryUser& report : reports) {
          if (seen.count(report.object_id)) continue;
          report.attributes.erase("manager");
          UPSYNC_ASSIGN_OR_RETURN(auto outcome,
                                  dir_.put(tenant_.id, DirectoryLayer::kCloud, report));
          count(r, outcome, describe(report));
        }
      }
    }
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

  Result<StageReport> stage1() {
    StageReport r;
    r.stage = "cloud-to-store";
    // Whose nested membership may have changed: the groups read, and the users removed.
    std::vector<std::string> touched;
    UPSYNC_RETURN_IF_ERROR(
        follow(r.stage, kCloudUsersFeed, kStage1Cursor, r.read, [&](const Change& c) -> Status {
          UPSYNC_ASSIGN_OR_RETURN(auto copied, dir_.copy_user_to_store(tenant_.id, c.object_id));
          if (!copied) {
            UPSYNC_ASSIGN_OR_RETURN(bool removed,
                                    dir_.remove(tenant_.id, DirectoryLayer::kStore, c.object_id));
            if (removed) {
              ++r.deleted;
              r.changes.push_back("- " + c.object_id);
              touched.push_back(c.object_id);
            }
            return Status::ok();
          }
          count(r, copied->outcome,
                copied->user_principal_name.empty() ? c.object_id : copied->user_principal_name);
          return Status::ok();
        }));
    const std::string groups_stage = r.stage + " (groups)";
    UPSYNC_RETURN_IF_ERROR(follow(
        groups_stage, kCloudGroupsFeed, kStage1GroupsCursor, r.groups.read,
        [&](const Change& c) -> Status {
          touched.push_back(c.object_id);
          UPSYNC_ASSIGN_OR_RETURN(auto cloud,
                                  dir_.group(tenant_.id, DirectoryLayer::kCloud, c.object_id));
          if (!cloud || cloud->deleted) {
            UPSYNC_ASSIGN_OR_RETURN(
                bool removed, dir_.remove_group(tenant_.id, DirectoryLayer::kStore, c.object_id));
            if (removed) {
              ++r.groups.deleted;
              r.changes.push_back("- group " + c.object_id);
            }
            return Status::ok();
          }
          // A group's attributes are all in the fixed set; its members are users and groups the
          // store has (stage 1 copied the users first).
          UPSYNC_ASSIGN_OR_RETURN(auto outcome,
                                  dir_.put_group(tenant_.id, DirectoryLayer::kStore, *cloud));
          count(r.groups, r.changes, outcome, describe(*cloud));
          return Status::ok();
        }));
    if (!touched.empty()) {
      UPSYNC_RETURN_IF_ERROR(dir_.resolve_transitive_members(tenant_.id, touched).status());
    }
    return r;
  }

  Result<StageReport> stage2() {
    StageReport r;
    r.stage = "store-to-profiles";
    // Managers' account names by object id: many users share a manager, and the directory
    // store does not change during this stage.
    std::unordered_map<std::string, std::string> manager_accounts;
    std::unordered_set<std::string> synced;  // the users this run has carried into profiles
    UPSYNC_RETURN_IF_ERROR(
        follow(r.stage, kDirectoryUsersFeed, kStage2Cursor, r.read, [&](const Change& c) -> Status {
          synced.insert(c.object_id);
          return user_to_profile(r, c.object_id, manager_accounts);
        }));
    if (tenant_.education) UPSYNC_RETURN_IF_ERROR(fill_stubs(r, synced, manager_accounts));
    return r;
  }

  // Stage 2 for one user of the directory store: their profile created, filled, or deleted.
  Status user_to_profile(StageReport& r, const std::string& object_id,
                         std::unordered_map<std::string, std::string>& manager_accounts) {
    UPSYNC_ASSIGN_OR_RETURN(auto user, dir_.user(tenant_.id, DirectoryLayer::kStore, object_id));
    UPSYNC_ASSIGN_OR_RETURN(std::optional<Profile> existing,
                            store_.find_profile(tenant_.id, {ProfileKeyKind::kCloudId, object_id}));
    if (!user || user->deleted) {
      if (existing) {
        UPSYNC_RETURN_IF_ERROR(store_.delete_profile(tenant_.id, existing->id));
        ++r.deleted;
        r.changes.push_back("- " + existing->account_name);
      }
      return Status::ok();
    }
    if (auto why = skip_reason(*user)) {
      ++r.skipped[*why];
      return Status::ok();
    }
    std::string manager_account;
    if (std::string m = user->first("manager"); !m.empty()) {
      auto known = manager_accounts.find(m);
      if (known == manager_accounts.end()) {
        UPSYNC_ASSIGN_OR_RETURN(auto mgr, dir_.user(tenant_.id, DirectoryLayer::kStore, m));
        std::string account;
        if (mgr && !mgr->deleted && !mgr->first("userPrincipalName").empty()) {
          account = format_claim(membership_user(mgr->first("userPrincipalName")));
        }
        known = manager_accounts.emplace(m, std::move(account)).first;
      }
      manager_account = known->second;
    }
    const std::vector<PropertyChange> props = profile_properties_for(*user, manager_account);
    const std::string account = format_claim(membership_user(user->first("userPrincipalName")));
    if (!existing) {
      // A profile made before sync knew the user (an education stub, an admin) is found
      // by its account name and filled.
      UPSYNC_ASSIGN_OR_RETURN(
          existing, store_.find_profile(tenant_.id, {ProfileKeyKind::kAccountName, account}));
    }
    if (existing) {
      UPSYNC_ASSIGN_OR_RETURN(Profile after,
                              store_.update_read_profile(tenant_.id, *existing, props));
      const bool changed = after.seq != existing->seq;
      count(r, true, changed,
            changed ? account + " (" + profile_diff(*existing, after) + ")" : account);
      return Status::ok();
    }
    if (tenant_.education) {
      // Seed 002: education tenants get no profile from sync; the first access makes one.
      ++r.skipped["education tenant: profile is created on first access"];
      return Status::ok();
    }
    UPSYNC_RETURN_IF_ERROR(store_.create_profile(tenant_.id, account, props).status());
    count(r, false, true, account);
    return Status::ok();
  }

  // Seed 002: "The stub profile will be updated with all remaining data as part of the sync
  // process". A stub made at first access names a user whom an earlier run skipped and whose
  // directory entry may never change again, so the directory feed alone would not bring them
  // back: the profiles feed, from a cursor of this stage's own, brings each new profile, and
  // one without a cloud id whose user the directory store has is carried as if that user
  // had changed. Each profile change is read once; its profile is only read back.
  Status fill_stubs(StageReport& r, const std::unordered_set<std::string>& synced,
                    std::unordered_map<std::string, std::string>& manager_accounts) {
    int64_t read = 0;  // profile changes: not the directory changes the stage's `read` counts
    return follow(r.stage + " (stubs)", kProfilesFeed, kStage2StubsCursor, read,
                  [&](const Change& c) -> Status {
                    if (c.op == ChangeOp::kDelete) return Status::ok();
                    UPSYNC_ASSIGN_OR_RETURN(
                        auto p,
                        store_.find_profile(tenant_.id, {ProfileKeyKind::kId, c.object_id}));
                    if (!p || !p->first("msOnline-ObjectId").empty()) return Status::ok();
                    std::string upn = p->first("SPS-UserPrincipalName");
                    if (upn.empty()) {
                      auto claim = parse_claim(p->account_name);
                      if (claim && claim->issuer == IssuerType::kForms) upn = claim->value;
                    }
                    if (upn.empty()) return Status::ok();
                    UPSYNC_ASSIGN_OR_RETURN(
                        auto user, dir_.user_by_upn(tenant_.id, DirectoryLayer::kStore, upn));
                    if (!user || synced.count(user->object_id)) return Status::ok();
                    return user_to_profile(r, user->object_id, manager_accounts);
                  });
  }

  // Stage 3: each changed profile's "sync to sites" properties into the site user
  // information lists that hold the person (site_users.h). A deleted profile leaves its
  // entries, as SharePoint does.
  Result<StageReport> stage3() {
    StageReport r;
    r.stage = "profiles-to-sites";
    UPSYNC_ASSIGN_OR_RETURN(auto sites, open_site_user_store(store_));
    UPSYNC_ASSIGN_OR_RETURN(ProfileSchema schema, store_.schema(tenant_.id));
    // Without anyone in a site's list there is nothing to copy: the cursor still moves on.
    UPSYNC_ASSIGN_OR_RETURN(const bool listed, sites->any(tenant_.id));
    UPSYNC_RETURN_IF_ERROR(
        follow(r.stage, kProfilesFeed, kStage3Cursor, r.read, [&](const Change& c) -> Status {
          if (!listed) return Status::ok();
          auto profile = store_.profile(tenant_.id, {ProfileKeyKind::kId, c.object_id});
          if (!profile) {
            return profile.status().code() == StatusCode::kNotFound ? Status::ok()
                                                                    : profile.status();
          }
          UPSYNC_ASSIGN_OR_RETURN(auto entries, sites->of_login(tenant_.id, profile->account_name));
          if (entries.empty()) return Status::ok();
          SiteProperties copy = site_properties(*profile, schema);
          for (SiteUser& e : entries) {
            e.properties = copy;
            e.profile_id = profile->id;
            UPSYNC_ASSIGN_OR_RETURN(bool changed, sites->update(tenant_.id, e));
            count(r, true, changed, (e.site.empty() ? "/" : "/" + e.site) + " " + e.login_name);
          }
          return Status::ok();
        }));
    return r;
  }

 private:
  void count(StageReport& r, DirectoryStore::PutOutcome outcome, const std::string& what) {
    count(r, outcome == DirectoryStore::PutOutcome::kUpdated,
          outcome != DirectoryStore::PutOutcome::kUnchanged, what);
  }
  void count(ObjectCounts& n, std::vector<std::string>& changes, DirectoryStore::PutOutcome outcome,
             const std::string& what) {
    if (outcome == DirectoryStore::PutOutcome::kUnchanged) {
      ++n.unchanged;
    } else if (outcome == DirectoryStore::PutOutcome::kUpdated) {
      ++n.updated;
      changes.push_back("~ " + what);
    } else {
      ++n.added;
      changes.push_back("+ " + what);
    }
  }
  void count(StageReport& r, bool existed, bool changed, const std::string& what) {
    if (!changed) {
      ++r.unchanged;
    } else if (existed) {
      ++r.updated;
      r.changes.push_back("~ " + what);
    } else {
      ++r.added;
      r.changes.push_back("+ " + what);
    }
  }

  // Applies each change of `feed` after the stage's cursor (from 0 on a full run), counting
  // the entries read into `read`, and moves the cursor.
  template <typename Fn>
  Status follow(std::string_view stage, std::string_view feed, std::string_view cursor,
                int64_t& read, Fn&& apply) {
    UPSYNC_ASSIGN_OR_RETURN(int64_t after, store_.cursor(tenant_.id, cursor));
    if (options_.full) after = 0;
    int64_t total = 0;
    if (options_.progress) {
      UPSYNC_ASSIGN_OR_RETURN(total, store_.count_changes_after(tenant_.id, feed, after));
    }
    // Each object once per run, at its latest state: the feed may name it several times.
    std::unordered_set<std::string> done;
    while (true) {
      UPSYNC_ASSIGN_OR_RETURN(auto changes,
                              store_.changes_after(tenant_.id, feed, after, kFeedBatch));
      for (const Change& c : changes) {
        report_progress(stage, read, total);
        ++read;
        after = c.seq;
        if (!done.insert(c.object_id).second) continue;
        UPSYNC_RETURN_IF_ERROR(apply(c));
      }
      if (static_cast<int>(changes.size()) < kFeedBatch) break;
    }
    if (read > 0) report_progress(stage, read, std::max(total, read), true);
    return store_.set_cursor(tenant_.id, cursor, after);
  }

  // Every kProgressEvery objects, and at the end (`last`).
  void report_progress(std::string_view stage, int64_t done, int64_t total, bool last = false) {
    constexpr int64_t kProgressEvery = 2000;
    if (!options_.progress || (!last && (done == 0 || done % kProgressEvery != 0))) return;
    options_.progress({stage, done, total});
  }

  Store& store_;
  DirectoryStore& dir_;
  const Tenant& tenant_;
  const SyncOptions& options_;

 public:
  // How many entries stage 0's source sent (SyncReport::source_entries).
  int64_t source_entries_ = 0;
};

// Runs a stage and sets its report's duration.
template <typename Fn>
Result<StageReport> timed(Fn&& stage) {
  const auto t0 = std::chrono::steady_clock::now();
  Result<StageReport> r = stage();
  if (r) {
    const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(
        std::chrono::steady_clock::now() - t0);
    r->seconds = static_cast<double>(ms.count()) / 1000;
  }
  return r;
}

// Runs a streamed read (SourceRead::stream) to its end without stage 0, counting its entries:
// a run that does not reach stage 0 still reads its source first, and fails as it would.
Result<int64_t> drain(const SourceRead& source) {
  class Counter : public EntrySink {
   public:
    void add(LdifRecord&&) override { ++count; }
    void restart() override { count = 0; }
    int64_t count = 0;
  } counter;
  SourceRead end = source;
  UPSYNC_RETURN_IF_ERROR(source.stream(counter, end));
  return counter.count;
}

Result<SyncReport> run(Store& store, const Tenant& tenant, const SourceRead* source,
                       const SyncOptions& options) {
  const std::optional<int> only = options.only_stage;
  auto wanted = [&](int stage) { return !only || *only == stage; };
  SyncReport report;
  if (source && source->stream &&
      (tenant.kind != TenantKind::kOnline || (only && (*only < 0 || *only > 3)) || !wanted(0))) {
    UPSYNC_ASSIGN_OR_RETURN(report.source_entries, drain(*source));
  } else if (source) {
    report.source_entries = static_cast<int64_t>(source->entries.size());
  }
  if (tenant.kind != TenantKind::kOnline) {
    return failed_precondition("tenant '" + tenant.name +
                               "' is a server tenant: its profiles import straight from a "
                               "connector, which this version does not run yet");
  }
  UPSYNC_ASSIGN_OR_RETURN(auto dir, open_directory_store(store));
  Pipeline p(store, *dir, tenant, options);
  if (only && (*only < 0 || *only > 3)) {
    return invalid_argument("--stage " + std::to_string(*only) +
                            ": the stages are 0 (on-premises directory to cloud directory), 1 "
                            "(to the directory store), 2 (to profiles) and 3 (to site user lists)");
  }
  if (only == 0 && !source) {
    return failed_precondition("stage 0 reads an on-premises directory, and tenant '" +
                               tenant.name +
                               "' has no connector: add one (upsync connector add) or sync a "
                               "file (upsync sync ldif)");
  }
  Status s = store.in_bulk_transaction([&]() -> Status {
    if (source && wanted(0)) {
      UPSYNC_ASSIGN_OR_RETURN(StageReport r0, timed([&] { return p.stage0(*source); }));
      report.stages.push_back(std::move(r0));
      report.source_entries = p.source_entries_;
    }
    if (wanted(1)) {
      UPSYNC_ASSIGN_OR_RETURN(StageReport r1, timed([&] { return p.stage1(); }));
      report.stages.push_back(std::move(r1));
    }
    if (wanted(2)) {
      UPSYNC_ASSIGN_OR_RETURN(StageReport r2, timed([&] { return p.stage2(); }));
      report.stages.push_back(std::move(r2));
    }
    if (wanted(3)) {
      UPSYNC_ASSIGN_OR_RETURN(StageReport r3, timed([&] { return p.stage3(); }));
      report.stages.push_back(std::move(r3));
    }
    if (options.dry_run) return failed_precondition(kDryRunMarker);
    if (options.before_commit) return options.before_commit(report);
    return Status::ok();
  });
  if (!s.is_ok() && !(options.dry_run && s.message() == kDryRunMarker)) return s;
  return report;
}

}  // namespace

bool dn_within(std::string_view dn, const std::vector<std::string>& ous) {
  const std::string d = ascii_lower(dn);
  for (const std::string& ou : ous) {
    const std::string o = ascii_lower(trim(ou));
    if (o.empty()) continue;
    if (d == o || (d.size() > o.size() && d.ends_with(o) && d[d.size() - o.size() - 1] == ',')) {
      return true;
    }
  }
  return false;
}

void apply_attribute_flows(DirectoryUser& user, const LdifRecord& entry,
                           const std::map<std::string, std::string>& flows) {
  for (const auto& [cloud, directory] : flows) {
    std::vector<std::string> v;
    if (!directory.empty()) v = entry.values(directory);
    if (v.empty()) {
      user.attributes.erase(cloud);
    } else {
      user.attributes[cloud] = std::move(v);
    }
  }
}

std::optional<std::string> skip_reason(const DirectoryUser& u) {
  if (!u.flag("accountEnabled", true)) return "account disabled";
  if (u.flag("signInBlocked", false)) return "sign-in blocked";
  if (!u.flag("licensed", false)) return "no license";
  if (u.first("userPrincipalName").empty()) return "no user principal name";
  return std::nullopt;
}

std::vector<PropertyChange> profile_properties_for(const DirectoryUser& u,
                                                   const std::string& manager_account) {
  auto one = [&](std::string_view attr) -> std::vector<std::string> {
    std::string v = u.first(attr);
    if (v.empty()) return {};
    return {v};
  };
  // proxyAddresses: the upper-case "SMTP:" value is the primary address (WorkEmail);
  // "SIP:" (any case) is the SIP address. Without a primary, mail stands in (seed 001).
  std::vector<std::string> work_email, sip;
  auto proxies = u.attributes.find("proxyAddresses");
  if (proxies != u.attributes.end()) {
    for (const std::string& p : proxies->second) {
      if (p.starts_with("SMTP:") && work_email.empty()) work_email = {p.substr(5)};
      if (p.size() > 4 && ascii_iequal(p.substr(0, 4), "sip:") && sip.empty()) {
        sip = {p.substr(4)};
      }
    }
  }
  if (work_email.empty()) work_email = one("mail");
  const std::vector<std::string> upn = one("userPrincipalName");
  std::vector<std::string> manager;
  if (!manager_account.empty()) manager = {manager_account};
  std::vector<std::string> hide;
  if (!u.first("msExchHideFromAddressList").empty()) hide = {u.first("msExchHideFromAddressList")};
  return {
      {"UserName", upn},
      {"SPS-UserPrincipalName", upn},
      {"SPS-ClaimID", upn},
      {"PreferredName", one("displayName")},
      {"FirstName", one("givenName")},
      {"LastName", one("surname")},
      {"WorkPhone", one("telephoneNumber")},
      {"WorkEmail", work_email},
      {"SPS-SipAddress", sip},
      {"Office", one("physicalDeliveryOfficeName")},
      {"Title", one("jobTitle")},
      {"SPS-JobTitle", one("jobTitle")},
      {"Department", one("department")},
      {"SPS-Department", one("department")},
      {"PublicSiteRedirect", one("wWWHomePage")},
      {"SPS-MUILanguages", one("preferredLanguage")},
      {"SPS-HideFromAddressLists", hide},
      {"Manager", manager},
      {"SPS-SavedSID", one("objectSid")},
      {"ADGuid", one("objectGuidBytes")},
      {"SPS-DistinguishedName", one("distinguishedName")},
      {"msOnline-ObjectId", {u.object_id}},
      {"SPS-RecipientTypeDetails", one("msExchRecipientTypeDetails")},
  };
}

Result<DirectoryUser> cloud_user_from_entry(const LdifRecord& e) {
  DirectoryUser u;
  DirectoryAttributes& a = u.attributes;
  UPSYNC_ASSIGN_OR_RETURN(SourceAnchor id, source_anchor_of(e, "user", "inetOrgPerson"));
  u.source_anchor = id.anchor;
  a["objectGuid"] = {id.guid};
  if (id.ad) {
    a["objectGuidBytes"] = {u.source_anchor};
    flow(a, e, "userPrincipalName", "userPrincipalName");
    flow(a, e, "sn", "surname");
    flow(a, e, "displayName", "displayName");
    flow(a, e, "title", "jobTitle");
    flow(a, e, "department", "department");
    flow(a, e, "wWWHomePage", "wWWHomePage");
    flow(a, e, "sAMAccountName", "onPremisesSamAccountName");
    flow(a, e, "userPrincipalName", "onPremisesUserPrincipalName");
    flow(a, e, "company", "companyName");
    flow(a, e, "employeeID", "employeeId");
    flow(a, e, "otherMailbox", "otherMails");
    flow(a, e, "co", "country");
    for (int i = 1; i <= 15; ++i) {
      const std::string name = "extensionAttribute" + std::to_string(i);
      flow(a, e, name, name);
    }
    if (std::string sid = e.first("objectSid"); !sid.empty()) a["objectSid"] = {base64_encode(sid)};
    const std::string uac = e.first("userAccountControl");
    if (!uac.empty()) {
      long v = 0;
      try {
        v = std::stol(uac);
      } catch (const std::exception&) {
        return line_error(e, "userAccountControl '" + uac + "' is not a number");
      }
      // Bit 0x2 is ACCOUNTDISABLE.
      a["accountEnabled"] = {(v & 0x2) ? "false" : "true"};
    }
  } else {
    // inetOrgPerson preset: mail is the sign-in name.
    flow(a, e, "mail", "userPrincipalName");
    flow(a, e, "sn", "surname");
    flow(a, e, e.first("displayName").empty() ? "cn" : "displayName", "displayName");
    flow(a, e, "title", "jobTitle");
    flow(a, e,
         !e.first("department").empty()         ? "department"
         : !e.first("departmentNumber").empty() ? "departmentNumber"
                                                : "ou",
         "department");
    flow(a, e, "labeledURI", "wWWHomePage");
    flow(a, e, "uid", "onPremisesSamAccountName");
    flow(a, e, "mail", "onPremisesUserPrincipalName");
    flow(a, e, "o", "companyName");
    flow(a, e, "employeeNumber", "employeeId");
    flow(a, e, e.first("co").empty() ? "c" : "co", "country");
    a["accountEnabled"] = {e.first("pwdAccountLockedTime").empty() ? "true" : "false"};
  }
  flow(a, e, "mail", "mail");
  flow(a, e, "proxyAddresses", "proxyAddresses");
  flow(a, e, "givenName", "givenName");
  flow(a, e, "telephoneNumber", "telephoneNumber");
  flow(a, e, "physicalDeliveryOfficeName", "physicalDeliveryOfficeName");
  flow(a, e, "preferredLanguage", "preferredLanguage");
  flow(a, e, "msExchHideFromAddressList", "msExchHideFromAddressList");
  flow(a, e, "msExchRecipientTypeDetails", "msExchRecipientTypeDetails");
  flow(a, e, "manager", "manager");
  flow(a, e, "mobile", "mobile");
  flow(a, e, "l", "city");
  if (std::string domain = dn_domain(e.dn); !domain.empty()) a["onPremisesDomainName"] = {domain};
  a["distinguishedName"] = {e.dn};
  return u;
}

Result<StageReport> sync_profiles_to_sites(Store& store, const Tenant& tenant,
                                           const SyncOptions& options) {
  UPSYNC_ASSIGN_OR_RETURN(auto dir, open_directory_store(store));
  Pipeline p(store, *dir, tenant, options);
  return timed([&] { return p.stage3(); });
}

bool is_group_entry(const LdifRecord& e) {
  return has_class(e, "group") || has_class(e, "groupOfNames") ||
         has_class(e, "groupOfUniqueNames");
}

Result<GroupEntry> cloud_group_from_entry(const LdifRecord& e) {
  GroupEntry out;
  DirectoryGroup& g = out.group;
  DirectoryAttributes& a = g.attributes;
  UPSYNC_ASSIGN_OR_RETURN(SourceAnchor id, source_anchor_of(e, "group", "groupOfNames"));
  g.source_anchor = id.anchor;
  a["objectGuid"] = {id.guid};
  flow(a, e, e.first("displayName").empty() ? "cn" : "displayName", "displayName");
  if (!a.count("displayName")) {
    if (std::string rdn = first_rdn_value(e.dn); !rdn.empty()) a["displayName"] = {rdn};
  }
  flow(a, e, "description", "description");
  flow(a, e, "mail", "mail");
  flow(a, e, "proxyAddresses", "proxyAddresses");
  flow(a, e, "sAMAccountName", "onPremisesSamAccountName");
  if (std::string sid = e.first("objectSid"); !sid.empty()) a["objectSid"] = {base64_encode(sid)};
  // mailNickname: AD's own, else the mail's local part, else the account or common name.
  std::string nickname = e.first("mailNickname");
  if (nickname.empty()) nickname = e.first("mail").substr(0, e.first("mail").find('@'));
  if (nickname.empty()) nickname = e.first("sAMAccountName");
  if (nickname.empty()) nickname = e.first("cn");
  if (!nickname.empty()) a["mailNickname"] = {nickname};
  bool security = true;  // an LDAP group of names grants access: a security group
  if (const std::string type = e.first("groupType"); !type.empty()) {
    long long v = 0;
    size_t used = 0;
    try {
      v = std::stoll(type, &used);
    } catch (const std::exception&) {
      used = 0;
    }
    if (used != type.size() || v < INT32_MIN || v > UINT32_MAX) {
      return line_error(e, "groupType '" + quote_for_message(type) + "' is not a 32-bit number");
    }
    security = (static_cast<uint32_t>(v) & 0x80000000u) != 0;  // GROUP_TYPE_SECURITY_ENABLED
  }
  a["securityEnabled"] = {security ? "true" : "false"};
  a["mailEnabled"] = {e.first("mail").empty() ? "false" : "true"};
  a["distinguishedName"] = {e.dn};
  for (const char* attr : {"member", "uniqueMember"}) {
    for (const std::string& v : e.values(attr)) {
      std::string dn = member_dn(v);
      if (Status s = check_dn(dn); !s) {
        return line_error(e, std::string(attr) + " value '" + quote_for_message(v) +
                                 "' is not a distinguished name: " + s.message());
      }
      out.member_dns.push_back(std::move(dn));
    }
  }
  return out;
}

Result<SyncReport> run_source_sync(Store& store, const Tenant& tenant, const SourceRead& source,
                                   const SyncOptions& options) {
  return run(store, tenant, &source, options);
}

Result<SyncReport> run_sync(Store& store, const Tenant& tenant, const std::vector<LdifRecord>* ldif,
                            const SyncOptions& options) {
  if (!ldif) return run(store, tenant, nullptr, options);
  SourceRead source;
  source.entries = *ldif;
  source.complete = true;
  return run(store, tenant, &source, options);
}

}  // namespace upsync
