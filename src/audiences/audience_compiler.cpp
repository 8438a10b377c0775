#include "audiences/audience_compiler.h"

#include <algorithm>
#include <charconv>
#include <map>
#include <set>
#include <unordered_map>
#include <unordered_set>

#include "core/text.h"
#include "directory/directory_store.h"

namespace upsync {

namespace {

constexpr int kPage = 1000;
// How far up a Manager chain "reports under" looks: deeper than any real organisation, and a
// bound on a chain that loops.
constexpr int kMaxChain = 64;
constexpr std::string_view kCloudIdProperty = "msOnline-ObjectId";

bool value_matches(const AudienceRule& rule, const Profile& p) {
  const PropertyValues* values = p.find(rule.property);
  if (!values) return false;
  const std::string want = ascii_lower(rule.value);
  for (const std::string& v : *values) {
    const std::string have = ascii_lower(v);
    if (rule.kind == AudienceRuleKind::kPropertyEquals ? have == want
                                                       : have.find(want) != std::string::npos) {
      return true;
    }
  }
  return false;
}

bool combine(const Audience& a, const std::vector<bool>& results) {
  for (bool r : results) {
    if (a.match == AudienceMatch::kAny && r) return true;
    if (a.match == AudienceMatch::kAll && !r) return false;
  }
  return a.match == AudienceMatch::kAll;
}

bool has_kind(const Audience& a, AudienceRuleKind kind) {
  for (const AudienceRule& r : a.rules) {
    if (r.kind == kind) return true;
  }
  return false;
}

// Evaluates audiences one profile at a time, for the delta: each lookup goes to the store.
class ProfileEvaluator {
 public:
  ProfileEvaluator(Store& store, DirectoryStore& dir, const Tenant& tenant)
      : store_(store), dir_(dir), tenant_(tenant) {}

  Result<bool> matches(const Audience& a, const Profile& p) {
    if (p.id != groups_for_) {
      groups_.reset();
      groups_for_ = p.id;
    }
    std::vector<bool> results;
    results.reserve(a.rules.size());
    for (const AudienceRule& r : a.rules) {
      switch (r.kind) {
        case AudienceRuleKind::kPropertyEquals:
        case AudienceRuleKind::kPropertyContains:
          results.push_back(value_matches(r, p));
          break;
        case AudienceRuleKind::kMemberOf: {
          UPSYNC_ASSIGN_OR_RETURN(const std::set<std::string>* groups, groups_of(p));
          results.push_back(groups->contains(ascii_lower(r.group)));
          break;
        }
        case AudienceRuleKind::kReportsUnder: {
          UPSYNC_ASSIGN_OR_RETURN(bool under, reports_under(p, r.manager));
          results.push_back(under);
          break;
        }
      }
    }
    return combine(a, results);
  }

 private:
  // Every group that holds the profile's directory object, directly or through others.
  Result<const std::set<std::string>*> groups_of(const Profile& p) {
    if (groups_) return &*groups_;
    groups_.emplace();
    std::vector<std::string> todo;
    if (std::string id = p.first(kCloudIdProperty); !id.empty()) todo.push_back(id);
    while (!todo.empty()) {
      std::string id = std::move(todo.back());
      todo.pop_back();
      UPSYNC_ASSIGN_OR_RETURN(auto holders, dir_.member_of(tenant_.id, DirectoryLayer::kStore, id));
      for (const DirectoryGroup& g : holders) {
        if (groups_->insert(ascii_lower(g.object_id)).second) todo.push_back(g.object_id);
      }
    }
    return &*groups_;
  }

  Result<bool> reports_under(const Profile& p, const std::string& manager) {
    std::set<std::string> seen = {p.account_name};
    std::string next = p.first("Manager");
    for (int depth = 0; !next.empty() && depth < kMaxChain; ++depth) {
      if (next == manager) return true;
      if (!seen.insert(next).second) return false;
      UPSYNC_ASSIGN_OR_RETURN(
          auto m, store_.find_profile(tenant_.id, {ProfileKeyKind::kAccountName, next}));
      if (!m) return false;
      next = m->first("Manager");
    }
    return false;
  }

