// A throwaway PostgreSQL 15 server for the tests, and a fresh empty database for each test.
//
// Under ctest the server is shared by the whole run (the fixture "postgres" in
// tests/CMakeLists.txt starts it with tests/store/pg_shared_server.sh and sets
// UPSYNC_PG_SHARED to the file naming its folder): a process makes its databases there, named
// after its pid, and drops them at exit. A test binary run alone starts its own server, the
// first time a test asks for a database.
//
//   auto url = PgTestServer::fresh_database_url();   // postgresql:///t3?host=/tmp/...&port=...
//
// The server runs in a temp folder (initdb, its own socket folder and a free port, no fsync);
// as root it runs as the 'postgres' user, which initdb and postgres require. It is stopped by
// its pid when the process exits: by an atexit handler, and, should the process crash or be
// killed, by a small guardian process that waits on a pipe the test process holds open.
// Binaries come from /usr/lib/postgresql/15/bin, or from UPSYNC_PG_BIN.
#pragma once

#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <string>
#include <string_view>

#include "core/status.h"
#include "store/postgres/pg_db.h"
#include "test_support.h"

namespace upsync::testing {

// SQL that undoes PostgreSQL's own schema versions (pg_schema.cpp): puts back the tenants'
// foreign keys of the tables filled in bulk that version 8 removed, and drops the change
// feed's runs of version 9; for a test that rewinds a database to an older version.
inline constexpr std::string_view kPgSchemaBeforeItsOwnVersions =
    "DROP TABLE change_feed_runs; "
    "ALTER TABLE profiles ADD FOREIGN KEY (tenant_id) REFERENCES tenants(id); "
    "ALTER TABLE directory_users ADD FOREIGN KEY (tenant_id) REFERENCES tenants(id); "
    "ALTER TABLE directory_groups ADD FOREIGN KEY (tenant_id) REFERENCES tenants(id); "
    "ALTER TABLE people_search_entries ADD FOREIGN KEY (tenant_id) REFERENCES tenants(id); "
    "ALTER TABLE site_users ADD FOREIGN KEY (tenant_id) REFERENCES tenants(id); ";

class PgTestServer {
 public:
  // A new, empty database on the process's server (started on first use).
  static Result<std::string> fresh_database_url() {
    UPSYNC_ASSIGN_OR_RETURN(PgTestServer * server, instance());
    return server->create_database();
  }

  // The URL of database `db` on the process's server.
  static Result<std::string> url_of(const std::string& db) {
    UPSYNC_ASSIGN_OR_RETURN(PgTestServer * server, instance());
    return server->url(db);
  }

  // The server's TCP port and socket folder, for tests that build URLs of their own.
  static Result<std::pair<std::string, int>> socket_and_port() {
    UPSYNC_ASSIGN_OR_RETURN(PgTestServer * server, instance());
    return std::make_pair(server->dir_, server->port_);
  }

 private:
  static Result<PgTestServer*> instance() {
    static std::mutex mu;
    static PgTestServer* server = nullptr;
    static Status failed;
    std::lock_guard lock(mu);
    if (server) return server;
    if (!failed.is_ok()) return failed;
    auto* s = new PgTestServer();  // lives until exit, stopped by stop_at_exit
    Status started = s->use_shared() ? Status::ok() : s->start();
    if (!started.is_ok()) {
      failed = started;
      return failed;
    }
    server = s;
    return server;
  }

  std::string url(const std::string& db) const {
    return "postgresql:///" + db + "?host=" + dir_ + "&port=" + std::to_string(port_) +
           "&user=upsync";
  }

  Result<std::string> create_database() {
    std::lock_guard lock(mu_);
    if (!admin_) {
      UPSYNC_ASSIGN_OR_RETURN(admin_, PgDb::connect(url("postgres"), "the test server"));
    }
    // Named after the pid: processes share the run's server.
    const std::string name = "t" + std::to_string(getpid()) + "_" + std::to_string(++databases_);
    UPSYNC_RETURN_IF_ERROR(admin_->exec("CREATE DATABASE " + name));
    return url(name);
  }

  // The run's server named by UPSYNC_PG_SHARED, when it is there and answers; false sends the
  // process to start its own (a pointer left by a dead run, or a binary run outside ctest).
  bool use_shared() {
    const char* pointer = std::getenv("UPSYNC_PG_SHARED");
    if (!pointer) return false;
    std::ifstream in(pointer);
    std::string dir;
    if (!(in >> dir) || !std::filesystem::exists(dir + "/.s.PGSQL.5432")) return false;
    dir_ = dir;
    port_ = 5432;
    auto admin = PgDb::connect(url("postgres"), "the test server");
    if (!admin) return false;
    admin_ = std::move(*admin);
    shared_ = true;
    current_ = this;
    std::atexit(&PgTestServer::stop_at_exit);
    return true;
  }

  static std::string as_server_user(const std::string& command) {
    return geteuid() == 0 ? "runuser -u postgres -- " + command : command;
  }

