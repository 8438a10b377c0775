// The change feed on PostgreSQL with concurrent writers (pg_store.h): 8 writers, each on its own
// connection, commit profile writes to one tenant in transactions that take their time, some
// of which roll back, some with a run of entries; 1 reader follows the profiles feed from a cursor
// the whole time. The reader must see every committed number exactly once, in order: a number seen
// before a smaller one commits would have moved the cursor past it, and that change would be lost.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <random>
#include <thread>
#include <vector>

#include "store/postgres/pg_store.h"
#include "store/store_fixture.h"

namespace upsync {
namespace {

using testing::StoreTest;

class PgFeedConcurrencyTest : public StoreTest {};

TEST_P(PgFeedConcurrencyTest, EightWritersOneReaderNoGapsNoDuplicates) {
  constexpr int kWriters = 8;
  constexpr int kTransactionsPerWriter = 150;
  std::atomic<int64_t> committed{0};
  std::atomic<int> writers_done{0};
  testing::FirstFailure failure;
  auto fail = [&](const std::string& why) { failure.set(why); };

  std::vector<std::thread> writers;
  for (int w = 0; w < kWriters; ++w) {
    writers.emplace_back([&, w] {
      auto store_or = storage_->connect();
      if (!store_or) {
        fail(store_or.status().to_string());
        ++writers_done;
        return;
      }
      std::unique_ptr<Store> store = std::move(*store_or);
      std::mt19937 rng(static_cast<unsigned>(w) * 7919u);
      for (int i = 0; i < kTransactionsPerWriter && !failure.failed(); ++i) {
        const bool roll_back = rng() % 10 == 0;
        int64_t written = 0;
        Status s = store->in_transaction([&]() -> Status {
          written = 0;
          const std::string upn =
              "w" + std::to_string(w) + "-" + std::to_string(i) + "@contoso.com";
          auto p = store->create_profile(tenant_.id, "i:0#.f|membership|" + upn, {});
          if (!p) return p.status();
          ++written;
          // A slow transaction: its number is taken, its commit comes later.
          std::this_thread::sleep_for(std::chrono::microseconds(rng() % 2000));
          if (rng() % 2 == 0) {
            auto u = store->update_profile(tenant_.id, p->id,
                                           std::vector<PropertyChange>{{"Office", {"B" + upn}}});
            if (!u) return u.status();
            ++written;
          }
          if (rng() % 3 == 0) {
            // A run of entries, as the bulk import writes a batch's (pg_store.h, "Runs").
            auto& pg = dynamic_cast<PgStore&>(*store);
            std::vector<std::string> ids(1 + rng() % 4, std::to_string(p->id));
            UPSYNC_ASSIGN_OR_RETURN(const int64_t first, pg.next_seqs(tenant_.id, std::ssize(ids)));
            UPSYNC_RETURN_IF_ERROR(pg.append_change_run(tenant_.id, kProfilesFeed, first, ids,
                                                        ChangeOp::kUpsert, "2026-12-06T00:00:00Z"));
            written += std::ssize(ids);
          }
          return roll_back ? unavailable("rolled back on purpose") : Status::ok();
        });
        if (roll_back) {
          if (s.is_ok()) fail("a transaction meant to roll back committed");
        } else if (!s.is_ok()) {
          fail(s.to_string());
        } else {
          committed += written;
        }
      }
      ++writers_done;
    });
  }

  int64_t cursor = 0;
  int64_t reads = 0;
  int64_t gaps = 0;
  int64_t duplicates = 0;
  auto reader_or = storage_->connect();
  ASSERT_TRUE(reader_or) << reader_or.status().to_string();
  std::unique_ptr<Store> reader = std::move(*reader_or);
  while (true) {
    const bool writers_finished = writers_done == kWriters;
    auto batch = reader->changes_after(tenant_.id, kProfilesFeed, cursor, 500);
    ASSERT_TRUE(batch) << batch.status().to_string();
    for (const Change& c : *batch) {
      if (c.seq <= cursor) {
        ++duplicates;
      } else if (c.seq != cursor + 1) {
        gaps += c.seq - cursor - 1;
      }
      cursor = std::max(cursor, c.seq);
      ++reads;
    }
    // Done when a read that began after every writer had finished came back empty.
    if (batch->empty() && writers_finished) break;
  }
  for (std::thread& t : writers) t.join();
  ASSERT_FALSE(failure.failed()) << failure.why();

  std::printf(
      "feed concurrency: %d writers, 1 reader: writes %lld, reads %lld, gaps = %lld, "
      "duplicates = %lld\n",
      kWriters, static_cast<long long>(committed.load()), static_cast<long long>(reads),
      static_cast<long long>(gaps), static_cast<long long>(duplicates));
  EXPECT_EQ(gaps, 0);
  EXPECT_EQ(duplicates, 0);
  EXPECT_EQ(reads, committed.load());
  EXPECT_EQ(*reader->last_seq(tenant_.id), cursor);
}

UPSYNC_TEST_ON_POSTGRES(PgFeedConcurrencyTest);

}  // namespace
}  // namespace upsync
