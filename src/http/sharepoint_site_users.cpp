// A site collection's users (sites/site_users.h) as SharePoint's REST API and PnPjs's
// site-users module address them:
//
//   GET  {web}/_api/web/siteusers                               SP.User collection
//   POST {web}/_api/web/siteusers                {LoginName}    add (PnPjs siteUsers.add)
//   GET  {web}/_api/web/siteusers/getbyid(7) | getbyemail('e') | getbyloginname(@v)
//        {web}/_api/web/siteusers(@v)?@v='i:0#.f|membership|…' | web/getuserbyid(7)
//   POST …/getbyid(7) with X-HTTP-Method: MERGE {IsSiteAdmin} | DELETE; siteusers/removebyid(7),
//        siteusers/removebyloginname(@v)
//   POST {web}/_api/web/ensureuser               {logonName}    add from the profile, or refresh
//   GET  {web}/_api/web/currentuser                             the caller, added on first access
//   GET  {web}/_api/web/siteuserinfolist[/items[(7)|/getbyid(7)]] the user information list
//
// Anyone signed in reads; admins and apps add, change and remove. The copied properties come
// from profiles (stage 3 of the sync keeps them current): a client cannot set them here.
#include <charconv>

#include "core/claims.h"
#include "core/text.h"
#include "http/sharepoint_common.h"
#include "sites/site_users.h"

