// Files of any size through the real `upsync serve` (src/http/sharepoint_uploads.cpp,
// sharepoint_files.h, sites/upload_sessions.h): PnPjs's chunked upload sequence, a body over
// --max-body streamed to disk, the file-size limit, the checks made before a body is read,
// and what a cancelled, refused or abandoned upload leaves behind (nothing).
#include <gtest/gtest.h>
#include <httplib.h>

#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>
#include <vector>

#include "http/server_process.h"
#include "security/attack_clients.h"
#include "test_support.h"

namespace upsync {
namespace {

using json = nlohmann::json;
using testing::RawClient;
using testing::run;
using testing::run_output;
using testing::Server;
using testing::TempDir;
namespace fs = std::filesystem;

const std::string kApi = "/tenants/contoso/sites/hr/_api";
const std::string kLib = "/sites/hr/Shared Documents";
constexpr uint64_t kMaxFile = 60'000'000;
constexpr size_t kMiB = 1024 * 1024;

std::string encoded(const std::string& decoded) {
  return httplib::detail::encode_query_param(decoded);
}
std::string folder_path(const std::string& decoded_url) {
  return kApi + "/web/getFolderByServerRelativePath(decodedUrl='" + encoded(decoded_url) + "')";
}
std::string file_path(const std::string& decoded_url) {
  return kApi + "/web/getFileByServerRelativePath(decodedUrl='" + encoded(decoded_url) + "')";
}
// `n` bytes that differ from one position to the next (a shifted fragment would not match).
std::string pattern(size_t n, unsigned seed) {
  std::string s(n, '\0');
  uint32_t x = seed * 2654435761u + 1;
  for (size_t i = 0; i < n; ++i) {
    x = x * 1664525u + 1013904223u;
    s[i] = static_cast<char>(x >> 24);
  }
  return s;
}

class SharePointUploadTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new TempDir();
    data_ = dir_->str() + "/data";
    auto cli = [](std::vector<std::string> args) {
      args.insert(args.begin(), {"--data-dir", data_});
      ASSERT_EQ(run(args), 0) << args[2];
    };
    cli({"tenant", "create", "contoso"});
    app_ = json::parse(
        run_output({"--data-dir", data_, "--json", "app", "add", "--tenant", "contoso", "sync"}));
    cli({"user", "password", "set", "--tenant", "contoso", "adele@contoso.com", "--password",
         "pw-adele"});
    cli({"user", "password", "set", "--tenant", "contoso", "alex@contoso.com", "--password",
         "pw-alex-1"});
    for (const char* upn : {"adele@contoso.com", "alex@contoso.com"}) {
      cli({"profile", "create", "--tenant", "contoso", std::string("i:0#.f|membership|") + upn});
    }
    // Adele writes in the site; Alex only reads it.
    cli({"site", "permission", "grant", "-t", "contoso", "/sites/hr", "--role", "member", "--user",
         "adele@contoso.com"});
    start_server();
  }
  static void start_server() {
    // A restarted server must not be found by the port its predecessor printed.
    fs::remove(dir_->path() / "serve.out");
    server_ = new Server(*dir_, {"--no-worker", "--max-file-size", std::to_string(kMaxFile),
                                 "--upload-expiry", "5"});
    ASSERT_GT(server_->port(), 0) << server_->log();
  }
  static void TearDownTestSuite() {
    delete server_;
    delete dir_;
  }

