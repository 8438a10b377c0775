// Password sign-in at the real `upsync serve` token endpoint (issue 15, finding 4 and
// acceptance 3): lockout after repeated failures with Azure AD's AADSTS50053, the same answer
// in the same time for an unknown account as for a wrong password, and a guessing flood that
// leaves other requests fast because hashing runs on a bounded pool of its own.
#include <gtest/gtest.h>
#include <httplib.h>

#include <algorithm>
#include <atomic>
#include <nlohmann/json.hpp>
#include <thread>

#include "http/server_process.h"
#include "security/attack_clients.h"
#include "test_support.h"

namespace upsync {
namespace {

using testing::ms_since;
using testing::RawClient;
using testing::run;
using testing::run_output;
using testing::Server;
using testing::SteadyClock;
using testing::TempDir;

const std::string kLocked =
    "AADSTS50053: The account is locked, you've tried to sign in too many times with an "
    "incorrect user ID or password.";
const std::string kWrong =
    "AADSTS50126: Error validating credentials due to invalid username or password.";

struct Answer {
  int status = 0;
  nlohmann::json body;
  std::string retry_after;
  double ms = 0;
};

class PasswordSignInTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_EQ(run({"--data-dir", data(), "tenant", "create", "contoso"}), 0);
    app_ = nlohmann::json::parse(
        run_output({"--data-dir", data(), "--json", "app", "add", "-t", "contoso", "portal"}));
    set_password("adele@contoso.com");
    ASSERT_EQ(run({"--data-dir", data(), "profile", "create", "--tenant", "contoso",
                   "i:0#.f|membership|adele@contoso.com", "--set", "FirstName=Adele"}),
              0);
  }
  std::string data() const { return dir_.str() + "/data"; }
  void set_password(const std::string& upn) {
    ASSERT_EQ(run({"--data-dir", data(), "user", "password", "set", "-t", "contoso", upn,
                   "--password", "right-pa55word"}),
              0);
  }

  // A password grant from `from` on a connection of its own.
  Answer sign_in(int port, const std::string& upn, const std::string& password,
                 const std::string& from = "127.0.0.1") {
    std::string body = "grant_type=password&client_id=" + app_["clientId"].get<std::string>() +
                       "&scope=https%3A%2F%2Fcontoso.sharepoint.com%2F.default&username=" +
                       httplib::detail::encode_query_param(upn) +
                       "&password=" + httplib::detail::encode_query_param(password);
    Answer a;
    auto start = SteadyClock::now();
    RawClient c(from, port);
    if (!c.connected()) return a;
    c.send_text(
        "POST /contoso/oauth2/v2.0/token HTTP/1.1\r\nHost: 127.0.0.1:" + std::to_string(port) +
        "\r\nConnection: close\r\nContent-Type: "
        "application/x-www-form-urlencoded\r\nContent-Length: " +
        std::to_string(body.size()) + "\r\n\r\n" + body);
    std::string answer = c.read_to_close(30);
    a.ms = ms_since(start);
    if (answer.size() < 12) return a;
    a.status = std::stoi(answer.substr(9, 3));
    size_t retry = answer.find("\r\nRetry-After: ");
    if (retry != std::string::npos) {
      a.retry_after = answer.substr(retry + 15, answer.find("\r\n", retry + 2) - retry - 15);
    }
    size_t end = answer.find("\r\n\r\n");
    a.body = nlohmann::json::parse(answer.substr(end + 4), nullptr, false);
    return a;
  }
  // The error's description up to its trace id (which differs on every answer).
  static std::string description(const Answer& a) {
    std::string d = a.body.is_object() ? a.body.value("error_description", "") : "";
    return d.substr(0, d.find(" Trace ID:"));
  }

  TempDir dir_;
  nlohmann::json app_;
};

