// The SQLite DirectoryStore (src/directory/directory_store.h): one row per user and layer,
// attributes as a JSON object (directory/directory_codec.h), change-feed entries through the
// store's sequence.
#include <rapidjson/document.h>

#include <algorithm>
#include <nlohmann/json.hpp>
#include <set>

#include "core/clock.h"
#include "core/text.h"
#include "directory/directory_codec.h"
#include "directory/directory_store.h"
#include "store/sqlite/sqlite_store.h"

namespace upsync {
namespace {

std::string_view layer_name(DirectoryLayer l) {
  return l == DirectoryLayer::kCloud ? "cloud" : "store";
}

}  // namespace

std::string cloud_users_sql(std::string_view key) {
  // Without statistics SQLite's planner would rather walk every user of the layer in key
  // order than search the UPN or mail index: INDEXED BY makes it search.
  std::string from = "directory_users";
  std::string column;
  if (key == "id") {
    column = "object_id";
  } else if (key == "userPrincipalName") {
    from += " INDEXED BY directory_users_by_upn";
    column = "upn_key";
  } else if (key == "mail") {
    from += " INDEXED BY directory_users_by_mail";
    column = "mail_key";
  } else {
    // A partial index: the planner uses it once the query says manager_key is not NULL.
    from += " INDEXED BY directory_users_by_manager";
    column = "manager_key IS NOT NULL AND manager_key";
  }
  return "SELECT object_id, source_anchor, attrs, deleted, seq FROM " + from +
         " WHERE tenant_id = ?1 AND layer = 'cloud' AND " + column +
         " IN (SELECT value FROM json_each(?2)) AND deleted = 0";
}

namespace {

class SqliteDirectoryStore : public DirectoryStore {
 public:
  explicit SqliteDirectoryStore(SqliteStore& s) : store_(s), db_(s.db()) {}

  Result<std::optional<DirectoryUser>> user(TenantId t, DirectoryLayer l,
                                            std::string_view id) override {
    return one("object_id = ?", t, l, ascii_lower(id));
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
    return users_where_in("source_anchor", t, l, anchors);
  }
  // The users of the layer whose `column` (an indexed key) is one of `values`, in object id
  // order.
  Result<std::vector<DirectoryUser>> users_where_in(std::string_view column, TenantId t,
                                                    DirectoryLayer l,
                                                    std::span<const std::string> values) {
    if (values.size() > kMaxUsersPerQuery) return too_many_ids(values.size());
    nlohmann::json keys = nlohmann::json::array();
    for (const std::string& v : values) keys.push_back(v);
    UPSYNC_ASSIGN_OR_RETURN(
        auto* q, db_.prepare("SELECT object_id, source_anchor, attrs, deleted, seq FROM "
                             "directory_users WHERE tenant_id = ?1 AND layer = ?2 AND " +
                             std::string(column) + " IN (SELECT value FROM json_each(?3))"));
    q->bind(1, t);
    q->bind(2, layer_name(l));
    q->bind(3, keys.dump());
    UPSYNC_ASSIGN_OR_RETURN(std::vector<DirectoryUser> out, read_all(*q));
    // Sorted here, as cloud_users() does: each id stays one search of the primary key.
    std::sort(out.begin(), out.end(), [](const DirectoryUser& a, const DirectoryUser& b) {
      return a.object_id < b.object_id;
    });
    return out;
  }
  Result<std::optional<DirectoryUser>> user_by_anchor(TenantId t, DirectoryLayer l,
                                                      std::string_view anchor) override {
    return one("source_anchor = ?", t, l, std::string(anchor));
  }
  Result<std::optional<DirectoryUser>> user_by_upn(TenantId t, DirectoryLayer l,
                                                   std::string_view upn) override {
    return one("upn_key = ? AND deleted = 0", t, l, ascii_lower(upn));
  }

