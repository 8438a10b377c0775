// The bulk import's write path: many profile updates in one go, inside the caller's
// transaction, instead of one Store::update_profile call (and its lookups) per user.
//
// Only what the import may write goes through here: custom, single-value properties that
// are not keys, values already normalized against the schema. Each changed profile takes
// the next sequence of its tenant and gets one change-feed entry, as Store writes do.
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
};

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
