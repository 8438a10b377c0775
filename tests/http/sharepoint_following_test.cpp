// Following (src/http/sharepoint_following.cpp) of the real `upsync serve`: social.following
// and PeopleManager's methods in each mode, IsFollowed in PersonProperties, and the refusals
// (nobody, oneself, documents and sites, apps, bad types, OData options).
#include <gtest/gtest.h>
#include <httplib.h>

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "http/server_process.h"
#include "test_support.h"

namespace upsync {
namespace {

using json = nlohmann::json;
using upsync::testing::run;
using upsync::testing::Server;
using upsync::testing::TempDir;

constexpr const char* kVerbose = "application/json;odata=verbose";
constexpr const char* kNoMeta = "application/json;odata=nometadata";
constexpr const char* kMinimal = "application/json";
const std::string kApi = "/tenants/contoso/_api";
const std::string kSocial = kApi + "/social.following";
const std::string kPeople = kApi + "/sp.userprofiles.peoplemanager";
const std::string kAdele = "i:0#.f|membership|adele@contoso.com";
const std::string kMegan = "i:0#.f|membership|megan@contoso.com";
const std::string kAlex = "i:0#.f|membership|alex@contoso.com";
// The @v alias as PnPjs sends it.
std::string alias(const std::string& account) {
  return "%40v=%27" + httplib::detail::encode_query_param(account) + "%27";
}

class FollowingTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new TempDir();
    const std::string data = dir_->str() + "/data";
    auto cli = [&](std::vector<std::string> args) {
      args.insert(args.begin(), {"--data-dir", data});
      ASSERT_EQ(run(args), 0) << args[2];
    };
    cli({"tenant", "create", "contoso"});
    for (const char* who : {"adele", "megan", "alex"}) {
      cli({"user", "password", "set", "--tenant", "contoso", std::string(who) + "@contoso.com",
           "--password", std::string("pw-") + who + "-secret"});
      cli({"profile", "create", "--tenant", "contoso",
           std::string("i:0#.f|membership|") + who + "@contoso.com", "--set",
           std::string("PreferredName=") + who, "--set",
           std::string("WorkEmail=") + who + "@contoso.com"});
    }
    cli({"user", "password", "set", "--tenant", "contoso", "noprofile@contoso.com", "--password",
         "pw-noprofile-secret"});
    app_ = dir_->str() + "/app.json";
    ASSERT_EQ(std::system((testing::binary() + " --data-dir " + data +
                           " --json app add -t contoso follower > " + app_)
                              .c_str()),
              0);
    server_ = new Server(*dir_, {"--no-worker"});
    ASSERT_GT(server_->port(), 0) << server_->log();
  }
  static void TearDownTestSuite() {
    delete server_;
    delete dir_;
  }

  static std::string token(const std::string& who) {
    httplib::Client c("127.0.0.1", server_->port());
    httplib::Params form = {{"scope", "https://contoso.sharepoint.com/.default"}};
    if (who == "app") {
      json app = json::parse(testing::read_file(app_));
      form.emplace("grant_type", "client_credentials");
      form.emplace("client_id", app["clientId"].get<std::string>());
      form.emplace("client_secret", app["clientSecret"].get<std::string>());
    } else {
      form.emplace("grant_type", "password");
      form.emplace("client_id", json::parse(testing::read_file(app_))["clientId"]);
      form.emplace("username", who + "@contoso.com");
      form.emplace("password", "pw-" + who + "-secret");
    }
    auto r = c.Post("/contoso/oauth2/v2.0/token", form);
    EXPECT_TRUE(r && r->status == 200) << (r ? r->body : "");
    return r && r->status == 200 ? json::parse(r->body)["access_token"].get<std::string>() : "";
  }
  static httplib::Result call(const std::string& method, const std::string& path,
                              const std::string& who, const std::string& body = "",
                              const std::string& accept = kNoMeta) {
    httplib::Client c("127.0.0.1", server_->port());
    c.set_url_encode(false);
    httplib::Headers h = {{"Accept", accept}, {"Authorization", "Bearer " + token(who)}};
    if (method == "GET") return c.Get(path.c_str(), h);
    return c.Post(path.c_str(), h, body, "application/json;charset=utf-8");
  }
  static json ok(const httplib::Result& r) {
    EXPECT_TRUE(r);
    if (!r) return json();
    EXPECT_EQ(r->status, 200) << r->body;
    return json::parse(r->body);
  }
  static std::string actor(const std::string& account, int type = 0) {
    return json{{"actor", {{"AccountName", account}, {"ActorType", type}, {"Id", nullptr}}}}.dump();
  }
  static std::vector<std::string> accounts(const json& list, const char* key = "AccountName") {
    std::vector<std::string> out;
    for (const auto& p : list) out.push_back(p[key]);
    return out;
  }
  static std::string error_message(const httplib::Result& r) {
    json j = json::parse(r->body);
    return j.contains("odata.error") ? j["odata.error"]["message"]["value"]
                                     : j["error"]["message"]["value"];
  }