  Result<std::optional<DirectoryUser>> cloud_user_by_dn(TenantId t, std::string_view dn) override {
    return one("dn_key = ? AND deleted = 0", t, DirectoryLayer::kCloud, ascii_lower(dn));
  }
  Result<std::vector<DirectoryUser>> cloud_users_with(TenantId t, CloudKey key,
                                                      std::span<const std::string> values,
                                                      const AttributeNames* only) override {
    switch (key) {
      case CloudKey::kObjectId:
        return cloud_users("id", t, values, only);
      case CloudKey::kUserPrincipalName:
        return cloud_users("userPrincipalName", t, values, only);
      case CloudKey::kMail:
        return cloud_users("mail", t, values, only);
    }
    return invalid_argument("unknown cloud user key");
  }
  Result<std::vector<DirectoryUser>> cloud_direct_reports(TenantId t,
                                                          std::string_view object_id) override {
    const std::string id(object_id);
    return cloud_users("manager", t, std::span<const std::string>(&id, 1), nullptr);
  }
  Result<PutOutcome> put(TenantId t, DirectoryLayer l, const DirectoryUser& u) override {
    const std::string attrs = encode_directory_attributes(u.attributes);
    return write_row(t, l, row_of(l, u, attrs), /*fresh=*/false);
  }

  Status add(TenantId t, DirectoryLayer l, const DirectoryUser& u) override {
    const std::string attrs = encode_directory_attributes(u.attributes);
    return write_row(t, l, row_of(l, u, attrs), /*fresh=*/true).status();
  }

  // SQLite reads in process: a query per user costs no round trip.
  Result<std::vector<std::optional<Copied>>> copy_users_to_store(
      TenantId t, std::span<const std::string> ids) override {
    UPSYNC_RETURN_IF_ERROR(check_ids_to_copy(ids));
    std::vector<std::optional<Copied>> out;
    out.reserve(ids.size());
    for (const std::string& id : ids) {
      UPSYNC_ASSIGN_OR_RETURN(auto copied, copy_user_to_store(t, id));
      out.push_back(std::move(copied));
    }
    return out;
  }

  Result<std::optional<Copied>> copy_user_to_store(TenantId t, std::string_view id) override {
    const std::string object_id = ascii_lower(id);
    UPSYNC_ASSIGN_OR_RETURN(
        auto* q, db_.prepare("SELECT source_anchor, attrs FROM directory_users WHERE tenant_id = ? "
                             "AND layer = 'cloud' AND object_id = ? AND deleted = 0"));
    q->bind(1, t);
    q->bind(2, object_id);
    UPSYNC_ASSIGN_OR_RETURN(bool found, q->step());
    if (!found) {
      q->reset();
      return std::optional<Copied>();
    }
    const std::string anchor(q->column_text(0));
    std::string attrs(q->column_text(1));
    q->reset();
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
    UPSYNC_ASSIGN_OR_RETURN(out.outcome, write_row(t, DirectoryLayer::kStore, row, false));
    return std::optional<Copied>(std::move(out));
  }

  Result<bool> remove(TenantId t, DirectoryLayer l, std::string_view id) override {
    bool changed = false;
    Status s = store_.in_transaction([&]() -> Status {
      UPSYNC_ASSIGN_OR_RETURN(auto existing, user(t, l, id));
      if (!existing || existing->deleted) return Status::ok();
      UPSYNC_ASSIGN_OR_RETURN(const int64_t seq, store_.next_seq(t));
      UPSYNC_ASSIGN_OR_RETURN(auto* w,
                              db_.prepare("UPDATE directory_users SET deleted = 1, seq = ? WHERE "
                                          "tenant_id = ? AND layer = ? AND object_id = ?"));
      w->bind(1, seq);
      w->bind(2, t);
      w->bind(3, layer_name(l));
      w->bind(4, ascii_lower(id));
      UPSYNC_RETURN_IF_ERROR(w->run());
      UPSYNC_RETURN_IF_ERROR(store_.append_change(t, directory_feed(l), seq, ascii_lower(id),
                                                  ChangeOp::kDelete, utc_now_iso()));
      UPSYNC_RETURN_IF_ERROR(leave_groups(t, l, ascii_lower(id)));
      changed = true;
      return Status::ok();
    });
    if (!s) return s;
    return changed;
  }

