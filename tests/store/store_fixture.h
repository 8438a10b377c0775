// A fresh SQLite store in a temp folder, with one tenant, for the store tests.
#pragma once

#include <gtest/gtest.h>

#include <memory>

#include "store/sqlite/sqlite_store.h"
#include "store/store.h"
#include "test_support.h"

namespace upsync::testing {

class StoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto s = SqliteStore::open((dir_.path() / "upsync.db").string(), /*create=*/true);
    ASSERT_TRUE(s) << s.status().to_string();
    store_ = std::move(*s);
    auto t = store_->create_tenant({.name = "contoso"});
    ASSERT_TRUE(t) << t.status().to_string();
    tenant_ = *t;
  }

  Profile make_profile(const std::string& upn, std::vector<PropertyChange> props = {}) {
    auto p = store_->create_profile(tenant_.id, "i:0#.f|membership|" + upn, props);
    EXPECT_TRUE(p) << p.status().to_string();
    return p ? *p : Profile{};
  }

  TempDir dir_;
  std::unique_ptr<SqliteStore> store_;
  Tenant tenant_;
};

}  // namespace upsync::testing
