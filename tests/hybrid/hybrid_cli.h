// What the hybrid tests share: the CLI run with its exit code, stdout and stderr, and a
// server tenant and an online tenant with the same people.
#pragma once

#include <sys/wait.h>

#include <cstdlib>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "http/server_process.h"
#include "test_support.h"

namespace upsync::testing {

struct CliRun {
  int code = -1;
  std::string out, err;
};

// Runs the CLI with `args`; stdout and stderr kept apart.
inline CliRun run_cli(const TempDir& dir, const std::vector<std::string>& args) {
  const std::string out = dir.str() + "/cli.out";
  const std::string err = dir.str() + "/cli.err";
  std::string cmd = shell_command(args) + " >'" + out + "' 2>'" + err + "' </dev/null";
  CliRun r;
  r.code = WEXITSTATUS(std::system(cmd.c_str()));
  r.out = read_file(out);
  r.err = read_file(err);
  return r;
}

// A profile with a UPN (what the push resolves by default) in `data`'s tenant.
inline void add_person(const std::string& data, const std::string& tenant, const std::string& upn) {
  ASSERT_EQ(run({"--data-dir", data, "profile", "create", "-t", tenant, "i:0#.f|membership|" + upn,
                 "--set", "SPS-UserPrincipalName=" + upn, "--set", "WorkEmail=" + upn}),
            0)
      << upn;
}

// The first value of `property` in `upn`'s profile of `data`'s tenant ("" when none).
inline std::string value_of(const std::string& data, const std::string& tenant,
                            const std::string& upn, const std::string& property) {
  auto j = nlohmann::json::parse(
      run_output({"--data-dir", data, "--json", "profile", "get", "-t", tenant, upn}), nullptr,
      false);
  if (j.is_discarded()) return "<no profile>";
  const nlohmann::json* props = j.contains("properties") ? &j["properties"] : &j;
  auto it = props->find(property);
  if (it == props->end()) return "";
  if (it->is_array()) return it->empty() ? "" : (*it)[0].get<std::string>();
  return it->is_string() ? it->get<std::string>() : it->dump();
}

}  // namespace upsync::testing
