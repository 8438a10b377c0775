// The PostgreSQL DirectoryStore (src/directory/directory_store.h): the SQLite backend's tables
// and behaviour (sqlite_directory.cpp): one row per user and layer, attributes as the
// canonical JSON text of directory/directory_codec.h (compared as stored text), change-feed
// entries through the store's sequence.
#include <rapidjson/document.h>

#include <algorithm>
#include <map>
#include <set>

#include "core/clock.h"
#include "core/text.h"
#include "directory/directory_codec.h"
#include "directory/directory_store.h"
#include "store/postgres/pg_array.h"
#include "store/postgres/pg_store.h"

namespace upsync {
namespace {

std::string_view layer_name(DirectoryLayer l) {
  return l == DirectoryLayer::kCloud ? "cloud" : "store";
}

// NULL for "": optional keys are NULL in the tables (partial indexes skip them).
PgParam key_or_null(const std::string& v) {
  if (v.empty()) return std::nullopt;
  return v;
}

// The members of group $3 in layer $2 through nested groups. UNION (not UNION ALL) keeps each
// id once, which also ends the recursion on a cycle.
constexpr std::string_view kTransitiveSql =
    "WITH RECURSIVE t(id) AS (SELECT member_id FROM directory_group_members WHERE tenant_id "
    "= $1 AND layer = $2 AND group_id = $3 UNION SELECT m.member_id FROM "
    "directory_group_members m JOIN t ON m.group_id = t.id WHERE m.tenant_id = $1 AND "
    "m.layer = $2) SELECT id FROM t WHERE id <> $3";
// The groups that hold $3 in layer $2, directly or through others.
constexpr std::string_view kAncestorsSql =
    "WITH RECURSIVE a(id) AS (SELECT group_id FROM directory_group_members WHERE tenant_id "
    "= $1 AND layer = $2 AND member_id = $3 UNION SELECT m.group_id FROM "
    "directory_group_members m JOIN a ON m.member_id = a.id WHERE m.tenant_id = $1 AND "
    "m.layer = $2) SELECT id FROM a";

// What read_user() reads, in this order.
constexpr std::string_view kUserColumns = "object_id, source_anchor, attrs, deleted, seq";

// A user's row as stored: whether there is one, its attributes, anchor and tombstone flag.
struct StoredRow {
  bool exists = false;
  std::string attrs;
  std::string source_anchor;
  bool deleted = false;
};

class PgDirectoryStore : public DirectoryStore {
 public:
  explicit PgDirectoryStore(PgStore& s) : store_(s), db_(s.db()) {}

  Result<std::optional<DirectoryUser>> user(TenantId t, DirectoryLayer l,
                                            std::string_view id) override {
    return one("object_id = $3", t, l, ascii_lower(id));
  }
  Result<std::vector<DirectoryUser>> users_with_ids(TenantId t, DirectoryLayer l,
                                                    std::span<const std::string> ids) override {
    std::vector<std::string> keys;
    keys.reserve(ids.size());
    for (const std::string& id : ids) keys.push_back(ascii_lower(id));
    return users_where_in("object_id", t, l, keys);
  }
  Result<std::vector<DirectoryUser>> users_with_anchors(
      TenantId t, DirectoryLayer l, std::span<const std::string> anchors) override {
    return users_where_in("source_anchor", t, l, {anchors.begin(), anchors.end()});
  }
  // The users of the layer whose `column` (an indexed key) is one of `values`, in object id
  // order.
  Result<std::vector<DirectoryUser>> users_where_in(std::string_view column, TenantId t,
                                                    DirectoryLayer l,
                                                    const std::vector<std::string>& values) {
    if (values.size() > kMaxUsersPerQuery) return too_many_ids(values.size());
    UPSYNC_ASSIGN_OR_RETURN(
        PgResult r, db_.query("SELECT " + std::string(kUserColumns) +
                                  " FROM directory_users WHERE tenant_id = $1 AND layer = $2 AND " +
                                  std::string(column) + " = ANY ($3::text[]) ORDER BY object_id",
                              {t, layer_name(l), pg_text_array(values)}));
    return read_users(r);
  }
  Result<std::optional<DirectoryUser>> user_by_anchor(TenantId t, DirectoryLayer l,
                                                      std::string_view anchor) override {
    return one("source_anchor = $3", t, l, std::string(anchor));
  }
  Result<std::optional<DirectoryUser>> user_by_upn(TenantId t, DirectoryLayer l,
                                                   std::string_view upn) override {
    return one("upn_key = $3 AND deleted = 0", t, l, ascii_lower(upn));
  }
  Result<std::optional<DirectoryUser>> cloud_user_by_dn(TenantId t, std::string_view dn) override {
    return one("dn_key = $3 AND deleted = 0", t, DirectoryLayer::kCloud, ascii_lower(dn));
  }

