// The PostgreSQL LeaseStore (core/lease.h): table leases, on the store's own connection so
// that a renewal shares the transaction of the work it covers (as sqlite_leases.cpp). Times
// are the database's clock (kPgNowMs), which every machine shares. The claim is one
// INSERT ... ON CONFLICT DO UPDATE ... WHERE: PostgreSQL locks the conflicting row and checks
// the WHERE against its latest version, so among racing claimers exactly one replaces a free
// row; a renewal's UPDATE keeps the row locked until its transaction ends, so a takeover
// waits for the renewing checkpoint to commit and then sees it.
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
    if (r.rows() == 1) return read(r, 0, false);
    UPSYNC_ASSIGN_OR_RETURN(std::optional<Lease> stored, get(name));
    if (!stored) {
      return unavailable("lease '" + std::string(name) +
                         "' was released while it was claimed; claim it again");
    }
    return failed_precondition("'" + std::string(name) + "' is " + describe_lease(*stored));
  }

  Result<bool> renew(std::string_view name, std::string_view holder,
                     std::chrono::milliseconds ttl) override {
    UPSYNC_ASSIGN_OR_RETURN(
        int64_t changed,
        db_.run("UPDATE leases SET heartbeat_at = n.ms, expires_at = n.ms + $3::bigint FROM "
                "(SELECT " +
                    std::string(kPgNowMs) +
                    " AS ms) n WHERE name = $1 AND holder = $2 AND expires_at > n.ms",
                {name, holder, static_cast<int64_t>(ttl.count())}));
    return changed == 1;
  }

  Status release(std::string_view name, std::string_view holder) override {
    return db_.run("DELETE FROM leases WHERE name = $1 AND holder = $2", {name, holder}).status();
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
