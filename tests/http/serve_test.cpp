// Starts the real `upsync serve` on a free port and talks to it over HTTP.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <httplib.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <memory>
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
using upsync::testing::run_output;
using upsync::testing::Server;
using upsync::testing::shell_command;
using upsync::testing::TempDir;

class ServeTest : public ::testing::Test {
 protected:
  void SetUp() override {
    made_.fill(dir_.path(), [&] {
      ASSERT_EQ(run({"--data-dir", dir_.str() + "/data", "tenant", "create", "contoso"}), 0);
    });
  }
  static inline testing::FolderTemplate made_;
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

// A raw client socket connected to the server, for what httplib::Client does not do: keeping
// a connection idle, or sending a request in pieces.
class RawConnection {
 public:
  explicit RawConnection(int port) {
    fd_ = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(static_cast<uint16_t>(port));
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    connected_ = connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0;
    timeval timeout{10, 0};
    setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
  }
  ~RawConnection() { close(fd_); }
  bool connected() const { return connected_; }
  bool send_text(const std::string& text) {
    return ::send(fd_, text.data(), text.size(), MSG_NOSIGNAL) == static_cast<ssize_t>(text.size());
  }
  // Reads one answer's status line and headers, and nothing after them.
  std::string read_head() {
    std::string got;
    char c;
    while (got.find("\r\n\r\n") == std::string::npos && recv(fd_, &c, 1, 0) == 1) got += c;
    return got;
  }
  // Reads until the end of one answer's headers and `body_bytes` more, or the connection ends.
  std::string read_answer() {
    std::string got;
    char buf[4096];
    for (;;) {
      size_t end = got.find("\r\n\r\n");
      if (end != std::string::npos) {
        std::smatch m;
        static const std::regex kLength("[Cc]ontent-[Ll]ength: *([0-9]+)");
        std::string head = got.substr(0, end);
        size_t want = std::regex_search(head, m, kLength) ? std::stoul(m[1]) : 0;
        if (got.size() >= end + 4 + want) return got;
      }
      ssize_t n = recv(fd_, buf, sizeof buf, 0);
      if (n <= 0) return got;
      got.append(buf, static_cast<size_t>(n));
    }
  }

 private:
  int fd_ = -1;
  bool connected_ = false;
};

TEST_F(ServeTest, IdleKeptAliveConnectionsDoNotHoldTheServersThreads) {
  // Far more open connections than threads: a connection holds no thread while it idles, so
  // a new client is answered at once rather than after an idle one times out.
  Server srv(dir_, {"--threads", "2"});
  ASSERT_GT(srv.port(), 0);
  std::vector<std::unique_ptr<RawConnection>> idle;
  for (int i = 0; i < 40; ++i) {
    auto c = std::make_unique<RawConnection>(srv.port());
    ASSERT_TRUE(c->connected());
    ASSERT_TRUE(c->send_text("GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"));
    EXPECT_NE(c->read_answer().find("HTTP/1.1 200"), std::string::npos);
    idle.push_back(std::move(c));
  }
  httplib::Client cli("127.0.0.1", srv.port());
  cli.set_read_timeout(2, 0);
  auto r = cli.Get("/healthz");
  ASSERT_TRUE(r) << httplib::to_string(r.error());
  EXPECT_EQ(r->status, 200);
  // The idle connections are still open and still served.
  ASSERT_TRUE(idle.front()->send_text("GET /metrics HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"));
  EXPECT_NE(idle.front()->read_answer().find("upsync_http_requests_total{code=\"200\"} 41"),
            std::string::npos);
  EXPECT_EQ(srv.stop(), 0);
}

TEST_F(ServeTest, HeadIsAnsweredLikeGetWithoutTheBodyAnd405NamesTheAllowedMethods) {
  Server srv(dir_);
  ASSERT_GT(srv.port(), 0);
  RawConnection c(srv.port());
  ASSERT_TRUE(c.connected());
  ASSERT_TRUE(c.send_text("HEAD /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"));
  std::string head = c.read_head();
  EXPECT_NE(head.find("HTTP/1.1 200"), std::string::npos) << head;
  EXPECT_NE(head.find("Content-Length: 15\r\n"), std::string::npos) << head;  // {"status":"ok"}
  // No body followed the headers: the next answer on the connection starts right away.
  ASSERT_TRUE(c.send_text("GET /tenants/contoso/_api/contextinfo HTTP/1.1\r\nHost: x\r\n\r\n"));
  std::string wrong = c.read_answer();
  EXPECT_TRUE(wrong.starts_with("HTTP/1.1 405")) << wrong;
  EXPECT_NE(wrong.find("Allow: POST\r\n"), std::string::npos) << wrong;
  EXPECT_NE(wrong.find("The HTTP method GET is not allowed on /tenants/contoso/_api/contextinfo."),
            std::string::npos)
      << wrong;

  httplib::Client cli("127.0.0.1", srv.port());
  auto r = cli.Delete("/tenants/contoso/_api/web");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 405);
  EXPECT_EQ(r->get_header_value("Allow"), "GET, HEAD");
  EXPECT_EQ(srv.stop(), 0);
  EXPECT_NE(srv.log().find(R"("method":"HEAD","target":"/healthz","status":200)"),
            std::string::npos)
      << srv.log();
}

