// The LDAP connector: stage 0 from a live directory, reading only what changed when it can.
//
//   auto report = run_ldap_sync(store, tenant, ldap_config, DeltaMethod::kAuto, options);
//
// Each source (URL, base, scope and filter) keeps its position in the store
// (Store::source_state, written in the run's transaction: a run killed half-way reads the
// same changes again, never skips them). How a delta is read:
//   syncrepl   RFC 4533 refreshOnly with the stored cookie, when the root DSE lists the Sync
//              Request control (OpenLDAP's syncprov). Adds and changes come as entries;
//              deletions and moves out of scope as entryUUIDs (or as a present phase, when
//              the server's session log does not reach back that far). A cookie the server
//              refuses (e-syncRefreshRequired) or that is not one it could have issued makes
//              the run a full refresh with a full compare.
//   usn        Active Directory: (uSNChanged>=<last highestCommittedUSN + 1>).
//   timestamp  anything else: (modifyTimestamp>=<latest modifyTimestamp seen>).
// usn and timestamp cannot see deletions or moves out of scope: only a full run (--full, or
// the first run) finds those, by the full compare.
// The first run of a source and every --full run read everything and delete the anchored
// users the directory no longer has.
#pragma once

#include <string>
#include <string_view>

#include "core/status.h"
#include "directory/ldap_source.h"
#include "store/store.h"
#include "sync/pipeline.h"

namespace upsync {

enum class DeltaMethod {
  kAuto,       // syncrepl if offered, else usn if the root DSE has highestCommittedUSN, else
               // timestamp
  kSyncrepl,   // RFC 4533, refused when the server does not offer it
  kUsn,        // Active Directory's uSNChanged
  kTimestamp,  // modifyTimestamp
  kNone,       // read everything every run
};
Result<DeltaMethod> parse_delta_method(std::string_view name);
std::string_view delta_method_name(DeltaMethod method);

// The name a source's position is stored under.
std::string ldap_source_name(const LdapSourceConfig& config);

// Reads the directory (a delta when the stored position allows it, unless options.full) and
// runs the pipeline: stage 0 over the entries as they arrive (the read runs on a thread of its
// own, SourceRead::stream), stages 1 to 3 by their cursors.
Result<SyncReport> run_ldap_sync(Store& store, const Tenant& tenant, const LdapSourceConfig& config,
                                 DeltaMethod method, const SyncOptions& options);

}  // namespace upsync
