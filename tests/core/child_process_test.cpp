// ChildProcess (core/child_process.h): arguments passed as given, environment added for the
// child alone, output through a pipe, and failures named with the end of the child's stderr.
#include "core/child_process.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdlib>
#include <string>

namespace upsync {
namespace {

ChildProcess::Spec shell(std::string script, int stdout_fd = ChildProcess::kPipe) {
  return {.program = "sh",
          .args = {"-c", std::move(script), "sh", "a b", "'quoted' $HOME"},
          .env = {{"UPSYNC_CHILD_SECRET", "s3cret value"}},
          .stdin_fd = ChildProcess::kNull,
          .stdout_fd = stdout_fd};
}

TEST(ChildProcessTest, ArgumentsAndEnvironmentReachTheChildAsGiven) {
  auto child =
      ChildProcess::start(shell("printf '%s|%s|%s' \"$1\" \"$2\" \"$UPSYNC_CHILD_SECRET\""));
  ASSERT_TRUE(child) << child.status().to_string();
  std::string out;
  EXPECT_TRUE(child->read_output([&](std::string_view piece) { out += piece; }));
  EXPECT_EQ(out, "a b|'quoted' $HOME|s3cret value");
  // The variable was the child's alone.
  EXPECT_EQ(std::getenv("UPSYNC_CHILD_SECRET"), nullptr);
}

TEST(ChildProcessTest, AFailureNamesTheProgramHowItEndedAndTheEndOfItsStderr) {
  auto child = ChildProcess::start(
      shell("i=0; while [ $i -lt 2000 ]; do echo \"noise $i\" >&2; i=$((i+1)); done; "
            "echo 'the last words' >&2; exit 3"));
  ASSERT_TRUE(child) << child.status().to_string();
  Status s = child->wait();
  EXPECT_EQ(s.code(), StatusCode::kUnavailable);
  EXPECT_NE(s.message().find("sh exited with 3: "), std::string::npos) << s.to_string();
  EXPECT_NE(s.message().find("the last words"), std::string::npos) << s.to_string();
  EXPECT_EQ(s.message().find("noise 0 "), std::string::npos);  // only the end is kept
  EXPECT_LE(s.message().size(), ChildProcess::kKeptErrorBytes + 64);

  auto killed = ChildProcess::start(shell("kill -9 $$"));
  ASSERT_TRUE(killed);
  EXPECT_NE(killed->wait().message().find("was killed by signal 9"), std::string::npos);
}

TEST(ChildProcessTest, AMissingProgramIsAnErrorNotACrash) {
  auto child = ChildProcess::start({.program = "upsync-no-such-program",
                                    .args = {},
                                    .env = {},
                                    .stdin_fd = ChildProcess::kNull,
                                    .stdout_fd = ChildProcess::kNull});
  ASSERT_FALSE(child);
  EXPECT_NE(child.status().message().find("cannot run upsync-no-such-program"), std::string::npos)
      << child.status().to_string();
}

TEST(ChildProcessTest, AChildNotWaitedForIsKilledAndReaped) {
  pid_t pid = -1;
  {
    auto child = ChildProcess::start(shell("echo $$; exec sleep 600"));
    ASSERT_TRUE(child);
    std::string line;
    char c;
    while (::read(child->stdout_pipe().get(), &c, 1) == 1 && c != '\n') line += c;
    pid = std::stoi(line);
    EXPECT_EQ(::kill(pid, 0), 0);
  }
  EXPECT_NE(::kill(pid, 0), 0);  // gone, and reaped (no zombie answers)
}

}  // namespace
}  // namespace upsync
