// SqliteStore: opening and migrating the database, transactions, tenants, the read cache, the
// profile schema and its policies (profiles are in sqlite_profiles.cpp, the change feed in
// sqlite_change_feed.cpp).
#include "store/sqlite/sqlite_store.h"

#include <algorithm>
#include <filesystem>

#include "core/claims.h"
#include "core/clock.h"
#include "core/text.h"
#include "store/profile_codec.h"
#include "store/sqlite/sqlite_migrations.h"

namespace upsync {
namespace {

Tenant read_tenant(SqliteStatement& s) {
  Tenant t;
  t.id = s.column_int(0);
  t.name = s.column_text(1);
  t.kind = parse_tenant_kind(s.column_text(2)).value_or(TenantKind::kOnline);
  t.education = s.column_int(3) != 0;
  t.created_at = s.column_text(4);
  return t;
}

}  // namespace

int SqliteStore::current_schema_version() { return static_cast<int>(sqlite_migrations().size()); }

Result<std::unique_ptr<SqliteStore>> SqliteStore::open(const std::string& path, bool create) {
  UPSYNC_ASSIGN_OR_RETURN(auto db, SqliteDb::open(path, create));
  // Read the version before writing anything: a corrupt file fails here (NOTADB) and a newer
  // one is refused, both without a byte changed.
  auto version = db->query_int("PRAGMA user_version");
  if (!version) return version.status().with_context("opening " + path);
  if (*version > current_schema_version()) {
    return data_loss("opening " + path + ": the database has schema version " +
                     std::to_string(*version) + ", newer than this upsync understands (" +
                     std::to_string(current_schema_version()) +
                     "); use the upsync release that wrote it, or a newer one");
  }
  if (*version < 0) {
    return data_loss("opening " + path + ": invalid schema version " + std::to_string(*version));
  }
  auto store = std::unique_ptr<SqliteStore>(new SqliteStore(std::move(db)));
  UPSYNC_RETURN_IF_ERROR(store->db_->exec(
      // 8 KiB pages for a new database (an existing one keeps its own): a directory user's
      // row is about 700 bytes, a profile's 900, and a full sync of 100,000 users took 7.5 s
      // with 4 KiB pages against 6.8 s with 8 KiB (or 16 KiB) ones; the bulk import is as fast.
      "PRAGMA page_size=8192; "
      "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON; "
      // Savepoints (nested transactions) keep the pages they change in a statement journal:
      // in memory rather than a temporary file, which cost a write call per page and
      // savepoint (1.2 million in a full sync of 20,000 users).
      "PRAGMA temp_store=MEMORY;"));
  UPSYNC_RETURN_IF_ERROR(store->migrate().with_context("migrating " + path));
  return store;
}

Status SqliteStore::migrate() {
  // Up to date (the common case): no write lock taken, so opening a store does not wait for
  // a writer (a running import) to finish.
  UPSYNC_ASSIGN_OR_RETURN(int64_t current, db_->query_int("PRAGMA user_version"));
  if (current == current_schema_version()) return Status::ok();
  return in_transaction([&]() -> Status {
    UPSYNC_ASSIGN_OR_RETURN(int64_t v, db_->query_int("PRAGMA user_version"));
    bool index_people = false;
    const auto migrations = sqlite_migrations();
    for (auto i = static_cast<size_t>(v); i < migrations.size(); ++i) {
      UPSYNC_RETURN_IF_ERROR(db_->exec(migrations[i]));
      UPSYNC_RETURN_IF_ERROR(db_->exec("PRAGMA user_version = " + std::to_string(i + 1)));
      index_people |= sqlite_migration_reindexes_people(i);
    }
    // The index of what was stored before it existed, in the migration's transaction.
    if (index_people) UPSYNC_RETURN_IF_ERROR(rebuild_people_search());
    return Status::ok();
  });
}

Status SqliteStore::read_snapshot(const std::function<Status()>& body) {
  if (tx_depth_ > 0 || db_->in_snapshot()) return body();
  UPSYNC_RETURN_IF_ERROR(db_->begin_snapshot());
  Status s = body();
  Status end = db_->end_snapshot();
  if (!s.is_ok()) return s;
  return end;
}

Status SqliteStore::in_bulk_transaction(const std::function<Status()>& body) {
  if (tx_depth_ > 0) return in_transaction(body);
  UPSYNC_RETURN_IF_ERROR(db_->end_snapshot());
  UPSYNC_ASSIGN_OR_RETURN(auto cache, db_->larger_cache(kBulkCacheKiB));
  bulk_ = true;
  Status s = in_transaction(body);
  bulk_ = false;
  return s;
}

Status SqliteStore::in_transaction(const std::function<Status()>& body) {
  // Nested calls are savepoints, all named "sp": SQLite releases and rolls back to the most
  // recent savepoint of a name, which is exactly the nesting. The statements are prepared
  // once (bulk writes nest a savepoint per profile).
  auto run = [&](std::string_view sql) -> Status {
    UPSYNC_ASSIGN_OR_RETURN(auto* st, db_->prepare(sql));
    return st->run();
  };
  const bool outer = tx_depth_ == 0;
  if (!outer && bulk_) {
    // Inside a bulk transaction a failure fails it all (Store::in_bulk_transaction): no
    // savepoint, whose statement journal copies every page the nested body changes.
    ++tx_depth_;
    Status s = body();
    --tx_depth_;
    return s;
  }
  if (outer) UPSYNC_RETURN_IF_ERROR(db_->end_snapshot());
  UPSYNC_RETURN_IF_ERROR(run(outer ? "BEGIN IMMEDIATE" : "SAVEPOINT sp"));
  if (outer) schema_checked_in_tx_ = false;
  ++tx_depth_;
  Status s = body();
  --tx_depth_;
  if (s.is_ok()) {
    Status c = outer ? flush_sequences() : Status::ok();
    if (c.is_ok()) c = run(outer ? "COMMIT" : "RELEASE sp");
    if (c.is_ok()) return s;
    s = c.with_context("committing");
  }
  // Roll back what the body wrote. A failed rollback (the connection lost its transaction)
  // is reported after the failure that caused it.
  Status r = outer ? run("ROLLBACK") : run("ROLLBACK TO sp");
  if (r.is_ok() && !outer) r = run("RELEASE sp");
  if (outer) {
    // A rolled-back savepoint keeps its sequence numbers taken (gaps are harmless: readers
    // ask for "after N"); a rolled-back transaction gives them all back.
    schema_cache_.clear();
    tx_seq_.clear();
  }
  if (!r.is_ok()) {
    return Status(s.code(), s.message() + " (and rolling back: " + r.message() + ")");
  }
  return s;
}

Status SqliteStore::check_tenant(TenantId tenant) {
  UPSYNC_ASSIGN_OR_RETURN(auto* s, db_->prepare("SELECT 1 FROM tenants WHERE id = ?"));
  s->bind(1, tenant);
  UPSYNC_ASSIGN_OR_RETURN(bool found, s->step());
  s->reset();
  if (!found) return not_found("tenant #" + std::to_string(tenant) + " does not exist");
  return Status::ok();
}

Result<Tenant> SqliteStore::create_tenant(const NewTenant& t) {
  UPSYNC_RETURN_IF_ERROR(check_tenant_name(t.name));
  Tenant out;
  Status s = in_transaction([&]() -> Status {
    UPSYNC_ASSIGN_OR_RETURN(auto* exists, db_->prepare("SELECT 1 FROM tenants WHERE name = ?"));
    exists->bind(1, t.name);
    UPSYNC_ASSIGN_OR_RETURN(bool found, exists->step());
    exists->reset();
    if (found) return already_exists("tenant '" + t.name + "' already exists");
    UPSYNC_ASSIGN_OR_RETURN(auto* ins,
                            db_->prepare("INSERT INTO tenants (name, kind, education, created_at) "
                                         "VALUES (?, ?, ?, ?)"));
    out.name = t.name;
    out.kind = t.kind;
    out.education = t.education;
    out.created_at = utc_now_iso();
    ins->bind(1, t.name);
    ins->bind(2, tenant_kind_name(t.kind));
    ins->bind(3, int64_t{t.education});
    ins->bind(4, out.created_at);
    UPSYNC_RETURN_IF_ERROR(ins->run());
    out.id = sqlite3_last_insert_rowid(db_->raw());
    return Status::ok();
  });
  if (!s) return s;
  return out;
}

Result<std::shared_ptr<const std::string>> SqliteStore::kept_text(std::string_view key) {
  UPSYNC_ASSIGN_OR_RETURN(ReadCache * cache, read_cache());
  return cache ? cache->text(key) : nullptr;
}

Status SqliteStore::keep_text(std::string_view key, std::shared_ptr<const std::string> text) {
  UPSYNC_ASSIGN_OR_RETURN(ReadCache * cache, read_cache());
  if (cache) cache->keep_text(key, std::move(text));
  return Status::ok();
}

Result<Tenant> SqliteStore::tenant(std::string_view name) {
  UPSYNC_ASSIGN_OR_RETURN(ReadCache * cache, read_cache());
  if (const Tenant* kept = cache ? cache->tenant(name) : nullptr) return *kept;
  UPSYNC_ASSIGN_OR_RETURN(auto* s,
                          db_->prepare("SELECT id, name, kind, education, created_at FROM tenants "
                                       "WHERE name = ?"));
  s->bind(1, name);
  UPSYNC_ASSIGN_OR_RETURN(bool found, s->step());
  if (!found) {
    return not_found("tenant '" + quote_for_message(name) +
                     "' does not exist (see 'upsync tenant list')");
  }
  Tenant t = read_tenant(*s);
  s->reset();
  if (cache) cache->keep_tenant(t);
  return t;
}

Result<std::vector<Tenant>> SqliteStore::tenants() {
  UPSYNC_ASSIGN_OR_RETURN(auto* s,
                          db_->prepare("SELECT id, name, kind, education, created_at FROM tenants "
                                       "ORDER BY name"));
  s->reset();
  std::vector<Tenant> out;
  while (true) {
    UPSYNC_ASSIGN_OR_RETURN(bool row, s->step());
    if (!row) break;
    out.push_back(read_tenant(*s));
  }
  s->reset();
  return out;
}

Result<ReadCache*> SqliteStore::read_cache() {
  if (tx_depth_ > 0 || !db_->in_snapshot()) return nullptr;
  if (read_cache_snapshot_ != db_->snapshot_serial()) {
    UPSYNC_ASSIGN_OR_RETURN(int64_t data_version, db_->query_int("PRAGMA data_version"));
    read_cache_.check(std::to_string(data_version) + "/" + std::to_string(db_->total_changes()));
    read_cache_snapshot_ = db_->snapshot_serial();
  }
  return &read_cache_;
}

Result<const ProfileSchema*> SqliteStore::cached_schema(TenantId tenant) {
  // Another connection may have changed the schema: PRAGMA data_version moves when any other
  // connection commits, so the cache is dropped then. Inside a write transaction no other
  // connection can commit, so one check when the transaction starts is enough; the cache may
  // be older than the transaction, so that one check is needed.
  if (tx_depth_ == 0 || !schema_checked_in_tx_) {
    UPSYNC_ASSIGN_OR_RETURN(int64_t data_version, db_->query_int("PRAGMA data_version"));
    if (data_version != schema_cache_data_version_) {
      schema_cache_.clear();
      schema_cache_data_version_ = data_version;
    }
    schema_checked_in_tx_ = tx_depth_ > 0;
  }
  if (auto it = schema_cache_.find(tenant); it != schema_cache_.end()) return it->second.get();
  UPSYNC_RETURN_IF_ERROR(check_tenant(tenant));
  UPSYNC_ASSIGN_OR_RETURN(
      auto* s, db_->prepare("SELECT name, display_name, type, multi_value, user_editable, "
                            "sync_to_sites, taxonomy_bound, max_length FROM custom_properties "
                            "WHERE tenant_id = ? ORDER BY position"));
  s->bind(1, tenant);
  std::vector<PropertyDefinition> custom;
  while (true) {
    UPSYNC_ASSIGN_OR_RETURN(bool row, s->step());
    if (!row) break;
    PropertyDefinition d;
    d.name = s->column_text(0);
    d.display_name = s->column_text(1);
    auto type = parse_data_type(s->column_text(2));
    if (!type) {
      s->reset();
      return data_loss("custom property '" + d.name + "' has an unknown stored type '" +
                       std::string(s->column_text(2)) + "'");
    }
    d.type = *type;
    d.multi_value = s->column_int(3) != 0;
    d.user_editable = s->column_int(4) != 0;
    d.sync_to_sites = s->column_int(5) != 0;
    d.taxonomy_bound = s->column_int(6) != 0;
    d.max_length = static_cast<int>(s->column_int(7));
    d.custom = true;
    custom.push_back(std::move(d));
  }
  s->reset();
  UPSYNC_ASSIGN_OR_RETURN(auto policies, read_property_policies(tenant));
  auto schema = std::make_unique<ProfileSchema>(std::move(custom), std::move(policies));
  const ProfileSchema* raw = schema.get();
  schema_cache_[tenant] = std::move(schema);
  return raw;
}

Result<ProfileSchema> SqliteStore::schema(TenantId tenant) {
  UPSYNC_ASSIGN_OR_RETURN(const ProfileSchema* s, cached_schema(tenant));
  return ProfileSchema(s->custom(), s->policies());
}

Result<std::shared_ptr<const ProfileSchema>> SqliteStore::shared_schema(TenantId tenant) {
  UPSYNC_RETURN_IF_ERROR(cached_schema(tenant).status());
  return schema_cache_.at(tenant);
}

Result<std::unordered_map<std::string, PropertyPolicy>> SqliteStore::read_property_policies(
    TenantId tenant) {
  UPSYNC_ASSIGN_OR_RETURN(
      auto* s, db_->prepare("SELECT name_key, privacy, user_can_override, show_on_profile, "
                            "show_in_edit FROM property_policies WHERE tenant_id = ?"));
  s->bind(1, tenant);
  std::unordered_map<std::string, PropertyPolicy> out;
  while (true) {
    UPSYNC_ASSIGN_OR_RETURN(bool row, s->step());
    if (!row) break;
    PropertyPolicy p;
    auto privacy = parse_privacy(s->column_text(1));
    if (!privacy) {
      std::string message = "the policy of property '" + std::string(s->column_text(0)) +
                            "' has an unknown stored privacy '" + std::string(s->column_text(1)) +
                            "'";
      s->reset();
      return data_loss(message);
    }
    p.privacy = *privacy;
    p.user_can_override = s->column_int(2) != 0;
    p.show_on_profile = s->column_int(3) != 0;
    p.show_in_edit = s->column_int(4) != 0;
    out.emplace(std::string(s->column_text(0)), p);
  }
  s->reset();
  return out;
}

Status SqliteStore::set_property_policy(TenantId tenant, std::string_view name,
                                        const PropertyPolicy& policy) {
  return in_transaction([&]() -> Status {
    UPSYNC_ASSIGN_OR_RETURN(const ProfileSchema* schema, cached_schema(tenant));
    UPSYNC_ASSIGN_OR_RETURN(const PropertyDefinition* d, schema->require(name));
    UPSYNC_ASSIGN_OR_RETURN(
        auto* up, db_->prepare("INSERT INTO property_policies (tenant_id, name_key, privacy, "
                               "user_can_override, show_on_profile, show_in_edit) VALUES "
                               "(?, ?, ?, ?, ?, ?) ON CONFLICT (tenant_id, name_key) DO UPDATE "
                               "SET privacy = excluded.privacy, user_can_override = "
                               "excluded.user_can_override, show_on_profile = "
                               "excluded.show_on_profile, show_in_edit = excluded.show_in_edit"));
    up->bind(1, tenant);
    up->bind(2, ascii_lower(d->name));
    up->bind(3, privacy_name(policy.privacy));
    up->bind(4, int64_t{policy.user_can_override});
    up->bind(5, int64_t{policy.show_on_profile});
    up->bind(6, int64_t{policy.show_in_edit});
    UPSYNC_RETURN_IF_ERROR(up->run());
    const std::string changed = d->name;
    schema_cache_.erase(tenant);
    return record_change(tenant, "schema", changed, ChangeOp::kUpsert).status();
  });
}

Result<PropertyDefinition> SqliteStore::add_custom_property(TenantId tenant,
                                                            const PropertyDefinition& def) {
  PropertyDefinition d = def;
  d.custom = true;
  if (d.display_name.empty()) d.display_name = d.name;
  UPSYNC_RETURN_IF_ERROR(ProfileSchema::check_custom_definition(d));
  Status s = in_transaction([&]() -> Status {
    UPSYNC_ASSIGN_OR_RETURN(const ProfileSchema* schema, cached_schema(tenant));
    if (const PropertyDefinition* existing = schema->find(d.name)) {
      return already_exists("property '" + existing->name + "' already exists in this tenant");
    }
    UPSYNC_ASSIGN_OR_RETURN(
        auto* ins,
        db_->prepare("INSERT INTO custom_properties (tenant_id, name_key, name, display_name, "
                     "type, multi_value, user_editable, sync_to_sites, taxonomy_bound, "
                     "max_length, position) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, "
                     "(SELECT COALESCE(MAX(position), 0) + 1 FROM custom_properties "
                     "WHERE tenant_id = ?1))"));
    ins->bind(1, tenant);
    ins->bind(2, ascii_lower(d.name));
    ins->bind(3, d.name);
    ins->bind(4, d.display_name);
    ins->bind(5, data_type_name(d.type));
    ins->bind(6, int64_t{d.multi_value});
    ins->bind(7, int64_t{d.user_editable});
    ins->bind(8, int64_t{d.sync_to_sites});
    ins->bind(9, int64_t{d.taxonomy_bound});
    ins->bind(10, int64_t{d.max_length});
    UPSYNC_RETURN_IF_ERROR(ins->run());
    schema_cache_.erase(tenant);
    return record_change(tenant, "schema", d.name, ChangeOp::kUpsert).status();
  });
  if (!s) return s;
  return d;
}

Status SqliteStore::remove_custom_property(TenantId tenant, std::string_view name) {
  return in_transaction([&]() -> Status {
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
    UPSYNC_ASSIGN_OR_RETURN(auto* used,
                            db_->prepare("SELECT count(*) FROM profile_custom c JOIN profiles p "
                                         "ON p.id = c.id WHERE p.tenant_id = ? AND "
                                         "json_type(c.props, ?) IS NOT NULL"));
    used->bind(1, tenant);
    used->bind(2, "$.\"" + canonical + "\"");
    UPSYNC_ASSIGN_OR_RETURN(bool row, used->step());
    int64_t n = row ? used->column_int(0) : 0;
    used->reset();
    if (n > 0) {
      return failed_precondition("property '" + canonical + "' still has values in " +
                                 std::to_string(n) + " profile(s); clear them first");
    }
    // A property defined again later starts from the default policy, nobody's choice, and
    // unmapped (MappingStore::set checks the property in the tenant's turn, which this holds).
    for (const char* sql : {
             "DELETE FROM custom_properties WHERE tenant_id = ? AND name_key = ?",
             "DELETE FROM property_policies WHERE tenant_id = ? AND name_key = ?",
             "DELETE FROM privacy_choices WHERE tenant_id = ? AND name_key = ?",
             "DELETE FROM property_mappings WHERE tenant_id = ? AND property_key = ?",
         }) {
      UPSYNC_ASSIGN_OR_RETURN(auto* del, db_->prepare(sql));
      del->bind(1, tenant);
      del->bind(2, ascii_lower(canonical));
      UPSYNC_RETURN_IF_ERROR(del->run());
    }
    schema_cache_.erase(tenant);
    return record_change(tenant, "schema", canonical, ChangeOp::kDelete).status();
  });
}

}  // namespace upsync