  static httplib::Client client() {
    httplib::Client c("127.0.0.1", server_->port());
    c.set_url_encode(false);
    c.set_read_timeout(60);
    c.set_write_timeout(60);
    return c;
  }
  static std::string token(httplib::Params form) {
    form.emplace("scope", "https://contoso.sharepoint.com/.default");
    form.emplace("client_id", app_["clientId"].get<std::string>());
    auto r = client().Post("/contoso/oauth2/v2.0/token", form);
    EXPECT_TRUE(r && r->status == 200);
    return r ? json::parse(r->body).value("access_token", "") : "";
  }
  static std::string app() {
    return token({{"grant_type", "client_credentials"},
                  {"client_secret", app_["clientSecret"].get<std::string>()}});
  }
  static std::string user(const std::string& upn, const std::string& pw) {
    return token({{"grant_type", "password"}, {"username", upn}, {"password", pw}});
  }
  static httplib::Result post(const std::string& path, const std::string& token,
                              const std::string& body,
                              const std::string& accept = "application/json;odata=nometadata") {
    httplib::Headers h = {{"Accept", accept}};
    if (!token.empty()) h.emplace("Authorization", "Bearer " + token);
    return client().Post(path.c_str(), h, body, "application/octet-stream");
  }
  static std::string content(const std::string& url, const std::string& token) {
    auto r = client().Get((file_path(url) + "/$value").c_str(),
                          httplib::Headers{{"Authorization", "Bearer " + token}});
    return r && r->status == 200 ? r->body : "<" + std::to_string(r ? r->status : 0) + ">";
  }
  static std::string message(const httplib::Result& r) {
    return json::parse(r->body)["odata.error"]["message"]["value"];
  }
  // The upload call `name` of `url` (fileOffset only when `offset` >= 0).
  static std::string call(const std::string& url, const std::string& name, const std::string& id,
                          int64_t offset = -1) {
    std::string args = "uploadId=guid'" + id + "'";
    if (offset >= 0) args += ",fileOffset=" + std::to_string(offset);
    return file_path(url) + "/" + name + "(" + args + ")";
  }
  // An empty file at `url`, as addChunked makes first.
  static void stub(const std::string& url, const std::string& token) {
    std::string folder = url.substr(0, url.rfind('/'));
    std::string name = url.substr(url.rfind('/') + 1);
    auto r = post(folder_path(folder) + "/files/AddUsingPath(decodedurl='" + encoded(name) +
                      "',Overwrite=true)",
                  token, "");
    ASSERT_TRUE(r);
    ASSERT_EQ(r->status, 200) << r->body;
  }
  // Every name in the tenant's library folder and upload sessions (hidden ones included).
  static std::vector<std::string> on_disk(const std::string& sub) {
    std::vector<std::string> names;
    fs::path p = fs::path(data_) / sub;
    if (!fs::exists(p)) return names;
    for (const auto& e : fs::recursive_directory_iterator(p)) {
      names.push_back(e.path().lexically_relative(p).string());
    }
    std::sort(names.begin(), names.end());
    return names;
  }
  static std::vector<std::string> library_files(const std::string& folder) {
    return on_disk("files/contoso/sites/hr/Shared Documents/" + folder);
  }
  static std::vector<std::string> sessions() { return on_disk("uploads/contoso"); }
  // The raw request head of a POST of `length` bytes to `path`.
  static std::string head(const std::string& path, const std::string& token, uint64_t length) {
    std::string h =
        "POST " + path + " HTTP/1.1\r\nHost: 127.0.0.1:" + std::to_string(server_->port()) +
        "\r\nContent-Type: application/octet-stream\r\nContent-Length: " + std::to_string(length) +
        "\r\n";
    if (!token.empty()) h += "Authorization: Bearer " + token + "\r\n";
    return h + "\r\n";
  }

  static inline TempDir* dir_ = nullptr;
  static inline std::string data_;
  static inline Server* server_ = nullptr;
  static inline json app_;
};

