#include "core/profile_schema.h"

#include <gtest/gtest.h>

namespace upsync {
namespace {

PropertyDefinition custom(const char* name, DataType type = DataType::kString) {
  PropertyDefinition d;
  d.name = name;
  d.display_name = name;
  d.type = type;
  d.custom = true;
  return d;
}

TEST(ProfileSchemaTest, FindsCatalogAndCustomPropertiesCaseInsensitively) {
  ProfileSchema schema({custom("City"), custom("CostCenter", DataType::kInteger)});
  ASSERT_NE(schema.find("city"), nullptr);
  EXPECT_EQ(schema.find("city")->name, "City");
  EXPECT_EQ(schema.find("sps-jobtitle")->name, "SPS-JobTitle");
  EXPECT_EQ(schema.all().size(), 71u + 2u);
  EXPECT_EQ(schema.all().back()->name, "CostCenter");
  auto missing = schema.require("Nope");
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.status().code(), StatusCode::kNotFound);
  EXPECT_EQ(missing.status().message(),
            "property 'Nope' does not exist in the user profile schema of this tenant");
}

TEST(ProfileSchemaTest, NormalizesThroughTheDefinition) {
  ProfileSchema schema({custom("CostCenter", DataType::kInteger)});
  std::vector<std::string> raw = {"0042"};
  auto v = schema.normalize("costcenter", raw);
  ASSERT_TRUE(v) << v.status().to_string();
  EXPECT_EQ(*v, PropertyValues{"42"});
}

TEST(ProfileSchemaTest, MovedSchemaKeepsWorking) {
  ProfileSchema a({custom("City")});
  ProfileSchema b(std::move(a));
  ASSERT_NE(b.find("City"), nullptr);
  EXPECT_EQ(b.find("City")->name, "City");
}

TEST(ProfileSchemaTest, ChecksCustomDefinitions) {
  EXPECT_TRUE(ProfileSchema::check_custom_definition(custom("Office-Code_2")));
  struct Case {
    const char* name;
    const char* message;
  } cases[] = {
      {"", "custom property name must be 1 to 50 characters, got 0"},
      {"2Fast", "custom property name '2Fast' must start with a letter"},
      {"Cost Center",
       "custom property name 'Cost Center' has ' ' at position 5 (allowed: letters, digits, "
       "'-', '_')"},
      {"workemail", "property 'WorkEmail' is a default property of the catalog"},
  };
  for (const Case& c : cases) {
    Status s = ProfileSchema::check_custom_definition(custom(c.name));
    EXPECT_FALSE(s.is_ok()) << c.name;
    EXPECT_EQ(s.message(), c.message);
  }
}

}  // namespace
}  // namespace upsync
