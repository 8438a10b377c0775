// The SQLite MappingStore (src/sync/server_import.h): table property_mappings holds a server
// tenant's edits; seed 001's defaults are not stored.
#include "core/text.h"
#include "store/sqlite/sqlite_store.h"
#include "sync/server_import.h"

namespace upsync {
namespace {

class SqliteMappingStore : public MappingStore {
 public:
  explicit SqliteMappingStore(SqliteStore& store) : MappingStore(store), db_(store.db()) {}

 private:
  Result<std::vector<AttributeMapping>> stored_edits(TenantId tenant) override {
    UPSYNC_ASSIGN_OR_RETURN(SqliteStatement * s,
                            db_.prepare("SELECT property, attribute FROM property_mappings "
                                        "WHERE tenant_id = ? ORDER BY property"));
    s->bind(1, tenant);
    std::vector<AttributeMapping> edits;
    while (true) {
      UPSYNC_ASSIGN_OR_RETURN(bool row, s->step());
      if (!row) break;
      edits.push_back({std::string(s->column_text(0)), std::string(s->column_text(1)), true});
    }
    return edits;
  }

  Status store_edit(TenantId tenant, const std::string& property,
                    const std::string& attribute) override {
    UPSYNC_ASSIGN_OR_RETURN(
        SqliteStatement * s,
        db_.prepare("INSERT INTO property_mappings (tenant_id, property_key, property, attribute) "
                    "VALUES (?,?,?,?) ON CONFLICT (tenant_id, property_key) DO UPDATE SET "
                    "attribute = excluded.attribute"));
    s->bind(1, tenant);
    s->bind(2, ascii_lower(property));
    s->bind(3, property);
    s->bind(4, attribute);
    return s->run();
  }

  Result<int64_t> remove_edits(TenantId tenant, const std::string& property_key) override {
    UPSYNC_ASSIGN_OR_RETURN(
        SqliteStatement * s,
        db_.prepare(
            property_key.empty()
                ? "DELETE FROM property_mappings WHERE tenant_id = ?"
                : "DELETE FROM property_mappings WHERE tenant_id = ? AND property_key = ?"));
    s->bind(1, tenant);
    if (!property_key.empty()) s->bind(2, property_key);
    UPSYNC_RETURN_IF_ERROR(s->run());
    return db_.changes();
  }

  SqliteDb& db_;
};

}  // namespace

Result<std::unique_ptr<MappingStore>> SqliteStore::mapping_store() {
  return std::unique_ptr<MappingStore>(new SqliteMappingStore(*this));
}

}  // namespace upsync
