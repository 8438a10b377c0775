// Backups of a PostgreSQL deployment (store/postgres/pg_database_copy.h) through
// write_backup / restore_backup, on the tests' PostgreSQL server: a backup taken while a writer
// keeps adding profiles is one point in time and restores into an empty database with every
// row, feed position and identity; a database holding rows is never restored into; a newer
// schema and a damaged dump are refused.
#include <gtest/gtest.h>

#include <atomic>
#include <filesystem>
#include <thread>

#include "backup/backup_archive.h"
#include "storage/open_storage.h"
#include "store/pg_test_server.h"
#include "store/postgres/pg_db.h"
#include "test_support.h"

namespace upsync {
namespace {

namespace fs = std::filesystem;
using testing::PgTestServer;
using testing::TempDir;

class PgBackupTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto source = PgTestServer::fresh_database_url();
    ASSERT_TRUE(source) << source.status().to_string();
    source_url_ = *source;
    auto target = PgTestServer::fresh_database_url();
    ASSERT_TRUE(target) << target.status().to_string();
    target_url_ = *target;
    fs::create_directories(data());  // the files' folder, beside the database
    auto storage = open_storage({.url = source_url_, .data_dir = data(), .create = true});
    ASSERT_TRUE(storage) << storage.status().to_string();
    source_ = std::move(*storage);
    auto store = source_->connect();
    ASSERT_TRUE(store) << store.status().to_string();
    store_ = std::move(*store);
    auto tenant = store_->create_tenant({.name = "contoso"});
    ASSERT_TRUE(tenant) << tenant.status().to_string();
    tenant_ = *tenant;
    for (int i = 0; i < 50; ++i) add_profile(*store_, "user" + std::to_string(i));
  }

  std::string data() const { return (dir_.path() / "data").string(); }
  std::string archive() const { return (dir_.path() / "backup.tar").string(); }

  void add_profile(Store& store, const std::string& name) {
    const std::vector<PropertyChange> about{{"AboutMe", {name}}};
    auto p = store.create_profile(tenant_.id, "i:0#.f|membership|" + name + "@contoso.com", about);
    ASSERT_TRUE(p) << p.status().to_string();
  }

  Result<BackupReport> backup() {
    UPSYNC_ASSIGN_OR_RETURN(auto copier, source_->database_copy());
    return write_backup(*copier, "postgresql", data(), archive());
  }

  Result<RestoreReport> restore(const std::string& url, const std::string& to) {
    UPSYNC_ASSIGN_OR_RETURN(auto storage,
                            open_storage({.url = url, .data_dir = to, .create = true}));
    UPSYNC_ASSIGN_OR_RETURN(auto copier, storage->database_copy());
    return restore_backup(archive(), *copier, "postgresql", to);
  }

  int64_t count_in(const std::string& url, const std::string& sql) {
    auto db = PgDb::connect(url, "the test database");
    EXPECT_TRUE(db) << db.status().to_string();
    if (!db) return -1;
    auto n = (*db)->query_int(sql);
    EXPECT_TRUE(n) << n.status().to_string();
    return n ? *n : -1;
  }

  TempDir dir_;
  std::string source_url_, target_url_;
  std::unique_ptr<Storage> source_;
  std::unique_ptr<Store> store_;
  Tenant tenant_;
};

