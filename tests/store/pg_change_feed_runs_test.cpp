// The change feed's runs on PostgreSQL (pg_store.h): entries numbered in a row and stored as one
// row of change_feed_runs read exactly as the same entries one row each would, among single
// entries, other feeds and other tenants, from every position and with every limit.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "store/postgres/pg_store.h"
#include "store/store_fixture.h"

namespace upsync {
namespace {

using testing::StoreTest;

class PgChangeFeedRunsTest : public StoreTest {
 protected:
  struct Entry {
    int64_t seq;
    std::string object_id;
    ChangeOp op;
    std::string at;
    bool operator==(const Entry&) const = default;
  };

  PgStore& pg() { return dynamic_cast<PgStore&>(*store_); }

  // One transaction: a run of `ids` on `feed` of `tenant`; its entries (if on the profiles
  // feed of tenant_) join expected_.
  void run(TenantId tenant, std::string_view feed, const std::vector<std::string>& ids, ChangeOp op,
           const std::string& at) {
    ASSERT_TRUE(store_
                    ->in_transaction([&]() -> Status {
                      UPSYNC_ASSIGN_OR_RETURN(const int64_t first,
                                              pg().next_seqs(tenant, std::ssize(ids)));
                      for (size_t i = 0; i < ids.size(); ++i) {
                        if (tenant == tenant_.id && feed == kProfilesFeed) {
                          expected_.push_back({first + static_cast<int64_t>(i), ids[i], op, at});
                        }
                      }
                      return pg().append_change_run(tenant, feed, first, ids, op, at);
                    })
                    .is_ok());
  }
  // One transaction: `n` single entries, as every other writer records them.
  void singles(TenantId tenant, std::string_view feed, int n) {
    ASSERT_TRUE(store_
                    ->in_transaction([&]() -> Status {
                      for (int i = 0; i < n; ++i) {
                        const std::string id = "single-" + std::to_string(++made_);
                        UPSYNC_ASSIGN_OR_RETURN(const int64_t seq, pg().next_seq(tenant));
                        const std::string at = "2026-12-06T00:00:0" + std::to_string(i % 10) + "Z";
                        UPSYNC_RETURN_IF_ERROR(
                            pg().append_change(tenant, feed, seq, id, ChangeOp::kDelete, at));
                        if (tenant == tenant_.id && feed == kProfilesFeed) {
                          expected_.push_back({seq, id, ChangeOp::kDelete, at});
                        }
                      }
                      return Status::ok();
                    })
                    .is_ok());
  }
  static std::vector<std::string> ids(const std::string& prefix, int n) {
    std::vector<std::string> out;
    for (int i = 0; i < n; ++i) out.push_back(prefix + std::to_string(i));
    return out;
  }

  std::vector<Entry> expected_;  // the profiles feed of tenant_, in order
  int made_ = 0;
};

TEST_P(PgChangeFeedRunsTest, RunsReadAsTheirEntriesFromEveryPositionWithEveryLimit) {
  auto other = store_->create_tenant({.name = "fabrikam"});
  ASSERT_TRUE(other);
  const int64_t before = *store_->last_seq(tenant_.id);  // the tenant's own creation
  singles(tenant_.id, kProfilesFeed, 2);
  run(tenant_.id, kProfilesFeed, ids("a", 5), ChangeOp::kUpsert, "2026-12-06T01:00:00Z");
  singles(tenant_.id, "groups", 2);  // the tenant's numbers, another feed
  run(tenant_.id, "groups", ids("g", 3), ChangeOp::kUpsert, "2026-12-06T01:30:00Z");
  run(other->id, kProfilesFeed, ids("o", 4), ChangeOp::kUpsert, "2026-12-06T01:45:00Z");
  run(tenant_.id, kProfilesFeed, ids("b", 1), ChangeOp::kDelete, "2026-12-06T02:00:00Z");
  singles(tenant_.id, kProfilesFeed, 1);
  run(tenant_.id, kProfilesFeed, ids("c", 7), ChangeOp::kUpsert, "2026-12-06T03:00:00Z");
  run(tenant_.id, kProfilesFeed, ids("d", 2), ChangeOp::kUpsert, "2026-12-06T04:00:00Z");
  singles(tenant_.id, kProfilesFeed, 3);
  ASSERT_EQ(expected_.size(), 21u);
  // The entries written before (the tenant's creation, none on the profiles feed) are not
  // here; the numbers of the other feed leave a hole, the other tenant's none.
  EXPECT_EQ(expected_.front().seq, before + 1);
  EXPECT_EQ(expected_.back().seq, before + 26);

  const int64_t last = expected_.back().seq;
  for (int64_t after = 0; after <= last + 1; ++after) {
    std::vector<Entry> tail;
    for (const Entry& e : expected_) {
      if (e.seq > after) tail.push_back(e);
    }
    EXPECT_EQ(*store_->count_changes_after(tenant_.id, kProfilesFeed, after), std::ssize(tail))
        << "after " << after;
    for (int limit = 1; limit <= 23; ++limit) {
      auto page = store_->changes_after(tenant_.id, kProfilesFeed, after, limit);
      ASSERT_TRUE(page) << page.status().to_string();
      std::vector<Entry> got;
      for (const Change& c : *page) {
        EXPECT_EQ(c.feed, kProfilesFeed);
        got.push_back({c.seq, c.object_id, c.op, c.changed_at});
      }
      const std::vector<Entry> want(
          tail.begin(), tail.begin() + std::min<std::ptrdiff_t>(limit, std::ssize(tail)));
      EXPECT_EQ(got, want) << "after " << after << ", limit " << limit;
    }
  }
  // The other tenant's run, read on its own.
  auto theirs = store_->changes_after(other->id, kProfilesFeed, 0, 100);
  ASSERT_TRUE(theirs);
  ASSERT_EQ(theirs->size(), 4u);
  EXPECT_EQ(theirs->at(3).object_id, "o3");
  EXPECT_EQ(theirs->at(3).seq, theirs->at(0).seq + 3);
}

TEST_P(PgChangeFeedRunsTest, ARunRolledBackLeavesNeitherEntriesNorNumbers) {
  const int64_t before = *store_->last_seq(tenant_.id);
  Status s = store_->in_transaction([&]() -> Status {
    UPSYNC_ASSIGN_OR_RETURN(const int64_t first, pg().next_seqs(tenant_.id, 3));
    UPSYNC_RETURN_IF_ERROR(pg().append_change_run(tenant_.id, kProfilesFeed, first, ids("x", 3),
                                                  ChangeOp::kUpsert, "2026-12-06T00:00:00Z"));
    return unavailable("rolled back on purpose");
  });
  EXPECT_FALSE(s.is_ok());
  EXPECT_EQ(*store_->last_seq(tenant_.id), before);
  EXPECT_EQ(*store_->count_changes_after(tenant_.id, kProfilesFeed, 0), 0);
  // The next run takes the same numbers.
  run(tenant_.id, kProfilesFeed, ids("y", 2), ChangeOp::kUpsert, "2026-12-06T00:00:01Z");
  auto page = store_->changes_after(tenant_.id, kProfilesFeed, 0, 10);
  ASSERT_TRUE(page);
  ASSERT_EQ(page->size(), 2u);
  EXPECT_EQ(page->at(0).seq, before + 1);
  EXPECT_EQ(page->at(1).object_id, "y1");
}

UPSYNC_TEST_ON_POSTGRES(PgChangeFeedRunsTest);

}  // namespace
}  // namespace upsync
