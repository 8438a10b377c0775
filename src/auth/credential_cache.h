// What the store says of the principals that bearer tokens name (is the app still registered,
// does the person still have a password, their role and token generation), remembered for a
// short while so that a client sending the same token with every request costs one store read
// per `bound`, not one per request.
//
// One cache per request thread (it is not thread-safe, and needs no lock that way): a change
// to a principal (credentials.h) reaches every thread within `bound`, the revocation delay
// the README promises. At most `capacity` principals are remembered; past that the expired
// ones are dropped, and if none has expired, all of them.
//
//   CredentialCache cache;                             // 2 s, 4096 principals
//   UPSYNC_ASSIGN_OR_RETURN(auto app, cache.app(store, tenant.id, client_id));
//   if (!app.present) ...                              // removed (or never registered)
//
// Only answers are remembered: a failed read (the store unavailable) is returned and not kept.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_map>

#include "auth/principal.h"
#include "core/status.h"
#include "core/tenant.h"
#include "store/store.h"

namespace upsync {

// A principal as the store has it now.
struct CredentialRecord {
  bool present = false;  // the app is registered / the person has a password
  Role role = Role::kUser;
  int64_t token_generation = 0;
  std::string name;  // the app's name; the person's UPN as stored
};

class CredentialCache {
 public:
  static constexpr std::chrono::milliseconds kDefaultBound{2000};
  static constexpr size_t kDefaultCapacity = 4096;

  explicit CredentialCache(std::chrono::milliseconds bound = kDefaultBound,
                           size_t capacity = kDefaultCapacity)
      : bound_(bound), capacity_(capacity) {}

  Result<CredentialRecord> app(Store& store, TenantId tenant, std::string_view client_id);
  Result<CredentialRecord> person(Store& store, TenantId tenant, std::string_view upn);
  size_t size() const { return entries_.size(); }

 private:
  struct Entry {
    CredentialRecord record;
    std::chrono::steady_clock::time_point read_at;
  };
  template <typename Read>
  Result<CredentialRecord> lookup(std::string key, Read read);

  std::chrono::milliseconds bound_;
  size_t capacity_;
  std::unordered_map<std::string, Entry> entries_;
};

// The same reads without remembering them.
Result<CredentialRecord> read_app_record(Store& store, TenantId tenant, std::string_view client_id);
Result<CredentialRecord> read_person_record(Store& store, TenantId tenant, std::string_view upn);

}  // namespace upsync
