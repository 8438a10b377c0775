// Connectors: a tenant's stored on-premises sources for stage 0 (the part Azure AD Connect
// plays), each a TOML document the admin writes and upsync keeps in the store:
//
//   type = "ldap"                               # the only kind so far
//   url = "ldap://dc1.contoso.com:389"          # or ldaps://
//   start_tls = true
//   bind_dn = "CN=sync,OU=Service,DC=contoso,DC=com"
//   password_file = "/etc/upsync/dc1.password"  # or password_env = "DC1_PASSWORD"
//   base = "DC=contoso,DC=com"
//   filter = "(|(objectClass=user)(objectClass=group))"
//   scope = "subtree"                           # or "one"
//   delta = "auto"                              # syncrepl, usn, timestamp, none
//   include_ous = ["OU=Staff,DC=contoso,DC=com"]
//   exclude_ous = ["OU=Disabled,OU=Staff,DC=contoso,DC=com"]
//   full_compare_hours = 24                     # usn/timestamp deltas miss deletions: a
//                                               # complete read this often finds them
//
//   [flows]                                     # cloud attribute = directory attribute
//   jobTitle = "description"                    # instead of the preset's "title"
//   telephoneNumber = ""                        # flows from nothing
//
// Flows start from Azure AD Connect's defaults for Active Directory (objectGUID anchor) or the
// inetOrgPerson preset (entryUUID anchor); [flows] overrides them one cloud attribute at a
// time. Passwords are never stored: the file or environment variable is read at each run.
// A tenant has one connector; `upsync sync run` and the scheduler run it, then stages 1-3.
#pragma once

#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"
#include "directory/ldap_source.h"
#include "store/store.h"
#include "sync/ldap_connector.h"
#include "sync/pipeline.h"

namespace upsync {

struct Connector {
  std::string name;
  LdapSourceConfig ldap;  // without its password, which run_connector() reads
  std::string password_file;
  std::string password_env;
  DeltaMethod delta = DeltaMethod::kAuto;
  std::vector<std::string> include_ous;
  std::vector<std::string> exclude_ous;
  // With a usn or timestamp delta (which cannot see deletions), read everything once this
  // many hours have passed since the last complete read; 0: only on --full.
  int full_compare_hours = 24;
  std::map<std::string, std::string> flows;  // cloud attribute → directory attribute
  std::string toml;                          // the document as the admin wrote it
};

// A connector name: 1-64 letters, digits, '-', '_' and '.'.
Status check_connector_name(std::string_view name);

// Parses and checks a connector document. Errors name the line and column of a TOML syntax
// error, or the key that is wrong: an unknown key, a value of the wrong type, an unknown
// cloud attribute in [flows], a malformed URL, DN list or LDAP attribute name.
Result<Connector> parse_connector(std::string_view name, std::string_view toml);

class ConnectorStore {
 public:
  virtual ~ConnectorStore() = default;
  // AlreadyExists when the tenant has one of that name.
  virtual Status add(TenantId tenant, const Connector& connector) = 0;
  // NotFound when there is none of that name.
  virtual Status replace(TenantId tenant, const Connector& connector) = 0;
  virtual Result<Connector> get(TenantId tenant, std::string_view name) = 0;
  virtual Result<std::vector<Connector>> list(TenantId tenant) = 0;
  virtual Status remove(TenantId tenant, std::string_view name) = 0;
};

// The ConnectorStore over `store`'s connection, from its backend (store/store.h).
inline Result<std::unique_ptr<ConnectorStore>> open_connector_store(Store& store) {
  return store.connector_store();
}

// Adds the tenant's connector. Stage 0 deletes the anchored users a complete read does not
// name, so two sources would delete each other's users: a tenant has one connector, and
// AlreadyExists names the one it has. The check and the add go in the tenant's turn
// (Store::in_tenant_turn), so two first adds at once never both find none.
Status add_tenant_connector(Store& store, const Tenant& tenant, const Connector& connector);

// Removes the tenant's connector `name` (NotFound when it has none of that name). A server
// tenant's schedule runs its connector (ScheduleStore::set refuses one without): when the
// last one goes, the schedule goes with it, in the same turn of the tenant, and the answer is
// true. A schedule set at the same moment either comes first, and is cleared here, or finds no
// connector.
Result<bool> remove_tenant_connector(Store& store, const Tenant& tenant, std::string_view name);

// The connector's LDAP settings with its password, read now from its password_file or
// password_env (FailedPrecondition naming the connector when it cannot be read).
Result<LdapSourceConfig> connector_ldap_config(const Connector& connector);

// Runs one connector: its password, then stage 0 with its flows, OU scope and delta method,
// then stages 1-3 (online tenants), or the profile import of a server tenant (which reads
// everything in scope each run).
Result<SyncReport> run_connector(Store& store, const Tenant& tenant, const Connector& connector,
                                 SyncOptions options);

}  // namespace upsync