namespace upsync {

namespace {

constexpr std::string_view kListTitle = "User Information List";
constexpr std::string_view kNameIdIssuer = "urn:federation:microsoftonline";

// The user information list's column of each "sync to sites" property SharePoint shows there.
// Other copied properties (custom ones) appear under their own name, '-' encoded as SharePoint
// encodes it in internal field names.
std::string field_name(std::string_view property) {
  static const std::map<std::string, std::string, std::less<>> kFields = {
      {"AccountName", "Name"},
      {"PreferredName", "Title"},
      {"WorkEmail", "EMail"},
      {"SPS-SipAddress", "SipAddress"},
      {"FirstName", "FirstName"},
      {"LastName", "LastName"},
      {"WorkPhone", "WorkPhone"},
      {"Office", "Office"},
      {"Title", "JobTitle"},
      {"Department", "Department"},
      {"UserName", "UserName"},
      {"Manager", "Manager"},
      {"SPS-MUILanguages", "MUILanguages"}};
  if (auto it = kFields.find(property); it != kFields.end()) return it->second;
  std::string out;
  for (char c : property) {
    if (c == '-') {
      out += "_x002d_";
    } else {
      out.push_back(c);
    }
  }
  return out;
}

struct Site {
  std::string key;  // site_collection_key()
  std::unique_ptr<SiteUserStore> users;
};

Result<Site> open_site(Call& call) {
  Site s;
  UPSYNC_ASSIGN_OR_RETURN(s.key, site_collection_key(call.match[1].str()));
  UPSYNC_ASSIGN_OR_RETURN(s.users, open_site_user_store(call.store));
  return s;
}

std::string display_name(const SiteUser& u) {
  std::string name = u.first("PreferredName");
  if (!name.empty()) return name;
  auto claim = parse_claim(u.login_name);
  return claim ? claim->value : u.login_name;
}

const SpSchema& user_schema() {
  static const SpSchema kSchema{"SP.User",
                                {{"Id", SpType::kInt},
                                 {"IsHiddenInUI", SpType::kBool},
                                 {"LoginName", SpType::kString},
                                 {"Title", SpType::kString},
                                 {"PrincipalType", SpType::kInt},
                                 {"Email", SpType::kString},
                                 {"Expiration", SpType::kString},
                                 {"IsEmailAuthenticationGuestUser", SpType::kBool},
                                 {"IsShareByEmailGuestUser", SpType::kBool},
                                 {"IsSiteAdmin", SpType::kBool},
                                 {"UserId", SpType::kObject},
                                 {"UserPrincipalName", SpType::kString}},
                                ""};
  return kSchema;
}

const SpSchema& list_schema() {
  static const SpSchema kSchema{"SP.List",
                                {{"Id", SpType::kString},
                                 {"Title", SpType::kString},
                                 {"BaseTemplate", SpType::kInt},
                                 {"Hidden", SpType::kBool},
                                 {"ItemCount", SpType::kInt},
                                 {"EntityTypeName", SpType::kString}},
                                ""};
  return kSchema;
}

// SP.User, neutral form (odata.h).
nlohmann::json user_json(const SiteUser& u) {
  std::string upn = u.first("SPS-UserPrincipalName");
  if (upn.empty()) upn = u.first("UserName");
  const std::string object_id = u.first("msOnline-ObjectId");
  nlohmann::json user_id;  // null unless the copy carries the directory object id
  if (!object_id.empty()) {
    user_id = {{"__type", "SP.UserIdInfo"}, {"NameId", object_id}, {"NameIdIssuer", kNameIdIssuer}};
  }
  return {{"Id", u.id},
          {"IsHiddenInUI", false},
          {"LoginName", u.login_name},
          {"Title", display_name(u)},
          {"PrincipalType", 1},
          {"Email", u.first("WorkEmail")},
          {"Expiration", ""},
          {"IsEmailAuthenticationGuestUser", false},
          {"IsShareByEmailGuestUser", false},
          {"IsSiteAdmin", u.site_admin},
          {"UserId", user_id},
          {"UserPrincipalName", upn.empty() ? nlohmann::json() : nlohmann::json(upn)}};
}

// An item of the user information list (SP.Data.UserInfoItem), neutral form.
nlohmann::json item_json(const SiteUser& u, const ProfileSchema& schema) {
  nlohmann::json item = {{"Id", u.id},
                         {"ID", u.id},
                         {"Title", display_name(u)},
                         {"Name", u.login_name},
                         {"IsSiteAdmin", u.site_admin},
                         {"Created", u.created_at},
                         {"Modified", u.updated_at}};
  for (const auto& [property, values] : u.properties) {
    if (property == "AccountName" || property == "PreferredName") continue;
    const PropertyDefinition* d = schema.find(property);
    if (d && d->multi_value) {
      item[field_name(property)] = values;
    } else {
      item[field_name(property)] = values.empty() ? "" : values.front();
    }
  }
  return item;
}

// The fields of item_json(): the fixed ones, and a column per profile property; paged by ID
// as SharePoint pages list items.
SpSchema item_schema(const ProfileSchema& profiles) {
  SpSchema s{"SP.Data.UserInfoItem",
             {{"Id", SpType::kInt},
              {"ID", SpType::kInt},
              {"Title", SpType::kString},
              {"Name", SpType::kString},
              {"IsSiteAdmin", SpType::kBool},
              {"Created", SpType::kDateTime},
              {"Modified", SpType::kDateTime}},
             "ID"};
  for (const PropertyDefinition* d : profiles.all()) {
    if (d->name == "AccountName" || d->name == "PreferredName") continue;
    std::string field = field_name(d->name);
    if (!s.find(field)) s.fields.push_back({field, SpType::kString});
  }
  return s;
}

ODataEntity user_entity(const Call& call, const SiteUser& u) {
  return {"SP.User", sp_service_root(call), "Web/GetUserById(" + std::to_string(u.id) + ")"};
}

void write_user(Call& call, const SiteUser& u) {
  write_odata_entity(
      call.req, call.res,
      {"SP.User", sp_service_root(call), "Web/GetUserById(" + std::to_string(u.id) + ")"},
      user_json(u));
}

Status require_manager(Call& call, std::string_view what) {
  UPSYNC_ASSIGN_OR_RETURN(Principal who, call.caller());
  if (who.manages_tenant()) return Status::ok();
  return permission_denied("Access denied: " + who.describe() + " may not " + std::string(what) +
                           "; site users are managed by admins and apps.");
}

Result<int64_t> id_arg(const ODataSegment& seg) {
  const std::string* lit = seg.arg("id");
  if (!lit) return invalid_argument(seg.name + " needs the user's id, e.g. " + seg.name + "(7).");
  int64_t id = 0;
  auto [end, ec] = std::from_chars(lit->data(), lit->data() + lit->size(), id);
  if (ec != std::errc() || end != lit->data() + lit->size() || id < 1) {
    return invalid_argument("The user id '" + quote_for_message(*lit) + "' in " + seg.name +
                            " is not a positive whole number.");
  }
  return id;
}

Status no_user(const Site& site, std::string_view what) {
  return not_found("User " + std::string(what) + " is not in the user list of site collection '/" +
                   site.key + "'.");
}

Result<SiteUser> by_id(Call& call, const Site& site, int64_t id) {
  UPSYNC_ASSIGN_OR_RETURN(auto u, site.users->by_id(call.tenant.id, site.key, id));
  if (!u) return no_user(site, "id " + std::to_string(id));
  return *u;
}

// A login name as clients send it: the claim, or anything sp_find_account resolves.
Result<SiteUser> by_login(Call& call, const Site& site, std::string_view login) {
  std::string claim(trim(login));
  if (!looks_like_claim(claim)) {
    UPSYNC_ASSIGN_OR_RETURN(Profile p, sp_find_account(call, claim));
    claim = p.account_name;
  } else if (auto parsed = parse_claim(claim)) {
    claim = format_claim(*parsed);
  }
  UPSYNC_ASSIGN_OR_RETURN(auto u, site.users->by_login(call.tenant.id, site.key, claim));
  if (!u) return no_user(site, "'" + quote_for_message(login) + "'");
  return *u;
}

Result<std::string> string_arg(Call& call, const ODataSegment& seg, std::string_view name,
                               std::string_view what) {
  const std::string* lit = seg.arg(name);
  if (!lit) {
    return invalid_argument(seg.name + " needs " + std::string(what) + ", e.g. " + seg.name +
                            "(@v)?@v='...'.");
  }
  return odata_string(call.req, *lit, what);
}

// Adds the person an account names to the site's list (or refreshes their copy).
Result<SiteUser> ensure(Call& call, const Site& site, std::string_view account) {
  UPSYNC_ASSIGN_OR_RETURN(Profile p, sp_find_account(call, account));
  return ensure_site_user(call.store, *site.users, call.tenant, site.key, p);
}

// One user (segment `seg` found them): read, MERGE {IsSiteAdmin}, DELETE.
Status one_user(Call& call, const Site& site, const SiteUser& u,
                std::span<const ODataSegment> rest) {
  if (!rest.empty()) {
    return sp_not_supported(call, "web/siteusers/.../" + rest[0].name,
                            "upsync keeps no SharePoint groups or per-site permissions");
  }
  const std::string method = sp_effective_method(call);
  if (method == "GET")
    return sp_write_entity(call, user_schema(), user_entity(call, u), user_json(u));
  if (method == "DELETE") {
    UPSYNC_RETURN_IF_ERROR(require_manager(call, "remove users from a site"));
    UPSYNC_RETURN_IF_ERROR(site.users->remove(call.tenant.id, site.key, u.id).status());
    write_odata_null(call.res);
    return Status::ok();
  }
  if (method == "MERGE" || method == "PATCH") {
    UPSYNC_RETURN_IF_ERROR(require_manager(call, "change site users"));
    UPSYNC_ASSIGN_OR_RETURN(nlohmann::json body, sp_json_body(call));
    std::optional<bool> admin;
    for (auto& [key, value] : body.items()) {
      if (key == "__metadata") continue;
      if (key != "IsSiteAdmin") {
        return invalid_argument("'" + key +
                                "' of a site user cannot be set: it is copied from the user's "
                                "profile by the sync; only IsSiteAdmin can be changed here.");
      }
      if (!value.is_boolean()) {
        return invalid_argument("'IsSiteAdmin' must be true or false, got " +
                                std::string(value.type_name()) + ".");
      }
      admin = value.get<bool>();
    }
    if (admin) {
      UPSYNC_RETURN_IF_ERROR(
          site.users->set_site_admin(call.tenant.id, site.key, u.id, *admin).status());
    }
    call.res.status = 204;
    return Status::ok();
  }
  return sp_wrong_method(call,
                         "A site user is read with GET, changed with MERGE and removed with "
                         "DELETE, not " +
                             method + ".");
}

Status site_users(Call& call, const Site& site, std::span<const ODataSegment> segs) {
  const ODataSegment& head = segs[0];
  const std::string method = sp_effective_method(call);
  // siteusers('login') / siteusers(@v): the collection addressed by login name.
  if (head.call) {
    UPSYNC_ASSIGN_OR_RETURN(std::string login, string_arg(call, head, "", "the login name"));
    UPSYNC_ASSIGN_OR_RETURN(SiteUser u, by_login(call, site, login));
    return one_user(call, site, u, segs.subspan(1));
  }
  if (segs.size() == 1) {
    if (method == "GET") {
      UPSYNC_ASSIGN_OR_RETURN(auto all, site.users->list(call.tenant.id, site.key));
      std::vector<nlohmann::json> items;
      for (const SiteUser& u : all) items.push_back(user_json(u));
      return sp_write_collection(call, user_schema(), {"SP.User", sp_service_root(call), ""},
                                 std::move(items));
    }
    if (method == "POST") {
      UPSYNC_RETURN_IF_ERROR(require_manager(call, "add users to a site"));
      UPSYNC_ASSIGN_OR_RETURN(nlohmann::json body, sp_json_body(call));
      UPSYNC_ASSIGN_OR_RETURN(std::string login, sp_string_member(body, "LoginName"));
      UPSYNC_ASSIGN_OR_RETURN(SiteUser u, ensure(call, site, login));
      write_user(call, u);
      return Status::ok();
    }
    return sp_wrong_method(
        call, "siteusers is listed with GET and added to with POST, not " + method + ".");
  }
  const ODataSegment& op = segs[1];
  std::span<const ODataSegment> rest = segs.subspan(2);
  if (sp_is(op, "getbyid")) {
    UPSYNC_ASSIGN_OR_RETURN(int64_t id, id_arg(op));
    UPSYNC_ASSIGN_OR_RETURN(SiteUser u, by_id(call, site, id));
    return one_user(call, site, u, rest);
  }
  if (sp_is(op, "getbyemail")) {
    UPSYNC_ASSIGN_OR_RETURN(std::string email, string_arg(call, op, "email", "the e-mail address"));
    UPSYNC_ASSIGN_OR_RETURN(auto u, site.users->by_email(call.tenant.id, site.key, email));
    if (!u) return no_user(site, "with e-mail '" + quote_for_message(email) + "'");
    return one_user(call, site, *u, rest);
  }
  if (sp_is(op, "getbyloginname")) {
    UPSYNC_ASSIGN_OR_RETURN(std::string login, string_arg(call, op, "loginname", "the login name"));
    UPSYNC_ASSIGN_OR_RETURN(SiteUser u, by_login(call, site, login));
    return one_user(call, site, u, rest);
  }
  const bool remove_by_id = sp_is(op, "removebyid");
  if (remove_by_id || sp_is(op, "removebyloginname")) {
    if (method != "POST") {
      return sp_wrong_method(call, op.name + " is called with POST, not " + method + ".");
    }
    UPSYNC_RETURN_IF_ERROR(require_manager(call, "remove users from a site"));
    SiteUser u;
    if (remove_by_id) {
      UPSYNC_ASSIGN_OR_RETURN(int64_t id, id_arg(op));
      UPSYNC_ASSIGN_OR_RETURN(u, by_id(call, site, id));
    } else {
      UPSYNC_ASSIGN_OR_RETURN(std::string login,
                              string_arg(call, op, "loginname", "the login name"));
      UPSYNC_ASSIGN_OR_RETURN(u, by_login(call, site, login));
    }
    UPSYNC_RETURN_IF_ERROR(site.users->remove(call.tenant.id, site.key, u.id).status());
    write_odata_null(call.res);
    return Status::ok();
  }
  return not_found("SP.UserCollection has no member '" + op.name +
                   "'; upsync serves getById, getByEmail, getByLoginName, removeById and "
                   "removeByLoginName.");
}

Status user_info_list(Call& call, const Site& site, std::span<const ODataSegment> segs) {
  if (sp_effective_method(call) != "GET") {
    return sp_wrong_method(call,
                           "The user information list is read-only here: site users are "
                           "added with ensureuser and filled by the sync.");
  }
  const std::string list_id = sp_name_guid(call.tenant.name + "/" + site.key + "/userinfolist");
  UPSYNC_ASSIGN_OR_RETURN(auto all, site.users->list(call.tenant.id, site.key));
  if (segs.size() == 1) {
    nlohmann::json list = {{"Id", list_id},           {"Title", kListTitle},
                           {"BaseTemplate", 112},     {"Hidden", true},
                           {"ItemCount", all.size()}, {"EntityTypeName", "UserInfo"}};
    return sp_write_entity(call, list_schema(),
                           {"SP.List", sp_service_root(call), "Web/Lists(guid'" + list_id + "')"},
                           std::move(list));
  }
  if (!sp_is(segs[1], "items")) {
    return not_found("upsync serves the user information list and its items, not '" + segs[1].name +
                     "'.");
  }
  UPSYNC_ASSIGN_OR_RETURN(ProfileSchema schema, call.store.schema(call.tenant.id));
  const ODataSegment* pick = nullptr;
  if (segs[1].call) {
    pick = &segs[1];
  } else if (segs.size() == 3 && sp_is(segs[2], "getbyid")) {
    pick = &segs[2];
  } else if (segs.size() > 2) {
    return not_found("The user information list's items have no member '" + segs[2].name + "'.");
  }
  const std::string edit_base = "Web/Lists(guid'" + list_id + "')/Items";
  if (!pick) {
    std::vector<nlohmann::json> items;
    for (const SiteUser& u : all) items.push_back(item_json(u, schema));
    return sp_write_collection(call, item_schema(schema),
                               {"SP.Data.UserInfoItem", sp_service_root(call), ""},
                               std::move(items));
  }
  UPSYNC_ASSIGN_OR_RETURN(int64_t id, id_arg(*pick));
  UPSYNC_ASSIGN_OR_RETURN(SiteUser u, by_id(call, site, id));
  return sp_write_entity(
      call, item_schema(schema),
      {"SP.Data.UserInfoItem", sp_service_root(call), edit_base + "(" + std::to_string(id) + ")"},
      item_json(u, schema));
}

Status site_user_route(Call& call) {
  UPSYNC_ASSIGN_OR_RETURN(auto segs, sp_api_segments(call));
  if (segs.size() < 2 || !sp_is(segs[0], "web")) {
    return not_found("Cannot find resource for the request " + call.req.path + ".");
  }
  UPSYNC_ASSIGN_OR_RETURN(Site site, open_site(call));
  std::span<const ODataSegment> rest(segs.begin() + 1, segs.end());
  const ODataSegment& head = rest[0];
  const std::string method = sp_effective_method(call);
  if (sp_is(head, "siteusers")) return site_users(call, site, rest);
  if (sp_is(head, "siteuserinfolist")) return user_info_list(call, site, rest);
  if (sp_is(head, "getuserbyid")) {
    UPSYNC_ASSIGN_OR_RETURN(int64_t id, id_arg(head));
    UPSYNC_ASSIGN_OR_RETURN(SiteUser u, by_id(call, site, id));
    return one_user(call, site, u, rest.subspan(1));
  }
  if (sp_is(head, "ensureuser")) {
    if (method != "POST") {
      return sp_wrong_method(call, "ensureuser is called with POST, not " + method + ".");
    }
    UPSYNC_RETURN_IF_ERROR(require_manager(call, "add users to a site"));
    std::string logon;
    if (head.call) {
      UPSYNC_ASSIGN_OR_RETURN(logon, string_arg(call, head, "logonname", "the logon name"));
    } else {
      UPSYNC_ASSIGN_OR_RETURN(nlohmann::json body, sp_json_body(call));
      UPSYNC_ASSIGN_OR_RETURN(logon, sp_string_member(body, "logonName"));
    }
    UPSYNC_ASSIGN_OR_RETURN(SiteUser u, ensure(call, site, logon));
    write_user(call, u);
    return Status::ok();
  }
  // currentuser: the caller, who enters the site's list on first access, as in SharePoint.
  if (method != "GET") {
    return sp_wrong_method(call, "currentuser is read with GET, not " + method + ".");
  }
  UPSYNC_ASSIGN_OR_RETURN(Principal who, call.caller());
  if (who.role == Role::kApp) {
    return not_found(
        "An app has no user in a site's user list: web/currentuser needs a "
        "person's token.");
  }
  UPSYNC_ASSIGN_OR_RETURN(Profile p, sp_own_profile(call, who));
  UPSYNC_ASSIGN_OR_RETURN(SiteUser u,
                          ensure_site_user(call.store, *site.users, call.tenant, site.key, p));
  return one_user(call, site, u, rest.subspan(1));
}

}  // namespace

void add_sharepoint_site_user_routes(Router& router) {
  std::string pattern = std::string(kSitePrefix) +
                        R"(web/(?:siteusers|siteuserinfolist|getuserbyid|ensureuser|currentuser))"
                        R"((?:[/(].*)?$)";
  // siteusers and the user information list's items take the collection options (siteusers
  // pages by $skip, the items by $skiptoken: sp_query.h), a user or an item $select; writes
  // take none.
  router.add("GET", pattern, Surface::kSharePoint, Access::kSignedIn, site_user_route,
             {"$select", "$filter", "$orderby", "$top", "$skip", "$skiptoken"});
  for (const char* method : {"POST", "DELETE", "PATCH"}) {
    router.add(method, pattern, Surface::kSharePoint, Access::kSignedIn, site_user_route);
  }
}

}  // namespace upsync