TEST_F(PgBackupTest, ABackupWhileProfilesAreAddedRestoresOnePointInTime) {
  std::atomic<bool> stop{false};
  std::atomic<int> added{0};
  std::thread writer([&] {
    auto store = source_->connect();
    ASSERT_TRUE(store) << store.status().to_string();
    while (!stop) add_profile(**store, "late" + std::to_string(added++));
  });
  // Some rows written before the backup starts, more during it.
  while (added < 20) std::this_thread::sleep_for(std::chrono::milliseconds(5));
  auto report = backup();
  stop = true;
  writer.join();
  ASSERT_TRUE(report) << report.status().to_string();
  const DatabaseFacts& taken = report->manifest.database;
  EXPECT_EQ(taken.backend, "postgresql");
  const int64_t profiles = taken.table_rows.at("profiles");
  EXPECT_GE(profiles, 70);                 // the 50 and the first 20 late ones at least
  EXPECT_LT(profiles, 50 + added.load());  // the writer went on after the snapshot
  ASSERT_TRUE(taken.feed_positions.contains("contoso"));

  const std::string to = (dir_.path() / "restored").string();
  auto restored = restore(target_url_, to);
  ASSERT_TRUE(restored) << restored.status().to_string();
  // restore_backup compared the dump's rows and feed positions with the manifest's; the
  // restored database holds them.
  EXPECT_EQ(count_in(target_url_, "SELECT count(*) FROM profiles"), profiles);
  EXPECT_EQ(count_in(target_url_, "SELECT last_seq FROM tenants WHERE name = 'contoso'"),
            taken.feed_positions.at("contoso"));
  EXPECT_FALSE(fs::exists(to + "/.restore-database"));

  // The restored database is a working one: identities continue after the copied ones.
  auto storage = open_storage({.url = target_url_, .data_dir = to, .create = false});
  ASSERT_TRUE(storage) << storage.status().to_string();
  auto store = (*storage)->connect();
  ASSERT_TRUE(store) << store.status().to_string();
  auto fabrikam = (*store)->create_tenant({.name = "fabrikam"});
  ASSERT_TRUE(fabrikam) << fabrikam.status().to_string();
  EXPECT_GT(fabrikam->id, tenant_.id);
  auto p = (*store)->create_profile(tenant_.id, "i:0#.f|membership|new@contoso.com", {});
  ASSERT_TRUE(p) << p.status().to_string();
}

TEST_F(PgBackupTest, ADatabaseHoldingRowsIsNeverRestoredInto) {
  ASSERT_TRUE(backup());
  add_profile(*store_, "after-the-backup");
  const int64_t before = count_in(source_url_, "SELECT count(*) FROM profiles");
  const std::string to = (dir_.path() / "restored").string();
  auto restored = restore(source_url_, to);
  ASSERT_FALSE(restored);
  EXPECT_EQ(restored.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_NE(restored.status().message().find("is not empty"), std::string::npos)
      << restored.status().to_string();
  EXPECT_EQ(count_in(source_url_, "SELECT count(*) FROM profiles"), before);
  EXPECT_FALSE(fs::exists(to));
}

TEST_F(PgBackupTest, ATableThatIsNotUpsyncsIsNeverDropped) {
  ASSERT_TRUE(backup());
  auto db = PgDb::connect(target_url_, "the test database");
  ASSERT_TRUE(db);
  ASSERT_TRUE((*db)->exec("CREATE TABLE theirs (x INT)"));
  const std::string to = (dir_.path() / "restored").string();
  auto restored = restore(target_url_, to);
  ASSERT_FALSE(restored);
  EXPECT_EQ(restored.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_NE(restored.status().message().find("holds the table theirs, which is not upsync's"),
            std::string::npos)
      << restored.status().to_string();
  EXPECT_EQ(count_in(target_url_, "SELECT count(*) FROM pg_tables WHERE tablename = 'theirs'"), 1);
  EXPECT_FALSE(fs::exists(to));
}

TEST_F(PgBackupTest, ANewerSchemaIsNotCopied) {
  auto db = PgDb::connect(source_url_, "the test database");
  ASSERT_TRUE(db);
  ASSERT_TRUE((*db)->exec("UPDATE upsync_schema_version SET version = 999"));
  auto copier = source_->database_copy();
  ASSERT_TRUE(copier);
  const std::string dest = (dir_.path() / "copy.dump").string();
  auto facts = (*copier)->copy_to(dest);
  ASSERT_FALSE(facts);
  EXPECT_EQ(facts.status().code(), StatusCode::kDataLoss);
  EXPECT_NE(facts.status().message().find("newer than this upsync understands"), std::string::npos)
      << facts.status().to_string();
  EXPECT_FALSE(fs::exists(dest));
}

TEST_F(PgBackupTest, ADamagedDumpIsRefusedByTheCheck) {
  auto copier = source_->database_copy();
  ASSERT_TRUE(copier);
  const std::string dest = (dir_.path() / "copy.dump").string();
  auto facts = (*copier)->copy_to(dest);
  ASSERT_TRUE(facts) << facts.status().to_string();
  auto checked = (*copier)->check_copy(dest);
  ASSERT_TRUE(checked) << checked.status().to_string();
  EXPECT_EQ(*checked, *facts);  // read from the dump alone, they are the snapshot's

  fs::resize_file(dest, fs::file_size(dest) / 2);
  auto damaged = (*copier)->check_copy(dest);
  ASSERT_FALSE(damaged);
  EXPECT_NE(damaged.status().message().find("pg_restore"), std::string::npos)
      << damaged.status().to_string();
}

}  // namespace
}  // namespace upsync
