#include "store/sqlite/sqlite_read_cache.h"

namespace upsync {

void SqliteReadCache::check(Version now) {
  if (now == version_) return;
  clear();
  version_ = now;
}

void SqliteReadCache::clear() {
  tenants_.clear();
  texts_.clear();
  profiles_.clear();
  reports_.clear();
  users_.clear();
}

std::string SqliteReadCache::key(TenantId tenant, std::string_view kind, std::string_view value) {
  std::string k = std::to_string(tenant);
  k += '\0';
  k += kind;
  k += '\0';
  k += value;
  return k;
}

void SqliteReadCache::make_room() {
  if (tenants_.size() + texts_.size() + profiles_.size() + reports_.size() + users_.size() <
      kMaxEntries) {
    return;
  }
  clear();
}

const Tenant* SqliteReadCache::tenant(std::string_view name) const {
  auto it = tenants_.find(std::string(name));
  return it == tenants_.end() ? nullptr : &it->second;
}

void SqliteReadCache::keep_tenant(const Tenant& tenant) {
  make_room();
  tenants_[tenant.name] = tenant;
}

std::shared_ptr<const std::string> SqliteReadCache::text(std::string_view key) const {
  auto it = texts_.find(std::string(key));
  return it == texts_.end() ? nullptr : it->second;
}

void SqliteReadCache::keep_text(std::string_view key, std::shared_ptr<const std::string> text) {
  make_room();
  texts_[std::string(key)] = std::move(text);
}

const std::optional<Profile>* SqliteReadCache::profile(TenantId tenant, std::string_view column,
                                                       std::string_view value) const {
  auto it = profiles_.find(key(tenant, column, value));
  return it == profiles_.end() ? nullptr : &it->second;
}

void SqliteReadCache::keep_profile(TenantId tenant, std::string_view column, std::string_view value,
                                   std::optional<Profile> profile) {
  make_room();
  profiles_[key(tenant, column, value)] = std::move(profile);
}

const std::vector<std::string>* SqliteReadCache::reports(TenantId tenant,
                                                         std::string_view manager_key) const {
  auto it = reports_.find(key(tenant, "manager", manager_key));
  return it == reports_.end() ? nullptr : &it->second;
}

void SqliteReadCache::keep_reports(TenantId tenant, std::string_view manager_key,
                                   std::vector<std::string> account_names) {
  make_room();
  reports_[key(tenant, "manager", manager_key)] = std::move(account_names);
}

const SqliteReadCache::Users* SqliteReadCache::cloud_users(TenantId tenant, std::string_view kind,
                                                           std::string_view value) const {
  auto it = users_.find(key(tenant, kind, value));
  return it == users_.end() ? nullptr : &it->second;
}

void SqliteReadCache::keep_cloud_users(TenantId tenant, std::string_view kind,
                                       std::string_view value, Users users) {
  make_room();
  users_[key(tenant, kind, value)] = std::move(users);
}

}  // namespace upsync
