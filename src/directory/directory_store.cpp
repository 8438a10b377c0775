// The directory's shared definitions: the cloud attribute set, the feeds of each layer, and
// attribute lookups on users and groups. Backends implement DirectoryStore itself.
#include "directory/directory_store.h"

#include <unordered_set>

#include "core/text.h"

namespace upsync {
namespace {

std::string first_value(const DirectoryAttributes& a, std::string_view name) {
  auto it = a.find(name);
  return (it == a.end() || it->second.empty()) ? std::string() : it->second[0];
}

bool attribute_flag(const DirectoryAttributes& a, std::string_view name, bool missing) {
  auto it = a.find(name);
  if (it == a.end() || it->second.empty()) return missing;
  return ascii_iequal(it->second[0], "true");
}

}  // namespace

const std::vector<std::string>& store_attribute_names() {
  static const std::vector<std::string> kNames = {
      "userPrincipalName",
      "accountEnabled",
      "signInBlocked",
      "licensed",
      "mail",
      "proxyAddresses",
      "givenName",
      "surname",
      "displayName",
      "jobTitle",
      "department",
      "telephoneNumber",
      "physicalDeliveryOfficeName",
      "preferredLanguage",
      "wWWHomePage",
      "msExchHideFromAddressList",
      "msExchRecipientTypeDetails",
      "manager",
      "objectSid",
      "objectGuid",
      "objectGuidBytes",
      "distinguishedName",
  };
  return kNames;
}

const std::vector<std::string>& cloud_attribute_names() {
  static const std::vector<std::string> kNames = [] {
    std::vector<std::string> names = store_attribute_names();
    // Graph's user fields beyond SharePoint's set (Azure AD Connect's default flows).
    for (const char* n : {
             "mobile",
             "city",
             "country",
             "companyName",
             "employeeId",
             "otherMails",
             "onPremisesSamAccountName",
             "onPremisesDomainName",
             "onPremisesUserPrincipalName",
             "onPremisesLastSyncDateTime",
             "extensionAttribute1",
             "extensionAttribute2",
             "extensionAttribute3",
             "extensionAttribute4",
             "extensionAttribute5",
             "extensionAttribute6",
             "extensionAttribute7",
             "extensionAttribute8",
             "extensionAttribute9",
             "extensionAttribute10",
             "extensionAttribute11",
             "extensionAttribute12",
             "extensionAttribute13",
             "extensionAttribute14",
             "extensionAttribute15",
         }) {
      names.emplace_back(n);
    }
    return names;
  }();
  return kNames;
}

Result<std::string> cloud_attribute_name(std::string_view name) {
  std::string known;
  for (const std::string& n : cloud_attribute_names()) {
    if (ascii_iequal(n, name)) return n;
    known += (known.empty() ? "" : ", ") + n;
  }
  return not_found("unknown directory attribute '" + quote_for_message(name) +
                   "' (known: " + known + ")");
}

Status too_many_ids(size_t count) {
  return invalid_argument("at most " + std::to_string(DirectoryStore::kMaxUsersPerQuery) +
                          " users per query, got " + std::to_string(count));
}

Status check_ids_to_copy(std::span<const std::string> object_ids) {
  if (object_ids.size() > DirectoryStore::kMaxUsersPerQuery) return too_many_ids(object_ids.size());
  std::unordered_set<std::string> seen;
  for (const std::string& id : object_ids) {
    if (!seen.insert(ascii_lower(id)).second) {
      return invalid_argument("object id '" + quote_for_message(id, 60) + "' is named twice");
    }
  }
  return Status::ok();
}

std::string_view directory_feed(DirectoryLayer layer) {
  return layer == DirectoryLayer::kCloud ? kCloudUsersFeed : kDirectoryUsersFeed;
}

std::string_view directory_groups_feed(DirectoryLayer layer) {
  return layer == DirectoryLayer::kCloud ? kCloudGroupsFeed : kDirectoryGroupsFeed;
}

std::string DirectoryUser::first(std::string_view name) const {
  return first_value(attributes, name);
}

bool DirectoryUser::flag(std::string_view name, bool missing) const {
  return attribute_flag(attributes, name, missing);
}

std::string DirectoryGroup::first(std::string_view name) const {
  return first_value(attributes, name);
}

bool DirectoryGroup::flag(std::string_view name, bool missing) const {
  return attribute_flag(attributes, name, missing);
}

Status for_each_searchable(Store& store, DirectoryStore& directory,
                           const std::function<Status(TenantId, const Profile&)>& person,
                           const std::function<Status(TenantId, const DirectoryGroup&)>& group) {
  UPSYNC_ASSIGN_OR_RETURN(std::vector<Tenant> all, store.tenants());
  for (const Tenant& t : all) {
    ProfileQuery q;
    q.limit = 1000;
    while (true) {
      UPSYNC_ASSIGN_OR_RETURN(ProfilePage page, store.list_profiles(t.id, q));
      for (const Profile& p : page.profiles) UPSYNC_RETURN_IF_ERROR(person(t.id, p));
      if (!page.next_after_id) break;
      q.after_id = *page.next_after_id;
    }
    UPSYNC_ASSIGN_OR_RETURN(auto groups, directory.groups(t.id, DirectoryLayer::kStore));
    for (const DirectoryGroup& g : groups) UPSYNC_RETURN_IF_ERROR(group(t.id, g));
  }
  return Status::ok();
}

}  // namespace upsync
