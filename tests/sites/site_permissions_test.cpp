// The permission rules of src/sites/site_permissions.h over the SQLite store: defaults, grant
// and revoke in both modes, a library's own assignments, principal ids shared with the site's
// user list, and who holds which role (groups through the membership callback).
#include "sites/site_permissions.h"

#include <gtest/gtest.h>

#include "sites/site_users.h"
#include "store/store_fixture.h"

namespace upsync {
namespace {

class SitePermissionsTest : public testing::StoreTest {
 protected:
  void SetUp() override {
    StoreTest::SetUp();
    auto p = open_site_permission_store(*store_);
    ASSERT_TRUE(p);
    perms_ = std::move(*p);
  }
  std::optional<SiteRole> role_of(const PermissionSubject& who, std::string_view library = "") {
    auto r = site_role_of(*perms_, tenant_.id, "sites/hr", library, who);
    EXPECT_TRUE(r) << r.status().to_string();
    return r ? *r : std::nullopt;
  }
  static PermissionSubject person(std::string upn, std::vector<std::string> groups = {}) {
    PermissionSubject s;
    s.person_key = std::move(upn);
    s.in_group = [groups](std::string_view g) -> Result<bool> {
      return std::find(groups.begin(), groups.end(), g) != groups.end();
    };
    return s;
  }
  std::unique_ptr<SitePermissionStore> perms_;
};

const SitePrincipal kBob = person_principal("i:0#.f|membership|Bob@contoso.com", "");
const SitePrincipal kTeam = group_principal("AAAA-1", "HR Team");

TEST_P(SitePermissionsTest, EveryoneReadsUntilConfiguredAndAdminsOwnEverything) {
  EXPECT_EQ(kBob.key, "bob@contoso.com");
  EXPECT_EQ(role_of(person("bob@contoso.com")), SiteRole::kVisitor);
  PermissionSubject admin;
  admin.tenant_owner = true;
  EXPECT_EQ(role_of(admin), SiteRole::kOwner);
  EXPECT_EQ(role_of(PermissionSubject{}), std::nullopt);  // an app-less, person-less caller
  auto own = perms_->scope(tenant_.id, "sites/hr", "");
  ASSERT_TRUE(own);
  EXPECT_FALSE(own->has_value());  // reading stores nothing
}

TEST_P(SitePermissionsTest, GrantReplacesOrAddsAndRevokeRemovesOneOrAll) {
  ASSERT_TRUE(*grant(*store_, *perms_, tenant_.id, "sites/hr", "", kBob, SiteRole::kMember));
  EXPECT_FALSE(*grant(*store_, *perms_, tenant_.id, "sites/hr", "", kBob, SiteRole::kMember));
  EXPECT_EQ(role_of(person("bob@contoso.com")), SiteRole::kMember);
  // The defaults came along: Everyone still reads.
  EXPECT_EQ(role_of(person("eve@contoso.com")), SiteRole::kVisitor);
  ASSERT_TRUE(*grant(*store_, *perms_, tenant_.id, "sites/hr", "", kBob, SiteRole::kOwner,
                     GrantMode::kAdd));
  auto scope = effective_scope(*perms_, tenant_.id, "sites/hr", "");
  ASSERT_TRUE(scope);
  ASSERT_EQ(scope->assignments.size(), 2u);
  EXPECT_EQ(scope->assignments[0].principal, kBob);
  EXPECT_EQ(scope->assignments[0].roles, (std::vector{SiteRole::kOwner, SiteRole::kMember}));
  ASSERT_TRUE(revoke(*store_, *perms_, tenant_.id, "sites/hr", "", kBob, SiteRole::kOwner).is_ok());
  EXPECT_EQ(role_of(person("bob@contoso.com")), SiteRole::kMember);
  Status again = revoke(*store_, *perms_, tenant_.id, "sites/hr", "", kBob, SiteRole::kOwner);
  EXPECT_EQ(again.code(), StatusCode::kNotFound);
  EXPECT_NE(again.message().find("bob@contoso.com"), std::string::npos) << again.message();
  ASSERT_TRUE(grant(*store_, *perms_, tenant_.id, "sites/hr", "", kBob, SiteRole::kVisitor));
  EXPECT_EQ(role_of(person("bob@contoso.com")), SiteRole::kVisitor);  // replaced, not added
  ASSERT_TRUE(revoke(*store_, *perms_, tenant_.id, "sites/hr", "", kBob).is_ok());
  ASSERT_TRUE(revoke(*store_, *perms_, tenant_.id, "sites/hr", "", everyone_principal()).is_ok());
  EXPECT_EQ(role_of(person("bob@contoso.com")), std::nullopt);
}

TEST_P(SitePermissionsTest, GroupsCountForTheirMembersOnly) {
  ASSERT_TRUE(grant(*store_, *perms_, tenant_.id, "sites/hr", "", kTeam, SiteRole::kMember));
  EXPECT_EQ(role_of(person("carol@contoso.com", {"aaaa-1"})), SiteRole::kMember);
  EXPECT_EQ(role_of(person("dan@contoso.com", {"bbbb-2"})), SiteRole::kVisitor);
}

TEST_P(SitePermissionsTest, ALibraryInheritsUntilItBreaksAndAfterItResets) {
  Status inheriting =
      grant(*store_, *perms_, tenant_.id, "sites/hr", "Board", kBob, SiteRole::kMember).status();
  EXPECT_EQ(inheriting.code(), StatusCode::kFailedPrecondition);
  ASSERT_TRUE(*break_inheritance(*store_, *perms_, tenant_.id, "sites/hr", "Board", /*copy=*/true));
  EXPECT_FALSE(*break_inheritance(*store_, *perms_, tenant_.id, "sites/hr", "board", false));
  EXPECT_EQ(role_of(person("bob@contoso.com"), "BOARD"), SiteRole::kVisitor);  // copied
  ASSERT_TRUE(
      revoke(*store_, *perms_, tenant_.id, "sites/hr", "Board", everyone_principal()).is_ok());
  EXPECT_EQ(role_of(person("bob@contoso.com"), "Board"), std::nullopt);
  EXPECT_EQ(role_of(person("bob@contoso.com")), SiteRole::kVisitor);  // the site is untouched
  ASSERT_TRUE(grant(*store_, *perms_, tenant_.id, "sites/hr", "Board", kBob, SiteRole::kMember));
  EXPECT_EQ(role_of(person("bob@contoso.com"), "Board"), SiteRole::kMember);
  auto scopes = perms_->scopes(tenant_.id, "sites/hr");
  ASSERT_TRUE(scopes);
  ASSERT_EQ(scopes->size(), 1u);
  EXPECT_EQ((*scopes)[0].library, "Board");
  ASSERT_TRUE(*reset_inheritance(*perms_, tenant_.id, "sites/hr", "Board"));
  EXPECT_FALSE(*reset_inheritance(*perms_, tenant_.id, "sites/hr", "Board"));
  EXPECT_EQ(role_of(person("bob@contoso.com"), "Board"), SiteRole::kVisitor);
  EXPECT_EQ(break_inheritance(*store_, *perms_, tenant_.id, "sites/hr", "", true).status().code(),
            StatusCode::kInvalidArgument);
}

TEST_P(SitePermissionsTest, PrincipalIdsShareTheSiteUserSequence) {
  auto users = open_site_user_store(*store_);
  ASSERT_TRUE(users);
  Profile adele = make_profile("adele@contoso.com");
  auto first = ensure_site_user(*store_, **users, tenant_, "sites/hr", adele);
  ASSERT_TRUE(first);
  EXPECT_EQ(first->id, 1);
  auto team = perms_->principal_id(tenant_.id, "sites/hr", kTeam);
  ASSERT_TRUE(team);
  EXPECT_EQ(*team, 2);
  EXPECT_EQ(*perms_->principal_id(tenant_.id, "sites/hr", kTeam), 2);  // stable
  EXPECT_EQ(*perms_->principal_id(tenant_.id, "sites/hr", everyone_principal()), 3);
  auto next =
      ensure_site_user(*store_, **users, tenant_, "sites/hr", make_profile("bob@contoso.com"));
  ASSERT_TRUE(next);
  EXPECT_EQ(next->id, 4);
  auto found = perms_->principal_by_id(tenant_.id, "sites/hr", 2);
  ASSERT_TRUE(found && found->has_value());
  EXPECT_EQ(**found, kTeam);
  EXPECT_FALSE(perms_->principal_by_id(tenant_.id, "sites/hr", 4)->has_value());
  EXPECT_FALSE(perms_->principal_id(tenant_.id, "sites/hr", kBob));  // people: site user ids
}

TEST_P(SitePermissionsTest, RoleDefinitionsCarrySharePointsIds) {
  EXPECT_EQ(role_definition_id(SiteRole::kOwner), 1073741829);
  EXPECT_EQ(role_definition_id(SiteRole::kMember), 1073741827);
  EXPECT_EQ(role_definition_id(SiteRole::kVisitor), 1073741826);
  EXPECT_EQ(role_of_definition_id(1073741826), SiteRole::kVisitor);
  EXPECT_EQ(role_of_definition_id(5), std::nullopt);
  EXPECT_EQ(role_of_definition_name("full control"), SiteRole::kOwner);
  EXPECT_EQ(parse_site_role("Member"), SiteRole::kMember);
  EXPECT_EQ(parse_site_role("editor"), std::nullopt);
}

UPSYNC_TEST_ON_EVERY_BACKEND(SitePermissionsTest);

}  // namespace
}  // namespace upsync
