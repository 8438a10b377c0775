// Starts the real `upsync serve` on a free port and talks to it over HTTP.
#include <gtest/gtest.h>
#include <httplib.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <nlohmann/json.hpp>
#include <regex>
#include <string>
#include <thread>
#include <vector>

#include "http/server_process.h"
#include "test_support.h"

namespace upsync {
namespace {

using upsync::testing::read_file;
using upsync::testing::run;
using upsync::testing::Server;
using upsync::testing::TempDir;

class ServeTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_EQ(run({"--data-dir", dir_.str() + "/data", "tenant", "create", "contoso"}), 0);
  }
  TempDir dir_;
};

TEST_F(ServeTest, HealthzMetricsAndGracefulStop) {
  Server srv(dir_);
  ASSERT_GT(srv.port(), 0);
  httplib::Client cli("127.0.0.1", srv.port());
  // Requests are counted after their answer is written; on one kept-alive connection the
  // server counts the first request before it reads the second.
  cli.set_keep_alive(true);
  auto r = cli.Get("/healthz");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(nlohmann::json::parse(r->body)["status"], "ok");

  auto m = cli.Get("/metrics");
  ASSERT_TRUE(m);
  EXPECT_EQ(m->status, 200);
  EXPECT_NE(m->body.find("upsync_http_requests_total{code=\"200\"} 1"), std::string::npos)
      << m->body;
  EXPECT_NE(m->body.find("upsync_up 1"), std::string::npos);

  EXPECT_EQ(srv.stop(), 0);
  std::string log = srv.log();
  EXPECT_NE(log.find(R"("method":"GET","target":"/healthz","status":200)"), std::string::npos)
      << log;
  EXPECT_NE(log.find("stopping on signal"), std::string::npos) << log;
}

TEST_F(ServeTest, UnknownRoutesAndTenantsGetErrorsInTheirSurfacesShape) {
  Server srv(dir_);
  ASSERT_GT(srv.port(), 0);
  httplib::Client cli("127.0.0.1", srv.port());

  auto r = cli.Get("/nothing/here");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 404);
  auto j = nlohmann::json::parse(r->body);
  EXPECT_EQ(j["error"]["code"], "NotFound");
  EXPECT_EQ(j["error"]["message"], "Cannot find resource for the request /nothing/here.");

  r = cli.Get("/tenants/fabrikam/admin/v1/me");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 404);
  j = nlohmann::json::parse(r->body);
  EXPECT_EQ(j["error"]["message"], "No tenant named 'fabrikam'.");

  r = cli.Get("/tenants/contoso/_api/unknown");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 404);
  j = nlohmann::json::parse(r->body);
  EXPECT_EQ(j["odata.error"]["message"]["value"],
            "Cannot find resource for the request /tenants/contoso/_api/unknown.");
  EXPECT_EQ(srv.stop(), 0);
}

TEST_F(ServeTest, ConcurrentClientsEachFindTheTenant) {
  Server srv(dir_, {"--threads", "4"});
  ASSERT_GT(srv.port(), 0);
  std::atomic<int> found{0};
  std::vector<std::thread> clients;
  for (int t = 0; t < 4; ++t) {
    clients.emplace_back([&] {
      httplib::Client cli("127.0.0.1", srv.port());
      for (int i = 0; i < 25; ++i) {
        auto r = cli.Get("/tenants/contoso/x");
        if (r && r->status == 404 &&
            r->body.find("Cannot find resource for the request /tenants/contoso/x.") !=
                std::string::npos) {
          ++found;
        }
      }
    });
  }
  for (auto& c : clients) c.join();
  EXPECT_EQ(found.load(), 100);
  EXPECT_EQ(srv.stop(), 0);
}

TEST_F(ServeTest, OversizedBodyGets413) {
  Server srv(dir_, {"--max-body", "1024"});
  ASSERT_GT(srv.port(), 0);
  httplib::Client cli("127.0.0.1", srv.port());
  auto r =
      cli.Post("/tenants/contoso/_api/contextinfo", std::string(4096, 'x'), "application/json");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 413);
  EXPECT_TRUE(nlohmann::json::parse(r->body).contains("odata.error")) << r->body;
  EXPECT_EQ(srv.stop(), 0);
}

TEST_F(ServeTest, ServesHttpsWithTheGivenCertificate) {
  std::string cert = dir_.str() + "/cert.pem";
  std::string key = dir_.str() + "/key.pem";
  std::string cmd =
      "openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=localhost "
      "-addext subjectAltName=IP:127.0.0.1,DNS:localhost -keyout '" +
      key + "' -out '" + cert + "' >/dev/null 2>&1";
  ASSERT_EQ(std::system(cmd.c_str()), 0);
  Server srv(dir_, {"--tls-cert", cert, "--tls-key", key});
  ASSERT_GT(srv.port(), 0);
  httplib::SSLClient cli("127.0.0.1", srv.port());
  cli.set_ca_cert_path(cert.c_str());
  cli.enable_server_certificate_verification(true);
  auto r = cli.Get("/healthz");
  ASSERT_TRUE(r) << httplib::to_string(r.error());
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(nlohmann::json::parse(r->body)["status"], "ok");
  EXPECT_EQ(srv.stop(), 0);
}

TEST_F(ServeTest, ServesHttpsWithASelfSignedCertificate) {
  Server srv(dir_, {"--tls-self-signed"});
  ASSERT_GT(srv.port(), 0);
  std::string cert = dir_.str() + "/data/tls/self-signed-cert.pem";
  httplib::SSLClient cli("127.0.0.1", srv.port());
  cli.set_ca_cert_path(cert.c_str());
  cli.enable_server_certificate_verification(true);
  auto r = cli.Get("/healthz");
  ASSERT_TRUE(r) << httplib::to_string(r.error());
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(srv.stop(), 0);
}

TEST_F(ServeTest, BadListenAndMissingDataAreUserErrors) {
  EXPECT_EQ(run({"--data-dir", dir_.str() + "/data", "serve", "--listen", "127.0.0.1"}), 1);
  EXPECT_EQ(run({"--data-dir", dir_.str() + "/data", "serve", "--listen", "127.0.0.1:99999"}), 1);
  EXPECT_EQ(run({"--data-dir", dir_.str() + "/none", "serve", "--listen", "127.0.0.1:0"}), 1);
  EXPECT_EQ(run({"--data-dir", dir_.str() + "/data", "serve", "--listen", "127.0.0.1:0",
                 "--tls-cert", "/nonexistent.pem"}),
            1);
}

}  // namespace
}  // namespace upsync
