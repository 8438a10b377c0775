// The PostgreSQL schema and its versions (store/postgres/pg_schema.h): the same tables and
// columns as SQLite's migrations, a newer or foreign database refused untouched, and
// processes connecting at once migrating once.
#include "store/postgres/pg_schema.h"

#include <gtest/gtest.h>

#include <map>
#include <set>
#include <thread>

#include "storage/open_storage.h"
#include "store/pg_test_server.h"
#include "store/sqlite/sqlite_db.h"
#include "store/sqlite/sqlite_store.h"

namespace upsync {
namespace {

using testing::PgTestServer;
using testing::TempDir;

class PgSchemaTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto url = PgTestServer::fresh_database_url();
    ASSERT_TRUE(url) << url.status().to_string();
    url_ = *url;
    auto db = PgDb::connect(url_, "the test database");
    ASSERT_TRUE(db) << db.status().to_string();
    db_ = std::move(*db);
  }

  Result<std::unique_ptr<Store>> connect(bool create = true) {
    UPSYNC_ASSIGN_OR_RETURN(auto storage,
                            open_storage({.url = url_, .data_dir = "", .create = create}));
    return storage->connect();
  }

  // Table → its columns, in the current schema.
  std::map<std::string, std::set<std::string>> pg_tables() {
    std::map<std::string, std::set<std::string>> out;
    auto r = db_->query(
        "SELECT table_name, column_name FROM information_schema.columns WHERE table_schema = "
        "current_schema()");
    EXPECT_TRUE(r) << r.status().to_string();
    for (int i = 0; r && i < r->rows(); ++i) {
      out[std::string(r->text(i, 0))].insert(std::string(r->text(i, 1)));
    }
    return out;
  }

  std::string url_;
  std::unique_ptr<PgDb> db_;
};

TEST_F(PgSchemaTest, HasEveryTableAndColumnOfTheSqliteSchema) {
  ASSERT_TRUE(connect());
  TempDir dir;
  const std::string file = (dir.path() / "upsync.db").string();
  ASSERT_TRUE(SqliteStore::open(file, true));
  auto lite = SqliteDb::open(file, false);
  ASSERT_TRUE(lite);
  std::map<std::string, std::set<std::string>> sqlite_tables;
  auto* s = *(*lite)->prepare(
      "SELECT m.name, c.name FROM sqlite_master m, pragma_table_info(m.name) c "
      "WHERE m.type = 'table' AND m.name NOT LIKE 'sqlite_%'");
  while (*s->step())
    sqlite_tables[std::string(s->column_text(0))].insert(std::string(s->column_text(1)));
  s->reset();

  std::map<std::string, std::set<std::string>> pg = pg_tables();
  // PostgreSQL's own additions: its version table, the tenants' schema generation and the
  // change feed's runs.
  ASSERT_TRUE(pg.erase("upsync_schema_version"));
  ASSERT_TRUE(pg.erase("change_feed_runs"));
  ASSERT_TRUE(pg["tenants"].erase("schema_gen"));
  EXPECT_EQ(pg, sqlite_tables);
  EXPECT_EQ(*db_->query_int("SELECT version FROM upsync_schema_version"), pg_schema_version());
}

TEST_F(PgSchemaTest, ANewerSchemaIsRefusedAndLeftUntouched) {
  {
    auto store = connect();
    ASSERT_TRUE(store) << store.status().to_string();
    ASSERT_TRUE((*store)->create_tenant({.name = "contoso"}));
  }
  ASSERT_TRUE(db_->run("UPDATE upsync_schema_version SET version = $1", {pg_schema_version() + 1}));
  auto refused = connect();
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.status().code(), StatusCode::kDataLoss);
  EXPECT_NE(
      refused.status().message().find("schema version " + std::to_string(pg_schema_version() + 1) +
                                      ", newer than this upsync understands"),
      std::string::npos)
      << refused.status().message();
  EXPECT_EQ(*db_->query_int("SELECT version FROM upsync_schema_version"), pg_schema_version() + 1);
  EXPECT_EQ(*db_->query_int("SELECT count(*) FROM tenants"), 1);

  // A version table that does not hold one version is refused too.
  ASSERT_TRUE(db_->exec("DELETE FROM upsync_schema_version"));
  auto broken = connect();
  EXPECT_EQ(broken.status().code(), StatusCode::kDataLoss);
  EXPECT_EQ(*db_->query_int("SELECT count(*) FROM upsync_schema_version"), 0);
}

