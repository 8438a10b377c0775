#include "http/graph_privacy.h"

#include <string_view>
#include <utility>

#include "core/text.h"
#include "http/profile_privacy.h"

namespace upsync {

namespace {

constexpr std::pair<std::string_view, std::string_view> kGraphToProfile[] = {
    {"businessPhones", "WorkPhone"},
    {"displayName", "PreferredName"},
    {"givenName", "FirstName"},
    {"surname", "LastName"},
    {"mail", "WorkEmail"},
    {"officeLocation", "Office"},
    {"jobTitle", "Title"},
    {"department", "Department"},
    {"preferredLanguage", "SPS-MUILanguages"},
    {"mobilePhone", "CellPhone"},
};

// Whether some viewer other than the owner may be refused the property's value: a policy other
// than Public, or one its owners may change.
bool may_hide(const PropertyPolicy& policy) {
  return policy.privacy != Privacy::kPublic || policy.user_can_override;
}

}  // namespace

const AttributeNames& redaction_attributes() {
  static const AttributeNames kRead = {"userPrincipalName"};
  return kRead;
}

Result<std::vector<std::string_view>> hidden_user_fields(
    Call& call, const DirectoryUser& user, const std::function<bool(std::string_view)>& answered) {
  std::vector<std::string_view> hidden;
  // Asked once per user of a list: the caller and the user's name are read in place.
  if (!call.principal) return call.caller().status();
  const Principal& who = *call.principal;
  if (who.manages_tenant()) return hidden;
  auto upn = user.attributes.find("userPrincipalName");
  if (!who.upn.empty() && upn != user.attributes.end() && !upn->second.empty() &&
      ascii_iequal(upn->second.front(), who.upn)) {
    return hidden;
  }
  UPSYNC_ASSIGN_OR_RETURN(const ProfileSchema* schema, call.read_schema());
  if (!schema->any_restricted()) return hidden;
  // The owner's profile and the caller's relation to them are looked up only when one of the
  // answered fields could be hidden (a list of 50 names and titles costs no lookup per user).
  bool hideable = false;
  for (const auto& [graph, profile] : kGraphToProfile) {
    if (answered(graph) && may_hide(schema->policy(profile))) hideable = true;
  }
  if (!hideable) return hidden;
  UPSYNC_ASSIGN_OR_RETURN(
      auto owner,
      call.store.find_profile(call.tenant.id, {ProfileKeyKind::kCloudId, user.object_id}));
  ProfileVisibility visible(*schema, ViewerRelation::kAnyone);
  if (owner) {
    UPSYNC_ASSIGN_OR_RETURN(visible, profile_visibility(call, *schema, *owner));
  }
  for (const auto& [graph, profile] : kGraphToProfile) {
    if (answered(graph) && !visible.sees(profile)) hidden.push_back(graph);
  }
  return hidden;
}

Status redact_graph_user(Call& call, const DirectoryUser& user, nlohmann::ordered_json& fields) {
  UPSYNC_ASSIGN_OR_RETURN(auto hidden, hidden_user_fields(call, user, [&](std::string_view graph) {
                            return fields.contains(graph);
                          }));
  for (std::string_view graph : hidden) {
    fields[std::string(graph)] = graph == "businessPhones" ? nlohmann::ordered_json::array()
                                                           : nlohmann::ordered_json(nullptr);
  }
  return Status::ok();
}

Result<std::string> restricted_user_property_in(Call& call, std::string_view query) {
  UPSYNC_ASSIGN_OR_RETURN(Principal who, call.caller());
  if (who.manages_tenant()) return std::string();
  UPSYNC_ASSIGN_OR_RETURN(const ProfileSchema* schema, call.read_schema());
  if (!schema->any_restricted()) return std::string();
  const std::string lower = ascii_lower(query);
  auto word_char = [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_';
  };
  for (const auto& [graph, profile] : kGraphToProfile) {
    // A property its owners may hide is as restricted as one hidden by its policy.
    if (!may_hide(schema->policy(profile))) continue;
    const std::string name = ascii_lower(graph);
    for (size_t at = lower.find(name); at != std::string::npos; at = lower.find(name, at + 1)) {
      const size_t end = at + name.size();
      if ((at == 0 || !word_char(lower[at - 1])) &&
          (end == lower.size() || !word_char(lower[end]))) {
        return std::string(graph);
      }
    }
  }
  return std::string();
}

}  // namespace upsync
