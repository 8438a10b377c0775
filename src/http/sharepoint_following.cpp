// Following people (sites/following.h) through SharePoint's two REST surfaces:
//
//   POST {web}/_api/social.following/follow         {"actor":{"AccountName":"...","ActorType":0}}
//        → SocialFollowResult: 0 Ok, 1 AlreadyFollowing, 2 LimitReached
//   POST .../social.following/stopfollowing | isfollowed   (same body) → true/false
//   GET  .../social.following/my/followed(types=1)   the people the caller follows, as
//        SP.Social.SocialActor (verbose: {"d":{"Followed":{"results":[...]}}})
//   GET  .../social.following/my/followedcount(types=1) | my/followers
//   {web}/_api/SP.UserProfiles.PeopleManager/ amIFollowing(@v), amIFollowedBy(@v),
//        getFollowersFor(@v), getPeopleFollowedBy(@v), getMyFollowers, follow(@v),
//        stopFollowing(@v), IsMyPeopleListPublic, and
//        SP.UserProfiles.PeopleManager.isfollowing(possiblefolloweraccountname=@v,
//        possiblefolloweeaccountname=@y)
//
// The caller follows from their own profile: an app has none (403), nor does a person without
// one (404, as for GetMyProperties). Following someone without a profile is SharePoint's "The
// specified user ... could not be found." (404). Documents, sites and tags (ActorType 1-3,
// followtag, getfollowedtags) are refused with 501: upsync keeps people's follows only, so
// followed(types=...) lists people whatever other bits it names. Whom someone follows and who
// follows them is readable by everyone signed in, as SharePoint's people lists are public by
// default (IsMyPeopleListPublic is true). Lists hold at most kMaxFollowedPeople, newest first.
#include "core/claims.h"
#include "core/text.h"
#include "http/sharepoint_common.h"
#include "http/sharepoint_social.h"
#include "sites/following.h"

