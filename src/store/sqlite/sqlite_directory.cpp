// The SQLite DirectoryStore (sqlite_directory.h): users, one row per user and layer, and the
// layers' change feeds; groups are in sqlite_directory_groups.cpp.
#include "store/sqlite/sqlite_directory.h"

#include <rapidjson/document.h>

#include <algorithm>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <set>

#include "core/clock.h"
#include "core/text.h"
#include "directory/directory_codec.h"
#include "directory/directory_store.h"
#include "store/sqlite/sqlite_store.h"

namespace upsync {

std::string users_in_sql(std::string_view column) {
  // Without statistics (a first sync) SQLite's planner walks the layer's every user in the
  // primary key's order and tests each against the list, rather than search the partial
  // anchor index: INDEXED BY makes it search. (An "IS NOT NULL" for the partial index would
  // turn the search into a walk of the index from the first non-null anchor.)
  const std::string from = column == "source_anchor"
                               ? "directory_users INDEXED BY directory_users_by_anchor"
                               : "directory_users";
  return "SELECT object_id, source_anchor, attrs, deleted, seq FROM " + from +
         " WHERE tenant_id = ?1 AND layer = ?2 AND " + std::string(column) +
         " IN (SELECT value FROM json_each(?3))";
}

std::string cloud_users_sql(std::string_view key) {
  // Without statistics SQLite's planner would rather walk every user of the layer in key
  // order than search the UPN or mail index: INDEXED BY makes it search.
  std::string from = "directory_users";
  std::string column;
  std::string test;
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
    column = "manager_key";
    test = "manager_key IS NOT NULL AND ";
  }
  // The key's value comes last: which of the values the row was found by.
  return "SELECT object_id, source_anchor, attrs, deleted, seq, " + column + " FROM " + from +
         " WHERE tenant_id = ?1 AND layer = 'cloud' AND " + test + column +
         " IN (SELECT value FROM json_each(?2)) AND deleted = 0";
}

Result<std::optional<DirectoryUser>> SqliteDirectoryStore::user(TenantId t, DirectoryLayer l,
                                                                std::string_view id) {
  return one("object_id = ?", t, l, ascii_lower(id));
}

Result<std::vector<DirectoryUser>> SqliteDirectoryStore::users_with_ids(
    TenantId t, DirectoryLayer l, std::span<const std::string> ids) {
  std::vector<std::string> keys;
  keys.reserve(ids.size());
  for (const std::string& id : ids) keys.push_back(ascii_lower(id));
  return users_where_in("object_id", t, l, keys);
}

Result<std::vector<DirectoryUser>> SqliteDirectoryStore::users_with_anchors(
    TenantId t, DirectoryLayer l, std::span<const std::string> anchors) {
  return users_where_in("source_anchor", t, l, anchors);
}