// Azure AD's smart lockout: 10 failures lock the account, and then even the right password is
// refused; an account that does not exist is locked the same way (or the lockout would tell
// which accounts exist).
TEST_F(PasswordSignInTest, TenFailuresLockTheAccountAndTheRightPasswordIsRefused) {
  Server srv(dir_);
  ASSERT_GT(srv.port(), 0) << srv.log();
  auto guess_ten = [&](const std::string& upn, std::vector<Answer>* out) {
    for (int i = 0; i < 10; ++i)
      out->push_back(sign_in(srv.port(), upn, "guess-" + std::to_string(i)));
  };
  std::vector<Answer> known, unknown;
  std::thread other(guess_ten, "nobody@contoso.com", &unknown);
  guess_ten("adele@contoso.com", &known);
  other.join();
  for (const auto* answers : {&known, &unknown}) {
    ASSERT_EQ(answers->size(), 10u);
    for (const Answer& a : *answers) {
      EXPECT_EQ(a.status, 400);
      EXPECT_EQ(description(a), kWrong);
    }
  }
  std::printf("ten wrong passwords for one account, answered in (ms):");
  for (const Answer& a : known) std::printf(" %.0f", a.ms);
  std::printf("\n");
  for (const std::string upn : {"adele@contoso.com", "nobody@contoso.com"}) {
    Answer a = sign_in(srv.port(), upn, "right-pa55word");
    EXPECT_EQ(a.status, 400) << upn;
    EXPECT_EQ(a.body.value("error", ""), "invalid_grant") << a.body.dump();
    EXPECT_EQ(a.body["error_codes"], nlohmann::json::array({50053})) << a.body.dump();
    EXPECT_EQ(description(a), kLocked) << a.body.dump();
  }
  // Another account is not locked by this one's failures.
  set_password("megan@contoso.com");
  EXPECT_EQ(sign_in(srv.port(), "megan@contoso.com", "right-pa55word").status, 200);
}

TEST_F(PasswordSignInTest, TheLockoutEndsAfterItsWindow) {
  Server srv(dir_, {"--lockout-threshold", "3", "--lockout-seconds", "2"});
  ASSERT_GT(srv.port(), 0) << srv.log();
  for (int i = 0; i < 3; ++i)
    EXPECT_EQ(sign_in(srv.port(), "adele@contoso.com", "nope").status, 400);
  Answer locked = sign_in(srv.port(), "adele@contoso.com", "right-pa55word");
  EXPECT_EQ(description(locked), kLocked);
  std::this_thread::sleep_for(std::chrono::milliseconds(2300));
  Answer after = sign_in(srv.port(), "adele@contoso.com", "right-pa55word");
  EXPECT_EQ(after.status, 200) << after.body.dump();
  EXPECT_TRUE(after.body.contains("access_token"));
}

// A wrong password took 121 ms and an unknown account 0.4 ms: timing told which accounts
// exist. Now both hash once at the same cost and answer the same words.
TEST_F(PasswordSignInTest, AnUnknownAccountAndAWrongPasswordAnswerAlike) {
  const int kEach = 16;
  for (int i = 0; i < kEach; ++i) set_password("known" + std::to_string(i) + "@contoso.com");
  Server srv(dir_);
  ASSERT_GT(srv.port(), 0) << srv.log();
  std::vector<double> known_ms, unknown_ms, ratios;
  for (int i = 0; i < kEach; ++i) {
    // Each from an address of its own: no address's failures add a delay to compare. The two
    // of a pair go one after the other, in turns first, so that they share the machine's
    // moment (on a shared machine a core's speed changes by half from one second to the next).
    auto ask = [&](const std::string& who, const std::string& from) {
      return sign_in(srv.port(), who + std::to_string(i) + "@contoso.com", "wrong-pw",
                     from + std::to_string(i + 1));
    };
    Answer k, u;
    if (i % 2 == 0) {
      k = ask("known", "127.0.3.");
      u = ask("unknown", "127.0.4.");
    } else {
      u = ask("unknown", "127.0.4.");
      k = ask("known", "127.0.3.");
    }
    EXPECT_EQ(k.status, 400);
    EXPECT_EQ(u.status, 400);
    EXPECT_EQ(description(k), description(u));
    EXPECT_EQ(k.body.value("error", ""), u.body.value("error", ""));
    EXPECT_EQ(k.body["error_codes"], u.body["error_codes"]);
    known_ms.push_back(k.ms);
    unknown_ms.push_back(u.ms);
    ratios.push_back(k.ms / std::max(u.ms, 0.001));
  }
  // Each pair's ratio, and their median: other processes sharing the cores (the suite runs in
  // parallel) slow a sample now and then, which moved medians of each kind 50% apart and once
  // made the fastest wrong password 35% faster than the fastest unknown account. Before the
  // fix the ratio was 300 (121 ms against 0.4 ms).
  const double ratio = testing::median(ratios);
  std::printf(
      "wrong password against unknown account, %d pairs: median ratio %.2f (medians %.1f and "
      "%.1f ms, fastest %.1f and %.1f ms)\n",
      kEach, ratio, testing::median(known_ms), testing::median(unknown_ms),
      *std::min_element(known_ms.begin(), known_ms.end()),
      *std::min_element(unknown_ms.begin(), unknown_ms.end()));
  EXPECT_GT(ratio, 0.7);
  EXPECT_LT(ratio, 1.0 / 0.7);
}

