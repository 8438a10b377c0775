// SqliteStore: tenants, schemas, typed profile writes, isolation, files on disk.
#include "store/sqlite/sqlite_store.h"

#include <gtest/gtest.h>
#include <sqlite3.h>

#include "store/store_fixture.h"

namespace upsync {
namespace {

using testing::read_file;
using testing::StoreTest;
using testing::TempDir;
using testing::write_file;

TEST_F(StoreTest, CreatesAndListsTenants) {
  auto fab =
      store_->create_tenant({.name = "fabrikam", .kind = TenantKind::kServer, .education = true});
  ASSERT_TRUE(fab) << fab.status().to_string();
  auto all = store_->tenants();
  ASSERT_TRUE(all);
  ASSERT_EQ(all->size(), 2u);
  EXPECT_EQ((*all)[0].name, "contoso");
  EXPECT_EQ((*all)[1].name, "fabrikam");
  EXPECT_EQ((*all)[1].kind, TenantKind::kServer);
  EXPECT_TRUE((*all)[1].education);
}

TEST_F(StoreTest, RefusesDuplicateAndUnknownTenants) {
  auto dup = store_->create_tenant({.name = "contoso"});
  ASSERT_FALSE(dup);
  EXPECT_EQ(dup.status().code(), StatusCode::kAlreadyExists);
  EXPECT_EQ(dup.status().message(), "tenant 'contoso' already exists");
  auto missing = store_->tenant("nope");
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.status().code(), StatusCode::kNotFound);
  EXPECT_EQ(missing.status().message(), "tenant 'nope' does not exist (see 'upsync tenant list')");
  auto bad = store_->create_tenant({.name = "Bad Name"});
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(store_->tenants()->size(), 1u);
  auto p = store_->create_profile(999, "i:0#.f|membership|a@b.c", {});
  ASSERT_FALSE(p);
  EXPECT_EQ(p.status().code(), StatusCode::kNotFound);
}

// A new database has 8 KiB pages; one made with another page size keeps it and opens as well.
TEST_F(StoreTest, NewDatabasesHave8KiBPagesAndOlderOnesKeepTheirs) {
  EXPECT_EQ(*store_->db().query_int("PRAGMA page_size"), 8192);
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

TEST_F(StoreTest, CreatesProfilesWithSeed002Identity) {
  Profile p = make_profile("Bob@Contoso.com", {{"FirstName", {"Bob"}}});
  EXPECT_EQ(p.account_name, "i:0#.f|membership|Bob@Contoso.com");
  EXPECT_EQ(p.first("AccountName"), "i:0#.f|membership|Bob@Contoso.com");
  EXPECT_EQ(p.first("UserName"), "Bob@Contoso.com");
  EXPECT_EQ(p.first("SPS-UserPrincipalName"), "Bob@Contoso.com");
  EXPECT_EQ(p.first("FirstName"), "Bob");
  EXPECT_EQ(p.first("UserProfile_GUID").size(), 36u);
  EXPECT_GT(p.seq, 0);
}

TEST_F(StoreTest, FindsProfilesByEveryKey) {
  Profile p = make_profile("bob@contoso.com",
                           {{"WorkEmail", {"Bob.Smith@contoso.com"}},
                            {"msOnline-ObjectId", {"3F2504E0-4F89-11D3-9A0C-0305E82C3301"}}});
  const ProfileKey keys[] = {
      {ProfileKeyKind::kAccountName, "i:0#.f|membership|BOB@contoso.com"},
      {ProfileKeyKind::kPrincipalName, "BOB@CONTOSO.COM"},
      {ProfileKeyKind::kEmail, "bob.smith@contoso.com"},
      {ProfileKeyKind::kCloudId, "3f2504e0-4f89-11d3-9a0c-0305e82c3301"},
      {ProfileKeyKind::kId, std::to_string(p.id)},
  };
  for (const ProfileKey& k : keys) {
    auto found = store_->profile(tenant_.id, k);
    ASSERT_TRUE(found) << k.value << ": " << found.status().to_string();
    EXPECT_EQ(found->id, p.id);
  }
  auto missing = store_->profile(tenant_.id, {ProfileKeyKind::kEmail, "x@contoso.com"});
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.status().message(), "no profile with work email 'x@contoso.com'");
  auto bad_claim = store_->profile(tenant_.id, {ProfileKeyKind::kAccountName, "i:0#.q|x|y"});
  ASSERT_FALSE(bad_claim);
  EXPECT_EQ(bad_claim.status().code(), StatusCode::kInvalidArgument);

  // find_profile: the same lookups, a miss is nullopt and a bad key still an error.
  for (const ProfileKey& k : keys) {
    auto found = store_->find_profile(tenant_.id, k);
    ASSERT_TRUE(found && *found) << k.value << ": " << found.status().to_string();
    EXPECT_EQ((*found)->id, p.id);
    EXPECT_EQ((*found)->properties, p.properties);
  }
  auto none = store_->find_profile(tenant_.id, {ProfileKeyKind::kEmail, "x@contoso.com"});
  ASSERT_TRUE(none) << none.status().to_string();
  EXPECT_FALSE(*none);
  auto bad = store_->find_profile(tenant_.id, {ProfileKeyKind::kAccountName, "i:0#.q|x|y"});
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.status().code(), StatusCode::kInvalidArgument);
}

