#include "core/bounded_queue.h"

#include <gtest/gtest.h>

#include <atomic>
#include <thread>
#include <vector>

namespace upsync {
namespace {

TEST(BoundedQueueTest, ItemsArriveInOrderAndTheProducerWaitsForRoom) {
  BoundedQueue<int> q(2);
  std::atomic<int> pushed{0};
  std::thread producer([&] {
    for (int i = 0; i < 1000; ++i) {
      ASSERT_TRUE(q.push(i));
      ++pushed;
    }
    q.close();
  });
  // Nothing is taken yet: the producer stops at the capacity.
  while (pushed.load() < 2) std::this_thread::yield();
  std::this_thread::sleep_for(std::chrono::milliseconds(20));
  EXPECT_EQ(pushed.load(), 2);
  std::vector<int> got;
  while (auto v = q.pop()) got.push_back(*v);
  producer.join();
  ASSERT_EQ(got.size(), 1000u);
  for (int i = 0; i < 1000; ++i) EXPECT_EQ(got[i], i);
}

TEST(BoundedQueueTest, ClosingDrainsWhatIsQueuedAndRefusesMore) {
  BoundedQueue<std::string> q(4);
  EXPECT_TRUE(q.push("a"));
  EXPECT_TRUE(q.push("b"));
  q.close();
  EXPECT_TRUE(q.closed());
  EXPECT_FALSE(q.push("c"));
  EXPECT_EQ(q.pop(), "a");
  EXPECT_EQ(q.pop(), "b");
  EXPECT_EQ(q.pop(), std::nullopt);
}

TEST(BoundedQueueTest, ClosingReleasesAProducerWaitingForRoom) {
  BoundedQueue<int> q(1);
  ASSERT_TRUE(q.push(1));
  std::atomic<int> second{-1};
  std::thread producer([&] { second = q.push(2) ? 1 : 0; });
  std::this_thread::sleep_for(std::chrono::milliseconds(20));
  EXPECT_EQ(second.load(), -1);  // still waiting
  q.close();
  producer.join();
  EXPECT_EQ(second.load(), 0);
}

}  // namespace
}  // namespace upsync
