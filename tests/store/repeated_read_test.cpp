// Reads asked again and again (a person page's reports and the names of its org chart) answer
// what is committed now, whoever wrote it: another connection (another `serve` process, a
// sync worker), this connection itself, or this connection's open write transaction. Both
// backends keep such answers across read snapshots (store/common/read_cache.h); these tests
// fail when a kept answer outlives a change (pg_read_cache_test.cpp counts what they cost on
// PostgreSQL).
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "directory/directory_store.h"
#include "store/store_fixture.h"

namespace upsync {
namespace {

using Key = DirectoryStore::CloudKey;
using Names = std::vector<std::string>;

std::string claim(const std::string& upn) { return "i:0#.f|membership|" + upn; }

class RepeatedReadTest : public testing::StoreTest {
 protected:
  // A's reports, read in a read snapshot of `store` as a person page reads them.
  Names reports_of_lead(Store& store) {
    Names out;
    Status s = store.read_snapshot([&]() -> Status {
      const Names asked = {claim("lead@contoso.com")};
      UPSYNC_ASSIGN_OR_RETURN(auto reports, store.direct_reports(tenant_.id, asked));
      out = reports.at(0);
      return Status::ok();
    });
    EXPECT_TRUE(s) << s.to_string();
    return out;
  }

  // "upn=displayName" of the live cloud users of `upns`, read in a read snapshot of `store`,
  // with all attributes or `only`.
  Names names_of(Store& store, const Names& upns, const AttributeNames* only = nullptr) {
    Names out;
    Status s = store.read_snapshot([&]() -> Status {
      UPSYNC_ASSIGN_OR_RETURN(auto dir, open_directory_store(store));
      UPSYNC_ASSIGN_OR_RETURN(
          auto users, dir->cloud_users_with(tenant_.id, Key::kUserPrincipalName, upns, only));
      for (const DirectoryUser& u : users) {
        out.push_back(u.first("userPrincipalName") + "=" + u.first("displayName"));
      }
      return Status::ok();
    });
    EXPECT_TRUE(s) << s.to_string();
    return out;
  }

  Status put_user(Store& store, const std::string& id, const std::string& upn,
                  const std::string& name) {
    UPSYNC_ASSIGN_OR_RETURN(auto dir, open_directory_store(store));
    DirectoryUser u;
    u.object_id = id;
    u.attributes["userPrincipalName"] = {upn};
    u.attributes["displayName"] = {name};
    u.attributes["jobTitle"] = {"Engineer"};
    return dir->put(tenant_.id, DirectoryLayer::kCloud, u).status();
  }

  Status set_manager(Store& store, const std::string& upn, const std::string& manager_upn) {
    UPSYNC_ASSIGN_OR_RETURN(
        Profile p, store.profile(tenant_.id, ProfileKey{ProfileKeyKind::kAccountName, claim(upn)}));
    return store
        .update_profile(tenant_.id, p.id,
                        std::vector<PropertyChange>{{"Manager", {claim(manager_upn)}}})
        .status();
  }