  Result<std::vector<DirectoryUser>> cloud_users_with(TenantId t, CloudKey key,
                                                      std::span<const std::string> values,
                                                      const AttributeNames* only) override {
    switch (key) {
      case CloudKey::kObjectId:
        return cloud_users("object_id", t, values, only);
      case CloudKey::kUserPrincipalName:
        return cloud_users("upn_key", t, values, only);
      case CloudKey::kMail:
        return cloud_users("mail_key", t, values, only);
    }
    return invalid_argument("unknown cloud user key");
  }
  Result<std::vector<DirectoryUser>> cloud_direct_reports(TenantId t,
                                                          std::string_view object_id) override {
    const std::string id(object_id);
    return cloud_users("manager_key", t, std::span<const std::string>(&id, 1), nullptr);
  }

  Result<PutOutcome> put(TenantId t, DirectoryLayer l, const DirectoryUser& u) override {
    const std::string attrs = encode_directory_attributes(u.attributes);
    return write_row(t, l, row_of(l, u, attrs), /*fresh=*/false);
  }

  Status add(TenantId t, DirectoryLayer l, const DirectoryUser& u) override {
    const std::string attrs = encode_directory_attributes(u.attributes);
    return write_row(t, l, row_of(l, u, attrs), /*fresh=*/true).status();
  }

  Result<std::optional<Copied>> copy_user_to_store(TenantId t, std::string_view id) override {
    const std::string object_id = ascii_lower(id);
    UPSYNC_ASSIGN_OR_RETURN(
        PgResult r,
        db_.query("SELECT COALESCE(source_anchor, ''), attrs FROM directory_users WHERE "
                  "tenant_id = $1 AND layer = 'cloud' AND object_id = $2 AND deleted = 0",
                  {t, object_id}));
    if (r.rows() == 0) return std::optional<Copied>();
    return copy_to_store(t, object_id, std::string(r.text(0, 0)), std::string(r.text(0, 1)),
                         nullptr);
  }

  // Two queries for all of them (the live cloud rows, the store rows), then the writes, sent
  // with the next statement (run_deferred).
  Result<std::vector<std::optional<Copied>>> copy_users_to_store(
      TenantId t, std::span<const std::string> ids) override {
    UPSYNC_RETURN_IF_ERROR(check_ids_to_copy(ids));
    std::vector<std::string> keys;
    keys.reserve(ids.size());
    for (const std::string& id : ids) keys.push_back(ascii_lower(id));
    const std::string array = pg_text_array(keys);
    // Each id one probe of the primary key (LATERAL): with the statistics of a store layer
    // that this transaction is filling, the planner would scan the table for the whole array
    // (32 ms a page of 1,000 in a first sync of 20,000 users).
    UPSYNC_ASSIGN_OR_RETURN(
        PgResult cloud,
        db_.query("SELECT d.object_id, COALESCE(d.source_anchor, ''), d.attrs FROM "
                  "unnest($2::text[]) AS k(id) CROSS JOIN LATERAL (SELECT object_id, "
                  "source_anchor, attrs FROM directory_users WHERE tenant_id = $1 AND layer = "
                  "'cloud' AND object_id = k.id AND deleted = 0) d",
                  {t, array}));
    UPSYNC_ASSIGN_OR_RETURN(
        PgResult store,
        db_.query("SELECT d.object_id, d.attrs, COALESCE(d.source_anchor, ''), d.deleted FROM "
                  "unnest($2::text[]) AS k(id) CROSS JOIN LATERAL (SELECT object_id, attrs, "
                  "source_anchor, deleted FROM directory_users WHERE tenant_id = $1 AND layer = "
                  "'store' AND object_id = k.id) d",
                  {t, array}));
    std::unordered_map<std::string, int> cloud_row, store_row;
    for (int i = 0; i < cloud.rows(); ++i) cloud_row.emplace(std::string(cloud.text(i, 0)), i);
    for (int i = 0; i < store.rows(); ++i) store_row.emplace(std::string(store.text(i, 0)), i);
    std::vector<std::optional<Copied>> out;
    out.reserve(keys.size());
    for (const std::string& id : keys) {
      auto c = cloud_row.find(id);
      if (c == cloud_row.end()) {
        out.emplace_back();
        continue;
      }
      StoredRow before;
      const StoredRow* known = &before;
      if (auto s = store_row.find(id); s != store_row.end()) {
        before = {true, std::string(store.text(s->second, 1)),
                  std::string(store.text(s->second, 2)), store.int64(s->second, 3) != 0};
      }
      UPSYNC_ASSIGN_OR_RETURN(auto copied,
                              copy_to_store(t, id, std::string(cloud.text(c->second, 1)),
                                            std::string(cloud.text(c->second, 2)), known));
      out.push_back(std::move(copied));
    }
    return out;
  }

