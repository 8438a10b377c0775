// The PostgreSQL AudienceStore and HybridStore (src/audiences/), as sqlite_audiences.cpp:
// tables audiences (rules as JSON), audience_members (one row per member) and hybrid_settings
// (one row per server tenant).
#include <charconv>

#include "audiences/audience_rules_codec.h"
#include "audiences/audiences.h"
#include "audiences/hybrid.h"
#include "core/clock.h"
#include "core/text.h"
#include "store/postgres/pg_store.h"

namespace upsync {
namespace {

constexpr std::string_view kAudienceSelect =
    "SELECT a.id, a.name, a.description, a.match, a.rules, a.compiled_at, "
    "(SELECT count(*) FROM audience_members m WHERE m.tenant_id = a.tenant_id AND "
    "m.audience_id = a.id) FROM audiences a ";

// {1,2,3}: ids for $n::bigint[].
std::string bigint_array(const std::vector<ProfileId>& ids) {
  std::string out = "{";
  for (size_t i = 0; i < ids.size(); ++i) {
    if (i) out += ',';
    out += std::to_string(ids[i]);
  }
  out += '}';
  return out;
}

class PgAudienceStore : public AudienceStore {
 public:
  explicit PgAudienceStore(PgStore& s) : store_(s), db_(s.db()) {}

  Result<Audience> add(TenantId t, const Audience& a) override {
    UPSYNC_ASSIGN_OR_RETURN(auto existing, find(t, a.name));
    if (existing) {
      return already_exists("tenant has an audience named '" + existing->name + "' already");
    }
    // ON CONFLICT: an audience of that name added by another process a moment ago is the same
    // refusal, not an aborted transaction.
    UPSYNC_ASSIGN_OR_RETURN(
        PgResult r,
        db_.query("INSERT INTO audiences (tenant_id, name_key, name, description, match, rules, "
                  "compiled_at, created_at) VALUES ($1, $2, $3, $4, $5, $6, '', $7) "
                  "ON CONFLICT (tenant_id, name_key) DO NOTHING RETURNING id",
                  {t, ascii_lower(a.name), a.name, a.description, audience_match_name(a.match),
                   encode_audience_rules(a.rules), utc_now_iso()}));
    if (r.rows() == 0) {
      UPSYNC_ASSIGN_OR_RETURN(auto other, find(t, a.name));
      return already_exists("tenant has an audience named '" + (other ? other->name : a.name) +
                            "' already");
    }
    UPSYNC_ASSIGN_OR_RETURN(auto stored, find(t, std::to_string(r.int64(0, 0))));
    if (!stored) return internal_error("audience '" + a.name + "' was not stored");
    return *stored;
  }

  Result<std::vector<Audience>> list(TenantId t) override {
    return read("WHERE a.tenant_id = $1 ORDER BY a.name_key", {t});
  }

  Result<std::optional<Audience>> find(TenantId t, std::string_view name_or_id) override {
    int64_t id = 0;
    const char* end = name_or_id.data() + name_or_id.size();
    auto [ptr, ec] = std::from_chars(name_or_id.data(), end, id);
    std::vector<Audience> found;
    if (!name_or_id.empty() && ec == std::errc() && ptr == end) {
      UPSYNC_ASSIGN_OR_RETURN(found, read("WHERE a.tenant_id = $1 AND a.id = $2", {t, id}));
    } else {
      UPSYNC_ASSIGN_OR_RETURN(
          found, read("WHERE a.tenant_id = $1 AND a.name_key = $2", {t, ascii_lower(name_or_id)}));
    }
    if (found.empty()) return std::optional<Audience>();
    return std::optional<Audience>(std::move(found[0]));
  }

  Result<bool> remove(TenantId t, int64_t audience_id) override {
    bool removed = false;
    UPSYNC_RETURN_IF_ERROR(store_.in_transaction([&]() -> Status {
      // A check then a delete: in the tenant's turn, as set_hybrid_settings (hybrid.cpp) finds
      // the audience and names it in its own, or both could go ahead and leave the settings
      // naming a removed audience.
      UPSYNC_RETURN_IF_ERROR(store_.take_tenant_turn(t));
      UPSYNC_ASSIGN_OR_RETURN(PgResult used,
                              db_.query("SELECT 1 FROM hybrid_settings WHERE tenant_id = $1 AND "
                                        "audience_id = $2",
                                        {t, audience_id}));
      if (used.rows() > 0) {
        return failed_precondition(
            "the tenant's hybrid settings name this audience as its hybrid users: change them "
            "or clear them first (upsync hybrid set / clear)");
      }
      UPSYNC_ASSIGN_OR_RETURN(
          int64_t n,
          db_.run("DELETE FROM audiences WHERE tenant_id = $1 AND id = $2", {t, audience_id}));
      removed = n > 0;
      return db_
          .run("DELETE FROM audience_members WHERE tenant_id = $1 AND audience_id = $2",
               {t, audience_id})
          .status();
    }));
    return removed;
  }

  Status set_members(TenantId t, int64_t audience_id,
                     const std::vector<ProfileId>& members) override {
    return store_.in_transaction([&]() -> Status {
      // The audience's row first: it is locked until the end, so that two compiles of one
      // audience take turns, and a missing audience is refused before anything is written.
      UPSYNC_ASSIGN_OR_RETURN(
          int64_t stamped,
          db_.run("UPDATE audiences SET compiled_at = $1 WHERE tenant_id = $2 AND id = $3",
                  {utc_now_iso(), t, audience_id}));
      if (stamped == 0) return not_found("no audience " + std::to_string(audience_id));
      UPSYNC_RETURN_IF_ERROR(
          db_.run("DELETE FROM audience_members WHERE tenant_id = $1 AND audience_id = $2",
                  {t, audience_id})
              .status());
      // One statement for the whole membership.
      return db_
          .run(
              "INSERT INTO audience_members (tenant_id, audience_id, profile_id) SELECT $1, $2, "
              "unnest($3::bigint[]) ON CONFLICT DO NOTHING",
              {t, audience_id, bigint_array(members)})
          .status();
    });
  }

