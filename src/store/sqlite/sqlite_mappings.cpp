// The SQLite MappingStore (src/sync/server_import.h): table property_mappings holds a server
// tenant's edits; seed 001's defaults are not stored.
#include "core/text.h"
#include "store/sqlite/sqlite_store.h"
#include "sync/server_import.h"

namespace upsync {
namespace {

class SqliteMappingStore : public MappingStore {
 public:
  SqliteMappingStore(SqliteStore& store) : store_(store), db_(store.db()) {}

  Result<std::vector<AttributeMapping>> mappings(const Tenant& tenant) override {
    UPSYNC_RETURN_IF_ERROR(check_server(tenant));
    UPSYNC_ASSIGN_OR_RETURN(SqliteStatement * s,
                            db_.prepare("SELECT property_key, property, attribute FROM "
                                        "property_mappings WHERE tenant_id = ? ORDER BY property"));
    s->bind(1, tenant.id);
    std::vector<AttributeMapping> edits;
    while (true) {
      UPSYNC_ASSIGN_OR_RETURN(bool row, s->step());
      if (!row) break;
      edits.push_back({std::string(s->column_text(1)), std::string(s->column_text(2)), true});
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
    UPSYNC_ASSIGN_OR_RETURN(
        SqliteStatement * s,
        db_.prepare("INSERT INTO property_mappings (tenant_id, property_key, property, attribute) "
                    "VALUES (?,?,?,?) ON CONFLICT (tenant_id, property_key) DO UPDATE SET "
                    "attribute = excluded.attribute"));
    s->bind(1, tenant.id);
    s->bind(2, ascii_lower(def->name));
    s->bind(3, def->name);
    s->bind(4, attribute);
    return s->run();
  }

  Status reset(const Tenant& tenant, const std::string& property) override {
    UPSYNC_RETURN_IF_ERROR(check_server(tenant));
    UPSYNC_ASSIGN_OR_RETURN(
        SqliteStatement * s,
        db_.prepare(
            property.empty()
                ? "DELETE FROM property_mappings WHERE tenant_id = ?"
                : "DELETE FROM property_mappings WHERE tenant_id = ? AND property_key = ?"));
    s->bind(1, tenant.id);
    if (!property.empty()) s->bind(2, ascii_lower(property));
    UPSYNC_RETURN_IF_ERROR(s->run());
    if (!property.empty() && db_.changes() == 0) {
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
  SqliteDb& db_;
};

}  // namespace

Result<std::unique_ptr<MappingStore>> SqliteStore::mapping_store() {
  return std::unique_ptr<MappingStore>(new SqliteMappingStore(*this));
}

}  // namespace upsync
