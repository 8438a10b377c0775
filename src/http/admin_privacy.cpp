// The admin API's routes for a person's own privacy (SharePoint Server's "Who can see this?"
// beside each property of the edit profile page): where a property's policy lets its owner
// choose (PropertyPolicy::user_can_override), the signed-in person picks who sees their value,
// or goes back to the policy's default. Only their own profile: a person's choice is theirs;
// an admin changes the policy instead (PATCH /admin/v1/properties/{name}).
#include "core/text.h"
#include "http/admin_route_table.h"
#include "http/profile_privacy.h"

namespace upsync {

namespace {

// The caller's profile, or why there is none (an app, or a person without a profile).
Result<Profile> my_profile(Call& call) {
  UPSYNC_ASSIGN_OR_RETURN(Principal who, call.caller());
  if (who.upn.empty()) {
    return failed_precondition("an app has no profile: privacy choices are a person's own");
  }
  UPSYNC_ASSIGN_OR_RETURN(std::optional<Profile> me, viewer_profile(call, who));
  if (!me) {
    return not_found("no profile for " + who.upn + " in tenant '" + call.tenant.name + "'");
  }
  return *me;
}

// {"name", "displayName", "default", "privacy", "chosen"} of one property the owner may set.
nlohmann::json choice_json(const PropertyDefinition& def, const ProfileSchema& schema,
                           const std::map<std::string, Privacy>& choices) {
  const Privacy fallback = schema.policy(def.name).privacy;
  auto it = choices.find(def.name);
  return {{"name", def.name},
          {"displayName", def.display_name},
          {"default", privacy_name(fallback)},
          {"privacy", privacy_name(it != choices.end() ? it->second : fallback)},
          {"chosen", it != choices.end()}};
}

Status list_my_privacy(Call& call) {
  UPSYNC_ASSIGN_OR_RETURN(Profile me, my_profile(call));
  UPSYNC_ASSIGN_OR_RETURN(ProfileSchema schema, call.store.schema(call.tenant.id));
  UPSYNC_ASSIGN_OR_RETURN(auto choices, call.store.privacy_choices(call.tenant.id, me.id));
  nlohmann::json value = nlohmann::json::array();
  for (const PropertyDefinition* def : schema.all()) {
    if (schema.policy(def->name).user_can_override) {
      value.push_back(choice_json(*def, schema, choices));
    }
  }
  write_json(call.res, 200, {{"value", std::move(value)}});
  return Status::ok();
}

// {"privacy": "Public" | "Contacts" | "Organization" | "Manager" | "Private" (or SharePoint's
// labels) | null (the policy's default)}.
Status put_my_privacy(Call& call) {
  UPSYNC_ASSIGN_OR_RETURN(Profile me, my_profile(call));
  UPSYNC_ASSIGN_OR_RETURN(nlohmann::json body, json_body(call.req));
  if (!body.is_object() || body.size() != 1 || !body.contains("privacy")) {
    return write_field_error(call, "privacy",
                             "request body: expected {\"privacy\": level or null}, the level one "
                             "of Public, Contacts, Organization, Manager, Private");
  }
  std::optional<Privacy> privacy;
  if (!body["privacy"].is_null()) {
    if (body["privacy"].is_string()) privacy = parse_privacy(body["privacy"].get<std::string>());
    if (!privacy) {
      return write_field_error(
          call, "privacy",
          "'privacy' must be one of Public, Contacts, Organization, Manager, Private (or "
          "SharePoint's Everyone, My Colleagues, My Team, My Manager, Only Me) or null, got " +
              quote_for_message(body["privacy"].dump()));
    }
  }
  const std::string name = call.match[1].str();
  UPSYNC_RETURN_IF_ERROR(call.store.set_privacy_choice(call.tenant.id, me.id, name, privacy));
  // The answer is what was just written: the choice itself, or none.
  UPSYNC_ASSIGN_OR_RETURN(ProfileSchema schema, call.store.schema(call.tenant.id));
  UPSYNC_ASSIGN_OR_RETURN(const PropertyDefinition* def, schema.require(name));
  std::map<std::string, Privacy> written;
  if (privacy) written.emplace(def->name, *privacy);
  write_json(call.res, 200, choice_json(*def, schema, written));
  return Status::ok();
}

constexpr AdminRoute kPrivacyRoutes[] = {
    {"GET", "/admin/v1/me/privacy",
     "Who sees the caller's values of the properties whose policy lets them choose", Who::kSignedIn,
     200, list_my_privacy},
    {"PUT", "/admin/v1/me/privacy/{name}",
     "Choose who sees the caller's value ({\"privacy\": level | null for the policy's default})",
     Who::kSignedIn, 200, put_my_privacy},
};

}  // namespace

std::span<const AdminRoute> admin_privacy_routes() { return kPrivacyRoutes; }

}  // namespace upsync
