// The upsync command line.
//
//   upsync [--data-dir D] [--db URL] [--json] <group> <command> [args]
//
// Exit codes, which scripts can rely on:
//   0  success
//   1  user error: bad input, unknown tenant/property/profile, a conflict, a corrupt or
//      too-new database (the message says what and where; nothing was changed)
//   2  usage error: unknown command or option, missing argument
//   3  internal error: a bug or an environment failure (disk, database I/O)
#pragma once

#include <iosfwd>
#include <string>
#include <vector>

namespace upsync {

enum ExitCode : int {
  kExitOk = 0,
  kExitUserError = 1,
  kExitUsage = 2,
  kExitInternal = 3,
};

// Runs the command line `args` (args[0] is the program name), writing results to `out` and
// messages to `err`. Returns the exit code.
int run_cli(const std::vector<std::string>& args, std::ostream& out, std::ostream& err);

}  // namespace upsync
