// What the people picker and following routes (sharepoint_people_picker.cpp,
// sharepoint_following.cpp) share with PeopleManager's routes (sharepoint_routes.cpp).
// Internal to src/http.
#pragma once

#include <optional>
#include <vector>

#include "http/odata.h"
#include "http/router.h"
#include "store/store.h"

namespace upsync {

// POST {web}/_api/SP.UI.ApplicationPages.ClientPeoplePickerWebServiceInterface.
//      clientPeoplePickerSearchUser | clientPeoplePickerResolveUser
void add_sharepoint_people_picker_routes(Router& router);
// {web}/_api/social.following/follow | stopfollowing | isfollowed | my/followed(types=N) |
//      my/followedcount(types=N) | my/followers
void add_sharepoint_following_routes(Router& router);

// PeopleManager's following methods (amIFollowing, amIFollowedBy, getFollowersFor,
// getPeopleFollowedBy, getMyFollowers, follow, stopFollowing, ...) for the method segment `m`;
// nullopt when `m` is none of them.
std::optional<Status> sp_people_manager_following(Call& call, const ODataSegment& m);
// SP.UserProfiles.PeopleManager.isfollowing(possiblefolloweraccountname=@v,
// possiblefolloweeaccountname=@y): the one method called with a dot.
Status sp_people_manager_is_following(Call& call, const ODataSegment& seg);
// Whether the caller (a person with a profile) follows `p`: PersonProperties' IsFollowed.
Result<bool> sp_caller_follows(Call& call, const Profile& p);
// A collection of PersonProperties in the request's OData mode (sharepoint_routes.cpp).
Status sp_write_people(Call& call, const std::vector<Profile>& people);

}  // namespace upsync
