#include "core/child_process.h"

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <map>

extern char** environ;

namespace upsync {

namespace {

std::string errno_text(const std::string& what, int err) {
  return what + ": " + std::strerror(err);
}

// The end of what the child wrote to its standard error (a memory file: it never fills up as a
// pipe would while the caller reads the child's output), trimmed.
std::string error_tail(int fd) {
  struct stat st {};
  if (fd < 0 || fstat(fd, &st) != 0 || st.st_size == 0) return "";
  const off_t size = st.st_size;
  const off_t from = size > static_cast<off_t>(ChildProcess::kKeptErrorBytes)
                         ? size - static_cast<off_t>(ChildProcess::kKeptErrorBytes)
                         : 0;
  std::string text(static_cast<size_t>(size - from), '\0');
  const ssize_t n = pread(fd, text.data(), text.size(), from);
  text.resize(n > 0 ? static_cast<size_t>(n) : 0);
  while (!text.empty() && (text.back() == '\n' || text.back() == ' ')) text.pop_back();
  for (char& c : text) {
    if (c == '\n') c = ' ';
  }
  return text;
}

}  // namespace

Result<ChildProcess> ChildProcess::start(const Spec& spec) {
  UniqueFd err(memfd_create("child-stderr", MFD_CLOEXEC));
  if (!err.valid()) return unavailable(errno_text("memfd_create", errno));
  UniqueFd devnull(::open("/dev/null", O_RDWR | O_CLOEXEC));
  if (!devnull.valid()) return unavailable(errno_text("opening /dev/null", errno));
  UniqueFd in_mine, in_theirs, out_mine, out_theirs;
  if (spec.stdin_fd == kPipe) {
    int p[2];
    if (pipe2(p, O_CLOEXEC) != 0) return unavailable(errno_text("pipe", errno));
    in_theirs.reset(p[0]);
    in_mine.reset(p[1]);
  }
  if (spec.stdout_fd == kPipe) {
    int p[2];
    if (pipe2(p, O_CLOEXEC) != 0) return unavailable(errno_text("pipe", errno));
    out_mine.reset(p[0]);
    out_theirs.reset(p[1]);
  }
  auto source = [&](int wanted, const UniqueFd& piped) {
    if (wanted == kPipe) return piped.get();
    if (wanted == kNull) return devnull.get();
    return wanted;  // a descriptor of the caller's, or kInherit
  };

  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  const int in_fd = source(spec.stdin_fd, in_theirs);
  const int out_fd = source(spec.stdout_fd, out_theirs);
  if (in_fd >= 0) posix_spawn_file_actions_adddup2(&actions, in_fd, STDIN_FILENO);
  if (out_fd >= 0) posix_spawn_file_actions_adddup2(&actions, out_fd, STDOUT_FILENO);
  posix_spawn_file_actions_adddup2(&actions, err.get(), STDERR_FILENO);

  std::map<std::string, std::string> env;
  for (char** e = environ; e && *e; ++e) {
    std::string_view entry(*e);
    const size_t eq = entry.find('=');
    if (eq == std::string_view::npos) continue;
    env[std::string(entry.substr(0, eq))] = std::string(entry.substr(eq + 1));
  }
  for (const auto& [k, v] : spec.env) env[k] = v;
  std::vector<std::string> env_text;
  env_text.reserve(env.size());
  for (const auto& [k, v] : env) env_text.push_back(k + "=" + v);
  std::vector<char*> envp;
  for (auto& e : env_text) envp.push_back(e.data());
  envp.push_back(nullptr);
  std::vector<std::string> argv_text{spec.program};
  argv_text.insert(argv_text.end(), spec.args.begin(), spec.args.end());
  std::vector<char*> argv;
  for (auto& a : argv_text) argv.push_back(a.data());
  argv.push_back(nullptr);

  pid_t pid = -1;
  const int rc =
      posix_spawnp(&pid, spec.program.c_str(), &actions, nullptr, argv.data(), envp.data());
  posix_spawn_file_actions_destroy(&actions);
  if (rc != 0) {
    return unavailable(errno_text("cannot run " + spec.program, rc) +
                       (rc == ENOENT ? " (is it installed and in PATH?)" : ""));
  }
  return ChildProcess(spec.program, pid, std::move(in_mine), std::move(out_mine), std::move(err));
}

ChildProcess::ChildProcess(ChildProcess&& o) noexcept
    : program_(std::move(o.program_)),
      pid_(std::exchange(o.pid_, -1)),
      stdin_(std::move(o.stdin_)),
      stdout_(std::move(o.stdout_)),
      stderr_(std::move(o.stderr_)) {}

ChildProcess::~ChildProcess() {
  if (pid_ <= 0) return;
  ::kill(pid_, SIGKILL);
  int status = 0;
  while (waitpid(pid_, &status, 0) < 0 && errno == EINTR) {
  }
}

Status ChildProcess::read_output(const std::function<void(std::string_view)>& sink) {
  char buf[65536];
  while (stdout_.valid()) {
    const ssize_t n = ::read(stdout_.get(), buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return unavailable(errno_text("reading what " + program_ + " wrote", errno));
    if (n == 0) break;
    sink(std::string_view(buf, static_cast<size_t>(n)));
  }
  return wait();
}

Status ChildProcess::wait() {
  stdin_.reset();
  stdout_.reset();
  if (pid_ <= 0) return failed_precondition(program_ + " was waited for already");
  int status = 0;
  pid_t r;
  while ((r = waitpid(pid_, &status, 0)) < 0 && errno == EINTR) {
  }
  pid_ = -1;
  if (r < 0) return unavailable(errno_text("waiting for " + program_, errno));
  if (WIFEXITED(status) && WEXITSTATUS(status) == 0) return Status::ok();
  std::string how = WIFEXITED(status) ? "exited with " + std::to_string(WEXITSTATUS(status))
                                      : "was killed by signal " + std::to_string(WTERMSIG(status));
  const std::string said = error_tail(stderr_.get());
  return unavailable(program_ + " " + how + (said.empty() ? "" : ": " + said));
}

}  // namespace upsync
