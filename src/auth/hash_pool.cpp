#include "auth/hash_pool.h"

#include <sys/resource.h>
#include <unistd.h>

namespace upsync {

HashPool::HashPool(size_t threads, size_t queue_capacity)
    : capacity_(queue_capacity ? queue_capacity : 1) {
  for (size_t i = 0; i < (threads ? threads : 1); ++i) workers_.emplace_back([this] { work(); });
  timer_thread_ = std::thread([this] { time(); });
}

HashPool::~HashPool() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  ready_.notify_all();
  timer_.notify_all();
  for (auto& t : workers_) t.join();
  timer_thread_.join();
}

bool HashPool::try_submit(std::function<void()> job) {
  {
    std::lock_guard lock(mu_);
    if (stopping_ || jobs_.size() >= capacity_) return false;
    jobs_.push_back(std::move(job));
  }
  ready_.notify_one();
  return true;
}

void HashPool::run_at(std::chrono::steady_clock::time_point when, std::function<void()> fn) {
  {
    std::lock_guard lock(mu_);
    timers_.emplace(when, std::move(fn));
  }
  timer_.notify_one();
}

void HashPool::work() {
  // Linux gives each thread its own nice value: hashing yields the CPU to the request loops.
  setpriority(PRIO_PROCESS, static_cast<id_t>(gettid()), 10);
  std::unique_lock lock(mu_);
  for (;;) {
    ready_.wait(lock, [this] { return stopping_ || !jobs_.empty(); });
    if (jobs_.empty()) return;  // stopping, and nothing left to run
    auto job = std::move(jobs_.front());
    jobs_.pop_front();
    ++running_;
    lock.unlock();
    job();
    lock.lock();
    --running_;
  }
}

void HashPool::time() {
  std::unique_lock lock(mu_);
  for (;;) {
    if (timers_.empty()) {
      // Jobs still running may add a timer: stop only when they are done too.
      if (stopping_ && jobs_.empty() && running_ == 0) {
        lock.unlock();
        return;
      }
      timer_.wait_for(lock, std::chrono::milliseconds(stopping_ ? 10 : 1000));
      continue;
    }
    auto first = timers_.begin();
    if (!stopping_ && first->first > std::chrono::steady_clock::now()) {
      timer_.wait_until(lock, first->first);
      continue;
    }
    auto fn = std::move(first->second);
    timers_.erase(first);
    lock.unlock();
    fn();
    lock.lock();
  }
}

}  // namespace upsync
