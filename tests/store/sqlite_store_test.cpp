// The SQLite backend's own files and SQL: page size, snapshots, the files on disk, migrations.
#include "store/sqlite/sqlite_store.h"

#include <gtest/gtest.h>
#include <sqlite3.h>

#include "storage/open_storage.h"
#include "store/sqlite_fixture.h"
#include "store/store_fixture.h"

namespace upsync {
namespace {

using testing::read_file;
using testing::sqlite_of;
using testing::StoreTest;
using testing::TempDir;
using testing::write_file;

class SqliteStoreTest : public StoreTest {
 protected:
  SqliteDb& db() { return sqlite_of(*store_).db(); }
};

// A new database has 8 KiB pages; one made with another page size keeps it and opens as well.
TEST_P(SqliteStoreTest, NewDatabasesHave8KiBPagesAndOlderOnesKeepTheirs) {
  EXPECT_EQ(*db().query_int("PRAGMA page_size"), 8192);
  const std::string path = (dir_.path() / "old.db").string();
  {
    sqlite3* raw = nullptr;
    ASSERT_EQ(sqlite3_open(path.c_str(), &raw), SQLITE_OK);
    ASSERT_EQ(sqlite3_exec(raw, "PRAGMA page_size=4096; CREATE TABLE t (x); DROP TABLE t;", nullptr,
                           nullptr, nullptr),
              SQLITE_OK);
    sqlite3_close(raw);
  }
  auto old = SqliteStore::open(path, /*create=*/false);
  ASSERT_TRUE(old) << old.status().to_string();
  EXPECT_EQ(*(*old)->db().query_int("PRAGMA page_size"), 4096);
  ASSERT_TRUE((*old)->create_tenant({.name = "fabrikam"}));
}

// Two connections: reads inside read_snapshot() see one committed state; a write inside ends
// the snapshot and succeeds even when another connection wrote meanwhile.
TEST_P(SqliteStoreTest, ReadSnapshotSeesOneStateAndAWriteEndsIt) {
  auto other = storage_->connect();
  ASSERT_TRUE(other) << other.status().to_string();
  make_profile("a@contoso.com");

  Status s = store_->read_snapshot([&]() -> Status {
    EXPECT_EQ(*store_->count_profiles(tenant_.id), 1);
    EXPECT_TRUE((*other)->create_profile(tenant_.id, "i:0#.f|membership|b@contoso.com", {}));
    EXPECT_EQ(*store_->count_profiles(tenant_.id), 1) << "the snapshot's state";
    // Nested: still the same snapshot.
    EXPECT_TRUE(store_->read_snapshot([&]() -> Status {
      EXPECT_EQ(*store_->count_profiles(tenant_.id), 1);
      return Status::ok();
    }));
    // A write ends the snapshot first (no SQLITE_BUSY_SNAPSHOT), then reads see the latest.
    auto c = store_->create_profile(tenant_.id, "i:0#.f|membership|c@contoso.com", {});
    EXPECT_TRUE(c) << c.status().to_string();
    EXPECT_EQ(*store_->count_profiles(tenant_.id), 3);
    EXPECT_TRUE((*other)->create_profile(tenant_.id, "i:0#.f|membership|d@contoso.com", {}));
    EXPECT_EQ(*store_->count_profiles(tenant_.id), 4);
    return Status::ok();
  });
  ASSERT_TRUE(s) << s.to_string();

  // A single write statement (no transaction) also ends the snapshot.
  s = store_->read_snapshot([&]() -> Status {
    EXPECT_EQ(*store_->count_profiles(tenant_.id), 4);
    EXPECT_TRUE((*other)->create_profile(tenant_.id, "i:0#.f|membership|e@contoso.com", {}));
    UPSYNC_ASSIGN_OR_RETURN(auto* w,
                            db().prepare("INSERT INTO source_states (tenant_id, name, value, "
                                         "updated_at) VALUES (?, 'ldap', 'cookie', 'now')"));
    w->bind(1, tenant_.id);
    UPSYNC_RETURN_IF_ERROR(w->run());
    EXPECT_EQ(*store_->count_profiles(tenant_.id), 5);
    return Status::ok();
  });
  ASSERT_TRUE(s) << s.to_string();
  EXPECT_EQ(**store_->source_state(tenant_.id, "ldap"), "cookie");

  // The body's failure is returned; the connection is out of the snapshot afterwards.
  s = store_->read_snapshot([&]() -> Status {
    EXPECT_TRUE(store_->count_profiles(tenant_.id));
    return not_found("stop");
  });
  EXPECT_EQ(s.message(), "stop");
  EXPECT_FALSE(db().in_snapshot());
  EXPECT_TRUE((*other)->create_profile(tenant_.id, "i:0#.f|membership|f@contoso.com", {}));
  EXPECT_EQ(*store_->count_profiles(tenant_.id), 6);
}

UPSYNC_TEST_ON_SQLITE(SqliteStoreTest);

TEST(SqliteStoreFileTest, DataSurvivesReopen) {
  TempDir dir;
  {
    auto store = open_store({.data_dir = dir.str()});
    ASSERT_TRUE(store);
    auto t = (*store)->create_tenant({.name = "contoso"});
    ASSERT_TRUE(t);
    ASSERT_TRUE((*store)->create_profile(t->id, "i:0#.f|membership|bob@contoso.com", {}));
  }
  auto store = open_store({.data_dir = dir.str(), .create = false});
  ASSERT_TRUE(store) << store.status().to_string();
  auto t = (*store)->tenant("contoso");
  ASSERT_TRUE(t);
  EXPECT_EQ(*(*store)->count_profiles(t->id), 1);
}

TEST(SqliteStoreFileTest, MissingDataIsNotCreatedWhenOnlyReading) {
  TempDir dir;
  auto store = open_store({.data_dir = (dir.path() / "none").string(), .create = false});
  ASSERT_FALSE(store);
  EXPECT_EQ(store.status().code(), StatusCode::kNotFound);
  EXPECT_FALSE(std::filesystem::exists(dir.path() / "none"));
}

TEST(SqliteStoreFileTest, CorruptFileIsRefusedAndLeftAsItWas) {
  TempDir dir;
  const auto db = dir.path() / "upsync.db";
  const std::string garbage = "this is not a database, just text that someone wrote here....";
  write_file(db, garbage + std::string(4096, 'x'));
  const std::string before = read_file(db);
  auto store = open_store({.data_dir = dir.str()});
  ASSERT_FALSE(store);
  EXPECT_EQ(store.status().code(), StatusCode::kDataLoss);
  EXPECT_NE(store.status().message().find("corrupt or not an upsync database"), std::string::npos)
      << store.status().message();
  EXPECT_EQ(read_file(db), before);
}

// Custom properties live in the profile's row of profile_custom, the others in profiles: a
// profile reads as one, filters and removal checks look at the right row, a delete removes
// both; migration 14 moves the custom values of a version-13 database out of profiles.props.
TEST(SqliteStoreFileTest, CustomPropertiesLiveInTheirOwnRowAndMigrateThere) {
  TempDir dir;
  const auto db = dir.path() / "upsync.db";
  auto query = [&](const std::string& sql) {
    sqlite3* raw = nullptr;
    EXPECT_EQ(sqlite3_open(db.c_str(), &raw), SQLITE_OK);
    sqlite3_stmt* st = nullptr;
    EXPECT_EQ(sqlite3_prepare_v2(raw, sql.c_str(), -1, &st, nullptr), SQLITE_OK) << sql;
    std::string out;
    while (sqlite3_step(st) == SQLITE_ROW) {
      if (!out.empty()) out += "|";
      const unsigned char* t = sqlite3_column_text(st, 0);
      out += t ? reinterpret_cast<const char*>(t) : "NULL";
    }
    sqlite3_finalize(st);
    sqlite3_close(raw);
    return out;
  };
  Profile bob, eve;
  {
    auto store = open_store({.data_dir = dir.str()});
    ASSERT_TRUE(store);
    auto t = (*store)->create_tenant({.name = "contoso"});
    ASSERT_TRUE(t);
    PropertyDefinition cost;
    cost.name = "CostCenter";
    cost.type = DataType::kInteger;
    ASSERT_TRUE((*store)->add_custom_property(t->id, cost));
    PropertyDefinition team;
    team.name = "Team";
    ASSERT_TRUE((*store)->add_custom_property(t->id, team));
    auto b = (*store)->create_profile(
        t->id, "i:0#.f|membership|bob@contoso.com",
        std::vector<PropertyChange>{
            {"Team", {"Red \"A\""}}, {"CostCenter", {"0042"}}, {"Office", {"Viper"}}});
    ASSERT_TRUE(b) << b.status().to_string();
    bob = *b;
    auto e = (*store)->create_profile(t->id, "i:0#.f|membership|eve@contoso.com",
                                      std::vector<PropertyChange>{{"Office", {"Beetle"}}});
    ASSERT_TRUE(e);
    eve = *e;
    EXPECT_EQ(bob.first("CostCenter"), "42");
  }
  EXPECT_EQ(query("SELECT props FROM profile_custom"), R"({"CostCenter":"42","Team":"Red \"A\""})");
  EXPECT_EQ(query("SELECT count(*) FROM profiles WHERE props LIKE '%CostCenter%'"), "0");

