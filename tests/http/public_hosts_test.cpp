#include "http/public_hosts.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <vector>

namespace upsync {
namespace {

TEST(PublicHosts, OnlyOwnNamesAndTheirSubdomainsGetAnOrigin) {
  PublicHosts hosts;
  hosts.add(*parse_public_host("Example.com", "http"));
  hosts.add(*parse_public_host("https://sp.example.org:8443/", "http"));
  hosts.add_listen_address("127.0.0.1", "http");
  EXPECT_EQ(hosts.origin_for("127.0.0.1:8080"), std::nullopt) << "not bound yet";
  hosts.set_bound_port(8080);
  struct Case {
    std::string host;
    std::optional<std::string> origin;
  };
  const std::vector<Case> cases = {
      {"example.com", "http://example.com"},
      {"EXAMPLE.COM:80", "http://example.com"},
      {"contoso.example.com", "http://contoso.example.com"},
      {"contoso-admin.example.com", "http://contoso-admin.example.com"},
      {"sp.example.org:8443", "https://sp.example.org:8443"},
      {"127.0.0.1:8080", "http://127.0.0.1:8080"},
      {"localhost:8080", "http://localhost:8080"},
      {"contoso.localhost:8080", "http://contoso.localhost:8080"},
      {"", "http://example.com"},  // HTTP/1.0 without Host: the canonical origin
      {"evil.net", std::nullopt},
      {"example.com.evil.net", std::nullopt},
      {"evilexample.com", std::nullopt},
      {".example.com", std::nullopt},
      {"a..example.com", std::nullopt},
      {"example.com:8080", std::nullopt},
      {"sp.example.org", std::nullopt},
      {"127.0.0.1", std::nullopt},
      {"127.0.0.1:8081", std::nullopt},
      {"1.127.0.0.1:8080", std::nullopt},
      {"127.0.0.1:8080@evil.net", std::nullopt},
      {"example.com/x", std::nullopt},
      {"example.com:99999", std::nullopt},
  };
  for (const auto& c : cases) EXPECT_EQ(hosts.origin_for(c.host), c.origin) << c.host;
  EXPECT_EQ(hosts.canonical(), "http://example.com");
  auto origins = hosts.tenant_origins("Contoso");
  EXPECT_NE(std::find(origins.begin(), origins.end(), "https://contoso.sp.example.org:8443"),
            origins.end());
  EXPECT_NE(std::find(origins.begin(), origins.end(), "http://127.0.0.1:8080"), origins.end());
}

TEST(PublicHosts, ABadPublicHostIsRefusedNamingIt) {
  for (const std::string& bad :
       std::vector<std::string>{"", "ftp://example.com", "example.com/path", "user@example.com",
                                "example.com:0", "example.com:x", "exa mple.com", "[::1"}) {
    auto h = parse_public_host(bad, "http");
    ASSERT_FALSE(h) << bad;
    EXPECT_NE(h.status().message().find("--public-host '" + bad + "'"), std::string::npos)
        << h.status().message();
  }
  auto v6 = parse_public_host("https://[::1]:8443", "http");
  ASSERT_TRUE(v6) << v6.status().to_string();
  EXPECT_EQ(v6->host, "[::1]");
  EXPECT_EQ(v6->port, 8443);
  EXPECT_FALSE(v6->subdomains);
}

}  // namespace
}  // namespace upsync
