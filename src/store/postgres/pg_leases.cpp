// The PostgreSQL LeaseStore (core/lease.h): table leases, on the store's own connection so
// that a renewal shares the transaction of the work it covers (as sqlite_leases.cpp). Times
// are the database's clock (kPgNowMs), which every machine shares. The claim is one
// INSERT ... ON CONFLICT DO UPDATE ... WHERE: PostgreSQL locks the conflicting row and checks
// the WHERE against its latest version, so among racing claimers exactly one replaces a free
// row; a renewal's UPDATE keeps the row locked until its transaction ends, so a takeover
// waits for the renewing checkpoint to commit and then sees it.
//
// A holder that is gone need not be waited for. Each holder also takes a session advisory lock
// on the lease's name (pg_try_advisory_lock), which PostgreSQL releases when the holder's
// session ends: its process killed, its connection closed. A claimer that finds the lease held
// and unexpired tries that lock; when it gets it, the holder's session is gone, and the lease
// is taken over at once (compared against the holder it saw, so racing claimers still have one
// winner) instead of at its expiry: a killed worker's import, or a killed sync's tenant, goes
// on within a poll rather than after the lease time (10 minutes for a sync). The row stays the
// rule: a holder whose lease was taken over (its session was ended under it, say) finds that
// out at its next renewal and commits nothing more. The lock is a hint of life and nothing
// else: a lock not obtained (still held by the session of a holder that lost the lease while
// frozen) means the lease is waited for until its expiry, as without it, until the new holder
// takes the lock at a renewal. Between that session's end and that renewal a claimer can take
// the lease from its living holder, which then stops at its next checkpoint: work moves, none
// is lost or done twice.
#include <string>

#include "core/lease.h"
#include "store/postgres/pg_store.h"

namespace upsync {
namespace {

class PgLeaseStore : public LeaseStore {
 public:
  explicit PgLeaseStore(PgStore& store) : db_(store.db()) {}

  Result<Lease> claim(std::string_view name, std::string_view holder,
                      std::chrono::milliseconds ttl) override {
    // Claims of one name run one at a time (a transaction advisory lock on another key of the
    // name): a claim's row and its session lock are both in place before the next claim looks,
    // so the next one never takes the session lock in between and mistakes a holder that just
    // won for one that is gone.
    Result<Lease> out = internal_error("the lease claim did not run");
    Status st = db_.in_transaction([&]() -> Status {
      UPSYNC_RETURN_IF_ERROR(
          db_.query("SELECT pg_advisory_xact_lock(hashtextextended($1, 1))", {name}).status());
      out = claim_in_turn(name, holder, ttl);
      // A refusal is an answer: the transaction commits (it wrote nothing then).
      return out || out.status().code() == StatusCode::kFailedPrecondition ||
                     out.status().code() == StatusCode::kUnavailable
                 ? Status::ok()
                 : out.status();
    });
    if (!st.is_ok()) return st;
    return out;
  }

 private:
  Result<Lease> claim_in_turn(std::string_view name, std::string_view holder,
                              std::chrono::milliseconds ttl) {
    UPSYNC_ASSIGN_OR_RETURN(
        PgResult r,
        db_.query("WITH clock AS (SELECT " + std::string(kPgNowMs) +
                      " AS ms) "
                      "INSERT INTO leases AS l (name, holder, acquired_at, heartbeat_at, "
                      "expires_at) SELECT $1, $2, ms, ms, ms + $3::bigint FROM clock "
                      "ON CONFLICT (name) DO UPDATE SET "
                      "acquired_at = CASE WHEN l.holder = excluded.holder AND l.expires_at > "
                      "excluded.heartbeat_at THEN l.acquired_at ELSE excluded.acquired_at END, "
                      "holder = excluded.holder, heartbeat_at = excluded.heartbeat_at, "
                      "expires_at = excluded.expires_at "
                      "WHERE l.holder = excluded.holder OR l.expires_at <= excluded.heartbeat_at "
                      "RETURNING name, holder, acquired_at, heartbeat_at, expires_at",
                  {name, holder, static_cast<int64_t>(ttl.count())}));
    if (r.rows() == 1) {
      if (!db_.lease_locks().contains(name)) UPSYNC_RETURN_IF_ERROR(try_lock(name).status());
      return read(r, 0, false);
    }
    UPSYNC_ASSIGN_OR_RETURN(std::optional<Lease> stored, get(name));
    if (!stored) {
      return unavailable("lease '" + std::string(name) +
                         "' was released while it was claimed; claim it again");
    }
    // Held by another holder. On this connection (another holder of this process): alive.
    if (!stored->expired && !db_.lease_locks().contains(name)) {
      UPSYNC_ASSIGN_OR_RETURN(bool gone, try_lock(name));
      if (gone) {
        UPSYNC_ASSIGN_OR_RETURN(
            PgResult taken,
            db_.query("UPDATE leases SET holder = $2, acquired_at = n.ms, heartbeat_at = n.ms, "
                      "expires_at = n.ms + $3::bigint FROM (SELECT " +
                          std::string(kPgNowMs) +
                          " AS ms) n WHERE name = $1 AND holder = $4 "
                          "RETURNING name, holder, acquired_at, heartbeat_at, expires_at",
                      {name, holder, static_cast<int64_t>(ttl.count()), stored->holder}));
        if (taken.rows() == 1) return read(taken, 0, false);
        // Released or taken meanwhile: not ours after all.
        UPSYNC_RETURN_IF_ERROR(unlock(name));
        return unavailable("lease '" + std::string(name) +
                           "' changed hands while it was claimed; claim it again");
      }
    }
    return failed_precondition("'" + std::string(name) + "' is " + describe_lease(*stored));
  }