// Acceptance 3: 8 guessers at 2 attempts a second each (16/s, from 8 addresses, spread over
// 24 accounts so that no lockout stops the hashing) while a probe asks GetPropertiesFor.
TEST_F(PasswordSignInTest, AGuessingFloodLeavesOtherRequestsFast) {
  const int kAccounts = 24;
  for (int i = 0; i < kAccounts; ++i) set_password("target" + std::to_string(i) + "@contoso.com");
  Server srv(dir_);
  ASSERT_GT(srv.port(), 0) << srv.log();
  httplib::Client cli("127.0.0.1", srv.port());
  auto t = cli.Post("/contoso/oauth2/v2.0/token",
                    httplib::Params{{"grant_type", "client_credentials"},
                                    {"client_id", app_["clientId"].get<std::string>()},
                                    {"client_secret", app_["clientSecret"].get<std::string>()},
                                    {"scope", "https://contoso.sharepoint.com/.default"}});
  ASSERT_TRUE(t && t->status == 200);
  std::string token = nlohmann::json::parse(t->body)["access_token"];

  // One attempt every 62.5 ms, each on a thread of its own so that a slow answer does not
  // slow the flood; guesser g (of 8) sends from 127.0.1.<g+1>.
  std::atomic<bool> stop{false};
  std::atomic<int> refused{0}, busy{0}, other{0};
  std::thread flood([&] {
    std::vector<std::thread> attempts;
    auto start = SteadyClock::now();
    for (int n = 0; !stop; ++n) {
      attempts.emplace_back([&, n] {
        std::string from = "127.0.1." + std::to_string(n % 8 + 1);
        std::string upn = "target" + std::to_string(n % kAccounts) + "@contoso.com";
        Answer a = sign_in(srv.port(), upn, "password" + std::to_string(n), from);
        (a.status == 400 ? refused : a.status == 503 ? busy : other)++;
      });
      while (!stop && ms_since(start) < (n + 1) * 62.5) {
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
      }
    }
    for (auto& t : attempts) t.join();
  });
  std::this_thread::sleep_for(std::chrono::seconds(1));
  std::vector<double> times;
  int failures = 0;
  auto flood_start = SteadyClock::now();
  while (ms_since(flood_start) < 8000) {
    httplib::Client probe("127.0.0.1", srv.port());
    probe.set_url_encode(false);
    probe.set_read_timeout(5, 0);
    auto start = SteadyClock::now();
    auto r = probe.Get(
        "/tenants/contoso/_api/sp.userprofiles.peoplemanager/GetPropertiesFor(accountName=@v)"
        "?@v='i%3A0%23.f%7Cmembership%7Cadele%40contoso.com'",
        {{"Authorization", "Bearer " + token}, {"Accept", "application/json;odata=nometadata"}});
    times.push_back(ms_since(start));
    if (!r || r->status != 200) ++failures;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  stop = true;
  flood.join();
  double p99 = testing::p99(times);
  std::printf(
      "password flood (8 guessers, 16 attempts/s): %d refused, %d told to retry (503), "
      "%d other; probe GetPropertiesFor: %zu requests, median %.2f ms, p99 %.2f ms, "
      "%d failed\n",
      refused.load(), busy.load(), other.load(), times.size(), testing::median(times), p99,
      failures);
  EXPECT_EQ(other.load(), 0);
  EXPECT_EQ(failures, 0);
  EXPECT_LT(p99, 50.0);
}

// More guesses at once than the pool's queue holds: the ones beyond it are told at once to
// come back (503, Retry-After, Azure AD's temporarily_unavailable), not queued without bound.
TEST_F(PasswordSignInTest, AFullSignInQueueAnswers503AtOnce) {
  Server srv(dir_, {"--sign-in-threads", "1", "--sign-in-queue", "1"});
  ASSERT_GT(srv.port(), 0) << srv.log();
  std::vector<Answer> answers(12);
  std::vector<std::thread> threads;
  for (int i = 0; i < 12; ++i) {
    threads.emplace_back([&, i] {
      answers[i] = sign_in(srv.port(), "x" + std::to_string(i) + "@contoso.com", "wrong-pw",
                           "127.0.2." + std::to_string(i + 1));
    });
  }
  for (auto& t : threads) t.join();
  int busy = 0;
  for (const Answer& a : answers) {
    if (a.status != 503) {
      EXPECT_EQ(a.status, 400);
      continue;
    }
    ++busy;
    EXPECT_EQ(a.retry_after, "1");
    EXPECT_EQ(a.body.value("error", ""), "temporarily_unavailable") << a.body.dump();
    EXPECT_LT(a.ms, 100);
  }
  EXPECT_GT(busy, 0);
}

}  // namespace
}  // namespace upsync
