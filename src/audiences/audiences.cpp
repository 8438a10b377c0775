#include "audiences/audiences.h"

#include "audiences/audience_compiler.h"
#include "core/text.h"
#include "directory/directory_store.h"

namespace upsync {

namespace {

constexpr size_t kMaxNameLength = 128;
constexpr size_t kMaxDescriptionLength = 1000;
constexpr size_t kMaxRules = 100;
constexpr size_t kMaxValueLength = 1000;

constexpr std::string_view kMemberOfPrefix = "memberOf:";
constexpr std::string_view kReportsUnderPrefix = "reportsUnder:";

bool has_control(std::string_view s) {
  for (char c : s) {
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) return true;
  }
  return false;
}

bool starts_with_ci(std::string_view s, std::string_view prefix) {
  return s.size() >= prefix.size() && ascii_iequal(s.substr(0, prefix.size()), prefix);
}

// A group of the directory store by object id, or by display name when exactly one has it.
Result<std::string> resolve_group(DirectoryStore& dir, const Tenant& tenant,
                                  std::string_view group) {
  UPSYNC_ASSIGN_OR_RETURN(auto by_id, dir.group(tenant.id, DirectoryLayer::kStore, group));
  if (by_id && !by_id->deleted) return by_id->object_id;
  UPSYNC_ASSIGN_OR_RETURN(auto all, dir.groups(tenant.id, DirectoryLayer::kStore));
  std::vector<std::string> ids;
  for (const DirectoryGroup& g : all) {
    if (ascii_iequal(g.first("displayName"), group)) ids.push_back(g.object_id);
  }
  if (ids.size() == 1) return ids[0];
  if (ids.empty()) {
    return not_found("no directory group '" + quote_for_message(group) + "' in tenant '" +
                     tenant.name + "' (upsync directory group list --layer store)");
  }
  return invalid_argument(std::to_string(ids.size()) + " directory groups are named '" +
                          quote_for_message(group) + "': name it by its object id");
}

// A manager by claims account name, user principal name or work e-mail.
Result<std::string> resolve_manager(Store& store, const Tenant& tenant, std::string_view who) {
  // Only a claim ("i:0#.w|..." or "c:...") is an account name; anything else is a UPN or an
  // e-mail address (an account lookup would refuse it as a malformed claim).
  const bool claim = starts_with_ci(who, "i:") || starts_with_ci(who, "c:");
  for (ProfileKeyKind kind :
       {ProfileKeyKind::kAccountName, ProfileKeyKind::kPrincipalName, ProfileKeyKind::kEmail}) {
    if ((kind == ProfileKeyKind::kAccountName) != claim) continue;
    UPSYNC_ASSIGN_OR_RETURN(auto p, store.find_profile(tenant.id, {kind, std::string(who)}));
    if (p) return p->account_name;
  }
  return not_found("no profile '" + quote_for_message(who) + "' in tenant '" + tenant.name +
                   "' to report under");
}

// The rule as stored: names canonical, the group an object id, the manager an account.
Result<AudienceRule> check_rule(Store& store, DirectoryStore& dir, const Tenant& tenant,
                                const ProfileSchema& schema, AudienceRule rule) {
  switch (rule.kind) {
    case AudienceRuleKind::kPropertyEquals:
    case AudienceRuleKind::kPropertyContains: {
      UPSYNC_ASSIGN_OR_RETURN(const PropertyDefinition* def, schema.require(rule.property));
      rule.property = def->name;
      if (rule.value.empty()) return invalid_argument("no value to compare with");
      if (rule.value.size() > kMaxValueLength || has_control(rule.value) ||
          invalid_utf8_offset(rule.value) != std::string::npos) {
        return invalid_argument("the value must be UTF-8 text of at most " +
                                std::to_string(kMaxValueLength) + " bytes without controls");
      }
      rule.group.clear();
      rule.manager.clear();
      return rule;
    }
    case AudienceRuleKind::kMemberOf: {
      if (rule.group.empty()) return invalid_argument("no group named");
      UPSYNC_ASSIGN_OR_RETURN(rule.group, resolve_group(dir, tenant, rule.group));
      rule.property.clear();
      rule.value.clear();
      rule.manager.clear();
      return rule;
    }
    case AudienceRuleKind::kReportsUnder: {
      if (rule.manager.empty()) return invalid_argument("no manager named");
      UPSYNC_ASSIGN_OR_RETURN(rule.manager, resolve_manager(store, tenant, rule.manager));
      rule.property.clear();
      rule.value.clear();
      rule.group.clear();
      return rule;
    }
  }
  return invalid_argument("unknown rule kind");
}

Status check_name(const NewAudience& a) {
  if (trim(a.name).empty()) return invalid_argument("an audience needs a name");
  if (a.name.size() > kMaxNameLength || has_control(a.name) || trim(a.name) != a.name ||
      invalid_utf8_offset(a.name) != std::string::npos) {
    return invalid_argument("audience name '" + quote_for_message(a.name) + "': at most " +
                            std::to_string(kMaxNameLength) +
                            " bytes of UTF-8 without controls or surrounding spaces");
  }
  // A name that is a number would read as an id (AudienceStore::find).
  if (a.name.find_first_not_of("0123456789") == std::string::npos) {
    return invalid_argument("audience name '" + a.name + "' is a number, which names ids");
  }
  if (a.description.size() > kMaxDescriptionLength || has_control(a.description) ||
      invalid_utf8_offset(a.description) != std::string::npos) {
    return invalid_argument("the description must be UTF-8 text of at most " +
                            std::to_string(kMaxDescriptionLength) + " bytes without controls");
  }
  if (a.rules.empty()) return invalid_argument("audience '" + a.name + "' has no rule");
  if (a.rules.size() > kMaxRules) {
    return invalid_argument("audience '" + a.name + "' has " + std::to_string(a.rules.size()) +
                            " rules, more than " + std::to_string(kMaxRules));
  }
  return Status::ok();
}

}  // namespace

