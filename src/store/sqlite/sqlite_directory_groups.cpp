// The SQLite DirectoryStore (sqlite_directory.h): groups, their direct members (with each
// change of them recorded for the delta readers) and nested membership.
#include <algorithm>
#include <nlohmann/json.hpp>
#include <set>

#include "core/clock.h"
#include "core/text.h"
#include "directory/directory_codec.h"
#include "store/sqlite/sqlite_directory.h"

namespace upsync {

Result<std::optional<DirectoryGroup>> SqliteDirectoryStore::group(TenantId t, DirectoryLayer l,
                                                                  std::string_view id) {
  return one_group("object_id = ?3", t, l, ascii_lower(id));
}

Result<std::optional<DirectoryGroup>> SqliteDirectoryStore::group_by_anchor(
    TenantId t, DirectoryLayer l, std::string_view anchor) {
  return one_group("source_anchor = ?3", t, l, std::string(anchor));
}

Result<std::optional<DirectoryGroup>> SqliteDirectoryStore::cloud_group_by_dn(TenantId t,
                                                                              std::string_view dn) {
  return one_group("dn_key = ?3 AND deleted = 0", t, DirectoryLayer::kCloud, ascii_lower(dn));
}

Result<SqliteDirectoryStore::PutOutcome> SqliteDirectoryStore::put_group(TenantId t,
                                                                         DirectoryLayer l,
                                                                         const DirectoryGroup& g) {
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

Result<bool> SqliteDirectoryStore::remove_group(TenantId t, DirectoryLayer l,
                                                std::string_view object_id) {
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

Result<std::vector<DirectoryGroup>> SqliteDirectoryStore::groups(TenantId t, DirectoryLayer l) {
  return many_groups("deleted = 0 ORDER BY name_key, object_id", t, l, "");
}

Result<std::vector<DirectoryGroup>> SqliteDirectoryStore::groups_after(
    TenantId t, DirectoryLayer l, std::string_view after_object_id, int limit) {
  if (limit < 1) return invalid_argument("page size must be at least 1");
  return many_groups(
      "deleted = 0 AND object_id > ?3 ORDER BY object_id LIMIT " + std::to_string(limit), t, l,
      ascii_lower(after_object_id));
}

Result<std::vector<DirectoryGroup>> SqliteDirectoryStore::anchored_groups(TenantId t,
                                                                          DirectoryLayer l) {
  return many_groups("deleted = 0 AND source_anchor IS NOT NULL", t, l, "");
}

Result<std::vector<DirectoryGroup>> SqliteDirectoryStore::member_of(TenantId t, DirectoryLayer l,
                                                                    std::string_view object_id) {
  return many_groups(
      "deleted = 0 AND object_id IN (SELECT group_id FROM directory_group_members WHERE "
      "tenant_id = ?1 AND layer = ?2 AND member_id = ?3) ORDER BY name_key, object_id",
      t, l, ascii_lower(object_id));
}

Result<std::vector<std::string>> SqliteDirectoryStore::transitive_members(
    TenantId t, DirectoryLayer l, std::string_view group_id) {
  const std::string sql =
      l == DirectoryLayer::kStore
          ? "SELECT member_id FROM directory_transitive_members WHERE tenant_id = ?1 AND "
            "group_id = ?3 AND ?2 = 'store' ORDER BY member_id"
          : std::string(kTransitiveSql) + " ORDER BY id";
  return ids(sql, t, layer_name(l), ascii_lower(group_id));
}

Result<int64_t> SqliteDirectoryStore::resolve_transitive_members(
    TenantId t, const std::vector<std::string>& group_ids) {
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

Result<std::optional<DirectoryObject>> SqliteDirectoryStore::object(TenantId t, DirectoryLayer l,
                                                                    std::string_view object_id) {
  UPSYNC_ASSIGN_OR_RETURN(auto u, user(t, l, object_id));
  if (u && !u->deleted) return std::optional<DirectoryObject>(DirectoryObject{std::move(u), {}});
  UPSYNC_ASSIGN_OR_RETURN(auto g, group(t, l, object_id));
  if (g && !g->deleted) return std::optional<DirectoryObject>(DirectoryObject{{}, std::move(g)});
  return std::optional<DirectoryObject>();
}

Status SqliteDirectoryStore::log_member_changes(TenantId t, const std::string& group_id,
                                                int64_t seq, const std::vector<std::string>& before,
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

Result<std::vector<SqliteDirectoryStore::MemberChange>> SqliteDirectoryStore::member_changes(
    TenantId t, std::string_view group_id, int64_t after_seq, int64_t upto_seq) {
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

Status SqliteDirectoryStore::clear_members(TenantId t, DirectoryLayer l,
                                           const std::string& group_id) {
  UPSYNC_ASSIGN_OR_RETURN(auto* d, db_.prepare("DELETE FROM directory_group_members WHERE "
                                               "tenant_id = ? AND layer = ? AND group_id = ?"));
  d->bind(1, t);
  d->bind(2, layer_name(l));
  d->bind(3, group_id);
  return d->run();
}

Status SqliteDirectoryStore::leave_groups(TenantId t, DirectoryLayer l, const std::string& id) {
  UPSYNC_ASSIGN_OR_RETURN(auto holders, member_of(t, l, id));
  for (DirectoryGroup& g : holders) {
    std::erase(g.members, id);
    UPSYNC_RETURN_IF_ERROR(put_group(t, l, g).status());
  }
  return Status::ok();
}

Result<std::vector<std::string>> SqliteDirectoryStore::ids(std::string_view sql, TenantId t,
                                                           std::string_view layer,
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

Result<std::vector<DirectoryGroup>> SqliteDirectoryStore::many_groups(const std::string& where,
                                                                      TenantId t, DirectoryLayer l,
                                                                      const std::string& v) {
  UPSYNC_ASSIGN_OR_RETURN(auto* q,
                          db_.prepare("SELECT object_id, source_anchor, attrs, deleted, seq FROM "
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

Result<std::optional<DirectoryGroup>> SqliteDirectoryStore::one_group(const std::string& where,
                                                                      TenantId t, DirectoryLayer l,
                                                                      const std::string& v) {
  UPSYNC_ASSIGN_OR_RETURN(auto found, many_groups(where + " LIMIT 1", t, l, v));
  if (found.empty()) return std::optional<DirectoryGroup>();
  return std::optional<DirectoryGroup>(std::move(found[0]));
}

}  // namespace upsync
