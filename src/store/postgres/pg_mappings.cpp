// The PostgreSQL MappingStore (src/sync/server_import.h): table property_mappings holds a
// server tenant's edits; seed 001's defaults are not stored (as sqlite_mappings.cpp).
#include "core/text.h"
#include "store/postgres/pg_store.h"
#include "sync/server_import.h"

namespace upsync {
namespace {

class PgMappingStore : public MappingStore {
 public:
  explicit PgMappingStore(PgStore& store) : store_(store), db_(store.db()) {}

  Result<std::vector<AttributeMapping>> mappings(const Tenant& tenant) override {
    UPSYNC_RETURN_IF_ERROR(check_server(tenant));
    UPSYNC_ASSIGN_OR_RETURN(PgResult r,
                            db_.query("SELECT property, attribute FROM property_mappings WHERE "
                                      "tenant_id = $1 ORDER BY property",
                                      {tenant.id}));
    std::vector<AttributeMapping> edits;
    for (int i = 0; i < r.rows(); ++i) {
      edits.push_back({std::string(r.text(i, 0)), std::string(r.text(i, 1)), true});
    }
    std::vector<AttributeMapping> out;
    for (const AttributeMapping& d : default_server_mappings()) {
      AttributeMapping m = d;
      for (const auto& e : edits) {
        if (property_name_equal(e.property, d.property)) m = {d.property, e.attribute, true};
      }
      if (!m.attribute.empty()) out.push_back(m);
    }
    for (const auto& e : edits) {
      bool is_default = false;
      for (const AttributeMapping& d : default_server_mappings()) {
        is_default = is_default || property_name_equal(e.property, d.property);
      }
      if (!is_default && !e.attribute.empty()) out.push_back(e);
    }
    return out;
  }

  Status set(const Tenant& tenant, const std::string& property,
             const std::string& attribute) override {
    UPSYNC_RETURN_IF_ERROR(check_server(tenant));
    UPSYNC_ASSIGN_OR_RETURN(ProfileSchema schema, store_.schema(tenant.id));
    UPSYNC_ASSIGN_OR_RETURN(const PropertyDefinition* def, schema.require(property));
    if (property_name_equal(def->name, "AccountName")) {
      return invalid_argument("AccountName is made from the domain and UserName; map UserName");
    }
    if (attribute.find_first_of(" ,;=") != std::string::npos) {
      return invalid_argument("'" + attribute + "' is not a directory attribute name");
    }
    return db_
        .run(
            "INSERT INTO property_mappings (tenant_id, property_key, property, attribute) "
            "VALUES ($1, $2, $3, $4) ON CONFLICT (tenant_id, property_key) DO UPDATE SET "
            "attribute = excluded.attribute",
            {tenant.id, ascii_lower(def->name), def->name, attribute})
        .status();
  }

  Status reset(const Tenant& tenant, const std::string& property) override {
    UPSYNC_RETURN_IF_ERROR(check_server(tenant));
    if (property.empty()) {
      return db_.run("DELETE FROM property_mappings WHERE tenant_id = $1", {tenant.id}).status();
    }
    UPSYNC_ASSIGN_OR_RETURN(
        const int64_t removed,
        db_.run("DELETE FROM property_mappings WHERE tenant_id = $1 AND property_key = $2",
                {tenant.id, ascii_lower(property)}));
    if (removed == 0) {
      return not_found("property '" + property + "' has no edited mapping in tenant '" +
                       tenant.name + "'");
    }
    return Status::ok();
  }

 private:
  static Status check_server(const Tenant& tenant) {
    if (tenant.kind == TenantKind::kServer) return Status::ok();
    return failed_precondition("tenant '" + tenant.name +
                               "' is an online tenant: its directory mappings are fixed "
                               "(seed 002); only server tenants edit them");
  }
  Store& store_;
  PgDb& db_;
};

}  // namespace

Result<std::unique_ptr<MappingStore>> PgStore::mapping_store() {
  return std::unique_ptr<MappingStore>(new PgMappingStore(*this));
}

}  // namespace upsync
