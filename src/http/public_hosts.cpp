#include "http/public_hosts.h"

#include <cctype>

#include "core/text.h"

namespace upsync {

namespace {

int default_port(std::string_view scheme) { return scheme == "https" ? 443 : 80; }

bool is_ip_address(std::string_view host) {
  if (!host.empty() && host.front() == '[') return true;
  for (char c : host) {
    if (!std::isdigit(static_cast<unsigned char>(c)) && c != '.') return false;
  }
  return !host.empty();
}

// A DNS name (letters, digits, '-', '.'), or an IPv4 address, or an IPv6 one in brackets.
bool is_host_name(std::string_view host) {
  if (host.empty() || host.size() > 253) return false;
  if (host.front() == '[') {
    if (host.back() != ']' || host.size() < 3) return false;
    for (char c : host.substr(1, host.size() - 2)) {
      if (!std::isxdigit(static_cast<unsigned char>(c)) && c != ':' && c != '.') return false;
    }
    return true;
  }
  if (host.front() == '.' || host.back() == '.' || host.find("..") != std::string_view::npos) {
    return false;
  }
  for (char c : host) {
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '-' && c != '.') return false;
  }
  return true;
}

// Splits "host[:port]"; port 0 when there is none, -1 when it is not a port number.
std::pair<std::string_view, int> split_host_port(std::string_view text) {
  size_t colon = text.rfind(':');
  if (colon == std::string_view::npos || (text.front() == '[' && text.back() == ']')) {
    return {text, 0};
  }
  std::string_view port = text.substr(colon + 1);
  if (port.empty() || port.size() > 5 ||
      port.find_first_not_of("0123456789") != std::string_view::npos) {
    return {text.substr(0, colon), -1};
  }
  int n = std::stoi(std::string(port));
  return {text.substr(0, colon), n >= 1 && n <= 65535 ? n : -1};
}

}  // namespace

Result<PublicHost> parse_public_host(std::string_view text, std::string_view default_scheme) {
  auto bad = [&](std::string_view why) {
    return invalid_argument("--public-host '" + std::string(text) + "': " + std::string(why) +
                            " (expected a host name such as example.com, with an optional port "
                            "and scheme: https://example.com:8443)");
  };
  std::string lowered = ascii_lower(trim(text));
  std::string_view rest = lowered;
  PublicHost out;
  out.scheme = std::string(default_scheme);
  for (std::string_view scheme : {"http", "https"}) {
    std::string prefix = std::string(scheme) + "://";
    if (rest.starts_with(prefix)) {
      out.scheme = std::string(scheme);
      rest.remove_prefix(prefix.size());
    }
  }
  if (rest.find("://") != std::string_view::npos)
    return bad("the scheme is neither http nor https");
  if (rest.ends_with("/")) rest.remove_suffix(1);
  if (rest.find_first_of("/?#@") != std::string_view::npos) {
    return bad("a public host is a name and port, without a path, query or user");
  }
  auto [host, port] = split_host_port(rest);
  if (port < 0) return bad("the port is not a number from 1 to 65535");
  if (!is_host_name(host)) return bad("not a host name");
  out.host = std::string(host);
  out.port = port == 0 ? default_port(out.scheme) : port;
  out.subdomains = !is_ip_address(out.host);
  return out;
}

void PublicHosts::add(PublicHost host) { hosts_.push_back(std::move(host)); }

void PublicHosts::add_listen_address(std::string_view host, std::string_view scheme) {
  std::string h = ascii_lower(host);
  if (h.find(':') != std::string::npos && h.front() != '[') h = "[" + h + "]";
  std::vector<std::string> names;
  if (h == "0.0.0.0" || h == "[::]" || h == "127.0.0.1" || h == "localhost") {
    names = {"127.0.0.1", "localhost"};
  } else if (h == "[::1]") {
    names = {"[::1]", "localhost"};
  } else {
    names = {h};
  }
  for (auto& name : names) {
    // localhost's subdomains are loopback too (RFC 6761), so contoso.localhost addresses a
    // tenant by host on one machine.
    hosts_.push_back({std::string(scheme), name, 0, name == "localhost"});
  }
}

int PublicHosts::port_of(const PublicHost& h) const {
  return h.port != 0 ? h.port : bound_port_.load();
}

std::string PublicHosts::origin(const PublicHost& h, std::string_view host) const {
  int port = port_of(h);
  std::string out = h.scheme + "://" + std::string(host);
  if (port != default_port(h.scheme)) out += ":" + std::to_string(port);
  return out;
}

std::optional<std::string> PublicHosts::origin_for(std::string_view host_header) const {
  if (host_header.empty()) return canonical();
  std::string lowered = ascii_lower(host_header);
  auto [host, port] = split_host_port(lowered);
  if (port < 0 || !is_host_name(host)) return std::nullopt;
  for (const PublicHost& h : hosts_) {
    int want = port_of(h);
    if (want == 0) continue;  // the listen address before the server is bound
    if (port != 0 ? port != want : want != default_port(h.scheme)) continue;
    bool same = host == h.host;
    bool under = h.subdomains && host.size() > h.host.size() + 1 && host.ends_with(h.host) &&
                 host[host.size() - h.host.size() - 1] == '.';
    if (same || under) return origin(h, host);
  }
  return std::nullopt;
}

std::string PublicHosts::canonical() const {
  if (hosts_.empty()) return "";
  return origin(hosts_.front(), hosts_.front().host);
}

std::vector<std::string> PublicHosts::tenant_origins(std::string_view tenant) const {
  std::vector<std::string> out;
  std::string t = ascii_lower(tenant);
  for (const PublicHost& h : hosts_) {
    out.push_back(origin(h, h.host));
    if (h.subdomains) {
      out.push_back(origin(h, t + "." + h.host));
      out.push_back(origin(h, t + "-admin." + h.host));
    }
  }
  return out;
}

std::string PublicHosts::describe() const {
  std::string out;
  for (const PublicHost& h : hosts_) {
    if (!out.empty()) out += ", ";
    out += origin(h, h.host);
    if (h.subdomains) out += " (and its subdomains)";
  }
  return out;
}

}  // namespace upsync
