// Property policies (core/property_policy.h) on Graph's users. Graph's user is the cloud
// directory's, but several of its properties show what a person's profile shows (the
// directory sync writes the one from the other, sync/pipeline.cpp's stage 2): a person who may
// not see Adele's WorkPhone on her profile does not get it as businessPhones either. The
// pairs (Graph ← profile): businessPhones ← WorkPhone, displayName ← PreferredName,
// givenName ← FirstName, surname ← LastName, mail ← WorkEmail, officeLocation ← Office,
// jobTitle ← Title, department ← Department, preferredLanguage ← SPS-MUILanguages,
// mobilePhone ← CellPhone (the profile's "Mobile phone").
//
//   UPSYNC_RETURN_IF_ERROR(redact_graph_user(call, user, fields));
//
// A hidden value is answered as Graph answers an unset one (null; [] for businessPhones). The
// caller's relation to the user is the profile's (http/profile_privacy.h), found by the
// user's object id (msOnline-ObjectId); a user without a profile is a stranger to everyone
// but themself. Admins, apps and the user themself get every value.
#pragma once

#include <functional>
#include <nlohmann/json.hpp>
#include <string_view>
#include <vector>

#include "directory/directory_store.h"
#include "http/router.h"

namespace upsync {

Status redact_graph_user(Call& call, const DirectoryUser& user, nlohmann::ordered_json& fields);
// The Graph fields of `user` that redact_graph_user blanks, of those `answered` says the answer
// holds (none when the caller sees all): for answers written without a tree.
Result<std::vector<std::string_view>> hidden_user_fields(
    Call& call, const DirectoryUser& user, const std::function<bool(std::string_view)>& answered);
// The directory attributes redact_graph_user reads of `user` (userPrincipalName), sorted.
const AttributeNames& redaction_attributes();

// The first user property named in `query` (a $filter, $orderby or $search) whose profile
// property is not Public, or whose owners may choose who sees it, or "" when none is or the
// caller is an admin or an app: matching or sorting people on it could tell a person values
// hidden from them, so such a query is refused
// (Request_UnsupportedQuery) rather than answered from hidden data. A name is found as a word
// of the query, so a string literal that spells it is refused too: the safe side.
Result<std::string> restricted_user_property_in(Call& call, std::string_view query);

}  // namespace upsync
