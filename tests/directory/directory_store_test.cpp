// The SQLite DirectoryStore: indexed lookups of cloud users, the stored attribute text.
#include "directory/directory_store.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

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
    auto users = dir_store_->cloud_users_with(tenant_.id, key, value);
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

TEST_F(DirectoryStoreTest, CloudUsersByIdUpnOrMailIgnoringCase) {
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

  // Each lookup is an index search, not a walk through the tenant's users.
  for (const auto& [key, index] : {std::pair{"id",
                                             "PRIMARY KEY (tenant_id=? AND layer=? AND "
                                             "object_id=?)"},
                                   std::pair{"userPrincipalName", "INDEX directory_users_by_upn"},
                                   std::pair{"mail", "INDEX directory_users_by_mail"},
                                   std::pair{"manager", "INDEX directory_users_by_manager"}}) {
    auto plan = store_->db().prepare("EXPLAIN QUERY PLAN " + cloud_users_sql(key));
    ASSERT_TRUE(plan) << plan.status().to_string();
    std::string text;
    while (*(*plan)->step()) text += std::string((*plan)->column_text(3)) + "; ";
    (*plan)->reset();
    EXPECT_EQ(text.rfind("SEARCH directory_users USING " + std::string(index), 0), 0u)
        << key << ": " << text;
  }
}

// Stored rows are compared as text to tell a changed user from an unchanged one: the text is
// nlohmann::json's dump() of the attributes (sorted keys, no empty arrays), byte for byte,
// whatever the values hold.
TEST_F(DirectoryStoreTest, StoredAttributesAreTheJsonDumpOfTheAttributes) {
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
  auto q = store_->db().prepare("SELECT attrs FROM directory_users WHERE object_id = 'eeee'");
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

// Full compares read the ids and anchors of the anchored users only, in object id order.
TEST_F(DirectoryStoreTest, AnchoredUserIdsAreTheLiveAnchoredUsersOfTheLayer) {
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

}  // namespace
}  // namespace upsync
