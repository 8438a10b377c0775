// Property policies, as SharePoint Server's user profile service has them: who may see a
// property's value beside its owner, whether the owner may choose otherwise, and where the
// profile pages show it.
//
//   PropertyPolicy p = schema.policy("CellPhone");
//   if (!privacy_allows(p.privacy, relation)) { /* leave the value out for this viewer */ }
//
// The privacy levels are SharePoint's (the object model's Privacy enum, with the names its
// policy pages show), from the widest audience to the narrowest:
//   Public        "Everyone"      every signed-in person of the tenant
//   Contacts      "My Colleagues" the owner's workgroup, plus the people the owner follows
//   Organization  "My Team"       the owner's manager, peers (same manager) and direct reports
//   Manager       "My Manager"    the owner's direct manager
//   Private       "Only Me"       the owner alone
// Each level includes the narrower ones (the manager sees what the team sees). The owner,
// tenant admins and apps see every property whatever its privacy: the policy shapes what
// people see of each other, not what the service itself may read.
#pragma once

#include <optional>
#include <string_view>

namespace upsync {

enum class Privacy { kPublic, kContacts, kOrganization, kManager, kPrivate };

// "Public", "Contacts", "Organization", "Manager", "Private".
std::string_view privacy_name(Privacy p);
// Accepts privacy_name()'s names and SharePoint's labels ("Everyone", "My Colleagues",
// "My Team", "My Manager", "Only Me"), case-insensitively.
std::optional<Privacy> parse_privacy(std::string_view name);

// What the viewer is to the profile's owner, the closest tie first. kOwner stands for the
// owner, tenant admins and apps alike: everything is visible to them.
enum class ViewerRelation { kOwner, kManager, kTeam, kColleague, kAnyone };

// Whether a viewer in `relation` may see a value whose privacy is `p`.
bool privacy_allows(Privacy p, ViewerRelation relation);

struct PropertyPolicy {
  Privacy privacy = Privacy::kPublic;
  // The owner may pick a privacy of their own for their value (SharePoint's "User can
  // override"); the default privacy applies until they do.
  bool user_can_override = false;
  bool show_on_profile = true;  // shown on the person page ("Show on the Edit Details page"
  bool show_in_edit = true;     // and "Show in the profile properties section")

  bool operator==(const PropertyPolicy&) const = default;
};

}  // namespace upsync