// update_read_profile() applies changes to a profile the caller read in its transaction, as
// update_profile() does by id; outside a transaction it is refused (the profile may have
// changed since it was read).
TEST_F(StoreTest, UpdatesAProfileReadInTheSameTransaction) {
  Profile p = make_profile("bob@contoso.com", {{"Office", {"Viper"}}});
  const std::vector<PropertyChange> change{{"Office", {"Cobra"}}};
  auto outside = store_->update_read_profile(tenant_.id, p, change);
  ASSERT_FALSE(outside);
  EXPECT_EQ(outside.status().code(), StatusCode::kInternal);
  EXPECT_EQ(
      store_->profile(tenant_.id, {ProfileKeyKind::kId, std::to_string(p.id)})->first("Office"),
      "Viper");

  Profile after;
  ASSERT_TRUE(store_->in_transaction([&]() -> Status {
    UPSYNC_ASSIGN_OR_RETURN(
        auto read, store_->find_profile(tenant_.id, {ProfileKeyKind::kId, std::to_string(p.id)}));
    if (!read) return not_found("profile");
    UPSYNC_ASSIGN_OR_RETURN(after, store_->update_read_profile(tenant_.id, *read, change));
    // The same values again: no change, no feed entry.
    UPSYNC_ASSIGN_OR_RETURN(Profile again, store_->update_read_profile(tenant_.id, after, change));
    if (again.seq != after.seq) return internal_error("an unchanged profile took a sequence");
    return Status::ok();
  }));
  EXPECT_EQ(after.first("Office"), "Cobra");
  EXPECT_GT(after.seq, p.seq);
  auto reread = store_->profile(tenant_.id, {ProfileKeyKind::kId, std::to_string(p.id)});
  ASSERT_TRUE(reread);
  EXPECT_EQ(reread->first("Office"), "Cobra");
  EXPECT_EQ(reread->seq, after.seq);
  EXPECT_EQ(*store_->last_seq(tenant_.id), after.seq);
}

TEST_F(StoreTest, SetsAndClearsTypedProperties) {
  Profile p = make_profile("bob@contoso.com");
  auto u = store_->update_profile(tenant_.id, p.id,
                                  std::vector<PropertyChange>{
                                      {"SPS-HireDate", {"2021-04-01"}},
                                      {"sps-skills", {"C++", "SQL"}},
                                      {"SPS-MySiteUpgrade", {"TRUE"}},
                                  });
  ASSERT_TRUE(u) << u.status().to_string();
  EXPECT_EQ(u->first("SPS-HireDate"), "2021-04-01");
  EXPECT_EQ(*u->find("SPS-Skills"), (PropertyValues{"C++", "SQL"}));
  EXPECT_EQ(u->first("SPS-MySiteUpgrade"), "true");
  EXPECT_GT(u->seq, p.seq);

  auto cleared =
      store_->update_profile(tenant_.id, p.id, std::vector<PropertyChange>{{"SPS-Skills", {}}});
  ASSERT_TRUE(cleared);
  EXPECT_EQ(cleared->find("SPS-Skills"), nullptr);
  auto reread = store_->profile(tenant_.id, {ProfileKeyKind::kId, std::to_string(p.id)});
  ASSERT_TRUE(reread);
  EXPECT_EQ(reread->find("SPS-Skills"), nullptr);
  EXPECT_EQ(*reread->find("SPS-HireDate"), PropertyValues{"2021-04-01"});
}