  // The store layer's copy of a cloud user (its anchor and stored attributes) written;
  // `known`, when given, is the store row as it is now (else it is read).
  Result<std::optional<Copied>> copy_to_store(TenantId t, const std::string& object_id,
                                              const std::string& anchor, std::string attrs,
                                              const StoredRow* known) {
    // The stored text is the copy's when every attribute is of the fixed set (as a connector
    // and the CLI write them): then it is copied as it is, without decoding and encoding.
    rapidjson::Document doc;
    doc.Parse(attrs.data(), attrs.size());
    if (doc.HasParseError() || !doc.IsObject()) {
      return data_loss("stored directory attributes of cloud user " + object_id + " are corrupt");
    }
    Copied out;
    bool whole = true;
    for (const auto& m : doc.GetObject()) {
      const std::string_view name(m.name.GetString(), m.name.GetStringLength());
      if (!in_store_attribute_set(name)) whole = false;
      if (name == "userPrincipalName" && m.value.IsArray() && !m.value.Empty() &&
          m.value[0].IsString()) {
        out.user_principal_name.assign(m.value[0].GetString(), m.value[0].GetStringLength());
      }
    }
    if (!whole) {
      UPSYNC_ASSIGN_OR_RETURN(DirectoryAttributes a, decode_directory_attributes(attrs));
      std::erase_if(a, [](const auto& e) { return !in_store_attribute_set(e.first); });
      attrs = encode_directory_attributes(a);
    }
    UserRow row;
    row.object_id = object_id;
    row.source_anchor = anchor;
    row.upn_key = ascii_lower(out.user_principal_name);
    row.attrs = attrs;
    UPSYNC_ASSIGN_OR_RETURN(out.outcome, write_row(t, DirectoryLayer::kStore, row, false, known));
    return std::optional<Copied>(std::move(out));
  }

  Result<bool> remove(TenantId t, DirectoryLayer l, std::string_view object_id) override {
    bool changed = false;
    const std::string id = ascii_lower(object_id);
    Status s = store_.in_transaction([&]() -> Status {
      changed = false;  // the body may run again (a retried transaction)
      UPSYNC_ASSIGN_OR_RETURN(auto existing, user(t, l, id));
      if (!existing || existing->deleted) return Status::ok();
      UPSYNC_ASSIGN_OR_RETURN(const int64_t seq, store_.next_seq(t));
      UPSYNC_RETURN_IF_ERROR(db_.run("UPDATE directory_users SET deleted = 1, seq = $1 WHERE "
                                     "tenant_id = $2 AND layer = $3 AND object_id = $4",
                                     {seq, t, layer_name(l), id})
                                 .status());
      UPSYNC_RETURN_IF_ERROR(
          store_.append_change(t, directory_feed(l), seq, id, ChangeOp::kDelete, utc_now_iso()));
      UPSYNC_RETURN_IF_ERROR(leave_groups(t, l, id));
      changed = true;
      return Status::ok();
    });
    if (!s) return s;
    return changed;
  }

  Result<std::vector<DirectoryUser>> users(TenantId t, DirectoryLayer l) override {
    return live_users(t, l, "ORDER BY upn_key", {});
  }

  Result<std::vector<DirectoryUser>> users_after(TenantId t, DirectoryLayer l,
                                                 std::string_view after_object_id,
                                                 int limit) override {
    if (limit < 1) return invalid_argument("page size must be at least 1");
    // The primary key (tenant_id, layer, object_id) gives this order without a sort.
    return live_users(t, l, "AND object_id > $3 ORDER BY object_id LIMIT $4",
                      {ascii_lower(after_object_id), static_cast<int64_t>(limit)});
  }

  Result<std::vector<AnchoredId>> anchored_user_ids(TenantId t, DirectoryLayer l) override {
    UPSYNC_ASSIGN_OR_RETURN(
        PgResult r,
        db_.query("SELECT object_id, source_anchor FROM directory_users WHERE tenant_id = $1 AND "
                  "layer = $2 AND deleted = 0 AND source_anchor IS NOT NULL ORDER BY object_id",
                  {t, layer_name(l)}));
    std::vector<AnchoredId> out;
    out.reserve(r.rows());
    for (int i = 0; i < r.rows(); ++i) {
      out.push_back({std::string(r.text(i, 0)), std::string(r.text(i, 1))});
    }
    return out;
  }

