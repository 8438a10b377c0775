// Profile import for `server` tenants (SharePoint Server): no cloud directory; profiles come
// straight from the connector's complete export with seed 001's table of AD DS attribute →
// profile property mappings, which each server tenant may edit (`upsync mapping ...`).
//
//   auto report = import_server_profiles(store, farm, records, options);
//
// Each user entry (objectClass user, or any entry with the UserName attribute) becomes the
// profile i:0#.w|DOMAIN\sAMAccountName, DOMAIN being the NetBIOS name (options, else the
// first DC= label of the entry's DN in capitals). Values flow through the mappings; a profile
// whose SPS-DistinguishedName is no longer in the export is deleted (deletion threshold as in
// the online pipeline). Seed 001's special sources: "dn" (the entry's DN), "Mail/proxyAddress"
// (mail, else the primary SMTP: proxy address), "manager" (the manager entry's account name),
// binary attributes (objectSid, objectGUID) as base64, and "<specific to connection>" for the
// SPS-Claim* properties of the Windows claims provider.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "directory/ldif.h"
#include "sync/pipeline.h"

namespace upsync {

struct AttributeMapping {
  std::string property;     // profile property, e.g. "SPS-JobTitle"
  std::string attribute;    // directory attribute, e.g. "title"
  bool overridden = false;  // set by the tenant's admin rather than seed 001's default
};

// Seed 001's 21 rows, in its order.
const std::vector<AttributeMapping>& default_server_mappings();

// A server tenant's edits to the defaults. The rules live here; each backend stores the edits
// (store/<backend>/*_mappings.cpp).
class MappingStore {
 public:
  virtual ~MappingStore() = default;
  // Defaults with the tenant's edits applied (an edit to "" removes the mapping), in
  // seed 001's order, then added properties.
  Result<std::vector<AttributeMapping>> mappings(const Tenant& tenant);
  // Maps `property` (checked against the schema) from `attribute`; "" unmaps it. The property
  // is read and the edit written in the tenant's turn, which a property's removal (that takes
  // its edit with it) holds too: no edit is ever stored for a property removed meanwhile.
  Status set(const Tenant& tenant, const std::string& property, const std::string& attribute);
  // Back to seed 001's default for `property`, or for every property when empty.
  Status reset(const Tenant& tenant, const std::string& property);

 protected:
  explicit MappingStore(Store& store) : store_(store) {}
  // The tenant's edits, as stored: property (canonical name) and attribute, by property.
  virtual Result<std::vector<AttributeMapping>> stored_edits(TenantId tenant) = 0;
  // Stores the edit of `property` (its canonical name), keyed by its lower case.
  virtual Status store_edit(TenantId tenant, const std::string& property,
                            const std::string& attribute) = 0;
  // Removes the edit keyed `property_key` (lower case), or every edit when it is empty; how
  // many were removed.
  virtual Result<int64_t> remove_edits(TenantId tenant, const std::string& property_key) = 0;

 private:
  Store& store_;
};

// The MappingStore over `store`'s connection, from its backend (store/store.h).
inline Result<std::unique_ptr<MappingStore>> open_mapping_store(Store& store) {
  return store.mapping_store();
}

struct ServerImportOptions {
  std::string netbios_domain;  // "" derives it from each entry's DN
};

Result<SyncReport> import_server_profiles(Store& store, const Tenant& tenant,
                                          const std::vector<LdifRecord>& entries,
                                          const SyncOptions& options,
                                          const ServerImportOptions& server = {});

}  // namespace upsync