namespace upsync {

namespace {

constexpr std::string_view kActorType = "SP.Social.SocialActor";
constexpr std::string_view kActorInfoType = "SP.Social.SocialActorInfo";
constexpr int kActorTypeBits = 1 | 2 | 4 | 8;  // User, Document, Site, Tag

// The caller's own profile, or nullopt for apps and people without one (no side effects:
// this is asked for every PersonProperties answered).
Result<std::optional<Profile>> caller_profile(Call& call) {
  UPSYNC_ASSIGN_OR_RETURN(Principal who, call.caller());
  if (who.role == Role::kApp || who.upn.empty()) return std::optional<Profile>();
  auto p = call.store.find_profile(call.tenant.id, {ProfileKeyKind::kPrincipalName, who.upn});
  if (!p || *p) return p;
  return call.store.find_profile(
      call.tenant.id, {ProfileKeyKind::kAccountName, format_claim(membership_user(who.upn))});
}

// The profile the caller follows from; apps and people without a profile cannot follow.
Result<Profile> follower(Call& call) {
  UPSYNC_ASSIGN_OR_RETURN(Principal who, call.caller());
  if (who.role == Role::kApp || who.upn.empty()) {
    return permission_denied("Following is done by a person from their own profile; " +
                             who.describe() + " has none.");
  }
  auto p = sp_own_profile(call, who);
  if (!p && p.status().code() == StatusCode::kNotFound) return sp_user_not_found(who.upn);
  return p;
}

Result<std::unique_ptr<FollowingStore>> following(Call& call) {
  return open_following_store(call.store);
}

Result<std::vector<Profile>> profiles_of(Call& call, const std::vector<ProfileId>& ids) {
  std::vector<Profile> out;
  for (ProfileId id : ids) {
    UPSYNC_ASSIGN_OR_RETURN(
        auto p, call.store.find_profile(call.tenant.id, {ProfileKeyKind::kId, std::to_string(id)}));
    if (p) out.push_back(std::move(*p));
  }
  return out;
}

std::string display_name(const Profile& p) {
  std::string name = p.first("PreferredName");
  if (name.empty()) name = std::string(trim(p.first("FirstName") + " " + p.first("LastName")));
  if (name.empty()) name = p.first("SPS-UserPrincipalName");
  return name;
}

std::string person_url(const Call& call, const Profile& p) {
  return sp_web_url(call) + "/_api/SP.UserProfiles.PeopleManager/GetPropertiesFor(@v)?@v='" +
         url_encode(p.account_name) + "'";
}

nlohmann::json null_or(const std::string& s) {
  return s.empty() ? nlohmann::json() : nlohmann::json(s);
}

// SP.Social.SocialActor of a person.
nlohmann::json actor_json(const Call& call, const Profile& p, bool is_followed, bool verbose) {
  nlohmann::json a = {{"AccountName", p.account_name},
                      {"ActorType", 0},
                      {"CanFollow", true},
                      {"ContentUri", nullptr},
                      {"EmailAddress", null_or(p.first("WorkEmail"))},
                      {"FollowedContentUri", nullptr},
                      {"Id", p.first("UserProfile_GUID")},
                      {"ImageUri", null_or(p.first("PictureURL"))},
                      {"IsFollowed", is_followed},
                      {"LibraryUri", nullptr},
                      {"Name", display_name(p)},
                      {"PersonalSiteUri", null_or(p.first("PersonalSpace"))},
                      {"Status", 0},
                      {"StatusText", nullptr},
                      {"TagGuid", "00000000-0000-0000-0000-000000000000"},
                      {"Title", null_or(p.first("Title"))},
                      {"Uri", person_url(call, p)}};
  if (verbose) a["__metadata"] = {{"type", kActorType}};
  return a;
}

// A function's collection of SocialActors: verbose {"d":{"<Method>":{"results":[...]}}}.
Status write_actors(Call& call, std::string_view method, const std::vector<Profile>& people,
                    const std::vector<bool>& followed) {
  const ODataMode mode = odata_mode(call.req);
  nlohmann::json items = nlohmann::json::array();
  for (size_t i = 0; i < people.size(); ++i) {
    items.push_back(actor_json(call, people[i], followed[i], mode == ODataMode::kVerbose));
  }
  nlohmann::json body;
  if (mode == ODataMode::kVerbose) {
    body = {{"d", {{std::string(method), {{"results", std::move(items)}}}}}};
  } else {
    body = {{"value", std::move(items)}};
    if (mode == ODataMode::kMinimalMetadata) {
      body["odata.metadata"] =
          sp_service_root(call) + "$metadata#Collection(" + std::string(kActorType) + ")";
    }
  }
  write_json(call.res, 200, body, odata_content_type(mode));
  return Status::ok();
}

// The person a SocialActorInfo names ({"actor":{...}}); documents, sites and tags are refused.
Result<std::optional<Profile>> actor_person(Call& call) {
  UPSYNC_ASSIGN_OR_RETURN(nlohmann::json body, sp_json_body(call));
  const nlohmann::json* actor = nullptr;
  for (const auto& [k, v] : body.items()) {
    if (k != "actor") {
      return invalid_argument(
          "The parameter " + quote_for_message(k) +
          " does not exist in this method of SP.Social.SocialFollowingManager.");
    }
    actor = &v;
  }
  if (!actor || !actor->is_object()) {
    return invalid_argument(
        "The request body needs the actor to follow: {\"actor\":"
        "{\"AccountName\":\"i:0#.f|membership|user@contoso.com\","
        "\"ActorType\":0}}.");
  }
  int64_t type = 0;
  std::string account;
  for (const auto& [k, v] : actor->items()) {
    if (k == "__metadata" || k == "Id" || k == "ContentUri" || k == "TagGuid") {
      if (k != "__metadata" && !v.is_null() && !v.is_string()) {
        return invalid_argument("'" + k + "' of the actor must be a string.");
      }
      continue;
    }
    if (k == "ActorType") {
      if (!v.is_number_integer()) return invalid_argument("'ActorType' must be 0 to 3.");
      type = v.get<int64_t>();
      continue;
    }
    if (k == "AccountName") {
      if (!v.is_null() && !v.is_string())
        return invalid_argument("'AccountName' must be a string.");
      if (v.is_string()) account = v.get<std::string>();
      continue;
    }
    return invalid_argument(
        "The property '" + quote_for_message(k) + "' does not exist on type '" +
        std::string(kActorInfoType) +
        "'. Make sure to only use property names that are defined by the type.");
  }
  if (type < 0 || type > 3) {
    return invalid_argument("ActorType " + std::to_string(type) +
                            " is not one of 0 (User), 1 (Document), 2 (Site), 3 (Tag).");
  }
  if (type != 0) {
    UPSYNC_RETURN_IF_ERROR(sp_not_supported(call,
                                            type == 3   ? "following tags"
                                            : type == 1 ? "following documents"
                                                        : "following sites",
                                            "upsync keeps who follows whom among people only"));
    return std::optional<Profile>();
  }
  if (trim(account).empty()) {
    return invalid_argument("The actor to follow (ActorType 0, a user) needs its AccountName.");
  }
  UPSYNC_ASSIGN_OR_RETURN(Profile p, sp_find_account(call, account));
  return std::optional<Profile>(std::move(p));
}

Result<int64_t> types_arg(Call& call, const ODataSegment& seg) {
  const std::string* lit = seg.arg("types");
  if (!lit)
    return invalid_argument(seg.name + " needs the actor types: " + seg.name + "(types=1).");
  std::string text = *lit;
  if (!text.empty() && text[0] == '@') {
    UPSYNC_ASSIGN_OR_RETURN(text, odata_string(call.req, text, "types"));
  }
  int64_t types = -1;
  if (!text.empty() && text.size() < 10 &&
      std::all_of(text.begin(), text.end(), [](char c) { return c >= '0' && c <= '9'; })) {
    types = std::stoll(text);
  }
  if (types < 0 || (types & ~kActorTypeBits) != 0) {
    return invalid_argument(
        "types must combine 1 (User), 2 (Document), 4 (Site) and 8 (Tag), got '" +
        quote_for_message(text) + "'.");
  }
  return types;
}

Status social_post(Call& call, const std::string& method) {
  UPSYNC_ASSIGN_OR_RETURN(std::optional<Profile> target, actor_person(call));
  if (!target) return Status::ok();  // refused (501) already
  UPSYNC_ASSIGN_OR_RETURN(Profile me, follower(call));
  UPSYNC_ASSIGN_OR_RETURN(auto store, following(call));
  const std::string root = sp_service_root(call);
  if (method == "follow") {
    UPSYNC_ASSIGN_OR_RETURN(FollowOutcome r, store->follow(call.tenant.id, me.id, target->id));
    const int code = r == FollowOutcome::kFollowed           ? 0
                     : r == FollowOutcome::kAlreadyFollowing ? 1
                                                             : 2;
    write_odata_value(call.req, call.res, root, "Follow", "Edm.Int32", code);
  } else if (method == "stopfollowing") {
    UPSYNC_ASSIGN_OR_RETURN(bool was, store->stop_following(call.tenant.id, me.id, target->id));
    // StopFollowing answers whether the caller no longer follows the actor: true either way.
    (void)was;
    write_odata_value(call.req, call.res, root, "StopFollowing", "Edm.Boolean", true);
  } else {
    UPSYNC_ASSIGN_OR_RETURN(bool yes, store->is_following(call.tenant.id, me.id, target->id));
    write_odata_value(call.req, call.res, root, "IsFollowed", "Edm.Boolean", yes);
  }
  return Status::ok();
}

Status social_my(Call& call, const ODataSegment& seg) {
  UPSYNC_ASSIGN_OR_RETURN(Profile me, follower(call));
  UPSYNC_ASSIGN_OR_RETURN(auto store, following(call));
  if (sp_is(seg, "followed") || sp_is(seg, "followedcount")) {
    UPSYNC_ASSIGN_OR_RETURN(int64_t types, types_arg(call, seg));
    const bool people = (types & 1) != 0;
    if (sp_is(seg, "followedcount")) {
      int64_t n = 0;
      if (people) {
        UPSYNC_ASSIGN_OR_RETURN(n, store->count_followed_by(call.tenant.id, me.id));
      }
      write_odata_value(call.req, call.res, sp_service_root(call), "FollowedCount", "Edm.Int32", n);
      return Status::ok();
    }
    std::vector<ProfileId> ids;
    if (people) {
      UPSYNC_ASSIGN_OR_RETURN(ids, store->followed_by(call.tenant.id, me.id, kMaxFollowedPeople));
    }
    UPSYNC_ASSIGN_OR_RETURN(auto people_list, profiles_of(call, ids));
    return write_actors(call, "Followed", people_list, std::vector<bool>(people_list.size(), true));
  }
  if (sp_is(seg, "followers")) {
    UPSYNC_ASSIGN_OR_RETURN(auto ids,
                            store->followers_of(call.tenant.id, me.id, kMaxFollowedPeople));
    UPSYNC_ASSIGN_OR_RETURN(auto people_list, profiles_of(call, ids));
    std::vector<bool> followed;
    for (const Profile& p : people_list) {
      UPSYNC_ASSIGN_OR_RETURN(bool f, store->is_following(call.tenant.id, me.id, p.id));
      followed.push_back(f);
    }
    return write_actors(call, "Followers", people_list, followed);
  }
  return sp_not_supported(call, "social.following/my/" + seg.name,
                          "upsync keeps who follows whom among people, no suggestions, sites or "
                          "documents");
}

Status social_following(Call& call) {
  UPSYNC_RETURN_IF_ERROR(only_query_options(call, {}));
  UPSYNC_ASSIGN_OR_RETURN(auto segs, sp_api_segments(call));
  // segs[0] is "social.following".
  const std::string& method = call.req.method;
  if (segs.size() == 2 && !segs[1].call) {
    const std::string name = ascii_lower(segs[1].name);
    if (name == "follow" || name == "stopfollowing" || name == "isfollowed") {
      if (method != "POST") return sp_wrong_method(call, segs[1].name + " is called with POST.");
      return social_post(call, name);
    }
  }
  if (segs.size() == 3 && sp_is(segs[1], "my")) {
    if (method != "GET") return sp_wrong_method(call, segs[2].name + " is called with GET.");
    return social_my(call, segs[2]);
  }
  return sp_not_supported(call, call.req.path,
                          "upsync serves follow, stopfollowing, isfollowed, my/followed, "
                          "my/followedcount and my/followers, for people");
}

Result<Profile> account_profile(Call& call, const ODataSegment& seg, std::string_view name) {
  const std::string* lit = seg.arg(name);
  if (!lit) {
    return invalid_argument(seg.name + " needs the account name: " + seg.name +
                            "(@v)?@v='i:0#.f|membership|user@contoso.com'.");
  }
  UPSYNC_ASSIGN_OR_RETURN(std::string account, odata_string(call.req, *lit, name));
  return sp_find_account(call, account);
}

Status write_bool(Call& call, std::string_view method, bool value) {
  write_odata_value(call.req, call.res, sp_service_root(call), method, "Edm.Boolean", value);
  return Status::ok();
}

// Reads of PeopleManager: whether I follow / am followed, and the lists.
Status people_manager_read(Call& call, const ODataSegment& m, const std::string& name) {
  UPSYNC_ASSIGN_OR_RETURN(auto store, following(call));
  const TenantId t = call.tenant.id;
  if (name == "getmyfollowers") {
    UPSYNC_ASSIGN_OR_RETURN(Profile me, follower(call));
    UPSYNC_ASSIGN_OR_RETURN(auto ids, store->followers_of(t, me.id, kMaxFollowedPeople));
    UPSYNC_ASSIGN_OR_RETURN(auto people, profiles_of(call, ids));
    return sp_write_people(call, people);
  }
  UPSYNC_ASSIGN_OR_RETURN(Profile other, account_profile(call, m, "accountName"));
  if (name == "getfollowersfor" || name == "getpeoplefollowedby") {
    std::vector<ProfileId> ids;
    if (name == "getfollowersfor") {
      UPSYNC_ASSIGN_OR_RETURN(ids, store->followers_of(t, other.id, kMaxFollowedPeople));
    } else {
      UPSYNC_ASSIGN_OR_RETURN(ids, store->followed_by(t, other.id, kMaxFollowedPeople));
    }
    UPSYNC_ASSIGN_OR_RETURN(auto people, profiles_of(call, ids));
    return sp_write_people(call, people);
  }
  UPSYNC_ASSIGN_OR_RETURN(Profile me, follower(call));
  if (name == "amifollowing") {
    UPSYNC_ASSIGN_OR_RETURN(bool yes, store->is_following(t, me.id, other.id));
    return write_bool(call, "AmIFollowing", yes);
  }
  UPSYNC_ASSIGN_OR_RETURN(bool yes, store->is_following(t, other.id, me.id));
  return write_bool(call, "AmIFollowedBy", yes);
}

}  // namespace

Result<bool> sp_caller_follows(Call& call, const Profile& p) {
  UPSYNC_ASSIGN_OR_RETURN(std::optional<Profile> me, caller_profile(call));
  if (!me || me->id == p.id) return false;
  UPSYNC_ASSIGN_OR_RETURN(auto store, following(call));
  return store->is_following(call.tenant.id, me->id, p.id);
}

std::optional<Status> sp_people_manager_following(Call& call, const ODataSegment& m) {
  const std::string name = ascii_lower(m.name);
  const std::string& method = call.req.method;
  auto wrong = [&](std::string_view verb) {
    return sp_wrong_method(
        call, m.name + " is called with " + std::string(verb) + ", not " + method + ".");
  };
  if (name == "amifollowing" || name == "amifollowedby" || name == "getfollowersfor" ||
      name == "getpeoplefollowedby" || name == "getmyfollowers") {
    if (method != "GET") return wrong("GET");
    if (Status s = only_query_options(call, {}); !s.is_ok()) {
      return s;
    }
    return people_manager_read(call, m, name);
  }
  if (name == "follow" || name == "stopfollowing") {
    if (method != "POST") return wrong("POST");
    auto run = [&]() -> Status {
      UPSYNC_RETURN_IF_ERROR(only_query_options(call, {}));
      UPSYNC_ASSIGN_OR_RETURN(Profile other, account_profile(call, m, "accountName"));
      UPSYNC_ASSIGN_OR_RETURN(Profile me, follower(call));
      UPSYNC_ASSIGN_OR_RETURN(auto store, following(call));
      if (name == "follow") {
        UPSYNC_ASSIGN_OR_RETURN(FollowOutcome r, store->follow(call.tenant.id, me.id, other.id));
        if (r == FollowOutcome::kLimitReached) {
          return failed_precondition(me.account_name + " already follows " +
                                     std::to_string(kMaxFollowedPeople) +
                                     " people, the most SharePoint allows.");
        }
      } else {
        UPSYNC_RETURN_IF_ERROR(store->stop_following(call.tenant.id, me.id, other.id).status());
      }
      write_odata_null(call.res);
      return Status::ok();
    };
    return run();
  }
  if (name == "ismypeoplelistpublic") {
    if (method != "GET") return wrong("GET");
    // Everyone signed in reads whom anyone follows (getPeopleFollowedBy): the list is public.
    return write_bool(call, "IsMyPeopleListPublic", true);
  }
  if (name == "getfollowedtags" || name == "followtag" || name == "stopfollowingtag") {
    return sp_not_supported(call, m.name, "upsync keeps who follows whom among people, no tags");
  }
  if (name == "getmysuggestions" || name == "hidesuggestion") {
    return sp_not_supported(call, m.name, "upsync makes no suggestions of people to follow");
  }
  return std::nullopt;
}

Status sp_people_manager_is_following(Call& call, const ODataSegment& seg) {
  if (call.req.method != "GET") return sp_wrong_method(call, "isfollowing is called with GET.");
  UPSYNC_RETURN_IF_ERROR(only_query_options(call, {}));
  UPSYNC_ASSIGN_OR_RETURN(Profile a, account_profile(call, seg, "possibleFollowerAccountName"));
  const std::string* lit = seg.arg("possibleFolloweeAccountName", 1);
  if (!lit) {
    return invalid_argument(
        "isfollowing needs possiblefolloweeaccountname=@y after the "
        "follower's account name.");
  }
  UPSYNC_ASSIGN_OR_RETURN(std::string account,
                          odata_string(call.req, *lit, "possibleFolloweeAccountName"));
  UPSYNC_ASSIGN_OR_RETURN(Profile b, sp_find_account(call, account));
  UPSYNC_ASSIGN_OR_RETURN(auto store, following(call));
  UPSYNC_ASSIGN_OR_RETURN(bool yes, store->is_following(call.tenant.id, a.id, b.id));
  return write_bool(call, "IsFollowing", yes);
}

void add_sharepoint_following_routes(Router& router) {
  for (const char* method : {"GET", "POST"}) {
    router.add(method, std::string(kSitePrefix) + R"(social\.following(?:/.*)?$)",
               Surface::kSharePoint, Access::kSignedIn, social_following);
  }
}

}  // namespace upsync
