// PersonProperties of SP.UserProfiles.PeopleManager (reference §1.2), answered for one profile
// by PeopleManager's routes (sharepoint_routes.cpp) and for lists of people by the social
// API's (sp_write_people, sharepoint_social.h).
#pragma once

#include <string>

#include "core/property_value.h"
#include "http/sharepoint_common.h"
#include "store/store.h"

namespace upsync {

// The members of PersonProperties, for sp_query's checks of $select and the like.
const SpSchema& sp_person_schema();
// Answers PersonProperties of `p` as the caller may see them, with the request's $select.
Status sp_write_person(Call& call, const Profile& p);
// A property's values as UserProfileProperties gives them: joined by '|'.
std::string sp_joined_values(const PropertyValues* v);

}  // namespace upsync
