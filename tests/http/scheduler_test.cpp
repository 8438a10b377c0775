// The sync scheduler inside the real `upsync serve`: a tenant scheduled every second gets a
// cloud directory change into its profiles without anyone running the sync.
#include <gtest/gtest.h>
#include <httplib.h>

#include <nlohmann/json.hpp>

#include "http/server_process.h"
#include "test_support.h"

namespace upsync {
namespace {

using testing::run;
using testing::Server;
using testing::TempDir;

std::string cli(const TempDir& dir, const std::string& args) {
  std::string out = dir.str() + "/out.txt";
  std::string cmd =
      testing::binary() + " --data-dir " + dir.str() + "/data " + args + " > " + out + " 2>&1";
  std::system(cmd.c_str());
  return testing::read_file(out);
}

TEST(SchedulerTest, ScheduledTenantsSyncWhileTheServerRuns) {
  TempDir dir;
  const std::string data = dir.str() + "/data";
  ASSERT_EQ(run({"--data-dir", data, "tenant", "create", "contoso"}), 0);
  ASSERT_EQ(run({"--data-dir", data, "tenant", "create", "quiet"}), 0);
  EXPECT_EQ(cli(dir, "sync schedule -t contoso --every 1"),
            "tenant 'contoso' syncs every 1 seconds while upsync serve runs\n");
  EXPECT_NE(cli(dir, "sync schedule -t contoso --every 0").find("from 1 second to 7 days"),
            std::string::npos);
  Server srv(dir);
  ASSERT_GT(srv.port(), 0);
  ASSERT_EQ(
      run({"--data-dir", data, "directory", "user", "add", "-t", "contoso", "megan@contoso.com"}),
      0);
  ASSERT_EQ(
      run({"--data-dir", data, "directory", "user", "add", "-t", "quiet", "nobody@quiet.com"}), 0);
  bool synced = false;
  for (int i = 0; i < 100 && !synced; ++i) {
    synced = run({"--data-dir", data, "profile", "get", "-t", "contoso", "megan@contoso.com"}) == 0;
    if (!synced) std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  EXPECT_TRUE(synced) << "the scheduler did not sync the new user";
  // The unscheduled tenant was left alone.
  EXPECT_NE(run({"--data-dir", data, "profile", "get", "-t", "quiet", "nobody@quiet.com"}), 0);
  auto runs = nlohmann::json::parse(cli(dir, "--json sync status -t contoso"));
  ASSERT_FALSE(runs.empty());
  EXPECT_EQ(runs[0]["trigger"], "scheduler");
  httplib::Client http("127.0.0.1", srv.port());
  auto m = http.Get("/metrics");
  ASSERT_TRUE(m);
  EXPECT_NE(m->body.find("upsync_sync_runs_total{status=\"succeeded\"}"), std::string::npos);
  EXPECT_EQ(srv.stop(), 0);

  EXPECT_EQ(cli(dir, "sync schedule -t contoso --off"), "tenant 'contoso' has no scheduled sync\n");
}

}  // namespace
}  // namespace upsync
