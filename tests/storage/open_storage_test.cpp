// open_storage(): a backend chosen from a URL; missing data, unknown kinds and backends this
// build lacks refused with what and where (and never a password).
#include "storage/open_storage.h"

#include <gtest/gtest.h>

#include <filesystem>

#include "test_support.h"

namespace upsync {
namespace {

namespace fs = std::filesystem;
using testing::TempDir;

Result<std::unique_ptr<Storage>> open_url(const std::string& url, bool create = true) {
  return open_storage({.url = url, .data_dir = "", .create = create});
}

TEST(OpenStorageTest, ADataFolderIsTheDefaultAndHoldsUpsyncDb) {
  TempDir dir;
  const std::string folder = (dir.path() / "data").string();
  auto by_folder = open_storage({.url = "", .data_dir = folder, .create = true});
  ASSERT_TRUE(by_folder) << by_folder.status().to_string();
  EXPECT_EQ((*by_folder)->backend(), "sqlite");
  EXPECT_EQ((*by_folder)->where(), folder + "/upsync.db");
  auto store = (*by_folder)->connect();
  ASSERT_TRUE(store) << store.status().to_string();
  ASSERT_TRUE((*store)->create_tenant({.name = "contoso"}));
  EXPECT_TRUE(fs::exists(folder + "/upsync.db"));

  // A plain path as the URL is a data folder too; a Store outlives its Storage.
  auto by_path = open_url(folder, /*create=*/false);
  ASSERT_TRUE(by_path) << by_path.status().to_string();
  auto again = (*by_path)->connect();
  ASSERT_TRUE(again) << again.status().to_string();
  by_path->reset();
  EXPECT_TRUE((*again)->tenant("contoso"));
}

TEST(OpenStorageTest, SqliteUrlNamesTheDatabaseFile) {
  TempDir dir;
  const std::string file = (dir.path() / "db" / "people.db").string();
  auto storage = open_url("sqlite:" + file);
  ASSERT_TRUE(storage) << storage.status().to_string();
  EXPECT_EQ((*storage)->where(), file);
  EXPECT_FALSE(fs::exists(file)) << "nothing is made before the first connect";
  auto store = (*storage)->connect();
  ASSERT_TRUE(store) << store.status().to_string();
  ASSERT_TRUE((*store)->create_tenant({.name = "contoso"}));
  EXPECT_TRUE(fs::exists(file));
  EXPECT_FALSE(fs::exists(dir.path() / "db" / "upsync.db"));
}

TEST(OpenStorageTest, MissingDataIsNotFoundAndNotCreatedWhenOnlyReading) {
  TempDir dir;
  const std::string folder = (dir.path() / "none").string();
  auto storage = open_storage({.url = "", .data_dir = folder, .create = false});
  ASSERT_TRUE(storage);
  auto store = (*storage)->connect();
  ASSERT_FALSE(store);
  EXPECT_EQ(store.status().code(), StatusCode::kNotFound);
  EXPECT_EQ(store.status().message(), "no upsync data in '" + folder +
                                          "' (create a tenant first: upsync tenant create NAME)");
  const std::string file = (dir.path() / "none.db").string();
  auto by_file = open_url("sqlite:" + file, /*create=*/false);
  ASSERT_TRUE(by_file);
  auto none = (*by_file)->connect();
  ASSERT_FALSE(none);
  EXPECT_EQ(none.status().code(), StatusCode::kNotFound);
  EXPECT_NE(none.status().message().find(file), std::string::npos) << none.status().message();
  EXPECT_FALSE(fs::exists(folder));
  EXPECT_FALSE(fs::exists(file));
}

TEST(OpenStorageTest, BadSqliteUrlsAreRefused) {
  TempDir dir;
  auto empty = open_url("sqlite:");
  ASSERT_FALSE(empty);
  EXPECT_EQ(empty.status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(empty.status().message(), "sqlite: names no database file (sqlite:PATH)");

  auto folder = open_url("sqlite:" + dir.str());
  ASSERT_FALSE(folder);
  EXPECT_EQ(folder.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(folder.status().message().find("is a folder"), std::string::npos)
      << folder.status().message();

  auto nothing = open_storage({.url = "", .data_dir = "", .create = true});
  ASSERT_FALSE(nothing);
  EXPECT_EQ(nothing.status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(nothing.status().message(), "no data folder given");
}

TEST(OpenStorageTest, PostgresqlUrlsOpenThePostgresBackendWithoutShowingThePassword) {
  // Opening a Storage does not connect yet: where() names the database for messages.
  for (const std::string scheme : {"postgresql", "postgres"}) {
    auto pg = open_url(scheme + "://upsync:s3cret@db.example.com:5432/upsync?sslmode=require");
    ASSERT_TRUE(pg) << pg.status().to_string();
    EXPECT_EQ((*pg)->backend(), "postgresql");
    EXPECT_EQ((*pg)->where(), "postgresql://upsync:***@db.example.com:5432/upsync?sslmode=require");
  }

  // A password holding '/' or '@', or given as a parameter, is hidden as well.
  for (const std::string url : {"postgresql://u:pa/ss@wo@rd@db/upsync",
                                "postgresql://db/upsync?user=u&password=pa@ss&sslmode=require"}) {
    auto s = open_url(url);
    ASSERT_TRUE(s) << url;
    const std::string where = (*s)->where();
    EXPECT_EQ(where.find("pa/ss"), std::string::npos) << where;
    EXPECT_EQ(where.find("pa@ss"), std::string::npos) << where;
    EXPECT_EQ(where.find("wo@rd"), std::string::npos) << where;
  }

  auto no_slashes = open_url("postgresql:upsync");
  ASSERT_FALSE(no_slashes);
  EXPECT_EQ(no_slashes.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(no_slashes.status().message().find("postgresql://[user[:password]@]"),
            std::string::npos)
      << no_slashes.status().message();
}

TEST(OpenStorageTest, UnknownKindsOfDatabaseAreRefused) {
  for (const std::string url :
       {"mysql://root:hunter2@localhost/upsync", "postgre://x@y/z", "://", "sqlite3://a.db"}) {
    auto s = open_url(url);
    ASSERT_FALSE(s) << url;
    EXPECT_EQ(s.status().code(), StatusCode::kInvalidArgument) << url;
    EXPECT_NE(s.status().message().find("unknown kind of database"), std::string::npos)
        << s.status().message();
    EXPECT_EQ(s.status().message().find("hunter2"), std::string::npos) << s.status().message();
  }
}

}  // namespace
}  // namespace upsync
