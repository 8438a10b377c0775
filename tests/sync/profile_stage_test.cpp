// Stage 2 (directory store → profiles) reads each page of its feed ahead (the page's users,
// their managers and profiles, in a few queries): what it writes must be what a query per user
// gives, across pages and when one user of a page writes what another one reads. On every
// backend.
#include <gtest/gtest.h>

#include <cstdio>
#include <string>

#include "sync/sync_fixture.h"

namespace upsync {
namespace {

using testing::ad_user;
using testing::SyncTest;

// Person u<i> of an org chart fifty wide (u0 at the top, u<i> reports to u<(i-1)/50>), as an
// OpenLDAP inetOrgPerson: mail is the sign-in name.
std::string person(int i) {
  char uuid[40];
  std::snprintf(uuid, sizeof uuid, "%08x-0000-4000-8000-%012x", i, i);
  std::string e = "dn: uid=u" + std::to_string(i) +
                  ",ou=people,dc=contoso,dc=com\nobjectClass: inetOrgPerson\nentryUUID: " + uuid +
                  "\ncn: Person " + std::to_string(i) + "\nsn: P\nmail: u" + std::to_string(i) +
                  "@contoso.com\n";
  if (i > 0)
    e += "manager: uid=u" + std::to_string((i - 1) / 50) + ",ou=people,dc=contoso,dc=com\n";
  return e + "\n";
}

std::string account_of(int i) { return "i:0#.f|membership|u" + std::to_string(i) + "@contoso.com"; }

// Three pages of users, each with a manager that is often on another page.
TEST_P(SyncTest, EveryPageOfUsersGetsItsProfilesAndManagers) {
  constexpr int kPeople = 2500;
  std::string ldif;
  for (int i = 0; i < kPeople; ++i) ldif += person(i);
  auto r = sync(ldif);
  ASSERT_TRUE(r) << r.status().to_string();
  EXPECT_EQ(stage(*r, "store-to-profiles").added, kPeople);
  EXPECT_EQ(stage(*r, "store-to-profiles").read, kPeople);

  ProfileQuery q;
  q.limit = 1000;
  int seen = 0;
  while (true) {
    auto page = store_->list_profiles(tenant_.id, q);
    ASSERT_TRUE(page) << page.status().to_string();
    for (const Profile& p : page->profiles) {
      const int i = std::stoi(p.first("SPS-UserPrincipalName").substr(1));
      EXPECT_EQ(p.account_name, account_of(i));
      EXPECT_EQ(p.first("Manager"), i == 0 ? "" : account_of((i - 1) / 50)) << p.account_name;
      EXPECT_EQ(p.first("msOnline-ObjectId").size(), 36u) << p.account_name;
      ++seen;
    }
    if (!page->next_after_id) break;
    q.after_id = *page->next_after_id;
  }
  EXPECT_EQ(seen, kPeople);

  // A full run again reads every page and finds every profile as it left it.
  SyncOptions full;
  full.full = true;
  auto again = run_sync(*store_, tenant_, nullptr, full);
  ASSERT_TRUE(again) << again.status().to_string();
  EXPECT_EQ(stage(*again, "store-to-profiles").unchanged, kPeople);
  EXPECT_EQ(stage(*again, "store-to-profiles").added, 0);
  EXPECT_EQ(stage(*again, "store-to-profiles").updated, 0);
}

// Two directory users with one sign-in name in one page: the first makes the profile of that
// account, the second finds it by account name and takes it over (a query per user finds the
// profile the first one wrote; so must the page read ahead before either).
TEST_P(SyncTest, AUserFindsTheProfileAnEarlierUserOfThePageMade) {
  auto r = sync(ad_user(1, "dup@contoso.com", "givenName: First\n") +
                ad_user(2, "DUP@contoso.com", "givenName: Second\n"));
  ASSERT_TRUE(r) << r.status().to_string();
  const StageReport& s = stage(*r, "store-to-profiles");
  EXPECT_EQ(s.added, 1);
  EXPECT_EQ(s.updated, 1);
  auto count = store_->count_profiles(tenant_.id);
  ASSERT_TRUE(count);
  EXPECT_EQ(*count, 1);
  Profile p = by_upn("dup@contoso.com");
  EXPECT_TRUE(p.first("FirstName") == "First" || p.first("FirstName") == "Second");
  // Whichever came second in the feed holds it now, with its own cloud id.
  auto owner = directory_->user(tenant_.id, DirectoryLayer::kStore, p.first("msOnline-ObjectId"));
  ASSERT_TRUE(owner && *owner);
  EXPECT_EQ((*owner)->first("givenName"), p.first("FirstName"));
}

// A manager named by an id in another case is found, as a query per user finds one.
TEST_P(SyncTest, AManagerIdInAnotherCaseIsFound) {
  auto cloud = [&](const std::string& id, const std::string& upn, const std::string& manager) {
    DirectoryUser u;
    u.object_id = id;
    u.source_anchor = id + "-anchor";
    u.attributes = {
        {"userPrincipalName", {upn}}, {"accountEnabled", {"true"}}, {"licensed", {"true"}}};
    if (!manager.empty()) u.attributes["manager"] = {manager};
    ASSERT_TRUE(directory_->put(tenant_.id, DirectoryLayer::kCloud, u));
  };
  cloud("0000000b-0000-4000-8000-00000000000b", "boss@contoso.com", "");
  cloud("0000000a-0000-4000-8000-00000000000a", "worker@contoso.com",
        "0000000B-0000-4000-8000-00000000000B");
  auto r = sync_stages();
  ASSERT_TRUE(r) << r.status().to_string();
  EXPECT_EQ(by_upn("worker@contoso.com").first("Manager"), "i:0#.f|membership|boss@contoso.com");
}

}  // namespace
}  // namespace upsync