std::string_view audience_rule_kind_name(AudienceRuleKind kind) {
  switch (kind) {
    case AudienceRuleKind::kMemberOf:
      return "memberOf";
    case AudienceRuleKind::kPropertyEquals:
      return "propertyEquals";
    case AudienceRuleKind::kPropertyContains:
      return "propertyContains";
    case AudienceRuleKind::kReportsUnder:
      return "reportsUnder";
  }
  return "";
}

std::optional<AudienceRuleKind> parse_audience_rule_kind(std::string_view name) {
  for (AudienceRuleKind k :
       {AudienceRuleKind::kMemberOf, AudienceRuleKind::kPropertyEquals,
        AudienceRuleKind::kPropertyContains, AudienceRuleKind::kReportsUnder}) {
    if (ascii_iequal(name, audience_rule_kind_name(k))) return k;
  }
  return std::nullopt;
}

std::string_view audience_match_name(AudienceMatch match) {
  return match == AudienceMatch::kAll ? "all" : "any";
}

std::optional<AudienceMatch> parse_audience_match(std::string_view name) {
  if (ascii_iequal(name, "all")) return AudienceMatch::kAll;
  if (ascii_iequal(name, "any")) return AudienceMatch::kAny;
  return std::nullopt;
}

std::string format_audience_rule(const AudienceRule& r) {
  switch (r.kind) {
    case AudienceRuleKind::kMemberOf:
      return std::string(kMemberOfPrefix) + r.group;
    case AudienceRuleKind::kPropertyEquals:
      return r.property + "=" + r.value;
    case AudienceRuleKind::kPropertyContains:
      return r.property + "~=" + r.value;
    case AudienceRuleKind::kReportsUnder:
      return std::string(kReportsUnderPrefix) + r.manager;
  }
  return "";
}

Result<AudienceRule> parse_audience_rule(std::string_view text) {
  AudienceRule r;
  if (starts_with_ci(text, kMemberOfPrefix)) {
    r.kind = AudienceRuleKind::kMemberOf;
    r.group = std::string(trim(text.substr(kMemberOfPrefix.size())));
    return r;
  }
  if (starts_with_ci(text, kReportsUnderPrefix)) {
    r.kind = AudienceRuleKind::kReportsUnder;
    r.manager = std::string(trim(text.substr(kReportsUnderPrefix.size())));
    return r;
  }
  const size_t eq = text.find('=');
  if (eq == std::string_view::npos || eq == 0) {
    return invalid_argument("rule '" + quote_for_message(text) +
                            "': expected memberOf:<group>, <Property>=<value>, "
                            "<Property>~=<value> or reportsUnder:<account>");
  }
  const bool contains = text[eq - 1] == '~';
  r.kind = contains ? AudienceRuleKind::kPropertyContains : AudienceRuleKind::kPropertyEquals;
  r.property = std::string(trim(text.substr(0, contains ? eq - 1 : eq)));
  r.value = std::string(text.substr(eq + 1));
  if (r.property.empty()) {
    return invalid_argument("rule '" + quote_for_message(text) + "' names no property");
  }
  return r;
}

Status require_server_tenant(const Tenant& tenant) {
  if (tenant.kind == TenantKind::kServer) return Status::ok();
  return failed_precondition("tenant '" + tenant.name +
                             "' is an online tenant: audiences and hybrid settings belong to "
                             "server tenants (SharePoint Server), which send their hybrid users "
                             "to an online tenant");
}

Result<Audience> add_audience(Store& store, const Tenant& tenant, const NewAudience& in) {
  UPSYNC_RETURN_IF_ERROR(require_server_tenant(tenant));
  UPSYNC_RETURN_IF_ERROR(check_name(in));
  UPSYNC_ASSIGN_OR_RETURN(ProfileSchema schema, store.schema(tenant.id));
  UPSYNC_ASSIGN_OR_RETURN(auto dir, open_directory_store(store));
  UPSYNC_ASSIGN_OR_RETURN(auto audiences, open_audience_store(store));
  Audience a;
  a.name = in.name;
  a.description = in.description;
  a.match = in.match;
  for (size_t i = 0; i < in.rules.size(); ++i) {
    auto checked = check_rule(store, *dir, tenant, schema, in.rules[i]);
    if (!checked) {
      // Whatever the rule lacks (a property, a group, a manager), the request is what is wrong.
      return invalid_argument(
          checked.status()
              .with_context("audience '" + in.name + "', rule " + std::to_string(i + 1) + " (" +
                            quote_for_message(format_audience_rule(in.rules[i])) + ")")
              .message());
    }
    a.rules.push_back(std::move(*checked));
  }
  Audience stored;
  UPSYNC_RETURN_IF_ERROR(store.in_transaction([&]() -> Status {
    UPSYNC_RETURN_IF_ERROR(store.take_tenant_turn(tenant.id));
    UPSYNC_ASSIGN_OR_RETURN(stored, audiences->add(tenant.id, a));
    UPSYNC_ASSIGN_OR_RETURN(stored.member_count, compile_audience(store, tenant, stored));
    return Status::ok();
  }));
  UPSYNC_ASSIGN_OR_RETURN(auto reread, audiences->find(tenant.id, std::to_string(stored.id)));
  if (!reread) return internal_error("audience '" + a.name + "' vanished after it was added");
  return *reread;
}

}  // namespace upsync
