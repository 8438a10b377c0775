// ReadCache: the answers one connection read in its read snapshots, kept for its next
// snapshots while the database is as it was. Both backends keep one per connection; each tells
// "as it was" by a version of the whole database that it reads once per snapshot:
//
//  - SQLite (SqliteStore::read_cache): PRAGMA data_version, which moves when any other
//    connection, of this process or another, commits, with sqlite3_total_changes64, which moves
//    when this connection writes. Read inside the snapshot, they are the snapshot's start.
//  - PostgreSQL (PgStore::read_cache): the snapshot itself, pg_current_snapshot() of the read
//    snapshot's REPEATABLE READ transaction (xmin:xmax:in-progress ids). What a query returns
//    depends only on which transactions the snapshot counts as committed, and two snapshots
//    with the same xmin, xmax and in-progress list count the same ones: a commit anywhere in
//    the cluster since moves xmax past its id (or leaves it in the list when it is still
//    running). So the text is equal exactly when no transaction this one could see has
//    committed in between; a write of another tenant, or of another database of the cluster,
//    drops the cache too, which costs a read, never an answer.
//
// So while the version is what it was when an answer was read, reading again would find what
// the kept answer holds, and check() drops everything the moment it moves. Only reads in a read
// snapshot outside any write transaction use the cache (the backends' read_cache()): a write
// transaction's reads must see its own writes, which no committed state holds yet.
//
// What it keeps: what every request or a person page asks for again and again: tenants by
// name, texts callers made (Store::kept_text: the property list's answer), and keyed by tenant
// and value, profiles by the key they were looked up by, a manager's reports (their account
// names, in profile id order), the live cloud users of a key's value (a Graph filter
// `userPrincipalName in (...)` naming an org chart) and whether one profile follows another.
// Bounded: at kMaxEntries answers it starts afresh, so a walk over every user cannot grow it
// past kMaxEntries answers per connection.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "core/tenant.h"
#include "directory/directory_store.h"
#include "store/store.h"

namespace upsync {

class ReadCache {
 public:
  // Drops every answer unless `version` (the backend's, see above) is the one they were read
  // at.
  void check(std::string_view version);

  // A tenant by its name, as every request looks it up first.
  const Tenant* tenant(std::string_view name) const;
  void keep_tenant(const Tenant& tenant);

  // Text a caller made and named (Store::kept_text).
  std::shared_ptr<const std::string> text(std::string_view key) const;
  void keep_text(std::string_view key, std::shared_ptr<const std::string> text);

  // The profile (or none) whose key `column` (a column of profiles: account_key, upn_key,
  // email_key, cloud_id, id) has `value` as find_profile looks it up.
  const std::optional<Profile>* profile(TenantId tenant, std::string_view column,
                                        std::string_view value) const;
  void keep_profile(TenantId tenant, std::string_view column, std::string_view value,
                    std::optional<Profile> profile);

  // The reports of a manager (a Manager value in lower case, as profiles_by_manager keys it).
  const std::vector<std::string>* reports(TenantId tenant, std::string_view manager_key) const;
  void keep_reports(TenantId tenant, std::string_view manager_key,
                    std::vector<std::string> account_names);
  // Store::direct_reports' whole answer for `managers` as the caller gave them, so that a
  // repeated question skips normalizing each value (a person page asks again for the reports
  // of everyone below).
  using ReportLists = std::vector<std::vector<std::string>>;
  const ReportLists* report_lists(TenantId tenant, std::span<const std::string> managers) const;
  void keep_report_lists(TenantId tenant, std::span<const std::string> managers, ReportLists lists);

  // The live cloud users whose key `kind` (the backend's name of it: a key of SQLite's
  // cloud_users_sql, a column on PostgreSQL) has the lower-cased `value`, with all their
  // attributes.
  using Users = std::vector<std::shared_ptr<const DirectoryUser>>;
  const Users* cloud_users(TenantId tenant, std::string_view kind, std::string_view value) const;
  void keep_cloud_users(TenantId tenant, std::string_view kind, std::string_view value,
                        Users users);

  // Whether profile `follower` follows `followee`.
  const bool* follows(TenantId tenant, ProfileId follower, ProfileId followee) const;
  void keep_follows(TenantId tenant, ProfileId follower, ProfileId followee, bool follows);

  // A copy of a kept `user` with only the attributes named in `only` (sorted; nullptr: all of
  // them), as the reader asked.
  static DirectoryUser copy_of_user(const DirectoryUser& user, const AttributeNames* only);

  static constexpr size_t kMaxEntries = 4096;

 private:
  static std::string key(TenantId tenant, std::string_view kind, std::string_view value);
  static std::string key(TenantId tenant, std::span<const std::string> managers);
  // Makes room for one more answer.
  void make_room();
  // Drops every answer kept.
  void clear();

  std::string version_;
  bool has_version_ = false;
  std::unordered_map<std::string, Tenant> tenants_;
  std::unordered_map<std::string, std::shared_ptr<const std::string>> texts_;
  std::unordered_map<std::string, std::optional<Profile>> profiles_;
  std::unordered_map<std::string, std::vector<std::string>> reports_;
  std::unordered_map<std::string, ReportLists> report_lists_;
  std::unordered_map<std::string, Users> users_;
  std::unordered_map<std::string, bool> follows_;
};

// A manager's reports as both backends' direct_reports() read them through the cache (which
// may be null: nothing kept, everything asked):
//
//   UPSYNC_ASSIGN_OR_RETURN(auto reports, ReportsThroughCache::start(cache, tenant, schema,
//                                                                      managers));
//   if (reports.asked().empty()) return reports.finish();  // all kept
//   ... read the reports of reports.asked() ...
//   reports.add(manager_key, account_name);  // each, in profile id order
//   return reports.finish();  // what was read is kept, every manager's list in `managers` order
class ReportsThroughCache {
 public:
  // The whole answer when the cache holds it for these `managers`; else their keys (Manager
  // values as `schema` normalizes them, in lower case: InvalidArgument for a value it refuses,
  // or too many managers), and the reports kept for each.
  static Result<ReportsThroughCache> start(ReadCache* cache, TenantId tenant,
                                           const ProfileSchema& schema,
                                           std::span<const std::string> managers);
  // The managers (ManagerKeys keys, lower case) whose reports the cache does not hold.
  const std::vector<std::string>& asked() const { return asked_; }
  void add(const std::string& manager_key, std::string account_name);
  ReadCache::ReportLists finish();

 private:
  ReportsThroughCache(ReadCache* cache, TenantId tenant, std::span<const std::string> managers)
      : cache_(cache), tenant_(tenant), managers_(managers) {}

  ReadCache* cache_;
  TenantId tenant_;
  std::span<const std::string> managers_;         // as the caller gave them
  std::optional<ReadCache::ReportLists> answer_;  // the kept whole answer
  std::optional<ManagerKeys> keys_;               // otherwise
  std::vector<std::string> asked_;
  std::map<std::string, std::vector<std::string>, std::less<>> read_;  // by asked manager
};

}  // namespace upsync
