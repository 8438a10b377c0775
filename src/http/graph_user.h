// The Graph `user` resource as upsync serves it: cloud directory users (directory_store.h)
// under Microsoft Graph's property names, the $select list, and the values $filter sees.
//
//   auto select = parse_user_select("id,displayName");      // or an error naming the property
//   nlohmann::ordered_json j = graph_user_json(user, *select);
//
// Mapping (Graph ← cloud directory attribute): id ← object id, businessPhones ←
// telephoneNumber, mobilePhone ← mobile, officeLocation ← physicalDeliveryOfficeName,
// onPremisesImmutableId ← the source anchor (base64 objectGUID, as Azure AD Connect sets it),
// onPremisesSyncEnabled ← has a source anchor, onPremisesSecurityIdentifier ← objectSid (as
// S-1-5-...), onPremisesDistinguishedName ← distinguishedName, onPremisesExtensionAttributes ←
// extensionAttribute1..15 (an object of the fifteen, null where unset); the other names
// (city, country, companyName, employeeId, otherMails, onPremisesSamAccountName,
// onPremisesDomainName, onPremisesUserPrincipalName, onPremisesLastSyncDateTime) are the same
// on both sides. Graph properties the directory does not hold (faxNumber, postalCode, ...)
// are null, as in a tenant where nobody set them; a name Graph does not know is an error.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"
#include "directory/directory_store.h"
#include "http/graph_filter.h"
#include "http/graph_object.h"

namespace upsync {

const GraphObjectType& user_type();

// The properties Graph returns when the request has no $select (v1.0 users' defaults).
const std::vector<std::string>& default_user_select();

// A comma-separated $select: canonical property names in the order given, without repeats.
// An unknown name is InvalidArgument "Could not find a property named 'x' on type
// 'microsoft.graph.user'.", Graph's message.
Result<std::vector<std::string>> parse_user_select(std::string_view select);

// The properties $filter accepts on users (see graph_filter.h for the forms).
const std::vector<FilterProperty>& user_filter_properties();

// The user's value of a filterable property, as $filter compares it.
std::optional<std::string> user_filter_value(const DirectoryUser& user, std::string_view property);

// The user as Graph JSON with exactly the properties of `select` (canonical names).
nlohmann::ordered_json graph_user_json(const DirectoryUser& user,
                                       const std::vector<std::string>& select);

}  // namespace upsync