  Status start() {
    const char* bin_env = std::getenv("UPSYNC_PG_BIN");
    const std::string bin = bin_env ? bin_env : "/usr/lib/postgresql/15/bin";
    if (!std::filesystem::exists(bin + "/initdb")) {
      return failed_precondition("no PostgreSQL server at " + bin +
                                 " (scripts/setup.sh --test installs postgresql-15, or set "
                                 "UPSYNC_PG_BIN)");
    }
    char dir_template[] = "/tmp/upsync-pg-XXXXXX";
    if (!mkdtemp(dir_template)) return unavailable("cannot create a folder for PostgreSQL");
    dir_ = dir_template;
    chmod(dir_.c_str(), 0755);
    if (geteuid() == 0 && std::system(("chown postgres: " + dir_ + " 2>/dev/null").c_str()) != 0) {
      return unavailable("cannot give " + dir_ + " to the postgres user");
    }
    port_ = free_port();
    const std::string data = dir_ + "/data";
    if (std::system(as_server_user(bin + "/initdb -D " + data +
                                   " -U upsync -A trust -E UTF8 --locale=C.UTF-8 --no-sync > " +
                                   dir_ + "/initdb.log 2>&1")
                        .c_str()) != 0) {
      return unavailable("initdb failed: " + read_file(dir_ + "/initdb.log"));
    }
    {
      // Throwaway tuning: no durability, loopback only, room for the concurrency tests.
      std::ofstream conf(data + "/postgresql.conf", std::ios::app);
      conf << "listen_addresses = '127.0.0.1'\nport = " << port_ << "\nunix_socket_directories = '"
           << dir_
           << "'\nfsync = off\nsynchronous_commit = off\nfull_page_writes = off\n"
              "max_connections = 100\nshared_buffers = 64MB\n";
    }
    if (std::system(as_server_user(bin + "/pg_ctl -D " + data + " -l " + dir_ +
                                   "/server.log -w -t 60 start > /dev/null 2>&1")
                        .c_str()) != 0) {
      return unavailable("PostgreSQL did not start: " + read_file(dir_ + "/server.log"));
    }
    std::ifstream pidfile(data + "/postmaster.pid");
    pidfile >> pid_;
    if (pid_ <= 0) return unavailable("PostgreSQL started without a pid file in " + data);
    start_guardian();
    std::atexit(&PgTestServer::stop_at_exit);
    return Status::ok();
  }

  // A child that stops the server when the pipe from this process closes: at exit, or when
  // the process dies however it dies. A shell (exec'd at once, as the process may have
  // threads): fast shutdown (SIGINT) by pid, SIGKILL after 20 s, then the folder goes.
  void start_guardian() {
    const std::string pid = std::to_string(pid_);
    const std::string script = "read x; kill -INT " + pid + " 2>/dev/null; i=0; while kill -0 " +
                               pid + " 2>/dev/null && [ $i -lt 200 ]; do sleep 0.1; " +
                               "i=$((i+1)); done; kill -KILL " + pid + " 2>/dev/null; rm -rf " +
                               dir_;
    int fds[2];
    if (pipe(fds) != 0) return;
    const pid_t child = fork();
    if (child == 0) {
      dup2(fds[0], 0);
      const int null = open("/dev/null", O_RDWR);
      dup2(null, 1);
      dup2(null, 2);
      close(fds[1]);
      execl("/bin/sh", "sh", "-c", script.c_str(), static_cast<char*>(nullptr));
      _exit(127);
    }
    close(fds[0]);
    fcntl(fds[1], F_SETFD, FD_CLOEXEC);  // the upsync processes the tests start do not hold it
    guardian_ = child;
    guardian_pipe_ = fds[1];
    current_ = this;
  }

  static void stop_at_exit() {
    if (!current_) return;
    if (current_->shared_) {
      // The run's server stays; this process's databases go, whoever still holds them.
      std::lock_guard lock(current_->mu_);
      for (int i = 1; i <= current_->databases_; ++i) {
        const std::string name = "t" + std::to_string(getpid()) + "_" + std::to_string(i);
        Status dropped =
            current_->admin_->exec("DROP DATABASE IF EXISTS " + name + " WITH (FORCE)");
        if (!dropped.is_ok()) std::fprintf(stderr, "%s\n", dropped.to_string().c_str());
      }
      current_->admin_.reset();
      return;
    }
    current_->admin_.reset();
    close(current_->guardian_pipe_);
    int status = 0;
    waitpid(current_->guardian_, &status, 0);
  }

  static inline PgTestServer* current_ = nullptr;
  std::string dir_;
  int port_ = 0;
  pid_t pid_ = 0;
  pid_t guardian_ = 0;
  int guardian_pipe_ = -1;
  std::mutex mu_;
  std::unique_ptr<PgDb> admin_;
  int databases_ = 0;
  bool shared_ = false;
};

}  // namespace upsync::testing
