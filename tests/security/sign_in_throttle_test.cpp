// The smart lockout's counters (src/auth/sign_in_throttle.h), on a clock the test moves.
#include "auth/sign_in_throttle.h"

#include <gtest/gtest.h>

namespace upsync {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

class SignInThrottleTest : public ::testing::Test {
 protected:
  SignInThrottle make(SignInThrottlePolicy policy) {
    return SignInThrottle(policy, [this] { return now_; });
  }
  std::chrono::steady_clock::time_point now_{seconds(1000)};
};

TEST_F(SignInThrottleTest, DelaysGrowFromTheThirdFailureAndTheThresholdLocks) {
  SignInThrottle t = make({.account_threshold = 10, .lockout = seconds(60)});
  const std::vector<int> want = {0, 0, 50, 100, 200, 400, 800, 1000, 1000, 1000};
  for (size_t i = 0; i < want.size(); ++i) {
    EXPECT_FALSE(t.locked("1/adele", "10.0.0." + std::to_string(i))) << i;
    EXPECT_EQ(t.failed("1/adele", "10.0.0." + std::to_string(i)), milliseconds(want[i])) << i;
  }
  EXPECT_TRUE(t.locked("1/adele", "10.0.0.99"));
  EXPECT_FALSE(t.locked("1/megan", "10.0.0.99"));
  now_ += seconds(59);
  EXPECT_TRUE(t.locked("1/adele", "10.0.0.99"));
  now_ += seconds(2);
  EXPECT_FALSE(t.locked("1/adele", "10.0.0.99"));
}

TEST_F(SignInThrottleTest, EachFurtherLockoutLastsTwiceAsLong) {
  SignInThrottle t = make({.account_threshold = 3, .lockout = seconds(10)});
  for (int lockout = 0; lockout < 3; ++lockout) {
    for (int i = 0; i < 3; ++i) t.failed("1/adele", "10.0.0.1");
    seconds window = seconds(10) * (1 << lockout);
    now_ += window - seconds(1);
    EXPECT_TRUE(t.locked("1/adele", "10.0.0.1")) << lockout;
    now_ += seconds(2);
    EXPECT_FALSE(t.locked("1/adele", "10.0.0.1")) << lockout;
  }
}

TEST_F(SignInThrottleTest, ASuccessClearsTheAccountsFailuresInARow) {
  SignInThrottle t = make({.account_threshold = 3, .address_threshold = 100});
  t.failed("1/adele", "10.0.0.1");
  t.failed("1/adele", "10.0.0.1");
  t.succeeded("1/adele");
  t.failed("1/adele", "10.0.0.1");
  t.failed("1/adele", "10.0.0.1");
  EXPECT_FALSE(t.locked("1/adele", "10.0.0.1"));
  t.failed("1/adele", "10.0.0.1");
  EXPECT_TRUE(t.locked("1/adele", "10.0.0.1"));
}

TEST_F(SignInThrottleTest, AnAddressFailingForManyAccountsIsLocked) {
  SignInThrottle t = make({.account_threshold = 10, .address_threshold = 5});
  for (int i = 0; i < 5; ++i) t.failed("1/user" + std::to_string(i), "10.0.0.7");
  EXPECT_TRUE(t.locked("1/someone-else", "10.0.0.7"));
  EXPECT_FALSE(t.locked("1/someone-else", "10.0.0.8"));
}

TEST_F(SignInThrottleTest, FailuresAreForgottenAfterAQuietPeriod) {
  SignInThrottle t = make({.account_threshold = 3, .forget_after = seconds(600)});
  t.failed("1/adele", "10.0.0.1");
  t.failed("1/adele", "10.0.0.1");
  now_ += seconds(601);
  EXPECT_EQ(t.failed("1/adele", "10.0.0.1"), milliseconds(0));
  EXPECT_FALSE(t.locked("1/adele", "10.0.0.1"));
}

TEST_F(SignInThrottleTest, MadeUpNamesCannotGrowItWithoutBound) {
  SignInThrottle t = make({.account_threshold = 2, .max_entries = 100});
  t.failed("1/adele", "10.0.0.1");
  t.failed("1/adele", "10.0.0.1");  // locked
  for (int i = 0; i < 1000; ++i) t.failed("1/made-up-" + std::to_string(i), "10.0.1.1");
  // The locked account is kept while names that are not locked make room.
  EXPECT_TRUE(t.locked("1/adele", "10.0.0.2"));
}

}  // namespace
}  // namespace upsync
