// Audiences (src/audiences/audiences.h, audience_compiler.h): rules checked when added (an
// unknown property, group or manager named, nothing stored), the rule kinds and all/any
// compiled over a server tenant's profiles, and the stage after profiles re-evaluating only
// what changed (a profile, a group's members, a manager) to the same membership a full
// compile reaches.
#include "audiences/audiences.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdio>

#include "audiences/audience_compiler.h"
#include "directory/directory_store.h"
#include "store/store_fixture.h"

namespace upsync {
namespace {

std::string guid(int n) {
  char buf[40];
  std::snprintf(buf, sizeof buf, "00000000-0000-0000-0000-%012d", n);
  return buf;
}

class AudiencesTest : public testing::StoreTest {
 protected:
  void SetUp() override {
    StoreTest::SetUp();
    auto farm = store_->create_tenant({.name = "farm", .kind = TenantKind::kServer});
    ASSERT_TRUE(farm);
    farm_ = *farm;
    auto d = open_directory_store(*store_);
    ASSERT_TRUE(d);
    dir_ = std::move(*d);
    auto a = open_audience_store(*store_);
    ASSERT_TRUE(a);
    audiences_ = std::move(*a);
  }

  // i:0#.w|farm\<login>, with a directory object id n and the given properties.
  Profile person(const std::string& login, int n, std::vector<PropertyChange> props = {}) {
    props.push_back({"msOnline-ObjectId", {guid(n)}});
    auto p = store_->create_profile(farm_.id, account(login), props);
    EXPECT_TRUE(p) << p.status().to_string();
    return p ? *p : Profile{};
  }
  static std::string account(const std::string& login) { return "i:0#.w|farm\\" + login; }

  void update(const Profile& p, std::vector<PropertyChange> changes) {
    auto r = store_->update_profile(farm_.id, p.id, changes);
    ASSERT_TRUE(r) << r.status().to_string();
  }

  void group(int n, const std::string& name, std::vector<std::string> members) {
    DirectoryGroup g;
    g.object_id = guid(n);
    g.attributes["displayName"] = {name};
    g.members = std::move(members);
    ASSERT_TRUE(dir_->put_group(farm_.id, DirectoryLayer::kStore, g));
    ASSERT_TRUE(dir_->resolve_transitive_members(farm_.id, {g.object_id}));
  }

  Audience add(const std::string& name, AudienceMatch match, std::vector<std::string> rules) {
    NewAudience n{.name = name, .match = match};
    for (const std::string& r : rules) {
      auto parsed = parse_audience_rule(r);
      EXPECT_TRUE(parsed) << parsed.status().to_string();
      if (parsed) n.rules.push_back(*parsed);
    }
    auto a = add_audience(*store_, farm_, n);
    EXPECT_TRUE(a) << a.status().to_string();
    return a ? *a : Audience{};
  }

  std::vector<std::string> members(const Audience& a) {
    std::vector<std::string> out;
    auto ids = audiences_->members(farm_.id, a.id, 0, 100000);
    EXPECT_TRUE(ids);
    for (ProfileId id : *ids) {
      auto p = store_->profile(farm_.id, {ProfileKeyKind::kId, std::to_string(id)});
      EXPECT_TRUE(p);
      out.push_back(p->account_name.substr(p->account_name.find('\\') + 1));
    }
    std::sort(out.begin(), out.end());
    return out;
  }

  StageReport stage(bool full = false) {
    SyncOptions o;
    o.full = full;
    auto r = run_audience_stage(*store_, farm_, o);
    EXPECT_TRUE(r) << r.status().to_string();
    return r ? *r : StageReport{};
  }

  // The stage's membership equals a full compile's: compiled again from scratch, it is the same.
  void expect_same_as_full_compile(const Audience& a) {
    auto before = members(a);
    auto found = audiences_->find(farm_.id, a.name);
    ASSERT_TRUE(found && *found);
    ASSERT_TRUE(compile_audience(*store_, farm_, **found));
    EXPECT_EQ(members(a), before) << a.name;
  }

