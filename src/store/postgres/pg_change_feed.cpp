// PgStore: the change feed (numbers taken in the tenant's turn; see the top of pg_store.h)
// and the feed cursors.
#include "core/clock.h"
#include "store/postgres/pg_array.h"
#include "store/postgres/pg_store.h"

namespace upsync {

Result<int64_t> PgStore::next_seq(TenantId tenant) {
  if (db_->transaction_depth() == 0) {
    return internal_error("a change-feed sequence was taken outside a transaction");
  }
  UPSYNC_RETURN_IF_ERROR(take_tenant_turn(tenant));
  return ++tx_turn_.at(tenant).last;
}

std::optional<int64_t> PgStore::tenant_turn_taken_at(TenantId tenant) const {
  auto it = tx_turn_.find(tenant);
  if (it == tx_turn_.end()) return std::nullopt;
  return it->second.locked_at;
}

Status PgStore::take_tenant_turn(TenantId tenant) {
  if (db_->transaction_depth() == 0 || tx_turn_.contains(tenant)) return Status::ok();
  // The lock that orders the feed by commit (see the top of pg_store.h), held until the
  // transaction ends; the numbers after the first come from memory.
  UPSYNC_ASSIGN_OR_RETURN(
      PgResult r,
      db_->query("SELECT last_seq FROM tenants WHERE id = $1 FOR NO KEY UPDATE", {tenant}));
  if (r.rows() == 0) return not_found("tenant #" + std::to_string(tenant) + " does not exist");
  const int64_t last = r.int64(0, 0);
  tx_turn_.emplace(tenant, TenantTurn{.locked_at = last, .last = last});
  return Status::ok();
}

Status PgStore::append_change(TenantId tenant, std::string_view feed, int64_t seq,
                              std::string_view object_id, ChangeOp op, std::string_view at) {
  // Sent with the transaction's next statement, with the other entries deferred since
  // (PgDb::insert_deferred): nothing references the feed's rows, and it has no trigger.
  static constexpr PgRowsInsert kEntry{
      .table = "change_feed",
      .columns = "tenant_id, feed, seq, object_id, op, changed_at",
      .types = "bigint, text, bigint, text, bigint, text",
  };
  return db_->insert_deferred(kEntry, {tenant, feed, seq, object_id, static_cast<int64_t>(op), at});
}

Result<int64_t> PgStore::record_change(TenantId tenant, std::string_view feed,
                                       std::string_view object_id, ChangeOp op) {
  UPSYNC_ASSIGN_OR_RETURN(int64_t seq, next_seq(tenant));
  UPSYNC_RETURN_IF_ERROR(append_change(tenant, feed, seq, object_id, op, utc_now_iso()));
  return seq;
}

Result<int64_t> PgStore::next_seqs(TenantId tenant, int64_t n) {
  if (n < 1) return internal_error("a run of change-feed numbers needs at least one");
  UPSYNC_ASSIGN_OR_RETURN(const int64_t first, next_seq(tenant));
  tx_turn_.at(tenant).last += n - 1;
  return first;
}

Status PgStore::append_change_run(TenantId tenant, std::string_view feed, int64_t first_seq,
                                  const std::vector<std::string>& object_ids, ChangeOp op,
                                  std::string_view at) {
  if (object_ids.empty()) return Status::ok();
  const auto last_seq = first_seq + static_cast<int64_t>(object_ids.size()) - 1;
  return db_
      ->run(
          "INSERT INTO change_feed_runs (tenant_id, feed, first_seq, last_seq, object_ids, op, "
          "changed_at) VALUES ($1, $2, $3, $4, $5::text[], $6, $7)",
          {tenant, feed, first_seq, last_seq, pg_text_array(object_ids), static_cast<int64_t>(op),
           at})
      .status();
}

Result<std::vector<Change>> PgStore::changes_after(TenantId tenant, std::string_view feed,
                                                   int64_t after_seq, int limit) {
  if (limit < 1 || limit > 100000) {
    return invalid_argument("change batch size must be 1 to 100000, got " + std::to_string(limit));
  }
  // One statement, so one snapshot and one round trip:
  //  - `runs`: the runs after after_seq in order, at most `limit` of them (each holds at least
  //    one entry), with the first of their entries after after_seq (lo) and the count of those
  //    entries so far (upto);
  //  - `bound`: when those hold `limit` entries, the limit-th of them, past which no entry is
  //    read (a reader far behind unnests no more ids than it answers); otherwise none;
  //  - the single entries and the runs' ids up to the bound, the first `limit` in order. The
  //    runs that hold ids up to the bound are all in `runs`: with a bound, those up to the one
  //    that holds it; without, the runs after after_seq number fewer than `limit`;
  //  - and a row of NULLs when the tenant exists, which an empty answer needs to tell.
  UPSYNC_ASSIGN_OR_RETURN(
      PgResult r,
      db_->query(
          "WITH runs AS (SELECT *, sum(last_seq - lo + 1) OVER (ORDER BY last_seq)::bigint AS "
          "upto FROM (SELECT greatest(first_seq, $3 + 1) AS lo, first_seq, last_seq, object_ids, "
          "op, changed_at FROM change_feed_runs WHERE tenant_id = $1 AND feed = $2 AND last_seq "
          "> $3 ORDER BY last_seq LIMIT $4) r), bound AS (SELECT coalesce(min(last_seq - (upto - "
          "$4)), 9223372036854775807) AS seq FROM runs WHERE upto >= $4), entries AS (SELECT * "
          "FROM (SELECT seq, object_id, op, changed_at FROM change_feed WHERE tenant_id = $1 AND "
          "feed = $2 AND seq > $3 AND seq <= (SELECT seq FROM bound) ORDER BY seq LIMIT $4) e "
          "UNION ALL SELECT r.lo + o.n - 1, o.id, r.op, r.changed_at FROM runs r CROSS JOIN "
          "LATERAL unnest(r.object_ids[r.lo - r.first_seq + 1 : least(r.last_seq, (SELECT seq "
          "FROM bound)) - r.first_seq + 1]) WITH ORDINALITY AS o(id, n) WHERE r.lo <= (SELECT seq "
          "FROM bound) ORDER BY 1 LIMIT $4) SELECT NULL::bigint, NULL::text, NULL::bigint, "
          "NULL::text FROM tenants WHERE id = $1 UNION ALL SELECT * FROM entries ORDER BY 1 NULLS "
          "FIRST",
          {tenant, feed, after_seq, static_cast<int64_t>(limit)}));
  if (r.rows() == 0 || !r.is_null(0, 0)) {
    return not_found("tenant #" + std::to_string(tenant) + " does not exist");
  }
  std::vector<Change> out;
  out.reserve(static_cast<size_t>(r.rows() - 1));
  for (int i = 1; i < r.rows(); ++i) {
    Change c;
    c.seq = r.int64(i, 0);
    c.feed = feed;
    c.object_id = r.text(i, 1);
    c.op = static_cast<ChangeOp>(r.int64(i, 2));
    c.changed_at = r.text(i, 3);
    out.push_back(std::move(c));
  }
  return out;
}

Result<std::vector<std::string>> PgStore::objects_changed_between(TenantId tenant,
                                                                  std::string_view feed,
                                                                  int64_t after_seq,
                                                                  int64_t upto_seq) {
  UPSYNC_ASSIGN_OR_RETURN(
      PgResult r,
      db_->query("SELECT object_id FROM change_feed WHERE tenant_id = $1 AND feed = $2 AND seq > "
                 "$3 AND seq <= $4 UNION ALL SELECT unnest(object_ids[greatest(first_seq, $3 + 1) "
                 "- first_seq + 1 : least(last_seq, $4) - first_seq + 1]) FROM change_feed_runs "
                 "WHERE tenant_id = $1 AND feed = $2 AND last_seq > $3 AND first_seq <= $4",
                 {tenant, feed, after_seq, upto_seq}));
  std::vector<std::string> out;
  out.reserve(static_cast<size_t>(r.rows()));
  for (int i = 0; i < r.rows(); ++i) out.emplace_back(r.text(i, 0));
  return out;
}

Result<int64_t> PgStore::count_changes_after(TenantId tenant, std::string_view feed,
                                             int64_t after_seq) {
  UPSYNC_RETURN_IF_ERROR(check_tenant(tenant));
  return db_->query_int(
      "SELECT (SELECT count(*) FROM change_feed WHERE tenant_id = $1 AND feed = $2 AND seq > $3) "
      "+ (SELECT coalesce(sum(last_seq - greatest(first_seq, $3 + 1) + 1), 0)::bigint FROM "
      "change_feed_runs WHERE tenant_id = $1 AND feed = $2 AND last_seq > $3)",
      {tenant, feed, after_seq});
}

Result<int64_t> PgStore::last_seq(TenantId tenant) {
  if (auto it = tx_turn_.find(tenant); it != tx_turn_.end()) return it->second.last;
  UPSYNC_ASSIGN_OR_RETURN(PgResult r,
                          db_->query("SELECT last_seq FROM tenants WHERE id = $1", {tenant}));
  if (r.rows() == 0) return not_found("tenant #" + std::to_string(tenant) + " does not exist");
  return r.int64(0, 0);
}

Result<int64_t> PgStore::cursor(TenantId tenant, std::string_view name) {
  UPSYNC_RETURN_IF_ERROR(check_tenant(tenant));
  UPSYNC_ASSIGN_OR_RETURN(
      PgResult r, db_->query("SELECT seq FROM feed_cursors WHERE tenant_id = $1 AND name = $2",
                             {tenant, name}));
  return r.rows() == 0 ? int64_t{0} : r.int64(0, 0);
}

Status PgStore::set_cursor(TenantId tenant, std::string_view name, int64_t seq) {
  if (name.empty()) return invalid_argument("cursor name must not be empty");
  if (seq < 0) return invalid_argument("cursor position must not be negative");
  return in_transaction([&]() -> Status {
    UPSYNC_RETURN_IF_ERROR(check_tenant(tenant));
    return db_
        ->run(
            "INSERT INTO feed_cursors (tenant_id, name, seq, updated_at) VALUES ($1, $2, $3, "
            "$4) ON CONFLICT (tenant_id, name) DO UPDATE SET seq = excluded.seq, "
            "updated_at = excluded.updated_at",
            {tenant, name, seq, utc_now_iso()})
        .status();
  });
}

}  // namespace upsync
