#include "core/property_policy.h"

#include "core/text.h"

namespace upsync {

std::string_view privacy_name(Privacy p) {
  switch (p) {
    case Privacy::kPublic:
      return "Public";
    case Privacy::kContacts:
      return "Contacts";
    case Privacy::kOrganization:
      return "Organization";
    case Privacy::kManager:
      return "Manager";
    case Privacy::kPrivate:
      return "Private";
  }
  return "Public";
}

std::optional<Privacy> parse_privacy(std::string_view name) {
  const std::string n = ascii_lower(name);
  if (n == "public" || n == "everyone") return Privacy::kPublic;
  if (n == "contacts" || n == "my colleagues") return Privacy::kContacts;
  if (n == "organization" || n == "my team") return Privacy::kOrganization;
  if (n == "manager" || n == "my manager") return Privacy::kManager;
  if (n == "private" || n == "only me") return Privacy::kPrivate;
  return std::nullopt;
}

bool privacy_allows(Privacy p, ViewerRelation relation) {
  switch (relation) {
    case ViewerRelation::kOwner:
      return true;
    case ViewerRelation::kManager:
      return p != Privacy::kPrivate;
    case ViewerRelation::kTeam:
      return p == Privacy::kPublic || p == Privacy::kContacts || p == Privacy::kOrganization;
    case ViewerRelation::kColleague:
      return p == Privacy::kPublic || p == Privacy::kContacts;
    case ViewerRelation::kAnyone:
      return p == Privacy::kPublic;
  }
  return false;
}

}  // namespace upsync
