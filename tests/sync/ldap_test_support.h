// What the LDAP suites share (ldap_sync_test.cpp, ldap_delta_test.cpp): their fixtures start a
// throwaway slapd (mdb, syncprov, memberof; tests/scripts/slapd-start.sh) in a temp folder on
// a random port, loaded with kUsers generated users (more than the server's unpaged size limit
// of 500), and stop it by pid.
#pragma once

#include <sys/wait.h>

#include <cstdlib>
#include <string>

namespace upsync::testing {

inline const std::string kScripts = UPSYNC_TEST_SCRIPTS_DIR;
inline constexpr int kUsers = 600;

// Runs `cmd` with the shell; its exit code.
inline int sh(const std::string& cmd) { return WEXITSTATUS(std::system(cmd.c_str())); }

}  // namespace upsync::testing
