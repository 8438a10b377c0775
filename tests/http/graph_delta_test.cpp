// Graph's users delta query (src/http/graph_users_delta.cpp) against the real `upsync serve`:
// each change once in its latest state, rounds that follow each other, bad tokens refused.
#include <gtest/gtest.h>
#include <httplib.h>

#include "http/graph_fixture.h"

namespace upsync {
namespace {

using nlohmann::json;
using upsync::testing::GraphTest;
using upsync::testing::keys;
using upsync::testing::upns;
using upsync::testing::write_file;

// One delta round from `path`: every page until the deltaLink; returns the objects and sets
// the deltaLink's local path.
struct Round {
  std::vector<json> objects;
  std::string delta_path;
  int pages = 0;
};

TEST_F(GraphTest, DeltaReportsEachChangeOnceInItsLatestState) {
  std::map<std::string, std::string> id;  // upn → object id
  for (const char* u : {"a", "b", "c", "d", "e"}) {
    id[u] = add_user("contoso", std::string(u) + "@contoso.com",
                     {std::string("displayName=") + u, "givenName=G"});
  }
  start();
  httplib::Headers small = {{"Prefer", "odata.maxpagesize=2"}};
  auto round = [&](std::string path) {
    Round out;
    for (int n = 0; n < 50; ++n) {
      auto r = get(path, app_token_, small);
      EXPECT_TRUE(r && r->status == 200) << path << ": " << (r ? r->body : "");
      if (!r || r->status != 200) break;
      EXPECT_EQ(r->get_header_value("Preference-Applied"), "odata.maxpagesize=2");
      json page = json::parse(r->body);
      ++out.pages;
      for (auto& o : page["value"]) out.objects.push_back(o);
      if (page.contains("@odata.deltaLink")) {
        EXPECT_FALSE(page.contains("@odata.nextLink"));
        out.delta_path = local(page["@odata.deltaLink"]);
        EXPECT_NE(out.delta_path.find("/v1.0/users/delta?$deltatoken="), std::string::npos);
        break;
      }
      path = local(page["@odata.nextLink"]);
      EXPECT_NE(path.find("/v1.0/users/delta?$skiptoken="), std::string::npos);
    }
    return out;
  };

  // Round 1: all five, two per page, with the selected properties and the id.
  Round r1 = round("/tenants/contoso/v1.0/users/microsoft.graph.delta?$select=displayName");
  EXPECT_EQ(r1.pages, 3);
  ASSERT_EQ(r1.objects.size(), 5u);
  std::set<std::string> seen;
  for (const auto& o : r1.objects) {
    EXPECT_EQ(keys(o), (std::set<std::string>{"displayName", "id"})) << o;
    seen.insert(o["id"]);
  }
  EXPECT_EQ(seen.size(), 5u);

  // Between rounds: add f, change b, delete c, change d three times, and a change that stores
  // the same value (no change at all) on e.
  id["f"] = add_user("contoso", "f@contoso.com", {"displayName=f"});
  set_user("b@contoso.com", "displayName=B2");
  ASSERT_EQ(cli({"directory", "user", "delete", "--tenant", "contoso", "c@contoso.com"}), 0);
  set_user("d@contoso.com", "displayName=D1");
  set_user("d@contoso.com", "givenName=H");  // not selected, still a change of d
  set_user("d@contoso.com", "displayName=D3");
  set_user("e@contoso.com", "displayName=e");

  Round r2 = round(r1.delta_path);
  std::map<std::string, json> by_id;
  for (const auto& o : r2.objects) {
    EXPECT_EQ(by_id.count(o["id"]), 0u) << "reported twice: " << o;
    by_id[o["id"]] = o;
  }
  EXPECT_EQ(by_id.size(), 4u);
  EXPECT_EQ(by_id[id["f"]], json({{"displayName", "f"}, {"id", id["f"]}}));
  EXPECT_EQ(by_id[id["b"]], json({{"displayName", "B2"}, {"id", id["b"]}}));
  EXPECT_EQ(by_id[id["c"]], json({{"id", id["c"]}, {"@removed", {{"reason", "deleted"}}}}));
  EXPECT_EQ(by_id[id["d"]], json({{"displayName", "D3"}, {"id", id["d"]}}));

  // Round 3: nothing changed, one empty page; then one change.
  Round r3 = round(r2.delta_path);
  EXPECT_EQ(r3.pages, 1);
  EXPECT_TRUE(r3.objects.empty());
  set_user("a@contoso.com", "displayName=A!");
  Round r4 = round(r3.delta_path);
  ASSERT_EQ(r4.objects.size(), 1u);
  EXPECT_EQ(r4.objects[0], json({{"displayName", "A!"}, {"id", id["a"]}}));
  // A deltaLink may be used again: the same changes since its round.
  Round again = round(r3.delta_path);
  EXPECT_EQ(again.objects, r4.objects);
}

TEST_F(GraphTest, ChangesDuringTheFirstRoundComeInTheNext) {
  std::map<std::string, std::string> id;
  for (const char* u : {"a", "b", "c", "d"}) {
    id[u] = add_user("contoso", std::string(u) + "@contoso.com", {"displayName=old"});
  }
  start();
  httplib::Headers small = {{"Prefer", "odata.maxpagesize=2"}};
  auto r = get("/tenants/contoso/v1.0/users/delta?$select=displayName", app_token_, small);
  ASSERT_TRUE(r && r->status == 200);
  json page = json::parse(r->body);
  ASSERT_EQ(page["value"].size(), 2u);
  std::string seen = page["value"][0]["id"];
  std::string upn_seen;
  for (const auto& [u, i] : id) {
    if (i == seen) upn_seen = u + "@contoso.com";
  }
  // Mid-round: change a user already sent, and add one.
  set_user(upn_seen, "displayName=new");
  std::string added = add_user("contoso", "late@contoso.com", {"displayName=late"});
  std::vector<json> round1 = page["value"];
  std::string path = local(page["@odata.nextLink"]);
  std::string delta_path;
  for (int n = 0; n < 10 && delta_path.empty(); ++n) {
    r = get(path, app_token_, small);
    ASSERT_TRUE(r && r->status == 200) << (r ? r->body : "");
    page = json::parse(r->body);
    for (auto& o : page["value"]) round1.push_back(o);
    if (page.contains("@odata.deltaLink")) {
      delta_path = local(page["@odata.deltaLink"]);
    } else {
      path = local(page["@odata.nextLink"]);
    }
  }
  std::set<std::string> ids1;
  for (const auto& o : round1) ids1.insert(o["id"]);
  EXPECT_EQ(ids1.size(), round1.size());  // no user twice in a round
  EXPECT_GE(round1.size(), 4u);
  // The next round carries both mid-round changes, whatever round 1 happened to show.
  r = get(delta_path, app_token_);
  ASSERT_TRUE(r && r->status == 200);
  std::map<std::string, json> round2;
  json body = json::parse(r->body);
  for (const auto& o : body["value"]) round2[o["id"]] = o;
  EXPECT_EQ(round2.size(), 2u);
  EXPECT_EQ(round2[seen], json({{"displayName", "new"}, {"id", seen}}));
  EXPECT_EQ(round2[added], json({{"displayName", "late"}, {"id", added}}));
}

TEST_F(GraphTest, BadDeltaTokensAreRefusedAsGraphDoes) {
  add_user("contoso", "a@contoso.com");
  add_user("fabrikam", "eve@fabrikam.com");
  start();
  json first = get_json("/tenants/contoso/v1.0/users/delta");
  std::string link = local(first["@odata.deltaLink"]);
  std::string dtoken = link.substr(link.find("$deltatoken=") + 12);
  auto claims = json::parse(*base64url_decode(dtoken));

  const std::string delta = "/tenants/contoso/v1.0/users/delta?";
  json e = error_of(delta + "$deltatoken=@@@", 400);
  EXPECT_EQ(e["code"], "Request_BadRequest");
  EXPECT_NE(e["message"].get<std::string>().find("$deltatoken is not valid"), std::string::npos);
  e = error_of(delta + "$deltatoken=" + base64url_encode("[1,2]"), 400);
  EXPECT_EQ(e["code"], "Request_BadRequest");
  e = error_of(delta + "$skiptoken=" + dtoken, 400);  // a deltatoken is no skiptoken
  EXPECT_NE(e["message"].get<std::string>().find("not a token of this kind"), std::string::npos);

  json broken = claims;
  broken["s"] = "seven";
  e = error_of(delta + "$deltatoken=" + base64url_encode(broken.dump()), 400);
  EXPECT_NE(e["message"].get<std::string>().find("missing or of the wrong type"),
            std::string::npos);

  json foreign = claims;
  foreign["t"] = "fabrikam";
  e = error_of(delta + "$deltatoken=" + base64url_encode(foreign.dump()), 400);
  EXPECT_EQ(e["message"], "The $deltatoken was issued for another tenant, not 'contoso'.");

  // fabrikam's own deltaLink, brought to contoso.
  std::string fabrikam = token("fabrikam", {{"grant_type", "client_credentials"}});
  auto fr = get("/v1.0/users/delta", fabrikam);
  ASSERT_TRUE(fr);
  std::string flink = json::parse(fr->body)["@odata.deltaLink"];
  e = error_of(delta + flink.substr(flink.find("$deltatoken=")), 400);
  EXPECT_EQ(e["message"], "The $deltatoken was issued for another tenant, not 'contoso'.");

  json future = claims;
  future["s"] = claims["s"].get<int64_t>() + 1000;
  e = error_of(delta + "$deltatoken=" + base64url_encode(future.dump()), 410);
  EXPECT_EQ(e["code"], "syncStateNotFound");

  e = error_of(delta + "$filter=id%20eq%20%27x%27", 400);
  EXPECT_EQ(e["code"], "Request_UnsupportedQuery");
  e = error_of("/tenants/contoso/v1.0/users/delta?$select=nope", 400);
  EXPECT_EQ(e["code"], "Request_BadRequest");

  // "latest": no users, a deltaLink from now on.
  json latest = get_json(delta + "$deltatoken=latest");
  EXPECT_TRUE(latest["value"].empty());
  add_user("contoso", "new@contoso.com");
  json next = get_json(local(latest["@odata.deltaLink"]));
  ASSERT_EQ(next["value"].size(), 1u);
  EXPECT_EQ(next["value"][0]["userPrincipalName"], "new@contoso.com");
}

}  // namespace
}  // namespace upsync