// PnPjs's addChunked: an empty file, StartUpload, ContinueUpload..., FinishUpload, each
// answering the bytes received; the file keeps its old content until FinishUpload.
TEST_F(SharePointUploadTest, FiftyMegabytesInTenMegabyteFragments) {
  std::string t = app();
  const std::string url = kLib + "/big/users.json";
  stub(url, t);
  const std::string whole = pattern(50 * kMiB + 123, 1);
  const size_t chunk = 10 * kMiB;
  const std::string id = "7d2c1e4a-1b2c-4d5e-8f90-a1b2c3d4e5f6";
  auto r = post(call(url, "StartUpload", id), t, whole.substr(0, chunk));
  ASSERT_EQ(r->status, 200) << r->body;
  EXPECT_EQ(json::parse(r->body), json({{"value", std::to_string(chunk)}}));
  size_t offset = chunk;
  while (whole.size() - offset > chunk) {
    r = post(call(url, "ContinueUpload", id, offset), t, whole.substr(offset, chunk),
             "application/json;odata=verbose");
    ASSERT_EQ(r->status, 200) << r->body;
    offset += chunk;
    EXPECT_EQ(json::parse(r->body)["d"]["ContinueUpload"], std::to_string(offset));
    // Invisible until finished: the file is still the empty stub.
    EXPECT_EQ(content(url, t), "");
  }
  EXPECT_EQ(library_files("big"), std::vector<std::string>{"users.json"});
  r = post(call(url, "FinishUpload", id, offset), t, whole.substr(offset), "application/json");
  ASSERT_EQ(r->status, 200) << r->body;
  json f = json::parse(r->body);
  EXPECT_EQ(f["odata.type"], "SP.File");
  EXPECT_EQ(f["Length"], std::to_string(whole.size()));
  EXPECT_EQ(f["ServerRelativeUrl"], url);
  EXPECT_TRUE(content(url, t) == whole);
  EXPECT_TRUE(sessions().empty());
  // The session ended with the upload.
  r = post(call(url, "ContinueUpload", id, whole.size()), t, "x");
  EXPECT_EQ(r->status, 404) << r->body;
}

TEST_F(SharePointUploadTest, AWrongOffsetIsRefusedAndChangesNothing) {
  std::string t = app();
  const std::string url = kLib + "/offset/a.json";
  stub(url, t);
  const std::string id = "00000000-0000-4000-8000-000000000001";
  ASSERT_EQ(post(call(url, "StartUpload", id), t, "0123456789")->status, 200);
  for (int64_t wrong : {0, 5, 11, 1000000}) {
    auto r = post(call(url, "ContinueUpload", id, wrong), t, "abc");
    EXPECT_EQ(r->status, 400) << wrong << ": " << r->body;
    EXPECT_NE(message(r).find("does not match the bytes received"), std::string::npos);
    EXPECT_NE(message(r).find("(10)"), std::string::npos) << message(r);
  }
  auto r = post(call(url, "FinishUpload", id, 3), t, "abc");
  EXPECT_EQ(r->status, 400) << r->body;
  r = post(call(url, "ContinueUpload", id, 10), t, "abc");
  ASSERT_EQ(r->status, 200) << r->body;
  EXPECT_EQ(json::parse(r->body)["value"], "13");
  ASSERT_EQ(post(call(url, "FinishUpload", id, 13), t, "")->status, 200);
  EXPECT_EQ(content(url, t), "0123456789abc");
  // Malformed ids and offsets.
  EXPECT_EQ(post(file_path(url) + "/StartUpload(uploadId=guid'nope')", t, "x")->status, 400);
  EXPECT_EQ(post(file_path(url) + "/StartUpload()", t, "x")->status, 400);
  EXPECT_EQ(post(call(url, "StartUpload", id), t, "x")->status, 200);
  EXPECT_EQ(
      post(file_path(url) + "/ContinueUpload(uploadId=guid'" + id + "',fileOffset=-1)", t, "x")
          ->status,
      400);
  // No OData query option applies to an upload call: one sent is refused, not ignored.
  r = post(call(url, "ContinueUpload", id, 1) + "?$select=Length", t, "x");
  EXPECT_EQ(r->status, 400) << r->body;
  EXPECT_NE(message(r).find("$select"), std::string::npos);
  EXPECT_EQ(post(call(url, "CancelUpload", id) + "?$expand=x", t, "")->status, 400);
  EXPECT_EQ(post(call(url, "CancelUpload", id), t, "")->status, 200);
}

