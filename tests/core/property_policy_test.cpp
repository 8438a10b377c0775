// Property policies: SharePoint's privacy names and which viewer each level lets in.
#include "core/property_policy.h"

#include <gtest/gtest.h>

#include <array>
#include <utility>

namespace upsync {
namespace {

TEST(PropertyPolicyTest, NamesAndSharePointLabelsParse) {
  const std::pair<const char*, Privacy> kNames[] = {
      {"Public", Privacy::kPublic},
      {"everyone", Privacy::kPublic},
      {"Contacts", Privacy::kContacts},
      {"My Colleagues", Privacy::kContacts},
      {"organization", Privacy::kOrganization},
      {"My Team", Privacy::kOrganization},
      {"Manager", Privacy::kManager},
      {"my manager", Privacy::kManager},
      {"PRIVATE", Privacy::kPrivate},
      {"Only Me", Privacy::kPrivate},
  };
  for (const auto& [name, privacy] : kNames) {
    EXPECT_EQ(parse_privacy(name), privacy) << name;
  }
  for (Privacy p : {Privacy::kPublic, Privacy::kContacts, Privacy::kOrganization, Privacy::kManager,
                    Privacy::kPrivate}) {
    EXPECT_EQ(parse_privacy(privacy_name(p)), p);
  }
  EXPECT_FALSE(parse_privacy("Friends"));
  EXPECT_FALSE(parse_privacy(""));
}

// Rows: privacy; columns: owner, manager, team, colleague, anyone.
TEST(PropertyPolicyTest, EachLevelIncludesTheNarrowerViewers) {
  const ViewerRelation kColumns[] = {ViewerRelation::kOwner, ViewerRelation::kManager,
                                     ViewerRelation::kTeam, ViewerRelation::kColleague,
                                     ViewerRelation::kAnyone};
  const std::pair<Privacy, std::array<bool, 5>> kTable[] = {
      {Privacy::kPublic, {true, true, true, true, true}},
      {Privacy::kContacts, {true, true, true, true, false}},
      {Privacy::kOrganization, {true, true, true, false, false}},
      {Privacy::kManager, {true, true, false, false, false}},
      {Privacy::kPrivate, {true, false, false, false, false}},
  };
  for (const auto& [privacy, row] : kTable) {
    for (size_t i = 0; i < row.size(); ++i) {
      EXPECT_EQ(privacy_allows(privacy, kColumns[i]), row[i])
          << privacy_name(privacy) << " column " << i;
    }
  }
}

}  // namespace
}  // namespace upsync
