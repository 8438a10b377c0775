#include "store/common/read_cache.h"

namespace upsync {

DirectoryUser ReadCache::copy_of_user(const DirectoryUser& user, const AttributeNames* only) {
  if (!only) return user;
  DirectoryUser out;
  out.object_id = user.object_id;
  out.source_anchor = user.source_anchor;
  out.deleted = user.deleted;
  out.seq = user.seq;
  for (const std::string& name : *only) {
    if (auto it = user.attributes.find(name); it != user.attributes.end()) {
      out.attributes.emplace_hint(out.attributes.end(), *it);
    }
  }
  return out;
}

void ReadCache::check(std::string_view version) {
  if (has_version_ && version == version_) return;
  clear();
  version_ = version;
  has_version_ = true;
}

void ReadCache::clear() {
  tenants_.clear();
  texts_.clear();
  profiles_.clear();
  reports_.clear();
  report_lists_.clear();
  users_.clear();
  follows_.clear();
}

std::string ReadCache::key(TenantId tenant, std::string_view kind, std::string_view value) {
  std::string k = std::to_string(tenant);
  k += '\0';
  k += kind;
  k += '\0';
  k += value;
  return k;
}

void ReadCache::make_room() {
  if (tenants_.size() + texts_.size() + profiles_.size() + reports_.size() + report_lists_.size() +
          users_.size() + follows_.size() <
      kMaxEntries) {
    return;
  }
  clear();
}

const Tenant* ReadCache::tenant(std::string_view name) const {
  auto it = tenants_.find(std::string(name));
  return it == tenants_.end() ? nullptr : &it->second;
}

void ReadCache::keep_tenant(const Tenant& tenant) {
  make_room();
  tenants_[tenant.name] = tenant;
}

std::shared_ptr<const std::string> ReadCache::text(std::string_view key) const {
  auto it = texts_.find(std::string(key));
  return it == texts_.end() ? nullptr : it->second;
}

void ReadCache::keep_text(std::string_view key, std::shared_ptr<const std::string> text) {
  make_room();
  texts_[std::string(key)] = std::move(text);
}

const std::optional<Profile>* ReadCache::profile(TenantId tenant, std::string_view column,
                                                 std::string_view value) const {
  auto it = profiles_.find(key(tenant, column, value));
  return it == profiles_.end() ? nullptr : &it->second;
}

void ReadCache::keep_profile(TenantId tenant, std::string_view column, std::string_view value,
                             std::optional<Profile> profile) {
  make_room();
  profiles_[key(tenant, column, value)] = std::move(profile);
}

const std::vector<std::string>* ReadCache::reports(TenantId tenant,
                                                   std::string_view manager_key) const {
  auto it = reports_.find(key(tenant, "manager", manager_key));
  return it == reports_.end() ? nullptr : &it->second;
}

void ReadCache::keep_reports(TenantId tenant, std::string_view manager_key,
                             std::vector<std::string> account_names) {
  make_room();
  reports_[key(tenant, "manager", manager_key)] = std::move(account_names);
}

std::string ReadCache::key(TenantId tenant, std::span<const std::string> managers) {
  // Each value with its length, so that no two lists make one key whatever the values hold.
  std::string k = std::to_string(tenant);
  for (const std::string& m : managers) {
    k += ' ';
    k += std::to_string(m.size());
    k += ':';
    k += m;
  }
  return k;
}

const ReadCache::ReportLists* ReadCache::report_lists(TenantId tenant,
                                                      std::span<const std::string> managers) const {
  auto it = report_lists_.find(key(tenant, managers));
  return it == report_lists_.end() ? nullptr : &it->second;
}

void ReadCache::keep_report_lists(TenantId tenant, std::span<const std::string> managers,
                                  ReportLists lists) {
  make_room();
  report_lists_[key(tenant, managers)] = std::move(lists);
}

const ReadCache::Users* ReadCache::cloud_users(TenantId tenant, std::string_view kind,
                                               std::string_view value) const {
  auto it = users_.find(key(tenant, kind, value));
  return it == users_.end() ? nullptr : &it->second;
}

void ReadCache::keep_cloud_users(TenantId tenant, std::string_view kind, std::string_view value,
                                 Users users) {
  make_room();
  users_[key(tenant, kind, value)] = std::move(users);
}

const bool* ReadCache::follows(TenantId tenant, ProfileId follower, ProfileId followee) const {
  auto it = follows_.find(key(tenant, std::to_string(follower), std::to_string(followee)));
  return it == follows_.end() ? nullptr : &it->second;
}

void ReadCache::keep_follows(TenantId tenant, ProfileId follower, ProfileId followee,
                             bool follows) {
  make_room();
  follows_[key(tenant, std::to_string(follower), std::to_string(followee))] = follows;
}

Result<ReportsThroughCache> ReportsThroughCache::start(ReadCache* cache, TenantId tenant,
                                                       const ProfileSchema& schema,
                                                       std::span<const std::string> managers) {
  ReportsThroughCache out(cache, tenant, managers);
  if (const ReadCache::ReportLists* kept =
          cache ? cache->report_lists(tenant, managers) : nullptr) {
    out.answer_ = *kept;
    return out;
  }
  UPSYNC_ASSIGN_OR_RETURN(ManagerKeys keys, ManagerKeys::of(schema, managers));
  out.keys_ = std::move(keys);
  for (const std::string& key : out.keys_->keys()) {
    const std::vector<std::string>* kept = cache ? cache->reports(tenant, key) : nullptr;
    if (!kept) {
      out.asked_.push_back(key);
      out.read_[key];  // kept even when nobody reports to it
      continue;
    }
    for (const std::string& account : *kept) out.keys_->add(key, account);
  }
  return out;
}

void ReportsThroughCache::add(const std::string& manager_key, std::string account_name) {
  if (cache_) read_[manager_key].push_back(account_name);
  keys_->add(manager_key, std::move(account_name));
}

ReadCache::ReportLists ReportsThroughCache::finish() {
  if (answer_) return std::move(*answer_);
  ReadCache::ReportLists lists = keys_->take();
  if (cache_) {
    for (auto& [key, accounts] : read_) cache_->keep_reports(tenant_, key, std::move(accounts));
    cache_->keep_report_lists(tenant_, managers_, lists);
  }
  read_.clear();
  return lists;
}

}  // namespace upsync
