// The SQLite DirectoryStore (src/directory/directory_store.h): one row per user and layer,
// attributes as a JSON object, change-feed entries through the store's sequence.
#include <algorithm>
#include <nlohmann/json.hpp>

#include "core/clock.h"
#include "core/text.h"
#include "directory/directory_store.h"
#include "store/sqlite/sqlite_store.h"

namespace upsync {
namespace {

std::string_view layer_name(DirectoryLayer l) {
  return l == DirectoryLayer::kCloud ? "cloud" : "store";
}

std::string encode(const DirectoryAttributes& a) {
  nlohmann::json j = nlohmann::json::object();
  for (const auto& [k, v] : a) {
    if (!v.empty()) j[k] = v;
  }
  return j.dump();
}

Result<DirectoryAttributes> decode(std::string_view text) {
  DirectoryAttributes a;
  try {
    auto j = nlohmann::json::parse(text);
    for (auto& [k, v] : j.items()) a[k] = v.get<std::vector<std::string>>();
  } catch (const nlohmann::json::exception& e) {
    return data_loss(std::string("stored directory attributes are corrupt: ") + e.what());
  }
  return a;
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
    column = "manager_key";
  }
  return "SELECT object_id, source_anchor, attrs, deleted, seq FROM " + from +
         " WHERE tenant_id = ?1 AND layer = 'cloud' AND " + column + " = ?2 AND deleted = 0";
}

namespace {

class SqliteDirectoryStore : public DirectoryStore {
 public:
  explicit SqliteDirectoryStore(SqliteStore& s) : store_(s), db_(s.db()) {}

  Result<std::optional<DirectoryUser>> user(TenantId t, DirectoryLayer l,
                                            std::string_view id) override {
    return one("object_id = ?", t, l, ascii_lower(id));
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
                                                      std::string_view value) override {
    switch (key) {
      case CloudKey::kObjectId:
        return cloud_users("id", t, value);
      case CloudKey::kUserPrincipalName:
        return cloud_users("userPrincipalName", t, value);
      case CloudKey::kMail:
        return cloud_users("mail", t, value);
    }
    return invalid_argument("unknown cloud user key");
  }
  Result<std::vector<DirectoryUser>> cloud_direct_reports(TenantId t,
                                                          std::string_view object_id) override {
    return cloud_users("manager", t, object_id);
  }
  Result<PutOutcome> put(TenantId t, DirectoryLayer l, const DirectoryUser& u) override {
    PutOutcome outcome = PutOutcome::kUnchanged;
    Status s = store_.in_transaction([&]() -> Status {
      // Compared as stored text: the encoding is canonical (sorted keys), so no decode.
      UPSYNC_ASSIGN_OR_RETURN(auto* q,
                              db_.prepare("SELECT attrs, COALESCE(source_anchor, ''), deleted FROM "
                                          "directory_users WHERE tenant_id = ? AND layer = ? AND "
                                          "object_id = ?"));
      q->bind(1, t);
      q->bind(2, layer_name(l));
      q->bind(3, ascii_lower(u.object_id));
      UPSYNC_ASSIGN_OR_RETURN(bool found, q->step());
      const std::string attrs = encode(u.attributes);
      const bool live = found && q->column_int(2) == 0;
      const bool same = live && q->column_text(0) == attrs && q->column_text(1) == u.source_anchor;
      q->reset();
      if (same) return Status::ok();
      outcome = live ? PutOutcome::kUpdated : PutOutcome::kAdded;
      UPSYNC_ASSIGN_OR_RETURN(const int64_t seq, store_.next_seq(t));
      UPSYNC_ASSIGN_OR_RETURN(
          auto* w, db_.prepare("INSERT INTO directory_users (tenant_id, layer, object_id, "
                               "source_anchor, upn_key, attrs, deleted, seq, dn_key, "
                               "manager_key, mail_key) VALUES (?1, ?2, ?3, ?4, ?5, ?6, 0, ?7, ?8, "
                               "?9, ?10) ON CONFLICT (tenant_id, layer, object_id) DO UPDATE SET "
                               "source_anchor = ?4, upn_key = ?5, attrs = ?6, deleted = 0, "
                               "seq = ?7, dn_key = ?8, manager_key = ?9, mail_key = ?10"));
      w->bind(1, t);
      w->bind(2, layer_name(l));
      w->bind(3, ascii_lower(u.object_id));
      if (u.source_anchor.empty()) {
        w->bind_null(4);
      } else {
        w->bind(4, u.source_anchor);
      }
      w->bind(5, ascii_lower(u.first("userPrincipalName")));
      w->bind(6, attrs);
      w->bind(7, seq);
      // Only the cloud layer is searched by DN, manager and mail (migrations 8 and 11).
      for (auto [i, attr] :
           {std::pair{8, "distinguishedName"}, std::pair{9, "manager"}, std::pair{10, "mail"}}) {
        const std::string v = l == DirectoryLayer::kCloud ? u.first(attr) : "";
        if (v.empty()) {
          w->bind_null(i);
        } else {
          w->bind(i, ascii_lower(v));
        }
      }
      UPSYNC_RETURN_IF_ERROR(w->run());
      UPSYNC_RETURN_IF_ERROR(store_.append_change(
          t, directory_feed(l), seq, ascii_lower(u.object_id), ChangeOp::kUpsert, utc_now_iso()));
      return Status::ok();
    });
    if (!s) return s;
    return outcome;
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
        auto* q, db_.prepare("SELECT object_id, source_anchor, attrs, deleted, seq FROM "
                             "directory_users WHERE tenant_id = ? AND layer = ? AND deleted = 0 "
                             "AND object_id > ? ORDER BY object_id LIMIT ?"));
    q->bind(1, t);
    q->bind(2, layer_name(l));
    q->bind(3, ascii_lower(after_object_id));
    q->bind(4, static_cast<int64_t>(limit));
    std::vector<DirectoryUser> out;
    while (true) {
      UPSYNC_ASSIGN_OR_RETURN(bool row, q->step());
      if (!row) break;
      UPSYNC_ASSIGN_OR_RETURN(DirectoryUser u, read(*q));
      out.push_back(std::move(u));
    }
    q->reset();
    return out;
  }

