// GUIDs: random (version 4) and time-ordered (version 7) ones.
#include "core/clock.h"

#include <gtest/gtest.h>

#include <chrono>
#include <regex>
#include <set>
#include <string>
#include <thread>
#include <vector>

namespace upsync {
namespace {

TEST(GuidTest, RandomGuidsAreVersion4) {
  const std::regex v4("[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}");
  std::set<std::string> seen;
  for (int i = 0; i < 1000; ++i) {
    std::string g = new_guid();
    EXPECT_TRUE(std::regex_match(g, v4)) << g;
    EXPECT_TRUE(seen.insert(g).second) << g;
  }
}

// RFC 9562 version 7: the first 48 bits are the Unix time in milliseconds, and the GUIDs of a
// thread sort in the order it made them, also when many come in the same millisecond (more
// than its 12-bit counter holds).
TEST(GuidTest, OrderedGuidsAreVersion7AndSortInTheOrderMade) {
  const std::regex v7("[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}");
  const auto ms_now = [] {
    return std::chrono::duration_cast<std::chrono::milliseconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
  };
  const int64_t before = ms_now();
  std::vector<std::string> made;
  for (int i = 0; i < 200000; ++i) made.push_back(new_ordered_guid());
  const int64_t after = ms_now();
  for (size_t i = 0; i < made.size(); ++i) {
    ASSERT_TRUE(std::regex_match(made[i], v7)) << made[i];
    if (i > 0) {
      ASSERT_LT(made[i - 1], made[i]) << "at " << i;
    }
  }
  // The timestamp of the first is the time it was made (the last may run ahead of the clock
  // by the milliseconds whose counters ran out).
  const std::string first = made.front().substr(0, 8) + made.front().substr(9, 4);
  const int64_t stamp = std::stoll(first, nullptr, 16);
  EXPECT_GE(stamp, before);
  EXPECT_LE(stamp, after);

  // Another thread's GUIDs are GUIDs of their own: none repeats one of these.
  std::set<std::string> all(made.begin(), made.end());
  std::thread other([&] {
    for (int i = 0; i < 1000; ++i) EXPECT_TRUE(all.count(new_ordered_guid()) == 0);
  });
  other.join();
}

}  // namespace
}  // namespace upsync
