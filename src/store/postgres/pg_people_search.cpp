// The people search index (sites/people_search.h) in people_search_entries and
// people_search_tokens, as the SQLite backend keeps it (sqlite_people_search.cpp). A search
// is a range of the token index: the token column sorts by bytes (COLLATE "C", pg_schema.cpp),
// as SQLite's does.
#include <algorithm>
#include <set>

#include "core/text.h"
#include "directory/directory_store.h"
#include "sites/people_search.h"
#include "store/postgres/pg_store.h"

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

PickerEntry read_entry(const PgResult& r, int i) {
  PickerEntry e;
  const std::string_view kind = r.text(i, 0);
  e.kind = kind == "s"   ? PickerKind::kSecurityGroup
           : kind == "d" ? PickerKind::kDistributionList
                         : PickerKind::kUser;
  e.principal = r.text(i, 1);
  e.key = r.text(i, 2);
  e.display_text = r.text(i, 3);
  e.description = r.text(i, 4);
  e.email = r.text(i, 5);
  e.title = r.text(i, 6);
  e.department = r.text(i, 7);
  e.mobile_phone = r.text(i, 8);
  e.object_id = r.text(i, 9);
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
Status remove_entry(PgDb& db, TenantId tenant, char kind, std::string_view principal) {
  const std::string k(1, kind);
  UPSYNC_RETURN_IF_ERROR(db.run("DELETE FROM people_search_tokens WHERE tenant_id = $1 AND kind "
                                "= $2 AND principal = $3",
                                {tenant, k, principal})
                             .status());
  return db
      .run(
          "DELETE FROM people_search_entries WHERE tenant_id = $1 AND kind = $2 AND principal = "
          "$3",
          {tenant, k, principal})
      .status();
}

// Writes `entry` and its tokens in place of what the index held for it; nothing when both are
// as stored (a profile write that changed nothing searched: most of a sync's). `fresh`: the
// index cannot hold it yet (a profile just created), so nothing is looked up first.
Status put_entry(PgDb& db, TenantId tenant, const PickerEntry& entry, bool fresh = false) {
  const std::vector<std::string> tokens = people_search_tokens(entry);
  const std::string joined = joined_tokens(tokens);
  const std::string k(1, kind_code(entry.kind));
  if (!fresh) {
    UPSYNC_ASSIGN_OR_RETURN(PgResult r, db.query("SELECT " + std::string(kEntryColumns) +
                                                     ", tokens FROM people_search_entries WHERE "
                                                     "tenant_id = $1 AND kind = $2 AND "
                                                     "principal = $3",
                                                 {tenant, k, entry.principal}));
    if (r.rows() > 0) {
      PickerEntry stored = read_entry(r, 0);
      stored.accounts = entry.accounts;  // not stored: their tokens are
      if (stored == entry && r.text(0, 10) == joined) return Status::ok();
    }
    UPSYNC_RETURN_IF_ERROR(remove_entry(db, tenant, k[0], entry.principal));
  }
  UPSYNC_RETURN_IF_ERROR(
      db.run("INSERT INTO people_search_entries (tenant_id, " + std::string(kEntryColumns) +
                 ", tokens) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)",
             {tenant, k, entry.principal, entry.key, entry.display_text, entry.description,
              entry.email, entry.title, entry.department, entry.mobile_phone, entry.object_id,
              joined})
          .status());
  if (tokens.empty()) return Status::ok();
  // The tokens in one statement: the joined text split back into rows.
  return db
      .run(
          "INSERT INTO people_search_tokens (tenant_id, kind, token, principal) SELECT "
          "$1::bigint, $2::text, t, $3::text FROM unnest(string_to_array($4::text, E'\\n')) AS t",
          {tenant, k, entry.principal, joined})
      .status();
}

class PgPeopleSearchStore : public PeopleSearchStore {
 public:
  explicit PgPeopleSearchStore(PgStore& s) : db_(s.db()) {}

  Result<std::vector<PickerEntry>> search(TenantId tenant, std::string_view query, int kinds,
                                          int limit) override {
    const std::string from = people_search_normal(query);
    if (from.empty()) return invalid_argument("a people search needs a query");
    if (limit < 1) return invalid_argument("a people search needs a limit of at least 1");
    // Every token that starts with `from` sorts from it up to `from` + U+10FFFF, the largest
    // code point (text must be valid UTF-8 here, so SQLite's 0xFF byte cannot be used): one
    // seek and a walk of the matches.
    const std::string to = from + "\xF4\x8F\xBF\xBF";
    std::vector<PickerEntry> out;
    for (PickerKind kind :
         {PickerKind::kUser, PickerKind::kSecurityGroup, PickerKind::kDistributionList}) {
      if ((kinds & picker_kind_bit(kind)) == 0) continue;
      const std::string k(1, kind_code(kind));
      // The first `limit` principals in token order: a person matches by several tokens, and
      // comes once (at their first token).
      UPSYNC_ASSIGN_OR_RETURN(
          PgResult r,
          db_.query("SELECT e.kind, e.principal, e.claim, e.display_text, e.description, "
                    "e.email, e.title, e.department, e.mobile_phone, e.object_id FROM (SELECT "
                    "principal, min(token) AS first FROM people_search_tokens WHERE tenant_id = "
                    "$1 AND kind = $2 AND token >= $3 AND token < $4 GROUP BY principal ORDER BY "
                    "first, principal LIMIT $5) m JOIN people_search_entries e ON e.tenant_id = "
                    "$1 AND e.kind = $2 AND e.principal = m.principal ORDER BY m.first, "
                    "m.principal",
                    {tenant, k, from, to, int64_t{limit}}));
      for (int i = 0; i < r.rows(); ++i) out.push_back(read_entry(r, i));
    }
    return out;
  }

 private:
  PgDb& db_;
};

}  // namespace

Status PgStore::index_profile(TenantId tenant, const Profile& profile, bool created) {
  // A new profile's id is new to the index too: delete_profile() removes a profile's entry.
  return put_entry(db(), tenant, picker_entry_for_profile(profile), created);
}

Status PgStore::unindex_profile(TenantId tenant, ProfileId id) {
  return remove_entry(db(), tenant, kind_code(PickerKind::kUser), std::to_string(id));
}

Status PgStore::index_group(TenantId tenant, std::string_view object_id,
                            std::string_view display_name, std::string_view mail,
                            bool security_enabled) {
  PickerEntry entry = picker_entry_for_group(object_id, display_name, mail, security_enabled);
  // A group that changed kind leaves its other entry.
  const PickerKind other =
      security_enabled ? PickerKind::kDistributionList : PickerKind::kSecurityGroup;
  UPSYNC_RETURN_IF_ERROR(remove_entry(db(), tenant, kind_code(other), entry.principal));
  return put_entry(db(), tenant, entry);
}

Status PgStore::unindex_group(TenantId tenant, std::string_view object_id) {
  const std::string id = ascii_lower(object_id);
  UPSYNC_RETURN_IF_ERROR(remove_entry(db(), tenant, kind_code(PickerKind::kSecurityGroup), id));
  return remove_entry(db(), tenant, kind_code(PickerKind::kDistributionList), id);
}

Result<std::unique_ptr<PeopleSearchStore>> PgStore::people_search_store() {
  return std::unique_ptr<PeopleSearchStore>(new PgPeopleSearchStore(*this));
}

}  // namespace upsync