 public:
  Result<bool> renew(std::string_view name, std::string_view holder,
                     std::chrono::milliseconds ttl) override {
    UPSYNC_ASSIGN_OR_RETURN(
        int64_t changed,
        db_.run("UPDATE leases SET heartbeat_at = n.ms, expires_at = n.ms + $3::bigint FROM "
                "(SELECT " +
                    std::string(kPgNowMs) +
                    " AS ms) n WHERE name = $1 AND holder = $2 AND expires_at > n.ms",
                {name, holder, static_cast<int64_t>(ttl.count())}));
    // A holder that took an expired lease while its frozen holder's session still held the
    // lock takes the lock once that session has ended.
    if (changed == 1 && !db_.lease_locks().contains(name)) {
      UPSYNC_RETURN_IF_ERROR(try_lock(name).status());
    }
    return changed == 1;
  }

  Status release(std::string_view name, std::string_view holder) override {
    UPSYNC_ASSIGN_OR_RETURN(
        int64_t released,
        db_.run("DELETE FROM leases WHERE name = $1 AND holder = $2", {name, holder}));
    // A lease lost to another holder keeps its lock here: that holder could not take it, and
    // were it free, a claimer would take the lease from that holder for one that is gone.
    return released == 1 ? unlock(name) : Status::ok();
  }

  Result<std::optional<Lease>> get(std::string_view name) override {
    UPSYNC_ASSIGN_OR_RETURN(PgResult r,
                            db_.query("SELECT name, holder, acquired_at, heartbeat_at, expires_at, "
                                      "expires_at <= " +
                                          std::string(kPgNowMs) + " FROM leases WHERE name = $1",
                                      {name}));
    if (r.rows() == 0) return std::optional<Lease>();
    return std::optional<Lease>(read(r, 0, r.boolean(0, 5)));
  }

 private:
  // Takes the session advisory lock of `name` when no other session holds it; true when taken.
  Result<bool> try_lock(std::string_view name) {
    UPSYNC_ASSIGN_OR_RETURN(
        PgResult r, db_.query("SELECT pg_try_advisory_lock(hashtextextended($1, 0))", {name}));
    const bool taken = r.boolean(0, 0);
    if (taken) db_.lease_locks().emplace(name);
    return taken;
  }
  Status unlock(std::string_view name) {
    auto it = db_.lease_locks().find(name);
    if (it == db_.lease_locks().end()) return Status::ok();
    db_.lease_locks().erase(it);
    return db_.query("SELECT pg_advisory_unlock(hashtextextended($1, 0))", {name}).status();
  }

  static Lease read(const PgResult& r, int row, bool expired) {
    return Lease{.name = std::string(r.text(row, 0)),
                 .holder = std::string(r.text(row, 1)),
                 .acquired_at_ms = r.int64(row, 2),
                 .heartbeat_at_ms = r.int64(row, 3),
                 .expires_at_ms = r.int64(row, 4),
                 .expired = expired};
  }

  PgDb& db_;
};

}  // namespace

Result<std::unique_ptr<LeaseStore>> PgStore::lease_store() {
  return std::unique_ptr<LeaseStore>(new PgLeaseStore(*this));
}

}  // namespace upsync
