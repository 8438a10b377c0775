// The DirectoryStore: indexed lookups of cloud users, the stored attribute text.
#include "directory/directory_store.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "store/sqlite_fixture.h"
#include "store/store_fixture.h"

namespace upsync {
namespace {

using Key = DirectoryStore::CloudKey;

class DirectoryStoreTest : public testing::StoreTest {
 protected:
  void SetUp() override {
    StoreTest::SetUp();
    auto d = open_directory_store(*store_);
    ASSERT_TRUE(d);
    dir_store_ = std::move(*d);
  }

  void put(DirectoryLayer layer, const std::string& id, const std::string& upn,
           const std::string& mail) {
    DirectoryUser u;
    u.object_id = id;
    u.attributes["userPrincipalName"] = {upn};
    if (!mail.empty()) u.attributes["mail"] = {mail};
    ASSERT_TRUE(dir_store_->put(tenant_.id, layer, u));
  }

  std::vector<std::string> ids(Key key, std::string_view value) {
    const std::vector<std::string> values = {std::string(value)};
    auto users = dir_store_->cloud_users_with(tenant_.id, key, values, nullptr);
    EXPECT_TRUE(users) << users.status().to_string();
    std::vector<std::string> out;
    if (users) {
      for (const auto& u : *users) out.push_back(u.object_id);
    }
    return out;
  }

