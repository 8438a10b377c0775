#include "http/graph_group.h"

namespace upsync {

namespace {

using K = GraphValueKind;
using S = GraphSource;

// Graph v1.0 order for the defaults, then the rest.
constexpr GraphProperty kGroupProperties[] = {
    {"id", K::kString, S::kId, "", true},
    {"deletedDateTime", K::kString, S::kNull, "", false},
    {"classification", K::kString, S::kNull, "", false},
    {"createdDateTime", K::kString, S::kNull, "", false},
    {"description", K::kString, S::kAttribute, "description", false},
    {"displayName", K::kString, S::kAttribute, "displayName", true},
    {"groupTypes", K::kStrings, S::kNull, "", false},
    {"mail", K::kString, S::kAttribute, "mail", true},
    {"mailEnabled", K::kBool, S::kAttribute, "mailEnabled", true},
    {"mailNickname", K::kString, S::kAttribute, "mailNickname", true},
    {"onPremisesSamAccountName", K::kString, S::kAttribute, "onPremisesSamAccountName", false},
    {"onPremisesSecurityIdentifier", K::kString, S::kSid, "", false},
    {"onPremisesSyncEnabled", K::kBool, S::kSyncEnabled, "", false},
    {"proxyAddresses", K::kStrings, S::kAttribute, "proxyAddresses", false},
    {"securityEnabled", K::kBool, S::kAttribute, "securityEnabled", true},
    {"visibility", K::kString, S::kNull, "", false},
    {"preferredLanguage", K::kString, S::kNull, "", false},
};
constexpr size_t kGroupDefaultCount = 16;  // id .. visibility

}  // namespace

const GraphObjectType& group_type() {
  static const GraphObjectType kType("microsoft.graph.group", kGroupProperties, kGroupDefaultCount);
  return kType;
}

}  // namespace upsync