TEST_F(StoreTest, BadWritesChangeNothing) {
  Profile p = make_profile("bob@contoso.com", {{"Office", {"Viper"}}});
  const int64_t seq_before = *store_->last_seq(tenant_.id);
  struct Case {
    std::vector<PropertyChange> changes;
    StatusCode code;
    const char* message;
  } cases[] = {
      // The valid first change must not survive the failing second one.
      {{{"Office", {"Beetle"}}, {"SPS-HireDate", {"yesterday"}}},
       StatusCode::kInvalidArgument,
       "property 'SPS-HireDate' expects a date (YYYY-MM-DD), got 'yesterday'"},
      {{{"NoSuchProperty", {"x"}}},
       StatusCode::kNotFound,
       "property 'NoSuchProperty' does not exist in the user profile schema of this tenant"},
      {{{"Office", {"a", "b"}}},
       StatusCode::kInvalidArgument,
       "property 'Office' takes a single value, got 2"},
      {{{"AccountName", {}}},
       StatusCode::kInvalidArgument,
       "property 'AccountName' cannot be cleared"},
  };
  for (const Case& c : cases) {
    auto r = store_->update_profile(tenant_.id, p.id, c.changes);
    ASSERT_FALSE(r) << c.message;
    EXPECT_EQ(r.status().code(), c.code);
    EXPECT_EQ(r.status().message(), c.message);
  }
  auto after = store_->profile(tenant_.id, {ProfileKeyKind::kId, std::to_string(p.id)});
  EXPECT_EQ(after->properties, p.properties);
  EXPECT_EQ(*store_->last_seq(tenant_.id), seq_before);
}

TEST_F(StoreTest, RewritingTheSameValuesRecordsNoChange) {
  Profile p = make_profile("bob@contoso.com", {{"Office", {"Viper"}}});
  auto same =
      store_->update_profile(tenant_.id, p.id, std::vector<PropertyChange>{{"office", {"Viper"}}});
  ASSERT_TRUE(same);
  EXPECT_EQ(same->seq, p.seq);
  EXPECT_EQ(*store_->last_seq(tenant_.id), p.seq);
}

TEST_F(StoreTest, RefusesDuplicateIdentities) {
  make_profile("bob@contoso.com");
  auto dup = store_->create_profile(tenant_.id, "i:0#.f|membership|BOB@contoso.com", {});
  ASSERT_FALSE(dup);
  EXPECT_EQ(dup.status().code(), StatusCode::kAlreadyExists);
  Profile eve = make_profile("eve@contoso.com");
  auto steal = store_->update_profile(
      tenant_.id, eve.id,
      std::vector<PropertyChange>{{"SPS-UserPrincipalName", {"bob@contoso.com"}}});
  ASSERT_FALSE(steal);
  EXPECT_EQ(steal.status().code(), StatusCode::kAlreadyExists);
  auto bad = store_->create_profile(tenant_.id, "bob@contoso.com", {});
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(*store_->count_profiles(tenant_.id), 2);
}