TEST_F(PgSchemaTest, ADatabaseOfAnotherApplicationIsRefusedAndLeftUntouched) {
  ASSERT_TRUE(
      db_->exec("CREATE TABLE orders (id BIGINT PRIMARY KEY); "
                "INSERT INTO orders VALUES (1), (2)"));
  auto refused = connect();
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.status().code(), StatusCode::kDataLoss);
  EXPECT_NE(refused.status().message().find("tables that are not upsync's (orders)"),
            std::string::npos)
      << refused.status().message();
  EXPECT_EQ(pg_tables().size(), 1u);
  EXPECT_EQ(*db_->query_int("SELECT count(*) FROM orders"), 2);
}

TEST_F(PgSchemaTest, WithoutCreateAnEmptyDatabaseIsNotFound) {
  auto missing = connect(/*create=*/false);
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.status().code(), StatusCode::kNotFound);
  EXPECT_NE(missing.status().message().find("no upsync data in postgresql:///"), std::string::npos)
      << missing.status().message();
  EXPECT_TRUE(pg_tables().empty());
  ASSERT_TRUE(connect(/*create=*/true));
  EXPECT_TRUE(connect(/*create=*/false));
}

TEST_F(PgSchemaTest, ConnectionsFromManyProcessesAtOnceMigrateOnce) {
  // Each thread opens a Storage of its own, as separate processes would: the advisory lock
  // makes them take turns, the first migrates and the others find the schema current.
  constexpr int kConnections = 8;
  std::vector<Status> results(kConnections);
  std::vector<std::thread> threads;
  for (int i = 0; i < kConnections; ++i) {
    threads.emplace_back([&, i] {
      auto store = connect();
      results[i] = store.status();
      if (store) results[i] = (*store)->tenants().status();
    });
  }
  for (std::thread& t : threads) t.join();
  for (const Status& s : results) EXPECT_TRUE(s.is_ok()) << s.to_string();
  EXPECT_EQ(*db_->query_int("SELECT count(*) FROM upsync_schema_version"), 1);
  EXPECT_EQ(*db_->query_int("SELECT version FROM upsync_schema_version"), pg_schema_version());
}

TEST_F(PgSchemaTest, AVersionOneDatabaseMigratesKeepingItsData) {
  // A database that version 1 wrote (before refresh tokens, property policies, audiences and
  // hybrid settings) is brought up to the current version on connect, its data kept.
  {
    auto store = connect();
    ASSERT_TRUE(store) << store.status().to_string();
    ASSERT_TRUE((*store)->create_tenant({.name = "contoso"}));
  }
  ASSERT_TRUE(
      db_->exec("DROP TABLE refresh_tokens, property_policies, audiences, audience_members, "
                "hybrid_settings, leases, privacy_choices; "
                "ALTER TABLE import_jobs DROP COLUMN multi_value_arrays; "
                "DROP TABLE import_job_ranges; ALTER TABLE import_job_log DROP COLUMN record; " +
                std::string(testing::kPgSchemaBeforeItsOwnVersions) +
                "UPDATE upsync_schema_version SET version = 1"));
  auto store = connect();
  ASSERT_TRUE(store) << store.status().to_string();
  EXPECT_EQ(*db_->query_int("SELECT version FROM upsync_schema_version"), pg_schema_version());
  EXPECT_EQ(*db_->query_int("SELECT count(*) FROM tenants WHERE name = 'contoso'"), 1);
  // Version 8: the tables filled by the hundred thousand rows check no foreign key.
  EXPECT_EQ(*db_->query_int("SELECT count(*) FROM pg_constraint WHERE contype = 'f' AND conrelid "
                            "IN ('profiles'::regclass, 'directory_users'::regclass, "
                            "'directory_groups'::regclass, 'people_search_entries'::regclass, "
                            "'site_users'::regclass)"),
            0);
  EXPECT_GT(*db_->query_int("SELECT count(*) FROM pg_constraint WHERE contype = 'f'"), 0);
  // Version 9: the change feed's runs.
  EXPECT_EQ(*db_->query_int("SELECT count(*) FROM change_feed_runs"), 0);
  auto tenant = (*store)->tenant("contoso");
  ASSERT_TRUE(tenant);
  PropertyPolicy policy;
  policy.privacy = Privacy::kPrivate;
  ASSERT_TRUE((*store)->set_property_policy(tenant->id, "Department", policy).is_ok());
  EXPECT_EQ(*db_->query_int("SELECT count(*) FROM property_policies"), 1);
}

TEST_F(PgSchemaTest, TextComparesByteByByteAsOnSqlite) {
  ASSERT_TRUE(connect());
  // Under a linguistic collation 'a' < 'B'; SQLite and this schema compare bytes: 'B' < 'a'.
  ASSERT_TRUE(
      db_->exec("INSERT INTO tenants (name, kind, education, created_at) VALUES "
                "('a', 'online', 0, ''), ('B', 'online', 0, '')"));
  auto r = db_->query("SELECT string_agg(name, ',' ORDER BY name) FROM tenants");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->text(0, 0), "B,a");
}

}  // namespace
}  // namespace upsync
