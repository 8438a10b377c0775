// Store::update_custom_property: display name and flags change; changes the stored values
// would break are refused and change nothing; values follow a change of the multi-value flag.
#include <gtest/gtest.h>

#include <functional>

#include "store/store.h"
#include "store/store_fixture.h"

namespace upsync {
namespace {

// An update that changes what `set` sets: the members left out stay nullopt.
PropertyUpdate update_of(const std::function<void(PropertyUpdate&)>& set) {
  PropertyUpdate u;
  set(u);
  return u;
}

class PropertyUpdateTest : public testing::StoreTest {
 protected:
  void SetUp() override {
    StoreTest::SetUp();
    PropertyDefinition team;
    team.name = "Team";
    team.max_length = 20;
    ASSERT_TRUE(store_->add_custom_property(tenant_.id, team));
  }

  PropertyDefinition team() {
    auto schema = store_->schema(tenant_.id);
    EXPECT_TRUE(schema) << schema.status().to_string();
    const PropertyDefinition* d = schema ? schema->find("Team") : nullptr;
    return d ? *d : PropertyDefinition{};
  }

  PropertyValues values_of(ProfileId id) {
    auto p = store_->profile(tenant_.id, {ProfileKeyKind::kId, std::to_string(id)});
    EXPECT_TRUE(p) << p.status().to_string();
    const PropertyValues* v = p ? p->find("Team") : nullptr;
    return v ? *v : PropertyValues{};
  }
};

TEST_P(PropertyUpdateTest, ChangesDisplayNameAndFlags) {
  auto before = store_->changes_after(tenant_.id, "schema", 0, 100);
  ASSERT_TRUE(before);
  auto changed =
      store_->update_custom_property(tenant_.id, "team", update_of([](PropertyUpdate& u) {
                                       u.display_name = "Team name";
                                       u.user_editable = true;
                                       u.sync_to_sites = true;
                                       u.max_length = 40;
                                     }));
  ASSERT_TRUE(changed) << changed.status().to_string();
  EXPECT_EQ(changed->name, "Team");
  EXPECT_EQ(changed->display_name, "Team name");
  PropertyDefinition t = team();
  EXPECT_EQ(t.display_name, "Team name");
  EXPECT_TRUE(t.user_editable);
  EXPECT_TRUE(t.sync_to_sites);
  EXPECT_FALSE(t.multi_value);
  EXPECT_EQ(t.max_length, 40);
  EXPECT_EQ(t.type, DataType::kString);
  auto after = store_->changes_after(tenant_.id, "schema", 0, 100);
  ASSERT_TRUE(after);
  ASSERT_EQ(after->size(), before->size() + 1);
  EXPECT_EQ(after->back().object_id, "Team");

  // The new limit is the one values are checked against.
  Profile bob = make_profile("bob@contoso.com", {{"Team", {std::string(30, 'x')}}});
  EXPECT_EQ(values_of(bob.id).size(), 1u);
  ASSERT_TRUE(store_->update_custom_property(
      tenant_.id, "Team", update_of([](PropertyUpdate& u) { u.display_name = ""; })));
  EXPECT_EQ(team().display_name, "Team");
}

TEST_P(PropertyUpdateTest, ValuesFollowTheMultiValueFlag) {
  Profile bob = make_profile("bob@contoso.com", {{"Team", {"Blue"}}});
  Profile ann = make_profile("ann@contoso.com");
  ASSERT_TRUE(store_->update_custom_property(
      tenant_.id, "Team", update_of([](PropertyUpdate& u) { u.multi_value = true; })));
  EXPECT_EQ(values_of(bob.id), std::vector<std::string>{"Blue"});
  ASSERT_TRUE(store_->update_profile(tenant_.id, ann.id,
                                     std::vector<PropertyChange>{{"Team", {"Red", "Green"}}}));
  ProfileQuery blue;
  blue.filter_property = "Team";
  blue.filter_value = "Blue";
  EXPECT_EQ(store_->list_profiles(tenant_.id, blue)->profiles.size(), 1u);

  auto refused = store_->update_custom_property(
      tenant_.id, "Team", update_of([](PropertyUpdate& u) { u.multi_value = false; }));
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_EQ(refused.status().message(),
            "property 'Team' cannot become single-value: 1 profile(s) have more than one value; "
            "leave one value each first");
  EXPECT_TRUE(team().multi_value);
  EXPECT_EQ(values_of(ann.id), (std::vector<std::string>{"Red", "Green"}));

  ASSERT_TRUE(
      store_->update_profile(tenant_.id, ann.id, std::vector<PropertyChange>{{"Team", {"Red"}}}));
  ASSERT_TRUE(store_->update_custom_property(
      tenant_.id, "Team", update_of([](PropertyUpdate& u) { u.multi_value = false; })));
  EXPECT_FALSE(team().multi_value);
  EXPECT_EQ(values_of(bob.id), std::vector<std::string>{"Blue"});
  EXPECT_EQ(values_of(ann.id), std::vector<std::string>{"Red"});
  EXPECT_EQ(store_->list_profiles(tenant_.id, blue)->profiles.size(), 1u);
  // A single value written now is read back as one, in the single-value form.
  ASSERT_TRUE(
      store_->update_profile(tenant_.id, ann.id, std::vector<PropertyChange>{{"Team", {"Blue"}}}));
  EXPECT_EQ(store_->list_profiles(tenant_.id, blue)->profiles.size(), 2u);
}

TEST_P(PropertyUpdateTest, RefusalsChangeNothing) {
  make_profile("bob@contoso.com", {{"Team", {std::string(15, 'x')}}});
  auto fab = store_->create_tenant({.name = "fabrikam"});
  ASSERT_TRUE(fab);
  struct Case {
    TenantId tenant;
    std::string name;
    PropertyUpdate update;
    StatusCode code;
    std::string message;
  };
  const std::vector<Case> cases = {
      {tenant_.id, "Team", update_of([](PropertyUpdate& u) { u.type = DataType::kInteger; }),
       StatusCode::kFailedPrecondition,
       "the type of property 'Team' cannot change (string to integer): its stored values, "
       "import mappings and site copies were made for its type; remove the property and add it "
       "again"},
      {tenant_.id, "Team", update_of([](PropertyUpdate& u) {
         u.display_name = "T";
         u.max_length = 10;
       }),
       StatusCode::kFailedPrecondition,
       "property 'Team' cannot have max length 10: a stored value has 15 characters"},
      {tenant_.id, "Team", update_of([](PropertyUpdate& u) { u.max_length = 0; }),
       StatusCode::kInvalidArgument, "custom property 'Team': max length must be 1 to 1000000"},
      {tenant_.id, "Team", update_of([](PropertyUpdate& u) { u.max_length = 1000001; }),
       StatusCode::kInvalidArgument, "custom property 'Team': max length must be 1 to 1000000"},
      {tenant_.id, "Office", update_of([](PropertyUpdate& u) { u.display_name = "Room"; }),
       StatusCode::kFailedPrecondition,
       "property 'Office' is a default property of the catalog and cannot be changed"},
      {tenant_.id, "Tea", update_of([](PropertyUpdate& u) { u.display_name = "T"; }),
       StatusCode::kNotFound, "property 'Tea' does not exist in this tenant"},
      {fab->id, "Team", update_of([](PropertyUpdate& u) { u.display_name = "T"; }),
       StatusCode::kNotFound, "property 'Team' does not exist in this tenant"},
  };
  auto feed = store_->changes_after(tenant_.id, "schema", 0, 100);
  for (const Case& c : cases) {
    SCOPED_TRACE(c.message);
    auto r = store_->update_custom_property(c.tenant, c.name, c.update);
    ASSERT_FALSE(r);
    EXPECT_EQ(r.status().code(), c.code);
    EXPECT_EQ(r.status().message(), c.message);
    PropertyDefinition t = team();
    EXPECT_EQ(t.display_name, "Team");
    EXPECT_EQ(t.max_length, 20);
    EXPECT_EQ(t.type, DataType::kString);
  }
  EXPECT_EQ(store_->changes_after(tenant_.id, "schema", 0, 100)->size(), feed->size());
  EXPECT_EQ(store_->schema(fab->id)->find("Team"), nullptr);
  // Lowering the limit to the longest stored value is allowed.
  EXPECT_TRUE(store_->update_custom_property(
      tenant_.id, "Team", update_of([](PropertyUpdate& u) { u.max_length = 15; })));
}

UPSYNC_TEST_ON_EVERY_BACKEND(PropertyUpdateTest);

}  // namespace
}  // namespace upsync
