// Helpers shared by the tests: temporary folders, free ports and file fingerprints.
#pragma once

#include <arpa/inet.h>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <pty.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cctype>
#include <cerrno>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iterator>
#include <memory>
#include <mutex>
#include <random>
#include <string>
#include <string_view>
#include <vector>

namespace upsync::testing {

// How many times slower than a plain build this one runs (the sanitizer suite of
// scripts/sanitize.sh: AddressSanitizer costs 2-4 times the time and memory, and the `upsync`
// a test starts is sanitized too). A test that asserts a time or memory bound multiplies the
// bound by this, and prints the bound it used, rather than skipping.
#if defined(__SANITIZE_ADDRESS__)
inline constexpr int kSanitizerSlowdown = 4;
#else
inline constexpr int kSanitizerSlowdown = 1;
#endif

// A TCP port on 127.0.0.1 that nothing listens on: the one the kernel picks for a bind to port
// 0, released for the server the test starts next. Unlike a random number, it cannot be a port
// another test's server or an open connection already holds.
inline int free_port() {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof a;
  int port = 0;
  if (bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0 &&
      getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len) == 0) {
    port = ntohs(a.sin_port);
  }
  close(fd);
  return port;
}

// A fresh folder under the system temp dir, removed with the object.
class TempDir {
 public:
  TempDir() {
    std::random_device rd;
    path_ = std::filesystem::temp_directory_path() /
            ("upsync-test-" + std::to_string(rd()) + std::to_string(rd()));
    std::filesystem::create_directories(path_);
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::filesystem::path& path() const { return path_; }
  std::string str() const { return path_.string(); }

 private:
  std::filesystem::path path_;
};

// What a fixture puts in a case's folder before the case runs (tenants, apps, passwords, files
// made by the CLI), made once per test program and copied for every later case. Each CLI
// command costs a second in the sanitized build and a copy a millisecond, while each case still
// starts from the same state and changes only its own copy. A fixture holds one as a static
// member, with the values its setup reads back (client ids, secrets) static too.
class FolderTemplate {
 public:
  // The first time: runs `make`, which fills `folder`, and keeps a copy of what it made (unless
  // it failed). Later: copies that into `folder` instead.
  void fill(const std::filesystem::path& folder, const std::function<void()>& make) {
    namespace fs = std::filesystem;
    if (copy_) {
      fs::copy(copy_->path(), folder, fs::copy_options::recursive);
      return;
    }
    make();
    if (::testing::Test::HasFatalFailure() || ::testing::Test::HasNonfatalFailure()) return;
    copy_ = std::make_unique<TempDir>();
    fs::copy(folder, copy_->path(), fs::copy_options::recursive);
  }

 private:
  std::unique_ptr<TempDir> copy_;
};

// The first failure any of several threads reports (later ones are dropped), for a test to
// assert on once the threads are joined.
class FirstFailure {
 public:
  void set(const std::string& why) {
    std::lock_guard lock(mu_);
    if (!failed_.exchange(true)) why_ = why;
  }
  bool failed() const { return failed_; }
  std::string why() const {
    std::lock_guard lock(mu_);
    return why_;
  }

 private:
  mutable std::mutex mu_;
  std::atomic<bool> failed_{false};
  std::string why_;
};

// Percent-encodes every byte of `s` but ASCII letters, digits and those of `keep` (the
// unreserved characters by default: what encodeURIComponent leaves, as PnPjs and browsers send).
inline std::string percent_encode(std::string_view s, std::string_view keep = "-._~") {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : s) {
    if (std::isalnum(c) || keep.find(static_cast<char>(c)) != std::string_view::npos) {
      out.push_back(static_cast<char>(c));
    } else {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 15];
    }
  }
  return out;
}

inline std::string read_file(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

inline void write_file(const std::filesystem::path& p, const std::string& content) {
  std::ofstream out(p, std::ios::binary | std::ios::trunc);
  out << content;
}

// Runs the real binary with `args`, stdout to /dev/null; returns what it wrote to stderr.
// With `terminal`, stderr (and stdout) is a pseudo-terminal; otherwise a pipe.
inline std::string run_binary_stderr(const std::vector<std::string>& args, bool terminal) {
  const char* bin = std::getenv("UPSYNC_BINARY");
  EXPECT_NE(bin, nullptr) << "ctest sets UPSYNC_BINARY";
  if (!bin) return {};
  std::vector<char*> argv{const_cast<char*>(bin)};
  for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  int fd = -1;
  pid_t pid;
  if (terminal) {
    pid = forkpty(&fd, nullptr, nullptr, nullptr);
    if (pid == 0) {
      execv(bin, argv.data());
      _exit(127);
    }
  } else {
    int p[2];
    if (pipe(p) != 0) return "pipe failed";
    pid = fork();
    if (pid == 0) {
      dup2(p[1], 2);
      int null = open("/dev/null", O_WRONLY);
      dup2(null, 1);
      close(p[0]);
      execv(bin, argv.data());
      _exit(127);
    }
    close(p[1]);
    fd = p[0];
  }
  EXPECT_GT(pid, 0);
  std::string text;
  char buf[4096];
  while (true) {
    ssize_t n = read(fd, buf, sizeof buf);
    if (n > 0) {
      text.append(buf, static_cast<size_t>(n));
    } else if (n < 0 && errno == EINTR) {
      continue;
    } else {
      break;  // end of the pipe, or EIO once the terminal's last writer is gone
    }
  }
  close(fd);
  int status = 0;
  waitpid(pid, &status, 0);
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << text;
  return text;
}

}  // namespace upsync::testing