TEST_F(SharePointUploadTest, OnlyTheUploaderContinuesFinishesOrCancels) {
  std::string owner = user("adele@contoso.com", "pw-adele");
  std::string other = app();
  const std::string url = kLib + "/owner/a.json";
  stub(url, owner);
  const std::string id = "00000000-0000-4000-8000-000000000002";
  ASSERT_EQ(post(call(url, "StartUpload", id), owner, "first")->status, 200);
  auto r = post(call(url, "ContinueUpload", id, 5), other, "-theirs");
  EXPECT_EQ(r->status, 403) << r->body;
  EXPECT_NE(message(r).find("only its uploader"), std::string::npos);
  EXPECT_EQ(post(call(url, "FinishUpload", id, 5), other, "-theirs")->status, 403);
  EXPECT_EQ(post(call(url, "CancelUpload", id), other, "")->status, 403);
  // Nor may another restart it under the same id.
  EXPECT_EQ(post(call(url, "StartUpload", id), other, "x")->status, 409);
  // No token at all: 401, before any of the body is read.
  EXPECT_EQ(post(call(url, "ContinueUpload", id, 5), "", "x")->status, 401);
  r = post(call(url, "FinishUpload", id, 5), owner, "-mine");
  ASSERT_EQ(r->status, 200) << r->body;
  EXPECT_EQ(content(url, owner), "first-mine");
}

TEST_F(SharePointUploadTest, ACancelledUploadLeavesNothing) {
  std::string t = app();
  const std::string url = kLib + "/cancel/a.json";
  stub(url, t);
  const std::string id = "00000000-0000-4000-8000-000000000003";
  ASSERT_EQ(post(call(url, "StartUpload", id), t, pattern(3 * kMiB, 2))->status, 200);
  EXPECT_EQ(sessions().size(), 2u);  // the part and who it belongs to
  auto r = post(call(url, "CancelUpload", id), t, "");
  ASSERT_EQ(r->status, 200) << r->body;
  EXPECT_TRUE(sessions().empty());
  EXPECT_EQ(content(url, t), "");
  EXPECT_EQ(library_files("cancel"), std::vector<std::string>{"a.json"});
  EXPECT_EQ(post(call(url, "ContinueUpload", id, 3 * kMiB), t, "x")->status, 404);
  EXPECT_EQ(post(call(url, "CancelUpload", id), t, "")->status, 404);
}

// A client gone mid-body: the file being written (files/add) and the fragment being appended
// (ContinueUpload) are taken back; the library and the session are as they were.
TEST_F(SharePointUploadTest, ADisconnectMidBodyLeavesNothing) {
  std::string t = app();
  {
    RawClient c("127.0.0.1", server_->port());
    ASSERT_TRUE(c.connected());
    ASSERT_TRUE(c.send_text(
        head(folder_path(kLib + "/cut") + "/files/AddUsingPath(decodedurl='a.json',Overwrite=true)",
             t, 20 * kMiB)));
    ASSERT_TRUE(c.send_text(pattern(5 * kMiB, 3)));
  }
  const std::string url = kLib + "/cut2/a.json";
  stub(url, t);
  const std::string id = "00000000-0000-4000-8000-000000000004";
  ASSERT_EQ(post(call(url, "StartUpload", id), t, "0123456789")->status, 200);
  {
    RawClient c("127.0.0.1", server_->port());
    ASSERT_TRUE(c.send_text(head(call(url, "ContinueUpload", id, 10), t, 8 * kMiB)));
    ASSERT_TRUE(c.send_text(pattern(3 * kMiB, 4)));
  }
  // The engine sees the close when it next reads; give it a moment.
  bool clean = false;
  for (int i = 0; i < 100 && !clean; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    clean = library_files("cut").empty() &&
            fs::file_size(fs::path(data_) / "uploads/contoso" /
                          "00000000-0000-4000-8000-000000000004.part") == 10;
  }
  EXPECT_TRUE(clean) << ::testing::PrintToString(library_files("cut"));
  EXPECT_EQ(library_files("cut2"), std::vector<std::string>{"a.json"});
  // The session goes on from where it was.
  auto r = post(call(url, "FinishUpload", id, 10), t, "abc");
  ASSERT_EQ(r->status, 200) << r->body;
  EXPECT_EQ(content(url, t), "0123456789abc");
}