TEST_F(StoreTest, NothingCrossesTenants) {
  auto fab = store_->create_tenant({.name = "fabrikam"});
  ASSERT_TRUE(fab);
  Profile bob = make_profile("bob@contoso.com");
  auto fab_bob = store_->create_profile(fab->id, "i:0#.f|membership|bob@contoso.com", {});
  ASSERT_TRUE(fab_bob) << "the same account may exist in another tenant";
  EXPECT_NE(fab_bob->id, bob.id);
  auto cross = store_->profile(fab->id, {ProfileKeyKind::kId, std::to_string(bob.id)});
  EXPECT_FALSE(cross);
  auto cross_write =
      store_->update_profile(fab->id, bob.id, std::vector<PropertyChange>{{"Office", {"x"}}});
  EXPECT_FALSE(cross_write);
  EXPECT_EQ(store_->delete_profile(fab->id, bob.id).code(), StatusCode::kNotFound);
  PropertyDefinition city;
  city.name = "City";
  ASSERT_TRUE(store_->add_custom_property(tenant_.id, city));
  auto fab_write =
      store_->update_profile(fab->id, fab_bob->id, std::vector<PropertyChange>{{"City", {"x"}}});
  ASSERT_FALSE(fab_write);
  EXPECT_EQ(fab_write.status().code(), StatusCode::kNotFound);
  EXPECT_EQ(*store_->count_profiles(tenant_.id), 1);
  EXPECT_EQ(*store_->count_profiles(fab->id), 1);
}

TEST_F(StoreTest, CustomPropertiesAddListRemove) {
  PropertyDefinition cost;
  cost.name = "CostCenter";
  cost.type = DataType::kInteger;
  auto added = store_->add_custom_property(tenant_.id, cost);
  ASSERT_TRUE(added) << added.status().to_string();
  EXPECT_TRUE(added->custom);
  EXPECT_EQ(added->display_name, "CostCenter");
  auto again = store_->add_custom_property(tenant_.id, cost);
  ASSERT_FALSE(again);
  EXPECT_EQ(again.status().message(), "property 'CostCenter' already exists in this tenant");
  auto schema = store_->schema(tenant_.id);
  ASSERT_TRUE(schema);
  ASSERT_NE(schema->find("costcenter"), nullptr);
  EXPECT_EQ(schema->find("costcenter")->type, DataType::kInteger);

  Profile p = make_profile("bob@contoso.com", {{"CostCenter", {"0042"}}});
  EXPECT_EQ(p.first("CostCenter"), "42");
  Status in_use = store_->remove_custom_property(tenant_.id, "CostCenter");
  EXPECT_EQ(in_use.code(), StatusCode::kFailedPrecondition);
  EXPECT_EQ(in_use.message(),
            "property 'CostCenter' still has values in 1 profile(s); clear them first");
  ASSERT_TRUE(
      store_->update_profile(tenant_.id, p.id, std::vector<PropertyChange>{{"CostCenter", {}}}));
  ASSERT_TRUE(store_->remove_custom_property(tenant_.id, "costcenter"));
  EXPECT_EQ(store_->schema(tenant_.id)->find("CostCenter"), nullptr);
  EXPECT_EQ(store_->remove_custom_property(tenant_.id, "CostCenter").code(), StatusCode::kNotFound);
  EXPECT_EQ(store_->remove_custom_property(tenant_.id, "WorkEmail").code(),
            StatusCode::kFailedPrecondition);
}

TEST_F(StoreTest, ASchemaChangedByAnotherConnectionIsSeenInsideTheNextTransaction) {
  // Two connections on one database, as the server's threads have: the second caches the
  // schema, the first changes it, and the second's next write transaction must see the change.
  auto other_or = SqliteStore::open((dir_.path() / "upsync.db").string(), /*create=*/false);
  ASSERT_TRUE(other_or) << other_or.status().to_string();
  std::unique_ptr<SqliteStore> other = std::move(*other_or);
  ASSERT_TRUE(other->schema(tenant_.id));  // cached before the change

  PropertyDefinition cost;
  cost.name = "CostCenter";
  ASSERT_TRUE(store_->add_custom_property(tenant_.id, cost));
  Status seen = other->in_transaction([&]() -> Status {
    auto schema = other->schema(tenant_.id);
    if (!schema) return schema.status();
    return schema->find("CostCenter") ? Status::ok() : not_found("CostCenter is not seen");
  });
  EXPECT_TRUE(seen.is_ok()) << seen.to_string();

  ASSERT_TRUE(store_->remove_custom_property(tenant_.id, "CostCenter"));
  EXPECT_EQ(other->remove_custom_property(tenant_.id, "CostCenter").code(), StatusCode::kNotFound);
  EXPECT_TRUE(other->add_custom_property(tenant_.id, cost));
}