  Tenant farm_;
  std::unique_ptr<DirectoryStore> dir_;
  std::unique_ptr<AudienceStore> audiences_;
};

TEST_P(AudiencesTest, RuleTextRoundTripsAndBadTextIsRefused) {
  for (const char* text : {"memberOf:Sales Team", "Department=Sales", "SPS-Skills~=c++",
                           "reportsUnder:i:0#.w|farm\\boss", "Office=a=b"}) {
    auto r = parse_audience_rule(text);
    ASSERT_TRUE(r) << text << ": " << r.status().to_string();
    EXPECT_EQ(format_audience_rule(*r), text);
  }
  EXPECT_EQ(parse_audience_rule("Department~=x")->kind, AudienceRuleKind::kPropertyContains);
  for (const char* bad : {"Department", "=Sales", "~=x", ""}) {
    auto r = parse_audience_rule(bad);
    ASSERT_FALSE(r) << bad;
    EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
  }
}

TEST_P(AudiencesTest, EachRuleKindAndAllOrAny) {
  Profile boss = person("boss", 1, {{"Department", {"Board"}}});
  Profile ann = person("ann", 2,
                       {{"Department", {"Sales"}},
                        {"Manager", {account("boss")}},
                        {"SPS-Skills", {"Negotiation", "C++"}}});
  Profile bob = person("bob", 3, {{"Department", {"sales"}}, {"Manager", {account("ann")}}});
  Profile cy = person("cy", 4, {{"Department", {"Support"}}});
  group(100, "Inner", {guid(3)});
  group(101, "Outer", {guid(100), guid(4)});  // nested: bob through Inner

  EXPECT_EQ(members(add("eq", AudienceMatch::kAll, {"Department=SALES"})),
            (std::vector<std::string>{"ann", "bob"}));
  EXPECT_EQ(members(add("contains", AudienceMatch::kAll, {"SPS-Skills~=c+"})),
            (std::vector<std::string>{"ann"}));
  EXPECT_EQ(members(add("group", AudienceMatch::kAll, {"memberOf:Outer"})),
            (std::vector<std::string>{"bob", "cy"}));
  EXPECT_EQ(members(add("under", AudienceMatch::kAll, {"reportsUnder:" + account("boss")})),
            (std::vector<std::string>{"ann", "bob"}));
  EXPECT_EQ(members(add("all", AudienceMatch::kAll, {"Department=Sales", "memberOf:Inner"})),
            (std::vector<std::string>{"bob"}));
  EXPECT_EQ(members(add("any", AudienceMatch::kAny, {"Department=Board", "memberOf:Outer"})),
            (std::vector<std::string>{"bob", "boss", "cy"}));
}

TEST_P(AudiencesTest, BadRulesNameTheCauseAndStoreNothing) {
  person("boss", 1);
  group(100, "Sales Team", {});
  struct Case {
    std::vector<std::string> rules;
    std::string expected;  // in the message
  };
  const Case cases[] = {
      {{"Department=Sales", "NoSuchProperty=x"}, "NoSuchProperty"},
      {{"memberOf:No Such Group"}, "No Such Group"},
      {{"reportsUnder:nobody@farm.example"}, "no profile 'nobody@farm.example'"},
      {{"Department="}, "no value"},
  };
  for (const Case& c : cases) {
    NewAudience n{.name = "Bad"};
    for (const std::string& r : c.rules) n.rules.push_back(*parse_audience_rule(r));
    auto a = add_audience(*store_, farm_, n);
    ASSERT_FALSE(a) << c.expected;
    EXPECT_NE(a.status().message().find(c.expected), std::string::npos) << a.status().message();
    EXPECT_NE(a.status().message().find("audience 'Bad'"), std::string::npos);
  }
  NewAudience none{.name = "None"};
  EXPECT_EQ(add_audience(*store_, farm_, none).status().code(), StatusCode::kInvalidArgument);
  NewAudience numeric{.name = "42", .rules = {*parse_audience_rule("Department=x")}};
  EXPECT_EQ(add_audience(*store_, farm_, numeric).status().code(), StatusCode::kInvalidArgument);
  EXPECT_TRUE(audiences_->list(farm_.id)->empty());

  // The online tenant refuses audiences, naming why.
  NewAudience fine{.name = "Fine", .rules = {*parse_audience_rule("Department=x")}};
  auto online = add_audience(*store_, tenant_, fine);
  ASSERT_FALSE(online);
  EXPECT_EQ(online.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_NE(online.status().message().find("online tenant"), std::string::npos);
  // A group and a manager given by name and UPN are stored by object id and account.
  auto a = add_audience(*store_, farm_,
                        {.name = "Ok",
                         .rules = {*parse_audience_rule("memberOf:sales team"),
                                   *parse_audience_rule("reportsUnder:" + account("boss"))}});
  ASSERT_TRUE(a) << a.status().to_string();
  EXPECT_EQ(a->rules[0].group, guid(100));
}

TEST_P(AudiencesTest, TheStageFollowsProfileChangesAndDeletions) {
  Profile ann = person("ann", 2, {{"Department", {"Sales"}}});
  Profile bob = person("bob", 3, {{"Department", {"Support"}}});
  Audience sales = add("sales", AudienceMatch::kAll, {"Department=Sales"});
  stage(true);  // cursors to the end
  EXPECT_EQ(members(sales), (std::vector<std::string>{"ann"}));

  update(bob, {{"Department", {"Sales"}}});
  update(ann, {{"Department", {"Marketing"}}});
  Profile cy = person("cy", 4, {{"Department", {"Sales"}}});
  StageReport r = stage();
  EXPECT_EQ(r.stage, "profiles-to-audiences");
  EXPECT_EQ(r.read, 3);
  EXPECT_EQ(r.added, 2);
  EXPECT_EQ(r.deleted, 1);
  EXPECT_EQ(members(sales), (std::vector<std::string>{"bob", "cy"}));

  ASSERT_TRUE(store_->delete_profile(farm_.id, cy.id));
  r = stage();
  EXPECT_EQ(members(sales), (std::vector<std::string>{"bob"}));
  // Nothing changed: nothing read, nothing evaluated.
  r = stage();
  EXPECT_EQ(r.read, 0);
  EXPECT_EQ(r.added + r.deleted + r.unchanged, 0);
  expect_same_as_full_compile(sales);
}

TEST_P(AudiencesTest, TheStageFollowsGroupMembershipIncludingNestedGroups) {
  person("ann", 2);
  person("bob", 3);
  person("cy", 4);
  group(100, "Inner", {guid(2)});
  group(101, "Outer", {guid(100)});
  Audience a = add("outer", AudienceMatch::kAll, {"memberOf:Outer"});
  Audience other = add("dept", AudienceMatch::kAll, {"Department=Nothing"});
  stage(true);
  EXPECT_EQ(members(a), (std::vector<std::string>{"ann"}));

  group(100, "Inner", {guid(3), guid(4)});  // ann leaves, bob and cy join, one level down
  StageReport r = stage();
  EXPECT_EQ(members(a), (std::vector<std::string>{"bob", "cy"}));
  EXPECT_EQ(r.added, 2);
  EXPECT_EQ(r.deleted, 1);
  EXPECT_TRUE(members(other).empty());
  expect_same_as_full_compile(a);

  group(101, "Outer", {});  // the whole nested group leaves
  stage();
  EXPECT_TRUE(members(a).empty());
}

TEST_P(AudiencesTest, AManagerChangeMovesTheWholeBranch) {
  Profile ceo = person("ceo", 1);
  Profile vp = person("vp", 2, {{"Manager", {account("ceo")}}});
  Profile lead = person("lead", 3, {{"Manager", {account("vp")}}});
  Profile dev = person("dev", 4, {{"Manager", {account("lead")}}});
  Profile other = person("other", 5);
  Audience a = add("under-other", AudienceMatch::kAll, {"reportsUnder:" + account("other")});
  stage(true);
  EXPECT_TRUE(members(a).empty());

  update(lead, {{"Manager", {account("other")}}});  // lead and dev move under "other"
  StageReport r = stage();
  EXPECT_EQ(members(a), (std::vector<std::string>{"dev", "lead"}));
  EXPECT_EQ(r.added, 2);
  expect_same_as_full_compile(a);

  update(lead, {{"Manager", {account("vp")}}});
  stage();
  EXPECT_TRUE(members(a).empty());
}

TEST_P(AudiencesTest, AManagerLoopEndsAndTheOnlineTenantHasNoStage) {
  Profile a = person("a", 1, {{"Manager", {account("b")}}});
  Profile b = person("b", 2, {{"Manager", {account("a")}}});
  Profile c = person("c", 3, {{"Manager", {account("a")}}});
  Audience under = add("under-zed", AudienceMatch::kAll, {"reportsUnder:" + account("c")});
  EXPECT_TRUE(members(under).empty());
  update(a, {{"Department", {"x"}}});
  stage();
  EXPECT_TRUE(members(under).empty());

  SyncOptions o;
  auto r = run_audience_stage(*store_, tenant_, o);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->read, 0);
}

UPSYNC_TEST_ON_EVERY_BACKEND(AudiencesTest);

}  // namespace
}  // namespace upsync
