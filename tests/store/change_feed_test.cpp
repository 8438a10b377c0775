// The change feed: one sequence per tenant, taken in the write's transaction, read in O(K).
#include <gtest/gtest.h>

#include "store/sqlite_fixture.h"
#include "store/store_fixture.h"

namespace upsync {
namespace {

using testing::sqlite_of;
using testing::StoreTest;

class ChangeFeedTest : public StoreTest {};

TEST_P(ChangeFeedTest, EveryWriteTakesTheNextSequenceOfItsTenant) {
  auto fab = store_->create_tenant({.name = "fabrikam"});
  ASSERT_TRUE(fab);
  Profile a = make_profile("a@contoso.com");
  auto f = store_->create_profile(fab->id, "i:0#.f|membership|a@fabrikam.com", {});
  ASSERT_TRUE(f);
  Profile b = make_profile("b@contoso.com");
  auto a2 =
      store_->update_profile(tenant_.id, a.id, std::vector<PropertyChange>{{"Office", {"Viper"}}});
  ASSERT_TRUE(a2);
  ASSERT_TRUE(store_->delete_profile(tenant_.id, b.id));

  auto changes = store_->changes_after(tenant_.id, kProfilesFeed, 0, 100);
  ASSERT_TRUE(changes);
  ASSERT_EQ(changes->size(), 4u);
  EXPECT_EQ((*changes)[0].seq, 1);
  EXPECT_EQ((*changes)[0].object_id, std::to_string(a.id));
  EXPECT_EQ((*changes)[1].seq, 2);
  EXPECT_EQ((*changes)[1].object_id, std::to_string(b.id));
  EXPECT_EQ((*changes)[2].seq, 3);
  EXPECT_EQ((*changes)[2].object_id, std::to_string(a.id));
  EXPECT_EQ((*changes)[3].op, ChangeOp::kDelete);
  EXPECT_EQ(a2->seq, 3);
  // The other tenant's sequence is its own.
  EXPECT_EQ(f->seq, 1);
  EXPECT_EQ(store_->changes_after(fab->id, kProfilesFeed, 0, 100)->size(), 1u);
  EXPECT_EQ(*store_->last_seq(tenant_.id), 4);
}

TEST_P(ChangeFeedTest, ReadsAfterAPositionUpToALimit) {
  for (int i = 0; i < 10; ++i) make_profile("u" + std::to_string(i) + "@contoso.com");
  auto page = store_->changes_after(tenant_.id, kProfilesFeed, 4, 3);
  ASSERT_TRUE(page);
  ASSERT_EQ(page->size(), 3u);
  EXPECT_EQ(page->front().seq, 5);
  EXPECT_EQ(page->back().seq, 7);
  EXPECT_TRUE(store_->changes_after(tenant_.id, kProfilesFeed, 10, 3)->empty());
  EXPECT_EQ(store_->changes_after(tenant_.id, kProfilesFeed, 0, 0).status().code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(store_->changes_after(999, kProfilesFeed, 0, 10).status().code(),
            StatusCode::kNotFound);
}

TEST_P(ChangeFeedTest, CursorsAreNamedAndPerTenant) {
  auto fab = store_->create_tenant({.name = "fabrikam"});
  ASSERT_TRUE(fab);
  EXPECT_EQ(*store_->cursor(tenant_.id, "stage2"), 0);
  ASSERT_TRUE(store_->set_cursor(tenant_.id, "stage2", 42));
  ASSERT_TRUE(store_->set_cursor(tenant_.id, "stage2", 57));
  EXPECT_EQ(*store_->cursor(tenant_.id, "stage2"), 57);
  EXPECT_EQ(*store_->cursor(fab->id, "stage2"), 0);
  EXPECT_EQ(store_->set_cursor(tenant_.id, "", 1).code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(store_->set_cursor(999, "x", 1).code(), StatusCode::kNotFound);
}

TEST_P(ChangeFeedTest, SourceStatesAreNamedPerTenantAndRolledBackWithTheirTransaction) {
  auto fab = store_->create_tenant({.name = "fabrikam"});
  ASSERT_TRUE(fab);
  EXPECT_EQ(*store_->source_state(tenant_.id, "ldap a"), std::nullopt);
  ASSERT_TRUE(store_->set_source_state(tenant_.id, "ldap a", "syncrepl:rid=000,csn=1"));
  ASSERT_TRUE(store_->set_source_state(tenant_.id, "ldap a", "syncrepl:rid=000,csn=2"));
  EXPECT_EQ(*store_->source_state(tenant_.id, "ldap a"), "syncrepl:rid=000,csn=2");
  EXPECT_EQ(*store_->source_state(fab->id, "ldap a"), std::nullopt);
  // A failed run leaves the position where it was: the changes are read again.
  Status s = store_->in_transaction([&]() -> Status {
    UPSYNC_RETURN_IF_ERROR(store_->set_source_state(tenant_.id, "ldap a", "syncrepl:lost"));
    return unavailable("killed");
  });
  EXPECT_FALSE(s);
  EXPECT_EQ(*store_->source_state(tenant_.id, "ldap a"), "syncrepl:rid=000,csn=2");
  EXPECT_EQ(store_->set_source_state(tenant_.id, "", "x").code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(store_->set_source_state(999, "x", "y").code(), StatusCode::kNotFound);
  EXPECT_EQ(store_->source_state(999, "x").status().code(), StatusCode::kNotFound);
}

UPSYNC_TEST_ON_EVERY_BACKEND(ChangeFeedTest);

// Reads SQLite's own statement counters.
class SqliteChangeFeedTest : public ChangeFeedTest {};

// The acceptance test of the foundation: after 100,000 profile writes, reading the 100
// changes after a cursor touches O(100) rows. Shown with SQLite's own counters: no full-scan
// steps, an index search in the plan, and the same number of VM steps as the same read in a
// tenant with only 200 writes.
TEST_P(SqliteChangeFeedTest, ReadingChangesCostsTheChangesNotTheTenant) {
  auto small = store_->create_tenant({.name = "small"});
  ASSERT_TRUE(small);
  constexpr int kWrites = 100000;
  constexpr int kBatch = 10000;
  for (int start = 0; start < kWrites; start += kBatch) {
    Status s = store_->in_transaction([&]() -> Status {
      for (int i = start; i < start + kBatch; ++i) {
        UPSYNC_RETURN_IF_ERROR(
            store_
                ->create_profile(tenant_.id,
                                 "i:0#.f|membership|u" + std::to_string(i) + "@contoso.com", {})
                .status());
        if (i < 200) {
          UPSYNC_RETURN_IF_ERROR(
              store_
                  ->create_profile(small->id,
                                   "i:0#.f|membership|u" + std::to_string(i) + "@small.com", {})
                  .status());
        }
      }
      return Status::ok();
    });
    ASSERT_TRUE(s) << s.to_string();
  }
  ASSERT_EQ(*store_->last_seq(tenant_.id), kWrites);

  const int64_t cursor = 50000;
  ASSERT_TRUE(store_->set_cursor(tenant_.id, "reader", cursor));
  auto big =
      store_->changes_after(tenant_.id, kProfilesFeed, *store_->cursor(tenant_.id, "reader"), 100);
  ASSERT_TRUE(big);
  ASSERT_EQ(big->size(), 100u);
  EXPECT_EQ(big->front().seq, cursor + 1);
  EXPECT_EQ(big->back().seq, cursor + 100);
  const SqliteStore::ReadCost big_cost = sqlite_of(*store_).last_feed_read_cost();

  auto few = store_->changes_after(small->id, kProfilesFeed, 50, 100);
  ASSERT_TRUE(few);
  ASSERT_EQ(few->size(), 100u);
  const SqliteStore::ReadCost small_cost = sqlite_of(*store_).last_feed_read_cost();

  std::cout << "[ feed read ] 100 changes after seq " << cursor << " of " << kWrites
            << ": vm_steps=" << big_cost.vm_steps << " fullscan_steps=" << big_cost.fullscan_steps
            << " (tenant with 200 writes: vm_steps=" << small_cost.vm_steps << ")\n"
            << "[ feed plan ] " << big_cost.query_plan;
  EXPECT_EQ(big_cost.fullscan_steps, 0);
  EXPECT_NE(big_cost.query_plan.find("SEARCH change_feed USING PRIMARY KEY"), std::string::npos)
      << big_cost.query_plan;
  EXPECT_EQ(big_cost.vm_steps, small_cost.vm_steps);
  EXPECT_LT(big_cost.vm_steps, 100 * 50) << "about a constant number of steps per returned row";
}

UPSYNC_TEST_ON_SQLITE(SqliteChangeFeedTest);

}  // namespace
}  // namespace upsync
