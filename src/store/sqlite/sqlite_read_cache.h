// SqliteReadCache: answers one SQLite connection read in its read snapshots, kept for its next
// snapshots while the database is as it was.
//
// Why a kept answer is exact: PRAGMA data_version moves when any other connection, of this
// process or another, commits; sqlite3_total_changes64 moves when this connection writes. A
// read snapshot sees the database as of its start, and data_version read inside it is that
// start's. So while both numbers are what they were when an answer was read, reading again
// would find what the kept answer holds, and check() drops everything the moment either moves.
// Only reads in a read snapshot outside any write transaction use the cache (SqliteStore::
// read_cache): a write transaction's reads must see its own writes, which no committed state
// holds yet.
//
// What it keeps: what every request or a person page asks for again and again: tenants by
// name, texts callers made (Store::kept_text: the property list's answer), and keyed by tenant
// and value, profiles by the key they were looked up by, a manager's reports (their account
// names, in profile id order) and the live cloud users of a key's value (a Graph filter
// `userPrincipalName in (...)` naming an org chart). Bounded: at kMaxEntries answers it starts
// afresh, so a walk over every user cannot grow it past kMaxEntries answers per connection.
//
// PostgreSQL offers no such cheap version of a whole database, and its stores keep no cache.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "core/tenant.h"
#include "directory/directory_store.h"
#include "store/store.h"

namespace upsync {

class SqliteReadCache {
 public:
  struct Version {
    int64_t data_version = -1;  // PRAGMA data_version, read inside the snapshot
    int64_t own_changes = -1;   // sqlite3_total_changes64 of the connection
    bool operator==(const Version&) const = default;
  };
  // Drops every answer unless `now` is the version they were read at.
  void check(Version now);

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

  // The live cloud users whose key `kind` (cloud_users_sql's key names) has the lower-cased
  // `value`, with all their attributes.
  using Users = std::vector<std::shared_ptr<const DirectoryUser>>;
  const Users* cloud_users(TenantId tenant, std::string_view kind, std::string_view value) const;
  void keep_cloud_users(TenantId tenant, std::string_view kind, std::string_view value,
                        Users users);

  static constexpr size_t kMaxEntries = 4096;

 private:
  static std::string key(TenantId tenant, std::string_view kind, std::string_view value);
  // Makes room for one more answer.
  void make_room();
  // Drops every answer kept.
  void clear();

  Version version_;
  std::unordered_map<std::string, Tenant> tenants_;
  std::unordered_map<std::string, std::shared_ptr<const std::string>> texts_;
  std::unordered_map<std::string, std::optional<Profile>> profiles_;
  std::unordered_map<std::string, std::vector<std::string>> reports_;
  std::unordered_map<std::string, Users> users_;
};

}  // namespace upsync
