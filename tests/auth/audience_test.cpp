#include "auth/audience.h"

#include <gtest/gtest.h>

#include <vector>

namespace upsync {
namespace {

TEST(Audience, AScopeListNamesItsResourceAsAzureAdReadsIt) {
  struct Case {
    std::string scopes, resource;
  };
  const std::vector<Case> cases = {
      {"https://contoso.sharepoint.com/.default", "https://contoso.sharepoint.com"},
      {"openid profile https://contoso.sharepoint.com/AllSites.Manage",
       "https://contoso.sharepoint.com"},
      {"https://graph.microsoft.com/User.Read offline_access", "https://graph.microsoft.com"},
      {"User.Read", "https://graph.microsoft.com"},
      {"00000003-0000-0000-c000-000000000000/.default", "00000003-0000-0000-c000-000000000000"},
      {"https://contoso.example.com", "https://contoso.example.com"},
      {"api://x/.default", "api://x"},
      {"openid profile", "https://fallback"},
      {"", "https://fallback"},
  };
  for (const auto& c : cases) {
    EXPECT_EQ(resource_of_scopes(c.scopes, "https://fallback"), c.resource) << c.scopes;
  }
}

TEST(Audience, OnlyTheTenantsSharePointGraphAndTheServerAreItsResources) {
  const std::vector<std::string> own = {"https://example.com", "https://contoso.example.com"};
  for (const std::string& aud : std::vector<std::string>{
           "https://contoso.sharepoint.com", "https://CONTOSO.sharepoint.com/",
           "https://contoso-admin.sharepoint.com", "https://contoso-my.sharepoint.com",
           "https://graph.microsoft.com", "00000003-0000-0000-c000-000000000000",
           "00000003-0000-0ff1-ce00-000000000000", "https://example.com",
           "https://contoso.example.com/"}) {
    EXPECT_TRUE(is_tenant_audience(aud, "contoso", own)) << aud;
  }
  for (const std::string& aud : std::vector<std::string>{
           "", "/", "https://evil.example.com", "https://fabrikam.sharepoint.com",
           "https://contoso.sharepoint.com.evil.net", "http://contoso.sharepoint.com",
           "https://graph.microsoft.com.evil.net", "api://contoso", "https://fabrikam.example.com",
           "contoso"}) {
    EXPECT_FALSE(is_tenant_audience(aud, "contoso", own)) << aud;
  }
}

}  // namespace
}  // namespace upsync
