// Stages 1 to 3 of the sync pipeline (sync/pipeline.h): each reads the change feed of the layer
// before it from its own cursor (a delta run reads what changed since the last run) and writes
// the next layer: the cloud directory into the directory store, the directory store into user
// profiles, changed profiles into the site user information lists that hold them.
#include <algorithm>
#include <cstdint>
#include <functional>
#include <optional>
#include <set>
#include <unordered_map>
#include <unordered_set>

#include "core/claims.h"
#include "core/text.h"
#include "sites/site_users.h"
#include "sync/stages.h"

namespace upsync::sync_internal {
namespace {

constexpr int kFeedBatch = 1000;
constexpr std::string_view kStage1Cursor = "sync.stage1";
constexpr std::string_view kStage2Cursor = "sync.stage2";
// The profiles feed as stage 2 reads it for an education tenant's stubs (fill_stubs()).
constexpr std::string_view kStage2StubsCursor = "sync.stage2.stubs";
constexpr std::string_view kStage3Cursor = "sync.stage3";
constexpr std::string_view kStage1GroupsCursor = "sync.stage1.groups";

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

// What stage 2 reads of a page of the directory store's feed before it applies the page: its
// users, their profiles (by cloud id, and by account name for those without one) and the
// managers' account names, in four queries rather than three or four per user (on PostgreSQL a
// query is a round trip). The stage's writes keep it current (remember, forget), so that a user
// of the page finds what an earlier user of the page wrote, as with a query per user.
class ReadAhead {
 public:
  // Whether `object_id`'s user was read ahead; then take_user() hands it over, once
  // (nullopt: the store has none). Ids compare without case, as user() finds them.
  bool has_user(const std::string& object_id) const {
    return page_.count(ascii_lower(object_id)) > 0;
  }
  std::optional<DirectoryUser> take_user(const std::string& object_id) {
    auto it = users_.find(ascii_lower(object_id));
    if (it == users_.end()) return std::nullopt;
    std::optional<DirectoryUser> out(std::move(it->second));
    users_.erase(it);
    return out;
  }
  // The profile with the key (unique_profile_key's text): a Profile, or nullopt when there is
  // none, or no answer (the outer nullopt) when the key was not read ahead.
  std::optional<std::optional<Profile>> by_cloud_id(const std::string& key) const {
    return find(by_cloud_id_, cloud_ids_read_, key);
  }
  std::optional<std::optional<Profile>> by_account(const std::string& key) const {
    return find(by_account_, accounts_read_, key);
  }

  // Reads the page ahead: `manager_accounts` gains the managers it lacks.
  Status read(Store& store, DirectoryStore& dir, TenantId tenant,
              const std::vector<Change>& changes,
              std::unordered_map<std::string, std::string>& manager_accounts) {
    *this = ReadAhead();
    std::vector<std::string> ids;
    for (const Change& c : changes) {
      if (page_.insert(ascii_lower(c.object_id)).second) ids.push_back(c.object_id);
    }
    UPSYNC_ASSIGN_OR_RETURN(auto users, dir.users_with_ids(tenant, DirectoryLayer::kStore, ids));
    std::vector<std::string> managers;
    std::unordered_set<std::string> asked;
    for (DirectoryUser& u : users) {
      std::string m = u.first("manager");
      if (!u.deleted && !m.empty() && !manager_accounts.count(m) && asked.insert(m).second) {
        managers.push_back(std::move(m));
      }
      std::string id = ascii_lower(u.object_id);
      users_.emplace(std::move(id), std::move(u));
    }
    if (!managers.empty()) {
      UPSYNC_ASSIGN_OR_RETURN(auto found,
                              dir.users_with_ids(tenant, DirectoryLayer::kStore, managers));
      // Found by id without case, as user() finds one: each value as the users spell it.
      std::unordered_map<std::string, std::string> account_of;
      for (const DirectoryUser& mgr : found) {
        if (!mgr.deleted && !mgr.first("userPrincipalName").empty()) {
          account_of[ascii_lower(mgr.object_id)] =
              format_claim(membership_user(mgr.first("userPrincipalName")));
        }
      }
      for (const std::string& m : managers) {
        auto it = account_of.find(ascii_lower(m));
        manager_accounts.emplace(m, it == account_of.end() ? std::string() : it->second);
      }
    }
    for (const std::string& id : ids) cloud_ids_read_.insert(ascii_lower(id));
    UPSYNC_ASSIGN_OR_RETURN(auto profiles,
                            store.find_profiles(tenant, ProfileKeyKind::kCloudId, ids));
    for (Profile& p : profiles) UPSYNC_RETURN_IF_ERROR(remember(std::move(p)));
    // The live users without a profile of their cloud id may have one of their account name.
    std::vector<std::string> accounts;
    for (const auto& [id, u] : users_) {
      if (u.deleted || u.first("userPrincipalName").empty() ||
          by_cloud_id_.count(ascii_lower(id))) {
        continue;
      }
      std::string account = format_claim(membership_user(u.first("userPrincipalName")));
      UPSYNC_ASSIGN_OR_RETURN(std::string key,
                              unique_profile_key(ProfileKeyKind::kAccountName, account));
      if (accounts_read_.insert(key).second) accounts.push_back(std::move(account));
    }
    if (!accounts.empty()) {
      UPSYNC_ASSIGN_OR_RETURN(auto more,
                              store.find_profiles(tenant, ProfileKeyKind::kAccountName, accounts));
      for (Profile& p : more) UPSYNC_RETURN_IF_ERROR(remember(std::move(p)));
    }
    return Status::ok();
  }

