// Password sign-in throttling, after Azure AD's smart lockout: failures are counted per
// account and per client address; each failure past the second makes its own answer wait a
// little longer (50 ms, doubling, at most 1 s), and reaching the threshold locks the account
// (or the address) for the lockout window, which doubles with each further lockout (at most
// 64 times). While locked, every attempt, the right password included, is refused at once
// (AADSTS50053) without hashing. A success clears the account's count, not the address's.
//
//   SignInThrottle throttle({.account_threshold = 10, .lockout = std::chrono::seconds(60)});
//   if (throttle.locked(account, address)) ... refuse with AADSTS50053
//   ... hash; on failure: delay = throttle.failed(account, address); answer after `delay`
//   ... on success: throttle.succeeded(account)
//
// An account is counted by the name tried, whether it exists or not: the same failures lock
// an unknown name as a real one, so a lockout tells nothing about which accounts exist.
// Counts live in memory (a restart forgets them) and are forgotten after `forget_after`
// without failures; at most `max_entries` accounts and addresses are tracked (beyond, those
// not locked are dropped first, then all), so a flood of made-up names cannot grow memory
// without bound.
#pragma once

#include <chrono>
#include <functional>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>

namespace upsync {

struct SignInThrottlePolicy {
  int account_threshold = 10;  // Azure AD's default lockout threshold
  std::chrono::seconds lockout{60};
  // An address may fail for several accounts (a shared office address) before it is locked.
  int address_threshold = 50;
  std::chrono::seconds forget_after{3600};
  size_t max_entries = 100000;
};

class SignInThrottle {
 public:
  using Clock = std::function<std::chrono::steady_clock::time_point()>;
  explicit SignInThrottle(SignInThrottlePolicy policy,
                          Clock clock = std::chrono::steady_clock::now);

  // True while the account or the address is locked out.
  bool locked(std::string_view account, std::string_view address);
  // Counts a failed sign-in; returns how long its answer waits.
  std::chrono::milliseconds failed(std::string_view account, std::string_view address);
  void succeeded(std::string_view account);

 private:
  struct Count {
    int failures = 0;
    int lockouts = 0;
    std::chrono::steady_clock::time_point last_failure;
    std::chrono::steady_clock::time_point locked_until;
  };
  using Counts = std::unordered_map<std::string, Count>;
  // Counts one failure against `key`; returns the failures in a row so far.
  int count_failure(Counts& counts, std::string_view key, int threshold,
                    std::chrono::steady_clock::time_point now);
  bool is_locked(const Counts& counts, std::string_view key,
                 std::chrono::steady_clock::time_point now) const;
  void bound(Counts& counts, std::chrono::steady_clock::time_point now);

  SignInThrottlePolicy policy_;
  Clock clock_;
  std::mutex mu_;
  Counts accounts_;
  Counts addresses_;
};

}  // namespace upsync
