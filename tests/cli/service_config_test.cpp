// The configuration file of serve and worker: the shipped example, every mistake refused with
// its line and column, and the real binary reading it (flags winning, SIGTERM stopping).
#include "cli/service_config.h"

#include <gtest/gtest.h>
#include <httplib.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <thread>

#include "http/server_process.h"
#include "test_support.h"

namespace upsync {
namespace {

using testing::binary;
using testing::read_file;
using testing::TempDir;
using testing::write_file;

TEST(ServiceConfigTest, TheShippedExampleParses) {
  auto c = load_service_config(UPSYNC_SOURCE_DIR "/packaging/upsync.toml");
  ASSERT_TRUE(c) << c.status().to_string();
  EXPECT_EQ(c->data_dir, "/var/lib/upsync");
  EXPECT_EQ(c->database, "");
  EXPECT_EQ(c->serve.listen, "127.0.0.1:8080");
  EXPECT_EQ(c->serve.threads, 0);
  EXPECT_EQ(c->serve.worker, false);
  EXPECT_EQ(c->worker.interval, 5.0);
  EXPECT_EQ(c->worker.scheduler, "1");
}

TEST(ServiceConfigTest, ReadsEveryKey) {
  auto c = parse_service_config(R"(
data_dir = "/srv/upsync"
database = "sqlite:/srv/db/upsync.db"
[serve]
listen = "0.0.0.0:8443"
tls_cert = "/etc/upsync/cert.pem"
tls_key = "/etc/upsync/key.pem"
threads = 16
public_hosts = ["a.example.com", "b.example.com:8443"]
worker = true
worker_interval = 2
[worker]
interval = 0.5
scheduler = ""
)",
                                "u.toml");
  ASSERT_TRUE(c) << c.status().to_string();
  EXPECT_EQ(c->database, "sqlite:/srv/db/upsync.db");
  EXPECT_EQ(c->serve.tls_key, "/etc/upsync/key.pem");
  EXPECT_EQ(c->serve.threads, 16);
  EXPECT_EQ(c->serve.public_hosts->size(), 2u);
  EXPECT_EQ(c->serve.worker_interval, 2.0);  // an integer is a number of seconds too
  EXPECT_EQ(c->worker.interval, 0.5);
  EXPECT_EQ(c->worker.scheduler, "");
  auto empty = parse_service_config("", "e.toml");
  ASSERT_TRUE(empty);
  EXPECT_FALSE(empty->serve.listen);
}

TEST(ServiceConfigTest, RefusesMistakesWithTheirLineAndColumn) {
  const std::pair<const char*, const char*> bad[] = {
      {"datadir = \"/x\"", "u.toml: line 1, column 1: unknown key 'datadir'"},
      {"\n[serve]\nlisten = \"x:1\"\nport = 80",
       "u.toml: line 4, column 1: unknown key 'serve.port'"},
      {"[worker]\n  count = 3", "u.toml: line 2, column 3: unknown key 'worker.count'"},
      {"[server]\nlisten = \"x\"", "u.toml: line 1, column 2: unknown key 'server'"},
      {"[serve]\nthreads = \"8\"", "u.toml: line 2, column 11: 'serve.threads' must be an integer"},
      {"[serve]\nthreads = 1000",
       "u.toml: line 2, column 11: 'serve.threads' must be from 0 to 256"},
      {"[serve]\nthreads = -1", "'serve.threads' must be from 0 to 256"},
      {"[serve]\nworker = \"no\"",
       "u.toml: line 2, column 10: 'serve.worker' must be true or false"},
      {"[serve]\nlisten = 8080", "u.toml: line 2, column 10: 'serve.listen' must be a string"},
      {"[serve]\npublic_hosts = \"a.com\"", "'serve.public_hosts' must be a list of strings"},
      {"[serve]\npublic_hosts = [\"a.com\", 3]",
       "line 2, column 26: 'serve.public_hosts' must be a list of strings"},
      {"[worker]\ninterval = 0",
       "u.toml: line 2, column 12: 'worker.interval' must be from 0.05 to 3600 seconds"},
      {"[worker]\ninterval = \"5s\"", "'worker.interval' must be a number of seconds"},
      {"serve = 1", "u.toml: line 1, column 9: 'serve' must be a table ([serve])"},
      {"database = [\"a\"]", "u.toml: line 1, column 12: 'database' must be a string"},
      {"listen = \"127.0.0.1:80\"\n", "u.toml: line 1, column 1: unknown key 'listen'"},
      {"[serve\nlisten = 1", "u.toml: line 1, column"},
      {"data_dir = \"/a\"\ndata_dir = \"/b\"", "u.toml: line 2, column"},
  };
  for (const auto& [text, message] : bad) {
    auto c = parse_service_config(text, "u.toml");
    ASSERT_FALSE(c) << text;
    EXPECT_EQ(c.status().code(), StatusCode::kInvalidArgument);
    EXPECT_NE(c.status().message().find(message), std::string::npos)
        << text << "\n→ " << c.status().message();
  }
  auto missing = load_service_config("/nonexistent/upsync.toml");
  ASSERT_FALSE(missing);
  EXPECT_NE(missing.status().message().find("/nonexistent/upsync.toml"), std::string::npos);
}

// The real binary with a configuration file.
class ServiceConfigProcessTest : public ::testing::Test {
 protected:
  pid_t start(const std::vector<std::string>& args) {
    const std::string out = dir_.str() + "/out", err = dir_.str() + "/err";
    // A previous run's output must not be read as this one's.
    std::filesystem::remove(out);
    std::filesystem::remove(err);
    pid_t pid = fork();
    if (pid == 0) {
      if (!freopen(out.c_str(), "w", stdout) || !freopen(err.c_str(), "w", stderr)) _exit(126);
      std::vector<std::string> all = {binary()};
      all.insert(all.end(), args.begin(), args.end());
      std::vector<char*> argv;
      for (auto& a : all) argv.push_back(a.data());
      argv.push_back(nullptr);
      execv(argv[0], argv.data());
      _exit(127);
    }
    return pid;
  }
  bool wait_for(const std::string& file, const std::string& text) {
    for (int i = 0; i < 1000; ++i) {
      if (read_file(dir_.path() / file).find(text) != std::string::npos) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    return false;
  }
  int stop(pid_t pid) {
    kill(pid, SIGTERM);
    int st = 0;
    waitpid(pid, &st, 0);
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
  }
  std::string config(const std::string& body) {
    const std::string path = dir_.str() + "/upsync.toml";
    write_file(path, "data_dir = \"" + dir_.str() + "/data\"\n" + body);
    return path;
  }
  TempDir dir_;
};

TEST_F(ServiceConfigProcessTest, ServeTakesTheFileAndFlagsWin) {
  ASSERT_EQ(testing::run({"--data-dir", dir_.str() + "/data", "tenant", "create", "contoso"}), 0);
  const int port = testing::free_port();
  const std::string file =
      config("[serve]\nlisten = \"127.0.0.1:" + std::to_string(port) + "\"\nworker = false\n");
  pid_t pid = start({"serve", "--config", file});
  ASSERT_TRUE(wait_for("out", "listening on http://127.0.0.1:" + std::to_string(port)))
      << read_file(dir_.path() / "err");
  httplib::Client c("127.0.0.1", port);
  auto r = c.Get("/healthz");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(stop(pid), 0);
  // --listen on the command line wins over the file's.
  pid = start({"serve", "--config", file, "--listen", "127.0.0.1:0"});
  ASSERT_TRUE(wait_for("out", "listening on http://127.0.0.1:"));
  EXPECT_EQ(read_file(dir_.path() / "out").find(":" + std::to_string(port)), std::string::npos);
  EXPECT_EQ(stop(pid), 0);
}

TEST_F(ServiceConfigProcessTest, ABadFileStopsServeAndWorkerBeforeAnythingRuns) {
  const std::string file = config("[serve]\nthreds = 4\n");
  for (const char* cmd : {"serve", "worker"}) {
    pid_t pid = start({cmd, "--config", file});
    int st = 0;
    waitpid(pid, &st, 0);
    EXPECT_TRUE(WIFEXITED(st) && WEXITSTATUS(st) == 1) << cmd;
    const std::string err = read_file(dir_.path() / "err");
    EXPECT_NE(err.find(file + ": line 3, column 1: unknown key 'serve.threds'"), std::string::npos)
        << err;
  }
  EXPECT_FALSE(std::filesystem::exists(dir_.path() / "data"));
}

TEST_F(ServiceConfigProcessTest, WorkerRunsQueuedImportsUntilSigterm) {
  const std::string data = dir_.str() + "/data";
  ASSERT_EQ(testing::run({"--data-dir", data, "tenant", "create", "contoso"}), 0);
  ASSERT_EQ(
      testing::run({"--data-dir", data, "profile", "create", "-t", "contoso",
                    "i:0#.f|membership|bob@contoso.com", "--set", "WorkEmail=bob@contoso.com"}),
      0);
  ASSERT_EQ(testing::run({"--data-dir", data, "property", "add", "-t", "contoso", "CostCenter"}),
            0);
  write_file(dir_.path() / "u.json", R"({"value":[{"IdName":"bob@contoso.com","CC":"4711"}]})");
  const std::string src = "/sites/hr/Shared Documents/u.json";
  ASSERT_EQ(testing::run(
                {"--data-dir", data, "file", "put", "-t", "contoso", dir_.str() + "/u.json", src}),
            0);
  ASSERT_EQ(
      testing::run({"--data-dir", data, "import", "queue", "-t", "contoso", "--id-type", "Email",
                    "--id-property", "IdName", "--map", "CC=CostCenter", "--source", src}),
      0);
  const std::string file = config("[worker]\ninterval = 0.1\nscheduler = \"1\"\n");
  pid_t pid = start({"worker", "--config", file, "--name", "2"});
  ASSERT_TRUE(wait_for("out", "Succeeded")) << read_file(dir_.path() / "err");
  EXPECT_EQ(stop(pid), 0);
  const std::string err = read_file(dir_.path() / "err");
  EXPECT_NE(err.find("upsync worker 2: running queued imports (polling every 0.1 s) on"),
            std::string::npos)
      << err;
  EXPECT_EQ(err.find("scheduled syncs"), std::string::npos) << "only worker 1 runs them";
  EXPECT_NE(err.find("upsync worker 2: stopping on signal 15"), std::string::npos) << err;
  EXPECT_NE(testing::run_output(
                {"--data-dir", data, "profile", "get", "-t", "contoso", "bob@contoso.com"})
                .find("4711"),
            std::string::npos);
  pid = start({"worker", "--config", file, "--name", "1"});
  ASSERT_TRUE(wait_for("err", "and scheduled syncs"));
  EXPECT_EQ(stop(pid), 0);
}

}  // namespace
}  // namespace upsync
