// The Graph `group` resource as upsync serves it: cloud directory groups (directory_store.h)
// under Microsoft Graph's property names (graph_object.h).
//
// Mapping (Graph ← cloud directory attribute): id ← object id, onPremisesSyncEnabled ← has a
// source anchor, onPremisesSecurityIdentifier ← objectSid (as S-1-5-...); displayName,
// description, mail, mailNickname, mailEnabled, securityEnabled, proxyAddresses and
// onPremisesSamAccountName are the same on both sides. groupTypes is [] (neither unified nor
// dynamic groups come from on premises); what the directory does not hold is null.
// $filter: displayName, mail, mailNickname, id (eq, in, startswith), securityEnabled and
// mailEnabled (eq true/false).
#pragma once

#include "http/graph_object.h"

namespace upsync {

const GraphObjectType& group_type();

}  // namespace upsync
