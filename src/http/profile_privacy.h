// Which of a profile's property values a caller may see: the tenant's property policies
// (core/property_policy.h) applied to what the caller is to the profile's owner. Every route
// that returns profiles to people goes through it (PeopleManager, Graph's users, the person
// page's data).
//
//   UPSYNC_ASSIGN_OR_RETURN(ProfileSchema schema, call.store.schema(call.tenant.id));
//   UPSYNC_ASSIGN_OR_RETURN(ProfileVisibility v, profile_visibility(call, schema, owner));
//   if (v.sees("CellPhone")) ...
//
// The relation is worked out from the profiles themselves: the owner's Manager property names
// the viewer (kManager); the viewer reports to the owner, or both have the same manager
// (kTeam: SharePoint's "My Team" is the manager, peers and direct reports); the owner follows
// the viewer (kColleague: SharePoint's colleagues, which upsync keeps as follows); anyone else
// signed in is kAnyone. The owner, tenant admins and apps are kOwner.
#pragma once

#include <string_view>

#include "core/profile_schema.h"
#include "core/property_policy.h"
#include "http/router.h"

namespace upsync {

class ProfileVisibility {
 public:
  ProfileVisibility(const ProfileSchema& schema, ViewerRelation relation)
      : schema_(&schema), relation_(relation) {}

  ViewerRelation relation() const { return relation_; }
  // Whether the caller sees the value of the property `name` (one of the schema's).
  bool sees(std::string_view name) const {
    return relation_ == ViewerRelation::kOwner ||
           privacy_allows(schema_->policy(name).privacy, relation_);
  }

 private:
  const ProfileSchema* schema_;
  ViewerRelation relation_;
};

// What the caller of `call` is to the owner of `owner`. Costs nothing when no property of the
// schema is restricted; otherwise up to two profile lookups and a follow lookup.
Result<ViewerRelation> viewer_relation(Call& call, const ProfileSchema& schema,
                                       const Profile& owner);

inline Result<ProfileVisibility> profile_visibility(Call& call, const ProfileSchema& schema,
                                                    const Profile& owner) {
  UPSYNC_ASSIGN_OR_RETURN(ViewerRelation r, viewer_relation(call, schema, owner));
  return ProfileVisibility(schema, r);
}

}  // namespace upsync
