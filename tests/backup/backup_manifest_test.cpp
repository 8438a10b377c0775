// The backup's header and manifest: versions, the paths a backup may hold, parsing.
#include "backup/backup_manifest.h"

#include <gtest/gtest.h>

namespace upsync {
namespace {

TEST(BackupManifestTest, ComparesVersions) {
  EXPECT_EQ(*compare_versions("0.1.0", "0.1.0"), 0);
  EXPECT_LT(*compare_versions("0.1.0", "0.2.0"), 0);
  EXPECT_GT(*compare_versions("1.0.0", "0.99.99"), 0);
  EXPECT_GT(*compare_versions("0.1.10", "0.1.9"), 0);
  for (const char* bad : {"", "1", "1.2", "1.2.3.4", "1.2.x", "a.b.c", "1..2", "1.2.3-rc1"}) {
    EXPECT_FALSE(compare_versions(bad, "0.1.0")) << bad;
  }
}

TEST(BackupManifestTest, PathsAreNamesUnderTheKnownFolders) {
  for (const char* ok : {"files/contoso/sites/hr/Shared Documents/a.json", "keys/signing.pem",
                         "tls/cert.pem", "files/c/\xc3\xa9t\xc3\xa9.txt"}) {
    EXPECT_TRUE(check_backup_path(ok).is_ok()) << ok;
  }
  const std::pair<std::string, const char*> bad[] = {
      {"upsync.db", "not under"},
      {"../x", "not under"},
      {"/files/x", "not under"},
      {"files", "names a folder"},
      {"files/", "names a folder"},
      {"files//x", "empty name"},
      {"files/x/", "empty name"},
      {"files/../x", "'..' name"},
      {"files/./x", "'.' name"},
      {"files/a\nb", "control character"},
      {"files/a\x7f", "control character"},
      {"files/" + std::string(256, 'a'), "longer than 255"},
      {"files/x.json.upsync-tmp", "being written"},
      {"files/" + std::string(5000, 'a'), "longer than 4096"},
  };
  for (const auto& [path, message] : bad) {
    Status s = check_backup_path(path);
    EXPECT_FALSE(s.is_ok()) << path;
    EXPECT_NE(s.message().find(message), std::string::npos) << path << ": " << s.message();
  }
}

TEST(BackupManifestTest, ManifestRoundTrips) {
  BackupManifest m;
  m.database_size = 8192;
  m.database_sha256 = std::string(64, 'a');
  m.database = {.backend = "sqlite",
                .schema_version = 17,
                .table_rows = {{"profiles", 3}},
                .feed_positions = {{"contoso", 9}, {"contoso/stage1", 4}}};
  m.files = {{"files/c/a.txt", 3, std::string(64, 'b')}};
  auto back = parse_manifest(manifest_json(m));
  ASSERT_TRUE(back) << back.status().to_string();
  EXPECT_EQ(back->database, m.database);
  EXPECT_EQ(back->files.size(), 1u);
  EXPECT_EQ(back->files[0].path, "files/c/a.txt");
  EXPECT_EQ(back->database_sha256, m.database_sha256);
}

TEST(BackupManifestTest, RefusesDocumentsItDidNotWrite) {
  EXPECT_FALSE(parse_header("[]"));
  EXPECT_FALSE(parse_header(R"({"format":1})"));
  auto wrong = parse_header(
      R"({"format":"1","upsync_version":"0.1.0","backend":"sqlite","schema_version":1,"created_at":""})");
  ASSERT_FALSE(wrong);
  EXPECT_NE(wrong.status().message().find("'format' has the wrong type"), std::string::npos);
  EXPECT_FALSE(parse_manifest(R"({"format":1,"database":{},"files":[]})"));
  EXPECT_FALSE(parse_manifest("not json"));
}

}  // namespace
}  // namespace upsync
