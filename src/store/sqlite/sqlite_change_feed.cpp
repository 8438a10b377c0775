// SqliteStore's change feed: the tenant's sequence numbers (taken in a transaction, written
// back at its end), the feed entries, the readers' cursors and the sources' saved states.
#include "core/clock.h"
#include "store/sqlite/sqlite_store.h"

namespace upsync {

Result<int64_t> SqliteStore::next_seq(TenantId tenant) {
  if (tx_depth_ == 0)
    return internal_error("a change-feed sequence was taken outside a transaction");
  // The tenant's counter is read once per transaction and written back at commit: the write
  // lock (BEGIN IMMEDIATE) keeps other writers out meanwhile.
  auto it = tx_seq_.find(tenant);
  if (it == tx_seq_.end()) {
    UPSYNC_ASSIGN_OR_RETURN(auto* q, db_->prepare("SELECT last_seq FROM tenants WHERE id = ?"));
    q->bind(1, tenant);
    UPSYNC_ASSIGN_OR_RETURN(bool row, q->step());
    if (!row) return not_found("tenant #" + std::to_string(tenant) + " does not exist");
    const int64_t last = q->column_int(0);
    q->reset();
    it = tx_seq_.emplace(tenant, last).first;
  }
  return ++it->second;
}

Status SqliteStore::flush_sequences() {
  UPSYNC_ASSIGN_OR_RETURN(auto* u, db_->prepare("UPDATE tenants SET last_seq = ? WHERE id = ?"));
  for (const auto& [tenant, seq] : tx_seq_) {
    u->bind(1, seq);
    u->bind(2, tenant);
    UPSYNC_RETURN_IF_ERROR(u->run());
  }
  tx_seq_.clear();
  return Status::ok();
}

Status SqliteStore::append_change(TenantId tenant, std::string_view feed, int64_t seq,
                                  std::string_view object_id, ChangeOp op, std::string_view at) {
  UPSYNC_ASSIGN_OR_RETURN(
      auto* ins, db_->prepare("INSERT INTO change_feed (tenant_id, feed, seq, object_id, op, "
                              "changed_at) VALUES (?, ?, ?, ?, ?, ?)"));
  ins->bind(1, tenant);
  ins->bind(2, feed);
  ins->bind(3, seq);
  ins->bind(4, object_id);
  ins->bind(5, static_cast<int64_t>(op));
  ins->bind(6, at);
  return ins->run();
}

Result<int64_t> SqliteStore::record_change(TenantId tenant, std::string_view feed,
                                           std::string_view object_id, ChangeOp op) {
  UPSYNC_ASSIGN_OR_RETURN(int64_t seq, next_seq(tenant));
  UPSYNC_RETURN_IF_ERROR(append_change(tenant, feed, seq, object_id, op, utc_now_iso()));
  return seq;
}

Result<int64_t> SqliteStore::count_changes_after(TenantId tenant, std::string_view feed,
                                                 int64_t after_seq) {
  UPSYNC_RETURN_IF_ERROR(check_tenant(tenant));
  UPSYNC_ASSIGN_OR_RETURN(
      auto* s,
      db_->prepare(
          "SELECT count(*) FROM change_feed WHERE tenant_id = ? AND feed = ? AND seq > ?"));
  s->bind(1, tenant);
  s->bind(2, feed);
  s->bind(3, after_seq);
  UPSYNC_ASSIGN_OR_RETURN(bool row, s->step());
  const int64_t n = row ? s->column_int(0) : 0;
  s->reset();
  return n;
}

Result<std::vector<Change>> SqliteStore::changes_after(TenantId tenant, std::string_view feed,
                                                       int64_t after_seq, int limit) {
  if (limit < 1 || limit > 100000) {
    return invalid_argument("change batch size must be 1 to 100000, got " + std::to_string(limit));
  }
  UPSYNC_RETURN_IF_ERROR(check_tenant(tenant));
  static constexpr std::string_view kSql =
      "SELECT seq, object_id, op, changed_at FROM change_feed "
      "WHERE tenant_id = ? AND feed = ? AND seq > ? ORDER BY seq LIMIT ?";
  UPSYNC_ASSIGN_OR_RETURN(auto* s, db_->prepare(kSql));
  s->bind(1, tenant);
  s->bind(2, feed);
  s->bind(3, after_seq);
  s->bind(4, int64_t{limit});
  sqlite3_stmt_status(s->raw(), SQLITE_STMTSTATUS_VM_STEP, 1);
  sqlite3_stmt_status(s->raw(), SQLITE_STMTSTATUS_FULLSCAN_STEP, 1);
  std::vector<Change> out;
  while (true) {
    UPSYNC_ASSIGN_OR_RETURN(bool row, s->step());
    if (!row) break;
    Change c;
    c.seq = s->column_int(0);
    c.feed = feed;
    c.object_id = s->column_text(1);
    c.op = static_cast<ChangeOp>(s->column_int(2));
    c.changed_at = s->column_text(3);
    out.push_back(std::move(c));
  }
  last_feed_read_cost_.vm_steps = sqlite3_stmt_status(s->raw(), SQLITE_STMTSTATUS_VM_STEP, 0);
  last_feed_read_cost_.fullscan_steps =
      sqlite3_stmt_status(s->raw(), SQLITE_STMTSTATUS_FULLSCAN_STEP, 0);
  s->reset();
  if (last_feed_read_cost_.query_plan.empty()) {
    UPSYNC_ASSIGN_OR_RETURN(auto* plan, db_->prepare("EXPLAIN QUERY PLAN " + std::string(kSql)));
    while (true) {
      UPSYNC_ASSIGN_OR_RETURN(bool row, plan->step());
      if (!row) break;
      last_feed_read_cost_.query_plan += std::string(plan->column_text(3)) + "\n";
    }
    plan->reset();
  }
  return out;
}

Result<int64_t> SqliteStore::last_seq(TenantId tenant) {
  if (auto it = tx_seq_.find(tenant); it != tx_seq_.end()) return it->second;
  UPSYNC_ASSIGN_OR_RETURN(auto* s, db_->prepare("SELECT last_seq FROM tenants WHERE id = ?"));
  s->bind(1, tenant);
  UPSYNC_ASSIGN_OR_RETURN(bool row, s->step());
  if (!row) return not_found("tenant #" + std::to_string(tenant) + " does not exist");
  int64_t v = s->column_int(0);
  s->reset();
  return v;
}

Result<int64_t> SqliteStore::cursor(TenantId tenant, std::string_view name) {
  UPSYNC_RETURN_IF_ERROR(check_tenant(tenant));
  UPSYNC_ASSIGN_OR_RETURN(
      auto* s, db_->prepare("SELECT seq FROM feed_cursors WHERE tenant_id = ? AND name = ?"));
  s->bind(1, tenant);
  s->bind(2, name);
  UPSYNC_ASSIGN_OR_RETURN(bool row, s->step());
  int64_t v = row ? s->column_int(0) : 0;
  s->reset();
  return v;
}

Status SqliteStore::set_cursor(TenantId tenant, std::string_view name, int64_t seq) {
  if (name.empty()) return invalid_argument("cursor name must not be empty");
  if (seq < 0) return invalid_argument("cursor position must not be negative");
  return in_transaction([&]() -> Status {
    UPSYNC_RETURN_IF_ERROR(check_tenant(tenant));
    UPSYNC_ASSIGN_OR_RETURN(
        auto* s, db_->prepare("INSERT INTO feed_cursors (tenant_id, name, seq, updated_at) "
                              "VALUES (?1, ?2, ?3, ?4) ON CONFLICT (tenant_id, name) DO UPDATE "
                              "SET seq = excluded.seq, updated_at = excluded.updated_at"));
    s->bind(1, tenant);
    s->bind(2, name);
    s->bind(3, seq);
    s->bind(4, utc_now_iso());
    return s->run();
  });
}

Result<std::optional<std::string>> SqliteStore::source_state(TenantId tenant,
                                                             std::string_view name) {
  UPSYNC_RETURN_IF_ERROR(check_tenant(tenant));
  UPSYNC_ASSIGN_OR_RETURN(
      auto* s, db_->prepare("SELECT value FROM source_states WHERE tenant_id = ? AND name = ?"));
  s->bind(1, tenant);
  s->bind(2, name);
  UPSYNC_ASSIGN_OR_RETURN(bool row, s->step());
  std::optional<std::string> v;
  if (row) v = s->column_text(0);
  s->reset();
  return v;
}

Status SqliteStore::set_source_state(TenantId tenant, std::string_view name,
                                     std::string_view value) {
  if (name.empty()) return invalid_argument("source state name must not be empty");
  return in_transaction([&]() -> Status {
    UPSYNC_RETURN_IF_ERROR(check_tenant(tenant));
    UPSYNC_ASSIGN_OR_RETURN(
        auto* s, db_->prepare("INSERT INTO source_states (tenant_id, name, value, updated_at) "
                              "VALUES (?1, ?2, ?3, ?4) ON CONFLICT (tenant_id, name) DO UPDATE "
                              "SET value = excluded.value, updated_at = excluded.updated_at"));
    s->bind(1, tenant);
    s->bind(2, name);
    s->bind(3, value);
    s->bind(4, utc_now_iso());
    return s->run();
  });
}

}  // namespace upsync