  Store& store_;
  DirectoryStore& dir_;
  const Tenant& tenant_;
  ProfileId groups_for_ = 0;
  std::optional<std::set<std::string>> groups_;
};

// Every profile's reports, transitively (breadth first), for a manager change.
Status add_reports_below(Store& store, const Tenant& tenant, const std::string& account,
                         std::set<ProfileId>& out) {
  std::vector<std::string> todo = {account};
  std::set<std::string> seen = {account};
  while (!todo.empty()) {
    std::string next = std::move(todo.back());
    todo.pop_back();
    ProfileQuery q;
    q.filter_property = "Manager";
    q.filter_value = next;
    q.limit = kPage;
    while (true) {
      UPSYNC_ASSIGN_OR_RETURN(ProfilePage page, store.list_profiles(tenant.id, q));
      for (const Profile& r : page.profiles) {
        out.insert(r.id);
        if (seen.insert(r.account_name).second) todo.push_back(r.account_name);
      }
      if (!page.next_after_id) break;
      q.after_id = *page.next_after_id;
    }
  }
  return Status::ok();
}

// The groups that hold `group_id`, transitively, with itself: the groups whose transitive
// membership a change of `group_id` changes.
Result<std::set<std::string>> group_and_holders(DirectoryStore& dir, const Tenant& tenant,
                                                const std::string& group_id) {
  std::set<std::string> out = {ascii_lower(group_id)};
  std::vector<std::string> todo = {group_id};
  while (!todo.empty()) {
    std::string id = std::move(todo.back());
    todo.pop_back();
    UPSYNC_ASSIGN_OR_RETURN(auto holders, dir.member_of(tenant.id, DirectoryLayer::kStore, id));
    for (const DirectoryGroup& g : holders) {
      if (out.insert(ascii_lower(g.object_id)).second) todo.push_back(g.object_id);
    }
  }
  return out;
}

// The profiles of a group's transitive members (users with a profile; groups have none).
Status add_group_member_profiles(Store& store, DirectoryStore& dir, const Tenant& tenant,
                                 const std::string& group_id, std::set<ProfileId>& out) {
  UPSYNC_ASSIGN_OR_RETURN(auto members,
                          dir.transitive_members(tenant.id, DirectoryLayer::kStore, group_id));
  for (const std::string& m : members) {
    UPSYNC_ASSIGN_OR_RETURN(auto p, store.find_profile(tenant.id, {ProfileKeyKind::kCloudId, m}));
    if (p) out.insert(p->id);
  }
  return Status::ok();
}

// Reads `feed` after `cursor` to its end; calls `each` per entry. Returns the last sequence.
Result<int64_t> read_feed(Store& store, const Tenant& tenant, std::string_view feed, int64_t cursor,
                          const std::function<Status(const Change&)>& each) {
  while (true) {
    UPSYNC_ASSIGN_OR_RETURN(auto changes, store.changes_after(tenant.id, feed, cursor, kPage));
    for (const Change& c : changes) {
      UPSYNC_RETURN_IF_ERROR(each(c));
      cursor = c.seq;
    }
    if (static_cast<int>(changes.size()) < kPage) return cursor;
  }
}

Result<StageReport> delta(Store& store, const Tenant& tenant, const std::vector<Audience>& all) {
  StageReport report;
  report.stage = "profiles-to-audiences";
  UPSYNC_ASSIGN_OR_RETURN(auto dir, open_directory_store(store));
  UPSYNC_ASSIGN_OR_RETURN(auto audiences, open_audience_store(store));

  // What changed: the last operation on each profile, and the changed groups.
  std::map<ProfileId, ChangeOp> profiles;
  std::set<std::string> groups;
  UPSYNC_ASSIGN_OR_RETURN(int64_t pcur, store.cursor(tenant.id, kAudienceProfilesCursor));
  UPSYNC_ASSIGN_OR_RETURN(int64_t gcur, store.cursor(tenant.id, kAudienceGroupsCursor));
  UPSYNC_ASSIGN_OR_RETURN(
      int64_t pend, read_feed(store, tenant, kProfilesFeed, pcur, [&](const Change& c) -> Status {
        ++report.read;
        ProfileId id = 0;
        const auto [ptr, ec] =
            std::from_chars(c.object_id.data(), c.object_id.data() + c.object_id.size(), id);
        if (ec != std::errc() || ptr != c.object_id.data() + c.object_id.size()) {
          return data_loss("profiles feed entry " + std::to_string(c.seq) + " names '" +
                           quote_for_message(c.object_id) + "', not a profile id");
        }
        profiles[id] = c.op;
        return Status::ok();
      }));
  UPSYNC_ASSIGN_OR_RETURN(int64_t gend, read_feed(store, tenant, kDirectoryGroupsFeed, gcur,
                                                  [&](const Change& c) -> Status {
                                                    ++report.read;
                                                    groups.insert(c.object_id);
                                                    return Status::ok();
                                                  }));

  // Which (audience, profile) pairs to evaluate again: per audience index, the profiles.
  std::vector<std::set<ProfileId>> work(all.size());
  bool any_reports_under = false;
  for (const Audience& a : all) any_reports_under |= has_kind(a, AudienceRuleKind::kReportsUnder);
  std::set<ProfileId> changed;
  for (const auto& [id, op] : profiles) {
    if (op == ChangeOp::kDelete) {
      UPSYNC_RETURN_IF_ERROR(audiences->remove_profile(tenant.id, id));
      continue;
    }
    changed.insert(id);
    if (any_reports_under) {
      UPSYNC_ASSIGN_OR_RETURN(
          auto p, store.find_profile(tenant.id, {ProfileKeyKind::kId, std::to_string(id)}));
      if (p) UPSYNC_RETURN_IF_ERROR(add_reports_below(store, tenant, p->account_name, changed));
    }
  }
  for (size_t i = 0; i < all.size(); ++i) work[i] = changed;
  for (const std::string& g : groups) {
    UPSYNC_ASSIGN_OR_RETURN(auto affected, group_and_holders(*dir, tenant, g));
    for (size_t i = 0; i < all.size(); ++i) {
      for (const AudienceRule& r : all[i].rules) {
        if (r.kind != AudienceRuleKind::kMemberOf || !affected.contains(ascii_lower(r.group))) {
          continue;
        }
        UPSYNC_RETURN_IF_ERROR(add_group_member_profiles(store, *dir, tenant, r.group, work[i]));
        // Those who left the group are among the audience's current members.
        ProfileId after = 0;
        while (true) {
          UPSYNC_ASSIGN_OR_RETURN(auto page,
                                  audiences->members(tenant.id, all[i].id, after, kPage));
          work[i].insert(page.begin(), page.end());
          if (static_cast<int>(page.size()) < kPage) break;
          after = page.back();
        }
      }
    }
  }

  // Evaluating one profile at a time costs a few lookups each: past a tenth of the tenant
  // (a top manager moved, a large group changed), one full compile is cheaper.
  UPSYNC_ASSIGN_OR_RETURN(int64_t profile_count, store.count_profiles(tenant.id));
  ProfileEvaluator eval(store, *dir, tenant);
  for (size_t i = 0; i < all.size(); ++i) {
    if (static_cast<int64_t>(work[i].size()) > std::max<int64_t>(1000, profile_count / 10)) {
      UPSYNC_ASSIGN_OR_RETURN(auto before, audiences->find(tenant.id, std::to_string(all[i].id)));
      UPSYNC_ASSIGN_OR_RETURN(int64_t n, compile_audience(store, tenant, all[i]));
      const int64_t had = before ? before->member_count : 0;
      (n >= had ? report.added : report.deleted) += n >= had ? n - had : had - n;
      continue;
    }
    for (ProfileId id : work[i]) {
      UPSYNC_ASSIGN_OR_RETURN(
          auto p, store.find_profile(tenant.id, {ProfileKeyKind::kId, std::to_string(id)}));
      if (!p) continue;  // deleted after its change: the delete entry removed it
      UPSYNC_ASSIGN_OR_RETURN(bool in, eval.matches(all[i], *p));
      UPSYNC_ASSIGN_OR_RETURN(bool changed_membership,
                              audiences->set_member(tenant.id, all[i].id, id, in));
      if (!changed_membership) {
        ++report.unchanged;
      } else if (in) {
        ++report.added;
      } else {
        ++report.deleted;
      }
    }
  }
  if (pend != pcur)
    UPSYNC_RETURN_IF_ERROR(store.set_cursor(tenant.id, kAudienceProfilesCursor, pend));
  if (gend != gcur)
    UPSYNC_RETURN_IF_ERROR(store.set_cursor(tenant.id, kAudienceGroupsCursor, gend));
  return report;
}

}  // namespace

Result<int64_t> compile_audience(Store& store, const Tenant& tenant, const Audience& a) {
  UPSYNC_RETURN_IF_ERROR(require_server_tenant(tenant));
  UPSYNC_ASSIGN_OR_RETURN(auto dir, open_directory_store(store));
  UPSYNC_ASSIGN_OR_RETURN(auto audiences, open_audience_store(store));
  // Each named group's transitive members, read once (lower-case object ids).
  std::map<std::string, std::unordered_set<std::string>> group_members;
  for (const AudienceRule& r : a.rules) {
    if (r.kind != AudienceRuleKind::kMemberOf || group_members.contains(r.group)) continue;
    UPSYNC_ASSIGN_OR_RETURN(auto members,
                            dir->transitive_members(tenant.id, DirectoryLayer::kStore, r.group));
    auto& set = group_members[r.group];
    for (const std::string& m : members) set.insert(ascii_lower(m));
  }
  const bool needs_chain = has_kind(a, AudienceRuleKind::kReportsUnder);

  // One pass over the profiles: every rule but "reports under" is decided on the spot; for
  // that one, the Manager of each profile is kept and the chains walked after the pass.
  struct Row {
    ProfileId id;
    std::vector<int8_t> results;  // per rule: 1, 0, or -1 (reports under: not yet known)
    std::string account;
  };
  std::vector<Row> rows;
  std::unordered_map<std::string, std::string> manager_of;  // account → Manager
  ProfileQuery q;
  q.limit = kPage;
  while (true) {
    UPSYNC_ASSIGN_OR_RETURN(ProfilePage page, store.list_profiles(tenant.id, q));
    for (const Profile& p : page.profiles) {
      Row row{p.id, {}, needs_chain ? p.account_name : std::string()};
      row.results.reserve(a.rules.size());
      const std::string cloud_id = ascii_lower(p.first(kCloudIdProperty));
      for (const AudienceRule& r : a.rules) {
        switch (r.kind) {
          case AudienceRuleKind::kPropertyEquals:
          case AudienceRuleKind::kPropertyContains:
            row.results.push_back(value_matches(r, p) ? 1 : 0);
            break;
          case AudienceRuleKind::kMemberOf:
            row.results.push_back(!cloud_id.empty() && group_members[r.group].contains(cloud_id));
            break;
          case AudienceRuleKind::kReportsUnder:
            row.results.push_back(-1);
            break;
        }
      }
      if (needs_chain) {
        if (std::string m = p.first("Manager"); !m.empty()) manager_of[p.account_name] = m;
      }
      rows.push_back(std::move(row));
    }
    if (!page.next_after_id) break;
    q.after_id = *page.next_after_id;
  }

  // Whether `account`'s chain reaches `manager`, remembered per (manager, account) so that a
  // chain is walked once however many people sit below it.
  std::map<std::string, std::unordered_map<std::string, bool>> under;
  auto reports_under = [&](const std::string& account, const std::string& manager) {
    auto& known = under[manager];
    std::vector<std::string> path;
    std::string next = account;
    bool result = false;
    for (int depth = 0; depth <= kMaxChain; ++depth) {
      if (auto k = known.find(next); k != known.end()) {
        result = k->second;
        break;
      }
      auto m = manager_of.find(next);
      if (m == manager_of.end()) break;
      path.push_back(next);
      if (m->second == manager) {
        result = true;
        break;
      }
      next = m->second;
    }
    for (const std::string& on : path) known[on] = result;
    return result;
  };

  std::vector<ProfileId> members;
  std::vector<bool> results(a.rules.size());
  for (const Row& row : rows) {
    for (size_t i = 0; i < a.rules.size(); ++i) {
      results[i] = row.results[i] >= 0 ? row.results[i] == 1
                                       : reports_under(row.account, a.rules[i].manager);
    }
    if (combine(a, results)) members.push_back(row.id);
  }
  UPSYNC_RETURN_IF_ERROR(audiences->set_members(tenant.id, a.id, members));
  return static_cast<int64_t>(members.size());
}

Result<StageReport> run_audience_stage(Store& store, const Tenant& tenant,
                                       const SyncOptions& options) {
  StageReport report;
  report.stage = "profiles-to-audiences";
  if (tenant.kind != TenantKind::kServer) return report;
  Status s = store.in_transaction([&]() -> Status {
    // The memberships are computed from what is read, and the cursors set to the last change:
    // no writer may commit in between.
    UPSYNC_RETURN_IF_ERROR(store.take_tenant_turn(tenant.id));
    UPSYNC_ASSIGN_OR_RETURN(auto audiences, open_audience_store(store));
    UPSYNC_ASSIGN_OR_RETURN(auto all, audiences->list(tenant.id));
    if (options.full) {
      for (const Audience& a : all) {
        UPSYNC_ASSIGN_OR_RETURN(int64_t n, compile_audience(store, tenant, a));
        report.added += n;
      }
      UPSYNC_ASSIGN_OR_RETURN(int64_t last, store.last_seq(tenant.id));
      UPSYNC_RETURN_IF_ERROR(store.set_cursor(tenant.id, kAudienceProfilesCursor, last));
      return store.set_cursor(tenant.id, kAudienceGroupsCursor, last);
    }
    UPSYNC_ASSIGN_OR_RETURN(report, delta(store, tenant, all));
    return Status::ok();
  });
  if (!s) return s;
  return report;
}

}  // namespace upsync