  std::unique_ptr<DirectoryStore> dir_store_;
};

using Ids = std::vector<std::string>;

// Tests that read or write the SQLite backend's rows and query plans.
class SqliteDirectoryStoreTest : public DirectoryStoreTest {
 protected:
  SqliteDb& db() { return testing::sqlite_of(*store_).db(); }
};

TEST_P(DirectoryStoreTest, CloudUsersByIdUpnOrMailIgnoringCase) {
  put(DirectoryLayer::kCloud, "cccc", "adele@contoso.com", "Adele.Vance@contoso.com");
  put(DirectoryLayer::kCloud, "aaaa", "alias@contoso.com", "adele.vance@CONTOSO.com");
  put(DirectoryLayer::kCloud, "bbbb", "megan@contoso.com", "");
  put(DirectoryLayer::kStore, "dddd", "store-only@contoso.com", "adele.vance@contoso.com");

  EXPECT_EQ(ids(Key::kMail, "ADELE.VANCE@contoso.com"), (Ids{"aaaa", "cccc"}));
  EXPECT_EQ(ids(Key::kUserPrincipalName, "Adele@Contoso.com"), Ids{"cccc"});
  EXPECT_EQ(ids(Key::kObjectId, "BBBB"), Ids{"bbbb"});
  EXPECT_EQ(ids(Key::kUserPrincipalName, "store-only@contoso.com"), Ids{}) << "cloud layer only";
  EXPECT_EQ(ids(Key::kMail, ""), Ids{});
  EXPECT_EQ(ids(Key::kMail, "nobody@contoso.com"), Ids{});

  // A changed mail moves the user; a deleted user is not found.
  put(DirectoryLayer::kCloud, "cccc", "adele@contoso.com", "adele@fabrikam.com");
  EXPECT_EQ(ids(Key::kMail, "adele.vance@contoso.com"), Ids{"aaaa"});
  EXPECT_EQ(ids(Key::kMail, "adele@fabrikam.com"), Ids{"cccc"});
  ASSERT_TRUE(dir_store_->remove(tenant_.id, DirectoryLayer::kCloud, "aaaa"));
  EXPECT_EQ(ids(Key::kMail, "adele.vance@contoso.com"), Ids{});
  EXPECT_EQ(ids(Key::kObjectId, "aaaa"), Ids{});
}

// Several values in one query: each user once, in object id order, whichever values name it.
TEST_P(DirectoryStoreTest, CloudUsersByManyValuesInOneQuery) {
  put(DirectoryLayer::kCloud, "cccc", "adele@contoso.com", "team@contoso.com");
  put(DirectoryLayer::kCloud, "aaaa", "alex@contoso.com", "team@contoso.com");
  put(DirectoryLayer::kCloud, "bbbb", "megan@contoso.com", "");
  put(DirectoryLayer::kStore, "dddd", "store-only@contoso.com", "");
  const auto with = [&](Key key, std::vector<std::string> values) {
    auto users = dir_store_->cloud_users_with(tenant_.id, key, values, nullptr);
    EXPECT_TRUE(users) << users.status().to_string();
    Ids out;
    for (const auto& u : users ? *users : std::vector<DirectoryUser>{}) out.push_back(u.object_id);
    return out;
  };
  EXPECT_EQ(
      with(Key::kUserPrincipalName, {"MEGAN@contoso.com", "adele@contoso.com", "megan@contoso.com",
                                     "store-only@contoso.com", "nobody@contoso.com"}),
      (Ids{"bbbb", "cccc"}));
  EXPECT_EQ(with(Key::kMail, {"team@contoso.com", "TEAM@contoso.com"}), (Ids{"aaaa", "cccc"}));
  EXPECT_EQ(with(Key::kObjectId, {"bbbb", "aaaa", "dddd"}), (Ids{"aaaa", "bbbb"}));
  EXPECT_EQ(with(Key::kObjectId, {}), Ids{});
  // Values with quotes and JSON's special characters are values, not syntax.
  EXPECT_EQ(with(Key::kUserPrincipalName, {"a\"]'); --@x", "adele@contoso.com"}), Ids{"cccc"});
}

// With the names of the attributes a reader needs, the users found hold those and no others,
// on every backend.
TEST_P(DirectoryStoreTest, CloudUsersWithOnlyTheAttributesAsked) {
  DirectoryUser u;
  u.object_id = "aaaa";
  u.attributes = {{"displayName", {"Adele Vance"}},
                  {"jobTitle", {"Engineer"}},
                  {"manager", {"bbbb"}},
                  {"userPrincipalName", {"adele@contoso.com"}}};
  ASSERT_TRUE(dir_store_->put(tenant_.id, DirectoryLayer::kCloud, u));
  const std::vector<std::string> values = {"ADELE@contoso.com"};
  const AttributeNames only = {"jobTitle", "userPrincipalName"};
  auto some = dir_store_->cloud_users_with(tenant_.id, Key::kUserPrincipalName, values, &only);
  ASSERT_TRUE(some) << some.status().to_string();
  ASSERT_EQ(some->size(), 1u);
  EXPECT_EQ(some->front().object_id, "aaaa");
  EXPECT_EQ(some->front().attributes,
            (DirectoryAttributes{{"jobTitle", {"Engineer"}},
                                 {"userPrincipalName", {"adele@contoso.com"}}}));
  auto all = dir_store_->cloud_users_with(tenant_.id, Key::kUserPrincipalName, values, nullptr);
  ASSERT_TRUE(all);
  ASSERT_EQ(all->size(), 1u);
  EXPECT_EQ(all->front().attributes, u.attributes);
}

// users_with_ids(), users_with_anchors(): many ids or anchors of one layer in one query,
// deleted users too, in id order, each once.
TEST_P(DirectoryStoreTest, UsersOfALayerByManyIdsInOneQuery) {
  auto put = [&](DirectoryLayer layer, const std::string& id, const std::string& upn) {
    DirectoryUser u;
    u.object_id = id;
    u.source_anchor = id + "-anchor";
    u.attributes["userPrincipalName"] = {upn};
    ASSERT_TRUE(dir_store_->put(tenant_.id, layer, u));
  };
  put(DirectoryLayer::kStore, "cccc", "c@contoso.com");
  put(DirectoryLayer::kStore, "aaaa", "a@contoso.com");
  put(DirectoryLayer::kStore, "bbbb", "b@contoso.com");
  put(DirectoryLayer::kCloud, "dddd", "d@contoso.com");
  ASSERT_TRUE(dir_store_->remove(tenant_.id, DirectoryLayer::kStore, "bbbb"));
  const std::vector<std::string> ids = {"CCCC", "bbbb", "dddd", "aaaa", "cccc", "zzzz"};
  auto users = dir_store_->users_with_ids(tenant_.id, DirectoryLayer::kStore, ids);
  ASSERT_TRUE(users) << users.status().to_string();
  Ids got;
  for (const auto& u : *users) got.push_back(u.object_id + (u.deleted ? " deleted" : ""));
  EXPECT_EQ(got, (Ids{"aaaa", "bbbb deleted", "cccc"})) << "store layer only";
  EXPECT_EQ(users->front().first("userPrincipalName"), "a@contoso.com");
  // By source anchor: exactly as stored (put() gives "<id>-anchor" here).
  const std::vector<std::string> anchors = {"cccc-anchor", "bbbb-anchor", "dddd-anchor",
                                            "CCCC-ANCHOR", "nobody"};
  auto anchored = dir_store_->users_with_anchors(tenant_.id, DirectoryLayer::kStore, anchors);
  ASSERT_TRUE(anchored) << anchored.status().to_string();
  got.clear();
  for (const auto& u : *anchored) got.push_back(u.object_id + (u.deleted ? " deleted" : ""));
  EXPECT_EQ(got, (Ids{"bbbb deleted", "cccc"}));
  auto none = dir_store_->users_with_ids(tenant_.id, DirectoryLayer::kStore, {});
  ASSERT_TRUE(none);
  EXPECT_TRUE(none->empty());
  const std::vector<std::string> many(DirectoryStore::kMaxUsersPerQuery + 1, "x");
  auto too_many = dir_store_->users_with_ids(tenant_.id, DirectoryLayer::kStore, many);
  ASSERT_FALSE(too_many);
  EXPECT_EQ(too_many.status().message(), "at most 5000 users per query, got 5001");
  auto too_many_anchors = dir_store_->users_with_anchors(tenant_.id, DirectoryLayer::kStore, many);
  ASSERT_FALSE(too_many_anchors);
  EXPECT_EQ(too_many_anchors.status().message(), "at most 5000 users per query, got 5001");
}

// Each lookup of cloud users is an index search, not a walk through the tenant's users.
TEST_P(SqliteDirectoryStoreTest, CloudUserLookupsAreIndexSearches) {
  // The plan of `sql` starts with a search of directory_users using `index`.
  auto expect_search = [&](const std::string& sql, std::string_view index) {
    auto plan = db().prepare("EXPLAIN QUERY PLAN " + sql);
    ASSERT_TRUE(plan) << plan.status().to_string();
    std::string text;
    while (*(*plan)->step()) text += std::string((*plan)->column_text(3)) + "; ";
    (*plan)->reset();
    EXPECT_EQ(text.rfind("SEARCH directory_users USING " + std::string(index), 0), 0u)
        << sql << ": " << text;
  };
  for (const auto& [key, index] : {std::pair{"id",
                                             "PRIMARY KEY (tenant_id=? AND layer=? AND "
                                             "object_id=?)"},
                                   std::pair{"userPrincipalName", "INDEX directory_users_by_upn"},
                                   std::pair{"mail", "INDEX directory_users_by_mail"},
                                   std::pair{"manager", "INDEX directory_users_by_manager"}}) {
    expect_search(cloud_users_sql(key), index);
  }
  // users_with_ids and users_with_anchors, without statistics as in a first sync: each value
  // one search of the key, not a walk of the layer.
  expect_search(users_in_sql("object_id"), "PRIMARY KEY (tenant_id=? AND layer=? AND object_id=?)");
  expect_search(users_in_sql("source_anchor"),
                "INDEX directory_users_by_anchor (tenant_id=? AND layer=? AND source_anchor=?)");
}

// Stored rows are compared as text to tell a changed user from an unchanged one: the text is
// nlohmann::json's dump() of the attributes (sorted keys, no empty arrays), byte for byte,
// whatever the values hold.
TEST_P(SqliteDirectoryStoreTest, StoredAttributesAreTheJsonDumpOfTheAttributes) {
  DirectoryUser u;
  u.object_id = "eeee";
  u.source_anchor = "anchor";
  u.attributes["userPrincipalName"] = {"zoe@contoso.com"};
  u.attributes["displayName"] = {
      "Zo\xc3\xab \"Z\" O'Neil \\ \xe6\x97\xa5\xe6\x9c\xac \xf0\x9f\x98\x80"};
  u.attributes["description"] = {
      std::string("tab\tnl\ncr\rbs\bff\fnul") + '\0' + "\x01\x1f\x7f/end", ""};
  u.attributes["proxyAddresses"] = {"SMTP:zoe@contoso.com", "smtp:z@contoso.com"};
  u.attributes["empty"] = {};
  ASSERT_TRUE(dir_store_->put(tenant_.id, DirectoryLayer::kCloud, u));

  nlohmann::json expected = nlohmann::json::object();
  for (const auto& [name, values] : u.attributes) {
    if (!values.empty()) expected[name] = values;
  }
  auto q = db().prepare("SELECT attrs FROM directory_users WHERE object_id = 'eeee'");
  ASSERT_TRUE(q) << q.status().to_string();
  auto row = (*q)->step();
  ASSERT_TRUE(row && *row);
  EXPECT_EQ(std::string((*q)->column_text(0)), expected.dump());
  (*q)->reset();

  auto back = dir_store_->user(tenant_.id, DirectoryLayer::kCloud, "eeee");
  ASSERT_TRUE(back && *back) << back.status().to_string();
  u.attributes.erase("empty");
  EXPECT_EQ((*back)->attributes, u.attributes);
  // The same attributes again change nothing.
  auto again = dir_store_->put(tenant_.id, DirectoryLayer::kCloud, u);
  ASSERT_TRUE(again);
  EXPECT_EQ(*again, DirectoryStore::PutOutcome::kUnchanged);
}

// add() writes a user whose id is new without looking for it first, and refuses an id (or a
// source anchor) the layer has, leaving the layer as it was.
TEST_P(DirectoryStoreTest, AddWritesANewUserAndRefusesAnIdTheLayerHas) {
  DirectoryUser u;
  u.object_id = "AAAA";
  u.source_anchor = "a-anchor";
  u.attributes["userPrincipalName"] = {"adele@contoso.com"};
  ASSERT_TRUE(dir_store_->add(tenant_.id, DirectoryLayer::kCloud, u));
  auto back = dir_store_->user(tenant_.id, DirectoryLayer::kCloud, "aaaa");
  ASSERT_TRUE(back && *back) << back.status().to_string();
  EXPECT_EQ((*back)->attributes, u.attributes);
  EXPECT_EQ(ids(Key::kUserPrincipalName, "adele@contoso.com"), Ids{"aaaa"});
  auto feed = store_->changes_after(tenant_.id, kCloudUsersFeed, 0, 10);
  ASSERT_TRUE(feed);
  ASSERT_EQ(feed->size(), 1u);
  EXPECT_EQ((*feed)[0].object_id, "aaaa");

  DirectoryUser again = u;
  again.attributes["userPrincipalName"] = {"changed@contoso.com"};
  Status refused = dir_store_->add(tenant_.id, DirectoryLayer::kCloud, again);
  EXPECT_EQ(refused.code(), StatusCode::kAlreadyExists);
  EXPECT_EQ(refused.message(),
            "directory layer 'cloud' already has object id aaaa or source anchor 'a-anchor'");
  DirectoryUser same_anchor = u;
  same_anchor.object_id = "bbbb";
  EXPECT_EQ(dir_store_->add(tenant_.id, DirectoryLayer::kCloud, same_anchor).code(),
            StatusCode::kAlreadyExists);
  back = dir_store_->user(tenant_.id, DirectoryLayer::kCloud, "aaaa");
  ASSERT_TRUE(back && *back);
  EXPECT_EQ((*back)->first("userPrincipalName"), "adele@contoso.com");
  EXPECT_EQ(store_->changes_after(tenant_.id, kCloudUsersFeed, 0, 10)->size(), 1u);
  // Each layer has its own ids.
  EXPECT_TRUE(dir_store_->add(tenant_.id, DirectoryLayer::kStore, u));
}

// groups/delta's members@delta: each member's last change within a window of sequences.
TEST_P(DirectoryStoreTest, MemberChangesAreEachMembersLastChangeInTheWindow) {
  for (const char* id : {"u1", "u2", "u3"}) put(DirectoryLayer::kCloud, id, id, "");
  DirectoryGroup g;
  g.object_id = "G1";
  g.attributes["displayName"] = {"Sales"};
  g.members = {"u1", "u2"};
  ASSERT_TRUE(dir_store_->put_group(tenant_.id, DirectoryLayer::kCloud, g));
  auto at = [&] {
    auto g1 = dir_store_->group(tenant_.id, DirectoryLayer::kCloud, "g1");
    EXPECT_TRUE(g1 && *g1);
    return (g1 && *g1) ? (*g1)->seq : 0;
  };
  const int64_t first = at();
  g.members = {"u2", "u3"};  // u1 leaves, u3 joins
  ASSERT_TRUE(dir_store_->put_group(tenant_.id, DirectoryLayer::kCloud, g));
  const int64_t second = at();
  g.attributes["description"] = {"only the description changes"};
  ASSERT_TRUE(dir_store_->put_group(tenant_.id, DirectoryLayer::kCloud, g));
  ASSERT_TRUE(dir_store_->remove(tenant_.id, DirectoryLayer::kCloud, "u2"));  // leaves too
  const int64_t last = at();

  auto changes = [&](int64_t after, int64_t upto) {
    auto c = dir_store_->member_changes(tenant_.id, "G1", after, upto);
    EXPECT_TRUE(c) << c.status().to_string();
    std::vector<std::string> out;
    if (c) {
      for (const auto& m : *c) out.push_back(m.member_id + (m.removed ? "-" : "+"));
    }
    return out;
  };
  using V = std::vector<std::string>;
  EXPECT_EQ(changes(0, first), V({"u1+", "u2+"}));
  EXPECT_EQ(changes(first, second), V({"u1-", "u3+"}));
  EXPECT_EQ(changes(second, last), V({"u2-"}));
  EXPECT_EQ(changes(0, last), V({"u1-", "u2-", "u3+"}));
  EXPECT_EQ(changes(last, last + 100), V());
  EXPECT_TRUE(dir_store_->member_changes(tenant_.id, "nope", 0, last)->empty());
  // The directory store's groups keep no log: groups/delta reads the cloud directory.
  ASSERT_TRUE(dir_store_->put_group(tenant_.id, DirectoryLayer::kStore, g));
  EXPECT_EQ(changes(last, last + 100), V());
}

// Stage 1's copy: the cloud user's attributes of the fixed set, as put() would write them;
// the stored text as it is when nothing is left out.
// copy_users_to_store: a page of users copied at once, one answer per id in their order, as
// copy_user_to_store gives them one by one (added, unchanged, updated, tombstone revived, no
// live cloud user), each written once with its change-feed entry; ids named twice refused.
TEST_P(DirectoryStoreTest, CopiesAPageOfUsersToTheStoreAsOneByOne) {
  auto cloud = [&](const std::string& id, const std::string& upn, const std::string& title) {
    DirectoryUser u;
    u.object_id = id;
    u.source_anchor = id + "-anchor";
    u.attributes = {{"userPrincipalName", {upn}}, {"jobTitle", {title}}};
    ASSERT_TRUE(dir_store_->put(tenant_.id, DirectoryLayer::kCloud, u));
  };
  cloud("aaaa", "a@contoso.com", "One");
  cloud("bbbb", "b@contoso.com", "One");
  cloud("cccc", "c@contoso.com", "One");
  cloud("dddd", "d@contoso.com", "One");
  ASSERT_TRUE(dir_store_->copy_user_to_store(tenant_.id, "bbbb"));
  ASSERT_TRUE(dir_store_->copy_user_to_store(tenant_.id, "cccc"));
  ASSERT_TRUE(dir_store_->copy_user_to_store(tenant_.id, "dddd"));
  ASSERT_TRUE(dir_store_->remove(tenant_.id, DirectoryLayer::kStore, "dddd"));
  cloud("cccc", "c@contoso.com", "Two");
  ASSERT_TRUE(dir_store_->remove(tenant_.id, DirectoryLayer::kCloud, "eeee"));
  auto feed_before =
      store_->changes_after(tenant_.id, directory_feed(DirectoryLayer::kStore), 0, 100);
  ASSERT_TRUE(feed_before);

  const std::vector<std::string> ids = {"CCCC", "aaaa", "zzzz", "bbbb", "dddd"};
  auto copied = dir_store_->copy_users_to_store(tenant_.id, ids);
  ASSERT_TRUE(copied) << copied.status().to_string();
  ASSERT_EQ(copied->size(), ids.size());
  using O = DirectoryStore::PutOutcome;
  ASSERT_TRUE((*copied)[0] && (*copied)[1] && (*copied)[3] && (*copied)[4]);
  EXPECT_EQ((*copied)[0]->outcome, O::kUpdated);
  EXPECT_EQ((*copied)[0]->user_principal_name, "c@contoso.com");
  EXPECT_EQ((*copied)[1]->outcome, O::kAdded);
  EXPECT_FALSE((*copied)[2]) << "no live cloud user zzzz";
  EXPECT_EQ((*copied)[3]->outcome, O::kUnchanged);
  EXPECT_EQ((*copied)[4]->outcome, O::kAdded) << "a tombstone comes back";
  auto c = dir_store_->user(tenant_.id, DirectoryLayer::kStore, "cccc");
  ASSERT_TRUE(c && *c);
  EXPECT_EQ((*c)->first("jobTitle"), "Two");
  EXPECT_EQ((*c)->source_anchor, "cccc-anchor");
  auto feed = store_->changes_after(tenant_.id, directory_feed(DirectoryLayer::kStore), 0, 100);
  ASSERT_TRUE(feed);
  std::vector<std::string> written;
  for (size_t i = feed_before->size(); i < feed->size(); ++i) {
    written.push_back((*feed)[i].object_id);
  }
  EXPECT_EQ(written, (Ids{"cccc", "aaaa", "dddd"}));

  const std::vector<std::string> twice = {"aaaa", "AAAA"};
  auto refused = dir_store_->copy_users_to_store(tenant_.id, twice);
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.status().message(), "object id 'AAAA' is named twice");
}

TEST_P(SqliteDirectoryStoreTest, CopyUserToStoreCopiesTheFixedAttributeSet) {
  auto stored_attrs = [&](std::string_view layer, std::string_view id) {
    auto q = db().prepare(
        "SELECT attrs FROM directory_users WHERE layer = ? AND "
        "object_id = ?");
    EXPECT_TRUE(q);
    (*q)->bind(1, layer);
    (*q)->bind(2, id);
    auto row = (*q)->step();
    std::string text = row && *row ? std::string((*q)->column_text(0)) : "";
    (*q)->reset();
    return text;
  };
  DirectoryUser u;
  u.object_id = "cccc";
  u.source_anchor = "c-anchor";
  u.attributes["userPrincipalName"] = {"Zoe@Contoso.com"};
  u.attributes["jobTitle"] = {"Pilot"};
  u.attributes["mail"] = {"zoe@contoso.com"};
  ASSERT_TRUE(dir_store_->put(tenant_.id, DirectoryLayer::kCloud, u));

  auto copied = dir_store_->copy_user_to_store(tenant_.id, "CCCC");
  ASSERT_TRUE(copied && *copied) << copied.status().to_string();
  EXPECT_EQ((*copied)->outcome, DirectoryStore::PutOutcome::kAdded);
  EXPECT_EQ((*copied)->user_principal_name, "Zoe@Contoso.com");
  EXPECT_EQ(stored_attrs("store", "cccc"), stored_attrs("cloud", "cccc"));
  auto store_user = dir_store_->user(tenant_.id, DirectoryLayer::kStore, "cccc");
  ASSERT_TRUE(store_user && *store_user);
  EXPECT_EQ((*store_user)->source_anchor, "c-anchor");
  EXPECT_EQ((*store_user)->attributes, u.attributes);
  auto by_upn = dir_store_->user_by_upn(tenant_.id, DirectoryLayer::kStore, "zoe@contoso.com");
  ASSERT_TRUE(by_upn && *by_upn);

  auto unchanged = dir_store_->copy_user_to_store(tenant_.id, "cccc");
  ASSERT_TRUE(unchanged && *unchanged);
  EXPECT_EQ((*unchanged)->outcome, DirectoryStore::PutOutcome::kUnchanged);

  // An attribute outside the fixed set stays in the cloud directory.
  u.attributes["extensionAttribute1"] = {"cloud only"};
  u.attributes["jobTitle"] = {"Captain"};
  ASSERT_TRUE(dir_store_->put(tenant_.id, DirectoryLayer::kCloud, u));
  auto updated = dir_store_->copy_user_to_store(tenant_.id, "cccc");
  ASSERT_TRUE(updated && *updated);
  EXPECT_EQ((*updated)->outcome, DirectoryStore::PutOutcome::kUpdated);
  store_user = dir_store_->user(tenant_.id, DirectoryLayer::kStore, "cccc");
  ASSERT_TRUE(store_user && *store_user);
  EXPECT_EQ((*store_user)->first("jobTitle"), "Captain");
  EXPECT_FALSE((*store_user)->attributes.count("extensionAttribute1"));
  EXPECT_EQ(stored_attrs("store", "cccc"), R"({"jobTitle":["Captain"],"mail":["zoe@contoso.com"],)"
                                           R"("userPrincipalName":["Zoe@Contoso.com"]})");

  // No live cloud user: nothing to copy, nothing written.
  const int64_t seq = *store_->last_seq(tenant_.id);
  ASSERT_TRUE(dir_store_->remove(tenant_.id, DirectoryLayer::kCloud, "cccc"));
  auto gone = dir_store_->copy_user_to_store(tenant_.id, "cccc");
  ASSERT_TRUE(gone) << gone.status().to_string();
  EXPECT_FALSE(*gone);
  auto never = dir_store_->copy_user_to_store(tenant_.id, "dddd");
  ASSERT_TRUE(never);
  EXPECT_FALSE(*never);
  EXPECT_EQ(*store_->last_seq(tenant_.id), seq + 1) << "only the removal took a sequence";

  // A cloud row whose stored text is not a JSON object is refused, and nothing is written.
  put(DirectoryLayer::kCloud, "eeee", "eve@contoso.com", "");
  ASSERT_TRUE(
      db().exec("UPDATE directory_users SET attrs = '[\"x\"' WHERE object_id = "
                "'eeee' AND layer = 'cloud'"));
  const int64_t before = *store_->last_seq(tenant_.id);
  auto corrupt = dir_store_->copy_user_to_store(tenant_.id, "eeee");
  ASSERT_FALSE(corrupt);
  EXPECT_EQ(corrupt.status().code(), StatusCode::kDataLoss);
  EXPECT_EQ(corrupt.status().message(),
            "stored directory attributes of cloud user eeee are corrupt");
  EXPECT_EQ(*store_->last_seq(tenant_.id), before);
  auto none = dir_store_->user(tenant_.id, DirectoryLayer::kStore, "eeee");
  ASSERT_TRUE(none);
  EXPECT_FALSE(*none);
}

// Full compares read the ids and anchors of the anchored users only, in object id order.
TEST_P(DirectoryStoreTest, AnchoredUserIdsAreTheLiveAnchoredUsersOfTheLayer) {
  for (const auto& [id, anchor] : {std::pair{"bbbb", "b-anchor"}, std::pair{"aaaa", "a-anchor"},
                                   std::pair{"cccc", ""}, std::pair{"dddd", "d-anchor"}}) {
    DirectoryUser u;
    u.object_id = id;
    u.source_anchor = anchor;
    u.attributes["userPrincipalName"] = {std::string(id) + "@contoso.com"};
    ASSERT_TRUE(dir_store_->put(tenant_.id, DirectoryLayer::kCloud, u));
  }
  put(DirectoryLayer::kStore, "ffff", "store@contoso.com", "");
  ASSERT_TRUE(dir_store_->remove(tenant_.id, DirectoryLayer::kCloud, "dddd"));
  auto ids = dir_store_->anchored_user_ids(tenant_.id, DirectoryLayer::kCloud);
  ASSERT_TRUE(ids) << ids.status().to_string();
  std::vector<std::pair<std::string, std::string>> got;
  for (const auto& a : *ids) got.emplace_back(a.object_id, a.source_anchor);
  EXPECT_EQ(got, (std::vector<std::pair<std::string, std::string>>{{"aaaa", "a-anchor"},
                                                                   {"bbbb", "b-anchor"}}));
}

UPSYNC_TEST_ON_EVERY_BACKEND(DirectoryStoreTest);
UPSYNC_TEST_ON_SQLITE(SqliteDirectoryStoreTest);

}  // namespace
}  // namespace upsync