  // ---- groups ----

  Result<std::optional<DirectoryGroup>> group(TenantId t, DirectoryLayer l,
                                              std::string_view id) override {
    return one_group("object_id = $3", t, l, ascii_lower(id));
  }
  Result<std::optional<DirectoryGroup>> group_by_anchor(TenantId t, DirectoryLayer l,
                                                        std::string_view anchor) override {
    return one_group("source_anchor = $3", t, l, std::string(anchor));
  }
  Result<std::optional<DirectoryGroup>> cloud_group_by_dn(TenantId t,
                                                          std::string_view dn) override {
    return one_group("dn_key = $3 AND deleted = 0", t, DirectoryLayer::kCloud, ascii_lower(dn));
  }

  Result<PutOutcome> put_group(TenantId t, DirectoryLayer l, const DirectoryGroup& g) override {
    PutOutcome outcome = PutOutcome::kUnchanged;
    const std::string id = ascii_lower(g.object_id);
    std::vector<std::string> members;
    for (const std::string& m : g.members) members.push_back(ascii_lower(m));
    std::sort(members.begin(), members.end());
    members.erase(std::unique(members.begin(), members.end()), members.end());
    std::erase(members, id);  // a group is not its own member
    Status s = store_.in_transaction([&]() -> Status {
      outcome = PutOutcome::kUnchanged;  // the body may run again (a retried transaction)
      UPSYNC_ASSIGN_OR_RETURN(auto existing, group(t, l, id));
      const std::string attrs = encode_directory_attributes(g.attributes);
      const bool live = existing && !existing->deleted;
      if (live && encode_directory_attributes(existing->attributes) == attrs &&
          existing->source_anchor == g.source_anchor && existing->members == members) {
        return Status::ok();
      }
      outcome = live ? PutOutcome::kUpdated : PutOutcome::kAdded;
      UPSYNC_ASSIGN_OR_RETURN(const int64_t seq, store_.next_seq(t));
      const std::string dn = l == DirectoryLayer::kCloud ? g.first("distinguishedName") : "";
      UPSYNC_RETURN_IF_ERROR(
          db_.run("INSERT INTO directory_groups (tenant_id, layer, object_id, source_anchor, "
                  "name_key, dn_key, attrs, deleted, seq) VALUES ($1, $2, $3, $4, $5, $6, $7, 0, "
                  "$8) ON CONFLICT (tenant_id, layer, object_id) DO UPDATE SET source_anchor = "
                  "$4, name_key = $5, dn_key = $6, attrs = $7, deleted = 0, seq = $8",
                  {t, layer_name(l), id, key_or_null(g.source_anchor),
                   ascii_lower(g.first("displayName")), key_or_null(ascii_lower(dn)), attrs, seq})
              .status());
      if (l == DirectoryLayer::kCloud) {
        UPSYNC_RETURN_IF_ERROR(log_member_changes(
            t, id, seq, live ? existing->members : std::vector<std::string>(), members));
      }
      UPSYNC_RETURN_IF_ERROR(clear_members(t, l, id));
      if (!members.empty()) {
        // One statement for the whole list: the members go as one array parameter.
        UPSYNC_RETURN_IF_ERROR(
            db_.run("INSERT INTO directory_group_members (tenant_id, layer, group_id, member_id) "
                    "SELECT $1::bigint, $2::text, $3::text, m FROM unnest($4::text[]) AS m",
                    {t, layer_name(l), id, pg_text_array(members)})
                .status());
      }
      UPSYNC_RETURN_IF_ERROR(store_.append_change(t, directory_groups_feed(l), seq, id,
                                                  ChangeOp::kUpsert, utc_now_iso()));
      // The people picker offers SharePoint's copy of the directory's groups.
      if (l != DirectoryLayer::kStore) return Status::ok();
      return store_.index_group(t, id, g.first("displayName"), g.first("mail"),
                                g.flag("securityEnabled", true));
    });
    if (!s) return s;
    return outcome;
  }

