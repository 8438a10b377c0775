// The two directory layers the sync pipeline moves users and groups through (DESIGN.md §1):
//   kCloud  the tenant's cloud directory (Azure AD's part), filled by connectors (stage 0)
//           and by hand (`upsync directory user ...`);
//   kStore  SharePoint's directory store, a copy of the cloud directory's fixed attribute
//           set (stage 1), which stage 2 turns into profiles.
// Each layer has its own change feeds, one for users (kCloudUsersFeed, kDirectoryUsersFeed)
// and one for groups (kCloudGroupsFeed, kDirectoryGroupsFeed): every put that changes an
// object, and every deletion, takes the tenant's next sequence number.
//
// Groups hold their direct members by object id (users and groups alike), never by DN, so a
// renamed or moved member stays a member. Removing a user or a group also removes it from
// every group of its layer that held it, and each such group records a change (as Azure AD
// drops the membership links of a deleted object). Transitive members follow nested groups
// and are safe with cycles: a group is never its own member, and each member comes once.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"
#include "store/store.h"

namespace upsync {

enum class DirectoryLayer { kCloud, kStore };
inline constexpr std::string_view kCloudUsersFeed = "cloud_users";
inline constexpr std::string_view kDirectoryUsersFeed = "directory_users";
inline constexpr std::string_view kCloudGroupsFeed = "cloud_groups";
inline constexpr std::string_view kDirectoryGroupsFeed = "directory_groups";
std::string_view directory_feed(DirectoryLayer layer);
std::string_view directory_groups_feed(DirectoryLayer layer);

// Attribute names are the cloud directory's (Graph's and Azure AD's): userPrincipalName,
// accountEnabled, signInBlocked, licensed, mail, proxyAddresses, givenName, surname,
// displayName, jobTitle, department, telephoneNumber, physicalDeliveryOfficeName,
// preferredLanguage, wWWHomePage, msExchHideFromAddressList, manager (the manager's object
// id), objectSid, objectGuid, distinguishedName, msExchRecipientTypeDetails; and Graph's
// user fields: mobile, city, country, companyName, employeeId, otherMails,
// onPremisesSamAccountName, onPremisesDomainName, onPremisesUserPrincipalName,
// onPremisesLastSyncDateTime, extensionAttribute1..15.
// Looked up by string_view too (std::less<>): no string is made to find an attribute.
using DirectoryAttributes = std::map<std::string, std::vector<std::string>, std::less<>>;
// The names of the attributes a reader needs, sorted: objects read with them hold those of
// their attributes and no others (DirectoryStore::cloud_users_with).
using AttributeNames = std::vector<std::string>;

// The attributes a cloud user may carry (the names above), for checking hand edits.
const std::vector<std::string>& cloud_attribute_names();
// The fixed set stage 1 copies into SharePoint's directory store (seed 002): the names above
// but Graph's user fields (mobile ... extensionAttribute15), which stay in the cloud directory.
const std::vector<std::string>& store_attribute_names();
// The canonical spelling of `name` among cloud_attribute_names() (case-insensitive), or a
// NotFound listing them.
Result<std::string> cloud_attribute_name(std::string_view name);

struct DirectoryUser {
  std::string object_id;  // GUID, stable for the user's source anchor
  std::string
      source_anchor;  // objectGUID / entryUUID of the on-premises entry; empty for cloud-only
  DirectoryAttributes attributes;
  bool deleted = false;
  int64_t seq = 0;

  std::string first(std::string_view name) const;
  bool flag(std::string_view name, bool missing) const;  // "true"/"false" attributes
};

// Attribute names of a group: displayName, description, mail, mailNickname, securityEnabled,
// mailEnabled ("true"/"false"), proxyAddresses, objectSid, objectGuid, distinguishedName,
// onPremisesSamAccountName.
struct DirectoryGroup {
  std::string object_id;      // GUID, stable for the group's source anchor
  std::string source_anchor;  // objectGUID / entryUUID on premises; empty for cloud-only
  DirectoryAttributes attributes;
  std::vector<std::string> members;  // direct members' object ids, sorted, each once
  bool deleted = false;
  int64_t seq = 0;

