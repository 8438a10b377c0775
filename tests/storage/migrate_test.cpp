// upsync migrate --to postgresql://...: a data folder holding the demo tenant (a directory
// sync, a finished import, a person's password, an app) moves into an empty PostgreSQL
// database, verified table by table, and reads back the same through every command; a target
// that is not empty, a copy that differs and targets or sources of the wrong kind are refused,
// and leave the target as it was.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <sstream>

#include "cli/app.h"
#include "storage/open_storage.h"
#include "store/pg_test_server.h"
#include "test_support.h"

namespace upsync {
namespace {

using nlohmann::json;

class MigrateTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto url = testing::PgTestServer::fresh_database_url();
    ASSERT_TRUE(url) << url.status().to_string();
    url_ = *url;
    const std::string examples = UPSYNC_SOURCE_DIR "/examples/contoso";
    const std::string src = "/sites/hr/Shared Documents/import/users.json";
    for (std::vector<std::string> args : std::vector<std::vector<std::string>>{
             {"tenant", "create", "contoso", "--kind", "online"},
             {"property", "add", "-t", "contoso", "City", "--display-name", "City"},
             {"property", "add", "-t", "contoso", "OfficeCode", "--display-name", "Office code"},
             {"sync", "ldif", "-t", "contoso", examples + "/directory.ldif"},
             {"file", "put", "-t", "contoso", examples + "/users.json", src},
             {"import", "queue", "-t", "contoso", "--id-type", "Email", "--id-property", "IdName",
              "--map", "City=City", "--map", "Office=OfficeCode", "--source", src},
             {"import", "run-pending"},
             {"user", "password", "set", "-t", "contoso", "adele@contoso.com", "--password",
              "migrate-pw-1"},
             {"app", "add", "-t", "contoso", "hr-feed"},
         }) {
      ASSERT_EQ(on_sqlite(args), 0) << args[0] << " " << args[1] << ": " << err_.str();
    }
  }
  int run(std::vector<std::string> args, const std::string& db) {
    std::vector<std::string> all = {"upsync", "--data-dir", dir_.str()};
    if (!db.empty()) all.insert(all.end(), {"--db", db});
    all.insert(all.end(), args.begin(), args.end());
    out_.str("");
    err_.str("");
    return run_cli(all, out_, err_);
  }
  int on_sqlite(std::vector<std::string> args) { return run(std::move(args), ""); }
  int on_postgres(std::vector<std::string> args) { return run(std::move(args), url_); }
  // What a command prints on each backend.
  std::pair<std::string, std::string> both(const std::vector<std::string>& args) {
    EXPECT_EQ(on_sqlite(args), 0) << err_.str();
    std::string lite = out_.str();
    EXPECT_EQ(on_postgres(args), 0) << err_.str();
    return {lite, out_.str()};
  }
  int64_t pg_rows(const std::string& table) {
    auto db = PgDb::connect(url_, "test");
    EXPECT_TRUE(db) << db.status().to_string();
    auto n = (*db)->query_int("SELECT count(*) FROM " + table);
    EXPECT_TRUE(n) << n.status().to_string();
    return n ? *n : -1;
  }

  testing::TempDir dir_;
  std::string url_;
  std::ostringstream out_, err_;
};

TEST_F(MigrateTest, ADataFolderMovesWholeAndEveryCommandReadsTheSame) {
  ASSERT_EQ(on_sqlite({"--json", "migrate", "--to", url_}), 0) << err_.str();
  const json report = json::parse(out_.str());
  EXPECT_EQ(report["verified"], true);
  std::map<std::string, int64_t> rows;
  for (const json& t : report["tables"]) {
    rows[t["table"]] = t["rows"];
    EXPECT_EQ(t["checksum"].get<std::string>().size(), 32u);
    EXPECT_EQ(pg_rows("\"" + t["table"].get<std::string>() + "\""), t["rows"]) << t["table"];
  }
  EXPECT_EQ(rows["profiles"], 5);
  EXPECT_EQ(rows["directory_users"], 10);
  EXPECT_EQ(rows["import_jobs"], 1);
  EXPECT_EQ(rows["passwords"], 1);
  EXPECT_EQ(rows["apps"], 1);
  EXPECT_GT(rows["change_feed"], 0);
  EXPECT_EQ(report["feedPositions"]["contoso"], rows["change_feed"]);

  for (std::vector<std::string> args : std::vector<std::vector<std::string>>{
           {"--json", "profile", "list", "-t", "contoso"},
           {"--json", "profile", "get", "-t", "contoso", "vesaj@contoso.com"},
           {"--json", "property", "list", "-t", "contoso"},
           {"--json", "import", "list", "-t", "contoso"},
           {"--json", "sync", "status", "-t", "contoso"},
           {"--json", "app", "list", "-t", "contoso"},
       }) {
    auto [lite, pg] = both(args);
    EXPECT_EQ(lite, pg) << args[1] << " " << args[2];
  }
  // New rows on PostgreSQL take keys after the copied ones, and a delta sync finds nothing
  // to change: the feed positions and source states came along.
  ASSERT_EQ(on_postgres({"--json", "profile", "create", "-t", "contoso",
                         "i:0#.f|membership|new@contoso.com"}),
            0)
      << err_.str();
  EXPECT_EQ(json::parse(out_.str())["id"], 6);
  ASSERT_EQ(on_postgres({"--json", "sync", "ldif", "-t", "contoso",
                         UPSYNC_SOURCE_DIR "/examples/contoso/directory.ldif"}),
            0)
      << err_.str();
  const json run = json::parse(out_.str());
  ASSERT_EQ(run["stages"].size(), 4u);
  for (const json& stage : run["stages"]) {
    EXPECT_EQ(stage["added"], 0) << stage["stage"];
    EXPECT_EQ(stage["updated"], 0) << stage["stage"];
    EXPECT_EQ(stage["deleted"], 0) << stage["stage"];
  }
  EXPECT_EQ(run["stages"][0]["unchanged"], 5);
}

