#include "http/graph_user.h"

namespace upsync {

namespace {

using K = GraphValueKind;
using S = GraphSource;

// Graph v1.0 order for the defaults, then the rest.
constexpr GraphProperty kUserProperties[] = {
    {"businessPhones", K::kStrings, S::kAttribute, "telephoneNumber", false},
    {"displayName", K::kString, S::kAttribute, "displayName", true},
    {"givenName", K::kString, S::kAttribute, "givenName", true},
    {"jobTitle", K::kString, S::kAttribute, "jobTitle", true},
    {"mail", K::kString, S::kAttribute, "mail", true},
    {"mobilePhone", K::kString, S::kAttribute, "mobile", true},
    {"officeLocation", K::kString, S::kAttribute, "physicalDeliveryOfficeName", true},
    {"preferredLanguage", K::kString, S::kAttribute, "preferredLanguage", true},
    {"surname", K::kString, S::kAttribute, "surname", true},
    {"userPrincipalName", K::kString, S::kAttribute, "userPrincipalName", true},
    {"id", K::kString, S::kId, "", true},
    {"accountEnabled", K::kBool, S::kAttribute, "accountEnabled", true, true},
    {"department", K::kString, S::kAttribute, "department", true},
    {"proxyAddresses", K::kStrings, S::kAttribute, "proxyAddresses", true},
    {"onPremisesImmutableId", K::kString, S::kAnchor, "", true},
    {"onPremisesSyncEnabled", K::kBool, S::kSyncEnabled, "", false},
    {"onPremisesSecurityIdentifier", K::kString, S::kSid, "", false},
    {"onPremisesDistinguishedName", K::kString, S::kAttribute, "distinguishedName", false},
    {"onPremisesSamAccountName", K::kString, S::kAttribute, "onPremisesSamAccountName", true},
    {"onPremisesDomainName", K::kString, S::kAttribute, "onPremisesDomainName", false},
    {"onPremisesUserPrincipalName", K::kString, S::kAttribute, "onPremisesUserPrincipalName",
     false},
    {"onPremisesLastSyncDateTime", K::kString, S::kAttribute, "onPremisesLastSyncDateTime", false},
    {"onPremisesExtensionAttributes", K::kExtensionAttributes, S::kAttribute, "", false},
    {"city", K::kString, S::kAttribute, "city", true},
    {"companyName", K::kString, S::kAttribute, "companyName", true},
    {"country", K::kString, S::kAttribute, "country", true},
    {"employeeId", K::kString, S::kAttribute, "employeeId", true},
    {"otherMails", K::kStrings, S::kAttribute, "otherMails", true},
    // Graph properties the cloud directory does not hold: null (or empty), never invented.
    {"faxNumber", K::kString, S::kNull, "", false},
    {"postalCode", K::kString, S::kNull, "", false},
    {"state", K::kString, S::kNull, "", false},
    {"streetAddress", K::kString, S::kNull, "", false},
    {"usageLocation", K::kString, S::kNull, "", false},
};
constexpr size_t kUserDefaultCount = 11;  // businessPhones .. id

}  // namespace

const GraphObjectType& user_type() {
  static const GraphObjectType kType("microsoft.graph.user", kUserProperties, kUserDefaultCount);
  return kType;
}

const std::vector<std::string>& default_user_select() { return user_type().default_select(); }

Result<std::vector<std::string>> parse_user_select(std::string_view select) {
  return user_type().parse_select(select);
}

const std::vector<FilterProperty>& user_filter_properties() {
  return user_type().filter_properties();
}

std::optional<std::string> user_filter_value(const DirectoryUser& user, std::string_view property) {
  return user_type().filter_value(view_of(user), property);
}

nlohmann::ordered_json graph_user_json(const DirectoryUser& user,
                                       const std::vector<std::string>& select) {
  return user_type().json(view_of(user), select);
}

}  // namespace upsync