  Result<bool> remove_group(TenantId t, DirectoryLayer l, std::string_view object_id) override {
    bool changed = false;
    const std::string id = ascii_lower(object_id);
    Status s = store_.in_transaction([&]() -> Status {
      changed = false;  // the body may run again (a retried transaction)
      UPSYNC_ASSIGN_OR_RETURN(auto existing, group(t, l, id));
      if (!existing || existing->deleted) return Status::ok();
      UPSYNC_ASSIGN_OR_RETURN(const int64_t seq, store_.next_seq(t));
      UPSYNC_RETURN_IF_ERROR(db_.run("UPDATE directory_groups SET deleted = 1, seq = $1 WHERE "
                                     "tenant_id = $2 AND layer = $3 AND object_id = $4",
                                     {seq, t, layer_name(l), id})
                                 .status());
      UPSYNC_RETURN_IF_ERROR(clear_members(t, l, id));
      UPSYNC_RETURN_IF_ERROR(store_.append_change(t, directory_groups_feed(l), seq, id,
                                                  ChangeOp::kDelete, utc_now_iso()));
      UPSYNC_RETURN_IF_ERROR(leave_groups(t, l, id));
      if (l == DirectoryLayer::kStore) UPSYNC_RETURN_IF_ERROR(store_.unindex_group(t, id));
      changed = true;
      return Status::ok();
    });
    if (!s) return s;
    return changed;
  }

  Result<std::vector<DirectoryGroup>> groups(TenantId t, DirectoryLayer l) override {
    return many_groups("deleted = 0 ORDER BY name_key, object_id", t, l, {});
  }
  Result<std::vector<DirectoryGroup>> groups_after(TenantId t, DirectoryLayer l,
                                                   std::string_view after_object_id,
                                                   int limit) override {
    if (limit < 1) return invalid_argument("page size must be at least 1");
    return many_groups("deleted = 0 AND object_id > $3 ORDER BY object_id LIMIT $4", t, l,
                       {ascii_lower(after_object_id), static_cast<int64_t>(limit)});
  }
  Result<std::vector<DirectoryGroup>> anchored_groups(TenantId t, DirectoryLayer l) override {
    return many_groups("deleted = 0 AND source_anchor IS NOT NULL ORDER BY object_id", t, l, {});
  }
  Result<std::vector<DirectoryGroup>> member_of(TenantId t, DirectoryLayer l,
                                                std::string_view object_id) override {
    return many_groups(
        "deleted = 0 AND object_id IN (SELECT group_id FROM directory_group_members WHERE "
        "tenant_id = $1 AND layer = $2 AND member_id = $3) ORDER BY name_key, object_id",
        t, l, {ascii_lower(object_id)});
  }

  Result<std::vector<std::string>> transitive_members(TenantId t, DirectoryLayer l,
                                                      std::string_view group_id) override {
    if (l == DirectoryLayer::kStore) {
      return ids(
          "SELECT member_id FROM directory_transitive_members WHERE tenant_id = $1 AND "
          "group_id = $2 ORDER BY member_id",
          {t, ascii_lower(group_id)});
    }
    return ids(std::string(kTransitiveSql) + " ORDER BY id",
               {t, layer_name(l), ascii_lower(group_id)});
  }

  Result<int64_t> resolve_transitive_members(TenantId t,
                                             const std::vector<std::string>& group_ids) override {
    // The groups whose closure may have changed: the given ones, the groups that held them
    // before (the stored closure) and those that hold them now (the member rows).
    std::set<std::string> affected;
    for (const std::string& raw : group_ids) {
      const std::string id = ascii_lower(raw);
      affected.insert(id);
      UPSYNC_ASSIGN_OR_RETURN(auto before, ids("SELECT group_id FROM directory_transitive_members "
                                               "WHERE tenant_id = $1 AND member_id = $2",
                                               {t, id}));
      affected.insert(before.begin(), before.end());
      UPSYNC_ASSIGN_OR_RETURN(auto now, ids(kAncestorsSql, {t, "store", id}));
      affected.insert(now.begin(), now.end());
    }
    int64_t resolved = 0;
    for (const std::string& id : affected) {
      UPSYNC_RETURN_IF_ERROR(db_.run("DELETE FROM directory_transitive_members WHERE tenant_id = "
                                     "$1 AND group_id = $2",
                                     {t, id})
                                 .status());
      UPSYNC_ASSIGN_OR_RETURN(auto g, group(t, DirectoryLayer::kStore, id));
      if (!g || g->deleted) continue;
      UPSYNC_RETURN_IF_ERROR(
          db_.run("INSERT INTO directory_transitive_members (tenant_id, group_id, member_id) "
                  "SELECT $1::bigint, $3::text, id FROM (" +
                      std::string(kTransitiveSql) + ") AS closure",
                  {t, "store", id})
              .status());
      ++resolved;
    }
    return resolved;
  }

