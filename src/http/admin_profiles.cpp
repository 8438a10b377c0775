// The admin API's profile routes (admin_routes.h), behind the admin pages' Profiles and
// Properties pages: list profiles with paging and a filter by property (or find them as the
// people picker does), read one, change its properties that directory sync does not write,
// create and delete one on server tenants; clear a custom property's values so that it can be
// removed.
//
// A refused value is answered with "target", the property it is about (admin_route_table.h),
// and nothing is written: every change of a request is checked against the schema before the
// store writes any of them.
#include <cstdint>
#include <optional>

#include "core/property_json.h"
#include "core/text.h"
#include "http/admin_route_table.h"
#include "sites/people_search.h"

namespace upsync {

namespace {

constexpr int kDefaultPage = 50;
constexpr int kLargestPage = 500;

// A whole number from `low` to `high` in query parameter `name`, or nullopt when absent.
Result<std::optional<int64_t>> number_param(const Call& call, const std::string& name, int64_t low,
                                            int64_t high) {
  if (!call.req.has_param(name)) return std::optional<int64_t>();
  const std::string text = call.req.get_param_value(name);
  if (text.empty() || text.size() > 18 ||
      text.find_first_not_of("0123456789") != std::string::npos || std::stoll(text) < low ||
      std::stoll(text) > high) {
    return invalid_argument("query parameter '" + name + "': expected a whole number from " +
                            std::to_string(low) + " to " + std::to_string(high) + ", got '" +
                            quote_for_message(text) + "'");
  }
  return std::optional<int64_t>(std::stoll(text));
}

Result<ProfileId> profile_id(const Call& call) {
  const std::string id = call.match[1].str();
  if (id.empty() || id.size() > 18 || id.find_first_not_of("0123456789") != std::string::npos) {
    return invalid_argument("profile id: expected a number, got '" + quote_for_message(id) + "'");
  }
  return static_cast<ProfileId>(std::stoll(id));
}

// A profile as the pages read it: single values as strings, multi values as arrays.
nlohmann::json profile_json(const Profile& p, const ProfileSchema& schema) {
  nlohmann::json props = nlohmann::json::object();
  for (const auto& [name, values] : p.properties) {
    const PropertyDefinition* d = schema.find(name);
    if (d && d->multi_value) {
      props[name] = values;
    } else {
      props[name] = values.empty() ? "" : values.front();
    }
  }
  return {{"id", p.id},
          {"accountName", p.account_name},
          {"updatedAt", p.updated_at},
          {"properties", props}};
}

// Only the named query parameters: anything else would be ignored, so it is refused.
Status only_params(const Call& call, std::initializer_list<std::string_view> known,
                   std::string_view hint) {
  for (const auto& [name, value] : call.req.params) {
    if (name.starts_with("$")) continue;  // the router refuses these (no route declares any)
    bool ok = false;
    for (auto k : known) ok = ok || name == k;
    if (!ok) {
      return invalid_argument("query parameter '" + quote_for_message(name) +
                              "' is not supported here (" + std::string(hint) + ")");
    }
  }
  return Status::ok();
}

// ?search=text: the people whose name, title, e-mail or account has a word starting with it
// (the people picker's index, sites/people_search.h), at most `limit`, in its order; a search
// narrows, so it has no further page.
Status search_profiles(Call& call, const ProfileSchema& schema, int limit) {
  if (call.req.has_param("after") || call.req.has_param("property")) {
    return invalid_argument(
        "query parameter 'search' goes alone (with top): it does not page or filter by a "
        "property");
  }
  const std::string text(trim(call.req.get_param_value("search")));
  if (text.empty()) {
    return invalid_argument(
        "query parameter 'search': give the start of a name, e-mail or account");
  }
  UPSYNC_ASSIGN_OR_RETURN(auto search, open_people_search_store(call.store));
  UPSYNC_ASSIGN_OR_RETURN(auto found, search->search(call.tenant.id, text, kPickerUsers, limit));
  nlohmann::json arr = nlohmann::json::array();
  for (const PickerEntry& e : found) {
    UPSYNC_ASSIGN_OR_RETURN(Profile p,
                            call.store.profile(call.tenant.id, {ProfileKeyKind::kId, e.principal}));
    arr.push_back(profile_json(p, schema));
  }
  write_json(call.res, 200, {{"value", arr}, {"nextAfter", nullptr}});
  return Status::ok();
}

Status list_profiles(Call& call) {
  UPSYNC_RETURN_IF_ERROR(only_params(call, {"top", "after", "property", "value", "search"},
                                     "expected top, after, property and value, or search"));
  ProfileQuery q;
  UPSYNC_ASSIGN_OR_RETURN(auto top, number_param(call, "top", 1, kLargestPage));
  UPSYNC_ASSIGN_OR_RETURN(auto after, number_param(call, "after", 0, INT64_MAX));
  q.limit = top ? static_cast<int>(*top) : kDefaultPage;
  q.after_id = after.value_or(0);
  UPSYNC_ASSIGN_OR_RETURN(ProfileSchema schema, call.store.schema(call.tenant.id));
  if (call.req.has_param("search")) return search_profiles(call, schema, q.limit);
  if (call.req.has_param("property") != call.req.has_param("value")) {
    return invalid_argument(
        "query parameters 'property' and 'value' go together: filter by a property's value, "
        "e.g. ?property=Department&value=Sales");
  }
  if (call.req.has_param("property")) {
    UPSYNC_ASSIGN_OR_RETURN(const PropertyDefinition* d,
                            schema.require(call.req.get_param_value("property")));
    q.filter_property = d->name;
    q.filter_value = call.req.get_param_value("value");
  }
  UPSYNC_ASSIGN_OR_RETURN(ProfilePage page, call.store.list_profiles(call.tenant.id, q));
  nlohmann::json arr = nlohmann::json::array();
  for (const Profile& p : page.profiles) arr.push_back(profile_json(p, schema));
  nlohmann::json out = {{"value", arr}};
  out["nextAfter"] = page.next_after_id ? nlohmann::json(*page.next_after_id) : nullptr;
  write_json(call.res, 200, out);
  return Status::ok();
}

Status get_profile(Call& call) {
  UPSYNC_RETURN_IF_ERROR(only_params(call, {}, "a profile takes no query"));
  UPSYNC_ASSIGN_OR_RETURN(ProfileId id, profile_id(call));
  UPSYNC_ASSIGN_OR_RETURN(ProfileSchema schema, call.store.schema(call.tenant.id));
  UPSYNC_ASSIGN_OR_RETURN(
      Profile p, call.store.profile(call.tenant.id, {ProfileKeyKind::kId, std::to_string(id)}));
  write_json(call.res, 200, profile_json(p, schema));
  return Status::ok();
}

// The changes of {"properties": {name: "text" | ["a","b"] | null}}, each checked against the
// schema. A refusal is written as a field error (nullopt returned, the answer written).
Result<std::optional<std::vector<PropertyChange>>> checked_changes(Call& call,
                                                                   const nlohmann::json& props,
                                                                   const ProfileSchema& schema) {
  std::vector<PropertyChange> changes;
  using Out = std::optional<std::vector<PropertyChange>>;
  if (!props.is_object()) {
    UPSYNC_RETURN_IF_ERROR(write_field_error(
        call, "properties", "request body: 'properties' must be an object of name: value"));
    return Out();
  }
  for (const auto& [name, value] : props.items()) {
    const PropertyDefinition* d = schema.find(name);
    if (!d) {
      UPSYNC_RETURN_IF_ERROR(write_field_error(
          call, name, "property '" + quote_for_message(name) + "' does not exist in this tenant"));
      return Out();
    }
    // Seeds 002/003: directory sync writes these; an edit here would be lost at its next run.
    if (d->directory_imported) {
      UPSYNC_RETURN_IF_ERROR(write_field_error(
          call, d->name,
          "property '" + d->name +
              "' is written by directory sync: change it in the directory, not here"));
      return Out();
    }
    PropertyChange c{d->name, {}};
    if (value.is_string()) {
      c.values.push_back(value.get<std::string>());
    } else if (value.is_array()) {
      for (const auto& v : value) {
        if (!v.is_string()) {
          UPSYNC_RETURN_IF_ERROR(write_field_error(
              call, d->name, "property '" + d->name + "': every value must be a string"));
          return Out();
        }
        c.values.push_back(v.get<std::string>());
      }
    } else if (!value.is_null()) {
      UPSYNC_RETURN_IF_ERROR(write_field_error(
          call, d->name,
          "property '" + d->name + "': expected a string, an array of strings or null"));
      return Out();
    }
    if (!c.values.empty() && !(c.values.size() == 1 && c.values[0].empty())) {
      auto normalized = schema.normalize(d->name, c.values);
      if (!normalized) {
        UPSYNC_RETURN_IF_ERROR(write_field_error(call, d->name, normalized.status().message()));
        return Out();
      }
    }
    changes.push_back(std::move(c));
  }
  return Out(std::move(changes));
}

Status only_members(const nlohmann::json& body, std::initializer_list<std::string_view> known,
                    std::string_view hint) {
  if (!body.is_object()) return invalid_argument("request body: expected a JSON object");
  for (const auto& [key, value] : body.items()) {
    bool ok = false;
    for (auto k : known) ok = ok || key == k;
    if (!ok) {
      return invalid_argument("request body: unknown member '" + quote_for_message(key) + "' (" +
                              std::string(hint) + ")");
    }
  }
  return Status::ok();
}

Status patch_profile(Call& call) {
  UPSYNC_ASSIGN_OR_RETURN(ProfileId id, profile_id(call));
  UPSYNC_ASSIGN_OR_RETURN(nlohmann::json body, json_body(call.req));
  UPSYNC_RETURN_IF_ERROR(only_members(body, {"properties"}, "expected properties"));
  if (!body.contains("properties")) {
    return invalid_argument(
        "request body: 'properties' is required, e.g. "
        "{\"properties\":{\"AboutMe\":\"...\"}}");
  }
  UPSYNC_ASSIGN_OR_RETURN(ProfileSchema schema, call.store.schema(call.tenant.id));
  UPSYNC_ASSIGN_OR_RETURN(auto changes, checked_changes(call, body["properties"], schema));
  if (!changes) return Status::ok();
  UPSYNC_ASSIGN_OR_RETURN(Profile updated, call.store.update_profile(call.tenant.id, id, *changes));
  write_json(call.res, 200, profile_json(updated, schema));
  return Status::ok();
}

// Seed 002: an online tenant's profiles are made and removed by directory sync; only a server
// tenant's admin makes them by hand.
Status require_server_tenant(const Call& call, std::string_view what) {
  if (call.tenant.kind != TenantKind::kServer) {
    return failed_precondition("profiles of online tenant '" + call.tenant.name +
                               "' come from its directory: " + std::string(what) +
                               " a profile there through directory sync, not by hand");
  }
  return Status::ok();
}

Status create_profile(Call& call) {
  UPSYNC_ASSIGN_OR_RETURN(nlohmann::json body, json_body(call.req));
  UPSYNC_RETURN_IF_ERROR(
      only_members(body, {"accountName", "properties"}, "expected accountName and properties"));
  UPSYNC_RETURN_IF_ERROR(require_server_tenant(call, "create"));
  if (!body.contains("accountName") || !body["accountName"].is_string() ||
      body["accountName"].get<std::string>().empty()) {
    return write_field_error(call, "accountName",
                             "accountName is required: the person's account, e.g. "
                             "i:0#.w|contoso\\adele");
  }
  UPSYNC_ASSIGN_OR_RETURN(ProfileSchema schema, call.store.schema(call.tenant.id));
  std::vector<PropertyChange> initial;
  if (body.contains("properties")) {
    UPSYNC_ASSIGN_OR_RETURN(auto changes, checked_changes(call, body["properties"], schema));
    if (!changes) return Status::ok();
    initial = std::move(*changes);
  }
  UPSYNC_ASSIGN_OR_RETURN(
      Profile made,
      call.store.create_profile(call.tenant.id, body["accountName"].get<std::string>(), initial));
  call.res.set_header("Location",
                      call.tenant_base + "/admin/v1/profiles/" + std::to_string(made.id));
  write_json(call.res, 201, profile_json(made, schema));
  return Status::ok();
}

Status delete_profile(Call& call) {
  UPSYNC_ASSIGN_OR_RETURN(ProfileId id, profile_id(call));
  UPSYNC_RETURN_IF_ERROR(require_server_tenant(call, "remove"));
  UPSYNC_RETURN_IF_ERROR(call.store.delete_profile(call.tenant.id, id));
  call.res.status = 204;
  return Status::ok();
}

// Removes every value of a custom property, in one transaction, so that it can be removed.
Status clear_property(Call& call) {
  UPSYNC_ASSIGN_OR_RETURN(nlohmann::json body, json_body(call.req));
  UPSYNC_RETURN_IF_ERROR(only_members(body, {}, "this call takes no body"));
  UPSYNC_ASSIGN_OR_RETURN(ProfileSchema schema, call.store.schema(call.tenant.id));
  UPSYNC_ASSIGN_OR_RETURN(const PropertyDefinition* d, schema.require(call.match[1].str()));
  if (!d->custom) {
    return failed_precondition("property '" + d->name +
                               "' is a default property of the catalog: its values are not "
                               "cleared in bulk");
  }
  const std::string name = d->name;
  int64_t cleared = 0;
  UPSYNC_RETURN_IF_ERROR(call.store.in_transaction([&]() -> Status {
    UPSYNC_RETURN_IF_ERROR(call.store.take_tenant_turn(call.tenant.id));
    ProfileQuery q;
    q.limit = kLargestPage;
    const PropertyChange clear{name, {}};
    while (true) {
      UPSYNC_ASSIGN_OR_RETURN(ProfilePage page, call.store.list_profiles(call.tenant.id, q));
      for (const Profile& p : page.profiles) {
        if (!p.find(name)) continue;
        UPSYNC_RETURN_IF_ERROR(
            call.store.update_read_profile(call.tenant.id, p, std::span(&clear, 1)).status());
        ++cleared;
      }
      if (!page.next_after_id) return Status::ok();
      q.after_id = *page.next_after_id;
    }
  }));
  write_json(call.res, 200, {{"property", name}, {"cleared", cleared}});
  return Status::ok();
}

// The member of a property update a store refusal is about, for the page to show it there.
std::string update_target(const Status& refused) {
  const std::string& m = refused.message();
  if (m.starts_with("the type of property")) return "type";
  if (m.find("cannot become single-value") != std::string::npos) return "multiValue";
  if (m.find("max length") != std::string::npos) return "maxLength";
  return "";
}

// PATCH {"displayName":..,"multiValue":..,"userEditable":..,"syncToSites":..,"maxLength":..,
// "type":.., "privacy":..,"userCanOverride":..,"showOnProfile":..,"showInEdit":..}: the
// members given change, the others stay. The first six are a custom property's definition;
// the last four its policy (core/property_policy.h), which every property has. Both change in
// one transaction, or nothing does; a refusal names its member in error.target.
Status patch_property(Call& call) {
  UPSYNC_RETURN_IF_ERROR(only_params(call, {}, "a property change takes no query"));
  UPSYNC_ASSIGN_OR_RETURN(nlohmann::json body, json_body(call.req));
  if (!body.is_object()) return invalid_argument("request body: expected a JSON object");
  UPSYNC_ASSIGN_OR_RETURN(ProfileSchema schema, call.store.schema(call.tenant.id));
  UPSYNC_ASSIGN_OR_RETURN(const PropertyDefinition* d, schema.require(call.match[1].str()));
  const std::string name = d->name;
  PropertyPolicy policy = schema.policy(name);
  bool policy_changes = false;
  PropertyUpdate update;
  for (const auto& [key, value] : body.items()) {
    if (key == "privacy" || key == "userCanOverride" || key == "showOnProfile" ||
        key == "showInEdit") {
      auto next = property_policy_from_json(nlohmann::json{{key, value}}, policy);
      if (!next) return write_field_error(call, key, next.status());
      policy = *next;
      policy_changes = true;
      continue;
    }
    std::optional<bool>* flag = key == "multiValue"     ? &update.multi_value
                                : key == "userEditable" ? &update.user_editable
                                : key == "syncToSites"  ? &update.sync_to_sites
                                                        : nullptr;
    if (flag) {
      if (!value.is_boolean()) {
        return write_field_error(call, key, "'" + key + "' must be true or false");
      }
      *flag = value.get<bool>();
      continue;
    }
    if (key == "displayName") {
      if (!value.is_string()) return write_field_error(call, key, "'displayName' must be a string");
      update.display_name = trim(value.get<std::string>());
      if (update.display_name->size() > 256) {
        return write_field_error(call, key, "'displayName' must be at most 256 characters");
      }
    } else if (key == "type") {
      auto type = value.is_string() ? parse_data_type(value.get<std::string>()) : std::nullopt;
      if (!type) {
        return write_field_error(call, key, "'type': unknown data type " + value.dump());
      }
      update.type = type;
    } else if (key == "maxLength") {
      if (!value.is_number_integer() || value.get<int64_t>() < 1 ||
          value.get<int64_t>() > 1000000) {
        return write_field_error(call, key, "'maxLength' must be a whole number from 1 to 1000000");
      }
      update.max_length = value.get<int>();
    } else {
      return write_field_error(
          call, key,
          "request body: unknown member '" + quote_for_message(key) +
              "' (a property's displayName, type, multiValue, userEditable, syncToSites, "
              "maxLength, privacy, userCanOverride, showOnProfile and showInEdit can change; its "
              "name and the other flags cannot)");
    }
  }
  const bool definition_changes = update.display_name || update.type || update.multi_value ||
                                  update.user_editable || update.sync_to_sites || update.max_length;
  PropertyDefinition result = *d;
  Status refused;  // the definition's refusal, answered with its member once rolled back
  Status st = call.store.in_transaction([&]() -> Status {
    if (definition_changes) {
      auto changed = call.store.update_custom_property(call.tenant.id, name, update);
      if (!changed) {
        refused = changed.status();
        return refused;
      }
      result = *changed;
    }
    if (policy_changes) return call.store.set_property_policy(call.tenant.id, name, policy);
    return Status::ok();
  });
  if (!refused.is_ok()) return write_field_error(call, update_target(refused), refused);
  UPSYNC_RETURN_IF_ERROR(st);
  write_json(call.res, 200, property_json(result, policy));
  return Status::ok();
}

const AdminRoute kProfileRoutes[] = {
    {"GET", "/admin/v1/profiles",
     "Profiles by id, a page at a time (?top=N&after=id), filtered by a property's value "
     "(?property=P&value=V), or found by the start of a name, e-mail or account (?search=T)",
     Who::kTenantManager, 200, list_profiles},
    {"POST", "/admin/v1/profiles",
     "Create a profile (server tenants): {\"accountName\":..,\"properties\":{..}}",
     Who::kTenantManager, 201, create_profile},
    {"GET", "/admin/v1/profiles/{id}", "One profile", Who::kTenantManager, 200, get_profile},
    {"PATCH", "/admin/v1/profiles/{id}",
     "Change a profile's properties that directory sync does not write "
     "({\"properties\":{name: value | [values] | null}}); a refusal names its property in "
     "error.target",
     Who::kTenantManager, 200, patch_profile},
    {"DELETE", "/admin/v1/profiles/{id}", "Remove a profile (server tenants)", Who::kTenantManager,
     204, delete_profile},
    {"PATCH", "/admin/v1/properties/{name}",
     "Change a custom property's displayName, multiValue, userEditable, syncToSites or "
     "maxLength, and any property's policy (privacy, userCanOverride, showOnProfile, "
     "showInEdit); a change its stored values forbid is refused naming its member in "
     "error.target",
     Who::kTenantManager, 200, patch_property},
    {"POST", "/admin/v1/properties/{name}/clear",
     "Remove every value of a custom property (so that it can be removed)", Who::kTenantManager,
     200, clear_property},
};

}  // namespace

std::span<const AdminRoute> admin_profile_routes() { return kProfileRoutes; }

}  // namespace upsync
