#include "auth/sign_in_throttle.h"

#include <algorithm>

namespace upsync {

namespace {

using std::chrono::milliseconds;

constexpr milliseconds kFirstDelay{50};
constexpr milliseconds kMostDelay{1000};
constexpr int kMostLockoutDoublings = 6;

// The wait of the answer to the `failures`-th failure in a row: none for the first two (a
// mistyped password), then 50 ms doubling up to 1 s.
milliseconds delay_for(int failures) {
  if (failures <= 2) return milliseconds(0);
  int doublings = std::min(failures - 3, 10);
  return std::min(kMostDelay, kFirstDelay * (1 << doublings));
}

}  // namespace

SignInThrottle::SignInThrottle(SignInThrottlePolicy policy, Clock clock)
    : policy_(policy), clock_(std::move(clock)) {}

bool SignInThrottle::is_locked(const Counts& counts, std::string_view key,
                               std::chrono::steady_clock::time_point now) const {
  auto it = counts.find(std::string(key));
  return it != counts.end() && now < it->second.locked_until;
}

bool SignInThrottle::locked(std::string_view account, std::string_view address) {
  std::lock_guard lock(mu_);
  auto now = clock_();
  return is_locked(accounts_, account, now) || is_locked(addresses_, address, now);
}

int SignInThrottle::count_failure(Counts& counts, std::string_view key, int threshold,
                                  std::chrono::steady_clock::time_point now) {
  bound(counts, now);
  Count& c = counts[std::string(key)];
  if (c.failures + c.lockouts > 0 && now - c.last_failure > policy_.forget_after) c = Count();
  c.last_failure = now;
  int in_a_row = ++c.failures;
  if (c.failures >= threshold) {
    c.locked_until = now + policy_.lockout * (1 << std::min(c.lockouts, kMostLockoutDoublings));
    ++c.lockouts;
    c.failures = 0;  // the next lockout takes as many failures again, and lasts longer
  }
  return in_a_row;
}

std::chrono::milliseconds SignInThrottle::failed(std::string_view account,
                                                 std::string_view address) {
  std::lock_guard lock(mu_);
  auto now = clock_();
  int by_account = count_failure(accounts_, account, policy_.account_threshold, now);
  int by_address = count_failure(addresses_, address, policy_.address_threshold, now);
  return std::max(delay_for(by_account), delay_for(by_address));
}

void SignInThrottle::succeeded(std::string_view account) {
  std::lock_guard lock(mu_);
  auto it = accounts_.find(std::string(account));
  // A success clears the failures in a row, not a lockout's history (the next one is longer).
  if (it != accounts_.end()) it->second.failures = 0;
}

void SignInThrottle::bound(Counts& counts, std::chrono::steady_clock::time_point now) {
  if (counts.size() < policy_.max_entries) return;
  std::erase_if(counts, [&](const auto& kv) {
    return now >= kv.second.locked_until || now - kv.second.last_failure > policy_.forget_after;
  });
  if (counts.size() >= policy_.max_entries) counts.clear();
}

}  // namespace upsync
