// The PostgreSQL PeopleSearchStore (sites/people_search.h): searches of the index PgStore keeps
// in people_search_entries and people_search_tokens (pg_people_index.cpp), as the SQLite
// backend's (sqlite_people_search.cpp). A search is a range of the token index: the token
// column sorts by bytes (COLLATE "C", pg_schema.cpp), as SQLite's does.
#include "sites/people_search.h"
#include "store/postgres/pg_store.h"

namespace upsync {

namespace {

constexpr std::string_view kEntryColumns =
    "kind, principal, claim, display_text, description, email, title, department, "
    "mobile_phone, object_id";

char kind_letter(PickerKind kind) {
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
      const std::string k(1, kind_letter(kind));
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

Result<std::unique_ptr<PeopleSearchStore>> PgStore::people_search_store() {
  return std::unique_ptr<PeopleSearchStore>(new PgPeopleSearchStore(*this));
}

}  // namespace upsync
