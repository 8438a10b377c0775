// Leases: which process runs a piece of work that must run in one place at a time (an import
// job, a tenant's sync), when several workers and servers share one database.
//
//   UPSYNC_ASSIGN_OR_RETURN(auto leases, store.lease_store());
//   const std::string me = lease_holder_name("worker-1");
//   UPSYNC_ASSIGN_OR_RETURN(Lease l, leases->claim("sync:contoso", me, kLeaseTtl));
//   ...                                   // each checkpoint, in its own transaction:
//   UPSYNC_ASSIGN_OR_RETURN(bool mine, leases->renew("sync:contoso", me, kLeaseTtl));
//   if (!mine) return ...;                // lost: another holder may run it now; stop
//   leases->release("sync:contoso", me);
//
// A lease is a row (name, holder, acquired_at, heartbeat_at, expires_at) in the store's own
// database, so that a renewal commits in the same transaction as the work it covers: a worker
// whose lease was taken over can no longer commit anything, and the one that took it over sees
// every checkpoint the first one committed. A holder that stops renewing (killed, frozen,
// cut off) loses the lease when it expires; then anyone may claim it. On PostgreSQL, one whose
// session ended (killed, its connection closed) loses it at once (pg_leases.cpp).
//
// Rules every backend keeps:
//  - claim() is one atomic statement (an upsert that replaces the row only when it is free,
//    expired, or already the caller's): among racing claimers exactly one wins, whatever the
//    number of processes and machines.
//  - Times are the database's clock where the database is shared by machines (PostgreSQL),
//    the process's on SQLite (one machine), in ms since 1970 UTC: holders on different
//    machines compare against one clock.
//  - renew() inside a transaction holds the lease's row until that transaction ends
//    (PostgreSQL's row lock; SQLite's write lock), so that what the transaction commits is
//    committed while the lease was held: a takeover waits for it and sees it.
//  - Expired means lost: renew() of an expired lease is false even when nobody claimed it yet
//    (its holder may have been frozen past the expiry, and another may be about to claim it).
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "core/status.h"

namespace upsync {

struct Lease {
  std::string name;    // what is leased: "import:<job id>", "sync:<tenant>"
  std::string holder;  // who holds it (lease_holder_name)
  int64_t acquired_at_ms = 0;
  int64_t heartbeat_at_ms = 0;  // the last claim or renewal
  int64_t expires_at_ms = 0;
  bool expired = false;  // by the store's clock when it was read
};

// How long a lease lasts without renewal, unless the caller asks otherwise: long enough for a
// checkpoint of the largest batch on a busy machine, short enough that a crashed worker's job
// waits a minute at most.
inline constexpr std::chrono::milliseconds kLeaseTtl{60000};

class LeaseStore {
 public:
  virtual ~LeaseStore() = default;
  // Takes lease `name` for `holder` until now + ttl when it is free or expired, or extends it
  // when `holder` has it already (acquired_at stays). Returns the lease as stored.
  // FailedPrecondition when another holder has it, naming the holder and since when.
  virtual Result<Lease> claim(std::string_view name, std::string_view holder,
                              std::chrono::milliseconds ttl) = 0;
  // Extends the lease to now + ttl: true while `holder` holds it unexpired, false once it is
  // lost (expired, released, or claimed by another). Inside a transaction, see the rules above.
  virtual Result<bool> renew(std::string_view name, std::string_view holder,
                             std::chrono::milliseconds ttl) = 0;
  // Gives the lease up, when `holder` holds it; nothing happens otherwise (it was lost).
  virtual Status release(std::string_view name, std::string_view holder) = 0;
  // The lease as stored (expired or not), or nullopt when nobody has claimed it or it was
  // released.
  virtual Result<std::optional<Lease>> get(std::string_view name) = 0;
};

// This process's name as a lease holder: "<host>:<pid>", with "/<label>" when given (a
// worker's --name, a thread of the server).
std::string lease_holder_name(std::string_view label = {});
// A lease time as ISO 8601 UTC with milliseconds ("2026-11-23T07:14:05.123Z").
std::string lease_time_iso(int64_t ms);
// "held by <holder> since <acquired_at>, last heartbeat <heartbeat_at>": for refusals and
// status lines.
std::string describe_lease(const Lease& lease);

// Lease names, one place for each kind of work.
inline std::string import_lease_name(std::string_view job_id) {
  return "import:" + std::string(job_id);
}
// The lease of one range of a split import job (bulkimport/job.h: ImportRange).
inline std::string import_range_lease_name(std::string_view job_id, int index) {
  return "import:" + std::string(job_id) + "#" + std::to_string(index);
}
inline std::string sync_lease_name(std::string_view tenant) {
  return "sync:" + std::string(tenant);
}

}  // namespace upsync