  // A profile as written now, under its keys (after forget() of its earlier state).
  Status remember(Profile p) {
    forget(p.id);
    UPSYNC_ASSIGN_OR_RETURN(std::string account,
                            unique_profile_key(ProfileKeyKind::kAccountName, p.account_name));
    std::string cloud = ascii_lower(p.first("msOnline-ObjectId"));
    by_account_.insert_or_assign(account, p.id);
    if (!cloud.empty()) by_cloud_id_.insert_or_assign(cloud, p.id);
    const ProfileId id = p.id;
    profiles_.insert_or_assign(id, Kept{std::move(p), std::move(account), std::move(cloud)});
    return Status::ok();
  }
  // A profile deleted, or about to be remembered in a new state.
  void forget(ProfileId id) {
    auto it = profiles_.find(id);
    if (it == profiles_.end()) return;
    by_account_.erase(it->second.account_key);
    if (!it->second.cloud_key.empty()) by_cloud_id_.erase(it->second.cloud_key);
    profiles_.erase(it);
  }

 private:
  std::optional<std::optional<Profile>> find(const std::unordered_map<std::string, ProfileId>& map,
                                             const std::unordered_set<std::string>& read,
                                             const std::string& key) const {
    if (auto it = map.find(key); it != map.end()) {
      return std::optional<Profile>(profiles_.at(it->second).profile);
    }
    if (read.count(key)) return std::optional<Profile>();
    return std::nullopt;
  }

  // A profile as the page holds it, with the keys it is found by.
  struct Kept {
    Profile profile;
    std::string account_key;
    std::string cloud_key;  // "" without a cloud id
  };

  std::unordered_set<std::string> page_;
  std::unordered_map<std::string, DirectoryUser> users_;
  std::unordered_set<std::string> cloud_ids_read_, accounts_read_;
  std::unordered_map<ProfileId, Kept> profiles_;
  std::unordered_map<std::string, ProfileId> by_cloud_id_, by_account_;
};

class FeedStages {
 public:
  FeedStages(Store& store, DirectoryStore& dir, const Tenant& tenant, const SyncOptions& o)
      : store_(store), dir_(dir), tenant_(tenant), options_(o) {}