  Result<bool> set_member(TenantId t, int64_t audience_id, ProfileId profile,
                          bool member) override {
    UPSYNC_ASSIGN_OR_RETURN(
        int64_t n, db_.run(member ? "INSERT INTO audience_members (tenant_id, audience_id, "
                                    "profile_id) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING"
                                  : "DELETE FROM audience_members WHERE tenant_id = $1 AND "
                                    "audience_id = $2 AND profile_id = $3",
                           {t, audience_id, profile}));
    return n > 0;
  }

  Status remove_profile(TenantId t, ProfileId profile) override {
    return store_.delete_audience_memberships_of(t, profile);
  }

  Result<bool> is_member(TenantId t, int64_t audience_id, ProfileId profile) override {
    UPSYNC_ASSIGN_OR_RETURN(PgResult r,
                            db_.query("SELECT 1 FROM audience_members WHERE tenant_id = $1 AND "
                                      "audience_id = $2 AND profile_id = $3",
                                      {t, audience_id, profile}));
    return r.rows() > 0;
  }

  Result<std::vector<ProfileId>> members(TenantId t, int64_t audience_id, ProfileId after_id,
                                         int limit) override {
    if (limit < 1) return invalid_argument("a page of members needs a limit of at least 1");
    UPSYNC_ASSIGN_OR_RETURN(
        PgResult r, db_.query("SELECT profile_id FROM audience_members WHERE tenant_id = $1 AND "
                              "audience_id = $2 AND profile_id > $3 ORDER BY profile_id LIMIT $4",
                              {t, audience_id, after_id, limit}));
    std::vector<ProfileId> out;
    out.reserve(static_cast<size_t>(r.rows()));
    for (int i = 0; i < r.rows(); ++i) out.push_back(r.int64(i, 0));
    return out;
  }

 private:
  Result<std::vector<Audience>> read(std::string_view where,
                                     std::initializer_list<PgParam> params) {
    UPSYNC_ASSIGN_OR_RETURN(PgResult r,
                            db_.query(std::string(kAudienceSelect) + std::string(where), params));
    std::vector<Audience> out;
    for (int i = 0; i < r.rows(); ++i) {
      Audience a;
      a.id = r.int64(i, 0);
      a.name = r.text(i, 1);
      a.description = r.text(i, 2);
      a.match = parse_audience_match(r.text(i, 3)).value_or(AudienceMatch::kAll);
      UPSYNC_ASSIGN_OR_RETURN(a.rules, decode_audience_rules(r.text(i, 4), a.name));
      a.compiled_at = r.text(i, 5);
      a.member_count = r.int64(i, 6);
      out.push_back(std::move(a));
    }
    return out;
  }

  PgStore& store_;
  PgDb& db_;
};

class PgHybridStore : public HybridStore {
 public:
  explicit PgHybridStore(PgStore& s) : db_(s.db()) {}

  Result<std::optional<HybridSettings>> get(TenantId t) override {
    UPSYNC_ASSIGN_OR_RETURN(
        PgResult r, db_.query("SELECT h.online_url, h.audience_id, a.name, h.updated_at FROM "
                              "hybrid_settings h LEFT JOIN audiences a ON a.tenant_id = "
                              "h.tenant_id AND a.id = h.audience_id WHERE h.tenant_id = $1",
                              {t}));
    if (r.rows() == 0) return std::optional<HybridSettings>();
    HybridSettings s;
    s.online_url = r.text(0, 0);
    if (!r.is_null(0, 1)) s.audience_id = r.int64(0, 1);
    s.audience_name = r.text(0, 2);
    s.updated_at = r.text(0, 3);
    return std::optional<HybridSettings>(std::move(s));
  }

  Status set(TenantId t, const HybridSettings& s) override {
    std::optional<std::string> audience;
    if (s.audience_id) audience = std::to_string(*s.audience_id);
    return db_
        .run(
            "INSERT INTO hybrid_settings (tenant_id, online_url, audience_id, updated_at) VALUES "
            "($1, $2, $3, $4) ON CONFLICT (tenant_id) DO UPDATE SET online_url = "
            "excluded.online_url, audience_id = excluded.audience_id, updated_at = "
            "excluded.updated_at",
            {t, s.online_url, audience, utc_now_iso()})
        .status();
  }

  Result<bool> clear(TenantId t) override {
    UPSYNC_ASSIGN_OR_RETURN(int64_t n,
                            db_.run("DELETE FROM hybrid_settings WHERE tenant_id = $1", {t}));
    return n > 0;
  }

 private:
  PgDb& db_;
};

}  // namespace

Status PgStore::delete_audience_memberships_of(TenantId tenant, ProfileId id) {
  return db_
      ->run("DELETE FROM audience_members WHERE tenant_id = $1 AND profile_id = $2", {tenant, id})
      .status();
}

Result<std::unique_ptr<AudienceStore>> PgStore::audience_store() {
  return std::unique_ptr<AudienceStore>(new PgAudienceStore(*this));
}

Result<std::unique_ptr<HybridStore>> PgStore::hybrid_store() {
  return std::unique_ptr<HybridStore>(new PgHybridStore(*this));
}

}  // namespace upsync
