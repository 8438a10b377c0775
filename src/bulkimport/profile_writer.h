// The bulk import's write path: many profile updates in one go, inside the caller's
// transaction, instead of one Store::update_profile call (and its lookups) per user.
//
// Only what the import may write goes through here: properties that are not keys, values
// already normalized against the schema. Custom single-value properties take the backend's
// quick path; anything else (a default property of the catalog, a multi-value property of the
// import's extension) goes through Store::update_profile (changes_of below). Each changed
// profile takes the next sequence of its tenant and gets one change-feed entry, as Store
// writes do.
#pragma once

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "core/profile_schema.h"
#include "core/status.h"
#include "store/store.h"

namespace upsync {

struct ProfileUpdate {
  std::string key;  // the identity value (an e-mail, a cloud id or a UPN)
  // Canonical property name → normalized value ("" clears the property).
  std::vector<std::pair<std::string, std::string>> values;
  // Multi-value properties (the import's extension): name → normalized values (none clears).
  std::vector<std::pair<std::string, std::vector<std::string>>> multi_values;
};

// The update as Store::update_profile's changes, for the writers' general path.
inline std::vector<PropertyChange> changes_of(const ProfileUpdate& u) {
  std::vector<PropertyChange> changes;
  changes.reserve(u.values.size() + u.multi_values.size());
  for (const auto& [name, value] : u.values) {
    changes.push_back(
        {name, value.empty() ? std::vector<std::string>{} : std::vector<std::string>{value}});
  }
  for (const auto& [name, values] : u.multi_values) changes.push_back({name, values});
  return changes;
}

enum class UpdateOutcome { kChanged, kUnchanged, kNotFound };

class ProfileBatchWriter {
 public:
  virtual ~ProfileBatchWriter() = default;
  // Applies `updates` in order (call inside Store::in_transaction); one outcome per update.
  virtual Result<std::vector<UpdateOutcome>> apply(TenantId tenant, ProfileKeyKind kind,
                                                   const ProfileSchema& schema,
                                                   const std::vector<ProfileUpdate>& updates) = 0;
};

// The ProfileBatchWriter over `store`'s connection, from its backend (store/store.h).
inline Result<std::unique_ptr<ProfileBatchWriter>> open_profile_batch_writer(Store& store) {
  return store.profile_batch_writer();
}

}  // namespace upsync
