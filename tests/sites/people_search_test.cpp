// The people search index (src/sites/people_search.h): its tokens, and on every backend that a
// search finds people and directory-store groups by prefix, follows writes, deletions and
// rolled-back transactions, and answers over 100,000 profiles by index.
#include "sites/people_search.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <iostream>

#include "directory/directory_store.h"
#include "storage/open_storage.h"
#include "store/pg_test_server.h"
#include "store/postgres/pg_db.h"
#include "store/sqlite_fixture.h"
#include "store/store_fixture.h"

namespace upsync {
namespace {

TEST(PeopleSearchTokens, WordsOfNamesAndTitlesWholeAddressesAndAccounts) {
  PickerEntry e;
  e.display_text = "Adele  Vance-Smith";
  e.title = "Sales (EMEA) Lead";
  e.email = "Adele.Vance@Contoso.com";
  e.key = "i:0#.f|membership|adele@contoso.com";
  e.accounts = {"adele@contoso.com", "CONTOSO\\adele"};
  const std::vector<std::string> want = {"adele vance-smith",
                                         "adele.vance@contoso.com",
                                         "adele@contoso.com",
                                         "contoso\\adele",
                                         "emea) lead",
                                         "i:0#.f|membership|adele@contoso.com",
                                         "lead",
                                         "sales (emea) lead",
                                         "smith",
                                         "vance-smith"};
  EXPECT_EQ(people_search_tokens(e), want);
  EXPECT_EQ(people_search_normal("  Adele \t VAN "), "adele van");
  EXPECT_EQ(people_search_normal(" \t "), "");
}

TEST(PeopleSearchTokens, ProfileEntryTakesSharePointsNames) {
  Profile p;
  p.id = 7;
  p.account_name = "i:0#.w|contoso\\bob";
  p.properties = {{"FirstName", {"Bob"}},     {"LastName", {"Kelly"}},
                  {"WorkEmail", {"b@x.com"}}, {"SPS-JobTitle", {"Chef"}},
                  {"CellPhone", {"+1 555"}},  {"SPS-Department", {"Kitchen"}}};
  PickerEntry e = picker_entry_for_profile(p);
  EXPECT_EQ(e.principal, "7");
  EXPECT_EQ(e.display_text, "Bob Kelly");
  EXPECT_EQ(e.description, "b@x.com");
  EXPECT_EQ(e.title, "Chef");
  EXPECT_EQ(e.department, "Kitchen");
  EXPECT_EQ(e.mobile_phone, "+1 555");
  auto tokens = people_search_tokens(e);
  // DOMAIN\user is found by the user alone.
  EXPECT_NE(std::find(tokens.begin(), tokens.end(), "bob"), tokens.end());
  PickerEntry g = picker_entry_for_group("ABCD-1", "HR Team", "", true);
  EXPECT_EQ(g.key, "c:0t.c|tenant|abcd-1");
  EXPECT_EQ(g.kind, PickerKind::kSecurityGroup);
  EXPECT_EQ(g.description, "HR Team");
  EXPECT_EQ(picker_entry_for_group("x", "List", "l@x.com", false).kind,
            PickerKind::kDistributionList);
}

class PeopleSearchTest : public testing::StoreTest {
 protected:
  void SetUp() override {
    StoreTest::SetUp();
    auto s = open_people_search_store(*store_);
    ASSERT_TRUE(s);
    search_ = std::move(*s);
  }
  // The display texts a query finds, in the order found.
  std::vector<std::string> find(std::string_view q, int kinds = kPickerUsers, int limit = 30) {
    auto r = search_->search(tenant_.id, q, kinds, limit);
    EXPECT_TRUE(r) << r.status().to_string();
    std::vector<std::string> out;
    if (r) {
      for (const PickerEntry& e : *r) out.push_back(e.display_text);
    }
    return out;
  }
  Profile person(const std::string& upn, const std::string& name, const std::string& title = "") {
    std::vector<PropertyChange> props = {{"PreferredName", {name}}, {"WorkEmail", {upn}}};
    if (!title.empty()) props.push_back({"Title", {title}});
    return make_profile(upn, props);
  }
  DirectoryGroup group(const std::string& id, const std::string& name, bool security) {
    DirectoryGroup g;
    g.object_id = id;
    g.attributes["displayName"] = {name};
    g.attributes["securityEnabled"] = {security ? "true" : "false"};
    return g;
  }
  std::unique_ptr<PeopleSearchStore> search_;
};

TEST_P(PeopleSearchTest, FindsPeopleByEveryWordEmailAccountAndTitle) {
  person("adele.vance@contoso.com", "Adele Vance", "Retail Manager");
  person("alex@contoso.com", "Alex Wilber", "Marketing Assistant");
  person("megan@contoso.com", "Megan Bowen");
  using V = std::vector<std::string>;
  EXPECT_EQ(find("ade"), V{"Adele Vance"});
  EXPECT_EQ(find("VANCE"), V{"Adele Vance"});
  EXPECT_EQ(find("adele v"), V{"Adele Vance"});
  EXPECT_EQ(find("adele.vance@con"), V{"Adele Vance"});
  EXPECT_EQ(find("alex@"), V{"Alex Wilber"});
  EXPECT_EQ(find("i:0#.f|membership|meg"), V{"Megan Bowen"});
  EXPECT_EQ(find("manager"), V{"Adele Vance"});
  EXPECT_EQ(find("marketing assistant"), V{"Alex Wilber"});
  // "a" starts a word of two people; each comes once however many of their tokens match.
  EXPECT_EQ(find("a").size(), 2u);
  EXPECT_EQ(find("a", kPickerUsers, 1).size(), 1u);
  // Not the middle of a word, nor the domain of every address.
  EXPECT_TRUE(find("ance").empty());
  EXPECT_TRUE(find("contoso").empty());
  EXPECT_TRUE(find("ade", kPickerSecurityGroups).empty());
  EXPECT_FALSE(search_->search(tenant_.id, "  ", kPickerUsers, 5));
}

TEST_P(PeopleSearchTest, FollowsProfileWritesDeletionsAndRollbacks) {
  Profile adele = person("adele@contoso.com", "Adele Vance");
  ASSERT_TRUE(store_->update_profile(
      tenant_.id, adele.id, std::vector<PropertyChange>{{"PreferredName", {"Adele Dunn"}}}));
  EXPECT_TRUE(find("vance").empty());
  EXPECT_EQ(find("dunn"), std::vector<std::string>{"Adele Dunn"});
  // A transaction that fails leaves the index as it was.
  Status failed = store_->in_transaction([&]() -> Status {
    auto p = store_->create_profile(tenant_.id, "i:0#.f|membership|zed@contoso.com",
                                    std::vector<PropertyChange>{{"PreferredName", {"Zed"}}});
    if (!p) return p.status();
    return internal_error("abandoned");
  });
  EXPECT_FALSE(failed);
  EXPECT_TRUE(find("zed").empty());
  ASSERT_TRUE(store_->delete_profile(tenant_.id, adele.id));
  EXPECT_TRUE(find("adele").empty());
  // Another tenant's people are not found.
  auto other = store_->create_tenant({.name = "fabrikam"});
  ASSERT_TRUE(other);
  ASSERT_TRUE(store_->create_profile(other->id, "i:0#.f|membership|adele@fabrikam.com",
                                     std::vector<PropertyChange>{{"PreferredName", {"Adele F"}}}));
  EXPECT_TRUE(find("adele").empty());
}

TEST_P(PeopleSearchTest, FindsDirectoryStoreGroupsByKind) {
  auto dir = open_directory_store(*store_);
  ASSERT_TRUE(dir);
  ASSERT_TRUE(
      (*dir)->put_group(tenant_.id, DirectoryLayer::kStore, group("g1", "Sales EMEA", true)));
  ASSERT_TRUE(
      (*dir)->put_group(tenant_.id, DirectoryLayer::kStore, group("g2", "Sales News", false)));
  // The cloud directory's groups are not SharePoint's until stage 1 copies them.
  ASSERT_TRUE((*dir)->put_group(tenant_.id, DirectoryLayer::kCloud, group("g3", "Sales X", true)));
  person("sally@contoso.com", "Sally Sales");
  using V = std::vector<std::string>;
  EXPECT_EQ(find("sales", kPickerSecurityGroups), V{"Sales EMEA"});
  EXPECT_EQ(find("sales", kPickerDistributionLists), V{"Sales News"});
  EXPECT_EQ(find("emea", kPickerUsers | kPickerSecurityGroups), V{"Sales EMEA"});
  EXPECT_EQ(find("sales", kPickerUsers | kPickerSecurityGroups | kPickerDistributionLists).size(),
            3u);
  // A group that stops being a security group moves; a removed one goes.
  ASSERT_TRUE(
      (*dir)->put_group(tenant_.id, DirectoryLayer::kStore, group("g1", "Sales EMEA", false)));
  EXPECT_TRUE(find("emea", kPickerSecurityGroups).empty());
  EXPECT_EQ(find("emea", kPickerDistributionLists), V{"Sales EMEA"});
  ASSERT_TRUE((*dir)->remove_group(tenant_.id, DirectoryLayer::kStore, "g1"));
  EXPECT_TRUE(find("emea", kPickerDistributionLists).empty());
}

// 100,000 profiles: a search is a range of the token B-tree, answered in milliseconds (the
// figure is printed; bench/http.sh measures searches per second).
TEST_P(PeopleSearchTest, SearchesHundredThousandProfilesByIndex) {
  const char* first[] = {"Adele", "Alex", "Megan", "Nestor", "Lidia", "Joni", "Diego", "Grady"};
  const char* last[] = {"Vance", "Wilber", "Bowen", "Wilke", "Holloway", "Sherman", "Siciliani"};
  Status s = store_->in_bulk_transaction([&]() -> Status {
    for (int i = 0; i < 100000; ++i) {
      const std::string name =
          std::string(first[i % 8]) + " " + last[(i / 8) % 7] + " " + std::to_string(i);
      UPSYNC_RETURN_IF_ERROR(
          store_
              ->create_profile(tenant_.id,
                               "i:0#.f|membership|u" + std::to_string(i) + "@contoso.com",
                               std::vector<PropertyChange>{{"PreferredName", {name}}})
              .status());
    }
    return Status::ok();
  });
  ASSERT_TRUE(s) << s.to_string();
  const auto start = std::chrono::steady_clock::now();
  constexpr int kSearches = 200;
  size_t found = 0;
  for (int i = 0; i < kSearches; ++i) {
    auto r = search_->search(tenant_.id, i % 2 ? "adele v" : "wil", kPickerUsers, 30);
    ASSERT_TRUE(r);
    found += r->size();
  }
  const double ms =
      std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count() /
      kSearches;
  std::cout << "people search over 100,000 profiles: " << ms << " ms per search (" << found
            << " entries found in " << kSearches << " searches)\n";
  EXPECT_EQ(found, kSearches * 30u);
  EXPECT_EQ(find("u99999@"), std::vector<std::string>{"Grady Holloway 99999"});
  // The index, not a scan: SQLite walks the token B-tree's range.
  if (GetParam().name == "sqlite") {
    auto& db = testing::sqlite_of(*store_).db();
    auto plan = db.prepare(
        "EXPLAIN QUERY PLAN SELECT principal FROM people_search_tokens WHERE tenant_id = 1 AND "
        "kind = 'u' AND token >= 'wil' AND token < 'wil\xff' ORDER BY token");
    ASSERT_TRUE(plan);
    ASSERT_TRUE(*(*plan)->step());
    EXPECT_NE(std::string((*plan)->column_text(3)).find("USING PRIMARY KEY"), std::string::npos)
        << (*plan)->column_text(3);
    (*plan)->reset();
  }
}

// People are found by the words of their department (Department, else SPS-Department).
TEST_P(PeopleSearchTest, FindsPeopleByTheirDepartment) {
  make_profile("adele@contoso.com",
               {{"PreferredName", {"Adele Vance"}}, {"Department", {"Retail Sales"}}});
  make_profile("bob@contoso.com",
               {{"PreferredName", {"Bob Kelly"}}, {"SPS-Department", {"Sales"}}});
  person("megan@contoso.com", "Megan Bowen", "Sales Lead");
  using V = std::vector<std::string>;
  EXPECT_EQ(find("retail"), V{"Adele Vance"});
  EXPECT_EQ(find("retail sa"), V{"Adele Vance"});
  auto sales = find("sales");
  std::sort(sales.begin(), sales.end());
  EXPECT_EQ(sales, (V{"Adele Vance", "Bob Kelly", "Megan Bowen"}));
  // A moved person leaves the old department's results.
  auto adele = store_->profile(
      tenant_.id, {ProfileKeyKind::kAccountName, "i:0#.f|membership|adele@contoso.com"});
  ASSERT_TRUE(adele);
  ASSERT_TRUE(store_->update_profile(tenant_.id, adele->id,
                                     std::vector<PropertyChange>{{"Department", {"Finance"}}}));
  EXPECT_TRUE(find("retail").empty());
  EXPECT_EQ(find("fin"), V{"Adele Vance"});
}

// A database indexed before departments were searched (SQLite's schema 26, PostgreSQL's 3) is
// indexed again when it is opened by this build.
TEST_P(PeopleSearchTest, AnIndexWithoutDepartmentsIsRebuiltWhenOpened) {
  make_profile("adele@contoso.com",
               {{"PreferredName", {"Adele Vance"}}, {"Department", {"Retail Sales"}}});
  // The index as the tokenizer before left it, and the schema of the version before (without
  // what later versions added: people's privacy choices, the import jobs' multi-value flag,
  // their ranges and the log lines' records).
  const std::string forget =
      "DELETE FROM people_search_tokens WHERE token IN ('retail sales', 'sales'); "
      "DROP TABLE privacy_choices; ALTER TABLE import_jobs DROP COLUMN multi_value_arrays; "
      "DROP TABLE import_job_ranges; ALTER TABLE import_job_log DROP COLUMN record;";
  search_.reset();
  if (GetParam().name == "sqlite") {
    ASSERT_TRUE(testing::sqlite_of(*store_).db().exec(forget + " PRAGMA user_version = 26;"));
  } else {
    auto db = PgDb::connect(storage_->where(), "the test's database");
    ASSERT_TRUE(db) << db.status().to_string();
    ASSERT_TRUE((*db)->exec(forget + std::string(testing::kPgSchemaBeforeItsOwnVersions) +
                            " UPDATE upsync_schema_version SET version = 3;"));
  }
  store_.reset();
  // A new process: the storage is opened again, and migrates.
  auto reopened =
      GetParam().name == "sqlite"
          ? open_storage({.url = "sqlite:" + storage_->where(), .data_dir = "", .create = false})
          : open_storage({.url = storage_->where(), .data_dir = "", .create = false});
  ASSERT_TRUE(reopened) << reopened.status().to_string();
  storage_ = std::move(*reopened);
  auto again = storage_->connect();
  ASSERT_TRUE(again) << again.status().to_string();
  store_ = std::move(*again);
  search_ = std::move(*open_people_search_store(*store_));
  EXPECT_EQ(find("retail"), std::vector<std::string>{"Adele Vance"});
  EXPECT_EQ(find("sales"), std::vector<std::string>{"Adele Vance"});
}

UPSYNC_TEST_ON_EVERY_BACKEND(PeopleSearchTest);

// A database made before the index existed is indexed whole when it is opened.
class PeopleSearchMigrationTest : public PeopleSearchTest {};

TEST_P(PeopleSearchMigrationTest, TheMigrationIndexesWhatWasStoredBefore) {
  person("adele@contoso.com", "Adele Vance");
  auto& db = testing::sqlite_of(*store_).db();
  ASSERT_TRUE(
      db.exec("DROP TABLE people_search_entries; DROP TABLE people_search_tokens; "
              "DROP TABLE follows; DROP TABLE app_redirect_uris; DROP TABLE authorization_codes; "
              "DROP TABLE browser_sessions; DROP TABLE directory_member_changes; "
              "DROP TABLE refresh_tokens; DROP TABLE property_policies; "
              "DROP TABLE audiences; DROP TABLE audience_members; DROP TABLE hybrid_settings; "
              "DROP TABLE leases; DROP TABLE privacy_choices; "
              "ALTER TABLE import_jobs DROP COLUMN multi_value_arrays; "
              "DROP TABLE import_job_ranges; ALTER TABLE import_job_log DROP COLUMN record; "
              "PRAGMA user_version = 18;"));
  search_.reset();
  store_.reset();
  auto again = storage_->connect();
  ASSERT_TRUE(again) << again.status().to_string();
  store_ = std::move(*again);
  search_ = std::move(*open_people_search_store(*store_));
  EXPECT_EQ(find("vance"), std::vector<std::string>{"Adele Vance"});
}

UPSYNC_TEST_ON_SQLITE(PeopleSearchMigrationTest);

}  // namespace
}  // namespace upsync