  // Back to version 13: the custom values in profiles.props, no profile_custom.
  EXPECT_EQ(query("UPDATE profiles SET props = json_patch(props, (SELECT c.props FROM "
                  "profile_custom c WHERE c.id = profiles.id)) WHERE id IN (SELECT id FROM "
                  "profile_custom) RETURNING id"),
            std::to_string(bob.id));
  query("DROP TABLE profile_custom");
  query("DROP TABLE token_generations");  // migration 15's, which runs again
  // Migration 16's columns (a queued import's source pin) go too.
  query("ALTER TABLE import_jobs DROP COLUMN source_size");
  query("ALTER TABLE import_jobs DROP COLUMN source_modified_ns");
  query("ALTER TABLE import_jobs DROP COLUMN source_sha256");
  // And without what later migrations made (17: site permissions).
  query("DROP TABLE site_permission_scopes");
  query("DROP TABLE site_role_assignments");
  query("DROP TABLE site_principals");
  query("DROP TABLE app_certificates");  // 18: apps' certificates
  // (19: the people search index; 20: following.)
  query("DROP TABLE people_search_entries");
  query("DROP TABLE people_search_tokens");
  query("DROP TABLE follows");
  // 21: a browser's sign-in (redirect URIs, codes, sessions).
  query("DROP TABLE app_redirect_uris");
  query("DROP TABLE authorization_codes");
  query("DROP TABLE browser_sessions");
  query("DROP TABLE directory_member_changes");  // 22: groups' member changes
  query("DROP TABLE refresh_tokens");            // 23: refresh tokens
  query("DROP TABLE property_policies");         // 24: property policies
  query("DROP TABLE audiences");                 // 25: audiences and hybrid settings
  query("DROP TABLE audience_members");
  query("DROP TABLE hybrid_settings");
  query("DROP TABLE leases");                                       // 26: leases
  query("DROP TABLE privacy_choices");                              // 28: people's privacy choices
  query("ALTER TABLE import_jobs DROP COLUMN multi_value_arrays");  // 29
  query("DROP TABLE import_job_ranges");                            // 30: import ranges
  query("ALTER TABLE import_job_log DROP COLUMN record");
  query("PRAGMA user_version = 13");
  EXPECT_EQ(query("SELECT json_extract(props, '$.Team') FROM profiles WHERE id = " +
                  std::to_string(bob.id)),
            "Red \"A\"");

