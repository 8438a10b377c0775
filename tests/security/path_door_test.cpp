// Security regressions of the door from a client's URL to a file (issue 15, findings 1, 7, 8
// and 9): a corpus of hostile paths (every encoding of '.', '/', '\', NUL and control
// characters, overlong and full-width UTF-8 forms, double encoding, absolute URLs of other
// hosts and tenants, over-long names, the reserved temporary suffix) through every entry that
// takes a path: the CLI's `file put|get|ls|rm`, the SharePoint file routes and a bulk import's
// sourceUri. Each must be refused, and nothing may appear, change or vanish outside the
// tenant's folder <data>/files/<tenant>/.
#include <gtest/gtest.h>
#include <httplib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <functional>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "bulkimport/importer.h"
#include "http/server_process.h"
#include "sites/library_path.h"
#include "sites/sites.h"
#include "store/store.h"
#include "test_support.h"

namespace upsync {
namespace {

namespace fs = std::filesystem;
using json = nlohmann::json;
using upsync::testing::binary;
using upsync::testing::read_file;
using upsync::testing::run;
using upsync::testing::run_output;
using upsync::testing::Server;
using upsync::testing::TempDir;
using upsync::testing::write_file;

const std::string kLib = "/sites/hr/Shared Documents";

// Every file and folder under `root` with its content (files) or "<dir>" (folders), except
// the store's own files and the server's output, which change with every command.
std::map<std::string, std::string> tree(const fs::path& root) {
  std::map<std::string, std::string> out;
  std::error_code ec;
  for (auto it = fs::recursive_directory_iterator(root, ec); it != fs::end(it); it.increment(ec)) {
    std::string rel = fs::relative(it->path(), root).string();
    std::string name = it->path().filename().string();
    if (name.starts_with("upsync.db") || name.starts_with("serve.")) continue;
    if (it->is_symlink()) {
      out[rel] = "<link>";
    } else if (it->is_directory()) {
      out[rel] = "<dir>";
    } else {
      out[rel] = read_file(it->path());
    }
  }
  return out;
}

mode_t mode_of(const fs::path& p) {
  struct stat st {};
  if (lstat(p.c_str(), &st) != 0) return 0;
  return st.st_mode & 07777;
}

std::string quote(const std::string& s) {
  std::string out;
  for (unsigned char c : s) {
    if (c < 0x20 || c >= 0x7F) {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\x%02X", c);
      out += buf;
    } else {
      out.push_back(static_cast<char>(c));
    }
  }
  return out;
}

// Percent-encodes every byte but unreserved ones (what encodeURIComponent does to a path).
std::string encode_all(std::string_view s) {
  static const char* kHex = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : s) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
      out.push_back(static_cast<char>(c));
    } else {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 15];
    }
  }
  return out;
}