  Result<std::vector<DirectoryUser>> users(TenantId t, DirectoryLayer l) override {
    return many(t, l, "ORDER BY upn_key");
  }

  Result<std::vector<DirectoryUser>> users_after(TenantId t, DirectoryLayer l,
                                                 std::string_view after_object_id,
                                                 int limit) override {
    if (limit < 1) return invalid_argument("page size must be at least 1");
    // The primary key (tenant_id, layer, object_id) gives this order without a sort.
    UPSYNC_ASSIGN_OR_RETURN(
        auto* q, live_users(kUserColumns, t, l, "AND object_id > ?3 ORDER BY object_id LIMIT ?4"));
    q->bind(3, ascii_lower(after_object_id));
    q->bind(4, static_cast<int64_t>(limit));
    return read_all(*q);
  }

  Result<std::vector<AnchoredId>> anchored_user_ids(TenantId t, DirectoryLayer l) override {
    UPSYNC_ASSIGN_OR_RETURN(auto* q,
                            live_users("object_id, source_anchor", t, l,
                                       "AND source_anchor IS NOT NULL ORDER BY object_id"));
    std::vector<AnchoredId> out;
    while (true) {
      auto row = q->step();
      if (!row || !*row) {
        q->reset();
        if (!row) return row.status();
        return out;
      }
      out.push_back({std::string(q->column_text(0)), std::string(q->column_text(1))});
    }
  }

  // ---- groups ----

