// SharePoint's people picker: SP.UI.ApplicationPages.ClientPeoplePickerWebServiceInterface.
//
//   POST {web}/_api/SP.UI.ApplicationPages.ClientPeoplePickerWebServiceInterface.
//        clientPeoplePickerSearchUser    {"queryParams":{"QueryString":"ade",
//                                          "MaximumEntitySuggestions":30,"PrincipalType":5}}
//   → {"value":"[{\"Key\":\"i:0#.f|membership|adele@contoso.com\",\"DisplayText\":...}]"}
//        clientPeoplePickerResolveUser   the same body → one entity, as a JSON string
//
// The answer is a JSON string holding the entities (PnPjs parses it: value, or
// d.ClientPeoplePickerSearchUser in verbose mode). Search finds people (profiles) and the
// directory store's groups by prefix (sites/people_search.h); resolve turns a claim, UPN,
// e-mail or DOMAIN\user into one entity (IsResolved true), a prefix with one match into it, and
// anything else into SharePoint's unresolved entity (IsResolved false, with MultipleMatches
// when the prefix matched several).
//
// queryParams (SP.UI.ApplicationPages.ClientPeoplePickerQueryParameters), each applied or
// refused:
//   QueryString               the query (empty: no suggestions)
//   MaximumEntitySuggestions  1 to 1000, required
//   PrincipalType             bits: 1 users, 2 distribution lists, 4 security groups,
//                             8 SharePoint groups (upsync keeps none: they add nothing); default 1
//   PrincipalSource           bits: 1 the site's user list, 2 Windows, 4 the membership
//                             provider, 8 the role provider; upsync searches the directory (2, 4
//                             and 8): a value without one of them is refused; default 15
//   AllowEmailAddresses       an e-mail address nobody has is offered as SharePoint offers it
//                             (EntityData.PrincipalType "UNVALIDATED_EMAIL_ADDRESS")
//   AllowOnlyEmailAddresses   true is refused (not applied)
//   SharePointGroupID         0 or absent; any other id names a SharePoint group, which upsync
//                             does not have: SharePoint's "Group cannot be found."
//   EnabledClaimProviders     empty only (upsync has one provider, the tenant's directory)
//   UseSubstrateSearch        false only
//   AllowMultipleEntities, AllUrlZones, ForceClaims, Required, UrlZone, UrlZoneSpecified,
//   WebApplicationID, QuerySettings {ExcludeAllUsersOnTenantClaim, IsSharing}: checked for
//                             their type; none changes an answer of upsync's (one zone, one web
//                             application, claims always, no "everyone" claim offered)
// Anything else is SharePoint's "The property 'X' does not exist on type ..." (400).
#include <algorithm>
#include <span>

#include "core/text.h"
#include "directory/directory_store.h"
#include "http/json_writer.h"
#include "http/sharepoint_common.h"
#include "http/sharepoint_social.h"
#include "sites/people_search.h"