  std::string first(std::string_view name) const;
  bool flag(std::string_view name, bool missing) const;
};

// A group's member (or a user's group), whichever kind it is.
struct DirectoryObject {
  std::optional<DirectoryUser> user;
  std::optional<DirectoryGroup> group;
  const std::string& object_id() const { return user ? user->object_id : group->object_id; }
};

// InvalidArgument for a users_with_ids() or users_with_anchors() call with more than
// kMaxUsersPerQuery values.
Status too_many_ids(size_t count);
// InvalidArgument for copy_users_to_store() ids that are too many or not each once.
Status check_ids_to_copy(std::span<const std::string> object_ids);

class DirectoryStore {
 public:
  virtual ~DirectoryStore() = default;
  virtual Result<std::optional<DirectoryUser>> user(TenantId tenant, DirectoryLayer layer,
                                                    std::string_view object_id) = 0;
  // user() for many ids in one query (the sync's stage 2 reads a page ahead with it): the users
  // of the layer with one of `object_ids` (ASCII case-insensitive), deleted ones too, in
  // object id order, each once; at most kMaxUsersPerQuery ids.
  static constexpr size_t kMaxUsersPerQuery = 5000;
  virtual Result<std::vector<DirectoryUser>> users_with_ids(
      TenantId tenant, DirectoryLayer layer, std::span<const std::string> object_ids) = 0;
  // user_by_anchor() for many anchors in one query (stage 0 looks up a batch of entries so):
  // the users of the layer with one of `anchors`, deleted ones too, in object id order; at
  // most kMaxUsersPerQuery anchors.
  virtual Result<std::vector<DirectoryUser>> users_with_anchors(
      TenantId tenant, DirectoryLayer layer, std::span<const std::string> anchors) = 0;
  virtual Result<std::optional<DirectoryUser>> user_by_anchor(TenantId tenant, DirectoryLayer layer,
                                                              std::string_view anchor) = 0;
  virtual Result<std::optional<DirectoryUser>> user_by_upn(TenantId tenant, DirectoryLayer layer,
                                                           std::string_view upn) = 0;
  // The live cloud user whose distinguishedName is `dn` (ASCII case-insensitive).
  virtual Result<std::optional<DirectoryUser>> cloud_user_by_dn(TenantId tenant,
                                                                std::string_view dn) = 0;
  // The live cloud users whose object id, user principal name or mail (its first value) is
  // one of `values`, ASCII case-insensitively, in object id order, each once: one query, an
  // index search per value (a Graph filter `userPrincipalName in (...)` of a whole team).
  // With `only`, each user holds just those attributes: a list of names and titles decodes 3
  // of a user's 15 or so (nullptr: all of them).
  enum class CloudKey { kObjectId, kUserPrincipalName, kMail };
  virtual Result<std::vector<DirectoryUser>> cloud_users_with(TenantId tenant, CloudKey key,
                                                              std::span<const std::string> values,
                                                              const AttributeNames* only) = 0;
  // The live cloud users whose manager is `object_id`.
  virtual Result<std::vector<DirectoryUser>> cloud_direct_reports(TenantId tenant,
                                                                  std::string_view object_id) = 0;
  // Writes the user (by object id). Anything but kUnchanged recorded a change-feed entry.
  enum class PutOutcome { kUnchanged, kAdded, kUpdated };
  virtual Result<PutOutcome> put(TenantId tenant, DirectoryLayer layer,
                                 const DirectoryUser& user) = 0;
  // put() for a user whose object id the layer cannot have yet (one new_ordered_guid() just
  // made): written without looking for it first. An id the layer has is refused
  // (AlreadyExists).
  virtual Status add(TenantId tenant, DirectoryLayer layer, const DirectoryUser& user) = 0;
  // Stage 1's copy of one user: the cloud user's attributes of the fixed set
  // (store_attribute_names()) put into the directory store. nullopt, writing nothing, when
  // the cloud directory has no live user `object_id`.
  struct Copied {
    PutOutcome outcome = PutOutcome::kUnchanged;
    std::string user_principal_name;  // as the cloud user has it ("" without one)
  };
  virtual Result<std::optional<Copied>> copy_user_to_store(TenantId tenant,
                                                           std::string_view object_id) = 0;
  // copy_user_to_store() of each of `object_ids` (each once, at most kMaxUsersPerQuery), one
  // answer per id in their order: stage 1 copies a page of its feed so, which PostgreSQL reads
  // in two queries rather than two per user.
  virtual Result<std::vector<std::optional<Copied>>> copy_users_to_store(
      TenantId tenant, std::span<const std::string> object_ids) = 0;
  // Marks the user deleted (kept as a tombstone for the feed's readers); false if already so.
  virtual Result<bool> remove(TenantId tenant, DirectoryLayer layer,
                              std::string_view object_id) = 0;
  // Every live user of the layer, ordered by user principal name.
  virtual Result<std::vector<DirectoryUser>> users(TenantId tenant, DirectoryLayer layer) = 0;
  // Up to `limit` live users of the layer whose object id sorts after `after_object_id` (""
  // for the first), in object id order: a stable order for paging through the layer.
  virtual Result<std::vector<DirectoryUser>> users_after(TenantId tenant, DirectoryLayer layer,
                                                         std::string_view after_object_id,
                                                         int limit) = 0;
  // The object id and source anchor of every live user of the layer with a source anchor, in
  // object id order (for full compares: the attributes are not read).
  struct AnchoredId {
    std::string object_id;
    std::string source_anchor;
  };
  virtual Result<std::vector<AnchoredId>> anchored_user_ids(TenantId tenant,
                                                            DirectoryLayer layer) = 0;

