#include "http/profile_privacy.h"

#include "core/claims.h"
#include "core/text.h"
#include "sites/following.h"

namespace upsync {

Result<std::optional<Profile>> viewer_profile(Call& call, const Principal& who) {
  if (who.upn.empty()) return std::optional<Profile>();
  auto p = call.store.find_profile(call.tenant.id, {ProfileKeyKind::kPrincipalName, who.upn});
  if (!p || *p) return p;
  return call.store.find_profile(
      call.tenant.id, {ProfileKeyKind::kAccountName, format_claim(membership_user(who.upn))});
}

Result<ViewerRelation> viewer_relation(Call& call, const ProfileSchema& schema,
                                       const Profile& owner) {
  UPSYNC_ASSIGN_OR_RETURN(Principal who, call.caller());
  if (who.manages_tenant()) return ViewerRelation::kOwner;
  if (who.upn.empty()) return ViewerRelation::kAnyone;
  if (ascii_iequal(owner.first("SPS-UserPrincipalName"), who.upn)) return ViewerRelation::kOwner;
  if (auto claim = parse_claim(owner.account_name); claim && ascii_iequal(claim->value, who.upn)) {
    return ViewerRelation::kOwner;
  }
  // Nothing is hidden from anyone: the relation would change nothing.
  if (!schema.any_restricted()) return ViewerRelation::kAnyone;
  UPSYNC_ASSIGN_OR_RETURN(std::optional<Profile> me, viewer_profile(call, who));
  if (!me) return ViewerRelation::kAnyone;
  if (me->id == owner.id) return ViewerRelation::kOwner;
  const std::string owner_manager = owner.first("Manager");
  const std::string my_manager = me->first("Manager");
  if (!owner_manager.empty() && ascii_iequal(owner_manager, me->account_name)) {
    return ViewerRelation::kManager;
  }
  if (!my_manager.empty() &&
      (ascii_iequal(my_manager, owner.account_name) || ascii_iequal(my_manager, owner_manager))) {
    return ViewerRelation::kTeam;
  }
  UPSYNC_ASSIGN_OR_RETURN(auto following, open_following_store(call.store));
  UPSYNC_ASSIGN_OR_RETURN(bool follows, following->is_following(call.tenant.id, owner.id, me->id));
  return follows ? ViewerRelation::kColleague : ViewerRelation::kAnyone;
}

Result<ProfileVisibility> visibility_of(Call& call, const ProfileSchema& schema,
                                        const Profile& owner, ViewerRelation relation) {
  if (relation == ViewerRelation::kOwner || !schema.any_overridable()) {
    return ProfileVisibility(schema, relation);
  }
  UPSYNC_ASSIGN_OR_RETURN(auto choices, call.store.privacy_choices(call.tenant.id, owner.id));
  return ProfileVisibility(schema, relation, std::move(choices));
}

}  // namespace upsync
