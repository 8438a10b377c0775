// The SQLite LeaseStore (core/lease.h): table leases, on the store's own connection so that a
// renewal shares the transaction of the work it covers. SQLite serves one machine, so the
// process's clock is the one clock; a statement that writes holds the database's write lock,
// which makes the claim's upsert atomic among processes and threads.
#include <chrono>

#include "core/clock.h"
#include "core/lease.h"
#include "store/sqlite/sqlite_store.h"

namespace upsync {
namespace {

class SqliteLeaseStore : public LeaseStore {
 public:
  explicit SqliteLeaseStore(SqliteStore& store) : db_(store.db()) {}

  Result<Lease> claim(std::string_view name, std::string_view holder,
                      std::chrono::milliseconds ttl) override {
    const int64_t now = unix_now_ms();
    // Replaces the row only when it is free (expired) or the caller's; a holder that claims
    // again keeps the time it first acquired the lease.
    UPSYNC_ASSIGN_OR_RETURN(
        SqliteStatement * s,
        db_.prepare("INSERT INTO leases (name, holder, acquired_at, heartbeat_at, expires_at) "
                    "VALUES (?1, ?2, ?3, ?3, ?4) ON CONFLICT (name) DO UPDATE SET "
                    "acquired_at = CASE WHEN leases.holder = excluded.holder AND "
                    "leases.expires_at > ?3 THEN leases.acquired_at ELSE ?3 END, "
                    "holder = excluded.holder, heartbeat_at = ?3, expires_at = ?4 "
                    "WHERE leases.holder = excluded.holder OR leases.expires_at <= ?3"));
    s->bind(1, name);
    s->bind(2, holder);
    s->bind(3, now);
    s->bind(4, now + ttl.count());
    UPSYNC_RETURN_IF_ERROR(s->run());
    const bool won = db_.changes() == 1;
    UPSYNC_ASSIGN_OR_RETURN(std::optional<Lease> stored, get(name));
    if (!stored)
      return internal_error("lease '" + std::string(name) + "' vanished as it was claimed");
    if (!won || stored->holder != holder) {
      return failed_precondition("'" + std::string(name) + "' is " + describe_lease(*stored));
    }
    return *stored;
  }

  Result<bool> renew(std::string_view name, std::string_view holder,
                     std::chrono::milliseconds ttl) override {
    const int64_t now = unix_now_ms();
    UPSYNC_ASSIGN_OR_RETURN(SqliteStatement * s,
                            db_.prepare("UPDATE leases SET heartbeat_at = ?3, expires_at = ?4 "
                                        "WHERE name = ?1 AND holder = ?2 AND expires_at > ?3"));
    s->bind(1, name);
    s->bind(2, holder);
    s->bind(3, now);
    s->bind(4, now + ttl.count());
    UPSYNC_RETURN_IF_ERROR(s->run());
    return db_.changes() == 1;
  }

  Status release(std::string_view name, std::string_view holder) override {
    UPSYNC_ASSIGN_OR_RETURN(SqliteStatement * s,
                            db_.prepare("DELETE FROM leases WHERE name = ? AND holder = ?"));
    s->bind(1, name);
    s->bind(2, holder);
    return s->run();
  }

  Result<std::optional<Lease>> get(std::string_view name) override {
    UPSYNC_ASSIGN_OR_RETURN(
        SqliteStatement * s,
        db_.prepare("SELECT name, holder, acquired_at, heartbeat_at, expires_at FROM leases "
                    "WHERE name = ?"));
    s->bind(1, name);
    UPSYNC_ASSIGN_OR_RETURN(bool row, s->step());
    if (!row) return std::optional<Lease>();
    Lease l{.name = std::string(s->column_text(0)),
            .holder = std::string(s->column_text(1)),
            .acquired_at_ms = s->column_int(2),
            .heartbeat_at_ms = s->column_int(3),
            .expires_at_ms = s->column_int(4)};
    l.expired = l.expires_at_ms <= unix_now_ms();
    s->reset();
    return std::optional<Lease>(std::move(l));
  }

 private:
  SqliteDb& db_;
};

}  // namespace

Result<std::unique_ptr<LeaseStore>> SqliteStore::lease_store() {
  return std::unique_ptr<LeaseStore>(new SqliteLeaseStore(*this));
}

}  // namespace upsync
