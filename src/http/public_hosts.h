// The names under which `upsync serve` is reached (its public hosts), and the origin a
// request's Host header names when it is one of them.
//
// Every absolute URL the server writes (the token issuer, the OpenID discovery document,
// Graph's nextLink and deltaLink, odata.context, a Location) is built from the request's Host.
// A Host the server does not own would be copied into them: a discovery document poisoned
// that way in a shared cache sends clients' secrets to another host's token endpoint. So the
// router answers a request whose Host is none of these with 400 before anything else, and
// builds every URL from the matched, lower-cased name.
//
//   PublicHosts hosts;
//   hosts.add(*parse_public_host("example.com", "https"));  // example.com and *.example.com
//   hosts.add_listen_address("127.0.0.1", "http");           // the port once bound:
//   hosts.set_bound_port(8080);                              // 127.0.0.1:8080, localhost:8080
//   hosts.origin_for("Contoso.example.com");  // "https://contoso.example.com"
//   hosts.origin_for("evil.example.net");     // nullopt
//
// A name (not an IP address) also covers its subdomains, so that tenant-by-host addressing
// (contoso.example.com, contoso-admin.example.com) works under one configured name. A port
// must match: an entry without one stands for its scheme's default port (80 or 443), which a
// Host may write or leave out.
#pragma once

#include <atomic>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"

namespace upsync {

struct PublicHost {
  std::string scheme;  // "http" or "https"
  std::string host;    // lower case; an IPv6 address in brackets
  int port = 0;        // 0: the port the server is bound to (the listen address)
  bool subdomains = false;
};

// "example.com", "example.com:8443", "https://example.com" or "http://[::1]:8080"; without a
// scheme, `default_scheme` (the one the server serves). The where is the --public-host option.
Result<PublicHost> parse_public_host(std::string_view text, std::string_view default_scheme);

class PublicHosts {
 public:
  void add(PublicHost host);
  // The address the server listens on, with its loopback alias (127.0.0.1 and localhost
  // answer for each other); nothing for a wildcard address (0.0.0.0, ::), which no client
  // sends as its Host, but 127.0.0.1 and localhost for local clients.
  void add_listen_address(std::string_view host, std::string_view scheme);
  // The port the listen address was bound to (for --listen ...:0); until it is set, the listen
  // address answers nothing. Safe to call while requests are being answered.
  void set_bound_port(int port) { bound_port_.store(port); }

  // "scheme://host[:port]" for a Host header this server answers to (the port left out when it
  // is the scheme's default), or nullopt. An empty Host (HTTP/1.0) gets the canonical origin.
  std::optional<std::string> origin_for(std::string_view host_header) const;
  // The first configured host's origin (else the listen address's).
  std::string canonical() const;
  // Every origin at which the tenant's resources live: each public host's, and under those
  // that allow subdomains <tenant>.host and <tenant>-admin.host.
  std::vector<std::string> tenant_origins(std::string_view tenant) const;
  // For messages: "example.com (and subdomains), 127.0.0.1:8080".
  std::string describe() const;

 private:
  int port_of(const PublicHost& h) const;
  std::string origin(const PublicHost& h, std::string_view host) const;
  std::vector<PublicHost> hosts_;
  std::atomic<int> bound_port_{0};
};

}  // namespace upsync
