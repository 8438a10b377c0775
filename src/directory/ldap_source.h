// Reading an on-premises LDAP directory (OpenLDAP or Active Directory) with libldap.
//
//   LdapSourceConfig c{.url = "ldap://dc1:389", .bind_dn = "...", .password = "...",
//                      .base = "ou=people,dc=contoso,dc=com"};
//   auto entries = read_ldap_entries(c);   // every entry under base, as LDIF records
//
// Simple bind over ldap:// (optionally upgraded with StartTLS) or ldaps://; paged results
// (RFC 2696) so that directories of any size arrive page by page within the server's size
// limits. Operational attributes (entryUUID) are requested; binary values (objectGUID,
// objectSid) keep their bytes. Failures say which step failed and the server's words:
// "binding as cn=admin,dc=example,dc=com to ldap://...: Invalid credentials".
#pragma once

#include <string>
#include <vector>

#include "core/status.h"
#include "directory/ldif.h"

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

Result<std::vector<LdifRecord>> read_ldap_entries(const LdapSourceConfig& config);

}  // namespace upsync
