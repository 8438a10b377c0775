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
// signed in is kAnyone. The owner, tenant admins and apps are kOwner. Where a property's policy
// lets its owner choose (user_can_override), the owner's choice (Store::privacy_choices)
// replaces the policy's privacy for their value.
#pragma once

#include <map>
#include <string>
#include <string_view>

#include "core/profile_schema.h"
#include "core/property_policy.h"
#include "http/router.h"

namespace upsync {

class ProfileVisibility {
 public:
  // `choices`: the owner's own privacy per property (Store::privacy_choices), applied where
  // the property's policy lets the owner choose.
  ProfileVisibility(const ProfileSchema& schema, ViewerRelation relation,
                    std::map<std::string, Privacy> choices = {})
      : schema_(&schema), relation_(relation), choices_(std::move(choices)) {}

  ViewerRelation relation() const { return relation_; }
  // Whether the caller sees the value of the property `name` (one of the schema's).
  bool sees(std::string_view name) const {
    return relation_ == ViewerRelation::kOwner || privacy_allows(privacy_of(name), relation_);
  }
  // Who may see the owner's value: their choice where the policy allows one, else the policy's.
  Privacy privacy_of(std::string_view name) const {
    const PropertyPolicy& policy = schema_->policy(name);
    if (policy.user_can_override && !choices_.empty()) {
      const PropertyDefinition* def = schema_->find(name);
      auto it = def ? choices_.find(def->name) : choices_.end();
      if (it != choices_.end()) return it->second;
    }
    return policy.privacy;
  }

 private:
  const ProfileSchema* schema_;
  ViewerRelation relation_;
  std::map<std::string, Privacy> choices_;
};

// The profile of the person `who` (by UPN, else by their membership claim); none for an app.
Result<std::optional<Profile>> viewer_profile(Call& call, const Principal& who);

// What the caller of `call` is to the owner of `owner`. Costs nothing when no property of the
// schema is restricted; otherwise up to two profile lookups and a follow lookup.
Result<ViewerRelation> viewer_relation(Call& call, const ProfileSchema& schema,
                                       const Profile& owner);

// What the caller sees of `owner`'s values: their relation, and the owner's own privacy
// choices (read only when some policy allows them and the caller is not the owner).
Result<ProfileVisibility> visibility_of(Call& call, const ProfileSchema& schema,
                                        const Profile& owner, ViewerRelation relation);

inline Result<ProfileVisibility> profile_visibility(Call& call, const ProfileSchema& schema,
                                                    const Profile& owner) {
  UPSYNC_ASSIGN_OR_RETURN(ViewerRelation r, viewer_relation(call, schema, owner));
  return visibility_of(call, schema, owner, r);
}

}  // namespace upsync
