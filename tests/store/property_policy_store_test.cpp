// Property policies in the store (Store::set_property_policy): kept per tenant, handed out with
// the schema, changed whole, dropped with their custom property; a property the schema lacks
// is NotFound and changes nothing.
#include <gtest/gtest.h>

#include <map>

#include "store/store_fixture.h"

namespace upsync {
namespace {

using testing::StoreTest;

class PropertyPolicyStoreTest : public StoreTest {};

TEST_P(PropertyPolicyStoreTest, PoliciesAreKeptPerTenantAndComeWithTheSchema) {
  auto before = store_->schema(tenant_.id);
  ASSERT_TRUE(before);
  EXPECT_FALSE(before->any_restricted());
  EXPECT_EQ(before->policy("CellPhone"), PropertyPolicy{});

  const PropertyPolicy private_phone{.privacy = Privacy::kPrivate, .user_can_override = true};
  ASSERT_TRUE(store_->set_property_policy(tenant_.id, "cellphone", private_phone));
  auto after = store_->schema(tenant_.id);
  ASSERT_TRUE(after);
  EXPECT_TRUE(after->any_restricted());
  EXPECT_EQ(after->policy("CellPhone"), private_phone);
  EXPECT_EQ(after->policy("HomePhone"), PropertyPolicy{});

  // Set again: replaced whole.
  const PropertyPolicy hidden{.privacy = Privacy::kManager, .show_on_profile = false};
  ASSERT_TRUE(store_->set_property_policy(tenant_.id, "CellPhone", hidden));
  EXPECT_EQ(store_->schema(tenant_.id)->policy("cellphone"), hidden);

  // Another tenant keeps the defaults.
  auto fab = store_->create_tenant({.name = "fabrikam"});
  ASSERT_TRUE(fab);
  EXPECT_EQ(store_->schema(fab->id)->policy("CellPhone"), PropertyPolicy{});
}

TEST_P(PropertyPolicyStoreTest, UnknownPropertyIsNotFoundAndChangesNothing) {
  Status s =
      store_->set_property_policy(tenant_.id, "NoSuchProperty", {.privacy = Privacy::kPrivate});
  EXPECT_EQ(s.code(), StatusCode::kNotFound) << s.to_string();
  EXPECT_NE(s.message().find("NoSuchProperty"), std::string::npos);
  EXPECT_FALSE(store_->schema(tenant_.id)->any_restricted());
}

TEST_P(PropertyPolicyStoreTest, RemovingACustomPropertyDropsItsPolicy) {
  PropertyDefinition d;
  d.name = "CostCenter";
  ASSERT_TRUE(store_->add_custom_property(tenant_.id, d));
  ASSERT_TRUE(
      store_->set_property_policy(tenant_.id, "CostCenter", {.privacy = Privacy::kPrivate}));
  EXPECT_EQ(store_->schema(tenant_.id)->policy("CostCenter").privacy, Privacy::kPrivate);
  ASSERT_TRUE(store_->remove_custom_property(tenant_.id, "CostCenter"));
  ASSERT_TRUE(store_->add_custom_property(tenant_.id, d));
  EXPECT_EQ(store_->schema(tenant_.id)->policy("CostCenter"), PropertyPolicy{});
}

// A person's own privacy where the policy lets them choose: set, replaced, cleared; refused
// where it does not (nothing written); gone with the profile and with a removed property.
TEST_P(PropertyPolicyStoreTest, PeopleChooseThePrivacyOfTheirValuesWhereThePolicyLetsThem) {
  PropertyDefinition d;
  d.name = "CostCenter";
  ASSERT_TRUE(store_->add_custom_property(tenant_.id, d));
  ASSERT_TRUE(store_->set_property_policy(tenant_.id, "Office", {.user_can_override = true}));
  ASSERT_TRUE(store_->set_property_policy(tenant_.id, "CostCenter", {.user_can_override = true}));
  EXPECT_TRUE(store_->schema(tenant_.id)->any_overridable());
  Profile adele = make_profile("adele@contoso.com");
  Profile megan = make_profile("megan@contoso.com");
  using Choices = std::map<std::string, Privacy>;
  EXPECT_EQ(*store_->privacy_choices(tenant_.id, adele.id), Choices{});

  ASSERT_TRUE(store_->set_privacy_choice(tenant_.id, adele.id, "office", Privacy::kPrivate));
  ASSERT_TRUE(store_->set_privacy_choice(tenant_.id, adele.id, "CostCenter", Privacy::kManager));
  ASSERT_TRUE(store_->set_privacy_choice(tenant_.id, adele.id, "Office", Privacy::kOrganization));
  EXPECT_EQ(*store_->privacy_choices(tenant_.id, adele.id),
            (Choices{{"CostCenter", Privacy::kManager}, {"Office", Privacy::kOrganization}}));
  EXPECT_EQ(*store_->privacy_choices(tenant_.id, megan.id), Choices{});

  // Where the policy does not let people choose; an unknown property or profile.
  Status s = store_->set_privacy_choice(tenant_.id, adele.id, "CellPhone", Privacy::kPublic);
  EXPECT_EQ(s.code(), StatusCode::kFailedPrecondition) << s.to_string();
  EXPECT_NE(s.message().find("CellPhone"), std::string::npos);
  EXPECT_EQ(store_->set_privacy_choice(tenant_.id, adele.id, "Nope", Privacy::kPublic).code(),
            StatusCode::kNotFound);
  EXPECT_EQ(store_->set_privacy_choice(tenant_.id, 99999, "Office", Privacy::kPublic).code(),
            StatusCode::kNotFound);
  EXPECT_EQ(store_->privacy_choices(tenant_.id, adele.id)->size(), 2u);

  // Cleared: back to the policy's default.
  ASSERT_TRUE(store_->set_privacy_choice(tenant_.id, adele.id, "Office", std::nullopt));
  EXPECT_EQ(*store_->privacy_choices(tenant_.id, adele.id),
            (Choices{{"CostCenter", Privacy::kManager}}));
  // A removed property takes its choices along; defined again, nobody has chosen.
  ASSERT_TRUE(store_->remove_custom_property(tenant_.id, "CostCenter"));
  ASSERT_TRUE(store_->add_custom_property(tenant_.id, d));
  EXPECT_EQ(*store_->privacy_choices(tenant_.id, adele.id), Choices{});
  // A removed profile takes its choices along.
  ASSERT_TRUE(store_->set_privacy_choice(tenant_.id, megan.id, "Office", Privacy::kPrivate));
  ASSERT_TRUE(store_->delete_profile(tenant_.id, megan.id));
  Profile again = make_profile("megan@contoso.com");
  EXPECT_EQ(*store_->privacy_choices(tenant_.id, again.id), Choices{});
}

UPSYNC_TEST_ON_EVERY_BACKEND(PropertyPolicyStoreTest);

}  // namespace
}  // namespace upsync
