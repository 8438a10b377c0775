// Following: who follows whom among a tenant's people (SharePoint's social following:
// _api/social.following and PeopleManager's amIFollowing, getPeopleFollowedBy, ...).
//
// A follow is a pair of profiles of one tenant (follower, followee), stored with the time it
// was made. People only: upsync keeps no documents' or sites' follows (the REST routes refuse
// them). A person follows at most kMaxFollowedPeople people (SharePoint's limit; the next
// follow answers LimitReached) and never themselves. Deleting a profile deletes its follows,
// both ways, in the same transaction (Store::delete_profile), so a profile id used again later
// does not inherit them.
//
//   auto following = open_following_store(store);
//   auto added = (*following)->follow(tenant.id, me.id, adele.id);   // false: already did
#pragma once

#include <cstdint>
#include <memory>
#include <vector>

#include "core/status.h"
#include "store/store.h"

namespace upsync {

inline constexpr int kMaxFollowedPeople = 1000;

enum class FollowOutcome { kFollowed, kAlreadyFollowing, kLimitReached };

class FollowingStore {
 public:
  virtual ~FollowingStore() = default;
  // InvalidArgument when follower == followee; NotFound when either profile does not exist.
  virtual Result<FollowOutcome> follow(TenantId tenant, ProfileId follower, ProfileId followee) = 0;
  // Whether there was a follow to remove.
  virtual Result<bool> stop_following(TenantId tenant, ProfileId follower, ProfileId followee) = 0;
  virtual Result<bool> is_following(TenantId tenant, ProfileId follower, ProfileId followee) = 0;
  // Whom `follower` follows, and who follows `followee`: profile ids, most recent follow first,
  // at most `limit` (by index, never a scan of the tenant's follows).
  virtual Result<std::vector<ProfileId>> followed_by(TenantId tenant, ProfileId follower,
                                                     int limit) = 0;
  virtual Result<std::vector<ProfileId>> followers_of(TenantId tenant, ProfileId followee,
                                                      int limit) = 0;
  virtual Result<int64_t> count_followed_by(TenantId tenant, ProfileId follower) = 0;
};

// The FollowingStore over `store`'s connection, from its backend (store/store.h).
inline Result<std::unique_ptr<FollowingStore>> open_following_store(Store& store) {
  return store.following_store();
}

}  // namespace upsync