// The URLs a client might type (percent-encoded, as the CLI and a sourceUri take them); none
// may reach a file outside the tenant. `outside` is a folder beside the data folder.
std::vector<std::string> hostile_urls(const std::string& outside) {
  const std::string lib = kLib + "/";
  std::vector<std::string> urls = {
      // Finding 1, word for word: contoso's import reading fabrikam's file.
      lib +
          "%2e%2e%2f%2e%2e%2f%2e%2e%2f%2e%2e/fabrikam/sites/hr/Shared Documents/import/"
          "users.json",
      // Finding 9: '..' with an encoded '/', an absolute library, a library at the root.
      lib + "..%2f..%2f..%2f..%2f..%2fESCAPED.txt",
      lib + "..%2F..%2F..%2F..%2F..%2F..%2Foutside%2Fx.txt",
      "/sites/hr/%2f" + encode_all(outside.substr(1)) + "/x.txt",
      "/sites/s/%2f",
      "/sites/s/%2F/x.txt",
      "/sites/h%2fr/Shared Documents/x.txt",
      "/sites/hr/Shared%2fDocuments/x.txt",
      "/sites/hr/Shared Documents//x.txt",
      "/sites//hr/Shared Documents/x.txt",
      // Dot segments, plain and encoded.
      lib + "../../../../fabrikam/sites/hr/Shared Documents/x.txt",
      lib + "./x.txt",
      lib + "%2e%2e/%2e%2e/%2e%2e/%2e%2e/fabrikam/sites/hr/Shared Documents/x.txt",
      lib + ".%2e/x.txt",
      lib + "%2E/x.txt",
      lib + ".../x.txt",
      // Backslashes, plain and encoded.
      lib + "..\\..\\..\\..\\x.txt",
      lib + "..%5c..%5c..%5c..%5cx.txt",
      lib + "%5C",
      // NUL and other control characters.
      lib + "x.txt%00.json",
      lib + "%00",
      lib + "x%0a.txt",
      lib + "x%1f.txt",
      lib + "x%7f.txt",
      lib + "x%c2%85.txt",  // U+0085, a C1 control
      // Overlong UTF-8 forms of '.', '/' and '\'.
      lib + "%c0%ae%c0%ae%c0%af%c0%ae%c0%ae%c0%afx.txt",
      lib + "%c0%ae%c0%ae/x.txt",
      lib + "..%c0%afx.txt",
      lib + "..%c1%9cx.txt",
      lib + "%e0%80%ae%e0%80%ae/x.txt",
      lib + "%f0%80%80%af/x.txt",
      // Full-width and compatibility forms (NFKC makes them '.', '/' or '\').
      lib + "%ef%bc%8e%ef%bc%8e%ef%bc%8fx.txt",
      lib + "\xef\xbc\x8e\xef\xbc\x8e/x.txt",
      lib + "..%ef%bc%bcx.txt",
      lib + "%ef%b9%92%ef%b9%92/x.txt",  // U+FE52 small full stop
      lib + "%e2%80%a5/x.txt",           // U+2025 two dot leader
      // Invalid UTF-8.
      lib + "x%ff.txt",
      lib + "x%ed%a0%80.txt",  // a UTF-16 surrogate
      lib + "x%e2%82.txt",     // truncated
      // Double encoding.
      lib + "%252e%252e%252f%252e%252e%252fx.txt",
      lib + "..%252f..%252fx.txt",
      lib + "%25252e%25252e/x.txt",
      // Bad escapes.
      lib + "x%2.txt",
      lib + "x%zz.txt",
      // Absolute URLs of other hosts and tenants.
      "https://fabrikam.sharepoint.com" + lib + "import/users.json",
      "https://evil.example.com" + lib + "x.txt",
      "https://contoso.sharepoint.com@evil.example.com" + lib + "x.txt",
      "https://contoso.sharepoint.com%2f..%2f..%2ffabrikam" + lib + "x.txt",
      "file:///etc/passwd",
      "//evil.example.com" + lib + "x.txt",
      // Over-long names, the reserved temporary suffix.
      lib + std::string(300, 'a') + ".txt",
      lib + std::string(150, 'b') + "/" + std::string(150, 'c') + "/" + std::string(150, 'd'),
      lib + "x.upsync-tmp",
      lib + "import/users.json.upsync-tmp",
  };
  return urls;
}

// A well-formed absolute URL of another host: seed 003's DataFileNotInTenant for an import.
bool other_host(const std::string& url) {
  return url.starts_with("https://fabrikam.sharepoint.com/") ||
         url.starts_with("https://evil.example.com/");
}

// Hostile URLs that, once decoded, are plain paths of the tenant (an encoded '/' turned into
// a real one), or that hold a '%' that is no escape: in a REST decodedUrl, which is decoded
// already, they name ordinary files inside the tenant.
bool plain_once_decoded(const std::string& path) {
  return path == "/sites/h/r/Shared Documents/x.txt" ||
         path == "/sites/hr/Shared/Documents/x.txt" || path == kLib + "/x%2.txt" ||
         path == kLib + "/x%zz.txt";
}

// A data folder with tenants contoso and fabrikam, fabrikam's import file and a file beside
// the data folder (the host's files an attacker wants to read).
class PathDoorTest : public ::testing::Test {
 protected:
  void SetUp() override {
    data_ = dir_.str() + "/data";
    outside_ = dir_.str() + "/outside";
    made_.fill(dir_.path(), [&] { make_folder(); });
  }
  void make_folder() {
    ASSERT_EQ(cli({"tenant", "create", "contoso"}), 0);
    ASSERT_EQ(cli({"tenant", "create", "fabrikam"}), 0);
    ASSERT_EQ(cli({"property", "add", "--tenant", "contoso", "City"}), 0);
    ASSERT_EQ(cli({"profile", "create", "--tenant", "contoso", kAdele, "--set",
                   "WorkEmail=adele@contoso.com", "--set", "City=Oslo"}),
              0);
    fs::create_directories(outside_);
    write_file(outside_ + "/users.json", kFabrikamFile);
    write_file(outside_ + "/x.txt", "outside");
    write_file(dir_.str() + "/users.json", kFabrikamFile);
    write_file(dir_.str() + "/local.txt", "local");
    ASSERT_EQ(cli({"file", "put", "-t", "fabrikam", dir_.str() + "/users.json",
                   kLib + "/import/users.json"}),
              0);
    ASSERT_EQ(cli({"file", "put", "-t", "contoso", dir_.str() + "/local.txt", kLib + "/keep.txt"}),
              0);
  }

  int cli(std::vector<std::string> args) {
    args.insert(args.begin(), {"--data-dir", data_});
    return run(args);
  }
  std::string cli_output(std::vector<std::string> args) {
    args.insert(args.begin(), {"--data-dir", data_});
    return run_output(args);
  }