  auto store = open_store({.data_dir = dir.str()});
  ASSERT_TRUE(store) << store.status().to_string();
  auto t = (*store)->tenant("contoso");
  ASSERT_TRUE(t);
  EXPECT_EQ(query("SELECT props FROM profile_custom"), R"({"CostCenter":"42","Team":"Red \"A\""})");
  EXPECT_EQ(query("SELECT count(*) FROM profiles WHERE props LIKE '%CostCenter%'"), "0");
  auto read = (*store)->profile(t->id, {ProfileKeyKind::kId, std::to_string(bob.id)});
  ASSERT_TRUE(read) << read.status().to_string();
  EXPECT_EQ(read->properties, bob.properties);
  EXPECT_EQ(read->seq, bob.seq);

  // Filters on a custom and on a default property.
  ProfileQuery red;
  red.filter_property = "team";
  red.filter_value = "Red \"A\"";
  auto page = (*store)->list_profiles(t->id, red);
  ASSERT_TRUE(page) << page.status().to_string();
  ASSERT_EQ(page->profiles.size(), 1u);
  EXPECT_EQ(page->profiles[0].properties, bob.properties);
  ProfileQuery beetle;
  beetle.filter_property = "Office";
  beetle.filter_value = "Beetle";
  page = (*store)->list_profiles(t->id, beetle);
  ASSERT_TRUE(page);
  ASSERT_EQ(page->profiles.size(), 1u);
  EXPECT_EQ(page->profiles[0].id, eve.id);