namespace upsync {

namespace {

constexpr std::string_view kParamsType = "SP.UI.ApplicationPages.ClientPeoplePickerQueryParameters";
constexpr int kMaxSuggestions = 1000;
constexpr int kPrincipalTypeAll = 15;
constexpr int kSharePointGroups = 8;
constexpr int kSourceUserInfoList = 1;

struct PickerQuery {
  std::string query;
  int max = 0;
  int kinds = kPickerUsers;  // PrincipalType's bits that upsync has entries of
  bool allow_email = false;
};

Status type_error(std::string_view name, std::string_view edm, const nlohmann::json& v) {
  return invalid_argument("Cannot convert the value of '" + std::string(name) + "' (a JSON " +
                          std::string(v.type_name()) + ") to the expected type '" +
                          std::string(edm) + "' of " + std::string(kParamsType) + ".");
}

Result<int64_t> int_member(std::string_view name, const nlohmann::json& v) {
  if (v.is_number_integer()) return v.get<int64_t>();
  // Verbose clients send Int32 values as numbers, some as strings ("15").
  if (v.is_string()) {
    const std::string& s = v.get_ref<const std::string&>();
    if (!s.empty() && s.size() < 10 && std::all_of(s.begin(), s.end(), ::isdigit)) {
      return std::stoll(s);
    }
  }
  return type_error(name, "Edm.Int32", v);
}

Result<bool> bool_member(std::string_view name, const nlohmann::json& v) {
  if (v.is_boolean()) return v.get<bool>();
  return type_error(name, "Edm.Boolean", v);
}

Status unknown_property(std::string_view name, std::string_view type) {
  return invalid_argument("The property '" + quote_for_message(name) +
                          "' does not exist on type '" + std::string(type) +
                          "'. Make sure to only use property names that are defined by the type.");
}

Status check_query_settings(const nlohmann::json& v) {
  constexpr std::string_view kType = "SP.UI.ApplicationPages.PeoplePickerQuerySettings";
  if (v.is_null()) return Status::ok();
  if (!v.is_object()) return type_error("QuerySettings", kType, v);
  for (const auto& [k, value] : v.items()) {
    if (k == "__metadata") continue;
    if (k != "ExcludeAllUsersOnTenantClaim" && k != "IsSharing") return unknown_property(k, kType);
    UPSYNC_RETURN_IF_ERROR(bool_member(k, value).status());
  }
  return Status::ok();
}

// One member of queryParams, applied to `q` or refused.
Status read_member(const std::string& k, const nlohmann::json& v, PickerQuery& q, int& source) {
  if (k == "__metadata") return Status::ok();
  if (k == "QueryString") {
    if (v.is_null()) return Status::ok();
    if (!v.is_string()) return type_error(k, "Edm.String", v);
    q.query = v.get<std::string>();
    return Status::ok();
  }
  if (k == "MaximumEntitySuggestions") {
    UPSYNC_ASSIGN_OR_RETURN(int64_t n, int_member(k, v));
    if (n < 1 || n > kMaxSuggestions) {
      return invalid_argument("MaximumEntitySuggestions must be 1 to " +
                              std::to_string(kMaxSuggestions) + ", got " + std::to_string(n) + ".");
    }
    q.max = static_cast<int>(n);
    return Status::ok();
  }
  if (k == "PrincipalType") {
    UPSYNC_ASSIGN_OR_RETURN(int64_t n, int_member(k, v));
    if (n < 0 || n > kPrincipalTypeAll) {
      return invalid_argument(
          "PrincipalType must be a combination of 1 (User), 2 "
          "(DistributionList), 4 (SecurityGroup) and 8 (SharePointGroup), "
          "got " +
          std::to_string(n) + ".");
    }
    q.kinds = static_cast<int>(n) & ~kSharePointGroups;
    return Status::ok();
  }
  if (k == "PrincipalSource") {
    UPSYNC_ASSIGN_OR_RETURN(int64_t n, int_member(k, v));
    if (n < 0 || n > 15) {
      return invalid_argument(
          "PrincipalSource must be a combination of 1 (UserInfoList), 2 "
          "(Windows), 4 (MembershipProvider) and 8 (RoleProvider), got " +
          std::to_string(n) + ".");
    }
    source = static_cast<int>(n);
    return Status::ok();
  }
  if (k == "AllowEmailAddresses") {
    UPSYNC_ASSIGN_OR_RETURN(q.allow_email, bool_member(k, v));
    return Status::ok();
  }
  if (k == "AllowOnlyEmailAddresses") {
    UPSYNC_ASSIGN_OR_RETURN(bool only, bool_member(k, v));
    if (only) {
      return invalid_argument(
          "AllowOnlyEmailAddresses=true is not supported by upsync: the "
          "picker offers the tenant's people and groups.");
    }
    return Status::ok();
  }
  if (k == "SharePointGroupID") {
    UPSYNC_ASSIGN_OR_RETURN(int64_t id, int_member(k, v));
    // upsync has no SharePoint groups: any id is one SharePoint would not find.
    if (id != 0) return not_found("Group cannot be found.");
    return Status::ok();
  }
  if (k == "EnabledClaimProviders") {
    if (v.is_null()) return Status::ok();
    if (!v.is_string()) return type_error(k, "Edm.String", v);
    if (!trim(v.get<std::string>()).empty()) {
      return invalid_argument(
          "EnabledClaimProviders is not supported by upsync: its one claim "
          "provider is the tenant's directory; send it empty.");
    }
    return Status::ok();
  }
  if (k == "UseSubstrateSearch") {
    UPSYNC_ASSIGN_OR_RETURN(bool substrate, bool_member(k, v));
    if (substrate) {
      return invalid_argument(
          "UseSubstrateSearch=true is not supported by upsync: it searches "
          "its own index of the tenant's profiles and groups.");
    }
    return Status::ok();
  }
  if (k == "AllowMultipleEntities" || k == "AllUrlZones" || k == "ForceClaims" || k == "Required" ||
      k == "UrlZoneSpecified") {
    return bool_member(k, v).status();
  }
  if (k == "UrlZone") {
    UPSYNC_ASSIGN_OR_RETURN(int64_t zone, int_member(k, v));
    if (zone < 0 || zone > 4) {
      return invalid_argument("UrlZone must be 0 (Default) to 4 (Extranet), got " +
                              std::to_string(zone) + ".");
    }
    return Status::ok();
  }
  if (k == "WebApplicationID") {
    if (v.is_null()) return Status::ok();
    if (!v.is_string()) return type_error(k, "Edm.Guid", v);
    return Status::ok();
  }
  if (k == "QuerySettings") return check_query_settings(v);
  return unknown_property(k, kParamsType);
}

Result<PickerQuery> read_query(const Call& call, std::string_view method) {
  UPSYNC_ASSIGN_OR_RETURN(nlohmann::json body, sp_json_body(call));
  const nlohmann::json* params = nullptr;
  for (const auto& [k, v] : body.items()) {
    if (k != "queryParams") {
      return invalid_argument("The parameter " + quote_for_message(k) +
                              " does not exist in method " + std::string(method) + ".");
    }
    params = &v;
  }
  if (!params || params->is_null()) {
    return invalid_argument("The request body of " + std::string(method) +
                            " needs queryParams, e.g. {\"queryParams\":{\"QueryString\":\"ade\","
                            "\"MaximumEntitySuggestions\":30}}.");
  }
  if (!params->is_object()) return type_error("queryParams", kParamsType, *params);
  PickerQuery q;
  int source = 15;
  for (const auto& [k, v] : params->items()) {
    UPSYNC_RETURN_IF_ERROR(read_member(k, v, q, source));
  }
  if (q.max == 0) {
    return invalid_argument("queryParams needs MaximumEntitySuggestions (1 to " +
                            std::to_string(kMaxSuggestions) + ").");
  }
  if ((source & ~kSourceUserInfoList) == 0) {
    return invalid_argument("PrincipalSource " + std::to_string(source) +
                            " names no source upsync searches: it searches the tenant's "
                            "directory (Windows 2, MembershipProvider 4, RoleProvider 8), not a "
                            "site's user information list.");
  }
  return q;
}

// <0, 0, >0 as `a` sorts before, with or after `b`, ASCII letters folded.
int ascii_compare_folded(std::string_view a, std::string_view b) {
  const size_t n = std::min(a.size(), b.size());
  for (size_t i = 0; i < n; ++i) {
    const auto fold = [](char c) {
      return static_cast<unsigned char>(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c);
    };
    if (fold(a[i]) != fold(b[i])) return fold(a[i]) < fold(b[i]) ? -1 : 1;
  }
  return a.size() == b.size() ? 0 : a.size() < b.size() ? -1 : 1;
}

bool looks_like_email(std::string_view s) {
  const size_t at = s.find('@');
  return at != std::string_view::npos && at > 0 && s.find('@', at + 1) == std::string_view::npos &&
         s.find('.', at) != std::string_view::npos && s.back() != '.' &&
         s.find_first_of(" \t<>|,;:\"\\") == std::string_view::npos;
}

// One entity, its members in SharePoint's order.
void write_entity(JsonWriter& w, const PickerEntry& e) {
  w.begin_object();
  w.key("Key").str(e.key);
  w.key("DisplayText").str(e.display_text);
  w.key("IsResolved").boolean(true);
  w.key("Description").str(e.description);
  w.key("EntityType");
  w.str(e.kind == PickerKind::kUser            ? "User"
        : e.kind == PickerKind::kSecurityGroup ? "SecGroup"
                                               : "DistributionList");
  w.key("EntityData").begin_object();
  if (e.kind == PickerKind::kUser) {
    w.key("IsAltSecIdPresent").str("False");
    w.key("Title").str(e.title);
    w.key("Email").str(e.email);
    w.key("MobilePhone").str(e.mobile_phone);
    w.key("ObjectId").str(e.object_id);
    w.key("Department").str(e.department);
  } else {
    w.key("DisplayName").str(e.display_text);
    w.key("Email").str(e.email);
    w.key("ObjectId").str(e.object_id);
    w.key("PrincipalType")
        .str(e.kind == PickerKind::kSecurityGroup ? "SecurityGroup" : "DistributionList");
  }
  w.end_object();
  w.key("MultipleMatches").begin_array().end_array();
  w.key("ProviderName").str("Tenant");
  w.key("ProviderDisplayName").str("Tenant");
  w.end_object();
}

// An address that is nobody's, offered as SharePoint offers one when AllowEmailAddresses is
// set (clients recognize it by EntityData.PrincipalType).
void write_email_entity(JsonWriter& w, std::string_view email) {
  w.begin_object();
  w.key("Key").str(email);
  w.key("DisplayText").str(email);
  w.key("IsResolved").boolean(true);
  w.key("Description").str(email);
  w.key("EntityType").str("");
  w.key("EntityData").begin_object();
  w.key("Email").str(email);
  w.key("AccountName").str(email);
  w.key("PrincipalType").str("UNVALIDATED_EMAIL_ADDRESS");
  w.end_object();
  w.key("MultipleMatches").begin_array().end_array();
  w.key("ProviderName").str("");
  w.key("ProviderDisplayName").str("");
  w.end_object();
}

// The not-resolved entity: the query echoed, IsResolved false, and the candidates.
void write_unresolved(JsonWriter& w, std::string_view query,
                      const std::vector<PickerEntry>& candidates) {
  w.begin_object();
  w.key("Key").str(query);
  w.key("DisplayText").str(query);
  w.key("IsResolved").boolean(false);
  w.key("Description").str(query);
  w.key("EntityType").str("");
  w.key("EntityData").begin_object().end_object();
  w.key("MultipleMatches").begin_array();
  for (const PickerEntry& e : candidates) write_entity(w, e);
  w.end_array();
  w.key("ProviderName").str("");
  w.key("ProviderDisplayName").str("");
  w.end_object();
}

// The picker is a search over everyone, so, as SharePoint's people search, it shows a
// person's details only where the tenant's policy makes them Public (core/property_policy.h);
// tenant admins and apps see them all.
Status hide_restricted_details(Call& call, std::span<PickerEntry> entries) {
  UPSYNC_ASSIGN_OR_RETURN(Principal who, call.caller());
  if (who.manages_tenant() || entries.empty()) return Status::ok();
  UPSYNC_ASSIGN_OR_RETURN(ProfileSchema schema, call.store.schema(call.tenant.id));
  if (!schema.any_restricted()) return Status::ok();
  auto hidden = [&](std::string_view property) {
    return schema.policy(property).privacy != Privacy::kPublic;
  };
  const bool title = hidden("Title") || hidden("SPS-JobTitle");
  const bool email = hidden("WorkEmail");
  const bool mobile = hidden("CellPhone");
  const bool department = hidden("Department") || hidden("SPS-Department");
  for (PickerEntry& e : entries) {
    if (e.kind != PickerKind::kUser) continue;
    if (title) e.title.clear();
    if (email) e.email.clear();
    if (mobile) e.mobile_phone.clear();
    if (department) e.department.clear();
  }
  return Status::ok();
}

// The people and groups a query starts, sorted by display text, at most q.max.
Result<std::vector<PickerEntry>> suggestions(Call& call, const PickerQuery& q) {
  std::vector<PickerEntry> found;
  if (people_search_normal(q.query).empty() || q.kinds == 0) return found;
  UPSYNC_ASSIGN_OR_RETURN(auto index, open_people_search_store(call.store));
  // One read transaction for the search's statements (a POST is not in one already).
  UPSYNC_RETURN_IF_ERROR(call.store.read_snapshot([&]() -> Status {
    UPSYNC_ASSIGN_OR_RETURN(found, index->search(call.tenant.id, q.query, q.kinds, q.max));
    return Status::ok();
  }));
  std::sort(found.begin(), found.end(), [](const PickerEntry& a, const PickerEntry& b) {
    const int c = ascii_compare_folded(a.display_text, b.display_text);
    return c != 0 ? c < 0 : a.key < b.key;
  });
  if (static_cast<int>(found.size()) > q.max) found.resize(q.max);
  UPSYNC_RETURN_IF_ERROR(hide_restricted_details(call, found));
  return found;
}

bool has_email(const std::vector<PickerEntry>& entries, std::string_view email) {
  return std::any_of(entries.begin(), entries.end(), [&](const PickerEntry& e) {
    return e.kind == PickerKind::kUser && ascii_iequal(e.email, email);
  });
}

// `json` (JSON text as JsonWriter writes it: valid UTF-8, control characters escaped) as a
// JSON string: only its quotes and backslashes need escaping. Spares the answer's second
// character-by-character escape, which cost more than the search.
void append_json_as_string(std::string& out, std::string_view json) {
  out.push_back('"');
  for (char c : json) {
    if (c == '"' || c == '\\') out.push_back('\\');
    out.push_back(c);
  }
  out.push_back('"');
}

// The answer: Edm.String `text` as write_odata_value() writes a scalar in each mode.
Status write_picker_answer(Call& call, std::string_view method, std::string_view text) {
  const ODataMode mode = odata_mode(call.req);
  std::string body;
  body.reserve(text.size() + text.size() / 4 + 128);
  switch (mode) {
    case ODataMode::kVerbose:
      body = "{\"d\":{\"" + std::string(method) + "\":";
      append_json_as_string(body, text);
      body += "}}";
      break;
    case ODataMode::kNoMetadata:
      body = "{\"value\":";
      append_json_as_string(body, text);
      body += "}";
      break;
    case ODataMode::kMinimalMetadata: {
      JsonWriter w;
      w.begin_object().key("odata.metadata").str(sp_service_root(call) + "$metadata#Edm.String");
      body = std::move(w).text();
      body += ",\"value\":";
      append_json_as_string(body, text);
      body += "}";
      break;
    }
  }
  call.res.status = 200;
  call.res.set_content(std::move(body), std::string(odata_content_type(mode)));
  return Status::ok();
}

Status search_user(Call& call) {
  constexpr std::string_view kMethod = "ClientPeoplePickerSearchUser";
  UPSYNC_ASSIGN_OR_RETURN(PickerQuery q, read_query(call, kMethod));
  UPSYNC_ASSIGN_OR_RETURN(std::vector<PickerEntry> found, suggestions(call, q));
  JsonWriter w;
  w.begin_array();
  for (const PickerEntry& e : found) write_entity(w, e);
  const std::string query(trim(q.query));
  if (q.allow_email && looks_like_email(query) && !has_email(found, query) &&
      static_cast<int>(found.size()) < q.max) {
    write_email_entity(w, query);
  }
  w.end_array();
  return write_picker_answer(call, kMethod, std::move(w).text());
}

// The one entity `query` names exactly: a person by claim, UPN, e-mail or DOMAIN\user, a group
// by its claim (c:0t.c|tenant|<object id>); nullopt when it names nobody of q.kinds.
Result<std::optional<PickerEntry>> exact_entity(Call& call, const PickerQuery& q,
                                                std::string_view query) {
  constexpr std::string_view kGroupClaim = "c:0t.c|tenant|";
  if (ascii_lower(query.substr(0, kGroupClaim.size())) == kGroupClaim) {
    UPSYNC_ASSIGN_OR_RETURN(auto directory, open_directory_store(call.store));
    UPSYNC_ASSIGN_OR_RETURN(auto group, directory->group(call.tenant.id, DirectoryLayer::kStore,
                                                         query.substr(kGroupClaim.size())));
    if (!group || group->deleted) return std::optional<PickerEntry>();
    PickerEntry e =
        picker_entry_for_group(group->object_id, group->first("displayName"), group->first("mail"),
                               group->flag("securityEnabled", true));
    if ((q.kinds & picker_kind_bit(e.kind)) == 0) return std::optional<PickerEntry>();
    return std::optional<PickerEntry>(std::move(e));
  }
  if ((q.kinds & kPickerUsers) == 0) return std::optional<PickerEntry>();
  auto p = sp_find_account(call, query);
  if (!p) {
    if (p.status().code() == StatusCode::kNotFound) return std::optional<PickerEntry>();
    return p.status();
  }
  PickerEntry e = picker_entry_for_profile(*p);
  UPSYNC_RETURN_IF_ERROR(hide_restricted_details(call, {&e, 1}));
  return std::optional<PickerEntry>(std::move(e));
}

Status resolve_user(Call& call) {
  constexpr std::string_view kMethod = "ClientPeoplePickerResolveUser";
  UPSYNC_ASSIGN_OR_RETURN(PickerQuery q, read_query(call, kMethod));
  const std::string query(trim(q.query));
  if (query.empty()) {
    return invalid_argument("ClientPeoplePickerResolveUser needs a QueryString to resolve.");
  }
  JsonWriter w;
  UPSYNC_ASSIGN_OR_RETURN(std::optional<PickerEntry> exact, exact_entity(call, q, query));
  if (exact) {
    write_entity(w, *exact);
    return write_picker_answer(call, kMethod, std::move(w).text());
  }
  // A prefix that names one person or group resolves to it; several are the candidates.
  PickerQuery wide = q;
  wide.max = std::max(q.max, 2);
  UPSYNC_ASSIGN_OR_RETURN(std::vector<PickerEntry> found, suggestions(call, wide));
  if (found.size() == 1) {
    write_entity(w, found[0]);
  } else if (found.empty() && q.allow_email && looks_like_email(query)) {
    write_email_entity(w, query);
  } else {
    if (static_cast<int>(found.size()) > q.max) found.resize(q.max);
    write_unresolved(w, query, found);
  }
  return write_picker_answer(call, kMethod, std::move(w).text());
}

Status people_picker(Call& call) {
  UPSYNC_ASSIGN_OR_RETURN(auto segs, sp_api_segments(call));
  constexpr std::string_view kInterface =
      "sp.ui.applicationpages.clientpeoplepickerwebserviceinterface.";
  const std::string head = segs.size() == 1 ? ascii_lower(segs[0].name) : std::string();
  if (head == std::string(kInterface) + "clientpeoplepickersearchuser") return search_user(call);
  if (head == std::string(kInterface) + "clientpeoplepickerresolveuser") return resolve_user(call);
  return not_found(
      "SP.UI.ApplicationPages.ClientPeoplePickerWebServiceInterface has no method "
      "for " +
      call.req.path +
      ": upsync serves clientPeoplePickerSearchUser and clientPeoplePickerResolveUser.");
}

}  // namespace

void add_sharepoint_people_picker_routes(Router& router) {
  router.add("POST",
             std::string(kSitePrefix) +
                 R"(sp\.ui\.applicationpages\.clientpeoplepickerwebserviceinterface\..*$)",
             Surface::kSharePoint, Access::kSignedIn, people_picker);
}

}  // namespace upsync
