// Audiences (SharePoint Server's audiences, seed 000): named sets of a server tenant's people,
// defined by rules and compiled into a stored membership that the sync keeps current.
//
// A rule is one of:
//   member of a directory group   the group's transitive members (the directory store's
//                                 groups; a profile is matched by its msOnline-ObjectId)
//   property equals / contains    any value of the profile property, ASCII case-insensitively
//   reports under a manager       everyone whose Manager chain reaches the manager (not the
//                                 manager themself), as SharePoint's "Reports Under"
// and an audience matches people by all of its rules or by any of them. Audiences belong to
// server tenants only: an online tenant (SharePoint Online has no audiences of its own) refuses
// them with FailedPrecondition.
//
//   UPSYNC_ASSIGN_OR_RETURN(Audience a, add_audience(store, farm, {
//       .name = "Sales", .match = AudienceMatch::kAny,
//       .rules = {{.kind = AudienceRuleKind::kPropertyEquals, .property = "Department",
//                  .value = "Sales"}}}));                  // checked, stored, compiled
//   UPSYNC_ASSIGN_OR_RETURN(auto audiences, open_audience_store(store));
//   bool in = *audiences->is_member(farm.id, a.id, profile.id);
//
// The membership is kept current by run_audience_stage() (audiences/audience_compiler.h), the
// stage after profiles: it reads the profiles feed and the directory store's groups feed from
// its own cursors, so a delta re-evaluates only what changed. Rules are checked when added: a
// property the schema lacks, a group the directory store lacks or a manager without a profile
// is refused with a message naming it, and nothing is stored.
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

enum class AudienceRuleKind { kMemberOf, kPropertyEquals, kPropertyContains, kReportsUnder };
enum class AudienceMatch { kAll, kAny };

// "memberOf", "propertyEquals", "propertyContains", "reportsUnder" (the admin API's words).
std::string_view audience_rule_kind_name(AudienceRuleKind kind);
std::optional<AudienceRuleKind> parse_audience_rule_kind(std::string_view name);
std::string_view audience_match_name(AudienceMatch match);  // "all" / "any"
std::optional<AudienceMatch> parse_audience_match(std::string_view name);

struct AudienceRule {
  AudienceRuleKind kind = AudienceRuleKind::kPropertyEquals;
  // kMemberOf: the group's object id in the directory store (a display name is resolved to
  // it when the audience is added).
  std::string group;
  // kPropertyEquals / kPropertyContains: the property's canonical name and the value.
  std::string property;
  std::string value;
  // kReportsUnder: the manager's claims account name (a UPN is resolved to it when added).
  std::string manager;
};

// One line per rule, as the CLI writes and reads them:
//   memberOf:<group>   <Property>=<value>   <Property>~=<value>   reportsUnder:<account or UPN>
std::string format_audience_rule(const AudienceRule& rule);
// InvalidArgument naming the text when it is none of the forms above.
Result<AudienceRule> parse_audience_rule(std::string_view text);

struct Audience {
  int64_t id = 0;
  std::string name;  // unique in the tenant, case-insensitively; 1-128 characters
  std::string description;
  AudienceMatch match = AudienceMatch::kAll;
  std::vector<AudienceRule> rules;  // at least one
  int64_t member_count = 0;         // as last stored
  std::string compiled_at;          // UTC, ISO 8601: the last full compile
};

// The stored audiences and their membership (a set of profile ids per audience).
class AudienceStore {
 public:
  virtual ~AudienceStore() = default;
  // Stores `audience` as given (its rules already checked: see add_audience()); AlreadyExists
  // when the tenant has an audience of that name. Returns it with its id.
  virtual Result<Audience> add(TenantId tenant, const Audience& audience) = 0;
  // Every audience of the tenant, by name.
  virtual Result<std::vector<Audience>> list(TenantId tenant) = 0;
  // By name (case-insensitive) or, for a number, by id; nullopt when none.
  virtual Result<std::optional<Audience>> find(TenantId tenant, std::string_view name_or_id) = 0;
  // Removes the audience and its membership; false when there was none.
  virtual Result<bool> remove(TenantId tenant, int64_t audience_id) = 0;

  // Replaces the whole membership (a full compile) and stamps compiled_at.
  virtual Status set_members(TenantId tenant, int64_t audience_id,
                             const std::vector<ProfileId>& members) = 0;
  // Adds or removes one member; whether that changed anything.
  virtual Result<bool> set_member(TenantId tenant, int64_t audience_id, ProfileId profile,
                                  bool member) = 0;
  // Drops the profile from every audience of the tenant (a deleted profile).
  virtual Status remove_profile(TenantId tenant, ProfileId profile) = 0;
  virtual Result<bool> is_member(TenantId tenant, int64_t audience_id, ProfileId profile) = 0;
  // Up to `limit` members with ids above `after_id`, in id order (for paging).
  virtual Result<std::vector<ProfileId>> members(TenantId tenant, int64_t audience_id,
                                                 ProfileId after_id, int limit) = 0;
};

// The AudienceStore over `store`'s connection, from its backend (store/store.h).
inline Result<std::unique_ptr<AudienceStore>> open_audience_store(Store& store) {
  return store.audience_store();
}

// What an audience is made of before it is checked and stored.
struct NewAudience {
  std::string name;
  std::string description;
  AudienceMatch match = AudienceMatch::kAll;
  std::vector<AudienceRule> rules;
};

// Checks `audience` against the tenant (server tenants only; every rule's property, group and
// manager must exist: the message names the one that does not), stores it and compiles its
// membership, all in one transaction: on any error nothing is stored.
Result<Audience> add_audience(Store& store, const Tenant& tenant, const NewAudience& audience);

// FailedPrecondition for an online tenant: audiences are SharePoint Server's.
Status require_server_tenant(const Tenant& tenant);

}  // namespace upsync