  // A change of a custom value moves the profile's sequence; clearing the last one removes
  // the custom row; removal of the property checks the custom rows.
  EXPECT_EQ((*store)->remove_custom_property(t->id, "Team").code(),
            StatusCode::kFailedPrecondition);
  auto changed =
      (*store)->update_profile(t->id, bob.id, std::vector<PropertyChange>{{"CostCenter", {}}});
  ASSERT_TRUE(changed);
  EXPECT_GT(changed->seq, bob.seq);
  EXPECT_EQ(changed->first("CostCenter"), "");
  changed = (*store)->update_profile(t->id, bob.id, std::vector<PropertyChange>{{"Team", {}}});
  ASSERT_TRUE(changed);
  EXPECT_EQ(query("SELECT count(*) FROM profile_custom"), "0");
  EXPECT_TRUE((*store)->remove_custom_property(t->id, "Team").is_ok());
  changed =
      (*store)->update_profile(t->id, eve.id, std::vector<PropertyChange>{{"CostCenter", {"7"}}});
  ASSERT_TRUE(changed);
  EXPECT_EQ(query("SELECT count(*) FROM profile_custom"), "1");
  ASSERT_TRUE((*store)->delete_profile(t->id, eve.id).is_ok());
  EXPECT_EQ(query("SELECT count(*) FROM profile_custom"), "0");
  auto after = (*store)->profile(t->id, {ProfileKeyKind::kId, std::to_string(bob.id)});
  ASSERT_TRUE(after);
  EXPECT_EQ(after->first("Office"), "Viper");
  EXPECT_EQ(after->first("CostCenter"), "");
}

TEST(SqliteStoreFileTest, NewerSchemaVersionIsRefusedAndLeftAsItWas) {
  TempDir dir;
  {
    auto store = open_store({.data_dir = dir.str()});
    ASSERT_TRUE(store);
    ASSERT_TRUE((*store)->create_tenant({.name = "contoso"}));
  }
  const auto db = dir.path() / "upsync.db";
  {
    sqlite3* raw = nullptr;
    ASSERT_EQ(sqlite3_open(db.c_str(), &raw), SQLITE_OK);
    ASSERT_EQ(sqlite3_exec(raw, "PRAGMA wal_checkpoint(TRUNCATE); PRAGMA user_version = 99;",
                           nullptr, nullptr, nullptr),
              SQLITE_OK);
    sqlite3_close(raw);
  }
  const std::string before = read_file(db);
  auto store = open_store({.data_dir = dir.str()});
  ASSERT_FALSE(store);
  EXPECT_EQ(store.status().code(), StatusCode::kDataLoss);
  EXPECT_NE(store.status().message().find(
                "the database has schema version 99, newer than this upsync understands (" +
                std::to_string(SqliteStore::current_schema_version()) + ")"),
            std::string::npos)
      << store.status().message();
  EXPECT_EQ(read_file(db), before);
}

}  // namespace
}  // namespace upsync