Result<std::vector<DirectoryUser>> SqliteDirectoryStore::users_where_in(
    std::string_view column, TenantId t, DirectoryLayer l, std::span<const std::string> values) {
  if (values.size() > kMaxUsersPerQuery) return too_many_ids(values.size());
  nlohmann::json keys = nlohmann::json::array();
  for (const std::string& v : values) keys.push_back(v);
  UPSYNC_ASSIGN_OR_RETURN(auto* q, db_.prepare(users_in_sql(column)));
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

Result<std::optional<DirectoryUser>> SqliteDirectoryStore::user_by_anchor(TenantId t,
                                                                          DirectoryLayer l,
                                                                          std::string_view anchor) {
  return one("source_anchor = ?", t, l, std::string(anchor));
}

Result<std::optional<DirectoryUser>> SqliteDirectoryStore::user_by_upn(TenantId t, DirectoryLayer l,
                                                                       std::string_view upn) {
  return one("upn_key = ? AND deleted = 0", t, l, ascii_lower(upn));
}

Result<std::optional<DirectoryUser>> SqliteDirectoryStore::cloud_user_by_dn(TenantId t,
                                                                            std::string_view dn) {
  return one("dn_key = ? AND deleted = 0", t, DirectoryLayer::kCloud, ascii_lower(dn));
}

Result<std::vector<DirectoryUser>> SqliteDirectoryStore::cloud_users_with(
    TenantId t, CloudKey key, std::span<const std::string> values, const AttributeNames* only) {
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

Result<std::vector<DirectoryUser>> SqliteDirectoryStore::cloud_direct_reports(
    TenantId t, std::string_view object_id) {
  const std::string id(object_id);
  return cloud_users("manager", t, std::span<const std::string>(&id, 1), nullptr);
}

Result<SqliteDirectoryStore::PutOutcome> SqliteDirectoryStore::put(TenantId t, DirectoryLayer l,
                                                                   const DirectoryUser& u) {
  const std::string attrs = encode_directory_attributes(u.attributes);
  return write_row(t, l, row_of(l, u, attrs), /*fresh=*/false);
}

Status SqliteDirectoryStore::add(TenantId t, DirectoryLayer l, const DirectoryUser& u) {
  const std::string attrs = encode_directory_attributes(u.attributes);
  return write_row(t, l, row_of(l, u, attrs), /*fresh=*/true).status();
}

Result<std::vector<std::optional<SqliteDirectoryStore::Copied>>>
SqliteDirectoryStore::copy_users_to_store(TenantId t, std::span<const std::string> ids) {
  UPSYNC_RETURN_IF_ERROR(check_ids_to_copy(ids));
  std::vector<std::optional<Copied>> out;
  out.reserve(ids.size());
  for (const std::string& id : ids) {
    UPSYNC_ASSIGN_OR_RETURN(auto copied, copy_user_to_store(t, id));
    out.push_back(std::move(copied));
  }
  return out;
}

Result<std::optional<SqliteDirectoryStore::Copied>> SqliteDirectoryStore::copy_user_to_store(
    TenantId t, std::string_view id) {
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

Result<bool> SqliteDirectoryStore::remove(TenantId t, DirectoryLayer l, std::string_view id) {
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

Result<std::vector<DirectoryUser>> SqliteDirectoryStore::users(TenantId t, DirectoryLayer l) {
  return many(t, l, "ORDER BY upn_key");
}

Result<std::vector<DirectoryUser>> SqliteDirectoryStore::users_after(
    TenantId t, DirectoryLayer l, std::string_view after_object_id, int limit) {
  if (limit < 1) return invalid_argument("page size must be at least 1");
  // The primary key (tenant_id, layer, object_id) gives this order without a sort.
  UPSYNC_ASSIGN_OR_RETURN(
      auto* q, live_users(kUserColumns, t, l, "AND object_id > ?3 ORDER BY object_id LIMIT ?4"));
  q->bind(3, ascii_lower(after_object_id));
  q->bind(4, static_cast<int64_t>(limit));
  return read_all(*q);
}

Result<std::vector<SqliteDirectoryStore::AnchoredId>> SqliteDirectoryStore::anchored_user_ids(
    TenantId t, DirectoryLayer l) {
  UPSYNC_ASSIGN_OR_RETURN(auto* q, live_users("object_id, source_anchor", t, l,
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

SqliteDirectoryStore::UserRow SqliteDirectoryStore::row_of(DirectoryLayer l, const DirectoryUser& u,
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

Result<SqliteDirectoryStore::PutOutcome> SqliteDirectoryStore::write_row(TenantId t,
                                                                         DirectoryLayer l,
                                                                         const UserRow& row,
                                                                         bool fresh) {
  PutOutcome outcome = PutOutcome::kAdded;
  Status s = store_.in_transaction([&]() -> Status {
    if (!fresh) {
      UPSYNC_ASSIGN_OR_RETURN(auto* q,
                              db_.prepare("SELECT attrs, COALESCE(source_anchor, ''), deleted FROM "
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

Result<std::vector<DirectoryUser>> SqliteDirectoryStore::cloud_users(
    std::string_view key, TenantId t, std::span<const std::string> values,
    const AttributeNames* only) {
  std::vector<std::string> keys;
  keys.reserve(values.size());
  for (const std::string& v : values) keys.push_back(ascii_lower(v));
  std::sort(keys.begin(), keys.end());
  keys.erase(std::unique(keys.begin(), keys.end()), keys.end());
  auto by_object_id = [](const auto& a, const auto& b) { return a->object_id < b->object_id; };
  UPSYNC_ASSIGN_OR_RETURN(ReadCache * cache, store_.read_cache());
  if (!cache) {
    UPSYNC_ASSIGN_OR_RETURN(auto* q, db_.prepare(cloud_users_sql(key)));
    q->bind(1, t);
    q->bind(2, nlohmann::json(keys).dump());
    UPSYNC_ASSIGN_OR_RETURN(std::vector<DirectoryUser> out, read_all(*q, only));
    // Sorted here: an ORDER BY would tempt the planner into a walk in object id order.
    std::sort(out.begin(), out.end(),
              [&](const DirectoryUser& a, const DirectoryUser& b) { return by_object_id(&a, &b); });
    return out;
  }
  // A user has one value of each key, so no user is found by two of the values.
  std::vector<std::shared_ptr<const DirectoryUser>> found;
  nlohmann::json asked = nlohmann::json::array();
  for (const std::string& k : keys) {
    const ReadCache::Users* kept = cache->cloud_users(t, key, k);
    if (!kept) {
      asked.push_back(k);
      continue;
    }
    found.insert(found.end(), kept->begin(), kept->end());
  }
  if (!asked.empty()) {
    UPSYNC_ASSIGN_OR_RETURN(auto* q, db_.prepare(cloud_users_sql(key)));
    q->bind(1, t);
    q->bind(2, asked.dump());
    // Kept whole (any later reader's attributes), each value's users together, the values that
    // found nobody too.
    std::map<std::string, ReadCache::Users, std::less<>> read;
    for (const auto& k : asked) read[k.get<std::string>()];
    Status bad = Status::ok();
    UPSYNC_RETURN_IF_ERROR(q->each_row([&] {
      auto u = this->read(*q);
      if (!u) {
        if (bad.is_ok()) bad = u.status();
        return;
      }
      read[std::string(q->column_text(5))].push_back(
          std::make_shared<const DirectoryUser>(std::move(*u)));
    }));
    UPSYNC_RETURN_IF_ERROR(bad);
    for (auto& [k, users] : read) {
      found.insert(found.end(), users.begin(), users.end());
      cache->keep_cloud_users(t, key, k, std::move(users));
    }
  }
  std::sort(found.begin(), found.end(), by_object_id);
  std::vector<DirectoryUser> out;
  out.reserve(found.size());
  for (const auto& u : found) out.push_back(ReadCache::copy_of_user(*u, only));
  return out;
}

Result<SqliteStatement*> SqliteDirectoryStore::live_users(std::string_view columns, TenantId t,
                                                          DirectoryLayer l, std::string_view tail) {
  UPSYNC_ASSIGN_OR_RETURN(
      auto* q, db_.prepare("SELECT " + std::string(columns) +
                           " FROM directory_users WHERE tenant_id = ?1 AND layer = ?2 AND "
                           "deleted = 0 " +
                           std::string(tail)));
  q->bind(1, t);
  q->bind(2, layer_name(l));
  return q;
}

Result<std::vector<DirectoryUser>> SqliteDirectoryStore::many(TenantId t, DirectoryLayer l,
                                                              const std::string& tail) {
  UPSYNC_ASSIGN_OR_RETURN(auto* q, live_users(kUserColumns, t, l, tail));
  return read_all(*q);
}

Result<std::vector<DirectoryUser>> SqliteDirectoryStore::read_all(SqliteStatement& q,
                                                                  const AttributeNames* only) {
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

Result<DirectoryUser> SqliteDirectoryStore::read(SqliteStatement& q, const AttributeNames* only) {
  DirectoryUser u;
  u.object_id = q.column_text(0);
  u.source_anchor = q.column_text(1);
  UPSYNC_ASSIGN_OR_RETURN(u.attributes, decode_directory_attributes(q.column_text(2), only));
  u.deleted = q.column_int(3) != 0;
  u.seq = q.column_int(4);
  return u;
}

Result<std::optional<DirectoryUser>> SqliteDirectoryStore::one(const std::string& where, TenantId t,
                                                               DirectoryLayer l,
                                                               const std::string& v,
                                                               std::string_view index) {
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

Result<std::unique_ptr<DirectoryStore>> SqliteStore::directory_store() {
  return std::unique_ptr<DirectoryStore>(new SqliteDirectoryStore(*this));
}

}  // namespace upsync
