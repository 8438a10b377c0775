// How the real `upsync serve` frames a request's body (src/http/http_server.h; issue 15,
// finding 8): a body whose length two headers disagree on, or could disagree on behind a proxy,
// is refused before it is read, and a chunked body (whose chunk lines an attacker can flood) is
// refused with 411 rather than answered with the engine's 500.
#include <gtest/gtest.h>

#include "http/server_process.h"
#include "security/attack_clients.h"
#include "test_support.h"

namespace upsync {
namespace {

using testing::RawClient;
using testing::run;
using testing::Server;
using testing::TempDir;

class RequestFramingTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new TempDir();
    ASSERT_EQ(run({"--data-dir", dir_->str() + "/data", "tenant", "create", "contoso"}), 0);
    server_ = new Server(*dir_);
    ASSERT_GT(server_->port(), 0);
  }
  static void TearDownTestSuite() {
    delete server_;
    delete dir_;
  }
  // Sends `head` + `body` for the admin API's property list and returns all it answers.
  static std::string ask(const std::string& head, const std::string& body) {
    RawClient c("127.0.0.1", server_->port());
    EXPECT_TRUE(c.connected());
    c.send_text(
        "POST /tenants/contoso/admin/v1/properties HTTP/1.1\r\nHost: x\r\n"
        "Content-Type: application/json\r\n" +
        head + "\r\n" + body);
    return c.read_to_close(5);
  }
  static TempDir* dir_;
  static Server* server_;
};
TempDir* RequestFramingTest::dir_ = nullptr;
Server* RequestFramingTest::server_ = nullptr;

// Behind a proxy that takes the last Content-Length, the first one's body would hide a second
// request (smuggling): neither is chosen.
TEST_F(RequestFramingTest, TwoContentLengthsAre400) {
  std::string smuggled = "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n";
  std::string answer =
      ask("Content-Length: 2\r\nContent-Length: " + std::to_string(2 + smuggled.size()) + "\r\n",
          "{}" + smuggled);
  EXPECT_TRUE(answer.starts_with("HTTP/1.1 400")) << answer;
  EXPECT_NE(answer.find("Content-Length"), std::string::npos) << answer;
  // The body is not read as a next request: one answer, then the connection is closed.
  EXPECT_EQ(answer.find("HTTP/1.1", 1), std::string::npos) << answer;
  // The same length twice is as ambiguous to a proxy that joins them ("2, 2").
  answer = ask("Content-Length: 2\r\nContent-Length: 2\r\n", "{}");
  EXPECT_TRUE(answer.starts_with("HTTP/1.1 400")) << answer;
}

TEST_F(RequestFramingTest, ContentLengthWithTransferEncodingIs400) {
  std::string answer =
      ask("Content-Length: 2\r\nTransfer-Encoding: chunked\r\n", "2\r\n{}\r\n0\r\n\r\n");
  EXPECT_TRUE(answer.starts_with("HTTP/1.1 400")) << answer;
  EXPECT_NE(answer.find("Transfer-Encoding"), std::string::npos) << answer;
}

TEST_F(RequestFramingTest, ALengthThatIsNotANumberIs400) {
  for (std::string length : {"-2", "two", "2 2", "0x2", "+2"}) {
    std::string answer = ask("Content-Length: " + length + "\r\n", "{}");
    EXPECT_TRUE(answer.starts_with("HTTP/1.1 400")) << length << ": " << answer;
  }
}

// A chunk-size line of 200,000 bytes of extensions overflows the engine's buffer: the answer
// is a client error that says what to send instead, never a 500.
TEST_F(RequestFramingTest, AChunkExtensionFloodIsAClientErrorNot500) {
  std::string flood = "2";
  for (int i = 0; i < 50000; ++i) flood += ";a=b";
  std::string answer = ask("Transfer-Encoding: chunked\r\n", flood + "\r\n{}\r\n0\r\n\r\n");
  EXPECT_FALSE(answer.starts_with("HTTP/1.1 500")) << answer.substr(0, 300);
  EXPECT_TRUE(answer.starts_with("HTTP/1.1 4")) << answer.substr(0, 300);
  EXPECT_NE(answer.find("Content-Length"), std::string::npos) << answer.substr(0, 600);
}

}  // namespace
}  // namespace upsync
