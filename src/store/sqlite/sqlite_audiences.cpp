// The SQLite AudienceStore and HybridStore (src/audiences/): tables audiences (rules as JSON),
// audience_members (one row per member) and hybrid_settings (one row per server tenant).
#include <charconv>

#include "audiences/audience_rules_codec.h"
#include "audiences/audiences.h"
#include "audiences/hybrid.h"
#include "core/clock.h"
#include "core/text.h"
#include "store/sqlite/sqlite_store.h"

namespace upsync {
namespace {

class SqliteAudienceStore : public AudienceStore {
 public:
  explicit SqliteAudienceStore(SqliteStore& s) : store_(s), db_(s.db()) {}

  Result<Audience> add(TenantId t, const Audience& a) override {
    UPSYNC_ASSIGN_OR_RETURN(auto existing, find(t, a.name));
    if (existing) {
      return already_exists("tenant has an audience named '" + existing->name + "' already");
    }
    UPSYNC_ASSIGN_OR_RETURN(
        auto* ins, db_.prepare("INSERT INTO audiences (tenant_id, name_key, name, description, "
                               "match, rules, compiled_at, created_at) "
                               "VALUES (?, ?, ?, ?, ?, ?, '', ?)"));
    ins->bind(1, t);
    ins->bind(2, ascii_lower(a.name));
    ins->bind(3, a.name);
    ins->bind(4, a.description);
    ins->bind(5, audience_match_name(a.match));
    ins->bind(6, encode_audience_rules(a.rules));
    ins->bind(7, utc_now_iso());
    UPSYNC_RETURN_IF_ERROR(ins->run());
    UPSYNC_ASSIGN_OR_RETURN(auto stored, find(t, a.name));
    if (!stored) return internal_error("audience '" + a.name + "' was not stored");
    return *stored;
  }

  Result<std::vector<Audience>> list(TenantId t) override {
    return read("WHERE a.tenant_id = ? ORDER BY a.name_key", t, "");
  }

  Result<std::optional<Audience>> find(TenantId t, std::string_view name_or_id) override {
    int64_t id = 0;
    const char* end = name_or_id.data() + name_or_id.size();
    auto [ptr, ec] = std::from_chars(name_or_id.data(), end, id);
    std::vector<Audience> found;
    if (!name_or_id.empty() && ec == std::errc() && ptr == end) {
      UPSYNC_ASSIGN_OR_RETURN(found, read("WHERE a.tenant_id = ? AND a.id = ?", t, "", id));
    } else {
      UPSYNC_ASSIGN_OR_RETURN(
          found, read("WHERE a.tenant_id = ? AND a.name_key = ?", t, ascii_lower(name_or_id)));
    }
    if (found.empty()) return std::optional<Audience>();
    return std::optional<Audience>(std::move(found[0]));
  }

  Result<bool> remove(TenantId t, int64_t audience_id) override {
    bool removed = false;
    // The check in the write transaction: a hybrid set naming the audience (hybrid.cpp, also
    // in one) comes wholly before or after it.
    UPSYNC_RETURN_IF_ERROR(store_.in_transaction([&]() -> Status {
      UPSYNC_ASSIGN_OR_RETURN(auto* used,
                              db_.prepare("SELECT online_url FROM hybrid_settings WHERE "
                                          "tenant_id = ? AND audience_id = ?"));
      used->bind(1, t);
      used->bind(2, audience_id);
      UPSYNC_ASSIGN_OR_RETURN(bool in_use, used->step());
      used->reset();
      if (in_use) {
        return failed_precondition(
            "the tenant's hybrid settings name this audience as its hybrid users: change them "
            "or clear them first (upsync hybrid set / clear)");
      }
      UPSYNC_ASSIGN_OR_RETURN(auto* del,
                              db_.prepare("DELETE FROM audiences WHERE tenant_id = ? AND id = ?"));
      del->bind(1, t);
      del->bind(2, audience_id);
      UPSYNC_RETURN_IF_ERROR(del->run());
      removed = db_.changes() > 0;
      UPSYNC_ASSIGN_OR_RETURN(
          auto* members,
          db_.prepare("DELETE FROM audience_members WHERE tenant_id = ? AND audience_id = ?"));
      members->bind(1, t);
      members->bind(2, audience_id);
      return members->run();
    }));
    return removed;
  }

