// contextinfo, the web, and SP.UserProfiles.PeopleManager.
#include "http/sharepoint_routes.h"

#include <openssl/rand.h>

#include <algorithm>
#include <ctime>
#include <set>

#include "audiences/hybrid.h"
#include "core/claims.h"
#include "core/text.h"
#include "http/json_writer.h"
#include "http/person_page.h"
#include "http/photo_routes.h"
#include "http/profile_privacy.h"
#include "http/sharepoint_batch.h"
#include "http/sharepoint_common.h"
#include "http/sharepoint_permissions.h"
#include "http/sharepoint_social.h"

namespace upsync {

namespace {

constexpr std::string_view kLibraryVersion = "16.0.0.0";
constexpr std::string_view kPersonType = "SP.UserProfiles.PersonProperties";
// Bounds on the hierarchy walks of PersonProperties (a cycle or a huge org stops there).
constexpr int kMaxManagerDepth = 64;
constexpr size_t kMaxExtendedReports = 1000;

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

// ---- PeopleManager -------------------------------------------------------------------------

std::string joined(const PropertyValues* v) {
  std::string out;
  if (!v) return out;
  for (const std::string& s : *v) out += (out.empty() ? "" : "|") + s;
  return out;
}

// PersonProperties (reference §1.2), gathered before it is written in the request's mode.
struct Person {
  std::string account_name;
  std::vector<std::string> direct_reports;
  std::string display_name;
  std::string email;
  std::vector<std::string> extended_managers;
  std::vector<std::string> extended_reports;
  std::vector<std::string> peers;
  std::string personal_url;
  std::string picture_url;
  std::string title;
  std::vector<std::pair<std::string, std::string>> properties;  // name, values joined by '|'
  std::string user_url;
  std::string guid;          // UserProfile_GUID, for the entity's id
  bool is_followed = false;  // whether the caller follows this person
};

// Whether a $select of PersonProperties (empty: everything) names `member`.
bool selects(const std::vector<std::string>& select, std::string_view member) {
  return select.empty() || std::find(select.begin(), select.end(), member) != select.end();
}

// The members of `select` (everything when empty) of PersonProperties for `p`. What costs
// queries (the org chart's walks, the follow, the hybrid target) is gathered only when
// selected: ExtendedReports alone is up to kMaxExtendedReports rows, for a page that shows
// direct reports.
Result<Person> gather_person(Call& call, const Profile& p, const std::vector<std::string>& select) {
  auto wants = [&](std::string_view member) { return selects(select, member); };
  Person out;
  out.account_name = p.account_name;
  UPSYNC_ASSIGN_OR_RETURN(const ProfileSchema* read, call.read_schema());
  const ProfileSchema& schema = *read;
  // The policies (profile_privacy.h): a value the caller may not see is answered empty, as
  // for a property the owner never filled in, and so is everything derived from it.
  UPSYNC_ASSIGN_OR_RETURN(ProfileVisibility visible, profile_visibility(call, schema, p));
  // Schema and profile both spell names canonically, so an exact lookup finds every value;
  // only when some stored name matched no definition exactly are the misses looked up
  // again without case.
  out.properties.reserve(schema.all().size());
  size_t exact = 0;
  for (const PropertyDefinition* d : schema.all()) {
    auto it = p.properties.find(d->name);
    exact += it != p.properties.end() ? 1 : 0;
    out.properties.emplace_back(d->name, joined(it != p.properties.end() ? &it->second : nullptr));
  }
  if (exact != p.properties.size()) {
    for (auto& [name, value] : out.properties) {
      if (value.empty()) value = joined(p.find(name));
    }
  }
  if (visible.relation() != ViewerRelation::kOwner) {
    for (auto& [name, value] : out.properties) {
      if (!visible.sees(name)) value.clear();
    }
  }
  auto first = [&](std::string_view name) {
    return visible.sees(name) ? p.first(name) : std::string();
  };

  // The manager chain, top first.
  std::set<std::string> seen = {p.account_name};
  std::string next = wants("ExtendedManagers") ? first("Manager") : std::string();
  while (!next.empty() && !seen.contains(next) &&
         out.extended_managers.size() < static_cast<size_t>(kMaxManagerDepth)) {
    seen.insert(next);
    out.extended_managers.insert(out.extended_managers.begin(), next);
    auto m = call.store.profile(call.tenant.id, {ProfileKeyKind::kAccountName, next});
    if (!m) break;
    next = m->first("Manager");
  }

  // Her reports and her manager's (her peers), in one query.
  if (wants("DirectReports") || wants("Peers") || wants("ExtendedReports")) {
    std::vector<std::string> asked = {p.account_name};
    if (std::string manager = first("Manager"); !manager.empty() && wants("Peers")) {
      asked.push_back(manager);
    }
    UPSYNC_ASSIGN_OR_RETURN(auto reports, call.store.direct_reports(call.tenant.id, asked));
    out.direct_reports = reports[0];
    if (reports.size() > 1) {
      for (auto& s : reports[1]) {
        if (s != p.account_name) out.peers.push_back(std::move(s));
      }
    }
  }
  // Everyone below, self first (as SharePoint lists it), breadth first: the reports of the
  // people not yet expanded are read together, up to kMaxManagersPerQuery at a time, and taken
  // in the order a person at a time would take them, until the list is full.
  std::vector<std::string>& extended = out.extended_reports;
  extended = {p.account_name};
  std::set<std::string> in_extended = {p.account_name};
  for (auto& r : out.direct_reports) {
    if (in_extended.insert(r).second) extended.push_back(r);
  }
  for (size_t i = 1;
       wants("ExtendedReports") && i < extended.size() && extended.size() < kMaxExtendedReports;) {
    const size_t end = std::min(extended.size(), i + Store::kMaxManagersPerQuery);
    const std::vector<std::string> managers(extended.begin() + static_cast<ptrdiff_t>(i),
                                            extended.begin() + static_cast<ptrdiff_t>(end));
    UPSYNC_ASSIGN_OR_RETURN(auto below, call.store.direct_reports(call.tenant.id, managers));
    for (size_t m = 0; m < below.size() && extended.size() < kMaxExtendedReports; ++m) {
      for (auto& r : below[m]) {
        if (in_extended.insert(r).second) extended.push_back(std::move(r));
      }
    }
    i = end;
  }

  out.display_name = first("PreferredName");
  if (out.display_name.empty()) {
    out.display_name = std::string(trim(first("FirstName") + " " + first("LastName")));
  }
  if (out.display_name.empty()) out.display_name = first("SPS-UserPrincipalName");
  out.email = first("WorkEmail");
  // UserUrl is the person page (person_page.h), as SharePoint's is; PersonalUrl is the
  // personal site when the profile names one, and otherwise the person page under /my/, which
  // is where SharePoint sends people without a personal site.
  out.personal_url = first("PersonalSpace");
  if (out.personal_url.empty()) out.personal_url = person_page_url(call, p.account_name, true);
  out.picture_url = first("PictureURL");
  out.title = first("Title");
  out.user_url = person_page_url(call, p.account_name, false);
  // Seed 000: a hybrid user's profile is online, for every viewer.
  if (wants("UserUrl") || wants("PersonalUrl")) {
    UPSYNC_ASSIGN_OR_RETURN(auto hybrid, hybrid_profile_target(call.store, call.tenant, p));
    if (hybrid) {
      out.user_url = std::move(hybrid->person_url);
      out.personal_url = std::move(hybrid->personal_url);
    }
  }
  out.guid = p.first("UserProfile_GUID");
  if (wants("IsFollowed")) {
    UPSYNC_ASSIGN_OR_RETURN(out.is_followed, sp_caller_follows(call, p));
  }
  return out;
}

// The PersonProperties entity in `mode`, as write_odata_entity() writes an entity (odata.h),
// without building it as a JSON tree first: a profile has a hundred properties, and this is
// the answer clients ask for most. Members are written in key order, as nlohmann::json
// prints an entity.
void write_person_json(JsonWriter& w, ODataMode mode, const Person& person, const ODataEntity& e,
                       bool in_collection, const std::vector<std::string>& select) {
  const bool verbose = mode == ODataMode::kVerbose;
  auto want = [&](std::string_view name) { return selects(select, name); };
  // Verbose wraps every array in {"results":[...]}.
  auto strings = [&](const std::vector<std::string>& values) {
    if (verbose) w.begin_object().key("results");
    w.strings(values);
    if (verbose) w.end_object();
  };
  if (verbose && !in_collection) w.begin_object().key("d");
  w.begin_object();
  if (want("AccountName")) w.key("AccountName").str(person.account_name);
  if (want("DirectReports")) {
    w.key("DirectReports");
    strings(person.direct_reports);
  }
  if (want("DisplayName")) w.key("DisplayName").str(person.display_name);
  if (want("Email")) w.key("Email").str_or_null(person.email);
  if (want("ExtendedManagers")) {
    w.key("ExtendedManagers");
    strings(person.extended_managers);
  }
  if (want("ExtendedReports")) {
    w.key("ExtendedReports");
    strings(person.extended_reports);
  }
  if (want("IsFollowed")) w.key("IsFollowed").boolean(person.is_followed);
  if (want("LatestPost")) w.key("LatestPost").null();
  if (want("Peers")) {
    w.key("Peers");
    strings(person.peers);
  }
  // No personal sites in upsync (see the 501 routes).
  if (want("PersonalSiteHostUrl")) w.key("PersonalSiteHostUrl").null();
  if (want("PersonalUrl")) w.key("PersonalUrl").str_or_null(person.personal_url);
  if (want("PictureUrl")) w.key("PictureUrl").str_or_null(person.picture_url);
  if (want("Title")) w.key("Title").str_or_null(person.title);
  if (want("UserProfileProperties")) {
    w.key("UserProfileProperties");
    if (verbose) w.begin_object().key("results");
    w.begin_array();
    for (const auto& [name, value] : person.properties) {
      w.begin_object();
      w.key("Key").str(name).key("Value").str(value).key("ValueType").str("Edm.String");
      if (verbose) w.key("__metadata").begin_object().key("type").str("SP.KeyValue").end_object();
      w.end_object();
    }
    w.end_array();
    if (verbose) w.end_object();
  }
  if (want("UserUrl")) w.key("UserUrl").str(person.user_url);
  switch (mode) {
    case ODataMode::kVerbose:
      w.key("__metadata").begin_object();
      w.key("id").str(e.service_root + e.edit_link);
      w.key("type").str(e.type);
      w.key("uri").str(e.service_root + e.edit_link);
      w.end_object();
      if (!in_collection) w.end_object();  // d
      break;
    case ODataMode::kMinimalMetadata:
      w.key("odata.editLink").str(e.edit_link);
      w.key("odata.id").str(e.service_root + e.edit_link);
      // In a collection, the collection's odata.metadata names the type.
      if (!in_collection) {
        w.key("odata.metadata").str(e.service_root + "$metadata#" + e.type + "/@Element");
      }
      w.key("odata.type").str(e.type);
      break;
    case ODataMode::kNoMetadata:
      break;
  }
  w.end_object();
}

std::string person_json(ODataMode mode, const Person& person, const ODataEntity& e,
                        const std::vector<std::string>& select) {
  JsonWriter w;
  write_person_json(w, mode, person, e, false, select);
  return std::move(w).text();
}

// The members of PersonProperties, for $select. UserProfileProperties is selected whole, as
// SharePoint selects it (a collection of SP.KeyValue has no members to name).
const SpSchema& person_schema() {
  static const SpSchema kSchema{std::string(kPersonType),
                                {{"AccountName", SpType::kString},
                                 {"DirectReports", SpType::kObject},
                                 {"DisplayName", SpType::kString},
                                 {"Email", SpType::kString},
                                 {"ExtendedManagers", SpType::kObject},
                                 {"ExtendedReports", SpType::kObject},
                                 {"IsFollowed", SpType::kBool},
                                 {"LatestPost", SpType::kString},
                                 {"Peers", SpType::kObject},
                                 {"PersonalSiteHostUrl", SpType::kString},
                                 {"PersonalUrl", SpType::kString},
                                 {"PictureUrl", SpType::kString},
                                 {"Title", SpType::kString},
                                 {"UserProfileProperties", SpType::kObject},
                                 {"UserUrl", SpType::kString}},
                                ""};
  return kSchema;
}

Status write_person(Call& call, const Profile& p) {
  UPSYNC_ASSIGN_OR_RETURN(SpQuery q, sp_query(call, person_schema()));
  UPSYNC_ASSIGN_OR_RETURN(Person person, gather_person(call, p, q.select));
  const ODataMode mode = odata_mode(call.req);
  const ODataEntity entity{std::string(kPersonType), sp_service_root(call),
                           std::string(kPersonType) + person.guid};
  call.res.status = 200;
  call.res.set_content(person_json(mode, person, entity, q.select),
                       std::string(odata_content_type(mode)));
  return Status::ok();
}

}  // namespace

Status sp_write_people(Call& call, const std::vector<Profile>& people) {
  const ODataMode mode = odata_mode(call.req);
  const std::string root = sp_service_root(call);
  JsonWriter w;
  w.begin_object();
  if (mode == ODataMode::kVerbose) w.key("d").begin_object().key("results");
  if (mode == ODataMode::kMinimalMetadata) {
    w.key("odata.metadata").str(root + "$metadata#Collection(" + std::string(kPersonType) + ")");
  }
  if (mode != ODataMode::kVerbose) w.key("value");
  w.begin_array();
  for (const Profile& p : people) {
    UPSYNC_ASSIGN_OR_RETURN(Person person, gather_person(call, p, {}));
    const ODataEntity entity{std::string(kPersonType), root,
                             std::string(kPersonType) + person.guid};
    write_person_json(w, mode, person, entity, true, {});
  }
  w.end_array();
  if (mode == ODataMode::kVerbose) w.end_object();
  w.end_object();
  call.res.status = 200;
  call.res.set_content(std::move(w).text(), std::string(odata_content_type(mode)));
  return Status::ok();
}

namespace {

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
  UPSYNC_RETURN_IF_ERROR(sp_query(call, person_schema()).status());
  UPSYNC_ASSIGN_OR_RETURN(std::string account, account_arg(call, seg));
  auto p = sp_find_account(call, account);
  if (!p && p.status().code() == StatusCode::kNotFound) {
    write_odata_null(call.res);  // trap 5: an unknown account is a null result
    return Status::ok();
  }
  if (!p) return p.status();
  return write_person(call, *p);
}

Status get_my_properties(Call& call) {
  UPSYNC_RETURN_IF_ERROR(sp_query(call, person_schema()).status());
  UPSYNC_ASSIGN_OR_RETURN(Principal who, call.caller());
  auto p = sp_own_profile(call, who);
  if (!p && p.status().code() == StatusCode::kNotFound) {
    write_odata_null(call.res);
    return Status::ok();
  }
  if (!p) return p.status();
  return write_person(call, *p);
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
                    "Edm.String", visible.sees(def.name) ? joined(p.find(def.name)) : "");
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