  Result<StageReport> stage1() {
    StageReport r;
    r.stage = "cloud-to-store";
    // Whose nested membership may have changed: the groups read, and the users removed.
    std::vector<std::string> touched;
    // Each page is copied in one call (copy_users_to_store), then counted change by change.
    std::unordered_map<std::string, std::optional<DirectoryStore::Copied>> copies;
    UPSYNC_RETURN_IF_ERROR(follow(
        r.stage, kCloudUsersFeed, kStage1Cursor, r.read,
        [&](const Change& c) -> Status {
          auto it = copies.find(c.object_id);
          if (it == copies.end()) return internal_error("user " + c.object_id + " was not copied");
          const std::optional<DirectoryStore::Copied>& copied = it->second;
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
        },
        [&](const std::vector<Change>& page) -> Status {
          std::vector<std::string> ids;
          ids.reserve(page.size());
          for (const Change& c : page) ids.push_back(c.object_id);
          UPSYNC_ASSIGN_OR_RETURN(auto copied, dir_.copy_users_to_store(tenant_.id, ids));
          copies.clear();
          for (size_t i = 0; i < ids.size(); ++i) copies.emplace(ids[i], std::move(copied[i]));
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
    ReadAhead ahead;
    UPSYNC_RETURN_IF_ERROR(follow(
        r.stage, kDirectoryUsersFeed, kStage2Cursor, r.read,
        [&](const Change& c) -> Status {
          synced.insert(c.object_id);
          return user_to_profile(r, c.object_id, manager_accounts, &ahead);
        },
        [&](const std::vector<Change>& page) {
          return ahead.read(store_, dir_, tenant_.id, page, manager_accounts);
        }));
    if (tenant_.education) UPSYNC_RETURN_IF_ERROR(fill_stubs(r, synced, manager_accounts));
    return r;
  }

  // Stage 2 for one user of the directory store: their profile created, filled, or deleted.
  // What `ahead` read of the user's page is taken from it, and the writes are told to it.
  Status user_to_profile(StageReport& r, const std::string& object_id,
                         std::unordered_map<std::string, std::string>& manager_accounts,
                         ReadAhead* ahead = nullptr) {
    std::optional<DirectoryUser> user;
    if (ahead && ahead->has_user(object_id)) {
      user = ahead->take_user(object_id);  // each object once a run (follow())
    } else {
      UPSYNC_ASSIGN_OR_RETURN(user, dir_.user(tenant_.id, DirectoryLayer::kStore, object_id));
    }
    UPSYNC_ASSIGN_OR_RETURN(
        std::optional<Profile> existing,
        find_profile(ProfileKeyKind::kCloudId, object_id,
                     ahead ? ahead->by_cloud_id(ascii_lower(object_id)) : std::nullopt));
    if (!user || user->deleted) {
      if (existing) {
        UPSYNC_RETURN_IF_ERROR(store_.delete_profile(tenant_.id, existing->id));
        if (ahead) ahead->forget(existing->id);
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
      std::optional<std::optional<Profile>> known;
      if (ahead) {
        UPSYNC_ASSIGN_OR_RETURN(std::string key,
                                unique_profile_key(ProfileKeyKind::kAccountName, account));
        known = ahead->by_account(key);
      }
      UPSYNC_ASSIGN_OR_RETURN(existing, find_profile(ProfileKeyKind::kAccountName, account, known));
    }
    if (existing) {
      UPSYNC_ASSIGN_OR_RETURN(Profile after,
                              store_.update_read_profile(tenant_.id, *existing, props));
      const bool changed = after.seq != existing->seq;
      count(r, true, changed,
            changed ? account + " (" + profile_diff(*existing, after) + ")" : account);
      if (ahead) UPSYNC_RETURN_IF_ERROR(ahead->remember(std::move(after)));
      return Status::ok();
    }
    if (tenant_.education) {
      // Seed 002: education tenants get no profile from sync; the first access makes one.
      ++r.skipped["education tenant: profile is created on first access"];
      return Status::ok();
    }
    UPSYNC_ASSIGN_OR_RETURN(Profile created, store_.create_profile(tenant_.id, account, props));
    if (ahead) UPSYNC_RETURN_IF_ERROR(ahead->remember(std::move(created)));
    count(r, false, true, account);
    return Status::ok();
  }

  // The profile of the key: `known` when the read-ahead answered, else one query.
  Result<std::optional<Profile>> find_profile(ProfileKeyKind kind, const std::string& value,
                                              std::optional<std::optional<Profile>> known) {
    if (known) return std::move(*known);
    return store_.find_profile(tenant_.id, {kind, value});
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
  // Applies each change of `feed` after the stage's cursor (from 0 on a full run), counting
  // the entries read into `read`, and moves the cursor. `on_page`, when given, gets the
  // changes of each page that are to be applied (each object's first in the run) before they
  // are.
  template <typename Fn>
  Status follow(std::string_view stage, std::string_view feed, std::string_view cursor,
                int64_t& read, Fn&& apply,
                const std::function<Status(const std::vector<Change>&)>& on_page = {}) {
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
      std::vector<Change> todo;
      for (Change& c : changes) {
        report_progress(options_, stage, read, total);
        ++read;
        after = c.seq;
        if (done.insert(c.object_id).second) todo.push_back(std::move(c));
      }
      if (on_page && !todo.empty()) UPSYNC_RETURN_IF_ERROR(on_page(todo));
      for (const Change& c : todo) UPSYNC_RETURN_IF_ERROR(apply(c));
      if (static_cast<int>(changes.size()) < kFeedBatch) break;
    }
    if (read > 0) report_progress(options_, stage, read, std::max(total, read), true);
    return store_.set_cursor(tenant_.id, cursor, after);
  }

  Store& store_;
  DirectoryStore& dir_;
  const Tenant& tenant_;
  const SyncOptions& options_;
};

}  // namespace

Result<StageReport> cloud_to_store(Store& store, DirectoryStore& dir, const Tenant& tenant,
                                   const SyncOptions& options) {
  return FeedStages(store, dir, tenant, options).stage1();
}

Result<StageReport> store_to_profiles(Store& store, DirectoryStore& dir, const Tenant& tenant,
                                      const SyncOptions& options) {
  return FeedStages(store, dir, tenant, options).stage2();
}

Result<StageReport> profiles_to_sites(Store& store, DirectoryStore& dir, const Tenant& tenant,
                                      const SyncOptions& options) {
  return FeedStages(store, dir, tenant, options).stage3();
}

}  // namespace upsync::sync_internal
