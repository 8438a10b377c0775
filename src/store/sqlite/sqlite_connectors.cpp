// The SQLite ConnectorStore (src/sync/connector.h): table connectors, the TOML as written.
#include "core/clock.h"
#include "core/text.h"
#include "store/sqlite/sqlite_store.h"
#include "sync/connector.h"

namespace upsync {
namespace {

class SqliteConnectorStore : public ConnectorStore {
 public:
  explicit SqliteConnectorStore(SqliteStore& s) : db_(s.db()) {}

  Status add(TenantId t, const Connector& c) override {
    UPSYNC_ASSIGN_OR_RETURN(auto* s, db_.prepare("INSERT INTO connectors (tenant_id, name_key, "
                                                 "name, config, created_at, updated_at) VALUES "
                                                 "(?,?,?,?,?,?) ON CONFLICT DO NOTHING"));
    const std::string now = utc_now_iso();
    s->bind(1, t);
    s->bind(2, ascii_lower(c.name));
    s->bind(3, c.name);
    s->bind(4, c.toml);
    s->bind(5, now);
    s->bind(6, now);
    UPSYNC_RETURN_IF_ERROR(s->run());
    if (db_.changes() == 0) return already_exists("connector '" + c.name + "' already exists");
    return Status::ok();
  }

  Status replace(TenantId t, const Connector& c) override {
    UPSYNC_ASSIGN_OR_RETURN(auto* s, db_.prepare("UPDATE connectors SET config = ?, updated_at = ? "
                                                 "WHERE tenant_id = ? AND name_key = ?"));
    s->bind(1, c.toml);
    s->bind(2, utc_now_iso());
    s->bind(3, t);
    s->bind(4, ascii_lower(c.name));
    UPSYNC_RETURN_IF_ERROR(s->run());
    if (db_.changes() == 0) return missing(c.name);
    return Status::ok();
  }

  Result<Connector> get(TenantId t, std::string_view name) override {
    UPSYNC_ASSIGN_OR_RETURN(
        auto* s,
        db_.prepare("SELECT name, config FROM connectors WHERE tenant_id = ? AND name_key = ?"));
    s->bind(1, t);
    s->bind(2, ascii_lower(name));
    UPSYNC_ASSIGN_OR_RETURN(bool row, s->step());
    if (!row) return missing(name);
    const std::string n(s->column_text(0)), config(s->column_text(1));
    s->reset();
    return stored(n, config);
  }

  Result<std::vector<Connector>> list(TenantId t) override {
    UPSYNC_ASSIGN_OR_RETURN(
        auto* s,
        db_.prepare("SELECT name, config FROM connectors WHERE tenant_id = ? ORDER BY name_key"));
    s->bind(1, t);
    std::vector<std::pair<std::string, std::string>> rows;
    while (true) {
      UPSYNC_ASSIGN_OR_RETURN(bool row, s->step());
      if (!row) break;
      rows.emplace_back(s->column_text(0), s->column_text(1));
    }
    std::vector<Connector> out;
    for (const auto& [n, config] : rows) {
      UPSYNC_ASSIGN_OR_RETURN(Connector c, stored(n, config));
      out.push_back(std::move(c));
    }
    return out;
  }

  Status remove(TenantId t, std::string_view name) override {
    UPSYNC_ASSIGN_OR_RETURN(
        auto* s, db_.prepare("DELETE FROM connectors WHERE tenant_id = ? AND name_key = ?"));
    s->bind(1, t);
    s->bind(2, ascii_lower(name));
    UPSYNC_RETURN_IF_ERROR(s->run());
    if (db_.changes() == 0) return missing(name);
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

  SqliteDb& db_;
};

}  // namespace

Result<std::unique_ptr<ConnectorStore>> SqliteStore::connector_store() {
  return std::unique_ptr<ConnectorStore>(new SqliteConnectorStore(*this));
}

}  // namespace upsync