TEST_F(ServeTest, SigtermLetsARequestBeingReceivedFinish) {
  auto app = nlohmann::json::parse(run_output(
      {"--data-dir", dir_.str() + "/data", "--json", "app", "add", "-t", "contoso", "probe"}));
  Server srv(dir_);
  ASSERT_GT(srv.port(), 0);
  RawConnection c(srv.port());
  ASSERT_TRUE(c.connected());
  std::string body =
      "grant_type=client_credentials&client_id=" + app["clientId"].get<std::string>() +
      "&client_secret=" + app["clientSecret"].get<std::string>() +
      "&scope=https%3A%2F%2Fcontoso.sharepoint.com%2F.default";
  ASSERT_TRUE(c.send_text(
      "POST /contoso/oauth2/v2.0/token HTTP/1.1\r\nHost: 127.0.0.1:" + std::to_string(srv.port()) +
      "\r\n"
      "Content-Type: application/x-www-form-urlencoded\r\n"
      "Content-Length: " +
      std::to_string(body.size()) + "\r\n\r\n" + body.substr(0, 5)));
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  kill(srv.pid(), SIGTERM);
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  // The server stops accepting new connections, and still answers this request.
  httplib::Client late("127.0.0.1", srv.port());
  late.set_connection_timeout(1, 0);
  EXPECT_FALSE(late.Get("/healthz"));
  ASSERT_TRUE(c.send_text(body.substr(5)));
  std::string answer = c.read_answer();
  EXPECT_NE(answer.find("HTTP/1.1 200"), std::string::npos) << answer;
  EXPECT_NE(answer.find("\"access_token\":"), std::string::npos) << answer;
  EXPECT_EQ(srv.stop(), 0);
  EXPECT_NE(srv.log().find("stopping on signal"), std::string::npos);
}

// A chunked body is refused before it is read (http_server.h: the engine would answer a
// flood of chunk extensions with its own 500); the answer says what to send instead.
TEST_F(ServeTest, ChunkedBodyGets411) {
  Server srv(dir_, {"--max-body", "1024"});
  ASSERT_GT(srv.port(), 0);
  RawConnection c(srv.port());
  ASSERT_TRUE(c.connected());
  std::string chunk(1000, 'x');
  char size[16];
  std::snprintf(size, sizeof size, "%zx\r\n", chunk.size());
  std::string request =
      "POST /tenants/contoso/admin/v1/properties HTTP/1.1\r\nHost: x\r\n"
      "Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n";
  for (int i = 0; i < 3; ++i) request += size + chunk + "\r\n";
  request += "0\r\n\r\n";
  ASSERT_TRUE(c.send_text(request));
  std::string answer = c.read_answer();
  EXPECT_NE(answer.find("HTTP/1.1 411"), std::string::npos) << answer;
  EXPECT_NE(answer.find("send Content-Length instead of Transfer-Encoding: chunked"),
            std::string::npos)
      << answer;
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

TEST_F(ServeTest, ACertificateWithAnotherKeyIsRefusedNamingTheFiles) {
  for (std::string n : {"a", "b"}) {
    std::string cmd =
        "openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=localhost "
        "-keyout '" +
        dir_.str() + "/" + n + ".key' -out '" + dir_.str() + "/" + n + ".pem' >/dev/null 2>&1";
    ASSERT_EQ(std::system(cmd.c_str()), 0);
  }
  std::string cmd =
      shell_command({"--data-dir", dir_.str() + "/data", "serve", "--listen", "127.0.0.1:0",
                     "--tls-cert", dir_.str() + "/a.pem", "--tls-key", dir_.str() + "/b.key"}) +
      " > '" + dir_.str() + "/out' 2>&1";
  EXPECT_EQ(WEXITSTATUS(std::system(cmd.c_str())), 1);
  std::string out = read_file(dir_.path() / "out");
  EXPECT_NE(out.find("b.key' is not the private key of the certificate in '"), std::string::npos)
      << out;
}

}  // namespace
}  // namespace upsync
