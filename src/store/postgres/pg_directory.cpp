// The PostgreSQL DirectoryStore (pg_directory.h): users, one row per user and layer, and the
// layers' change feeds; groups are in pg_directory_groups.cpp.
#include "store/postgres/pg_directory.h"

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

Result<std::optional<DirectoryUser>> PgDirectoryStore::user(TenantId t, DirectoryLayer l,
                                                            std::string_view id) {
  return one("object_id = $3", t, l, ascii_lower(id));
}

Result<std::vector<DirectoryUser>> PgDirectoryStore::users_with_ids(
    TenantId t, DirectoryLayer l, std::span<const std::string> ids) {
  std::vector<std::string> keys;
  keys.reserve(ids.size());
  for (const std::string& id : ids) keys.push_back(ascii_lower(id));
  return users_where_in("object_id", t, l, keys);
}

Result<std::vector<DirectoryUser>> PgDirectoryStore::users_with_anchors(
    TenantId t, DirectoryLayer l, std::span<const std::string> anchors) {
  return users_where_in("source_anchor", t, l, {anchors.begin(), anchors.end()});
}

Result<std::vector<DirectoryUser>> PgDirectoryStore::users_where_in(
    std::string_view column, TenantId t, DirectoryLayer l, const std::vector<std::string>& values) {
  if (values.size() > kMaxUsersPerQuery) return too_many_ids(values.size());
  UPSYNC_RETURN_IF_ERROR(store_.take_tenant_turn(t));
  UPSYNC_ASSIGN_OR_RETURN(
      PgResult r, db_.query("SELECT " + std::string(kUserColumns) +
                                " FROM directory_users WHERE tenant_id = $1 AND layer = $2 AND " +
                                std::string(column) + " = ANY ($3::text[]) ORDER BY object_id",
                            {t, layer_name(l), pg_text_array(values)}));
  return read_users(r);
}

Result<std::optional<DirectoryUser>> PgDirectoryStore::user_by_anchor(TenantId t, DirectoryLayer l,
                                                                      std::string_view anchor) {
  return one("source_anchor = $3", t, l, std::string(anchor));
}

Result<std::optional<DirectoryUser>> PgDirectoryStore::user_by_upn(TenantId t, DirectoryLayer l,
                                                                   std::string_view upn) {
  return one("upn_key = $3 AND deleted = 0", t, l, ascii_lower(upn));
}

Result<std::optional<DirectoryUser>> PgDirectoryStore::cloud_user_by_dn(TenantId t,
                                                                        std::string_view dn) {
  return one("dn_key = $3 AND deleted = 0", t, DirectoryLayer::kCloud, ascii_lower(dn));
}

Result<std::vector<DirectoryUser>> PgDirectoryStore::cloud_users_with(
    TenantId t, CloudKey key, std::span<const std::string> values, const AttributeNames* only) {
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

Result<std::vector<DirectoryUser>> PgDirectoryStore::cloud_direct_reports(
    TenantId t, std::string_view object_id) {
  const std::string id(object_id);
  return cloud_users("manager_key", t, std::span<const std::string>(&id, 1), nullptr);
}

Result<PgDirectoryStore::PutOutcome> PgDirectoryStore::put(TenantId t, DirectoryLayer l,
                                                           const DirectoryUser& u) {
  const std::string attrs = encode_directory_attributes(u.attributes);
  return write_row(t, l, row_of(l, u, attrs), /*fresh=*/false);
}

Status PgDirectoryStore::add(TenantId t, DirectoryLayer l, const DirectoryUser& u) {
  const std::string attrs = encode_directory_attributes(u.attributes);
  return write_row(t, l, row_of(l, u, attrs), /*fresh=*/true).status();
}

Result<std::optional<PgDirectoryStore::Copied>> PgDirectoryStore::copy_user_to_store(
    TenantId t, std::string_view id) {
  const std::string object_id = ascii_lower(id);
  UPSYNC_ASSIGN_OR_RETURN(
      PgResult r, db_.query("SELECT COALESCE(source_anchor, ''), attrs FROM directory_users WHERE "
                            "tenant_id = $1 AND layer = 'cloud' AND object_id = $2 AND deleted = 0",
                            {t, object_id}));
  if (r.rows() == 0) return std::optional<Copied>();
  return copy_to_store(t, object_id, std::string(r.text(0, 0)), std::string(r.text(0, 1)), nullptr);
}

Result<std::vector<std::optional<PgDirectoryStore::Copied>>> PgDirectoryStore::copy_users_to_store(
    TenantId t, std::span<const std::string> ids) {
  UPSYNC_RETURN_IF_ERROR(check_ids_to_copy(ids));
  std::vector<std::string> keys;
  keys.reserve(ids.size());
  for (const std::string& id : ids) keys.push_back(ascii_lower(id));
  const PgParam array = pg_text_array(keys);
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
      before = {true, std::string(store.text(s->second, 1)), std::string(store.text(s->second, 2)),
                store.int64(s->second, 3) != 0};
    }
    UPSYNC_ASSIGN_OR_RETURN(auto copied,
                            copy_to_store(t, id, std::string(cloud.text(c->second, 1)),
                                          std::string(cloud.text(c->second, 2)), known));
    out.push_back(std::move(copied));
  }
  return out;
}