// A client that closes its side once the whole body is sent (and waits for the answer) has
// not gone away: its upload is stored and answered.
TEST_F(SharePointUploadTest, AClientThatClosesItsSideAfterTheWholeBodyIsAnswered) {
  std::string t = app();
  const std::string body = pattern(6 * kMiB, 8);
  RawClient c("127.0.0.1", server_->port());
  std::string request = head(
      folder_path(kLib + "/halfclose") + "/files/AddUsingPath(decodedurl='a.bin',Overwrite=true)",
      t, body.size());
  request.insert(request.size() - 2, "Connection: close\r\n");
  ASSERT_TRUE(c.send_text(request));
  ASSERT_TRUE(c.send_text(body));
  ASSERT_EQ(::shutdown(c.fd(), SHUT_WR), 0);
  std::string answer = c.read_to_close(20);
  EXPECT_TRUE(answer.starts_with("HTTP/1.1 200")) << answer.substr(0, 300);
  EXPECT_TRUE(content(kLib + "/halfclose/a.bin", t) == body);
}

// The limit is a file's size, not a request's: a body over --max-body (4 MB) streams, one over
// --max-file-size is refused with 413 before it is read, whole or in fragments.
TEST_F(SharePointUploadTest, TheLimitIsOnAFilesSize) {
  std::string t = app();
  const std::string eight = pattern(8 * kMiB, 5);
  auto r = post(folder_path(kLib + "/limit") + "/files/add(url='a.bin',overwrite=true)", t, eight);
  ASSERT_EQ(r->status, 200) << r->body;
  EXPECT_TRUE(content(kLib + "/limit/a.bin", t) == eight);
  const std::string nine = pattern(9 * kMiB, 6);
  r = client().Post((file_path(kLib + "/limit/a.bin") + "/$value").c_str(),
                    httplib::Headers{{"Authorization", "Bearer " + t}, {"X-HTTP-Method", "PUT"}},
                    nine, "application/octet-stream");
  ASSERT_EQ(r->status, 200) << r->body;
  EXPECT_TRUE(content(kLib + "/limit/a.bin", t) == nine);
  // Over the file-size limit: the answer comes from the headers alone.
  {
    RawClient c("127.0.0.1", server_->port());
    ASSERT_TRUE(
        c.send_text(head(folder_path(kLib + "/limit") + "/files/add(url='huge.bin',overwrite=true)",
                         t, kMaxFile + 1)));
    std::string answer = c.read_to_close(10);
    EXPECT_TRUE(answer.starts_with("HTTP/1.1 413")) << answer;
    EXPECT_NE(answer.find("exceeds the limit allowed"), std::string::npos) << answer;
    EXPECT_NE(answer.find("odata.error"), std::string::npos) << answer;
  }
  // A fragment that takes the session over it.
  const std::string url = kLib + "/limit/a.bin";
  const std::string id = "00000000-0000-4000-8000-000000000005";
  ASSERT_EQ(post(call(url, "StartUpload", id), t, pattern(kMaxFile - 10, 7))->status, 200);
  r = post(call(url, "ContinueUpload", id, kMaxFile - 10), t, std::string(11, 'x'));
  EXPECT_EQ(r->status, 413) << r->body;
  EXPECT_NE(message(r).find("exceeds the limit allowed"), std::string::npos);
  EXPECT_EQ(post(call(url, "CancelUpload", id), t, "")->status, 200);
  EXPECT_TRUE(content(kLib + "/limit/a.bin", t) == nine);
  EXPECT_EQ(library_files("limit"), std::vector<std::string>{"a.bin"});
}

