#include "core/tenant.h"

#include <gtest/gtest.h>

namespace upsync {
namespace {

TEST(TenantTest, NamesAreHostLabels) {
  EXPECT_TRUE(check_tenant_name("contoso"));
  EXPECT_TRUE(check_tenant_name("contoso-2"));
  EXPECT_EQ(check_tenant_name("").message(), "tenant name must be 1 to 63 characters, got 0");
  EXPECT_EQ(check_tenant_name("Contoso").message(),
            "tenant name 'Contoso' has 'C' at position 1 (allowed: lower-case letters, digits "
            "and '-')");
  EXPECT_EQ(check_tenant_name("-x").message(), "tenant name '-x' must not start or end with '-'");
  EXPECT_FALSE(check_tenant_name(std::string(64, 'a')));
}

TEST(TenantTest, KindsRoundTrip) {
  EXPECT_EQ(parse_tenant_kind("online"), TenantKind::kOnline);
  EXPECT_EQ(parse_tenant_kind("server"), TenantKind::kServer);
  EXPECT_FALSE(parse_tenant_kind("cloud"));
  EXPECT_EQ(tenant_kind_name(TenantKind::kServer), "server");
}

}  // namespace
}  // namespace upsync
