// contextinfo, the web, and the routes of SP.UserProfiles.PeopleManager (PersonProperties:
// sharepoint_person.cpp).
#include "http/sharepoint_routes.h"

#include <openssl/rand.h>

#include <ctime>

#include "core/text.h"
#include "http/photo_routes.h"
#include "http/profile_privacy.h"
#include "http/sharepoint_batch.h"
#include "http/sharepoint_common.h"
#include "http/sharepoint_permissions.h"
#include "http/sharepoint_person.h"
#include "http/sharepoint_social.h"

namespace upsync {

namespace {

constexpr std::string_view kLibraryVersion = "16.0.0.0";

std::string site_title(const Call& call) {
  std::string site = call.match[1].str();
  return site.empty() ? call.tenant.name : site.substr(site.rfind('/') + 1);
}

// 0x<64 random bytes in hex>,<dd Mon yyyy HH:mm:ss> -0000 (SPFx parses the date after the
// comma to know when the digest expires).
std::string form_digest() {
  unsigned char bytes[64];
  RAND_bytes(bytes, sizeof bytes);
  static const char* kHex = "0123456789ABCDEF";
  std::string out = "0x";
  for (unsigned char b : bytes) {
    out.push_back(kHex[b >> 4]);
    out.push_back(kHex[b & 15]);
  }
  std::time_t now = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&now, &tm);
  char date[40];
  std::strftime(date, sizeof date, "%d %b %Y %H:%M:%S -0000", &tm);
  return out + "," + date;
}

Status context_info(Call& call) {
  std::string web = sp_web_url(call);
  std::vector<std::string> schemas = {"14.0.0.0", "15.0.0.0"};
  nlohmann::json info = {{"FormDigestTimeoutSeconds", 1800},
                         {"FormDigestValue", form_digest()},
                         {"LibraryVersion", kLibraryVersion},
                         {"SiteFullUrl", web},
                         {"WebFullUrl", web}};
  switch (odata_mode(call.req)) {
    case ODataMode::kVerbose:
      info["__metadata"] = {{"type", "SP.ContextWebInformation"}};
      info["SupportedSchemaVersions"] = {{"__metadata", {{"type", "Collection(Edm.String)"}}},
                                         {"results", schemas}};
      write_json(call.res, 200, {{"d", {{"GetContextWebInformation", info}}}},
                 "application/json;odata=verbose;charset=utf-8");
      return Status::ok();
    case ODataMode::kNoMetadata:
      info["SupportedSchemaVersions"] = schemas;
      write_json(call.res, 200, info, "application/json;odata=nometadata;charset=utf-8");
      return Status::ok();
    case ODataMode::kMinimalMetadata:
      break;
  }
  // Trap 2: PnPjs reads FormDigestValue at the top level, so JSON light stays flat.
  info["odata.metadata"] = sp_service_root(call) + "$metadata#SP.ContextWebInformation";
  info["SupportedSchemaVersions"] = schemas;
  write_json(call.res, 200, info, "application/json;odata=minimalmetadata;charset=utf-8");
  return Status::ok();
}

const SpSchema& web_schema() {
  static const SpSchema kSchema{"SP.Web",
                                {{"Title", SpType::kString},
                                 {"Url", SpType::kString},
                                 {"ServerRelativeUrl", SpType::kString},
                                 {"Id", SpType::kString}},
                                ""};
  return kSchema;
}

Status web(Call& call) {
  UPSYNC_ASSIGN_OR_RETURN(SpQuery q, sp_query(call, web_schema()));
  std::string site = call.match[1].str();
  std::string server_relative = site.empty() ? "/" : site;
  nlohmann::json body = {{"Title", site_title(call)},
                         {"Url", sp_web_url(call)},
                         {"ServerRelativeUrl", server_relative},
                         {"Id", sp_name_guid(call.tenant.name + server_relative)}};
  write_odata_entity(call.req, call.res, {"SP.Web", sp_service_root(call), "Web"},
                     sp_project(std::move(body), q.select));
  return Status::ok();
}

Result<std::string> account_arg(Call& call, const ODataSegment& seg) {
  const std::string* lit = seg.arg("accountName");
  if (!lit) {
    return invalid_argument(seg.name + " needs the account name: " + seg.name +
                            "(@v)?@v='i:0#.f|membership|user@contoso.com'.");
  }
  return odata_string(call.req, *lit, "accountName");
}

Status get_properties_for(Call& call, const ODataSegment& seg) {
  // The options are checked first: a bad $select is a 400 even for an unknown account.
  UPSYNC_RETURN_IF_ERROR(sp_query(call, sp_person_schema()).status());
  UPSYNC_ASSIGN_OR_RETURN(std::string account, account_arg(call, seg));
  auto p = sp_find_account(call, account);
  if (!p && p.status().code() == StatusCode::kNotFound) {
    write_odata_null(call.res);  // trap 5: an unknown account is a null result
    return Status::ok();
  }
  if (!p) return p.status();
  return sp_write_person(call, *p);
}

Status get_my_properties(Call& call) {
  UPSYNC_RETURN_IF_ERROR(sp_query(call, sp_person_schema()).status());
  UPSYNC_ASSIGN_OR_RETURN(Principal who, call.caller());
  auto p = sp_own_profile(call, who);
  if (!p && p.status().code() == StatusCode::kNotFound) {
    write_odata_null(call.res);
    return Status::ok();
  }
  if (!p) return p.status();
  return sp_write_person(call, *p);
}

// The definition of a property a client named; an unknown one is a 400 (never a 500,
// pnp/pnpjs#340).
Result<PropertyDefinition> property_named(Call& call, std::string_view name) {
  UPSYNC_ASSIGN_OR_RETURN(ProfileSchema schema, call.store.schema(call.tenant.id));
  const PropertyDefinition* d = schema.find(name);
  if (!d) {
    return invalid_argument("The property '" + quote_for_message(name) +
                            "' does not exist in the user profile schema of tenant '" +
                            call.tenant.name + "'.");
  }
  return *d;
}

Status get_user_profile_property_for(Call& call, const ODataSegment& seg) {
  UPSYNC_RETURN_IF_ERROR(only_query_options(call, {}));  // a string: nothing to select
  UPSYNC_ASSIGN_OR_RETURN(std::string account, account_arg(call, seg));
  const std::string* prop_lit = seg.arg("propertyName", 1);
  if (!prop_lit) {
    return invalid_argument(
        "GetUserProfilePropertyFor needs propertyname='<name>' after the account name.");
  }
  UPSYNC_ASSIGN_OR_RETURN(std::string prop, odata_string(call.req, *prop_lit, "propertyName"));
  UPSYNC_ASSIGN_OR_RETURN(PropertyDefinition def, property_named(call, prop));
  UPSYNC_ASSIGN_OR_RETURN(Profile p, sp_find_account(call, account));
  UPSYNC_ASSIGN_OR_RETURN(ProfileSchema schema, call.store.schema(call.tenant.id));
  UPSYNC_ASSIGN_OR_RETURN(ProfileVisibility visible, profile_visibility(call, schema, p));
  // A value the policy hides from the caller is answered as an unset one.
  write_odata_value(call.req, call.res, sp_service_root(call), "GetUserProfilePropertyFor",
                    "Edm.String", visible.sees(def.name) ? sp_joined_values(p.find(def.name)) : "");
  return Status::ok();
}

// SetSingleValueProfileProperty / SetMultiValuedProfileProperty.
Status set_property(Call& call, bool multi) {
  UPSYNC_ASSIGN_OR_RETURN(Principal who, call.caller());
  UPSYNC_ASSIGN_OR_RETURN(nlohmann::json body, sp_json_body(call));
  UPSYNC_ASSIGN_OR_RETURN(std::string account, sp_string_member(body, "accountName"));
  UPSYNC_ASSIGN_OR_RETURN(std::string prop, sp_string_member(body, "propertyName"));
  std::vector<std::string> values;
  auto scalar_text = [](const nlohmann::json& v, std::string_view member,
                        std::string& out) -> Status {
    if (v.is_string()) {
      out = v.get<std::string>();
    } else if (v.is_number() || v.is_boolean()) {
      out = v.dump();
    } else {
      return invalid_argument("'" + std::string(member) +
                              "' must hold strings, numbers or booleans, got " +
                              std::string(v.type_name()) + ".");
    }
    return Status::ok();
  };
  const char* member = multi ? "propertyValues" : "propertyValue";
  auto it = body.find(member);
  if (it == body.end()) {
    return invalid_argument("The request body has no '" + std::string(member) + "'.");
  }
  if (multi) {
    const nlohmann::json* list = &*it;
    // Verbose clients may send {"results":[...]} (Collection(Edm.String)).
    if (list->is_object() && list->contains("results")) list = &(*list)["results"];
    if (!list->is_array()) {
      return invalid_argument("'propertyValues' must be an array of strings, got " +
                              std::string(list->type_name()) + ".");
    }
    for (const auto& v : *list) {
      std::string text;
      UPSYNC_RETURN_IF_ERROR(scalar_text(v, member, text));
      values.push_back(std::move(text));
    }
  } else if (!it->is_null()) {
    std::string text;
    UPSYNC_RETURN_IF_ERROR(scalar_text(*it, member, text));
    values.push_back(std::move(text));
  }

  UPSYNC_ASSIGN_OR_RETURN(Profile target, sp_find_account(call, account));
  UPSYNC_ASSIGN_OR_RETURN(PropertyDefinition def, property_named(call, prop));
  if (!who.manages_tenant()) {
    if (!sp_is_own_profile(who, target) || !def.user_editable) {
      return permission_denied(
          "This operation requires you to be managing your own data or have administrator "
          "privileges. (" +
          who.describe() + " may not set '" + def.name + "' of " + target.account_name +
          (sp_is_own_profile(who, target) ? ": users may edit only user-editable properties)"
                                          : ")"));
    }
  }
  if (property_name_equal(def.name, "AccountName") ||
      property_name_equal(def.name, "UserProfile_GUID")) {
    return invalid_argument("The property '" + def.name +
                            "' identifies the profile and cannot be set.");
  }
  PropertyChange change{def.name, std::move(values)};
  auto updated = call.store.update_profile(call.tenant.id, target.id, {&change, 1});
  if (!updated) {
    // The store checks the value against the property's type; its message names both.
    if (updated.status().code() == StatusCode::kInvalidArgument ||
        updated.status().code() == StatusCode::kAlreadyExists) {
      return invalid_argument("Cannot set '" + def.name + "' of " + target.account_name + ": " +
                              updated.status().message());
    }
    return updated.status();
  }
  write_odata_null(call.res);
  return Status::ok();
}

Status people_manager(Call& call) {
  UPSYNC_ASSIGN_OR_RETURN(auto segs, sp_api_segments(call));
  // segs[0] is "SP.UserProfiles.PeopleManager" (or ".isfollowing(...)" glued to it).
  if (segs.empty()) return not_found("Cannot find resource for the request " + call.req.path + ".");
  std::string head = ascii_lower(segs[0].name);
  if (head != "sp.userprofiles.peoplemanager") {
    if (head.starts_with("sp.userprofiles.profileloader")) {
      return sp_not_supported(call, "the profile loader (GetUserProfile, personal sites)",
                              "upsync hosts no personal sites (OneDrive) and keeps no social data");
    }
    if (head.starts_with("sp.userprofiles.peoplemanager.isfollowing") && segs.size() == 1) {
      return sp_people_manager_is_following(call, segs[0]);
    }
    return not_found("Cannot find resource for the request " + call.req.path + ".");
  }
  if (segs.size() != 2) {
    return not_found("Cannot find resource for the request " + call.req.path +
                     ": name a PeopleManager method, e.g. GetPropertiesFor(@v).");
  }
  const ODataSegment& m = segs[1];
  const std::string& method = call.req.method;
  auto wrong = [&](std::string_view verb) {
    return sp_wrong_method(
        call, m.name + " is called with " + std::string(verb) + ", not " + method + ".");
  };
  if (sp_is(m, "GetPropertiesFor")) {
    return method == "GET" ? get_properties_for(call, m) : wrong("GET");
  }
  if (sp_is(m, "GetMyProperties")) {
    return method == "GET" ? get_my_properties(call) : wrong("GET");
  }
  if (sp_is(m, "GetUserProfilePropertyFor")) {
    return method == "GET" ? get_user_profile_property_for(call, m) : wrong("GET");
  }
  if (sp_is(m, "SetSingleValueProfileProperty")) {
    return method == "POST" ? set_property(call, false) : wrong("POST");
  }
  if (sp_is(m, "SetMultiValuedProfileProperty")) {
    return method == "POST" ? set_property(call, true) : wrong("POST");
  }
  if (std::optional<Status> done = sp_people_manager_following(call, m)) return *done;
  std::string name = ascii_lower(m.name);
  if (name == "setmyprofilepicture") {
    return method == "POST" ? sp_set_my_profile_picture(call) : wrong("POST");
  }
  if (name == "editprofilelink") {
    if (method != "GET") return wrong("GET");
    UPSYNC_RETURN_IF_ERROR(only_query_options(call, {}));
    // The person page without an account is the caller's own, where they edit it.
    write_odata_value(call.req, call.res, sp_service_root(call), "EditProfileLink", "Edm.String",
                      call.tenant_base + "/my/Person.aspx");
    return Status::ok();
  }
  return not_found("SP.UserProfiles.PeopleManager has no method '" + m.name + "'.");
}

}  // namespace

void add_sharepoint_routes(Router& router) {
  std::string site(kSitePrefix);
  router.add("POST", site + "contextinfo$", Surface::kSharePoint, Access::kSignedIn, context_info);
  router.add("GET", site + "web/?$", Surface::kSharePoint, Access::kSignedIn, web, {"$select"});
  add_sharepoint_batch_routes(router);
  // PersonProperties takes $select (and has no navigation property to $expand); the methods
  // that answer a value or nothing take no option.
  const std::string people = site + R"(sp\.userprofiles\.(?:peoplemanager|profileloader).*$)";
  router.add("GET", people, Surface::kSharePoint, Access::kSignedIn, people_manager, {"$select"});
  router.add("POST", people, Surface::kSharePoint, Access::kSignedIn, people_manager);
  add_sharepoint_people_picker_routes(router);
  add_sharepoint_following_routes(router);
  // Before the file routes, whose web/... pattern would take these too.
  add_sharepoint_site_user_routes(router);
  // Before the file routes, which take every other web/... path.
  add_sharepoint_permission_routes(router);
  add_sharepoint_file_routes(router);
  add_sharepoint_tenant_routes(router);
  add_sharepoint_photo_routes(router);
}

}  // namespace upsync