  Status set_members(TenantId t, int64_t audience_id,
                     const std::vector<ProfileId>& members) override {
    return store_.in_transaction([&]() -> Status {
      UPSYNC_ASSIGN_OR_RETURN(
          auto* del,
          db_.prepare("DELETE FROM audience_members WHERE tenant_id = ? AND audience_id = ?"));
      del->bind(1, t);
      del->bind(2, audience_id);
      UPSYNC_RETURN_IF_ERROR(del->run());
      UPSYNC_ASSIGN_OR_RETURN(auto* ins,
                              db_.prepare("INSERT OR IGNORE INTO audience_members (tenant_id, "
                                          "audience_id, profile_id) VALUES (?, ?, ?)"));
      for (ProfileId p : members) {
        ins->bind(1, t);
        ins->bind(2, audience_id);
        ins->bind(3, p);
        UPSYNC_RETURN_IF_ERROR(ins->run());
      }
      UPSYNC_ASSIGN_OR_RETURN(
          auto* stamp,
          db_.prepare("UPDATE audiences SET compiled_at = ? WHERE tenant_id = ? AND id = ?"));
      stamp->bind(1, utc_now_iso());
      stamp->bind(2, t);
      stamp->bind(3, audience_id);
      UPSYNC_RETURN_IF_ERROR(stamp->run());
      if (db_.changes() == 0) return not_found("no audience " + std::to_string(audience_id));
      return Status::ok();
    });
  }

  Result<bool> set_member(TenantId t, int64_t audience_id, ProfileId profile,
                          bool member) override {
    UPSYNC_ASSIGN_OR_RETURN(
        auto* q, db_.prepare(member ? "INSERT OR IGNORE INTO audience_members (tenant_id, "
                                      "audience_id, profile_id) VALUES (?, ?, ?)"
                                    : "DELETE FROM audience_members WHERE tenant_id = ? AND "
                                      "audience_id = ? AND profile_id = ?"));
    q->bind(1, t);
    q->bind(2, audience_id);
    q->bind(3, profile);
    UPSYNC_RETURN_IF_ERROR(q->run());
    return db_.changes() > 0;
  }

  Status remove_profile(TenantId t, ProfileId profile) override {
    return store_.delete_audience_memberships_of(t, profile);
  }

  Result<bool> is_member(TenantId t, int64_t audience_id, ProfileId profile) override {
    UPSYNC_ASSIGN_OR_RETURN(auto* q,
                            db_.prepare("SELECT 1 FROM audience_members WHERE tenant_id = ? AND "
                                        "audience_id = ? AND profile_id = ?"));
    q->bind(1, t);
    q->bind(2, audience_id);
    q->bind(3, profile);
    UPSYNC_ASSIGN_OR_RETURN(bool row, q->step());
    q->reset();
    return row;
  }

  Result<std::vector<ProfileId>> members(TenantId t, int64_t audience_id, ProfileId after_id,
                                         int limit) override {
    if (limit < 1) return invalid_argument("a page of members needs a limit of at least 1");
    UPSYNC_ASSIGN_OR_RETURN(
        auto* q, db_.prepare("SELECT profile_id FROM audience_members WHERE tenant_id = ? AND "
                             "audience_id = ? AND profile_id > ? ORDER BY profile_id LIMIT ?"));
    q->bind(1, t);
    q->bind(2, audience_id);
    q->bind(3, after_id);
    q->bind(4, int64_t{limit});
    std::vector<ProfileId> out;
    while (true) {
      auto row = q->step();
      if (!row) {
        q->reset();
        return row.status();
      }
      if (!*row) break;
      out.push_back(q->column_int(0));
    }
    q->reset();
    return out;
  }

