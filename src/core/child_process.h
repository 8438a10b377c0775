// Runs another program (pg_dump, pg_restore) and waits for it: no shell, arguments as given,
// environment variables added for the child alone (a password never goes on its command line,
// where any user could read it in /proc), its standard input and output on files or pipes of
// the caller's choosing, and the end of its standard error kept for the message when it fails.
//
//   ChildProcess::Spec spec{.program = "pg_dump", .args = {"--format=custom"},
//                           .env = {{"PGPASSWORD", password}}, .stdout_fd = out.get()};
//   UPSYNC_ASSIGN_OR_RETURN(ChildProcess child, ChildProcess::start(spec));
//   UPSYNC_RETURN_IF_ERROR(child.wait());  // Unavailable naming the program and its stderr
//
// With .stdout_fd = ChildProcess::kPipe, child.read_output(sink) hands the output to `sink` and
// then waits.
#pragma once

#include <sys/types.h>

#include <functional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/status.h"
#include "core/unique_fd.h"

namespace upsync {

class ChildProcess {
 public:
  // Where a standard stream goes: a descriptor of the caller's, kInherit, kNull (/dev/null) or
  // kPipe (a pipe whose other end the caller reads or writes).
  static constexpr int kInherit = -1;
  static constexpr int kPipe = -2;
  static constexpr int kNull = -3;

  struct Spec {
    std::string program;  // looked up in PATH
    std::vector<std::string> args;
    std::vector<std::pair<std::string, std::string>> env;  // added to (or replacing) ours
    int stdin_fd = kNull;
    int stdout_fd = kNull;
  };

  static Result<ChildProcess> start(const Spec& spec);
  ChildProcess(ChildProcess&& o) noexcept;
  ChildProcess& operator=(ChildProcess&&) = delete;
  ~ChildProcess();  // a child not waited for is killed and reaped

  // The caller's ends of kPipe streams (invalid otherwise).
  UniqueFd& stdin_pipe() { return stdin_; }
  UniqueFd& stdout_pipe() { return stdout_; }

  // Hands everything the child writes to its standard output (a kPipe) to `sink`, piece by
  // piece, until it closes it; then wait().
  Status read_output(const std::function<void(std::string_view)>& sink);

  // Waits for the end (closing the caller's pipe ends first). OK when it exited with 0;
  // Unavailable otherwise, with the program, how it ended and the last lines it wrote to its
  // standard error (at most kKeptErrorBytes).
  Status wait();
  static constexpr size_t kKeptErrorBytes = 4096;

 private:
  ChildProcess(std::string program, pid_t pid, UniqueFd in, UniqueFd out, UniqueFd err)
      : program_(std::move(program)),
        pid_(pid),
        stdin_(std::move(in)),
        stdout_(std::move(out)),
        stderr_(std::move(err)) {}

  std::string program_;
  pid_t pid_ = -1;
  UniqueFd stdin_, stdout_, stderr_;
};

}  // namespace upsync
