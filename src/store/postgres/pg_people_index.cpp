// The people search index (sites/people_search.h) in people_search_entries and
// people_search_tokens, kept by PgStore in the transactions of the writes it follows. The
// search itself is the PeopleSearchStore's.
#include <algorithm>

#include "core/text.h"
#include "directory/directory_store.h"
#include "sites/people_search.h"
#include "store/postgres/pg_store.h"

namespace upsync {

namespace {

std::string kind_code(PickerKind kind) {
  switch (kind) {
    case PickerKind::kUser:
      return "u";
    case PickerKind::kSecurityGroup:
      return "s";
    case PickerKind::kDistributionList:
      return "d";
  }
  return "u";
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
Status remove_entry(PgDb& db, TenantId tenant, const std::string& kind,
                    std::string_view principal) {
  UPSYNC_ASSIGN_OR_RETURN(
      PgResult r, db.query("DELETE FROM people_search_entries WHERE tenant_id = $1 AND kind = $2 "
                           "AND principal = $3 RETURNING tokens",
                           {tenant, kind, principal}));
  if (r.rows() == 0) return Status::ok();
  // The tokens the entry listed, '\n'-separated: exactly its rows.
  return db
      .run(
          "DELETE FROM people_search_tokens WHERE tenant_id = $1 AND kind = $2 AND "
          "principal = $3 AND token = ANY (string_to_array($4, E'\\n'))",
          {tenant, kind, principal, r.text(0, 0)})
      .status();
}

// Writes `entry` and its tokens in place of what the index held for it; nothing when both are
// as stored (a profile write that changed nothing searched). `fresh`: the index cannot hold
// it yet (a profile just created), so nothing is looked up first.
Status put_entry(PgDb& db, TenantId tenant, const PickerEntry& entry, bool fresh = false) {
  const std::vector<std::string> tokens = people_search_tokens(entry);
  const std::string joined = joined_tokens(tokens);
  const std::string k = kind_code(entry.kind);
  if (!fresh) {
    UPSYNC_ASSIGN_OR_RETURN(
        PgResult r,
        db.query("SELECT claim, display_text, description, email, title, department, "
                 "mobile_phone, object_id, tokens FROM people_search_entries WHERE tenant_id = "
                 "$1 AND kind = $2 AND principal = $3",
                 {tenant, k, entry.principal}));
    if (r.rows() == 1 && r.text(0, 0) == entry.key && r.text(0, 1) == entry.display_text &&
        r.text(0, 2) == entry.description && r.text(0, 3) == entry.email &&
        r.text(0, 4) == entry.title && r.text(0, 5) == entry.department &&
        r.text(0, 6) == entry.mobile_phone && r.text(0, 7) == entry.object_id &&
        r.text(0, 8) == joined) {
      return Status::ok();
    }
    UPSYNC_RETURN_IF_ERROR(remove_entry(db, tenant, k, entry.principal));
  }
  // Both sent with the transaction's next statement, with the entries and tokens deferred
  // since (PgDb::insert_deferred): the index's tables reference nothing but the tenant, and
  // nothing references them.
  static constexpr PgRowsInsert kEntry{
      .table = "people_search_entries",
      .columns =
          "tenant_id, kind, principal, claim, display_text, description, email, title, "
          "department, mobile_phone, object_id, tokens",
      .types = "bigint, text, text, text, text, text, text, text, text, text, text, text",
  };
  UPSYNC_RETURN_IF_ERROR(db.insert_deferred(
      kEntry,
      {tenant, k, entry.principal, entry.key, entry.display_text, entry.description, entry.email,
       entry.title, entry.department, entry.mobile_phone, entry.object_id, joined}));
  // Each token once (two words of an entry may be equal). A fresh entry's principal has no
  // rows; any other's were those its stored list named, deleted above: ON CONFLICT for a row
  // that list missed all the same, which costs the server about twice a plain insert.
  static constexpr PgRowsInsert kNewToken{
      .table = "people_search_tokens",
      .columns = "tenant_id, kind, token, principal",
      .types = "bigint, text, text, text",
  };
  static constexpr PgRowsInsert kToken{
      .table = "people_search_tokens",
      .columns = "tenant_id, kind, token, principal",
      .types = "bigint, text, text, text",
      .tail = "ON CONFLICT DO NOTHING",
  };
  std::vector<std::string_view> rows(tokens.begin(), tokens.end());
  std::sort(rows.begin(), rows.end());
  rows.erase(std::unique(rows.begin(), rows.end()), rows.end());
  for (const std::string_view token : rows) {
    UPSYNC_RETURN_IF_ERROR(
        db.insert_deferred(fresh ? kNewToken : kToken, {tenant, k, token, entry.principal}));
  }
  return Status::ok();
}

}  // namespace

Status PgStore::index_profile(TenantId tenant, const Profile& profile, bool created) {
  // A new profile's id is new to the index too: delete_profile() removes a profile's entry.
  return put_entry(*db_, tenant, picker_entry_for_profile(profile), created);
}

Status PgStore::unindex_profile(TenantId tenant, ProfileId id) {
  return remove_entry(*db_, tenant, kind_code(PickerKind::kUser), std::to_string(id));
}

Status PgStore::index_group(TenantId tenant, std::string_view object_id,
                            std::string_view display_name, std::string_view mail,
                            bool security_enabled) {
  PickerEntry entry = picker_entry_for_group(object_id, display_name, mail, security_enabled);
  // A group that changed kind leaves its other entry.
  const PickerKind other =
      security_enabled ? PickerKind::kDistributionList : PickerKind::kSecurityGroup;
  UPSYNC_RETURN_IF_ERROR(remove_entry(*db_, tenant, kind_code(other), entry.principal));
  return put_entry(*db_, tenant, entry);
}

Status PgStore::rebuild_people_search() {
  UPSYNC_RETURN_IF_ERROR(
      db_->exec("DELETE FROM people_search_tokens; DELETE FROM people_search_entries;"));
  UPSYNC_ASSIGN_OR_RETURN(auto directory, directory_store());
  return for_each_searchable(
      *this, *directory, [&](TenantId t, const Profile& p) { return index_profile(t, p, true); },
      [&](TenantId t, const DirectoryGroup& g) {
        return index_group(t, g.object_id, g.first("displayName"), g.first("mail"),
                           g.flag("securityEnabled", true));
      });
}

Status PgStore::unindex_group(TenantId tenant, std::string_view object_id) {
  const std::string id = ascii_lower(object_id);
  UPSYNC_RETURN_IF_ERROR(remove_entry(*db_, tenant, kind_code(PickerKind::kSecurityGroup), id));
  return remove_entry(*db_, tenant, kind_code(PickerKind::kDistributionList), id);
}

}  // namespace upsync
