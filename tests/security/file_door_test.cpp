// Security regressions of the door from a client's URL to a file (issue 15, findings 1 and 8),
// below the entries that path_door_test.cpp drives: the door itself (parse_file_url and its
// decoded forms) against the whole hostile corpus, and the file layer, which never follows a
// link out of a library and keeps its files private.
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <string>

#include "security/hostile_paths.h"
#include "sites/library_path.h"
#include "sites/sites.h"
#include "store/store.h"
#include "test_support.h"

namespace upsync {
namespace {

namespace fs = std::filesystem;
using namespace upsync::testing::hostile;
using upsync::testing::read_file;
using upsync::testing::TempDir;
using upsync::testing::write_file;

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

}  // namespace
}  // namespace upsync
