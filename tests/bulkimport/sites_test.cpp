// Document libraries: URLs, put/get/list/remove, sizes and timestamps, bad paths.
#include "sites/sites.h"

#include <gtest/gtest.h>

#include <filesystem>

#include "test_support.h"

namespace upsync {
namespace {

using testing::TempDir;

TEST(FileUrl, ParsesServerRelativeAndAbsoluteUrls) {
  auto a = parse_file_url("/sites/hr/Shared Documents/import/users.json");
  ASSERT_TRUE(a);
  EXPECT_EQ(a->host, "");
  EXPECT_EQ(a->site, "sites/hr");
  EXPECT_EQ(a->library, "Shared Documents");
  EXPECT_EQ(a->path, "import/users.json");
  auto b = parse_file_url(
      "https://Contoso.SharePoint.com/sites/hr/Shared%20Documents/import/users.json");
  ASSERT_TRUE(b);
  EXPECT_EQ(b->host, "contoso.sharepoint.com");
  EXPECT_EQ(b->server_relative(), a->server_relative());
  Tenant contoso{.id = 1, .name = "contoso"};
  Tenant fabrikam{.id = 2, .name = "fabrikam"};
  EXPECT_TRUE(url_in_tenant(*a, fabrikam));
  EXPECT_TRUE(url_in_tenant(*b, contoso));
  EXPECT_FALSE(url_in_tenant(*b, fabrikam));
  EXPECT_EQ(a->parent().child("x").server_relative(), "/sites/hr/Shared Documents/import/x");
}

TEST(FileUrl, RefusesBadUrls) {
  for (const char* bad :
       {"", "users.json", "/sites/hr", "/sites/hr/Docs/../../../etc/passwd", "/sites/hr/Docs//x",
        "/other/hr/Docs/x", "/sites/hr/Docs/a%2", "/sites/hr/Docs/a%zz", "/sites/hr/Docs/a\\b"}) {
    auto r = parse_file_url(bad);
    EXPECT_FALSE(r) << bad;
    if (!r) {
      EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument) << bad;
    }
  }
}

TEST(DocumentLibraries, PutGetListRemove) {
  TempDir dir;
  DocumentLibraries libs(dir.str());
  Tenant t{.id = 1, .name = "contoso"};
  Tenant other{.id = 2, .name = "fabrikam"};
  testing::write_file(dir.path() / "in.json", "{\"value\":[]}");
  auto url = *parse_file_url("/sites/hr/Shared Documents/import/users.json");
  ASSERT_TRUE(libs.put_file(t, url, (dir.path() / "in.json").string()).is_ok());
  auto info = libs.stat(t, url);
  ASSERT_TRUE(info);
  EXPECT_EQ(info->size, 12u);
  EXPECT_FALSE(info->folder);
  EXPECT_EQ(info->modified_at.size(), 20u);
  EXPECT_FALSE(libs.stat(other, url)) << "nothing crosses tenants";
  ASSERT_TRUE(libs.get_file(t, url, (dir.path() / "out.json").string()).is_ok());
  EXPECT_EQ(testing::read_file(dir.path() / "out.json"), "{\"value\":[]}");
  auto list = libs.list(t, url.parent());
  ASSERT_TRUE(list);
  ASSERT_EQ(list->size(), 1u);
  EXPECT_EQ((*list)[0].url, "/sites/hr/Shared Documents/import/users.json");
  EXPECT_FALSE(libs.put_file(t, url, (dir.path() / "missing").string()).is_ok());
  ASSERT_TRUE(libs.remove(t, url).is_ok());
  auto gone = libs.stat(t, url);
  ASSERT_FALSE(gone);
  EXPECT_EQ(gone.status().code(), StatusCode::kNotFound);
  EXPECT_FALSE(libs.remove(t, url).is_ok());
}

// A file being written is invisible (listing, reading) until its commit; dropped uncommitted,
// it leaves nothing; a commit without replace keeps a file that appeared meanwhile.
TEST(DocumentLibraries, AFileWriterIsInvisibleUntilCommittedAndLeavesNothingWhenDropped) {
  TempDir dir;
  DocumentLibraries libs(dir.str());
  Tenant t{.id = 1, .name = "contoso"};
  auto url = parse_file_url("/sites/hr/Docs/in/a.json");
  ASSERT_TRUE(url);
  auto folder = parse_file_url("/sites/hr/Docs/in");
  {
    auto w = libs.begin_write(t, *url);
    ASSERT_TRUE(w) << w.status().message();
    ASSERT_TRUE((*w)->append("half").is_ok());
    EXPECT_EQ(libs.list(t, *folder)->size(), 0u);
    EXPECT_EQ(libs.stat(t, *url).status().code(), StatusCode::kNotFound);
  }
  EXPECT_TRUE(std::filesystem::is_empty(dir.path() / "files/contoso/sites/hr/Docs/in"));
  auto w = libs.begin_write(t, *url);
  ASSERT_TRUE(w);
  ASSERT_TRUE((*w)->append("{\"value\":").is_ok());
  ASSERT_TRUE((*w)->append("[]}").is_ok());
  EXPECT_EQ((*w)->size(), 12u);
  ASSERT_TRUE((*w)->commit(false).is_ok());
  EXPECT_EQ(libs.stat(t, *url)->size, 12u);
  EXPECT_EQ((*w)->commit(true).code(), StatusCode::kFailedPrecondition);
  // Without replace, a file that is there now wins.
  auto late = libs.begin_write(t, *url);
  ASSERT_TRUE(late);
  ASSERT_TRUE((*late)->append("late").is_ok());
  EXPECT_EQ((*late)->commit(false).code(), StatusCode::kAlreadyExists);
  late->reset();
  EXPECT_EQ(libs.stat(t, *url)->size, 12u);
  EXPECT_EQ(libs.list(t, *folder)->size(), 1u);
  // A folder is not a file to write.
  EXPECT_EQ(libs.begin_write(t, *folder).status().code(), StatusCode::kFailedPrecondition);
}

}  // namespace
}  // namespace upsync
