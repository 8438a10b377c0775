// Hostile and probing clients for the security tests of `upsync serve`: raw connections from a
// chosen loopback address (all of 127.0.0.0/8 is local, so each test can play several hosts), a
// slow-connection attacker, and a probe that times GetPropertiesFor.
#pragma once

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <string>
#include <thread>
#include <vector>

namespace upsync::testing {

using SteadyClock = std::chrono::steady_clock;

inline double ms_since(SteadyClock::time_point start) {
  return std::chrono::duration<double, std::milli>(SteadyClock::now() - start).count();
}

// Raises this process's open-file limit to its hard limit (a test opening thousands of sockets).
inline size_t raise_open_files() {
  rlimit lim{};
  getrlimit(RLIMIT_NOFILE, &lim);
  lim.rlim_cur = lim.rlim_max;
  setrlimit(RLIMIT_NOFILE, &lim);
  getrlimit(RLIMIT_NOFILE, &lim);
  return lim.rlim_cur;
}

// A TCP socket to 127.0.0.1:port whose source address is `from` (e.g. "127.0.0.2"); -1 when
// the socket cannot be made. Non-blocking connects return at once (the handshake may still run).
inline int connect_from(const std::string& from, int port, bool blocking = true) {
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | (blocking ? 0 : SOCK_NONBLOCK), 0);
  if (fd < 0) return -1;
  sockaddr_in src{};
  src.sin_family = AF_INET;
  inet_pton(AF_INET, from.c_str(), &src.sin_addr);
  sockaddr_in dst{};
  dst.sin_family = AF_INET;
  dst.sin_port = htons(static_cast<uint16_t>(port));
  dst.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (bind(fd, reinterpret_cast<sockaddr*>(&src), sizeof src) != 0 ||
      (connect(fd, reinterpret_cast<sockaddr*>(&dst), sizeof dst) != 0 && errno != EINPROGRESS)) {
    close(fd);
    return -1;
  }
  return fd;
}

// One connection from a chosen address, read and written by hand.
class RawClient {
 public:
  RawClient(const std::string& from, int port) : fd_(connect_from(from, port)) {
    timeval timeout{10, 0};
    if (fd_ >= 0) setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
  }
  ~RawClient() {
    if (fd_ >= 0) close(fd_);
  }
  RawClient(const RawClient&) = delete;
  RawClient& operator=(const RawClient&) = delete;
  bool connected() const { return fd_ >= 0; }
  bool send_text(const std::string& text) {
    return ::send(fd_, text.data(), text.size(), MSG_NOSIGNAL) == static_cast<ssize_t>(text.size());
  }
  // Everything the server sends until it closes the connection (or `seconds` pass).
  std::string read_to_close(int seconds = 10) {
    std::string got;
    char buf[4096];
    auto start = SteadyClock::now();
    while (ms_since(start) < seconds * 1000.0) {
      pollfd p{fd_, POLLIN, 0};
      if (poll(&p, 1, 100) <= 0) continue;
      ssize_t n = recv(fd_, buf, sizeof buf, 0);
      if (n <= 0) break;
      got.append(buf, static_cast<size_t>(n));
    }
    return got;
  }
  // True when the server has closed (or reset) the connection within `ms`.
  bool closed_within(int ms) {
    auto start = SteadyClock::now();
    char buf[4096];
    while (ms_since(start) < ms) {
      pollfd p{fd_, POLLIN, 0};
      if (poll(&p, 1, 50) <= 0) continue;
      ssize_t n = recv(fd_, buf, sizeof buf, MSG_DONTWAIT);
      if (n == 0 || (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK)) return true;
    }
    return false;
  }
  int fd() const { return fd_; }

 private:
  int fd_;
};

// `count` connections from `from` that send a request one byte at a time, one byte per
// connection every `interval`: each byte would reset a per-byte idle timer. A connection the
// server closes is opened again on the next round, as a real attacker would. Stops by itself
// after `duration` (or when stop() is called); closes everything it opened.
class SlowConnections {
 public:
  SlowConnections(std::string from, int port, size_t count, std::chrono::milliseconds interval,
                  std::chrono::seconds duration)
      : from_(std::move(from)), port_(port), count_(count), interval_(interval) {
    thread_ = std::thread([this, duration] { run(duration); });
  }
  ~SlowConnections() { stop(); }
  void stop() {
    stop_ = true;
    if (thread_.joinable()) thread_.join();
  }
  size_t open() const { return open_.load(); }
  size_t reopened() const { return reopened_.load(); }

 private:
  void run(std::chrono::seconds duration) {
    static const std::string kRequest =
        "POST /tenants/contoso/_api/contextinfo HTTP/1.1\r\nHost: x\r\nX-Slow: "
        "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
        "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
        "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";
    struct Slow {
      int fd = -1;
      size_t sent = 0;
    };
    std::vector<Slow> conns(count_);
    auto end = SteadyClock::now() + duration;
    bool first_round = true;
    while (!stop_ && SteadyClock::now() < end) {
      auto round = SteadyClock::now();
      size_t open = 0;
      for (auto& c : conns) {
        if (stop_) break;
        if (c.fd >= 0) {
          char buf[512];
          ssize_t n = recv(c.fd, buf, sizeof buf, MSG_DONTWAIT);
          bool gone =
              n == 0 || (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != ENOTCONN);
          if (!gone) {
            char byte = kRequest[c.sent % kRequest.size()];
            ssize_t s = ::send(c.fd, &byte, 1, MSG_DONTWAIT | MSG_NOSIGNAL);
            if (s == 1) ++c.sent;
            gone = s < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != ENOTCONN;
          }
          if (gone) {
            close(c.fd);
            c.fd = -1;
          }
        }
        if (c.fd < 0) {
          c.fd = connect_from(from_, port_, false);
          c.sent = 0;
          if (!first_round) ++reopened_;
        }
        if (c.fd >= 0) ++open;
      }
      first_round = false;
      open_ = open;
      while (!stop_ && SteadyClock::now() - round < interval_) {
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
      }
    }
    for (auto& c : conns) {
      if (c.fd >= 0) close(c.fd);
    }
  }

  std::string from_;
  int port_;
  size_t count_;
  std::chrono::milliseconds interval_;
  std::atomic<bool> stop_{false};
  std::atomic<size_t> open_{0}, reopened_{0};
  std::thread thread_;
};

// The 99th percentile of `ms` (the slowest but one in a hundred).
inline double p99(std::vector<double> ms) {
  if (ms.empty()) return 0;
  std::sort(ms.begin(), ms.end());
  size_t i = std::min(ms.size() - 1, static_cast<size_t>(ms.size() * 0.99));
  return ms[i];
}

inline double median(std::vector<double> ms) {
  if (ms.empty()) return 0;
  std::sort(ms.begin(), ms.end());
  return ms[ms.size() / 2];
}

}  // namespace upsync::testing
