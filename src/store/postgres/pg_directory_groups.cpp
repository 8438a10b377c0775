// The PostgreSQL DirectoryStore (pg_directory.h): groups, their direct members (with each
// change of them recorded for the delta readers) and nested membership.
#include <algorithm>
#include <map>
#include <set>

#include "core/clock.h"
#include "core/text.h"
#include "directory/directory_codec.h"
#include "store/postgres/pg_array.h"
#include "store/postgres/pg_directory.h"

namespace upsync {

Result<std::optional<DirectoryGroup>> PgDirectoryStore::group(TenantId t, DirectoryLayer l,
                                                              std::string_view id) {
  return one_group("object_id = $3", t, l, ascii_lower(id));
}

Result<std::optional<DirectoryGroup>> PgDirectoryStore::group_by_anchor(TenantId t,
                                                                        DirectoryLayer l,
                                                                        std::string_view anchor) {
  return one_group("source_anchor = $3", t, l, std::string(anchor));
}

Result<std::optional<DirectoryGroup>> PgDirectoryStore::cloud_group_by_dn(TenantId t,
                                                                          std::string_view dn) {
  return one_group("dn_key = $3 AND deleted = 0", t, DirectoryLayer::kCloud, ascii_lower(dn));
}

Result<PgDirectoryStore::PutOutcome> PgDirectoryStore::put_group(TenantId t, DirectoryLayer l,
                                                                 const DirectoryGroup& g) {
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

Result<bool> PgDirectoryStore::remove_group(TenantId t, DirectoryLayer l,
                                            std::string_view object_id) {
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

Result<std::vector<DirectoryGroup>> PgDirectoryStore::groups(TenantId t, DirectoryLayer l) {
  return many_groups("deleted = 0 ORDER BY name_key, object_id", t, l, {});
}

Result<std::vector<DirectoryGroup>> PgDirectoryStore::groups_after(TenantId t, DirectoryLayer l,
                                                                   std::string_view after_object_id,
                                                                   int limit) {
  if (limit < 1) return invalid_argument("page size must be at least 1");
  return many_groups("deleted = 0 AND object_id > $3 ORDER BY object_id LIMIT $4", t, l,
                     {ascii_lower(after_object_id), static_cast<int64_t>(limit)});
}

Result<std::vector<DirectoryGroup>> PgDirectoryStore::anchored_groups(TenantId t,
                                                                      DirectoryLayer l) {
  return many_groups("deleted = 0 AND source_anchor IS NOT NULL ORDER BY object_id", t, l, {});
}

Result<std::vector<DirectoryGroup>> PgDirectoryStore::member_of(TenantId t, DirectoryLayer l,
                                                                std::string_view object_id) {
  return many_groups(
      "deleted = 0 AND object_id IN (SELECT group_id FROM directory_group_members WHERE "
      "tenant_id = $1 AND layer = $2 AND member_id = $3) ORDER BY name_key, object_id",
      t, l, {ascii_lower(object_id)});
}

Result<std::vector<std::string>> PgDirectoryStore::transitive_members(TenantId t, DirectoryLayer l,
                                                                      std::string_view group_id) {
  if (l == DirectoryLayer::kStore) {
    return ids(
        "SELECT member_id FROM directory_transitive_members WHERE tenant_id = $1 AND "
        "group_id = $2 ORDER BY member_id",
        {t, ascii_lower(group_id)});
  }
  return ids(std::string(kTransitiveSql) + " ORDER BY id",
             {t, layer_name(l), ascii_lower(group_id)});
}

Result<int64_t> PgDirectoryStore::resolve_transitive_members(
    TenantId t, const std::vector<std::string>& group_ids) {
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

Result<std::vector<PgDirectoryStore::MemberChange>> PgDirectoryStore::member_changes(
    TenantId t, std::string_view group_id, int64_t after_seq, int64_t upto_seq) {
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

Result<std::optional<DirectoryObject>> PgDirectoryStore::object(TenantId t, DirectoryLayer l,
                                                                std::string_view object_id) {
  UPSYNC_ASSIGN_OR_RETURN(auto u, user(t, l, object_id));
  if (u && !u->deleted) return std::optional<DirectoryObject>(DirectoryObject{std::move(u), {}});
  UPSYNC_ASSIGN_OR_RETURN(auto g, group(t, l, object_id));
  if (g && !g->deleted) return std::optional<DirectoryObject>(DirectoryObject{{}, std::move(g)});
  return std::optional<DirectoryObject>();
}

Status PgDirectoryStore::log_member_changes(TenantId t, const std::string& group_id, int64_t seq,
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

Status PgDirectoryStore::clear_members(TenantId t, DirectoryLayer l, const std::string& group_id) {
  return db_
      .run(
          "DELETE FROM directory_group_members WHERE tenant_id = $1 AND layer = $2 AND "
          "group_id = $3",
          {t, layer_name(l), group_id})
      .status();
}

Status PgDirectoryStore::leave_groups(TenantId t, DirectoryLayer l, const std::string& id) {
  UPSYNC_ASSIGN_OR_RETURN(auto holders, member_of(t, l, id));
  for (DirectoryGroup& g : holders) {
    std::erase(g.members, id);
    UPSYNC_RETURN_IF_ERROR(put_group(t, l, g).status());
  }
  return Status::ok();
}

Result<std::vector<std::string>> PgDirectoryStore::ids(std::string_view sql,
                                                       std::initializer_list<PgParam> params) {
  UPSYNC_ASSIGN_OR_RETURN(PgResult r, db_.query(sql, params));
  std::vector<std::string> out;
  out.reserve(r.rows());
  for (int i = 0; i < r.rows(); ++i) out.emplace_back(r.text(i, 0));
  return out;
}

Result<std::vector<DirectoryGroup>> PgDirectoryStore::many_groups(const std::string& where,
                                                                  TenantId t, DirectoryLayer l,
                                                                  std::vector<PgParam> more) {
  UPSYNC_RETURN_IF_ERROR(store_.take_tenant_turn(t));
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
  UPSYNC_ASSIGN_OR_RETURN(PgResult m,
                          db_.query("SELECT group_id, member_id FROM directory_group_members WHERE "
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

Result<std::optional<DirectoryGroup>> PgDirectoryStore::one_group(const std::string& where,
                                                                  TenantId t, DirectoryLayer l,
                                                                  const std::string& v) {
  UPSYNC_ASSIGN_OR_RETURN(auto found, many_groups(where + " LIMIT 1", t, l, {v}));
  if (found.empty()) return std::optional<DirectoryGroup>();
  return std::optional<DirectoryGroup>(std::move(found[0]));
}

}  // namespace upsync