  static constexpr const char* kAdele = "i:0#.f|membership|adele@contoso.com";
  static constexpr const char* kFabrikamFile =
      R"({"value":[{"IdName":"adele@contoso.com","City":"FabrikamCity"}]})";
  static inline testing::FolderTemplate made_;
  TempDir dir_;
  std::string data_;
  std::string outside_;
};

// ---- the CLI ----------------------------------------------------------------------------------

TEST_F(PathDoorTest, CliFileCommandsRefuseEveryHostileUrlAndTouchNothingOutside) {
  const auto before = tree(dir_.path());
  const std::string local = dir_.str() + "/local.txt";
  const std::string dest = dir_.str() + "/got.txt";
  for (const std::string& url : hostile_urls(outside_)) {
    EXPECT_EQ(cli({"file", "put", "-t", "contoso", local, url}), 1) << "put " << url;
    EXPECT_EQ(cli({"file", "get", "-t", "contoso", url, dest}), 1) << "get " << url;
    EXPECT_EQ(cli({"file", "ls", "-t", "contoso", url}), 1) << "ls " << url;
    EXPECT_EQ(cli({"file", "rm", "-t", "contoso", url}), 1) << "rm " << url;
    ASSERT_EQ(tree(dir_.path()), before) << "after " << url;
  }
}

TEST_F(PathDoorTest, CliNamesTheProblemAndItsPosition) {
  struct Case {
    std::string url;
    std::string message;
  };
  std::vector<Case> cases = {
      {kLib + "/..%2fx.txt", "encoded '/' (%2F) at position 30"},
      {kLib + "/%2e%2e/x.txt", "dot segment"},
      {kLib + "/a\\b.txt", "backslash at position 29"},
      {kLib + "/a%00.txt", "control character"},
      {kLib + "/%c0%ae%c0%ae/x.txt", "overlong UTF-8"},
      {kLib + "/%ef%bc%8e%ef%bc%8e/x.txt", "full-width"},
      {kLib + "/x%ff.txt", "invalid UTF-8"},
      {kLib + "/%252e%252e/x.txt", "encoded twice"},
      {kLib + "//x.txt", "empty segment"},
      {kLib + "/" + std::string(300, 'a'), "300 bytes"},
      {kLib + "/x.upsync-tmp", "reserved"},
  };
  for (const Case& c : cases) {
    std::string cmd = upsync::testing::shell_command(
                          {"--data-dir", data_, "file", "ls", "-t", "contoso", c.url}) +
                      " 2>&1";
    std::string out;
    FILE* p = popen(cmd.c_str(), "r");
    ASSERT_NE(p, nullptr);
    char buf[4096];
    size_t n;
    while ((n = fread(buf, 1, sizeof buf, p)) > 0) out.append(buf, n);
    int status = pclose(p);
    EXPECT_EQ(WEXITSTATUS(status), 1) << c.url;
    EXPECT_NE(out.find(c.message), std::string::npos) << c.url << " → " << out;
  }
}

TEST_F(PathDoorTest, CliGetToDashWritesStandardOutput) {
  EXPECT_EQ(cli_output({"file", "get", "-t", "contoso", kLib + "/keep.txt", "-"}), "local");
  EXPECT_FALSE(fs::exists("-"));
  EXPECT_FALSE(fs::exists(dir_.path() / "-"));
}

// ---- the bulk import's sourceUri --------------------------------------------------------------

TEST_F(PathDoorTest, CliImportQueueRefusesEveryHostileSourceAndImportsNothing) {
  const auto before = tree(dir_.path());
  const std::string profile = cli_output({"--json", "profile", "get", "-t", "contoso", kAdele});
  for (const std::string& url : hostile_urls(outside_)) {
    int rc = cli({"import", "queue", "-t", "contoso", "--id-type", "Email", "--id-property",
                  "IdName", "--map", "City=City", "--source", url});
    // Another host is seed 003's DataFileNotInTenant (a job that ends in Error); everything
    // else is refused before a job exists.
    if (other_host(url)) {
      EXPECT_EQ(rc, 0) << url;
    } else {
      EXPECT_EQ(rc, 1) << url;
    }
  }
  ASSERT_EQ(cli({"import", "run-pending"}), 0);
  EXPECT_EQ(cli_output({"--json", "profile", "get", "-t", "contoso", kAdele}), profile);
  json jobs = json::parse(cli_output({"--json", "import", "list", "-t", "contoso"}));
  for (const json& j : jobs) {
    EXPECT_EQ(j["Error"], "DataFileNotInTenant") << j.dump();
  }
  EXPECT_EQ(tree(dir_.path()), before);
}

// ---- REST ------------------------------------------------------------------------------------