  Result<std::optional<DirectoryGroup>> group(TenantId t, DirectoryLayer l,
                                              std::string_view id) override {
    return one_group("object_id = ?3", t, l, ascii_lower(id));
  }
  Result<std::optional<DirectoryGroup>> group_by_anchor(TenantId t, DirectoryLayer l,
                                                        std::string_view anchor) override {
    return one_group("source_anchor = ?3", t, l, std::string(anchor));
  }
  Result<std::optional<DirectoryGroup>> cloud_group_by_dn(TenantId t,
                                                          std::string_view dn) override {
    return one_group("dn_key = ?3 AND deleted = 0", t, DirectoryLayer::kCloud, ascii_lower(dn));
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
      UPSYNC_ASSIGN_OR_RETURN(auto existing, group(t, l, id));
      const std::string attrs = encode_directory_attributes(g.attributes);
      const bool live = existing && !existing->deleted;
      if (live && encode_directory_attributes(existing->attributes) == attrs &&
          existing->source_anchor == g.source_anchor && existing->members == members) {
        return Status::ok();
      }
      outcome = live ? PutOutcome::kUpdated : PutOutcome::kAdded;
      UPSYNC_ASSIGN_OR_RETURN(const int64_t seq, store_.next_seq(t));
      UPSYNC_ASSIGN_OR_RETURN(
          auto* w, db_.prepare("INSERT INTO directory_groups (tenant_id, layer, object_id, "
                               "source_anchor, name_key, dn_key, attrs, deleted, seq) VALUES (?1, "
                               "?2, ?3, ?4, ?5, ?6, ?7, 0, ?8) ON CONFLICT (tenant_id, layer, "
                               "object_id) DO UPDATE SET source_anchor = ?4, name_key = ?5, "
                               "dn_key = ?6, attrs = ?7, deleted = 0, seq = ?8"));
      w->bind(1, t);
      w->bind(2, layer_name(l));
      w->bind(3, id);
      if (g.source_anchor.empty()) {
        w->bind_null(4);
      } else {
        w->bind(4, g.source_anchor);
      }
      w->bind(5, ascii_lower(g.first("displayName")));
      const std::string dn = l == DirectoryLayer::kCloud ? g.first("distinguishedName") : "";
      if (dn.empty()) {
        w->bind_null(6);
      } else {
        w->bind(6, ascii_lower(dn));
      }
      w->bind(7, attrs);
      w->bind(8, seq);
      UPSYNC_RETURN_IF_ERROR(w->run());
      if (l == DirectoryLayer::kCloud) {
        UPSYNC_RETURN_IF_ERROR(log_member_changes(
            t, id, seq, live ? existing->members : std::vector<std::string>(), members));
      }
      UPSYNC_RETURN_IF_ERROR(clear_members(t, l, id));
      UPSYNC_ASSIGN_OR_RETURN(auto* m, db_.prepare("INSERT INTO directory_group_members "
                                                   "(tenant_id, layer, group_id, member_id) "
                                                   "VALUES (?, ?, ?, ?)"));
      for (const std::string& member : members) {
        m->bind(1, t);
        m->bind(2, layer_name(l));
        m->bind(3, id);
        m->bind(4, member);
        UPSYNC_RETURN_IF_ERROR(m->run());
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
      UPSYNC_ASSIGN_OR_RETURN(auto existing, group(t, l, id));
      if (!existing || existing->deleted) return Status::ok();
      UPSYNC_ASSIGN_OR_RETURN(const int64_t seq, store_.next_seq(t));
      UPSYNC_ASSIGN_OR_RETURN(auto* w,
                              db_.prepare("UPDATE directory_groups SET deleted = 1, seq = ? WHERE "
                                          "tenant_id = ? AND layer = ? AND object_id = ?"));
      w->bind(1, seq);
      w->bind(2, t);
      w->bind(3, layer_name(l));
      w->bind(4, id);
      UPSYNC_RETURN_IF_ERROR(w->run());
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
    return many_groups("deleted = 0 ORDER BY name_key, object_id", t, l, "");
  }
  Result<std::vector<DirectoryGroup>> groups_after(TenantId t, DirectoryLayer l,
                                                   std::string_view after_object_id,
                                                   int limit) override {
    if (limit < 1) return invalid_argument("page size must be at least 1");
    return many_groups(
        "deleted = 0 AND object_id > ?3 ORDER BY object_id LIMIT " + std::to_string(limit), t, l,
        ascii_lower(after_object_id));
  }
  Result<std::vector<DirectoryGroup>> anchored_groups(TenantId t, DirectoryLayer l) override {
    return many_groups("deleted = 0 AND source_anchor IS NOT NULL", t, l, "");
  }
  Result<std::vector<DirectoryGroup>> member_of(TenantId t, DirectoryLayer l,
                                                std::string_view object_id) override {
    return many_groups(
        "deleted = 0 AND object_id IN (SELECT group_id FROM directory_group_members WHERE "
        "tenant_id = ?1 AND layer = ?2 AND member_id = ?3) ORDER BY name_key, object_id",
        t, l, ascii_lower(object_id));
  }

  Result<std::vector<std::string>> transitive_members(TenantId t, DirectoryLayer l,
                                                      std::string_view group_id) override {
    const std::string sql =
        l == DirectoryLayer::kStore
            ? "SELECT member_id FROM directory_transitive_members WHERE tenant_id = ?1 AND "
              "group_id = ?3 AND ?2 = 'store' ORDER BY member_id"
            : std::string(kTransitiveSql) + " ORDER BY id";
    return ids(sql, t, layer_name(l), ascii_lower(group_id));
  }

  Result<int64_t> resolve_transitive_members(TenantId t,
                                             const std::vector<std::string>& group_ids) override {
    // The groups whose closure may have changed: the given ones, the groups that held them
    // before (the stored closure) and those that hold them now (the member rows).
    std::set<std::string> affected;
    for (const std::string& raw : group_ids) {
      const std::string id = ascii_lower(raw);
      affected.insert(id);
      UPSYNC_ASSIGN_OR_RETURN(
          auto before, ids("SELECT group_id FROM directory_transitive_members WHERE tenant_id = ?1 "
                           "AND member_id = ?3 AND ?2 = 'store'",
                           t, "store", id));
      affected.insert(before.begin(), before.end());
      UPSYNC_ASSIGN_OR_RETURN(auto now, ids(kAncestorsSql, t, "store", id));
      affected.insert(now.begin(), now.end());
    }
    int64_t resolved = 0;
    for (const std::string& id : affected) {
      UPSYNC_ASSIGN_OR_RETURN(auto* d, db_.prepare("DELETE FROM directory_transitive_members "
                                                   "WHERE tenant_id = ? AND group_id = ?"));
      d->bind(1, t);
      d->bind(2, id);
      UPSYNC_RETURN_IF_ERROR(d->run());
      UPSYNC_ASSIGN_OR_RETURN(auto g, group(t, DirectoryLayer::kStore, id));
      if (!g || g->deleted) continue;
      UPSYNC_ASSIGN_OR_RETURN(
          auto* w, db_.prepare("INSERT INTO directory_transitive_members (tenant_id, group_id, "
                               "member_id) SELECT ?1, ?3, id FROM (" +
                               std::string(kTransitiveSql) + ")"));
      w->bind(1, t);
      w->bind(2, "store");
      w->bind(3, id);
      UPSYNC_RETURN_IF_ERROR(w->run());
      ++resolved;
    }
    return resolved;
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
    // Only the cloud layer is searched by DN, manager and mail (migrations 8 and 11).
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
  Result<PutOutcome> write_row(TenantId t, DirectoryLayer l, const UserRow& row, bool fresh) {
    PutOutcome outcome = PutOutcome::kAdded;
    Status s = store_.in_transaction([&]() -> Status {
      if (!fresh) {
        UPSYNC_ASSIGN_OR_RETURN(
            auto* q, db_.prepare("SELECT attrs, COALESCE(source_anchor, ''), deleted FROM "
                                 "directory_users WHERE tenant_id = ? AND layer = ? AND "
                                 "object_id = ?"));
        q->bind(1, t);
        q->bind(2, layer_name(l));
        q->bind(3, row.object_id);
        UPSYNC_ASSIGN_OR_RETURN(bool found, q->step());
        const bool live = found && q->column_int(2) == 0;
        const bool same =
            live && q->column_text(0) == row.attrs && q->column_text(1) == row.source_anchor;
        q->reset();
        if (same) {
          outcome = PutOutcome::kUnchanged;
          return Status::ok();
        }
        outcome = live ? PutOutcome::kUpdated : PutOutcome::kAdded;
      }
      UPSYNC_ASSIGN_OR_RETURN(const int64_t seq, store_.next_seq(t));
      // A fresh row is inserted; any other inserted or updated (a tombstone comes back).
      static constexpr std::string_view kInsert =
          "INSERT INTO directory_users (tenant_id, layer, object_id, source_anchor, upn_key, "
          "attrs, deleted, seq, dn_key, manager_key, mail_key) VALUES (?1, ?2, ?3, ?4, ?5, ?6, 0, "
          "?7, ?8, ?9, ?10)";
      static constexpr std::string_view kUpsert =
          "INSERT INTO directory_users (tenant_id, layer, object_id, source_anchor, upn_key, "
          "attrs, deleted, seq, dn_key, manager_key, mail_key) VALUES (?1, ?2, ?3, ?4, ?5, ?6, 0, "
          "?7, ?8, ?9, ?10) ON CONFLICT (tenant_id, layer, object_id) DO UPDATE SET "
          "source_anchor = ?4, upn_key = ?5, attrs = ?6, deleted = 0, seq = ?7, dn_key = ?8, "
          "manager_key = ?9, mail_key = ?10";
      UPSYNC_ASSIGN_OR_RETURN(auto* w, db_.prepare(fresh ? kInsert : kUpsert));
      w->bind(1, t);
      w->bind(2, layer_name(l));
      w->bind(3, row.object_id);
      auto bind_key = [&](int i, const std::string& v) {
        if (v.empty()) {
          w->bind_null(i);
        } else {
          w->bind(i, v);
        }
      };
      bind_key(4, row.source_anchor);
      w->bind(5, row.upn_key);
      w->bind(6, row.attrs);
      w->bind(7, seq);
      bind_key(8, row.dn_key);
      bind_key(9, row.manager_key);
      bind_key(10, row.mail_key);
      if (Status written = w->run(); !written.is_ok()) {
        if (fresh && written.code() == StatusCode::kAlreadyExists) {
          return already_exists("directory layer '" + std::string(layer_name(l)) +
                                "' already has object id " + row.object_id + " or source anchor '" +
                                row.source_anchor + "'");
        }
        return written;
      }
      return store_.append_change(t, directory_feed(l), seq, row.object_id, ChangeOp::kUpsert,
                                  utc_now_iso());
    });
    if (!s) return s;
    return outcome;
  }

  // The live cloud users whose `key` (see cloud_users_sql) is one of `values`, in object id
  // order. A user matches once however many values name it: IN tests each row once.
  Result<std::vector<DirectoryUser>> cloud_users(std::string_view key, TenantId t,
                                                 std::span<const std::string> values,
                                                 const AttributeNames* only) {
    nlohmann::json keys = nlohmann::json::array();
    for (const std::string& v : values) keys.push_back(ascii_lower(v));
    UPSYNC_ASSIGN_OR_RETURN(auto* q, db_.prepare(cloud_users_sql(key)));
    q->bind(1, t);
    q->bind(2, keys.dump());
    UPSYNC_ASSIGN_OR_RETURN(std::vector<DirectoryUser> out, read_all(*q, only));
    // Sorted here: an ORDER BY would tempt the planner into a walk in object id order.
    std::sort(out.begin(), out.end(), [](const DirectoryUser& a, const DirectoryUser& b) {
      return a.object_id < b.object_id;
    });
    return out;
  }

  // The members of group ?3 in layer ?2 through nested groups. UNION (not UNION ALL) keeps
  // each id once, which also ends the recursion on a cycle.
  static constexpr std::string_view kTransitiveSql =
      "WITH RECURSIVE t(id) AS (SELECT member_id FROM directory_group_members WHERE tenant_id "
      "= ?1 AND layer = ?2 AND group_id = ?3 UNION SELECT m.member_id FROM "
      "directory_group_members m JOIN t ON m.group_id = t.id WHERE m.tenant_id = ?1 AND "
      "m.layer = ?2) SELECT id FROM t WHERE id <> ?3";
  // The groups that hold ?3 in layer ?2, directly or through others.
  static constexpr std::string_view kAncestorsSql =
      "WITH RECURSIVE a(id) AS (SELECT group_id FROM directory_group_members WHERE tenant_id "
      "= ?1 AND layer = ?2 AND member_id = ?3 UNION SELECT m.group_id FROM "
      "directory_group_members m JOIN a ON m.member_id = a.id WHERE m.tenant_id = ?1 AND "
      "m.layer = ?2) SELECT id FROM a";

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
    if (added.empty() && removed.empty()) return Status::ok();
    UPSYNC_ASSIGN_OR_RETURN(auto* w, db_.prepare("INSERT INTO directory_member_changes "
                                                 "(tenant_id, group_id, seq, member_id, removed) "
                                                 "VALUES (?, ?, ?, ?, ?)"));
    for (const auto* list : {&added, &removed}) {
      for (const std::string& member : *list) {
        w->bind(1, t);
        w->bind(2, group_id);
        w->bind(3, seq);
        w->bind(4, member);
        w->bind(5, list == &removed ? 1 : 0);
        UPSYNC_RETURN_IF_ERROR(w->run());
      }
    }
    return Status::ok();
  }

  Result<std::vector<MemberChange>> member_changes(TenantId t, std::string_view group_id,
                                                   int64_t after_seq, int64_t upto_seq) override {
    UPSYNC_ASSIGN_OR_RETURN(
        auto* q, db_.prepare("SELECT member_id, removed FROM directory_member_changes WHERE "
                             "tenant_id = ? AND group_id = ? AND seq > ? AND seq <= ? ORDER BY "
                             "seq"));
    q->bind(1, t);
    q->bind(2, ascii_lower(group_id));
    q->bind(3, after_seq);
    q->bind(4, upto_seq);
    std::map<std::string, bool> last;  // member id -> removed, the latest change winning
    while (true) {
      UPSYNC_ASSIGN_OR_RETURN(bool row, q->step());
      if (!row) break;
      last[std::string(q->column_text(0))] = q->column_int(1) != 0;
    }
    std::vector<MemberChange> out;
    for (auto& [id, removed] : last) out.push_back({id, removed});
    return out;
  }

  Status clear_members(TenantId t, DirectoryLayer l, const std::string& group_id) {
    UPSYNC_ASSIGN_OR_RETURN(auto* d, db_.prepare("DELETE FROM directory_group_members WHERE "
                                                 "tenant_id = ? AND layer = ? AND group_id = ?"));
    d->bind(1, t);
    d->bind(2, layer_name(l));
    d->bind(3, group_id);
    return d->run();
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

  Result<std::vector<std::string>> ids(std::string_view sql, TenantId t, std::string_view layer,
                                       const std::string& id) {
    UPSYNC_ASSIGN_OR_RETURN(auto* q, db_.prepare(sql));
    q->bind(1, t);
    q->bind(2, layer);
    q->bind(3, id);
    std::vector<std::string> out;
    while (true) {
      UPSYNC_ASSIGN_OR_RETURN(bool row, q->step());
      if (!row) break;
      out.emplace_back(q->column_text(0));
    }
    q->reset();
    return out;
  }

  Result<std::vector<DirectoryGroup>> many_groups(const std::string& where, TenantId t,
                                                  DirectoryLayer l, const std::string& v) {
    UPSYNC_ASSIGN_OR_RETURN(
        auto* q, db_.prepare("SELECT object_id, source_anchor, attrs, deleted, seq FROM "
                             "directory_groups WHERE tenant_id = ?1 AND layer = ?2 AND " +
                             where));
    q->bind(1, t);
    q->bind(2, layer_name(l));
    if (where.find("?3") != std::string::npos) q->bind(3, v);
    std::vector<DirectoryGroup> out;
    while (true) {
      UPSYNC_ASSIGN_OR_RETURN(bool row, q->step());
      if (!row) break;
      DirectoryGroup g;
      g.object_id = q->column_text(0);
      g.source_anchor = q->column_text(1);
      UPSYNC_ASSIGN_OR_RETURN(g.attributes, decode_directory_attributes(q->column_text(2)));
      g.deleted = q->column_int(3) != 0;
      g.seq = q->column_int(4);
      out.push_back(std::move(g));
    }
    q->reset();
    // Members after the rows: the member query is a statement of its own.
    for (DirectoryGroup& g : out) {
      UPSYNC_ASSIGN_OR_RETURN(g.members,
                              ids("SELECT member_id FROM directory_group_members WHERE tenant_id "
                                  "= ?1 AND layer = ?2 AND group_id = ?3 ORDER BY member_id",
                                  t, layer_name(l), g.object_id));
    }
    return out;
  }

  Result<std::optional<DirectoryGroup>> one_group(const std::string& where, TenantId t,
                                                  DirectoryLayer l, const std::string& v) {
    UPSYNC_ASSIGN_OR_RETURN(auto found, many_groups(where + " LIMIT 1", t, l, v));
    if (found.empty()) return std::optional<DirectoryGroup>();
    return std::optional<DirectoryGroup>(std::move(found[0]));
  }

  // What read() reads.
  static constexpr std::string_view kUserColumns = "object_id, source_anchor, attrs, deleted, seq";

  // `columns` of the live users of the layer, ?1 and ?2 bound to the tenant and the layer;
  // `tail` goes on after the WHERE clause's "deleted = 0".
  Result<SqliteStatement*> live_users(std::string_view columns, TenantId t, DirectoryLayer l,
                                      std::string_view tail) {
    UPSYNC_ASSIGN_OR_RETURN(
        auto* q, db_.prepare("SELECT " + std::string(columns) +
                             " FROM directory_users WHERE tenant_id = ?1 AND layer = ?2 AND "
                             "deleted = 0 " +
                             std::string(tail)));
    q->bind(1, t);
    q->bind(2, layer_name(l));
    return q;
  }

  Result<std::vector<DirectoryUser>> many(TenantId t, DirectoryLayer l, const std::string& tail) {
    UPSYNC_ASSIGN_OR_RETURN(auto* q, live_users(kUserColumns, t, l, tail));
    return read_all(*q);
  }

  // Every row of `q` as a user (with the attributes of `only`, when given); the statement is
  // reset afterwards, after a failure too.
  Result<std::vector<DirectoryUser>> read_all(SqliteStatement& q,
                                              const AttributeNames* only = nullptr) {
    std::vector<DirectoryUser> out;
    Status failed = [&]() -> Status {
      while (true) {
        UPSYNC_ASSIGN_OR_RETURN(bool row, q.step());
        if (!row) return Status::ok();
        UPSYNC_ASSIGN_OR_RETURN(DirectoryUser u, read(q, only));
        out.push_back(std::move(u));
      }
    }();
    q.reset();
    if (!failed.is_ok()) return failed;
    return out;
  }

  Result<DirectoryUser> read(SqliteStatement& q, const AttributeNames* only = nullptr) {
    DirectoryUser u;
    u.object_id = q.column_text(0);
    u.source_anchor = q.column_text(1);
    UPSYNC_ASSIGN_OR_RETURN(u.attributes, decode_directory_attributes(q.column_text(2), only));
    u.deleted = q.column_int(3) != 0;
    u.seq = q.column_int(4);
    return u;
  }

  // The first user of the layer where `where` holds; `index`, when given, is the index to
  // search (see cloud_users_sql).
  Result<std::optional<DirectoryUser>> one(const std::string& where, TenantId t, DirectoryLayer l,
                                           const std::string& v, std::string_view index = "") {
    const std::string from =
        index.empty() ? "directory_users" : "directory_users INDEXED BY " + std::string(index);
    UPSYNC_ASSIGN_OR_RETURN(
        auto* q, db_.prepare("SELECT object_id, source_anchor, attrs, deleted, seq FROM " + from +
                             " WHERE tenant_id = ? AND layer = ? AND " + where + " LIMIT 1"));
    q->bind(1, t);
    q->bind(2, layer_name(l));
    q->bind(3, v);
    UPSYNC_ASSIGN_OR_RETURN(bool row, q->step());
    if (!row) {
      q->reset();
      return std::optional<DirectoryUser>();
    }
    auto u = read(*q);
    q->reset();
    if (!u) return u.status();
    return std::optional<DirectoryUser>(std::move(*u));
  }

  SqliteStore& store_;
  SqliteDb& db_;
};

}  // namespace

Result<std::unique_ptr<DirectoryStore>> SqliteStore::directory_store() {
  return std::unique_ptr<DirectoryStore>(new SqliteDirectoryStore(*this));
}

}  // namespace upsync
