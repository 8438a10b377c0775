// PgStore: transactions, tenants, the profile schema and source states. The change feed and its
// cursors are in pg_change_feed.cpp, profiles in pg_profiles.cpp.
#include "store/postgres/pg_store.h"

#include "audiences/audiences.h"
#include "audiences/hybrid.h"
#include "core/clock.h"
#include "core/text.h"
#include "store/postgres/pg_storage.h"

namespace upsync {

namespace {

Tenant read_tenant(const PgResult& r, int row) {
  Tenant t;
  t.id = r.int64(row, 0);
  t.name = r.text(row, 1);
  t.kind = parse_tenant_kind(r.text(row, 2)).value_or(TenantKind::kOnline);
  t.education = r.int64(row, 3) != 0;
  t.created_at = r.text(row, 4);
  return t;
}

}  // namespace

PgStore::PgStore(std::shared_ptr<PgPool> pool, std::unique_ptr<PgDb> db)
    : pool_(std::move(pool)), db_(std::move(db)) {
  db_->set_before_commit([this] { return before_commit(); });
  db_->set_after_end([this](bool committed) { after_end(committed); });
}

PgStore::~PgStore() {
  // The connection goes back without this Store's hooks, and out of any read snapshot.
  db_->set_before_commit(nullptr);
  db_->set_after_end(nullptr);
  if (db_->in_snapshot() && !db_->end_snapshot().is_ok()) return;  // lost: not pooled
  pool_->release(std::move(db_));
}

// ---- transactions ----

Status PgStore::in_transaction(const std::function<Status()>& body) {
  return db_->in_transaction(body);
}

Status PgStore::in_bulk_transaction(const std::function<Status()>& body) {
  return db_->in_bulk_transaction(body);
}

Status PgStore::read_snapshot(const std::function<Status()>& body) {
  if (db_->transaction_depth() > 0 || db_->in_snapshot()) return body();
  UPSYNC_RETURN_IF_ERROR(db_->begin_snapshot());
  Status s = body();
  Status end = db_->end_snapshot();
  if (!s.is_ok()) return s;
  return end;
}

Status PgStore::before_commit() {
  // The counters go back to the tenants' rows, still locked by this transaction (next_seq);
  // a tenant locked only to read before writing took no number.
  for (const auto& [tenant, turn] : tx_turn_) {
    if (turn.last == turn.locked_at) continue;
    UPSYNC_RETURN_IF_ERROR(
        db_->run("UPDATE tenants SET last_seq = $1 WHERE id = $2", {turn.last, tenant}).status());
  }
  return Status::ok();
}

void PgStore::after_end(bool committed) {
  // A rolled-back transaction gives its numbers back, and what it cached may hold its own
  // uncommitted writes.
  tx_turn_.clear();
  schema_checked_in_tx_.clear();
  if (!committed) schema_cache_.clear();
}

// ---- tenants ----

Status PgStore::check_tenant(TenantId tenant) {
  UPSYNC_ASSIGN_OR_RETURN(PgResult r, db_->query("SELECT 1 FROM tenants WHERE id = $1", {tenant}));
  if (r.rows() == 0) return not_found("tenant #" + std::to_string(tenant) + " does not exist");
  return Status::ok();
}

Result<Tenant> PgStore::create_tenant(const NewTenant& t) {
  UPSYNC_RETURN_IF_ERROR(check_tenant_name(t.name));
  Tenant out;
  Status s = in_transaction([&]() -> Status {
    out.name = t.name;
    out.kind = t.kind;
    out.education = t.education;
    out.created_at = utc_now_iso();
    // ON CONFLICT: a tenant of that name, even one created by another process a moment ago,
    // is a refusal, not an aborted transaction.
    UPSYNC_ASSIGN_OR_RETURN(
        PgResult r,
        db_->query("INSERT INTO tenants (name, kind, education, created_at) "
                   "VALUES ($1, $2, $3, $4) ON CONFLICT (name) DO NOTHING RETURNING id",
                   {t.name, tenant_kind_name(t.kind), int64_t{t.education}, out.created_at}));
    if (r.rows() == 0) return already_exists("tenant '" + t.name + "' already exists");
    out.id = r.int64(0, 0);
    return Status::ok();
  });
  if (!s) return s;
  return out;
}

Result<Tenant> PgStore::tenant(std::string_view name) {
  // The snapshot's version rides along, so that a request's first read also checks the read
  // cache for the reads after it.
  UPSYNC_ASSIGN_OR_RETURN(PgResult r,
                          db_->query("SELECT id, name, kind, education, created_at, schema_gen, "
                                     "pg_current_snapshot()::text FROM tenants WHERE name = $1",
                                     {name}));
  if (r.rows() == 0) {
    return not_found("tenant '" + quote_for_message(name) +
                     "' does not exist (see 'upsync tenant list')");
  }
  Tenant t = read_tenant(r, 0);
  schema_generation_seen(t.id, r.int64(0, 5));
  if (db_->transaction_depth() == 0 && db_->in_snapshot()) check_read_cache(r.text(0, 6));
  return t;
}

Result<ReadCache*> PgStore::read_cache() {
  if (db_->transaction_depth() > 0 || !db_->in_snapshot()) return nullptr;
  if (read_cache_snapshot_ != db_->snapshot_number()) {
    UPSYNC_ASSIGN_OR_RETURN(PgResult r, db_->query("SELECT pg_current_snapshot()::text"));
    check_read_cache(r.text(0, 0));
  }
  return &read_cache_;
}

void PgStore::check_read_cache(std::string_view version) {
  read_cache_.check(version);
  read_cache_snapshot_ = db_->snapshot_number();
}

Result<std::shared_ptr<const std::string>> PgStore::kept_text(std::string_view key) {
  UPSYNC_ASSIGN_OR_RETURN(ReadCache * cache, read_cache());
  return cache ? cache->text(key) : nullptr;
}

Status PgStore::keep_text(std::string_view key, std::shared_ptr<const std::string> text) {
  UPSYNC_ASSIGN_OR_RETURN(ReadCache * cache, read_cache());
  if (cache) cache->keep_text(key, std::move(text));
  return Status::ok();
}

void PgStore::schema_generation_seen(TenantId tenant, int64_t generation) {
  // A request names its tenant first: when the cached schema is of the generation this
  // transaction or snapshot sees, cached_schema() needs no query of its own.
  auto it = schema_cache_.find(tenant);
  if (it == schema_cache_.end() || it->second.generation != generation) return;
  if (db_->transaction_depth() > 0) {
    schema_checked_in_tx_.insert(tenant);
  } else if (db_->in_snapshot()) {
    schema_checked_in_snapshot_[tenant] = db_->snapshot_number();
  }
}

Result<std::vector<Tenant>> PgStore::tenants() {
  UPSYNC_ASSIGN_OR_RETURN(
      PgResult r,
      db_->query("SELECT id, name, kind, education, created_at FROM tenants ORDER BY name"));
  std::vector<Tenant> out;
  for (int i = 0; i < r.rows(); ++i) out.push_back(read_tenant(r, i));
  return out;
}

// ---- the profile schema ----

Result<const ProfileSchema*> PgStore::cached_schema(TenantId tenant) {
  // Another connection (another process) may have changed the tenant's custom properties:
  // each change bumps tenants.schema_gen, read here once per transaction or read snapshot
  // (neither sees another's commit midway; a request's reads are one snapshot) and per call
  // outside them, which also checks that the tenant exists.
  auto it = schema_cache_.find(tenant);
  const bool in_tx = db_->transaction_depth() > 0;
  const bool in_snapshot = !in_tx && db_->in_snapshot();
  auto checked = [&] {
    if (in_tx) return schema_checked_in_tx_.contains(tenant);
    auto s = schema_checked_in_snapshot_.find(tenant);
    return in_snapshot && s != schema_checked_in_snapshot_.end() &&
           s->second == db_->snapshot_number();
  };
  if (it == schema_cache_.end() || !checked()) {
    UPSYNC_ASSIGN_OR_RETURN(PgResult g,
                            db_->query("SELECT schema_gen FROM tenants WHERE id = $1", {tenant}));
    if (g.rows() == 0) return not_found("tenant #" + std::to_string(tenant) + " does not exist");
    const int64_t generation = g.int64(0, 0);
    if (in_tx) schema_checked_in_tx_.insert(tenant);
    if (in_snapshot) schema_checked_in_snapshot_[tenant] = db_->snapshot_number();
    if (it != schema_cache_.end() && it->second.generation == generation) {
      return it->second.schema.get();
    }
    UPSYNC_ASSIGN_OR_RETURN(
        PgResult r, db_->query("SELECT name, display_name, type, multi_value, user_editable, "
                               "sync_to_sites, taxonomy_bound, max_length FROM custom_properties "
                               "WHERE tenant_id = $1 ORDER BY position",
                               {tenant}));
    std::vector<PropertyDefinition> custom;
    for (int i = 0; i < r.rows(); ++i) {
      PropertyDefinition d;
      d.name = r.text(i, 0);
      d.display_name = r.text(i, 1);
      auto type = parse_data_type(r.text(i, 2));
      if (!type) {
        return data_loss("custom property '" + d.name + "' has an unknown stored type '" +
                         std::string(r.text(i, 2)) + "'");
      }
      d.type = *type;
      d.multi_value = r.int64(i, 3) != 0;
      d.user_editable = r.int64(i, 4) != 0;
      d.sync_to_sites = r.int64(i, 5) != 0;
      d.taxonomy_bound = r.int64(i, 6) != 0;
      d.max_length = static_cast<int>(r.int64(i, 7));
      d.custom = true;
      custom.push_back(std::move(d));
    }
    UPSYNC_ASSIGN_OR_RETURN(auto policies, read_property_policies(tenant));
    CachedSchema& c = schema_cache_[tenant];
    c.generation = generation;
    c.schema = std::make_shared<const ProfileSchema>(std::move(custom), std::move(policies));
    return c.schema.get();
  }
  return it->second.schema.get();
}

Result<ProfileSchema> PgStore::schema(TenantId tenant) {
  UPSYNC_ASSIGN_OR_RETURN(const ProfileSchema* s, cached_schema(tenant));
  return ProfileSchema(s->custom(), s->policies());
}

Result<std::shared_ptr<const ProfileSchema>> PgStore::shared_schema(TenantId tenant) {
  UPSYNC_RETURN_IF_ERROR(cached_schema(tenant).status());
  return schema_cache_.at(tenant).schema;
}

Result<std::unordered_map<std::string, PropertyPolicy>> PgStore::read_property_policies(
    TenantId tenant) {
  UPSYNC_ASSIGN_OR_RETURN(
      PgResult r, db_->query("SELECT name_key, privacy, user_can_override, show_on_profile, "
                             "show_in_edit FROM property_policies WHERE tenant_id = $1",
                             {tenant}));
  std::unordered_map<std::string, PropertyPolicy> out;
  for (int i = 0; i < r.rows(); ++i) {
    auto privacy = parse_privacy(r.text(i, 1));
    if (!privacy) {
      return data_loss("the policy of property '" + std::string(r.text(i, 0)) +
                       "' has an unknown stored privacy '" + std::string(r.text(i, 1)) + "'");
    }
    PropertyPolicy p;
    p.privacy = *privacy;
    p.user_can_override = r.int64(i, 2) != 0;
    p.show_on_profile = r.int64(i, 3) != 0;
    p.show_in_edit = r.int64(i, 4) != 0;
    out.emplace(std::string(r.text(i, 0)), p);
  }
  return out;
}

Status PgStore::bump_schema_generation(TenantId tenant) {
  // Locks the tenant's row too, so that two processes changing its schema take turns and the
  // second sees the first's change.
  UPSYNC_ASSIGN_OR_RETURN(
      int64_t bumped,
      db_->run("UPDATE tenants SET schema_gen = schema_gen + 1 WHERE id = $1", {tenant}));
  if (bumped == 0) return not_found("tenant #" + std::to_string(tenant) + " does not exist");
  schema_checked_in_tx_.erase(tenant);
  return Status::ok();
}

Status PgStore::set_property_policy(TenantId tenant, std::string_view name,
                                    const PropertyPolicy& policy) {
  return in_transaction([&]() -> Status {
    // Other connections' cached schemas (policies included) are stale after this.
    UPSYNC_RETURN_IF_ERROR(bump_schema_generation(tenant));
    UPSYNC_ASSIGN_OR_RETURN(const ProfileSchema* schema, cached_schema(tenant));
    UPSYNC_ASSIGN_OR_RETURN(const PropertyDefinition* d, schema->require(name));
    const std::string changed = d->name;
    UPSYNC_RETURN_IF_ERROR(
        db_->run("INSERT INTO property_policies (tenant_id, name_key, privacy, "
                 "user_can_override, show_on_profile, show_in_edit) VALUES ($1, $2, $3, $4, $5, "
                 "$6) ON CONFLICT (tenant_id, name_key) DO UPDATE SET privacy = excluded.privacy, "
                 "user_can_override = excluded.user_can_override, show_on_profile = "
                 "excluded.show_on_profile, show_in_edit = excluded.show_in_edit",
                 {tenant, ascii_lower(changed), privacy_name(policy.privacy),
                  int64_t{policy.user_can_override}, int64_t{policy.show_on_profile},
                  int64_t{policy.show_in_edit}})
            .status());
    schema_cache_.erase(tenant);
    return record_change(tenant, "schema", changed, ChangeOp::kUpsert).status();
  });
}

Result<PropertyDefinition> PgStore::add_custom_property(TenantId tenant,
                                                        const PropertyDefinition& def) {
  PropertyDefinition d = def;
  d.custom = true;
  if (d.display_name.empty()) d.display_name = d.name;
  UPSYNC_RETURN_IF_ERROR(ProfileSchema::check_custom_definition(d));
  Status s = in_transaction([&]() -> Status {
    // Locks the tenant's row first, so that two processes adding properties take turns and
    // the second sees the first's (positions stay distinct).
    UPSYNC_RETURN_IF_ERROR(bump_schema_generation(tenant));
    UPSYNC_ASSIGN_OR_RETURN(const ProfileSchema* schema, cached_schema(tenant));
    if (const PropertyDefinition* existing = schema->find(d.name)) {
      return already_exists("property '" + existing->name + "' already exists in this tenant");
    }
    UPSYNC_RETURN_IF_ERROR(
        db_->run("INSERT INTO custom_properties (tenant_id, name_key, name, display_name, type, "
                 "multi_value, user_editable, sync_to_sites, taxonomy_bound, max_length, "
                 "position) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, "
                 "(SELECT COALESCE(MAX(position), 0) + 1 FROM custom_properties "
                 "WHERE tenant_id = $1))",
                 {tenant, ascii_lower(d.name), d.name, d.display_name, data_type_name(d.type),
                  int64_t{d.multi_value}, int64_t{d.user_editable}, int64_t{d.sync_to_sites},
                  int64_t{d.taxonomy_bound}, int64_t{d.max_length}})
            .status());
    schema_cache_.erase(tenant);
    return record_change(tenant, "schema", d.name, ChangeOp::kUpsert).status();
  });
  if (!s) return s;
  return d;
}

Status PgStore::remove_custom_property(TenantId tenant, std::string_view name) {
  return in_transaction([&]() -> Status {
    UPSYNC_RETURN_IF_ERROR(bump_schema_generation(tenant));
    UPSYNC_ASSIGN_OR_RETURN(const ProfileSchema* schema, cached_schema(tenant));
    const PropertyDefinition* d = schema->find(name);
    if (!d) {
      return not_found("property '" + quote_for_message(name) + "' does not exist in this tenant");
    }
    if (!d->custom) {
      return failed_precondition("property '" + d->name +
                                 "' is a default property of the catalog and cannot be removed");
    }
    const std::string canonical = d->name;
    UPSYNC_ASSIGN_OR_RETURN(
        int64_t n, db_->query_int("SELECT count(*) FROM profile_custom c JOIN profiles p ON "
                                  "p.id = c.id WHERE p.tenant_id = $1 AND "
                                  "jsonb_exists(c.props::jsonb, $2)",
                                  {tenant, canonical}));
    if (n > 0) {
      return failed_precondition("property '" + canonical + "' still has values in " +
                                 std::to_string(n) + " profile(s); clear them first");
    }
    UPSYNC_RETURN_IF_ERROR(
        db_->run("DELETE FROM custom_properties WHERE tenant_id = $1 AND name_key = $2",
                 {tenant, ascii_lower(canonical)})
            .status());
    // A property defined again later starts from the default policy, nobody's choice, and
    // unmapped (MappingStore::set checks the property in the tenant's turn, which this holds).
    UPSYNC_RETURN_IF_ERROR(
        db_->run("DELETE FROM property_mappings WHERE tenant_id = $1 AND property_key = $2",
                 {tenant, ascii_lower(canonical)})
            .status());
    UPSYNC_RETURN_IF_ERROR(
        db_->run("DELETE FROM privacy_choices WHERE tenant_id = $1 AND name_key = $2",
                 {tenant, ascii_lower(canonical)})
            .status());
    UPSYNC_RETURN_IF_ERROR(
        db_->run("DELETE FROM property_policies WHERE tenant_id = $1 AND name_key = $2",
                 {tenant, ascii_lower(canonical)})
            .status());
    schema_cache_.erase(tenant);
    return record_change(tenant, "schema", canonical, ChangeOp::kDelete).status();
  });
}

Result<std::optional<std::string>> PgStore::source_state(TenantId tenant, std::string_view name) {
  UPSYNC_RETURN_IF_ERROR(check_tenant(tenant));
  UPSYNC_ASSIGN_OR_RETURN(
      PgResult r, db_->query("SELECT value FROM source_states WHERE tenant_id = $1 AND name = $2",
                             {tenant, name}));
  if (r.rows() == 0) return std::optional<std::string>();
  return std::optional<std::string>(std::string(r.text(0, 0)));
}

Status PgStore::set_source_state(TenantId tenant, std::string_view name, std::string_view value) {
  if (name.empty()) return invalid_argument("source state name must not be empty");
  return in_transaction([&]() -> Status {
    UPSYNC_RETURN_IF_ERROR(check_tenant(tenant));
    return db_
        ->run(
            "INSERT INTO source_states (tenant_id, name, value, updated_at) VALUES ($1, $2, $3, "
            "$4) ON CONFLICT (tenant_id, name) DO UPDATE SET value = excluded.value, "
            "updated_at = excluded.updated_at",
            {tenant, name, value, utc_now_iso()})
        .status();
  });
}

Status PgStore::delete_follows_of(TenantId tenant, ProfileId id) {
  return db_
      ->run("DELETE FROM follows WHERE tenant_id = $1 AND (follower_id = $2 OR followee_id = $2)",
            {tenant, id})
      .status();
}

}  // namespace upsync