class PathDoorRestTest : public PathDoorTest {
 protected:
  void SetUp() override {
    PathDoorTest::SetUp();
    app_ = json::parse(cli_output({"--json", "app", "add", "--tenant", "contoso", "sync"}));
    server_ = std::make_unique<Server>(dir_, std::vector<std::string>{"--no-worker"});
    ASSERT_GT(server_->port(), 0) << server_->log();
    httplib::Params form = {{"grant_type", "client_credentials"},
                            {"client_id", app_["clientId"].get<std::string>()},
                            {"client_secret", app_["clientSecret"].get<std::string>()},
                            {"scope", "https://contoso.sharepoint.com/.default"}};
    auto r = client().Post("/contoso/oauth2/v2.0/token", form);
    ASSERT_TRUE(r);
    ASSERT_EQ(r->status, 200) << r->body;
    token_ = json::parse(r->body)["access_token"];
  }

  httplib::Client client() {
    httplib::Client c("127.0.0.1", server_->port());
    c.set_url_encode(false);
    return c;
  }
  httplib::Headers headers(httplib::Headers extra = {}) {
    httplib::Headers h = {{"Accept", "application/json"}, {"Authorization", "Bearer " + token_}};
    h.insert(extra.begin(), extra.end());
    return h;
  }
  // An OData string literal's content, transport-encoded once as PnPjs sends it.
  static std::string literal(std::string_view decoded) {
    std::string quoted;
    for (char c : decoded) {
      quoted.push_back(c);
      if (c == '\'') quoted.push_back('\'');
    }
    return encode_all(quoted);
  }

  json app_;
  std::string token_;
  std::unique_ptr<Server> server_;
};

constexpr const char* kApi = "/tenants/contoso/sites/hr/_api/web/";

TEST_F(PathDoorRestTest, FileRoutesRefuseEveryHostilePathAndTouchNothingOutside) {
  const auto before = tree(dir_.path());
  // What the server sees after its own decoding: each hostile URL as it is, and decoded.
  std::vector<std::string> paths;
  for (const std::string& url : hostile_urls(outside_)) {
    paths.push_back(url);
    size_t bad = 0;
    std::string decoded;
    bool ok = true;
    for (size_t i = 0; i < url.size(); ++i) {
      if (url[i] == '%' && i + 2 < url.size() && std::isxdigit(url[i + 1]) &&
          std::isxdigit(url[i + 2])) {
        decoded.push_back(static_cast<char>(std::stoi(url.substr(i + 1, 2), nullptr, 16)));
        i += 2;
      } else if (url[i] == '%') {
        ok = false;
        bad = i;
        break;
      } else {
        decoded.push_back(url[i]);
      }
    }
    if (ok && decoded != url) paths.push_back(decoded);
    (void)bad;
  }
  for (const std::string& p : paths) {
    if (plain_once_decoded(p)) continue;
    const std::string lit = literal(p);
    struct Request {
      std::string method;
      std::string target;
      httplib::Headers extra;
    };
    std::vector<Request> requests = {
        {"GET", "GetFileByServerRelativePath(decodedUrl='" + lit + "')", {}},
        {"GET", "GetFileByServerRelativePath(decodedUrl='" + lit + "')/$value", {}},
        {"GET", "GetFileByServerRelativeUrl('" + lit + "')/$value", {}},
        {"GET", "GetFolderByServerRelativePath(decodedUrl='" + lit + "')/files", {}},
        {"GET", "GetFolderByServerRelativeUrl('" + lit + "')/folders", {}},
        {"POST",
         "GetFileByServerRelativePath(decodedUrl='" + lit + "')/$value",
         {{"X-HTTP-Method", "PUT"}}},
        {"POST",
         "GetFileByServerRelativePath(decodedUrl='" + lit + "')",
         {{"X-HTTP-Method", "DELETE"}}},
        {"DELETE", "GetFolderByServerRelativePath(decodedUrl='" + lit + "')", {}},
        {"POST",
         "GetFolderByServerRelativePath(decodedUrl='" + literal(kLib) +
             "')/files/AddUsingPath(decodedurl='" + lit + "',Overwrite=true)",
         {}},
        {"POST",
         "GetFolderByServerRelativeUrl('" + literal(kLib) + "')/Files/add(url='" + lit +
             "',overwrite=true)",
         {}},
        {"POST",
         "GetFolderByServerRelativePath(decodedUrl='" + lit +
             "')/files/AddUsingPath(decodedurl='x.txt',Overwrite=true)",
         {}},
        {"GET",
         "GetFolderByServerRelativePath(decodedUrl='" + literal(kLib) + "')/files('" + lit + "')",
         {}},
        {"GET",
         "GetFolderByServerRelativePath(decodedUrl='" + literal(kLib) + "')/folders('" + lit +
             "')/files",
         {}},
    };
    for (const Request& rq : requests) {
      std::string target = kApi + rq.target;
      httplib::Result r =
          rq.method == "GET" ? client().Get(target.c_str(), headers(rq.extra))
          : rq.method == "DELETE"
              ? client().Delete(target.c_str(), headers(rq.extra))
              : client().Post(target.c_str(), headers(rq.extra), "pwned", "text/plain");
      ASSERT_TRUE(r) << rq.method << " " << target;
      // A line break in the path matches no route at all (404 before any handler runs).
      const int refused = p.find('\n') != std::string::npos ? 404 : 400;
      EXPECT_EQ(r->status, refused) << rq.method << " " << target << " → " << r->body;
    }
    ASSERT_EQ(tree(dir_.path()), before) << "after " << p;
  }
}

