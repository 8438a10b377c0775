// The PostgreSQL MappingStore (src/sync/server_import.h): table property_mappings holds a
// server tenant's edits; seed 001's defaults are not stored (as sqlite_mappings.cpp).
#include "core/text.h"
#include "store/postgres/pg_store.h"
#include "sync/server_import.h"

namespace upsync {
namespace {

class PgMappingStore : public MappingStore {
 public:
  explicit PgMappingStore(PgStore& store) : MappingStore(store), db_(store.db()) {}

 private:
  Result<std::vector<AttributeMapping>> stored_edits(TenantId tenant) override {
    UPSYNC_ASSIGN_OR_RETURN(PgResult r,
                            db_.query("SELECT property, attribute FROM property_mappings WHERE "
                                      "tenant_id = $1 ORDER BY property",
                                      {tenant}));
    std::vector<AttributeMapping> edits;
    for (int i = 0; i < r.rows(); ++i) {
      edits.push_back({std::string(r.text(i, 0)), std::string(r.text(i, 1)), true});
    }
    return edits;
  }

  Status store_edit(TenantId tenant, const std::string& property,
                    const std::string& attribute) override {
    return db_
        .run(
            "INSERT INTO property_mappings (tenant_id, property_key, property, attribute) "
            "VALUES ($1, $2, $3, $4) ON CONFLICT (tenant_id, property_key) DO UPDATE SET "
            "attribute = excluded.attribute",
            {tenant, ascii_lower(property), property, attribute})
        .status();
  }

  Result<int64_t> remove_edits(TenantId tenant, const std::string& property_key) override {
    if (property_key.empty()) {
      return db_.run("DELETE FROM property_mappings WHERE tenant_id = $1", {tenant});
    }
    return db_.run("DELETE FROM property_mappings WHERE tenant_id = $1 AND property_key = $2",
                   {tenant, property_key});
  }

  PgDb& db_;
};

}  // namespace

Result<std::unique_ptr<MappingStore>> PgStore::mapping_store() {
  return std::unique_ptr<MappingStore>(new PgMappingStore(*this));
}

}  // namespace upsync