  Result<std::vector<MemberChange>> member_changes(TenantId t, std::string_view group_id,
                                                   int64_t after_seq, int64_t upto_seq) override {
    UPSYNC_ASSIGN_OR_RETURN(
        PgResult r,
        db_.query("SELECT member_id, removed FROM directory_member_changes WHERE tenant_id = $1 "
                  "AND group_id = $2 AND seq > $3 AND seq <= $4 ORDER BY seq",
                  {t, ascii_lower(group_id), after_seq, upto_seq}));
    std::map<std::string, bool> last;  // member id -> removed, the latest change winning
    for (int i = 0; i < r.rows(); ++i) last[std::string(r.text(i, 0))] = r.int64(i, 1) != 0;
    std::vector<MemberChange> out;
    for (auto& [id, removed] : last) out.push_back({id, removed});
    return out;
  }

  Result<std::optional<DirectoryObject>> object(TenantId t, DirectoryLayer l,
                                                std::string_view object_id) override {
    UPSYNC_ASSIGN_OR_RETURN(auto u, user(t, l, object_id));
    if (u && !u->deleted) return std::optional<DirectoryObject>(DirectoryObject{std::move(u), {}});
    UPSYNC_ASSIGN_OR_RETURN(auto g, group(t, l, object_id));
    if (g && !g->deleted) return std::optional<DirectoryObject>(DirectoryObject{{}, std::move(g)});
    return std::optional<DirectoryObject>();
  }

 private:
  // A user's row as write_row() stores it; the keys are lower case, "" for NULL.
  struct UserRow {
    std::string object_id;
    std::string source_anchor;
    std::string upn_key;
    std::string_view attrs;  // encode_directory_attributes()'s text
    // Only the cloud layer is searched by DN, manager and mail.
    std::string dn_key;
    std::string manager_key;
    std::string mail_key;
  };

  static UserRow row_of(DirectoryLayer l, const DirectoryUser& u, std::string_view attrs) {
    UserRow row;
    row.object_id = ascii_lower(u.object_id);
    row.source_anchor = u.source_anchor;
    row.upn_key = ascii_lower(u.first("userPrincipalName"));
    row.attrs = attrs;
    if (l == DirectoryLayer::kCloud) {
      row.dn_key = ascii_lower(u.first("distinguishedName"));
      row.manager_key = ascii_lower(u.first("manager"));
      row.mail_key = ascii_lower(u.first("mail"));
    }
    return row;
  }

  // Writes the row unless the layer has it already, as it is (compared as stored text: the
  // encoding is canonical, with sorted keys). A `fresh` row's object id is new to the layer:
  // it is not looked for.
  // Writes the row unless the layer holds it as it is; `known`, when given, is the stored row
  // as the caller read it in this transaction (else it is read here).
  Result<PutOutcome> write_row(TenantId t, DirectoryLayer l, const UserRow& row, bool fresh,
                               const StoredRow* known = nullptr) {
    PutOutcome outcome = PutOutcome::kAdded;
    Status s = store_.in_transaction([&]() -> Status {
      outcome = PutOutcome::kAdded;  // the body may run again (a retried transaction)
      if (!fresh) {
        StoredRow read;
        if (!known) {
          UPSYNC_ASSIGN_OR_RETURN(
              PgResult r, db_.query("SELECT attrs, COALESCE(source_anchor, ''), deleted FROM "
                                    "directory_users WHERE tenant_id = $1 AND layer = $2 AND "
                                    "object_id = $3",
                                    {t, layer_name(l), row.object_id}));
          if (r.rows() > 0) {
            read = {true, std::string(r.text(0, 0)), std::string(r.text(0, 1)), r.int64(0, 2) != 0};
          }
        }
        const StoredRow& stored = known ? *known : read;
        const bool live = stored.exists && !stored.deleted;
        if (live && stored.attrs == row.attrs && stored.source_anchor == row.source_anchor) {
          outcome = PutOutcome::kUnchanged;
          return Status::ok();
        }
        outcome = live ? PutOutcome::kUpdated : PutOutcome::kAdded;
      }
      UPSYNC_ASSIGN_OR_RETURN(const int64_t seq, store_.next_seq(t));
      // A fresh row is inserted; any other inserted or updated (a tombstone comes back).
      static constexpr std::string_view kInsert =
          "INSERT INTO directory_users (tenant_id, layer, object_id, source_anchor, upn_key, "
          "attrs, deleted, seq, dn_key, manager_key, mail_key) VALUES ($1, $2, $3, $4, $5, $6, "
          "0, $7, $8, $9, $10)";
      static constexpr std::string_view kUpsert =
          "INSERT INTO directory_users (tenant_id, layer, object_id, source_anchor, upn_key, "
          "attrs, deleted, seq, dn_key, manager_key, mail_key) VALUES ($1, $2, $3, $4, $5, $6, "
          "0, $7, $8, $9, $10) ON CONFLICT (tenant_id, layer, object_id) DO UPDATE SET "
          "source_anchor = $4, upn_key = $5, attrs = $6, deleted = 0, seq = $7, dn_key = $8, "
          "manager_key = $9, mail_key = $10";
      const std::initializer_list<PgParam> params = {t,
                                                     layer_name(l),
                                                     row.object_id,
                                                     key_or_null(row.source_anchor),
                                                     row.upn_key,
                                                     row.attrs,
                                                     seq,
                                                     key_or_null(row.dn_key),
                                                     key_or_null(row.manager_key),
                                                     key_or_null(row.mail_key)};
      if (fresh) {
        // In a savepoint of its own: a duplicate is a message for the caller, and the
        // transaction it is in goes on.
        Status written =
            store_.in_transaction([&]() -> Status { return db_.run(kInsert, params).status(); });
        if (written.code() == StatusCode::kAlreadyExists) {
          return already_exists("directory layer '" + std::string(layer_name(l)) +
                                "' already has object id " + row.object_id + " or source anchor '" +
                                row.source_anchor + "'");
        }
        UPSYNC_RETURN_IF_ERROR(written);
      } else {
        // Sent with the next statement (PgDb::run_deferred): a sync writes a user per lookup.
        UPSYNC_RETURN_IF_ERROR(db_.run_deferred(kUpsert, params));
      }
      return store_.append_change(t, directory_feed(l), seq, row.object_id, ChangeOp::kUpsert,
                                  utc_now_iso());
    });
    if (!s) return s;
    return outcome;
  }