TEST_F(PathDoorRestTest, QueueImportRefusesTheTraversalOfFindingOne) {
  const auto before = tree(dir_.path());
  const std::string profile = cli_output({"--json", "profile", "get", "-t", "contoso", kAdele});
  const std::string api =
      "/tenants/contoso/_api/Microsoft.Online.SharePoint.TenantManagement.Office365Tenant/";
  std::vector<std::string> sources = hostile_urls(outside_);
  // Absolute on this server, through its tenant prefix.
  std::string origin = "http://127.0.0.1:" + std::to_string(server_->port());
  sources.push_back(origin + "/tenants/contoso" + kLib +
                    "/%2e%2e%2f%2e%2e%2f%2e%2e%2f%2e%2e/fabrikam" + kLib + "/import/users.json");
  sources.push_back(origin + "/tenants/contoso/%2e%2e/fabrikam" + kLib + "/import/users.json");
  for (const std::string& source : sources) {
    json body = {{"idType", 0},
                 {"sourceDataIdProperty", "IdName"},
                 {"propertyMap", {{"City", "City"}}},
                 {"sourceUri", source}};
    auto r = client().Post((api + "QueueImportProfileProperties").c_str(), headers(), body.dump(),
                           "application/json");
    ASSERT_TRUE(r);
    if (other_host(source)) {
      EXPECT_EQ(r->status, 200) << source << " → " << r->body;  // DataFileNotInTenant
    } else {
      EXPECT_EQ(r->status, 400) << source << " → " << r->body;
    }
  }
  // Whatever was queued ran, and took nothing from fabrikam or the host.
  ASSERT_EQ(cli({"import", "run-pending"}), 0);
  EXPECT_EQ(cli_output({"--json", "profile", "get", "-t", "contoso", kAdele}), profile);
  json jobs = json::parse(cli_output({"--json", "import", "list", "-t", "contoso"}));
  for (const json& j : jobs) EXPECT_EQ(j["Error"], "DataFileNotInTenant") << j.dump();
  EXPECT_EQ(tree(dir_.path()), before);
}

TEST_F(PathDoorRestTest, LongAndReservedNamesAre400) {
  const auto before = tree(dir_.path());
  for (const std::string& name : {std::string(300, 'n') + ".txt", std::string("x.upsync-tmp")}) {
    std::string target = std::string(kApi) + "GetFolderByServerRelativePath(decodedUrl='" +
                         literal(kLib) + "')/files/AddUsingPath(decodedurl='" + literal(name) +
                         "',Overwrite=true)";
    auto r = client().Post(target.c_str(), headers(), "content", "text/plain");
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 400) << name << " → " << r->body;
    EXPECT_NE(r->body.find(name.size() > 255 ? "longer than 255 bytes" : "reserved"),
              std::string::npos)
        << r->body;
  }
  EXPECT_EQ(tree(dir_.path()), before);
}

// ---- the door itself --------------------------------------------------------------------------

TEST(FileUrlDoor, RefusesTheWholeHostileCorpus) {
  for (const std::string& url : hostile_urls("/tmp/outside")) {
    auto r = parse_file_url(url);
    // Another host is well-formed: the caller refuses it as not in the tenant.
    if (other_host(url)) {
      ASSERT_TRUE(r) << url << ": " << r.status().to_string();
      EXPECT_NE(r->host, "");
      continue;
    }
    EXPECT_FALSE(r) << url << " → " << (r ? r->server_relative() : "");
    if (!r) {
      EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument) << url;
    }
  }
}

TEST(FileUrlDoor, DecodedFormsRefuseWhatTheyHoldLiterally) {
  for (const std::string& bad :
       {kLib + "/../x.txt", kLib + "/a\\b", kLib + "/%2e%2e/x", kLib + std::string("/a\0b", 4),
        kLib + "/\xef\xbc\x8e\xef\xbc\x8e/x", kLib + "/\xc0\xae\xc0\xae/x", kLib + "/x\xff",
        kLib + "/x.upsync-tmp", kLib + "//x", kLib + "/" + std::string(256, 'a')}) {
    auto r = parse_decoded_file_url(bad);
    EXPECT_FALSE(r) << quote(bad);
  }
  // A '%' that is no escape, '?' and '#' are plain characters of a decoded name.
  for (const std::string& ok : {kLib + "/100%.txt", kLib + "/a?b#c.txt", kLib + "/x%2.txt"}) {
    auto r = parse_decoded_file_url(ok);
    ASSERT_TRUE(r) << ok << ": " << r.status().to_string();
    EXPECT_EQ(r->server_relative(), ok);
  }
}

