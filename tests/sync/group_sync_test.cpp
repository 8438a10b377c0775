// Groups through the pipeline on every storage backend: nested groups and cycles, members in
// and out of scope, renames and moves, deltas, the deletion threshold, malformed entries.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "sync/sync_fixture.h"

namespace upsync {
namespace {

using testing::ad_user;
using testing::guid_b64;
using testing::SyncTest;

// ---- Groups ----

std::string ad_group(int n, const std::string& name, const std::vector<std::string>& members,
                     const std::string& extra = "") {
  std::string e = "dn: CN=" + name +
                  ",OU=Groups,DC=contoso,DC=com\nobjectClass: top\n"
                  "objectClass: group\ncn: " +
                  name + "\nobjectGUID:: " + guid_b64(100 + n) + "\ngroupType: -2147483646\n" +
                  extra;
  for (const std::string& m : members) e += "member: " + m + "\n";
  return e + "\n";
}

std::string user_dn(int n) {
  return "CN=User " + std::to_string(n) + ",OU=Staff,DC=contoso,DC=com";
}
std::string group_dn(const std::string& name) {
  return "CN=" + name + ",OU=Groups,DC=contoso,DC=com";
}

class GroupSyncTest : public SyncTest {
 protected:
  std::string users() {
    return ad_user(1, "one@contoso.com", "") + ad_user(2, "two@contoso.com", "") +
           ad_user(3, "three@contoso.com", "") + ad_user(4, "four@contoso.com", "");
  }
  // A holds user 1 and B; B holds user 2 and C; C holds user 3 and A: a cycle.
  std::string groups() {
    return ad_group(1, "A", {user_dn(1), group_dn("B")},
                    "mail: a@contoso.com\ndescription: first\n") +
           ad_group(2, "B", {user_dn(2), group_dn("C")}) +
           ad_group(3, "C", {user_dn(3), group_dn("A")});
  }
  DirectoryGroup group(const std::string& name, DirectoryLayer layer = DirectoryLayer::kCloud) {
    auto all = directory_->groups(tenant_.id, layer);
    EXPECT_TRUE(all) << all.status().to_string();
    for (const auto& g : *all) {
      if (g.first("displayName") == name) return g;
    }
    ADD_FAILURE() << "no group " << name;
    return {};
  }
  std::string id_of(const std::string& upn) { return cloud_user(upn).object_id; }
  // Names (UPNs and group names) of the ids, sorted.
  std::vector<std::string> names(const std::vector<std::string>& ids,
                                 DirectoryLayer layer = DirectoryLayer::kCloud) {
    std::vector<std::string> out;
    for (const auto& id : ids) {
      auto o = directory_->object(tenant_.id, layer, id);
      EXPECT_TRUE(o && *o) << id;
      if (!o || !*o) continue;
      out.push_back((*o)->user ? (*o)->user->first("userPrincipalName")
                               : (*o)->group->first("displayName"));
    }
    std::sort(out.begin(), out.end());
    return out;
  }
  std::vector<std::string> transitive(const std::string& name,
                                      DirectoryLayer layer = DirectoryLayer::kCloud) {
    auto t = directory_->transitive_members(tenant_.id, layer, group(name, layer).object_id);
    EXPECT_TRUE(t) << t.status().to_string();
    return t ? names(*t, layer) : std::vector<std::string>{};
  }
  std::vector<std::string> direct(const std::string& name,
                                  DirectoryLayer layer = DirectoryLayer::kCloud) {
    return names(group(name, layer).members, layer);
  }
  Result<SyncReport> delta(const std::string& ldif) {
    auto records = parse_ldif(ldif);
    if (!records) return records.status();
    SourceRead source;
    source.entries = std::move(*records);
    source.complete = false;
    return run_source_sync(*store_, tenant_, source, {});
  }
  using V = std::vector<std::string>;
};

TEST_P(GroupSyncTest, NestedGroupsWithACycleResolveInBothLayers) {
  auto r = sync(users() + groups());
  ASSERT_TRUE(r) << r.status().to_string();
  EXPECT_EQ(stage(*r, "connect").groups.read, 3);
  EXPECT_EQ(stage(*r, "connect").groups.added, 3);
  EXPECT_EQ(stage(*r, "cloud-to-store").groups.added, 3);
  EXPECT_EQ(stage(*r, "connect").added, 4) << "users are counted apart from groups";

  DirectoryGroup a = group("A");
  EXPECT_EQ(a.object_id.size(), 36u);
  EXPECT_EQ(a.source_anchor, guid_b64(101));
  EXPECT_EQ(a.first("mail"), "a@contoso.com");
  EXPECT_EQ(a.first("mailNickname"), "a");
  EXPECT_EQ(a.first("description"), "first");
  EXPECT_TRUE(a.flag("securityEnabled", false)) << "groupType -2147483646 has bit 0x80000000";
  EXPECT_TRUE(a.flag("mailEnabled", false));
  EXPECT_FALSE(group("B").flag("mailEnabled", true));

  EXPECT_EQ(direct("A"), (V{"B", "one@contoso.com"}));
  // Through B and C and back to A: every member once, A not its own member.
  const V all = {"B", "C", "one@contoso.com", "three@contoso.com", "two@contoso.com"};
  EXPECT_EQ(transitive("A"), all);
  EXPECT_EQ(transitive("A", DirectoryLayer::kStore), all) << "stage 1 resolved the nesting";
  EXPECT_EQ(transitive("B", DirectoryLayer::kStore),
            (V{"A", "C", "one@contoso.com", "three@contoso.com", "two@contoso.com"}));
  auto of = directory_->member_of(tenant_.id, DirectoryLayer::kCloud, id_of("two@contoso.com"));
  ASSERT_TRUE(of);
  ASSERT_EQ(of->size(), 1u);
  EXPECT_EQ((*of)[0].first("displayName"), "B");

  // The same export again changes nothing; --full ends in the same state.
  r = sync(users() + groups());
  ASSERT_TRUE(r);
  EXPECT_EQ(stage(*r, "connect").groups.unchanged, 3);
  EXPECT_EQ(stage(*r, "cloud-to-store").groups.read, 0) << "nothing changed in the feed";
  SyncOptions full;
  full.full = true;
  r = sync(users() + groups(), full);
  ASSERT_TRUE(r);
  EXPECT_EQ(stage(*r, "cloud-to-store").groups.read, 3);
  EXPECT_EQ(stage(*r, "cloud-to-store").groups.unchanged, 3);
  EXPECT_EQ(transitive("A", DirectoryLayer::kStore), all);
}

TEST_P(GroupSyncTest, ARenamedOrMovedMemberStaysAMember) {
  ASSERT_TRUE(sync(users() + groups()));
  const std::string a_id = group("A").object_id;
  // User 1 renamed and moved; the directory updates the group's member value (AD does,
  // OpenLDAP with refint): same anchor, same object id, the group does not change.
  std::string renamed = users();
  const std::string moved = "CN=Uno,OU=Moved,DC=contoso,DC=com";
  renamed.replace(renamed.find(user_dn(1)), user_dn(1).size(), moved);
  auto r =
      sync(renamed +
           ad_group(1, "A", {moved, group_dn("B")}, "mail: a@contoso.com\ndescription: first\n") +
           ad_group(2, "B", {user_dn(2), group_dn("C")}) +
           ad_group(3, "C", {user_dn(3), group_dn("A")}));
  ASSERT_TRUE(r) << r.status().to_string();
  EXPECT_EQ(stage(*r, "connect").updated, 1) << "the user's DN changed";
  EXPECT_EQ(stage(*r, "connect").groups.unchanged, 3);
  EXPECT_EQ(group("A").object_id, a_id);
  EXPECT_EQ(direct("A"), (V{"B", "one@contoso.com"}));

  // A delta that names only the user renamed again leaves its groups as they are.
  r = delta(ad_user(1, "one@contoso.com", "")
                .replace(0, 4 + user_dn(1).size(), "dn: CN=Eins,OU=Staff,DC=contoso,DC=com"));
  ASSERT_TRUE(r) << r.status().to_string();
  EXPECT_EQ(stage(*r, "connect").groups.read, 0);
  EXPECT_EQ(direct("A"), (V{"B", "one@contoso.com"}));
  EXPECT_EQ(direct("A", DirectoryLayer::kStore), (V{"B", "one@contoso.com"}));

  // A directory without referential integrity: the user is renamed once more, the group
  // still names it by the DN it had; the same object, still in the export, stays a member.
  std::string again = users();
  again.replace(again.find(user_dn(1)), user_dn(1).size(), "CN=Una,OU=Staff,DC=contoso,DC=com");
  r = sync(again +
           ad_group(1, "A", {"CN=Eins,OU=Staff,DC=contoso,DC=com", group_dn("B")},
                    "mail: a@contoso.com\ndescription: first\n") +
           ad_group(2, "B", {user_dn(2), group_dn("C")}) +
           ad_group(3, "C", {user_dn(3), group_dn("A")}));
  ASSERT_TRUE(r) << r.status().to_string();
  EXPECT_EQ(stage(*r, "connect").groups.unchanged, 3);
  EXPECT_EQ(stage(*r, "connect").skipped.count("group member outside the synced scope"), 0u);
  EXPECT_EQ(direct("A"), (V{"B", "one@contoso.com"}));
}

TEST_P(GroupSyncTest, MembersOutsideTheScopeAreLeftOutAndCounted) {
  auto r = sync(users() + ad_group(1, "A",
                                   {user_dn(1), "CN=Elsewhere,OU=Other,DC=fabrikam,DC=com",
                                    "CN=Printer,OU=Devices,DC=contoso,DC=com"}));
  ASSERT_TRUE(r) << r.status().to_string();
  EXPECT_EQ(stage(*r, "connect").skipped.at("group member outside the synced scope"), 2);
  EXPECT_EQ(direct("A"), (V{"one@contoso.com"}));
}

TEST_P(GroupSyncTest, AMemberUserMovedOutOfScopeOrDeletedLeavesItsGroups) {
  ASSERT_TRUE(sync(users() + groups()));
  // User 2 is gone from the export (deleted, or moved out of the synced OU); B still names
  // the old DN (a directory without referential integrity): it is out of scope now.
  std::string without_two = ad_user(1, "one@contoso.com", "") +
                            ad_user(3, "three@contoso.com", "") +
                            ad_user(4, "four@contoso.com", "");
  auto r = sync(without_two + groups());
  ASSERT_TRUE(r) << r.status().to_string();
  EXPECT_EQ(stage(*r, "connect").deleted, 1);
  EXPECT_EQ(stage(*r, "connect").skipped.at("group member outside the synced scope"), 1);
  EXPECT_EQ(direct("B"), (V{"C"}));
  EXPECT_EQ(direct("B", DirectoryLayer::kStore), (V{"C"}));
  EXPECT_EQ(transitive("A", DirectoryLayer::kStore),
            (V{"B", "C", "one@contoso.com", "three@contoso.com"}));

  // A user deleted by a delta (deleted anchor) leaves its groups, which record the change.
  SourceRead source;
  source.complete = false;
  source.deleted_anchors = {guid_b64(3)};
  r = run_source_sync(*store_, tenant_, source, {});
  ASSERT_TRUE(r) << r.status().to_string();
  EXPECT_EQ(stage(*r, "connect").deleted, 1);
  EXPECT_EQ(stage(*r, "cloud-to-store").groups.read, 1) << "C lost a member";
  EXPECT_EQ(direct("C"), (V{"A"}));
  EXPECT_EQ(direct("C", DirectoryLayer::kStore), (V{"A"}));
  EXPECT_EQ(transitive("A", DirectoryLayer::kStore), (V{"B", "C", "one@contoso.com"}));

  // A user deleted by hand in the cloud directory leaves its groups too.
  ASSERT_TRUE(directory_->remove(tenant_.id, DirectoryLayer::kCloud, id_of("one@contoso.com")));
  EXPECT_EQ(direct("A"), (V{"B"}));
  ASSERT_TRUE(sync_stages());
  EXPECT_EQ(transitive("C", DirectoryLayer::kStore), (V{"A", "B"}));
}

TEST_P(GroupSyncTest, RemovedMembersAndDeletedGroupsAreReflected) {
  ASSERT_TRUE(sync(users() + groups()));
  // B drops C (a removed member); C is deleted on premises.
  auto r = sync(
      users() +
      ad_group(1, "A", {user_dn(1), group_dn("B")}, "mail: a@contoso.com\ndescription: first\n") +
      ad_group(2, "B", {user_dn(2), user_dn(4)}));
  ASSERT_TRUE(r) << r.status().to_string();
  EXPECT_EQ(stage(*r, "connect").groups.deleted, 1);
  EXPECT_EQ(stage(*r, "connect").groups.updated, 1);
  EXPECT_EQ(stage(*r, "cloud-to-store").groups.deleted, 1);
  auto c = directory_->group_by_anchor(tenant_.id, DirectoryLayer::kStore, guid_b64(103));
  ASSERT_TRUE(c && *c);
  EXPECT_TRUE((*c)->deleted) << "kept as a tombstone";
  EXPECT_EQ(direct("B", DirectoryLayer::kStore), (V{"four@contoso.com", "two@contoso.com"}));
  EXPECT_EQ(transitive("A", DirectoryLayer::kStore),
            (V{"B", "four@contoso.com", "one@contoso.com", "two@contoso.com"}));
  auto changes = store_->changes_after(tenant_.id, kCloudGroupsFeed, 0, 100);
  ASSERT_TRUE(changes);
  EXPECT_EQ(changes->back().op, ChangeOp::kDelete);
}

TEST_P(GroupSyncTest, ADeltaReadsOnlyTheChangedGroups) {
  ASSERT_TRUE(sync(users() + groups()));
  auto r = delta(ad_group(2, "B", {user_dn(2), user_dn(4), group_dn("C")}));
  ASSERT_TRUE(r) << r.status().to_string();
  EXPECT_EQ(stage(*r, "connect").groups.read, 1);
  EXPECT_EQ(stage(*r, "connect").groups.updated, 1);
  EXPECT_EQ(stage(*r, "cloud-to-store").groups.read, 1) << "only B's change is in the feed";
  EXPECT_EQ(stage(*r, "cloud-to-store").read, 0);
  EXPECT_EQ(direct("B"), (V{"C", "four@contoso.com", "two@contoso.com"}))
      << "members named by DN resolve to users synced before";
  EXPECT_EQ(
      transitive("C", DirectoryLayer::kStore),
      (V{"A", "B", "four@contoso.com", "one@contoso.com", "three@contoso.com", "two@contoso.com"}));
  // A full run from the same export ends in the same state.
  SyncOptions full;
  full.full = true;
  ASSERT_TRUE(run_sync(*store_, tenant_, nullptr, full));
  EXPECT_EQ(
      transitive("C", DirectoryLayer::kStore),
      (V{"A", "B", "four@contoso.com", "one@contoso.com", "three@contoso.com", "two@contoso.com"}));
}

TEST_P(GroupSyncTest, TheDeletionThresholdCountsGroupsAndDryRunsShowThem) {
  ASSERT_TRUE(sync(users() + groups()));
  SyncOptions o;
  o.deletion_threshold = 1;
  auto r = sync(users(), o);  // all three groups gone
  ASSERT_FALSE(r);
  EXPECT_NE(r.status().message().find("would delete 0 users and 3 groups"), std::string::npos)
      << r.status().message();
  EXPECT_EQ(directory_->groups(tenant_.id, DirectoryLayer::kCloud)->size(), 3u);

  o.deletion_threshold = 500;
  o.dry_run = true;
  r = sync(users() + ad_group(4, "D", {user_dn(4)}) + groups(), o);
  ASSERT_TRUE(r) << r.status().to_string();
  EXPECT_EQ(stage(*r, "connect").groups.added, 1);
  const auto& changes = stage(*r, "connect").changes;
  EXPECT_NE(std::find(changes.begin(), changes.end(), "+ group D"), changes.end());
  EXPECT_EQ(directory_->groups(tenant_.id, DirectoryLayer::kCloud)->size(), 3u)
      << "dry: nothing written";
}

TEST_P(GroupSyncTest, MalformedGroupEntriesAreRefusedWithTheirLineAndChangeNothing) {
  struct Case {
    std::string ldif;
    std::string message;
  } cases[] = {
      {ad_group(1, "A", {"not a dn"}),
       "member value 'not a dn' is not a distinguished name: RDN 1 'not a dn' has no '='"},
      {ad_group(1, "A", {"CN=x,=Staff"}), "RDN 2 '=Staff' has no attribute type"},
      {"dn: cn=g,ou=groups,dc=contoso,dc=com\nobjectClass: groupOfNames\ncn: g\n"
       "member: uid=a,dc=contoso,dc=com\n\n",
       "no source anchor"},
      {"dn: CN=A,OU=Groups,DC=contoso,DC=com\nobjectClass: group\nobjectGUID:: " + guid_b64(101) +
           "\ngroupType: lots\n\n",
       "groupType 'lots' is not a 32-bit number"},
      {"dn: CN=A,OU=Groups,DC=contoso,DC=com\nobjectClass: group\nobjectGUID:: " + guid_b64(101) +
           "\ngroupType: 4294967296\n\n",
       "groupType '4294967296' is not a 32-bit number"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.ldif);
    auto r = sync(users() + c.ldif);
    ASSERT_FALSE(r);
    EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
    EXPECT_NE(r.status().message().find("LDIF line 33 ("), std::string::npos)
        << r.status().message();
    EXPECT_NE(r.status().message().find(c.message), std::string::npos) << r.status().message();
    EXPECT_TRUE(directory_->users(tenant_.id, DirectoryLayer::kCloud)->empty());
    EXPECT_TRUE(directory_->groups(tenant_.id, DirectoryLayer::kCloud)->empty());
  }
}

TEST_P(GroupSyncTest, OpenLdapGroupsOfUniqueNamesAnchorOnEntryUuid) {
  auto r = sync(
      "dn: uid=ann,ou=people,dc=contoso,dc=com\nobjectClass: inetOrgPerson\n"
      "entryUUID: 11111111-2222-3333-4444-555555555555\ncn: Ann\nsn: A\nmail: ann@contoso.com\n\n"
      "dn: cn=team,ou=groups,dc=contoso,dc=com\nobjectClass: groupOfUniqueNames\ncn: team\n"
      "entryUUID: 66666666-7777-8888-9999-AAAAAAAAAAAA\n"
      "uniqueMember: uid=ann,ou=people,dc=contoso,dc=com#'0101'B\n\n");
  ASSERT_TRUE(r) << r.status().to_string();
  DirectoryGroup team = group("team");
  EXPECT_EQ(team.source_anchor, "66666666-7777-8888-9999-aaaaaaaaaaaa");
  EXPECT_EQ(team.first("mailNickname"), "team");
  EXPECT_TRUE(team.flag("securityEnabled", false));
  EXPECT_EQ(direct("team"), (V{"ann@contoso.com"}));
}

UPSYNC_TEST_ON_EVERY_BACKEND(GroupSyncTest);

}  // namespace
}  // namespace upsync
