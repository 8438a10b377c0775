// A bounded pool of threads of its own for password hashing (and the token signing that
// follows it), so that a flood of sign-in attempts cannot slow other requests: the request
// loops hand the work here and go on (http_server.h, HttpResponse::later), the pool's threads
// run at a lower CPU priority than the loops (nice +10), and its queue holds at most
// `queue_capacity` jobs: beyond, try_submit refuses at once and the caller answers "try again"
// (503 with Retry-After) instead of queueing without bound.
//
//   HashPool pool(1, 16);
//   if (!pool.try_submit([=] { ...hash...; finish(answer); })) finish(busy_answer);
//   pool.run_at(std::chrono::steady_clock::now() + delay, [=] { finish(answer); });
//
// run_at runs a short function at a later time on the pool's timer thread: the growing
// delay of a failed sign-in's answer holds no thread while it waits. The destructor runs the
// queued jobs and the pending timers (at once), then joins its threads.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <deque>
#include <functional>
#include <map>
#include <mutex>
#include <thread>
#include <vector>

namespace upsync {

class HashPool {
 public:
  HashPool(size_t threads, size_t queue_capacity);
  ~HashPool();
  HashPool(const HashPool&) = delete;
  HashPool& operator=(const HashPool&) = delete;

  // False when the queue is full (the job is dropped, not run).
  bool try_submit(std::function<void()> job);
  void run_at(std::chrono::steady_clock::time_point when, std::function<void()> fn);

 private:
  void work();
  void time();

  const size_t capacity_;
  std::mutex mu_;
  std::condition_variable ready_, timer_;
  std::deque<std::function<void()>> jobs_;
  std::multimap<std::chrono::steady_clock::time_point, std::function<void()>> timers_;
  size_t running_ = 0;  // jobs taken from the queue and not yet done
  bool stopping_ = false;
  std::vector<std::thread> workers_;
  std::thread timer_thread_;
};

}  // namespace upsync