  Result<std::vector<DirectoryUser>> anchored_users(TenantId t, DirectoryLayer l) override {
    return many(t, l, "AND source_anchor IS NOT NULL");
  }

 private:
  // The live cloud users whose `key` (see cloud_users_sql) is `value`, in object id order.
  Result<std::vector<DirectoryUser>> cloud_users(std::string_view key, TenantId t,
                                                 std::string_view value) {
    UPSYNC_ASSIGN_OR_RETURN(auto* q, db_.prepare(cloud_users_sql(key)));
    q->bind(1, t);
    q->bind(2, ascii_lower(value));
    std::vector<DirectoryUser> out;
    while (true) {
      auto row = q->step();
      if (!row) {
        q->reset();
        return row.status();
      }
      if (!*row) break;
      auto u = read(*q);
      if (!u) {
        q->reset();
        return u.status();
      }
      out.push_back(std::move(*u));
    }
    q->reset();
    // Sorted here: an ORDER BY would tempt the planner into a walk in object id order.
    std::sort(out.begin(), out.end(), [](const DirectoryUser& a, const DirectoryUser& b) {
      return a.object_id < b.object_id;
    });
    return out;
  }

  Result<std::vector<DirectoryUser>> many(TenantId t, DirectoryLayer l, const std::string& tail) {
    UPSYNC_ASSIGN_OR_RETURN(
        auto* q, db_.prepare("SELECT object_id, source_anchor, attrs, deleted, seq FROM "
                             "directory_users WHERE tenant_id = ? AND layer = ? AND deleted = 0 " +
                             tail));
    q->bind(1, t);
    q->bind(2, layer_name(l));
    std::vector<DirectoryUser> out;
    while (true) {
      UPSYNC_ASSIGN_OR_RETURN(bool row, q->step());
      if (!row) break;
      UPSYNC_ASSIGN_OR_RETURN(DirectoryUser u, read(*q));
      out.push_back(std::move(u));
    }
    q->reset();
    return out;
  }

  Result<DirectoryUser> read(SqliteStatement& q) {
    DirectoryUser u;
    u.object_id = q.column_text(0);
    u.source_anchor = q.column_text(1);
    UPSYNC_ASSIGN_OR_RETURN(u.attributes, decode(q.column_text(2)));
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

const std::vector<std::string>& cloud_attribute_names() {
  static const std::vector<std::string> kNames = {
      "userPrincipalName",
      "accountEnabled",
      "signInBlocked",
      "licensed",
      "mail",
      "proxyAddresses",
      "givenName",
      "surname",
      "displayName",
      "jobTitle",
      "department",
      "telephoneNumber",
      "physicalDeliveryOfficeName",
      "preferredLanguage",
      "wWWHomePage",
      "msExchHideFromAddressList",
      "msExchRecipientTypeDetails",
      "manager",
      "objectSid",
      "objectGuid",
      "objectGuidBytes",
      "distinguishedName",
  };
  return kNames;
}

Result<std::string> cloud_attribute_name(std::string_view name) {
  std::string known;
  for (const std::string& n : cloud_attribute_names()) {
    if (ascii_iequal(n, name)) return n;
    known += (known.empty() ? "" : ", ") + n;
  }
  return not_found("unknown directory attribute '" + quote_for_message(name) +
                   "' (known: " + known + ")");
}

std::string_view directory_feed(DirectoryLayer layer) {
  return layer == DirectoryLayer::kCloud ? kCloudUsersFeed : kDirectoryUsersFeed;
}

std::string DirectoryUser::first(std::string_view name) const {
  auto it = attributes.find(std::string(name));
  return (it == attributes.end() || it->second.empty()) ? std::string() : it->second[0];
}

bool DirectoryUser::flag(std::string_view name, bool missing) const {
  auto it = attributes.find(std::string(name));
  if (it == attributes.end() || it->second.empty()) return missing;
  return ascii_iequal(it->second[0], "true");
}

Result<std::unique_ptr<DirectoryStore>> open_directory_store(Store& store) {
  auto* sqlite = dynamic_cast<SqliteStore*>(&store);
  if (!sqlite) return failed_precondition("the directory store needs the SQLite backend");
  return std::unique_ptr<DirectoryStore>(new SqliteDirectoryStore(*sqlite));
}

}  // namespace upsync
