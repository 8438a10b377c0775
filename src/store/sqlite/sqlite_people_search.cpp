// The people search index (sites/people_search.h) in people_search_entries and
// people_search_tokens (kPeopleSearchMigration in sqlite_migrations.cpp).
#include <algorithm>
#include <set>

#include "core/text.h"
#include "directory/directory_store.h"
#include "sites/people_search.h"
#include "store/sqlite/sqlite_store.h"

namespace upsync {

namespace {

constexpr std::string_view kEntryColumns =
    "kind, principal, claim, display_text, description, email, title, department, "
    "mobile_phone, object_id";

char kind_code(PickerKind kind) {
  switch (kind) {
    case PickerKind::kUser:
      return 'u';
    case PickerKind::kSecurityGroup:
      return 's';
    case PickerKind::kDistributionList:
      return 'd';
  }
  return 'u';
}

PickerEntry read_entry(SqliteStatement& s) {
  PickerEntry e;
  const std::string_view kind = s.column_text(0);
  e.kind = kind == "s"   ? PickerKind::kSecurityGroup
           : kind == "d" ? PickerKind::kDistributionList
                         : PickerKind::kUser;
  e.principal = s.column_text(1);
  e.key = s.column_text(2);
  e.display_text = s.column_text(3);
  e.description = s.column_text(4);
  e.email = s.column_text(5);
  e.title = s.column_text(6);
  e.department = s.column_text(7);
  e.mobile_phone = s.column_text(8);
  e.object_id = s.column_text(9);
  return e;
}

std::string joined_tokens(const std::vector<std::string>& tokens) {
  std::string out;
  for (const std::string& t : tokens) {
    if (!out.empty()) out.push_back('\n');
    out += t;
  }
  return out;
}

// Removes the entry (kind, principal) and its token rows; nothing when there is none.
Status remove_entry(SqliteDb& db, TenantId tenant, char kind, std::string_view principal) {
  UPSYNC_ASSIGN_OR_RETURN(auto* q, db.prepare("SELECT tokens FROM people_search_entries WHERE "
                                              "tenant_id = ? AND kind = ? AND principal = ?"));
  const std::string k(1, kind);
  q->bind(1, tenant);
  q->bind(2, k);
  q->bind(3, principal);
  UPSYNC_ASSIGN_OR_RETURN(bool row, q->step());
  std::string tokens = row ? std::string(q->column_text(0)) : std::string();
  q->reset();
  if (!row) return Status::ok();
  UPSYNC_ASSIGN_OR_RETURN(auto* del,
                          db.prepare("DELETE FROM people_search_tokens WHERE tenant_id "
                                     "= ? AND kind = ? AND token = ? AND principal = ?"));
  for (size_t start = 0; start <= tokens.size() && !tokens.empty();) {
    size_t end = tokens.find('\n', start);
    if (end == std::string::npos) end = tokens.size();
    del->bind(1, tenant);
    del->bind(2, k);
    del->bind(3, std::string_view(tokens).substr(start, end - start));
    del->bind(4, principal);
    UPSYNC_RETURN_IF_ERROR(del->run());
    start = end + 1;
  }
  UPSYNC_ASSIGN_OR_RETURN(auto* e, db.prepare("DELETE FROM people_search_entries WHERE "
                                              "tenant_id = ? AND kind = ? AND principal = ?"));
  e->bind(1, tenant);
  e->bind(2, k);
  e->bind(3, principal);
  return e->run();
}

// Writes `entry` and its tokens in place of what the index held for it; nothing when both are
// as stored (a profile write that changed nothing searched: most of a sync's). `fresh`: the
// index cannot hold it yet (a profile just created), so nothing is looked up first.
Status put_entry(SqliteDb& db, TenantId tenant, const PickerEntry& entry, bool fresh = false) {
  const std::vector<std::string> tokens = people_search_tokens(entry);
  const std::string joined = joined_tokens(tokens);
  const std::string k(1, kind_code(entry.kind));
  if (!fresh) {
    UPSYNC_ASSIGN_OR_RETURN(auto* q, db.prepare("SELECT " + std::string(kEntryColumns) +
                                                ", tokens FROM people_search_entries WHERE "
                                                "tenant_id = ? AND kind = ? AND principal = ?"));
    q->bind(1, tenant);
    q->bind(2, k);
    q->bind(3, entry.principal);
    UPSYNC_ASSIGN_OR_RETURN(bool row, q->step());
    bool same = false;
    if (row) {
      PickerEntry stored = read_entry(*q);
      stored.accounts = entry.accounts;  // not stored: their tokens are
      same = stored == entry && q->column_text(10) == joined;
    }
    q->reset();
    if (same) return Status::ok();
  }
  if (!fresh) UPSYNC_RETURN_IF_ERROR(remove_entry(db, tenant, k[0], entry.principal));
  UPSYNC_ASSIGN_OR_RETURN(
      auto* ins,
      db.prepare("INSERT INTO people_search_entries (tenant_id, " + std::string(kEntryColumns) +
                 ", tokens) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"));
  ins->bind(1, tenant);
  ins->bind(2, k);
  ins->bind(3, entry.principal);
  ins->bind(4, entry.key);
  ins->bind(5, entry.display_text);
  ins->bind(6, entry.description);
  ins->bind(7, entry.email);
  ins->bind(8, entry.title);
  ins->bind(9, entry.department);
  ins->bind(10, entry.mobile_phone);
  ins->bind(11, entry.object_id);
  ins->bind(12, joined);
  UPSYNC_RETURN_IF_ERROR(ins->run());
  UPSYNC_ASSIGN_OR_RETURN(auto* tok, db.prepare("INSERT INTO people_search_tokens (tenant_id, "
                                                "kind, token, principal) VALUES (?, ?, ?, ?)"));
  for (const std::string& t : tokens) {
    tok->bind(1, tenant);
    tok->bind(2, k);
    tok->bind(3, t);
    tok->bind(4, entry.principal);
    UPSYNC_RETURN_IF_ERROR(tok->run());
  }
  return Status::ok();
}

class SqlitePeopleSearchStore : public PeopleSearchStore {
 public:
  explicit SqlitePeopleSearchStore(SqliteStore& s) : db_(s.db()) {}