TEST(FileUrlDoor, AcceptedUrlsRoundTrip) {
  struct Case {
    std::string url;
    std::string decoded;
  };
  std::vector<Case> cases = {
      {"/sites/hr/Shared%20Documents/import/users.json",
       "/sites/hr/Shared Documents/import/users.json"},
      {"/sites/hr/Docs/100%25.txt", "/sites/hr/Docs/100%.txt"},
      {"/sites/hr/Docs/a%3Fb%23c.txt", "/sites/hr/Docs/a?b#c.txt"},
      {"/teams/x/Docs/caf%C3%A9/na\xc3\xafve.txt", "/teams/x/Docs/caf\xc3\xa9/na\xc3\xafve.txt"},
      {"https://Contoso.SharePoint.com/sites/hr/Docs/", "/sites/hr/Docs"},
      {"/sites/hr/Docs/a.b..c", "/sites/hr/Docs/a.b..c"},
  };
  for (const Case& c : cases) {
    auto u = parse_file_url(c.url);
    ASSERT_TRUE(u) << c.url << ": " << u.status().to_string();
    EXPECT_EQ(u->server_relative(), c.decoded);
    auto again = parse_file_url(u->escaped());
    ASSERT_TRUE(again) << u->escaped();
    EXPECT_EQ(again->server_relative(), u->server_relative());
    auto decoded = parse_decoded_file_url(u->server_relative());
    ASSERT_TRUE(decoded);
    EXPECT_EQ(decoded->server_relative(), u->server_relative());
  }
}

TEST(FileUrlDoor, LimitsAreSharePoints) {
  std::string name255(255, 'n');
  EXPECT_TRUE(parse_file_url(kLib + "/" + name255));
  std::string deep = kLib;
  while (deep.size() + 11 <= 400) deep += "/" + std::string(10, 'd');
  ASSERT_LE(deep.size(), 400u);
  EXPECT_TRUE(parse_file_url(deep)) << deep.size();
  auto r = parse_file_url(deep + "/" + std::string(401 - deep.size(), 'e'));
  ASSERT_FALSE(r);
  EXPECT_NE(r.status().message().find("more than 400"), std::string::npos) << r.status().message();
  // A name is measured in bytes, a path in characters: three names of 120 two-byte letters
  // (240 bytes each) make a path of 374 characters and 734 bytes.
  std::string name;
  for (int i = 0; i < 120; ++i) name += "\xc3\xa9";
  auto wide = parse_file_url("/sites/hr/D/" + name + "/" + name + "/" + name);
  EXPECT_TRUE(wide) << wide.status().to_string();
}

TEST(FileUrlDoor, CheckLibraryNameIsTheFileLayersRule) {
  for (const std::string& bad :
       {std::string(""), std::string("."), std::string(".."), std::string("a/b"),
        std::string("a\\b"), std::string("x.upsync-tmp"), std::string("X.UPSYNC-TMP"),
        std::string("a\0", 2), std::string("\xef\xbc\x8f"), std::string(256, 'a')}) {
    EXPECT_FALSE(check_library_name(bad).is_ok()) << quote(bad);
  }
  EXPECT_TRUE(check_library_name("Shared Documents").is_ok());
  EXPECT_TRUE(check_library_name("caf\xc3\xa9 100%.json").is_ok());
}

// ---- the file layer ---------------------------------------------------------------------------

class FileLayerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    data_ = dir_.path() / "data";
    fs::create_directories(data_);
    outside_ = dir_.path() / "outside";
    fs::create_directories(outside_);
    write_file(outside_ / "secret.txt", "secret");
    ASSERT_TRUE(libs_.put_text(t_, url("/keep.txt"), "keep").is_ok());
    lib_ = data_ / "files/contoso/sites/hr/Shared Documents";
  }
  static FileUrl url(const std::string& rest) { return *parse_file_url(kLib + rest); }

  TempDir dir_;
  fs::path data_, outside_, lib_;
  Tenant t_{.id = 1, .name = "contoso"};
  DocumentLibraries libs_{(dir_.path() / "data").string()};
};