  static inline TempDir* dir_ = nullptr;
  static inline Server* server_ = nullptr;
  static inline std::string app_;
};

TEST_F(FollowingTest, SocialFollowingFollowsListsAndStops) {
  EXPECT_EQ(ok(call("POST", kSocial + "/follow", "adele", actor(kMegan))), json({{"value", 0}}));
  EXPECT_EQ(ok(call("POST", kSocial + "/follow", "adele", actor(kMegan)))["value"], 1);
  EXPECT_EQ(ok(call("POST", kSocial + "/isfollowed", "adele", actor(kMegan)))["value"], true);
  EXPECT_EQ(ok(call("POST", kSocial + "/isfollowed", "megan", actor(kAdele)))["value"], false);
  json followed = ok(call("GET", kSocial + "/my/followed(types=1)", "adele"))["value"];
  ASSERT_EQ(followed.size(), 1u);
  EXPECT_EQ(followed[0]["AccountName"], kMegan);
  EXPECT_EQ(followed[0]["ActorType"], 0);
  EXPECT_EQ(followed[0]["Name"], "megan");
  EXPECT_EQ(followed[0]["EmailAddress"], "megan@contoso.com");
  EXPECT_EQ(followed[0]["IsFollowed"], true);
  // Documents and sites are never followed in upsync: types=14 lists nobody.
  EXPECT_TRUE(ok(call("GET", kSocial + "/my/followed(types=14)", "adele"))["value"].empty());
  EXPECT_EQ(ok(call("GET", kSocial + "/my/followedcount(types=15)", "adele"))["value"], 1);
  json followers = ok(call("GET", kSocial + "/my/followers", "megan"))["value"];
  EXPECT_EQ(accounts(followers), std::vector<std::string>{kAdele});
  EXPECT_EQ(followers[0]["IsFollowed"], false);  // Megan does not follow Adele back
  // Verbose: d.Followed.results (PnPjs reads r.Followed.results); minimal names the type.
  json verbose = ok(call("GET", kSocial + "/my/followed(types=1)", "adele", "", kVerbose));
  EXPECT_EQ(verbose["d"]["Followed"]["results"][0]["__metadata"]["type"], "SP.Social.SocialActor");
  json minimal = ok(call("GET", kSocial + "/my/followers", "megan", "", kMinimal));
  EXPECT_TRUE(minimal["odata.metadata"].get<std::string>().ends_with(
      "$metadata#Collection(SP.Social.SocialActor)"));
  EXPECT_EQ(ok(call("POST", kSocial + "/stopfollowing", "adele", actor(kMegan)))["value"], true);
  EXPECT_TRUE(ok(call("GET", kSocial + "/my/followers", "megan"))["value"].empty());
}

TEST_F(FollowingTest, PeopleManagerMethodsAndIsFollowed) {
  ASSERT_EQ(ok(call("POST", kPeople + "/follow(@v)?" + alias(kAlex), "megan")),
            json({{"odata.null", true}}));
  ASSERT_EQ(ok(call("POST", kSocial + "/follow", "adele", actor(kAlex)))["value"], 0);
  EXPECT_EQ(ok(call("GET", kPeople + "/amifollowing(@v)?" + alias(kAlex), "megan"))["value"], true);
  EXPECT_EQ(ok(call("GET", kPeople + "/amifollowing(@v)?" + alias(kMegan), "alex"))["value"],
            false);
  EXPECT_EQ(ok(call("GET", kPeople + "/amifollowedby(@v)?" + alias(kMegan), "alex"))["value"],
            true);
  json followers = ok(call("GET", kPeople + "/getfollowersfor(@v)?" + alias(kAlex), "alex"));
  // Newest first, each a PersonProperties.
  EXPECT_EQ(accounts(followers["value"]), (std::vector<std::string>{kAdele, kMegan}));
  EXPECT_TRUE(followers["value"][0].contains("UserProfileProperties"));
  json by_megan =
      ok(call("GET", kPeople + "/getpeoplefollowedby(@v)?" + alias(kMegan), "adele", "", kVerbose));
  ASSERT_EQ(by_megan["d"]["results"].size(), 1u);
  EXPECT_EQ(by_megan["d"]["results"][0]["AccountName"], kAlex);
  // Adele follows Alex too: IsFollowed is the caller's.
  EXPECT_EQ(by_megan["d"]["results"][0]["IsFollowed"], true);
  EXPECT_EQ(by_megan["d"]["results"][0]["__metadata"]["type"], "SP.UserProfiles.PersonProperties");
  json mine = ok(call("GET", kPeople + "/getmyfollowers", "alex", "", kMinimal));
  EXPECT_TRUE(mine["odata.metadata"].get<std::string>().ends_with(
      "$metadata#Collection(SP.UserProfiles.PersonProperties)"));
  EXPECT_EQ(mine["value"].size(), 2u);
  EXPECT_EQ(
      ok(call("GET", kPeople + "/getpropertiesfor(@v)?" + alias(kAlex), "megan"))["IsFollowed"],
      true);
  EXPECT_EQ(
      ok(call("GET", kPeople + "/getpropertiesfor(@v)?" + alias(kAlex), "alex"))["IsFollowed"],
      false);
  EXPECT_EQ(ok(call("GET", kPeople + "/getpropertiesfor(@v)?" + alias(kAlex), "app"))["IsFollowed"],
            false);
  EXPECT_EQ(
      ok(call("GET",
              kPeople +
                  ".isfollowing(possiblefolloweraccountname=@v,%20"
                  "possiblefolloweeaccountname=@y)?" +
                  alias(kMegan) + "&%40y=%27" + httplib::detail::encode_query_param(kAlex) + "%27",
              "adele"))["value"],
      true);
  EXPECT_EQ(ok(call("GET", kPeople + "/ismypeoplelistpublic", "adele"))["value"], true);
  ASSERT_EQ(ok(call("POST", kPeople + "/stopfollowing(@v)?" + alias(kAlex), "megan")),
            json({{"odata.null", true}}));
  EXPECT_EQ(ok(call("GET", kPeople + "/amifollowing(@v)?" + alias(kAlex), "megan"))["value"],
            false);
  ASSERT_EQ(ok(call("POST", kSocial + "/stopfollowing", "adele", actor(kAlex)))["value"], true);
}