  Result<std::vector<PickerEntry>> search(TenantId tenant, std::string_view query, int kinds,
                                          int limit) override {
    const std::string from = people_search_normal(query);
    if (from.empty()) return invalid_argument("a people search needs a query");
    if (limit < 1) return invalid_argument("a people search needs a limit of at least 1");
    // Every token that starts with `from` sorts from it up to `from` + 0xFF (no UTF-8 byte
    // is 0xFF), so the range is one seek and a walk of the matches.
    const std::string to = from + '\xFF';
    // The tokens' range with each one's entry (a lookup by primary key), walked until `limit`
    // principals: a person matches by several tokens, and comes once.
    UPSYNC_ASSIGN_OR_RETURN(
        auto* scan,
        db_.prepare("SELECT e.kind, e.principal, e.claim, e.display_text, e.description, e.email, "
                    "e.title, e.department, e.mobile_phone, e.object_id FROM people_search_tokens "
                    "t JOIN people_search_entries e ON e.tenant_id = t.tenant_id AND e.kind = "
                    "t.kind AND e.principal = t.principal WHERE t.tenant_id = ? AND t.kind = ? "
                    "AND t.token >= ? AND t.token < ? ORDER BY t.token"));
    std::vector<PickerEntry> out;
    for (PickerKind kind :
         {PickerKind::kUser, PickerKind::kSecurityGroup, PickerKind::kDistributionList}) {
      if ((kinds & picker_kind_bit(kind)) == 0) continue;
      const std::string k(1, kind_code(kind));
      std::set<std::string, std::less<>> seen;
      scan->bind(1, tenant);
      scan->bind(2, k);
      scan->bind(3, from);
      scan->bind(4, to);
      while (static_cast<int>(seen.size()) < limit) {
        auto row = scan->step();
        if (!row) {
          scan->reset();
          return row.status();
        }
        if (!*row) break;
        if (seen.insert(std::string(scan->column_text(1))).second) {
          out.push_back(read_entry(*scan));
        }
      }
      scan->reset();
    }
    return out;
  }

 private:
  SqliteDb& db_;
};

}  // namespace

Status SqliteStore::index_profile(TenantId tenant, const Profile& profile, bool created) {
  // A new profile's id is new to the index too: delete_profile() removes a profile's entry.
  return put_entry(*db_, tenant, picker_entry_for_profile(profile), created);
}

Status SqliteStore::unindex_profile(TenantId tenant, ProfileId id) {
  return remove_entry(*db_, tenant, kind_code(PickerKind::kUser), std::to_string(id));
}

Status SqliteStore::index_group(TenantId tenant, std::string_view object_id,
                                std::string_view display_name, std::string_view mail,
                                bool security_enabled) {
  PickerEntry entry = picker_entry_for_group(object_id, display_name, mail, security_enabled);
  // A group that changed kind leaves its other entry.
  const PickerKind other =
      security_enabled ? PickerKind::kDistributionList : PickerKind::kSecurityGroup;
  UPSYNC_RETURN_IF_ERROR(remove_entry(*db_, tenant, kind_code(other), entry.principal));
  return put_entry(*db_, tenant, entry);
}

Status SqliteStore::unindex_group(TenantId tenant, std::string_view object_id) {
  const std::string id = ascii_lower(object_id);
  UPSYNC_RETURN_IF_ERROR(remove_entry(*db_, tenant, kind_code(PickerKind::kSecurityGroup), id));
  return remove_entry(*db_, tenant, kind_code(PickerKind::kDistributionList), id);
}

Status SqliteStore::rebuild_people_search() {
  UPSYNC_RETURN_IF_ERROR(
      db_->exec("DELETE FROM people_search_tokens; "
                "DELETE FROM people_search_entries;"));
  UPSYNC_ASSIGN_OR_RETURN(auto directory, directory_store());
  return for_each_searchable(
      *this, *directory, [&](TenantId t, const Profile& p) { return index_profile(t, p, true); },
      [&](TenantId t, const DirectoryGroup& g) {
        return index_group(t, g.object_id, g.first("displayName"), g.first("mail"),
                           g.flag("securityEnabled", true));
      });
}

Result<std::unique_ptr<PeopleSearchStore>> SqliteStore::people_search_store() {
  return std::unique_ptr<PeopleSearchStore>(new SqlitePeopleSearchStore(*this));
}

}  // namespace upsync
