// People search: what SharePoint's people picker (ClientPeoplePickerWebServiceInterface's
// clientPeoplePickerSearchUser and clientPeoplePickerResolveUser) finds, by prefix, among a
// tenant's profiles and the directory store's groups, in milliseconds however many there are.
//
// Each person or group is one PickerEntry (what an answer shows of it) and a set of search
// tokens: the lower-case text from the start of every word of its display name, title and
// department, and the whole of its e-mail address and account names (a token "adele vance" and
// "vance" for "Adele Vance"). A query matches an entry when it is a prefix of one of its
// tokens, so "van", "adele v", "adele.vance@con" and "retail" (her department, Retail Sales)
// find Adele; "contoso" does not find everyone at contoso.com. Tokens are kept in a B-tree (tenant,
// kind, token): a search is a range scan from the query to the query followed by 0xFF, which stops
// after `limit` entries, never a scan of the tenant.
//
// The index is kept in the same transactions as what it indexes: a profile's write or deletion
// (Store::create_profile, update_profile, delete_profile) and a directory-store group's put or
// removal (DirectoryStore::put_group / remove_group with DirectoryLayer::kStore) rewrite its
// entry and tokens, so a search always sees every committed change and nothing else; the bulk
// import writes only custom properties, which nothing searched comes from. A database made
// before the index existed is indexed whole when the migration that adds it runs, and again
// when a migration changes what is tokenized (SQLite 27, PostgreSQL 4: the department).
//
//   auto search = open_people_search_store(store);
//   auto found = (*search)->search(tenant.id, "ade", kPickerUsers | kPickerSecurityGroups, 30);
//
// Case: ASCII letters are folded (as SharePoint's account names and e-mail addresses compare);
// other letters match as written.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"
#include "store/store.h"

namespace upsync {

// What an entry is; the bits of SharePoint's PrincipalType that select it.
enum class PickerKind {
  kUser,              // a profile (PrincipalType User = 1)
  kDistributionList,  // a directory group that is not security-enabled (DistributionList = 2)
  kSecurityGroup,     // a security-enabled directory group (SecurityGroup = 4)
};
inline constexpr int kPickerUsers = 1;
inline constexpr int kPickerDistributionLists = 2;
inline constexpr int kPickerSecurityGroups = 4;
int picker_kind_bit(PickerKind kind);

struct PickerEntry {
  PickerKind kind = PickerKind::kUser;
  // The entry's id among its kind: the profile id for people, the group's object id.
  std::string principal;
  std::string key;  // the claim: i:0#.f|membership|upn, c:0t.c|tenant|<group object id>
  std::string display_text;
  std::string description;  // the UPN (people) or the mail, else the name (groups)
  std::string email;
  std::string title;
  std::string department;
  std::string mobile_phone;
  std::string object_id;  // the directory object id (msOnline-ObjectId for people)
  // Further account names a query may start with (UPN, the claim's value, DOMAIN\user's user).
  std::vector<std::string> accounts;

  bool operator==(const PickerEntry&) const = default;
};

// A profile's entry (kind kUser, principal its id): display text PreferredName, else
// "FirstName LastName", else the UPN.
PickerEntry picker_entry_for_profile(const Profile& profile);
// A directory group's entry from its object id and attributes (directory_store.h's names).
PickerEntry picker_entry_for_group(std::string_view object_id, std::string_view display_name,
                                   std::string_view mail, bool security_enabled);

// The tokens of an entry, sorted and unique (see the top of this file).
std::vector<std::string> people_search_tokens(const PickerEntry& entry);
// A query as tokens are written: trimmed, runs of white space made one space, ASCII
// lower-cased. "" when nothing is left.
std::string people_search_normal(std::string_view query);

class PeopleSearchStore {
 public:
  virtual ~PeopleSearchStore() = default;
  // Up to `limit` entries of the kinds in `kinds` (kPicker* bits) with a token that starts
  // with people_search_normal(query), in order of their first matching token; `query` must not
  // normalize to "".
  virtual Result<std::vector<PickerEntry>> search(TenantId tenant, std::string_view query,
                                                  int kinds, int limit) = 0;
};

// The PeopleSearchStore over `store`'s connection, from its backend (store/store.h).
inline Result<std::unique_ptr<PeopleSearchStore>> open_people_search_store(Store& store) {
  return store.people_search_store();
}

}  // namespace upsync
