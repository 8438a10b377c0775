// The PostgreSQL ConnectorStore (src/sync/connector.h): table connectors, the TOML as written,
// as in the SQLite backend (sqlite_connectors.cpp).
#include "core/clock.h"
#include "core/text.h"
#include "store/postgres/pg_store.h"
#include "sync/connector.h"

namespace upsync {
namespace {

class PgConnectorStore : public ConnectorStore {
 public:
  explicit PgConnectorStore(PgStore& s) : db_(s.db()) {}

  Status add(TenantId t, const Connector& c) override {
    const std::string now = utc_now_iso();
    UPSYNC_ASSIGN_OR_RETURN(
        const int64_t added,
        db_.run("INSERT INTO connectors (tenant_id, name_key, name, config, created_at, "
                "updated_at) VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT DO NOTHING",
                {t, ascii_lower(c.name), c.name, c.toml, now, now}));
    if (added == 0) return already_exists("connector '" + c.name + "' already exists");
    return Status::ok();
  }

  Status replace(TenantId t, const Connector& c) override {
    UPSYNC_ASSIGN_OR_RETURN(const int64_t changed,
                            db_.run("UPDATE connectors SET config = $1, updated_at = $2 WHERE "
                                    "tenant_id = $3 AND name_key = $4",
                                    {c.toml, utc_now_iso(), t, ascii_lower(c.name)}));
    if (changed == 0) return missing(c.name);
    return Status::ok();
  }

  Result<Connector> get(TenantId t, std::string_view name) override {
    UPSYNC_ASSIGN_OR_RETURN(
        PgResult r,
        db_.query("SELECT name, config FROM connectors WHERE tenant_id = $1 AND name_key = $2",
                  {t, ascii_lower(name)}));
    if (r.rows() == 0) return missing(name);
    return stored(std::string(r.text(0, 0)), std::string(r.text(0, 1)));
  }

  Result<std::vector<Connector>> list(TenantId t) override {
    UPSYNC_ASSIGN_OR_RETURN(
        PgResult r,
        db_.query("SELECT name, config FROM connectors WHERE tenant_id = $1 ORDER BY name_key",
                  {t}));
    std::vector<Connector> out;
    for (int i = 0; i < r.rows(); ++i) {
      UPSYNC_ASSIGN_OR_RETURN(Connector c,
                              stored(std::string(r.text(i, 0)), std::string(r.text(i, 1))));
      out.push_back(std::move(c));
    }
    return out;
  }

  Status remove(TenantId t, std::string_view name) override {
    UPSYNC_ASSIGN_OR_RETURN(const int64_t removed,
                            db_.run("DELETE FROM connectors WHERE tenant_id = $1 AND name_key = $2",
                                    {t, ascii_lower(name)}));
    if (removed == 0) return missing(name);
    return Status::ok();
  }

 private:
  static Status missing(std::string_view name) {
    return not_found("no connector '" + std::string(name) + "' (upsync connector list)");
  }
  // A stored document was checked when written; one this build refuses is corrupt.
  static Result<Connector> stored(const std::string& name, const std::string& config) {
    auto c = parse_connector(name, config);
    if (!c) return data_loss("stored " + c.status().message());
    return c;
  }

  PgDb& db_;
};

}  // namespace

Result<std::unique_ptr<ConnectorStore>> PgStore::connector_store() {
  return std::unique_ptr<ConnectorStore>(new PgConnectorStore(*this));
}

}  // namespace upsync
