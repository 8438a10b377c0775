// What both backends' ProfileBatchWriters (bulkimport/profile_writer.h) decide alike: which
// updates take their quick path (custom single-value properties, patched in the profile's
// custom document), how an update sets single values in a decoded document, and the general
// path through Store::update_profile for every other update (a default property of the
// catalog, a multi-value property of the import's extension).
#pragma once

#include <algorithm>
#include <string>
#include <utility>
#include <vector>

#include "bulkimport/profile_writer.h"
#include "core/profile_schema.h"
#include "store/profile_codec.h"
#include "store/store.h"

namespace upsync {

class BatchWriterRules {
 public:
  // Forgets the answers of quick_path; called at the start of each apply.
  void reset() { answers_.clear(); }

  // Whether every property of `u` is a custom, single-valued one (and it sets no multi-value
  // property). The answers are remembered by name until reset(): an import sets the same few
  // properties in every update.
  bool quick_path(const ProfileUpdate& u, const ProfileSchema& schema) {
    if (!u.multi_values.empty()) return false;
    for (const auto& [name, value] : u.values) {
      auto known = std::find_if(answers_.begin(), answers_.end(),
                                [&](const auto& a) { return a.first == name; });
      if (known == answers_.end()) {
        const PropertyDefinition* def = schema.find(name);
        known = answers_.insert(answers_.end(), {name, def && def->custom && !def->multi_value});
      }
      if (!known->second) return false;
    }
    return true;
  }

  // Sets `values` in a decoded document in order ("" clears); returns whether the document
  // differs at the end, as patch_single_values does.
  static bool set_single_values(PropertyMap& props,
                                const std::vector<std::pair<std::string, std::string>>& values) {
    const PropertyMap before = props;
    for (const auto& [name, value] : values) {
      if (value.empty()) {
        props.erase(name);
      } else {
        props[name] = PropertyValues{value};
      }
    }
    return props != before;
  }

  // The general path: `u` written by the store's own update of profile `id`, with its
  // change-feed entry.
  static Result<UpdateOutcome> update_through_store(Store& store, TenantId tenant, ProfileId id,
                                                    const ProfileUpdate& u) {
    const ProfileKey key{ProfileKeyKind::kId, std::to_string(id)};
    UPSYNC_ASSIGN_OR_RETURN(const Profile before, store.profile(tenant, key));
    UPSYNC_ASSIGN_OR_RETURN(const Profile after, store.update_profile(tenant, id, changes_of(u)));
    return after.seq != before.seq ? UpdateOutcome::kChanged : UpdateOutcome::kUnchanged;
  }

 private:
  std::vector<std::pair<std::string, bool>> answers_;  // of quick_path until reset()
};

}  // namespace upsync
