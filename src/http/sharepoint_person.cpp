// PersonProperties of SP.UserProfiles.PeopleManager (reference §1.2): a profile gathered for the
// caller (what they may see of it, the org chart's walks, the follow, the hybrid target) and
// written in the request's OData mode.
#include "http/sharepoint_person.h"

#include <algorithm>
#include <set>

#include "audiences/hybrid.h"
#include "http/json_writer.h"
#include "http/person_page.h"
#include "http/profile_privacy.h"
#include "http/sharepoint_common.h"
#include "http/sharepoint_social.h"

namespace upsync {

namespace {

constexpr std::string_view kPersonType = "SP.UserProfiles.PersonProperties";
// Bounds on the hierarchy walks of PersonProperties (a cycle or a huge org stops there).
constexpr int kMaxManagerDepth = 64;
constexpr size_t kMaxExtendedReports = 1000;

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
    out.properties.emplace_back(d->name,
                                sp_joined_values(it != p.properties.end() ? &it->second : nullptr));
  }
  if (exact != p.properties.size()) {
    for (auto& [name, value] : out.properties) {
      if (value.empty()) value = sp_joined_values(p.find(name));
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
  std::set<std::string> in_extended;
  if (wants("ExtendedReports")) {
    extended = {p.account_name};
    in_extended = {p.account_name};
    for (auto& r : out.direct_reports) {
      if (in_extended.insert(r).second) extended.push_back(r);
    }
  }
  for (size_t i = 1; i < extended.size() && extended.size() < kMaxExtendedReports;) {
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

}  // namespace

std::string sp_joined_values(const PropertyValues* v) {
  std::string out;
  if (!v) return out;
  for (const std::string& s : *v) out += (out.empty() ? "" : "|") + s;
  return out;
}

// UserProfileProperties is selected whole, as SharePoint selects it (a collection of
// SP.KeyValue has no members to name).
const SpSchema& sp_person_schema() {
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

Status sp_write_person(Call& call, const Profile& p) {
  UPSYNC_ASSIGN_OR_RETURN(SpQuery q, sp_query(call, sp_person_schema()));
  UPSYNC_ASSIGN_OR_RETURN(Person person, gather_person(call, p, q.select));
  const ODataMode mode = odata_mode(call.req);
  const ODataEntity entity{std::string(kPersonType), sp_service_root(call),
                           std::string(kPersonType) + person.guid};
  call.res.status = 200;
  call.res.set_content(person_json(mode, person, entity, q.select),
                       std::string(odata_content_type(mode)));
  return Status::ok();
}

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

}  // namespace upsync
