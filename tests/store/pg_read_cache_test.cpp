// PgStore's read cache (store/common/read_cache.h): a request read again in a new read snapshot
// costs its tenant's statement and the COMMIT while no transaction has committed since, and
// reads the database again the moment one has, whoever committed it and whatever it wrote.
// (tests/store/repeated_read_test.cpp checks the answers on both backends; these count what
// the answers cost, and hold a transaction open across reads.)
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "sites/following.h"
#include "storage/open_storage.h"
#include "store/pg_test_server.h"
#include "store/postgres/pg_store.h"

namespace upsync {
namespace {

using Names = std::vector<std::string>;

std::string claim(const std::string& upn) { return "i:0#.f|membership|" + upn; }

class PgReadCacheTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto url = testing::PgTestServer::fresh_database_url();
    ASSERT_TRUE(url) << url.status().to_string();
    auto storage = open_storage({.url = *url, .data_dir = "", .create = true});
    ASSERT_TRUE(storage) << storage.status().to_string();
    storage_ = std::move(*storage);
    store_ = connect();
    auto t = store_->create_tenant({.name = "contoso"});
    ASSERT_TRUE(t) << t.status().to_string();
    tenant_ = *t;
    for (const char* upn : {"lead@contoso.com", "cy@contoso.com"}) {
      ASSERT_TRUE(store_->create_profile(tenant_.id, claim(upn), std::vector<PropertyChange>{}));
    }
    for (const char* upn : {"ann@contoso.com", "bob@contoso.com"}) {
      ASSERT_TRUE(store_->create_profile(
          tenant_.id, claim(upn),
          std::vector<PropertyChange>{{"Manager", {claim("lead@contoso.com")}}}));
    }
  }

  std::unique_ptr<Store> connect() {
    auto s = storage_->connect();
    EXPECT_TRUE(s) << s.status().to_string();
    return s ? std::move(*s) : nullptr;
  }

  // What a person page asks in one request, in one read snapshot of `store`: the tenant, the
  // person, her reports and whether cy follows her. Returns the reports' account names and
  // the round trips it took.
  std::pair<Names, uint64_t> view_of_lead(Store& store) {
    PgDb& db = dynamic_cast<PgStore&>(store).db();
    const uint64_t before = db.round_trips();
    Names reports;
    Status s = store.read_snapshot([&]() -> Status {
      UPSYNC_ASSIGN_OR_RETURN(Tenant t, store.tenant("contoso"));
      UPSYNC_ASSIGN_OR_RETURN(Profile lead, store.profile(t.id, {ProfileKeyKind::kAccountName,
                                                                 claim("lead@contoso.com")}));
      UPSYNC_ASSIGN_OR_RETURN(
          Profile cy, store.profile(t.id, {ProfileKeyKind::kAccountName, claim("cy@contoso.com")}));
      const Names asked = {claim("lead@contoso.com")};
      UPSYNC_ASSIGN_OR_RETURN(auto r, store.direct_reports(t.id, asked));
      reports = r.at(0);
      UPSYNC_ASSIGN_OR_RETURN(auto following, open_following_store(store));
      return following->is_following(t.id, cy.id, lead.id).status();
    });
    EXPECT_TRUE(s) << s.to_string();
    return {reports, db.round_trips() - before};
  }

  Status set_manager(Store& store, const std::string& upn, const std::string& manager_upn) {
    UPSYNC_ASSIGN_OR_RETURN(Profile p,
                            store.profile(tenant_.id, {ProfileKeyKind::kAccountName, claim(upn)}));
    return store
        .update_profile(tenant_.id, p.id,
                        std::vector<PropertyChange>{{"Manager", {claim(manager_upn)}}})
        .status();
  }

  std::unique_ptr<Storage> storage_;
  std::unique_ptr<Store> store_;
  Tenant tenant_;
};

const Names kAnnAndBob = {claim("ann@contoso.com"), claim("bob@contoso.com")};

TEST_F(PgReadCacheTest, ARequestReadAgainCostsItsTenantAndItsCommit) {
  auto [first, trips] = view_of_lead(*store_);
  EXPECT_EQ(first, kAnnAndBob);
  // The tenant with BEGIN, the two profiles, the reports, the follow, COMMIT: at least 6
  // (more the first time a statement is prepared).
  EXPECT_GE(trips, 6u);
  for (int i = 0; i < 3; ++i) {
    auto [again, trips_again] = view_of_lead(*store_);
    EXPECT_EQ(again, kAnnAndBob);
    EXPECT_EQ(trips_again, 2u) << "round " << i;
  }
}

TEST_F(PgReadCacheTest, ACommitOfAnythingElsewhereReadsAgain) {
  view_of_lead(*store_);
  // Another connection commits something no answer holds: another tenant.
  auto other = connect();
  ASSERT_TRUE(other->create_tenant({.name = "fabrikam"}));
  auto [after, trips] = view_of_lead(*store_);
  EXPECT_EQ(after, kAnnAndBob);
  EXPECT_GE(trips, 6u);
  // And a change of what an answer holds is read at once.
  ASSERT_TRUE(set_manager(*other, "bob@contoso.com", "cy@contoso.com"));
  EXPECT_EQ(view_of_lead(*store_).first, Names{claim("ann@contoso.com")});
  EXPECT_EQ(view_of_lead(*store_).second, 2u);
}

TEST_F(PgReadCacheTest, AWriteInProgressElsewhereIsReadOnceItCommits) {
  auto other = connect();
  Status s = other->in_transaction([&]() -> Status {
    UPSYNC_RETURN_IF_ERROR(set_manager(*other, "cy@contoso.com", "lead@contoso.com"));
    // Not committed: the reads before and after the change began agree, from the cache.
    EXPECT_EQ(view_of_lead(*store_).first, kAnnAndBob);
    auto [again, trips] = view_of_lead(*store_);
    EXPECT_EQ(again, kAnnAndBob);
    EXPECT_EQ(trips, 2u);
    return Status::ok();
  });
  ASSERT_TRUE(s) << s.to_string();
  // In profile id order: cy's profile is older than ann's and bob's.
  EXPECT_EQ(view_of_lead(*store_).first,
            (Names{claim("cy@contoso.com"), claim("ann@contoso.com"), claim("bob@contoso.com")}));
}

TEST_F(PgReadCacheTest, TheConnectionsOwnWritesAreReadAndItsTransactionsReadNothingKept) {
  view_of_lead(*store_);
  ASSERT_TRUE(set_manager(*store_, "ann@contoso.com", "cy@contoso.com"));
  EXPECT_EQ(view_of_lead(*store_).first, Names{claim("bob@contoso.com")});
  // Inside a write transaction every read goes to the server, its own writes included.
  PgDb& db = dynamic_cast<PgStore&>(*store_).db();
  Status s = store_->in_transaction([&]() -> Status {
    UPSYNC_RETURN_IF_ERROR(set_manager(*store_, "ann@contoso.com", "lead@contoso.com"));
    const uint64_t before = db.round_trips();
    const Names asked = {claim("lead@contoso.com")};
    UPSYNC_ASSIGN_OR_RETURN(auto r, store_->direct_reports(tenant_.id, asked));
    EXPECT_EQ(r.at(0), kAnnAndBob);
    EXPECT_GT(db.round_trips(), before);
    return aborted("rolled back by the test");
  });
  EXPECT_EQ(s.code(), StatusCode::kAborted);
  EXPECT_EQ(view_of_lead(*store_).first, Names{claim("bob@contoso.com")});
}

}  // namespace
}  // namespace upsync