Result<std::optional<PgDirectoryStore::Copied>> PgDirectoryStore::copy_to_store(
    TenantId t, const std::string& object_id, const std::string& anchor, std::string attrs,
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

Result<bool> PgDirectoryStore::remove(TenantId t, DirectoryLayer l, std::string_view object_id) {
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

Result<std::vector<DirectoryUser>> PgDirectoryStore::users(TenantId t, DirectoryLayer l) {
  return live_users(t, l, "ORDER BY upn_key", {});
}

Result<std::vector<DirectoryUser>> PgDirectoryStore::users_after(TenantId t, DirectoryLayer l,
                                                                 std::string_view after_object_id,
                                                                 int limit) {
  if (limit < 1) return invalid_argument("page size must be at least 1");
  // The primary key (tenant_id, layer, object_id) gives this order without a sort.
  return live_users(t, l, "AND object_id > $3 ORDER BY object_id LIMIT $4",
                    {ascii_lower(after_object_id), static_cast<int64_t>(limit)});
}

Result<std::vector<PgDirectoryStore::AnchoredId>> PgDirectoryStore::anchored_user_ids(
    TenantId t, DirectoryLayer l) {
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

PgDirectoryStore::UserRow PgDirectoryStore::row_of(DirectoryLayer l, const DirectoryUser& u,
                                                   std::string_view attrs) {
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

Result<PgDirectoryStore::PutOutcome> PgDirectoryStore::write_row(TenantId t, DirectoryLayer l,
                                                                 const UserRow& row, bool fresh,
                                                                 const StoredRow* known) {
  PutOutcome outcome = PutOutcome::kAdded;
  Status s = store_.in_transaction([&]() -> Status {
    outcome = PutOutcome::kAdded;  // the body may run again (a retried transaction)
    bool absent = fresh;           // no row of the id, not even a tombstone
    if (!fresh) {
      StoredRow read;
      if (!known) {
        UPSYNC_ASSIGN_OR_RETURN(PgResult r,
                                db_.query("SELECT attrs, COALESCE(source_anchor, ''), deleted FROM "
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
      absent = !stored.exists;
    }
    UPSYNC_ASSIGN_OR_RETURN(const int64_t seq, store_.next_seq(t));
    // A row not there is inserted; any other inserted or updated (a tombstone comes back).
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
    if (absent && db_.in_bulk_transaction()) {
      // In a bulk transaction (a sync run) any failure fails it all, so the row needs no
      // answer before the next statement: it goes with it, pipelined, with the other new rows
      // deferred since (PgDb::insert_deferred: directory_users references only the tenant); a
      // duplicate (a row another writer added since it was read) fails the transaction there,
      // with the server's message naming the key.
      static constexpr PgRowsInsert kRow{
          .table = "directory_users",
          .columns =
              "tenant_id, layer, object_id, source_anchor, upn_key, attrs, deleted, seq, "
              "dn_key, manager_key, mail_key",
          .types = "bigint, text, text, text, text, text, bigint, bigint, text, text, text",
      };
      UPSYNC_RETURN_IF_ERROR(db_.insert_deferred(
          kRow, {t, layer_name(l), row.object_id, key_or_null(row.source_anchor), row.upn_key,
                 row.attrs, int64_t{0}, seq, key_or_null(row.dn_key), key_or_null(row.manager_key),
                 key_or_null(row.mail_key)}));
    } else if (fresh) {
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

Result<std::vector<DirectoryUser>> PgDirectoryStore::cloud_users(
    std::string_view column, TenantId t, std::span<const std::string> values,
    const AttributeNames* only) {
  std::vector<std::string> keys;
  keys.reserve(values.size());
  for (const std::string& v : values) keys.push_back(ascii_lower(v));
  UPSYNC_ASSIGN_OR_RETURN(ReadCache * cache, store_.read_cache());
  if (!cache) {
    return live_users(t, DirectoryLayer::kCloud,
                      "AND " + std::string(column) + " = ANY ($3::text[]) ORDER BY object_id",
                      {pg_text_array(keys)}, only);
  }
  std::sort(keys.begin(), keys.end());
  keys.erase(std::unique(keys.begin(), keys.end()), keys.end());
  // A user has one value of each key, so no user is found by two of the values.
  std::vector<std::shared_ptr<const DirectoryUser>> found;
  std::vector<std::string> asked;
  for (const std::string& k : keys) {
    const ReadCache::Users* kept = cache->cloud_users(t, column, k);
    if (!kept) {
      asked.push_back(k);
      continue;
    }
    found.insert(found.end(), kept->begin(), kept->end());
  }
  if (!asked.empty()) {
    // Kept whole (any later reader's attributes), each value's users together, the values that
    // found nobody too. The key's value is read back (lower-case, as stored) to group them.
    UPSYNC_ASSIGN_OR_RETURN(
        PgResult r, db_.query("SELECT " + std::string(kUserColumns) + ", " + std::string(column) +
                                  " FROM directory_users WHERE tenant_id = $1 AND layer = $2 AND "
                                  "deleted = 0 AND " +
                                  std::string(column) + " = ANY ($3::text[])",
                              {t, layer_name(DirectoryLayer::kCloud), pg_text_array(asked)}));
    UPSYNC_ASSIGN_OR_RETURN(std::vector<DirectoryUser> users, read_users(r));
    std::map<std::string, ReadCache::Users, std::less<>> read;
    for (const std::string& k : asked) read[k];
    for (size_t i = 0; i < users.size(); ++i) {
      read[std::string(r.text(static_cast<int>(i), 5))].push_back(
          std::make_shared<const DirectoryUser>(std::move(users[i])));
    }
    for (auto& [k, kept] : read) {
      found.insert(found.end(), kept.begin(), kept.end());
      cache->keep_cloud_users(t, column, k, std::move(kept));
    }
  }
  std::sort(found.begin(), found.end(),
            [](const auto& a, const auto& b) { return a->object_id < b->object_id; });
  std::vector<DirectoryUser> out;
  out.reserve(found.size());
  for (const auto& u : found) out.push_back(ReadCache::copy_of_user(*u, only));
  return out;
}

Result<std::vector<DirectoryUser>> PgDirectoryStore::live_users(TenantId t, DirectoryLayer l,
                                                                const std::string& tail,
                                                                std::vector<PgParam> more,
                                                                const AttributeNames* only) {
  UPSYNC_RETURN_IF_ERROR(store_.take_tenant_turn(t));
  std::vector<PgParam> params = {t, layer_name(l)};
  params.insert(params.end(), more.begin(), more.end());
  UPSYNC_ASSIGN_OR_RETURN(PgResult r,
                          db_.query("SELECT " + std::string(kUserColumns) +
                                        " FROM directory_users WHERE tenant_id = $1 AND layer = $2 "
                                        "AND deleted = 0 " +
                                        tail,
                                    params));
  return read_users(r, only);
}

Result<std::vector<DirectoryUser>> PgDirectoryStore::read_users(const PgResult& r,
                                                                const AttributeNames* only) {
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

Result<std::optional<DirectoryUser>> PgDirectoryStore::one(const std::string& where, TenantId t,
                                                           DirectoryLayer l, const std::string& v) {
  UPSYNC_RETURN_IF_ERROR(store_.take_tenant_turn(t));
  UPSYNC_ASSIGN_OR_RETURN(PgResult r,
                          db_.query("SELECT " + std::string(kUserColumns) +
                                        " FROM directory_users WHERE tenant_id = $1 AND layer = $2 "
                                        "AND " +
                                        where + " LIMIT 1",
                                    {t, layer_name(l), v}));
  UPSYNC_ASSIGN_OR_RETURN(auto users, read_users(r));
  if (users.empty()) return std::optional<DirectoryUser>();
  return std::optional<DirectoryUser>(std::move(users[0]));
}

Result<std::unique_ptr<DirectoryStore>> PgStore::directory_store() {
  return std::unique_ptr<DirectoryStore>(new PgDirectoryStore(*this));
}

}  // namespace upsync