TEST_F(FollowingTest, RefusalsSaySharePointsErrorAndFollowNobody) {
  auto nobody =
      call("POST", kSocial + "/follow", "adele", actor("i:0#.f|membership|ghost@contoso.com"));
  EXPECT_EQ(nobody->status, 404);
  EXPECT_EQ(error_message(nobody),
            "The specified user i:0#.f|membership|ghost@contoso.com could not be found.");
  EXPECT_EQ(call("POST", kPeople + "/follow(@v)?" + alias("ghost@contoso.com"), "adele")->status,
            404);
  EXPECT_EQ(call("POST", kSocial + "/follow", "adele", actor(kAdele))->status, 400);
  auto site =
      call("POST", kSocial + "/follow", "adele",
           json{{"actor", {{"ActorType", 2}, {"ContentUri", "https://x/sites/hr"}}}}.dump());
  EXPECT_EQ(site->status, 501);
  EXPECT_EQ(call("POST", kSocial + "/follow", "adele",
                 json{{"actor", {{"AccountName", kMegan}, {"ActorType", 0}, {"Bogus", 1}}}}.dump())
                ->status,
            400);
  EXPECT_EQ(call("POST", kSocial + "/follow", "adele", R"({"actor":{"ActorType":0}})")->status,
            400);
  EXPECT_EQ(
      call("POST", kSocial + "/follow", "adele", R"({"actor":{"AccountName":"x|y"}})")->status,
      400);
  EXPECT_EQ(call("POST", kSocial + "/follow", "adele", "[1]")->status, 400);
  // Apps have no profile to follow from; people without a profile neither.
  auto app = call("POST", kSocial + "/follow", "app", actor(kMegan));
  EXPECT_EQ(app->status, 403) << app->body;
  EXPECT_EQ(call("POST", kSocial + "/follow", "noprofile", actor(kMegan))->status, 404);
  EXPECT_EQ(call("GET", kSocial + "/my/followed(types=16)", "adele")->status, 400);
  EXPECT_EQ(call("GET", kSocial + "/my/followed", "adele")->status, 400);
  EXPECT_EQ(call("GET", kSocial + "/my/followers?$top=1", "adele")->status, 400);
  EXPECT_EQ(
      call("GET", kPeople + "/getfollowersfor(@v)?$select=AccountName&" + alias(kMegan), "adele")
          ->status,
      400);
  EXPECT_EQ(call("GET", kSocial + "/follow", "adele")->status, 405);
  EXPECT_EQ(call("GET", kSocial + "/my/suggestions", "adele")->status, 501);
  EXPECT_EQ(call("GET", kPeople + "/getfollowedtags(20)", "adele")->status, 501);
  // Nothing was followed by any of it.
  EXPECT_TRUE(ok(call("GET", kSocial + "/my/followed(types=15)", "adele"))["value"].empty());
  EXPECT_TRUE(ok(call("GET", kSocial + "/my/followers", "megan"))["value"].empty());
}

}  // namespace
}  // namespace upsync
