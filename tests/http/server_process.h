// The real `upsync serve` as a child process for HTTP tests: started on a free port over a
// data folder, stopped by pid (SIGTERM, or SIGKILL when the test ends without stopping it).
#pragma once

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <regex>
#include <string>
#include <thread>
#include <vector>

#include "test_support.h"

namespace upsync::testing {

inline std::string binary() {
  const char* b = std::getenv("UPSYNC_BINARY");
  return b ? b : "upsync";
}

// The CLI command line, each argument single-quoted for the shell (quotes inside escaped).
inline std::string shell_command(const std::vector<std::string>& args) {
  std::string cmd = binary();
  for (const auto& a : args) {
    cmd += " '";
    for (char c : a) cmd += c == '\'' ? std::string("'\\''") : std::string(1, c);
    cmd += "'";
  }
  return cmd;
}

// Runs the CLI; returns its exit code.
inline int run(const std::vector<std::string>& args) {
  std::string cmd = shell_command(args) + " >/dev/null 2>&1";
  return WEXITSTATUS(std::system(cmd.c_str()));
}

// Runs the CLI; returns its stdout ("" when it fails).
inline std::string run_output(const std::vector<std::string>& args) {
  std::string cmd = shell_command(args) + " 2>/dev/null";
  FILE* p = popen(cmd.c_str(), "r");
  if (!p) return "";
  std::string out;
  std::array<char, 4096> buf;
  size_t n;
  while ((n = fread(buf.data(), 1, buf.size(), p)) > 0) out.append(buf.data(), n);
  return pclose(p) == 0 ? out : "";
}

class Server {
 public:
  explicit Server(const TempDir& dir, std::vector<std::string> extra = {}) : dir_(dir) {
    std::string out = dir.str() + "/serve.out";
    std::string err = dir.str() + "/serve.err";
    std::vector<std::string> args = {binary(), "--data-dir", dir.str() + "/data",
                                     "serve",  "--listen",   "127.0.0.1:0"};
    args.insert(args.end(), extra.begin(), extra.end());
    pid_ = fork();
    if (pid_ == 0) {
      if (!freopen(out.c_str(), "w", stdout) || !freopen(err.c_str(), "w", stderr)) _exit(126);
      std::vector<char*> argv;
      for (auto& a : args) argv.push_back(a.data());
      argv.push_back(nullptr);
      execv(argv[0], argv.data());
      _exit(127);
    }
    std::regex re("listening on https?://127\\.0\\.0\\.1:([0-9]+)");
    for (int i = 0; i < 500 && port_ == 0; ++i) {
      std::smatch m;
      std::string text = read_file(out);
      if (std::regex_search(text, m, re))
        port_ = std::stoi(m[1]);
      else
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
  }
  ~Server() {
    if (pid_ > 0 && !stopped_) {
      kill(pid_, SIGKILL);
      waitpid(pid_, nullptr, 0);
    }
  }
  int port() const { return port_; }
  pid_t pid() const { return pid_; }
  // SIGTERM; returns the exit code.
  int stop() {
    kill(pid_, SIGTERM);
    int st = 0;
    waitpid(pid_, &st, 0);
    stopped_ = true;
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
  }
  std::string log() const { return read_file(dir_.path() / "serve.err"); }

 private:
  const TempDir& dir_;
  pid_t pid_ = -1;
  int port_ = 0;
  bool stopped_ = false;
};

}  // namespace upsync::testing