  // Groups: the same operations as for users, by object id, anchor or DN (cloud layer).
  virtual Result<std::optional<DirectoryGroup>> group(TenantId tenant, DirectoryLayer layer,
                                                      std::string_view object_id) = 0;
  virtual Result<std::optional<DirectoryGroup>> group_by_anchor(TenantId tenant,
                                                                DirectoryLayer layer,
                                                                std::string_view anchor) = 0;
  virtual Result<std::optional<DirectoryGroup>> cloud_group_by_dn(TenantId tenant,
                                                                  std::string_view dn) = 0;
  // Writes the group and its member list (sorted and made unique here).
  virtual Result<PutOutcome> put_group(TenantId tenant, DirectoryLayer layer,
                                       const DirectoryGroup& group) = 0;
  virtual Result<bool> remove_group(TenantId tenant, DirectoryLayer layer,
                                    std::string_view object_id) = 0;
  // Every live group of the layer, ordered by display name (then object id).
  virtual Result<std::vector<DirectoryGroup>> groups(TenantId tenant, DirectoryLayer layer) = 0;
  // Up to `limit` live groups whose object id sorts after `after_object_id`, in that order.
  virtual Result<std::vector<DirectoryGroup>> groups_after(TenantId tenant, DirectoryLayer layer,
                                                           std::string_view after_object_id,
                                                           int limit) = 0;
  virtual Result<std::vector<DirectoryGroup>> anchored_groups(TenantId tenant,
                                                              DirectoryLayer layer) = 0;
  // The live groups that hold `object_id` (a user or a group) as a direct member.
  virtual Result<std::vector<DirectoryGroup>> member_of(TenantId tenant, DirectoryLayer layer,
                                                        std::string_view object_id) = 0;
  // The object ids of the live members of the group, following nested groups, in object id
  // order, without the group itself. Computed on read in the cloud layer; the directory
  // store's are the ones stage 1 resolved (resolve_transitive_members).
  virtual Result<std::vector<std::string>> transitive_members(TenantId tenant, DirectoryLayer layer,
                                                              std::string_view group_id) = 0;
  // The directory store's resolution of nested membership, for each of `group_ids` and every
  // group that holds one of them, directly or through others. Returns how many groups it
  // resolved.
  virtual Result<int64_t> resolve_transitive_members(TenantId tenant,
                                                     const std::vector<std::string>& group_ids) = 0;
  // How the direct members of cloud group `group_id` changed after change `after_seq` up to
  // `upto_seq`: each member whose membership changed, once, with its last change (removed or
  // added), in member id order. Only changes recorded since the store had this log are known.
  struct MemberChange {
    std::string member_id;
    bool removed = false;
  };
  virtual Result<std::vector<MemberChange>> member_changes(TenantId tenant,
                                                           std::string_view group_id,
                                                           int64_t after_seq, int64_t upto_seq) = 0;
  // A live user or group of the layer by object id (nullopt when neither).
  virtual Result<std::optional<DirectoryObject>> object(TenantId tenant, DirectoryLayer layer,
                                                        std::string_view object_id) = 0;
};

// The DirectoryStore over `store`'s connection, from its backend (store/store.h).
inline Result<std::unique_ptr<DirectoryStore>> open_directory_store(Store& store) {
  return store.directory_store();
}

// What a backend's rebuild of the people search index (sites/people_search.h) walks: for every
// tenant, each of its profiles (read a page at a time) to `person`, then each of its
// directory-store groups (DirectoryLayer::kStore) to `group`.
Status for_each_searchable(Store& store, DirectoryStore& directory,
                           const std::function<Status(TenantId, const Profile&)>& person,
                           const std::function<Status(TenantId, const DirectoryGroup&)>& group);

}  // namespace upsync
