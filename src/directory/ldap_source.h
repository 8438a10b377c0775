// Reading an on-premises LDAP directory (OpenLDAP or Active Directory) with libldap.
//
//   LdapSourceConfig c{.url = "ldap://dc1:389", .bind_dn = "...", .password = "...",
//                      .base = "ou=people,dc=contoso,dc=com"};
//   auto entries = read_ldap_entries(c);   // every entry under base, as LDIF records
//
//   auto src = LdapSource::connect(c);     // one bound connection for several reads:
//   auto info = (*src)->server_info();     //   what the root DSE offers for delta reads
//   auto delta = (*src)->sync_refresh(cookie, sink);    // RFC 4533 refreshOnly
//   (*src)->read_entries("(modifyTimestamp>=20261123101500Z)", sink);
//   // sink: [&](LdifRecord&& e) { ... }, each entry as it arrives
//
// Simple bind over ldap:// (optionally upgraded with StartTLS) or ldaps://. Plain reads use
// paged results (RFC 2696) so that directories of any size arrive page by page within the
// server's size limits. A sync refresh never pages: slapd answers sync plus paging with the
// first page only, a cookie and "success" (silent truncation), so it is one search with no
// client size limit, and a server limit that stops it is an error. Operational attributes
// (entryUUID, modifyTimestamp) are requested; binary values (objectGUID, objectSid) keep their
// bytes; an attribute Active Directory sends in ranges (a large group's "member;range=0-1499")
// is read to its end and arrives whole, under its plain name. Failures say which step failed and
// the server's words: "binding as cn=admin,dc=example,dc=com to ldap://...: Invalid credentials".
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"
#include "directory/ldif.h"

struct ldap;  // libldap's LDAP

namespace upsync {

struct LdapSourceConfig {
  std::string url;  // ldap://host:port or ldaps://host:port
  bool start_tls = false;
  std::string bind_dn;  // empty for an anonymous bind
  std::string password;
  std::string base;
  std::string filter = "(objectClass=*)";
  bool one_level = false;  // only the base's direct children instead of the whole subtree
  int page_size = 500;
  int timeout_seconds = 30;
};

// What the server's root DSE offers for reading changes.
struct LdapServerInfo {
  bool syncrepl = false;  // supportedControl lists RFC 4533's Sync Request control
  bool openldap = false;  // objectClass OpenLDAProotDSE: its cookies can be checked
  std::optional<int64_t> highest_committed_usn;  // Active Directory's change counter
};

// The answer to an RFC 4533 refreshOnly search.
struct LdapSyncRefresh {
  // The cookie was refused (e-syncRefreshRequired 4096, or slapd's "consumer state is newer
  // than provider"): nothing else is set; read again without a cookie. The server's words.
  std::optional<std::string> refresh_required;
  // entryUUIDs (lower-case text) of entries deleted or moved out of scope since the cookie.
  std::vector<std::string> deleted;
  // Set when the server answered with a present phase (its log did not reach back to the
  // cookie): the entryUUIDs of the unchanged entries still in scope. Every entry that is in
  // neither `present` nor handed to the sink is gone.
  std::optional<std::vector<std::string>> present;
  std::string cookie;  // where the next refresh starts; "" when the server sent none
};

// Takes each entry of a read as it arrives (in the server's order), so that a caller can work
// on a large directory without holding all of it.
using LdapEntrySink = std::function<void(LdifRecord&&)>;

class LdapSource {
 public:
  // Connects and binds.
  static Result<std::unique_ptr<LdapSource>> connect(const LdapSourceConfig& config);
  ~LdapSource();
  LdapSource(const LdapSource&) = delete;
  LdapSource& operator=(const LdapSource&) = delete;

  Result<LdapServerInfo> server_info();
  // Every entry under the base that matches the filter and `extra_filter` (when not empty),
  // page by page, each handed to `sink` as its page arrives.
  Status read_entries(std::string_view extra_filter, const LdapEntrySink& sink);
  // RFC 4533 refreshOnly from `cookie` ("" for the whole content), in one search; the entries
  // added or changed since the cookie (every entry in scope without one) are handed to `sink`
  // as they arrive. When the answer is refresh_required, the entries already handed over (if
  // the server sent any) are not part of the answer.
  Result<LdapSyncRefresh> sync_refresh(std::string_view cookie, const LdapEntrySink& sink);

  const LdapSourceConfig& config() const { return config_; }

 private:
  struct Unbind {
    void operator()(ldap* ld) const;
  };
  LdapSource(const LdapSourceConfig& c, std::unique_ptr<ldap, Unbind> ld)
      : config_(c), ld_(std::move(ld)) {}
  // Active Directory sends at most MaxValRange (1500) values of a large attribute, as
  // "member;range=0-1499": reads the rest of each such attribute range by range, and gives
  // the entry all its values under the plain name.
  Status complete_ranged_values(LdifRecord& entry);

  LdapSourceConfig config_;
  std::unique_ptr<ldap, Unbind> ld_;
};

// Connects, binds and reads every entry under the base (paged).
Result<std::vector<LdifRecord>> read_ldap_entries(const LdapSourceConfig& config);

// The text form of a 16-byte RFC 4122 UUID (an RFC 4533 syncUUID), as slapd prints entryUUID.
std::string uuid_text(std::string_view bytes);

}  // namespace upsync