// Who may write is known from the headers: an anonymous or read-only caller is answered at once,
// its body never read (nothing is stored, and the answer does not wait for the bytes).
TEST_F(SharePointUploadTest, CallersWhoMayNotWriteAreRefusedBeforeTheBody) {
  std::string reader = user("alex@contoso.com", "pw-alex-1");
  std::string add =
      folder_path(kLib + "/refused") + "/files/AddUsingPath(decodedurl='a.json',Overwrite=true)";
  struct Case {
    std::string token;
    const char* status;
  } cases[] = {{"", "HTTP/1.1 401"}, {reader, "HTTP/1.1 403"}, {"not-a-token", "HTTP/1.1 401"}};
  for (const Case& c : cases) {
    RawClient raw("127.0.0.1", server_->port());
    ASSERT_TRUE(raw.send_text(head(add, c.token, 50 * kMiB)));
    std::string answer = raw.read_to_close(5);
    EXPECT_TRUE(answer.starts_with(c.status)) << answer;
  }
  EXPECT_TRUE(library_files("refused").empty());
  EXPECT_TRUE(sessions().empty());
}

// A refused body no larger than the server takes in memory (--max-body, 4 MiB) is read and
// dropped before the answer, so that the answer is not lost to a reset while the client still
// sends, and the connection goes on: a second request on it is answered too.
TEST_F(SharePointUploadTest, ASmallRefusedBodyIsDroppedAndTheConnectionGoesOn) {
  std::string add =
      folder_path(kLib + "/refused") + "/files/AddUsingPath(decodedurl='b.json',Overwrite=true)";
  RawClient raw("127.0.0.1", server_->port());
  ASSERT_TRUE(raw.send_text(head(add, "", kMiB) + std::string(kMiB, 'x') + "GET " + add +
                            " HTTP/1.1\r\nHost: 127.0.0.1:" + std::to_string(server_->port()) +
                            "\r\nConnection: close\r\n\r\n"));
  std::string answers = raw.read_to_close(10);
  EXPECT_TRUE(answers.starts_with("HTTP/1.1 401")) << answers.substr(0, 200);
  size_t second = answers.find("HTTP/1.1 ", 1);
  ASSERT_NE(second, std::string::npos) << answers;
  EXPECT_EQ(answers.substr(second, 12), "HTTP/1.1 401") << answers.substr(second, 200);
  EXPECT_TRUE(library_files("refused").empty());
}

// Sessions are files: they outlive the server; one idle past --upload-expiry (5 s here) is
// removed when the next one starts, and at the server's start.
TEST_F(SharePointUploadTest, SessionsSurviveARestartAndExpire) {
  std::string t = app();
  const std::string url = kLib + "/restart/a.json";
  stub(url, t);
  const std::string id = "00000000-0000-4000-8000-000000000006";
  ASSERT_EQ(post(call(url, "StartUpload", id), t, "before")->status, 200);
  ASSERT_EQ(server_->stop(), 0);
  delete server_;
  start_server();
  t = app();
  auto r = post(call(url, "FinishUpload", id, 6), t, "-after");
  ASSERT_EQ(r->status, 200) << r->body;
  EXPECT_EQ(content(url, t), "before-after");

  const std::string idle = "00000000-0000-4000-8000-000000000007";
  ASSERT_EQ(post(call(url, "StartUpload", idle), t, "abandoned")->status, 200);
  std::this_thread::sleep_for(std::chrono::milliseconds(6200));
  const std::string next = "00000000-0000-4000-8000-000000000008";
  ASSERT_EQ(post(call(url, "StartUpload", next), t, "x")->status, 200);
  EXPECT_EQ(post(call(url, "ContinueUpload", idle, 9), t, "x")->status, 404);
  EXPECT_EQ(sessions().size(), 2u);
  EXPECT_EQ(post(call(url, "CancelUpload", next), t, "")->status, 200);
}

}  // namespace
}  // namespace upsync