TEST_F(MigrateTest, ATargetThatIsNotEmptyIsRefusedAndLeftAsItWas) {
  ASSERT_EQ(on_sqlite({"migrate", "--to", url_}), 0) << err_.str();
  ASSERT_EQ(
      on_postgres({"profile", "create", "-t", "contoso", "i:0#.f|membership|new@contoso.com"}), 0);
  EXPECT_EQ(on_sqlite({"migrate", "--to", url_}), 1);
  EXPECT_NE(err_.str().find("is not empty (rows: "), std::string::npos) << err_.str();
  EXPECT_NE(err_.str().find("profiles 6"), std::string::npos) << err_.str();
  EXPECT_EQ(pg_rows("profiles"), 6);
  EXPECT_EQ(pg_rows("tenants"), 1);
}

TEST_F(MigrateTest, ATargetHoldingRowsOnlyInATableSqliteLacksIsRefused) {
  // The change feed's runs exist on PostgreSQL alone (pg_store.h): a target whose only rows
  // are there is not empty either.
  {
    auto storage = open_storage({.url = url_, .data_dir = "", .create = true});
    ASSERT_TRUE(storage) << storage.status().to_string();
    ASSERT_TRUE((*storage)->connect());  // creates the schema
    auto db = PgDb::connect(url_, "test");
    ASSERT_TRUE(db) << db.status().to_string();
    ASSERT_TRUE(
        (*db)->exec("INSERT INTO change_feed_runs VALUES (1, 'profiles', 1, 2, "
                    "ARRAY['7', '8'], 1, '2026-12-06T00:00:00Z')"));
  }
  EXPECT_EQ(on_sqlite({"migrate", "--to", url_}), 1);
  EXPECT_NE(err_.str().find("is not empty (rows: change_feed_runs 1)"), std::string::npos)
      << err_.str();
  EXPECT_EQ(pg_rows("tenants"), 0);
}

TEST_F(MigrateTest, ACopyThatDiffersFromTheSourceIsRolledBackWhole) {
  // The target's schema, with a trigger that changes what is written into one table: the
  // verification must see it.
  {
    auto storage = open_storage({.url = url_, .data_dir = "", .create = true});
    ASSERT_TRUE(storage) << storage.status().to_string();
    ASSERT_TRUE((*storage)->connect());
  }
  {
    auto db = PgDb::connect(url_, "test");
    ASSERT_TRUE(db);
    ASSERT_TRUE(
        (*db)->exec("CREATE FUNCTION upsync_test_tamper() RETURNS trigger LANGUAGE plpgsql AS "
                    "$$ BEGIN NEW.updated_at := NEW.updated_at || ' '; RETURN NEW; END $$; "
                    "CREATE TRIGGER upsync_test_tamper BEFORE INSERT ON profiles "
                    "FOR EACH ROW EXECUTE FUNCTION upsync_test_tamper()"));
  }
  EXPECT_EQ(on_sqlite({"migrate", "--to", url_}), 1);
  EXPECT_NE(err_.str().find("the copy of table profiles differs from the source: 5 rows"),
            std::string::npos)
      << err_.str();
  EXPECT_NE(err_.str().find("nothing was committed"), std::string::npos);
  for (const char* table : {"tenants", "profiles", "change_feed", "import_jobs", "passwords"}) {
    EXPECT_EQ(pg_rows(table), 0) << table;
  }
}

TEST_F(MigrateTest, TargetsAndSourcesOfTheWrongKindAreRefused) {
  EXPECT_EQ(on_sqlite({"migrate", "--to", "sqlite:" + (dir_.path() / "other.db").string()}), 1);
  EXPECT_NE(err_.str().find("--to takes a PostgreSQL URL (postgresql://...)"), std::string::npos)
      << err_.str();
  EXPECT_EQ(on_sqlite({"migrate", "--to", "postgresql:relative"}), 1);
  EXPECT_NE(err_.str().find("a PostgreSQL URL is postgresql://"), std::string::npos) << err_.str();
  EXPECT_EQ(on_postgres({"migrate", "--to", url_}), 1);
  EXPECT_NE(err_.str().find("upsync migrate moves an embedded (SQLite) database"),
            std::string::npos)
      << err_.str();
  // The data folder keeps no snapshot behind.
  for (const auto& entry : std::filesystem::directory_iterator(dir_.path())) {
    EXPECT_EQ(entry.path().filename().string().find(".migrate-"), std::string::npos)
        << entry.path();
  }
}

}  // namespace
}  // namespace upsync