  // The live cloud users whose `column` is one of `values` (lower-cased), in object id order.
  Result<std::vector<DirectoryUser>> cloud_users(std::string_view column, TenantId t,
                                                 std::span<const std::string> values,
                                                 const AttributeNames* only) {
    std::vector<std::string> keys;
    keys.reserve(values.size());
    for (const std::string& v : values) keys.push_back(ascii_lower(v));
    return live_users(t, DirectoryLayer::kCloud,
                      "AND " + std::string(column) + " = ANY ($3::text[]) ORDER BY object_id",
                      {pg_text_array(keys)}, only);
  }

  // Records the members `after` has and `before` has not (added), and the reverse
  // (removed); both lists sorted.
  Status log_member_changes(TenantId t, const std::string& group_id, int64_t seq,
                            const std::vector<std::string>& before,
                            const std::vector<std::string>& after) {
    std::vector<std::string> added, removed;
    std::set_difference(after.begin(), after.end(), before.begin(), before.end(),
                        std::back_inserter(added));
    std::set_difference(before.begin(), before.end(), after.begin(), after.end(),
                        std::back_inserter(removed));
    for (const auto* list : {&added, &removed}) {
      if (list->empty()) continue;
      UPSYNC_RETURN_IF_ERROR(
          db_.run("INSERT INTO directory_member_changes (tenant_id, group_id, seq, member_id, "
                  "removed) SELECT $1::bigint, $2::text, $3::bigint, m, $4::bigint FROM "
                  "unnest($5::text[]) AS m",
                  {t, group_id, seq, list == &removed ? 1 : 0, pg_text_array(*list)})
              .status());
    }
    return Status::ok();
  }

  Status clear_members(TenantId t, DirectoryLayer l, const std::string& group_id) {
    return db_
        .run(
            "DELETE FROM directory_group_members WHERE tenant_id = $1 AND layer = $2 AND "
            "group_id = $3",
            {t, layer_name(l), group_id})
        .status();
  }

  // A removed object leaves every group that held it; each such group records a change.
  Status leave_groups(TenantId t, DirectoryLayer l, const std::string& id) {
    UPSYNC_ASSIGN_OR_RETURN(auto holders, member_of(t, l, id));
    for (DirectoryGroup& g : holders) {
      std::erase(g.members, id);
      UPSYNC_RETURN_IF_ERROR(put_group(t, l, g).status());
    }
    return Status::ok();
  }

  Result<std::vector<std::string>> ids(std::string_view sql,
                                       std::initializer_list<PgParam> params) {
    UPSYNC_ASSIGN_OR_RETURN(PgResult r, db_.query(sql, params));
    std::vector<std::string> out;
    out.reserve(r.rows());
    for (int i = 0; i < r.rows(); ++i) out.emplace_back(r.text(i, 0));
    return out;
  }

