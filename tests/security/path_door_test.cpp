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
#include "security/hostile_paths.h"
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

using namespace upsync::testing::hostile;

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
