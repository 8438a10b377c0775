// A fresh, empty storage on one backend (backends.h), with one tenant, for the tests of every
// storage interface. Tests are TEST_P, run on the backends by UPSYNC_TEST_ON_EVERY_BACKEND.
#pragma once

#include <gtest/gtest.h>

#include <memory>

#include "store/backends.h"
#include "store/storage.h"
#include "store/store.h"
#include "test_support.h"

namespace upsync::testing {

class StoreTest : public ::testing::TestWithParam<Backend> {
 protected:
  void SetUp() override {
    auto storage = GetParam().open(dir_.path());
    ASSERT_TRUE(storage) << storage.status().to_string();
    storage_ = std::move(*storage);
    auto s = storage_->connect();
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
  std::unique_ptr<Storage> storage_;  // opened store_; connect() it again for a second one
  std::unique_ptr<Store> store_;
  Tenant tenant_;
};

}  // namespace upsync::testing