TEST_F(FileLayerTest, ALinkInsideALibraryPointingOutIsNeverFollowed) {
  fs::create_symlink(outside_ / "secret.txt", lib_ / "file-link.txt");
  fs::create_directory_symlink(outside_, lib_ / "folder-link");
  const auto before = tree(dir_.path());

  EXPECT_FALSE(libs_.stat(t_, url("/file-link.txt")));
  EXPECT_FALSE(libs_.open_file(t_, url("/file-link.txt")));
  EXPECT_FALSE(libs_.get_file(t_, url("/file-link.txt"), (dir_.path() / "got").string()).is_ok());
  EXPECT_FALSE(fs::exists(dir_.path() / "got"));
  EXPECT_FALSE(libs_.stat(t_, url("/folder-link/secret.txt")));
  EXPECT_FALSE(libs_.list(t_, url("/folder-link")));
  auto through = libs_.put_text(t_, url("/folder-link/new.txt"), "x");
  EXPECT_EQ(through.code(), StatusCode::kFailedPrecondition) << through.to_string();
  EXPECT_FALSE(libs_.remove(t_, url("/folder-link/secret.txt")).is_ok());
  auto listed = libs_.list(t_, url(""));
  ASSERT_TRUE(listed);
  ASSERT_EQ(listed->size(), 1u) << "links are left out";
  EXPECT_EQ((*listed)[0].url, kLib + "/keep.txt");
  EXPECT_EQ(tree(dir_.path()), before);

  // Writing over a link replaces the link, not what it points to; removing one removes it.
  ASSERT_TRUE(libs_.put_text(t_, url("/file-link.txt"), "mine").is_ok());
  EXPECT_EQ(read_file(outside_ / "secret.txt"), "secret");
  EXPECT_FALSE(fs::is_symlink(lib_ / "file-link.txt"));
  ASSERT_TRUE(libs_.remove(t_, url("/folder-link")).is_ok());
  EXPECT_TRUE(fs::exists(outside_ / "secret.txt"));
  EXPECT_FALSE(fs::exists(lib_ / "folder-link"));
}

TEST_F(FileLayerTest, AFolderWithALinkInsideIsRemovedWithoutFollowingIt) {
  ASSERT_TRUE(libs_.put_text(t_, url("/f/a.txt"), "a").is_ok());
  fs::create_directory_symlink(outside_, lib_ / "f/out");
  ASSERT_TRUE(libs_.remove(t_, url("/f")).is_ok());
  EXPECT_TRUE(fs::exists(outside_ / "secret.txt"));
  EXPECT_FALSE(fs::exists(lib_ / "f"));
}

TEST_F(FileLayerTest, ALinkAboveTheLibraryIsNotFollowedEither) {
  // The tenant's folder holds a site that is a link to the outside.
  fs::create_directories(data_ / "files/contoso/sites");
  fs::create_directory_symlink(outside_, data_ / "files/contoso/sites/evil");
  FileUrl u = *parse_file_url("/sites/evil/Docs/x.txt");
  EXPECT_FALSE(libs_.put_text(t_, u, "x").is_ok());
  EXPECT_FALSE(libs_.stat(t_, *parse_file_url("/sites/evil/secret.txt/x")));
  EXPECT_FALSE(fs::exists(outside_ / "Docs"));
}

TEST_F(FileLayerTest, AHandBuiltFileUrlCannotLeaveTheTenant) {
  // Whatever a caller puts in a FileUrl, the file layer checks every name again.
  std::vector<FileUrl> urls = {
      {"", "sites/hr", "..", "x.txt"},
      {"", "sites/..", "Docs", "x.txt"},
      {"", "sites/hr", "Shared Documents", "../../../../../outside/x.txt"},
      {"", "sites/hr", "Shared Documents", "/tmp/x.txt"},
      {"", "sites/hr", "/etc", "x.txt"},
      {"", "sites/hr", "Shared Documents", "a//b"},
      {"", "sites/hr", "Shared Documents", "x.upsync-tmp"},
      {"", "../../..", "Docs", "x.txt"},
  };
  const auto before = tree(dir_.path());
  for (const FileUrl& u : urls) {
    Status put = libs_.put_text(t_, u, "pwned");
    EXPECT_EQ(put.code(), StatusCode::kInvalidArgument) << u.server_relative() << put.to_string();
    EXPECT_FALSE(libs_.stat(t_, u)) << u.server_relative();
    EXPECT_FALSE(libs_.remove(t_, u).is_ok()) << u.server_relative();
  }
  Tenant evil{.id = 9, .name = "../contoso"};
  EXPECT_FALSE(libs_.put_text(evil, url("/x.txt"), "pwned").is_ok());
  EXPECT_EQ(tree(dir_.path()), before);
}

TEST_F(FileLayerTest, ModesArePrivate) {
  ASSERT_TRUE(libs_.put_text(t_, url("/deep/er/x.txt"), "x").is_ok());
  EXPECT_EQ(mode_of(lib_ / "deep/er/x.txt"), 0600u);
  EXPECT_EQ(mode_of(lib_ / "deep/er"), 0700u);
  EXPECT_EQ(mode_of(data_ / "files"), 0700u);
  EXPECT_EQ(mode_of(data_ / "files/contoso"), 0700u);
}