TEST_F(StoreTest, ListsWithPagingAndFilters) {
  for (int i = 0; i < 25; ++i) {
    std::vector<PropertyChange> props = {{"Office", {i % 2 ? "Viper" : "Beetle"}}};
    if (i % 5 == 0) props.push_back({"SPS-Skills", {"SQL", "C++"}});
    make_profile("user" + std::to_string(i) + "@contoso.com", props);
  }
  ProfileQuery q;
  q.limit = 10;
  int pages = 0;
  int seen = 0;
  while (true) {
    auto page = store_->list_profiles(tenant_.id, q);
    ASSERT_TRUE(page);
    seen += static_cast<int>(page->profiles.size());
    ++pages;
    if (!page->next_after_id) break;
    q.after_id = *page->next_after_id;
  }
  EXPECT_EQ(seen, 25);
  EXPECT_EQ(pages, 3);

  ProfileQuery viper;
  viper.filter_property = "office";
  viper.filter_value = "Viper";
  viper.limit = 100;
  EXPECT_EQ(store_->list_profiles(tenant_.id, viper)->profiles.size(), 12u);
  ProfileQuery skill;
  skill.filter_property = "SPS-Skills";
  skill.filter_value = "C++";
  EXPECT_EQ(store_->list_profiles(tenant_.id, skill)->profiles.size(), 5u);
  ProfileQuery unknown;
  unknown.filter_property = "Nope";
  EXPECT_EQ(store_->list_profiles(tenant_.id, unknown).status().code(), StatusCode::kNotFound);
  ProfileQuery bad_value;
  bad_value.filter_property = "SPS-HireDate";
  bad_value.filter_value = "soon";
  EXPECT_EQ(store_->list_profiles(tenant_.id, bad_value).status().code(),
            StatusCode::kInvalidArgument);
}

TEST_F(StoreTest, FailedTransactionRollsBackEverything) {
  Status s = store_->in_transaction([&]() -> Status {
    auto p = store_->create_profile(tenant_.id, "i:0#.f|membership|a@contoso.com", {});
    if (!p) return p.status();
    return invalid_argument("stop");
  });
  EXPECT_EQ(s.message(), "stop");
  EXPECT_EQ(*store_->count_profiles(tenant_.id), 0);
  EXPECT_EQ(*store_->last_seq(tenant_.id), 0);
}

TEST_F(StoreTest, NestedFailureRollsBackOnlyItsOwnWrites) {
  Status s = store_->in_transaction([&]() -> Status {
    UPSYNC_RETURN_IF_ERROR(
        store_->create_profile(tenant_.id, "i:0#.f|membership|a@contoso.com", {}).status());
    // A failing inner write (bad type) is undone; the outer one stays.
    EXPECT_FALSE(store_->create_profile(tenant_.id, "i:0#.f|membership|b@contoso.com",
                                        std::vector<PropertyChange>{{"SPS-HireDate", {"x"}}}));
    return Status::ok();
  });
  ASSERT_TRUE(s) << s.to_string();
  EXPECT_EQ(*store_->count_profiles(tenant_.id), 1);
}

// Two connections: reads inside read_snapshot() see one committed state; a write inside ends
// the snapshot and succeeds even when another connection wrote meanwhile.
TEST_F(StoreTest, ReadSnapshotSeesOneStateAndAWriteEndsIt) {
  auto other = SqliteStore::open((dir_.path() / "upsync.db").string(), /*create=*/false);
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
    UPSYNC_ASSIGN_OR_RETURN(
        auto* w, store_->db().prepare("INSERT INTO source_states (tenant_id, name, value, "
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
  EXPECT_FALSE(store_->db().in_snapshot());
  EXPECT_TRUE((*other)->create_profile(tenant_.id, "i:0#.f|membership|f@contoso.com", {}));
  EXPECT_EQ(*store_->count_profiles(tenant_.id), 6);
}

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