  // The groups of the layer where `where` holds ($1 the tenant, $2 the layer, then `more`),
  // with their members: one query for the rows and one for all of their members.
  Result<std::vector<DirectoryGroup>> many_groups(const std::string& where, TenantId t,
                                                  DirectoryLayer l, std::vector<PgParam> more) {
    std::vector<PgParam> params = {t, layer_name(l)};
    params.insert(params.end(), more.begin(), more.end());
    UPSYNC_ASSIGN_OR_RETURN(
        PgResult r, db_.query("SELECT object_id, COALESCE(source_anchor, ''), attrs, deleted, seq "
                              "FROM directory_groups WHERE tenant_id = $1 AND layer = $2 AND " +
                                  where,
                              params));
    std::vector<DirectoryGroup> out;
    out.reserve(r.rows());
    std::vector<std::string> group_ids;
    for (int i = 0; i < r.rows(); ++i) {
      DirectoryGroup g;
      g.object_id = r.text(i, 0);
      g.source_anchor = r.text(i, 1);
      UPSYNC_ASSIGN_OR_RETURN(g.attributes, decode_directory_attributes(r.text(i, 2)));
      g.deleted = r.int64(i, 3) != 0;
      g.seq = r.int64(i, 4);
      group_ids.push_back(g.object_id);
      out.push_back(std::move(g));
    }
    if (out.empty()) return out;
    UPSYNC_ASSIGN_OR_RETURN(
        PgResult m, db_.query("SELECT group_id, member_id FROM directory_group_members WHERE "
                              "tenant_id = $1 AND layer = $2 AND group_id = ANY($3::text[]) "
                              "ORDER BY group_id, member_id",
                              {t, layer_name(l), pg_text_array(group_ids)}));
    std::map<std::string_view, DirectoryGroup*> by_id;
    for (DirectoryGroup& g : out) by_id[g.object_id] = &g;
    for (int i = 0; i < m.rows(); ++i) {
      auto it = by_id.find(m.text(i, 0));
      if (it != by_id.end()) it->second->members.emplace_back(m.text(i, 1));
    }
    return out;
  }

  Result<std::optional<DirectoryGroup>> one_group(const std::string& where, TenantId t,
                                                  DirectoryLayer l, const std::string& v) {
    UPSYNC_ASSIGN_OR_RETURN(auto found, many_groups(where + " LIMIT 1", t, l, {v}));
    if (found.empty()) return std::optional<DirectoryGroup>();
    return std::optional<DirectoryGroup>(std::move(found[0]));
  }

  // The live users of the layer ($1 the tenant, $2 the layer, then `more`); `tail` goes on
  // after the WHERE clause's "deleted = 0". With `only`, just those attributes are read.
  Result<std::vector<DirectoryUser>> live_users(TenantId t, DirectoryLayer l,
                                                const std::string& tail, std::vector<PgParam> more,
                                                const AttributeNames* only = nullptr) {
    std::vector<PgParam> params = {t, layer_name(l)};
    params.insert(params.end(), more.begin(), more.end());
    UPSYNC_ASSIGN_OR_RETURN(
        PgResult r, db_.query("SELECT " + std::string(kUserColumns) +
                                  " FROM directory_users WHERE tenant_id = $1 AND layer = $2 "
                                  "AND deleted = 0 " +
                                  tail,
                              params));
    return read_users(r, only);
  }

  static Result<std::vector<DirectoryUser>> read_users(const PgResult& r,
                                                       const AttributeNames* only = nullptr) {
    std::vector<DirectoryUser> out;
    out.reserve(r.rows());
    for (int i = 0; i < r.rows(); ++i) {
      DirectoryUser u;
      u.object_id = r.text(i, 0);
      u.source_anchor = r.text(i, 1);
      UPSYNC_ASSIGN_OR_RETURN(u.attributes, decode_directory_attributes(r.text(i, 2), only));
      u.deleted = r.int64(i, 3) != 0;
      u.seq = r.int64(i, 4);
      out.push_back(std::move(u));
    }
    return out;
  }

  // The first user of the layer where `where` holds ($3 is `v`).
  Result<std::optional<DirectoryUser>> one(const std::string& where, TenantId t, DirectoryLayer l,
                                           const std::string& v) {
    UPSYNC_ASSIGN_OR_RETURN(
        PgResult r, db_.query("SELECT " + std::string(kUserColumns) +
                                  " FROM directory_users WHERE tenant_id = $1 AND layer = $2 "
                                  "AND " +
                                  where + " LIMIT 1",
                              {t, layer_name(l), v}));
    UPSYNC_ASSIGN_OR_RETURN(auto users, read_users(r));
    if (users.empty()) return std::optional<DirectoryUser>();
    return std::optional<DirectoryUser>(std::move(users[0]));
  }

  PgStore& store_;
  PgDb& db_;
};

}  // namespace

Result<std::unique_ptr<DirectoryStore>> PgStore::directory_store() {
  return std::unique_ptr<DirectoryStore>(new PgDirectoryStore(*this));
}

}  // namespace upsync