// ---- a queued import pins its source ----------------------------------------------------------

class SourcePinTest : public PathDoorTest {
 protected:
  void queue_then(const std::function<void(const fs::path&)>& change, const std::string& expect) {
    write_file(dir_.path() / "src.json",
               R"({"value":[{"IdName":"adele@contoso.com","City":"Bergen"}]})");
    ASSERT_EQ(cli({"file", "put", "-t", "contoso", (dir_.path() / "src.json").string(),
                   kLib + "/import/src.json"}),
              0);
    std::string id =
        cli_output({"import", "queue", "-t", "contoso", "--id-type", "Email", "--id-property",
                    "IdName", "--map", "City=City", "--source", kLib + "/import/src.json"});
    ASSERT_FALSE(id.empty());
    change(fs::path(data_) / "files/contoso/sites/hr/Shared Documents/import/src.json");
    ASSERT_EQ(cli({"import", "run-pending"}), 0);
    json jobs = json::parse(cli_output({"--json", "import", "list", "-t", "contoso"}));
    ASSERT_EQ(jobs.size(), 1u);
    EXPECT_EQ(jobs[0]["Error"], expect) << jobs[0].dump();
    if (expect != "NoError") {
      EXPECT_NE(jobs[0]["ErrorMessage"].get<std::string>().find("changed after the job was queued"),
                std::string::npos)
          << jobs[0].dump();
      EXPECT_EQ(cli_output({"--json", "profile", "get", "-t", "contoso", kAdele}).find("Bergen"),
                std::string::npos);
    }
  }
};

TEST_F(SourcePinTest, AnUnchangedFileImports) {
  queue_then([](const fs::path&) {}, "NoError");
  EXPECT_NE(cli_output({"--json", "profile", "get", "-t", "contoso", kAdele}).find("Bergen"),
            std::string::npos);
}

TEST_F(SourcePinTest, AFileReplacedAfterQueuingIsRefused) {
  queue_then(
      [&](const fs::path&) {
        write_file(dir_.path() / "other.json",
                   R"({"value":[{"IdName":"adele@contoso.com","City":"Elsewhere, longer"}]})");
        ASSERT_EQ(cli({"file", "put", "-t", "contoso", (dir_.path() / "other.json").string(),
                       kLib + "/import/src.json"}),
                  0);
      },
      "InvalidDataFile");
}

TEST_F(SourcePinTest, ASameSizeRewriteWithItsOldTimeIsCaughtByTheHash) {
  queue_then(
      [](const fs::path& p) {
        struct stat st {};
        ASSERT_EQ(stat(p.c_str(), &st), 0);
        std::string content = read_file(p);
        content.replace(content.find("Bergen"), 6, "Narvik");
        write_file(p, content);
        timespec times[2] = {st.st_atim, st.st_mtim};
        ASSERT_EQ(utimensat(AT_FDCWD, p.c_str(), times, 0), 0);
      },
      "InvalidDataFile");
}

// ---- modes (finding 7) ------------------------------------------------------------------------

TEST_F(PathDoorTest, DataFolderIsPrivateToItsOwner) {
  EXPECT_EQ(mode_of(data_), 0700u);
  for (auto it = fs::recursive_directory_iterator(data_); it != fs::end(it); ++it) {
    mode_t m = mode_of(it->path());
    if (it->is_directory()) {
      EXPECT_EQ(m, 0700u) << it->path();
    } else {
      EXPECT_EQ(m, 0600u) << it->path();
    }
  }
}

TEST_F(PathDoorTest, OpeningADataFolderTightensWhatOthersCouldRead) {
  const fs::path file = fs::path(data_) / "files/contoso/sites/hr/Shared Documents/keep.txt";
  ASSERT_TRUE(fs::exists(file));
  chmod(data_.c_str(), 0755);
  chmod((data_ + "/upsync.db").c_str(), 0644);
  chmod(file.c_str(), 0644);
  std::string err = upsync::testing::run_binary_stderr(
      {"--data-dir", data_, "file", "ls", "-t", "contoso", kLib}, false);
  EXPECT_NE(err.find("warning"), std::string::npos) << err;
  EXPECT_NE(err.find("upsync.db"), std::string::npos) << err;
  EXPECT_NE(err.find("keep.txt"), std::string::npos) << err;
  EXPECT_EQ(mode_of(data_), 0700u);
  EXPECT_EQ(mode_of(data_ + "/upsync.db"), 0600u);
  EXPECT_EQ(mode_of(file), 0600u);
  // Once tight, nothing more is said.
  err = upsync::testing::run_binary_stderr(
      {"--data-dir", data_, "file", "ls", "-t", "contoso", kLib}, false);
  EXPECT_EQ(err, "");
}

}  // namespace
}  // namespace upsync