  void make_team() {
    make_profile("lead@contoso.com");
    make_profile("ann@contoso.com", {{"Manager", {claim("lead@contoso.com")}}});
    make_profile("bob@contoso.com", {{"Manager", {claim("lead@contoso.com")}}});
    make_profile("cy@contoso.com");
  }
};

TEST_P(RepeatedReadTest, ReportsReadAgainShowWhatAnotherConnectionCommitted) {
  make_team();
  const Names before = {claim("ann@contoso.com"), claim("bob@contoso.com")};
  EXPECT_EQ(reports_of_lead(*store_), before);
  EXPECT_EQ(reports_of_lead(*store_), before);
  auto other = storage_->connect();
  ASSERT_TRUE(other) << other.status().to_string();
  ASSERT_TRUE(set_manager(**other, "cy@contoso.com", "lead@contoso.com"));
  ASSERT_TRUE(set_manager(**other, "ann@contoso.com", "cy@contoso.com"));
  EXPECT_EQ(reports_of_lead(*store_), (Names{claim("bob@contoso.com"), claim("cy@contoso.com")}));
}

// Several managers' reports at once, asked again in other combinations (a person page asks for
// hers and her manager's, then for everyone below): each answer is the lists of the managers as
// asked, in their order, a manager asked twice (in any case) answered twice; and a change
// committed elsewhere shows in the next answer of each combination.
TEST_P(RepeatedReadTest, ReportListsReadAgainAnswerTheManagersAsAsked) {
  make_team();
  auto lists = [&](const Names& asked) {
    std::vector<Names> out;
    Status s = store_->read_snapshot([&]() -> Status {
      UPSYNC_ASSIGN_OR_RETURN(out, store_->direct_reports(tenant_.id, asked));
      return Status::ok();
    });
    EXPECT_TRUE(s) << s.to_string();
    return out;
  };
  const std::string lead = claim("lead@contoso.com");
  const std::string cy = claim("cy@contoso.com");
  const Names team = {claim("ann@contoso.com"), claim("bob@contoso.com")};
  for (int round = 0; round < 2; ++round) {
    EXPECT_EQ(lists({lead}), std::vector<Names>{team});
    EXPECT_EQ(lists({lead, cy}), (std::vector<Names>{team, {}}));
    EXPECT_EQ(lists({claim("LEAD@contoso.com"), lead}), (std::vector<Names>{team, team}));
    EXPECT_EQ(lists({cy, lead}), (std::vector<Names>{{}, team}));
  }
  auto other = storage_->connect();
  ASSERT_TRUE(other) << other.status().to_string();
  ASSERT_TRUE(set_manager(**other, "ann@contoso.com", "cy@contoso.com"));
  EXPECT_EQ(lists({lead, cy}),
            (std::vector<Names>{{claim("bob@contoso.com")}, {claim("ann@contoso.com")}}));
  EXPECT_EQ(lists({cy, lead}),
            (std::vector<Names>{{claim("ann@contoso.com")}, {claim("bob@contoso.com")}}));
  // A value the schema refuses is refused each time, never answered from what was kept.
  for (int round = 0; round < 2; ++round) {
    Status s = store_->read_snapshot([&]() -> Status {
      return store_->direct_reports(tenant_.id, Names{lead, "i:0#.f|membership|"}).status();
    });
    EXPECT_EQ(s.code(), StatusCode::kInvalidArgument) << s.to_string();
  }
}

TEST_P(RepeatedReadTest, ReportsReadAgainShowTheConnectionsOwnWrites) {
  make_team();
  EXPECT_EQ(reports_of_lead(*store_), (Names{claim("ann@contoso.com"), claim("bob@contoso.com")}));
  ASSERT_TRUE(set_manager(*store_, "bob@contoso.com", "cy@contoso.com"));
  EXPECT_EQ(reports_of_lead(*store_), Names{claim("ann@contoso.com")});
  // Inside a write transaction, its own uncommitted write is read.
  Status s = store_->in_transaction([&]() -> Status {
    UPSYNC_RETURN_IF_ERROR(set_manager(*store_, "cy@contoso.com", "lead@contoso.com"));
    EXPECT_EQ(reports_of_lead(*store_), (Names{claim("ann@contoso.com"), claim("cy@contoso.com")}));
    return aborted("rolled back by the test");
  });
  EXPECT_EQ(s.code(), StatusCode::kAborted);
  EXPECT_EQ(reports_of_lead(*store_), Names{claim("ann@contoso.com")});
}

TEST_P(RepeatedReadTest, UsersReadAgainShowWhatAnotherConnectionCommitted) {
  ASSERT_TRUE(put_user(*store_, "aaaa", "ann@contoso.com", "Ann"));
  ASSERT_TRUE(put_user(*store_, "bbbb", "bob@contoso.com", "Bob"));
  const Names upns = {"ann@contoso.com", "BOB@contoso.com", "cy@contoso.com"};
  const Names before = {"ann@contoso.com=Ann", "bob@contoso.com=Bob"};
  EXPECT_EQ(names_of(*store_, upns), before);
  EXPECT_EQ(names_of(*store_, upns), before);
  auto other = storage_->connect();
  ASSERT_TRUE(other) << other.status().to_string();
  // cy arrives (a value that found nobody before), ann is renamed, bob leaves.
  ASSERT_TRUE(put_user(**other, "cccc", "cy@contoso.com", "Cy"));
  ASSERT_TRUE(put_user(**other, "aaaa", "ann@contoso.com", "Ann Other"));
  auto dir = open_directory_store(**other);
  ASSERT_TRUE(dir);
  ASSERT_TRUE((*dir)->remove(tenant_.id, DirectoryLayer::kCloud, "bbbb"));
  EXPECT_EQ(names_of(*store_, upns), (Names{"ann@contoso.com=Ann Other", "cy@contoso.com=Cy"}));
}

TEST_P(RepeatedReadTest, UsersReadAgainShowTheConnectionsOwnWrites) {
  ASSERT_TRUE(put_user(*store_, "aaaa", "ann@contoso.com", "Ann"));
  const Names upns = {"ann@contoso.com"};
  EXPECT_EQ(names_of(*store_, upns), Names{"ann@contoso.com=Ann"});
  ASSERT_TRUE(put_user(*store_, "aaaa", "ann@contoso.com", "Ann Two"));
  EXPECT_EQ(names_of(*store_, upns), Names{"ann@contoso.com=Ann Two"});
  Status s = store_->in_transaction([&]() -> Status {
    UPSYNC_RETURN_IF_ERROR(put_user(*store_, "aaaa", "ann@contoso.com", "Ann Three"));
    EXPECT_EQ(names_of(*store_, upns), Names{"ann@contoso.com=Ann Three"});
    return aborted("rolled back by the test");
  });
  EXPECT_EQ(s.code(), StatusCode::kAborted);
  EXPECT_EQ(names_of(*store_, upns), Names{"ann@contoso.com=Ann Two"});
}

// A reader that asks for a few attributes gets those and no others, whether the users were
// read before with all of theirs or not.
TEST_P(RepeatedReadTest, UsersReadAgainHoldJustTheAttributesAsked) {
  ASSERT_TRUE(put_user(*store_, "aaaa", "ann@contoso.com", "Ann"));
  const Names upns = {"ann@contoso.com"};
  const AttributeNames only = {"displayName", "userPrincipalName"};
  for (int round = 0; round < 2; ++round) {
    EXPECT_EQ(names_of(*store_, upns), Names{"ann@contoso.com=Ann"});
    Status s = store_->read_snapshot([&]() -> Status {
      UPSYNC_ASSIGN_OR_RETURN(auto dir, open_directory_store(*store_));
      UPSYNC_ASSIGN_OR_RETURN(
          auto users, dir->cloud_users_with(tenant_.id, Key::kUserPrincipalName, upns, &only));
      EXPECT_EQ(users.size(), 1u);
      for (const DirectoryUser& u : users) {
        Names names;
        for (const auto& [name, values] : u.attributes) names.push_back(name);
        EXPECT_EQ(names, only) << "round " << round;
      }
      return Status::ok();
    });
    EXPECT_TRUE(s) << s.to_string();
  }
}

// A person page reads its person and her manager chain by account name on every view.
TEST_P(RepeatedReadTest, ProfilesReadAgainShowEachChange) {
  make_team();
  auto manager_of = [&](const std::string& upn) {
    std::string out = "(no profile)";
    Status s = store_->read_snapshot([&]() -> Status {
      UPSYNC_ASSIGN_OR_RETURN(
          auto p, store_->find_profile(tenant_.id, {ProfileKeyKind::kAccountName, claim(upn)}));
      if (p) out = p->first("Manager");
      return Status::ok();
    });
    EXPECT_TRUE(s) << s.to_string();
    return out;
  };
  EXPECT_EQ(manager_of("ann@contoso.com"), claim("lead@contoso.com"));
  EXPECT_EQ(manager_of("ann@contoso.com"), claim("lead@contoso.com"));
  EXPECT_EQ(manager_of("dee@contoso.com"), "(no profile)");
  auto other = storage_->connect();
  ASSERT_TRUE(other) << other.status().to_string();
  ASSERT_TRUE(set_manager(**other, "ann@contoso.com", "cy@contoso.com"));
  ASSERT_TRUE((*other)->create_profile(tenant_.id, claim("dee@contoso.com"), {}));
  EXPECT_EQ(manager_of("ann@contoso.com"), claim("cy@contoso.com"));
  EXPECT_EQ(manager_of("dee@contoso.com"), "");
  ASSERT_TRUE(set_manager(*store_, "ann@contoso.com", "bob@contoso.com"));
  EXPECT_EQ(manager_of("ann@contoso.com"), claim("bob@contoso.com"));
  Status s = store_->in_transaction([&]() -> Status {
    UPSYNC_RETURN_IF_ERROR(set_manager(*store_, "ann@contoso.com", "lead@contoso.com"));
    EXPECT_EQ(manager_of("ann@contoso.com"), claim("lead@contoso.com"));
    return aborted("rolled back by the test");
  });
  EXPECT_EQ(s.code(), StatusCode::kAborted);
  EXPECT_EQ(manager_of("ann@contoso.com"), claim("bob@contoso.com"));
}

// Every request looks its tenant up by name first.
TEST_P(RepeatedReadTest, TenantsReadAgainShowOneAnotherConnectionCreated) {
  auto lookup = [&](const std::string& name) {
    StatusCode code = StatusCode::kOk;
    Status s = store_->read_snapshot([&]() -> Status {
      auto t = store_->tenant(name);
      if (t) {
        EXPECT_EQ(t->name, name);
      }
      code = t.status().code();
      return Status::ok();
    });
    EXPECT_TRUE(s) << s.to_string();
    return code;
  };
  EXPECT_EQ(lookup("contoso"), StatusCode::kOk);
  EXPECT_EQ(lookup("contoso"), StatusCode::kOk);
  EXPECT_EQ(lookup("fabrikam"), StatusCode::kNotFound);
  auto other = storage_->connect();
  ASSERT_TRUE(other) << other.status().to_string();
  ASSERT_TRUE((*other)->create_tenant({.name = "fabrikam"}));
  EXPECT_EQ(lookup("fabrikam"), StatusCode::kOk);
  EXPECT_EQ(lookup("contoso"), StatusCode::kOk);
}

UPSYNC_TEST_ON_EVERY_BACKEND(RepeatedReadTest);

}  // namespace
}  // namespace upsync