 private:
  // Audiences matching `where` (bound: tenant, then `key` when not empty, else `id`).
  Result<std::vector<Audience>> read(std::string_view where, TenantId t, std::string_view key,
                                     int64_t id = 0) {
    const std::string sql =
        "SELECT a.id, a.name, a.description, a.match, a.rules, a.compiled_at, "
        "(SELECT count(*) FROM audience_members m WHERE m.tenant_id = a.tenant_id AND "
        "m.audience_id = a.id) FROM audiences a " +
        std::string(where);
    UPSYNC_ASSIGN_OR_RETURN(auto* q, db_.prepare(sql));
    q->bind(1, t);
    if (!key.empty()) {
      q->bind(2, key);
    } else if (where.find("a.id") != std::string_view::npos) {
      q->bind(2, id);
    }
    std::vector<Audience> out;
    while (true) {
      auto row = q->step();
      if (!row) {
        q->reset();
        return row.status();
      }
      if (!*row) break;
      Audience a;
      a.id = q->column_int(0);
      a.name = q->column_text(1);
      a.description = q->column_text(2);
      a.match = parse_audience_match(q->column_text(3)).value_or(AudienceMatch::kAll);
      auto rules = decode_audience_rules(q->column_text(4), a.name);
      if (!rules) {
        q->reset();
        return rules.status();
      }
      a.rules = std::move(*rules);
      a.compiled_at = q->column_text(5);
      a.member_count = q->column_int(6);
      out.push_back(std::move(a));
    }
    q->reset();
    return out;
  }

  SqliteStore& store_;
  SqliteDb& db_;
};

class SqliteHybridStore : public HybridStore {
 public:
  explicit SqliteHybridStore(SqliteStore& s) : db_(s.db()) {}

  Result<std::optional<HybridSettings>> get(TenantId t) override {
    UPSYNC_ASSIGN_OR_RETURN(
        auto* q, db_.prepare("SELECT h.online_url, h.audience_id, a.name, h.updated_at FROM "
                             "hybrid_settings h LEFT JOIN audiences a ON a.tenant_id = "
                             "h.tenant_id AND a.id = h.audience_id WHERE h.tenant_id = ?"));
    q->bind(1, t);
    UPSYNC_ASSIGN_OR_RETURN(bool row, q->step());
    if (!row) {
      q->reset();
      return std::optional<HybridSettings>();
    }
    HybridSettings s;
    s.online_url = q->column_text(0);
    if (!q->column_is_null(1)) s.audience_id = q->column_int(1);
    s.audience_name = q->column_text(2);
    s.updated_at = q->column_text(3);
    q->reset();
    return std::optional<HybridSettings>(std::move(s));
  }

  Status set(TenantId t, const HybridSettings& s) override {
    UPSYNC_ASSIGN_OR_RETURN(
        auto* q, db_.prepare("INSERT INTO hybrid_settings (tenant_id, online_url, audience_id, "
                             "updated_at) VALUES (?, ?, ?, ?) ON CONFLICT (tenant_id) DO UPDATE "
                             "SET online_url = excluded.online_url, audience_id = "
                             "excluded.audience_id, updated_at = excluded.updated_at"));
    q->bind(1, t);
    q->bind(2, s.online_url);
    if (s.audience_id) {
      q->bind(3, *s.audience_id);
    } else {
      q->bind_null(3);
    }
    q->bind(4, utc_now_iso());
    return q->run();
  }

  Result<bool> clear(TenantId t) override {
    UPSYNC_ASSIGN_OR_RETURN(auto* q,
                            db_.prepare("DELETE FROM hybrid_settings WHERE tenant_id = ?"));
    q->bind(1, t);
    UPSYNC_RETURN_IF_ERROR(q->run());
    return db_.changes() > 0;
  }

 private:
  SqliteDb& db_;
};

}  // namespace

Status SqliteStore::delete_audience_memberships_of(TenantId tenant, ProfileId id) {
  UPSYNC_ASSIGN_OR_RETURN(
      auto* del,
      db_->prepare("DELETE FROM audience_members WHERE tenant_id = ? AND profile_id = ?"));
  del->bind(1, tenant);
  del->bind(2, id);
  return del->run();
}

Result<std::unique_ptr<AudienceStore>> SqliteStore::audience_store() {
  return std::unique_ptr<AudienceStore>(new SqliteAudienceStore(*this));
}

Result<std::unique_ptr<HybridStore>> SqliteStore::hybrid_store() {
  return std::unique_ptr<HybridStore>(new SqliteHybridStore(*this));
}

}  // namespace upsync
