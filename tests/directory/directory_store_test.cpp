// The SQLite DirectoryStore's indexed lookups of cloud users.
#include "directory/directory_store.h"

#include <gtest/gtest.h>

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

}  // namespace
}  // namespace upsync
