// Leases (core/lease.h) on every backend: claim, renew, release, expiry and takeover, and one
// winner among claimers racing on their own connections (as processes on one database do).
#include <gtest/gtest.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <latch>
#include <string>
#include <thread>
#include <vector>

#include "core/lease.h"
#include "storage/open_storage.h"
#include "store/pg_test_server.h"
#include "store/store_fixture.h"

namespace upsync {
namespace {

using namespace std::chrono_literals;
using testing::PgTestServer;
using testing::StoreTest;

class LeaseStoreTest : public StoreTest {
 protected:
  void SetUp() override {
    StoreTest::SetUp();
    auto leases = store_->lease_store();
    ASSERT_TRUE(leases) << leases.status().to_string();
    leases_ = std::move(*leases);
  }
  std::unique_ptr<LeaseStore> leases_;
};

TEST_P(LeaseStoreTest, ClaimRenewAndRelease) {
  EXPECT_FALSE(*leases_->get("sync:contoso"));
  auto a = leases_->claim("sync:contoso", "host:1/a", 60s);
  ASSERT_TRUE(a) << a.status().to_string();
  EXPECT_EQ(a->name, "sync:contoso");
  EXPECT_EQ(a->holder, "host:1/a");
  EXPECT_EQ(a->acquired_at_ms, a->heartbeat_at_ms);
  EXPECT_EQ(a->expires_at_ms, a->heartbeat_at_ms + 60000);
  EXPECT_FALSE(a->expired);

  // Another holder is refused, told who holds it and since when.
  auto b = leases_->claim("sync:contoso", "host:2/b", 60s);
  ASSERT_FALSE(b);
  EXPECT_EQ(b.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_EQ(b.status().message(), "'sync:contoso' is " + describe_lease(*a));
  EXPECT_NE(
      b.status().message().find("held by host:1/a since " + lease_time_iso(a->acquired_at_ms)),
      std::string::npos)
      << b.status().message();

  // Renewals move the heartbeat; the first claim's time stays, also when it claims again.
  std::this_thread::sleep_for(20ms);
  EXPECT_TRUE(*leases_->renew("sync:contoso", "host:1/a", 60s));
  EXPECT_FALSE(*leases_->renew("sync:contoso", "host:2/b", 60s));
  auto again = leases_->claim("sync:contoso", "host:1/a", 60s);
  ASSERT_TRUE(again) << again.status().to_string();
  EXPECT_EQ(again->acquired_at_ms, a->acquired_at_ms);
  EXPECT_GT(again->heartbeat_at_ms, a->heartbeat_at_ms);
  auto stored = *leases_->get("sync:contoso");
  ASSERT_TRUE(stored);
  EXPECT_EQ(stored->holder, "host:1/a");
  EXPECT_EQ(stored->heartbeat_at_ms, again->heartbeat_at_ms);

  // Only the holder releases it; then it is lost to its holder and free for anyone.
  ASSERT_TRUE(leases_->release("sync:contoso", "host:2/b").is_ok());
  EXPECT_EQ((*leases_->get("sync:contoso"))->holder, "host:1/a");
  ASSERT_TRUE(leases_->release("sync:contoso", "host:1/a").is_ok());
  EXPECT_FALSE(*leases_->get("sync:contoso"));
  EXPECT_FALSE(*leases_->renew("sync:contoso", "host:1/a", 60s));
  auto taken = leases_->claim("sync:contoso", "host:2/b", 60s);
  ASSERT_TRUE(taken) << taken.status().to_string();

  // Leases are by name: another name is another lease.
  EXPECT_TRUE(leases_->claim("sync:fabrikam", "host:1/a", 60s));
}

TEST_P(LeaseStoreTest, AnExpiredLeaseIsLostAndTakenOver) {
  auto a = leases_->claim("import:job", "host:1/a", 150ms);
  ASSERT_TRUE(a) << a.status().to_string();
  EXPECT_EQ(leases_->claim("import:job", "host:2/b", 60s).status().code(),
            StatusCode::kFailedPrecondition);
  std::this_thread::sleep_for(250ms);
  auto expired = *leases_->get("import:job");
  ASSERT_TRUE(expired);
  EXPECT_TRUE(expired->expired);
  EXPECT_EQ(expired->holder, "host:1/a");
  // Expired is lost, even before anyone else claims it: its holder may not go on.
  EXPECT_FALSE(*leases_->renew("import:job", "host:1/a", 60s));

  auto b = leases_->claim("import:job", "host:2/b", 60s);
  ASSERT_TRUE(b) << b.status().to_string();
  EXPECT_EQ(b->holder, "host:2/b");
  EXPECT_GT(b->acquired_at_ms, a->acquired_at_ms);
  EXPECT_FALSE(*leases_->renew("import:job", "host:1/a", 60s));
  EXPECT_EQ(leases_->claim("import:job", "host:1/a", 60s).status().code(),
            StatusCode::kFailedPrecondition);
  // The old holder's release leaves the new holder's lease alone.
  ASSERT_TRUE(leases_->release("import:job", "host:1/a").is_ok());
  EXPECT_TRUE(*leases_->renew("import:job", "host:2/b", 60s));
}

TEST_P(LeaseStoreTest, ARenewalInARolledBackTransactionRenewsNothing) {
  auto a = leases_->claim("sync:contoso", "host:1/a", 60s);
  ASSERT_TRUE(a);
  std::this_thread::sleep_for(20ms);
  Status st = store_->in_transaction([&]() -> Status {
    UPSYNC_ASSIGN_OR_RETURN(bool held, leases_->renew("sync:contoso", "host:1/a", 120s));
    EXPECT_TRUE(held);
    return aborted("the work failed");
  });
  EXPECT_EQ(st.code(), StatusCode::kAborted);
  auto stored = *leases_->get("sync:contoso");
  ASSERT_TRUE(stored);
  EXPECT_EQ(stored->heartbeat_at_ms, a->heartbeat_at_ms);
  EXPECT_EQ(stored->expires_at_ms, a->expires_at_ms);
}

// Claimers on their own connections, started together, round after round: exactly one wins
// each round, free lease or expired one.
TEST_P(LeaseStoreTest, OneOfRacingClaimersWins) {
  constexpr int kClaimers = 6;
  constexpr int kRounds = 10;
  std::vector<std::unique_ptr<Store>> stores;
  std::vector<std::unique_ptr<LeaseStore>> leases;
  for (int i = 0; i < kClaimers; ++i) {
    auto s = storage_->connect();
    ASSERT_TRUE(s) << s.status().to_string();
    auto l = (*s)->lease_store();
    ASSERT_TRUE(l);
    stores.push_back(std::move(*s));
    leases.push_back(std::move(*l));
  }
  for (int round = 0; round < kRounds; ++round) {
    // Odd rounds race for a lease that expired (its holder went quiet), even ones for a new
    // one. The racers claim for a minute, so that however slowly a racer's claim comes after
    // another's (a sanitized build on a busy machine), the winner's lease has not expired.
    const std::string name = "race:" + std::to_string(round);
    if (round % 2 == 1) {
      auto quiet = leases[0]->claim(name, "quiet holder", 100ms);
      ASSERT_TRUE(quiet) << quiet.status().to_string();
      std::this_thread::sleep_for(120ms);
    }
    std::atomic<int> won{0};
    std::atomic<int> refused{0};
    std::vector<std::string> errors(kClaimers);
    std::latch start(kClaimers);
    std::vector<std::thread> threads;
    for (int i = 0; i < kClaimers; ++i) {
      threads.emplace_back([&, i] {
        start.arrive_and_wait();
        auto r = leases[i]->claim(name, "claimer-" + std::to_string(i), 60s);
        if (r) {
          ++won;
        } else if (r.status().code() == StatusCode::kFailedPrecondition) {
          ++refused;
        } else {
          errors[i] = r.status().to_string();
        }
      });
    }
    for (auto& t : threads) t.join();
    for (const auto& e : errors) EXPECT_EQ(e, "");
    EXPECT_EQ(won.load(), 1) << "round " << round;
    EXPECT_EQ(refused.load(), kClaimers - 1) << "round " << round;
  }
}

// PostgreSQL: a holder whose session ended (its process killed: here its storage closed, which
// closes its connections) loses the lease at once, not at its expiry; one still connected keeps
// it. Each holder is a storage of its own on one database, as processes are.
class PgLeaseTakeoverTest : public StoreTest {};

TEST_P(PgLeaseTakeoverTest, AHolderWhoseSessionEndedIsTakenOverAtOnce) {
  auto url = PgTestServer::fresh_database_url();
  ASSERT_TRUE(url) << url.status().to_string();
  auto open = [&](bool create) {
    auto storage = open_storage({.url = *url, .data_dir = "", .create = create});
    EXPECT_TRUE(storage) << storage.status().to_string();
    return storage ? std::move(*storage) : nullptr;
  };
  auto first = open(true);
  auto second = open(false);
  ASSERT_TRUE(first && second);
  auto a_store = first->connect();
  auto b_store = second->connect();
  ASSERT_TRUE(a_store && b_store);
  auto a = *(*a_store)->lease_store();
  auto b = *(*b_store)->lease_store();
  auto held = a->claim("sync:contoso", "host:1/a", 600s);
  ASSERT_TRUE(held) << held.status().to_string();

  // Alive: refused, however often asked.
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ(b->claim("sync:contoso", "host:2/b", 600s).status().code(),
              StatusCode::kFailedPrecondition);
  }
  EXPECT_TRUE(*a->renew("sync:contoso", "host:1/a", 600s));

  // Gone: its lease is b's at once (PostgreSQL ends the session as the connection closes,
  // within moments).
  a.reset();
  a_store->reset();
  first.reset();
  Result<Lease> taken = failed_precondition("not tried");
  for (int i = 0; i < 100 && !taken; ++i) {
    taken = b->claim("sync:contoso", "host:2/b", 600s);
    if (!taken) std::this_thread::sleep_for(20ms);
  }
  ASSERT_TRUE(taken) << taken.status().to_string();
  EXPECT_EQ(taken->holder, "host:2/b");
  EXPECT_GT(taken->acquired_at_ms, held->acquired_at_ms);
  EXPECT_LT(taken->acquired_at_ms, held->expires_at_ms - 590000) << "waited for the expiry";
  EXPECT_TRUE(*b->renew("sync:contoso", "host:2/b", 600s));

  // b is alive: a third storage is refused, and gets it once b released it.
  auto third = open(false);
  auto c_store = third->connect();
  ASSERT_TRUE(c_store);
  auto c = *(*c_store)->lease_store();
  EXPECT_EQ(c->claim("sync:contoso", "host:3/c", 600s).status().code(),
            StatusCode::kFailedPrecondition);
  ASSERT_TRUE(b->release("sync:contoso", "host:2/b").is_ok());
  auto after_release = c->claim("sync:contoso", "host:3/c", 600s);
  ASSERT_TRUE(after_release) << after_release.status().to_string();
  // c holds the session lock now: b, still connected, cannot take it back.
  EXPECT_EQ(b->claim("sync:contoso", "host:2/b", 600s).status().code(),
            StatusCode::kFailedPrecondition);
}

UPSYNC_TEST_ON_POSTGRES(PgLeaseTakeoverTest);

TEST(LeaseNamesTest, HolderAndTimes) {
  const std::string me = lease_holder_name("worker-1");
  EXPECT_NE(me.find(":" + std::to_string(getpid()) + "/worker-1"), std::string::npos) << me;
  EXPECT_EQ(lease_time_iso(1764747245123), "2025-12-03T07:34:05.123Z");
  EXPECT_EQ(import_lease_name("3f2b"), "import:3f2b");
  EXPECT_EQ(sync_lease_name("contoso"), "sync:contoso");
}

UPSYNC_TEST_ON_EVERY_BACKEND(LeaseStoreTest);

}  // namespace
}  // namespace upsync
