// Typed values: every data type of seed 001, accepted and refused forms, canonical output.
#include "core/property_value.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace upsync {
namespace {

PropertyDefinition prop(DataType type, bool multi = false) {
  PropertyDefinition d;
  d.name = "P";
  d.type = type;
  d.multi_value = multi;
  return d;
}

struct Good {
  DataType type;
  const char* raw;
  const char* canonical;
};

constexpr Good kGood[] = {
    {DataType::kString, "Helsinki", "Helsinki"},
    {DataType::kString, "Zürich ☕", "Zürich ☕"},
    {DataType::kHtml, "<p>Hi <b>there</b></p>", "<p>Hi <b>there</b></p>"},
    {DataType::kPerson, "i:0#.f|membership|bob@contoso.com", "i:0#.f|membership|bob@contoso.com"},
    {DataType::kPerson, "CONTOSO\\bob", "CONTOSO\\bob"},
    {DataType::kEmail, "Bob.Smith@contoso.com", "Bob.Smith@contoso.com"},
    {DataType::kUrl, "https://contoso.sharepoint.com/personal/bob",
     "https://contoso.sharepoint.com/personal/bob"},
    {DataType::kUrl, "/sites/hr/Pages/Home.aspx", "/sites/hr/Pages/Home.aspx"},
    {DataType::kBinary, "AQIDBA==", "AQIDBA=="},
    {DataType::kInteger, "42", "42"},
    {DataType::kInteger, "+7", "7"},
    {DataType::kInteger, "-2147483648", "-2147483648"},
    {DataType::kBigInteger, "9223372036854775807", "9223372036854775807"},
    {DataType::kFloat, "2.50", "2.5"},
    {DataType::kBoolean, "TRUE", "true"},
    {DataType::kBoolean, "0", "false"},
    {DataType::kDate, "2024-02-29", "2024-02-29"},
    {DataType::kDateTime, "2024-05-01T12:30:00+02:00", "2024-05-01T10:30:00Z"},
    {DataType::kDateTime, "2024-05-01T10:30:00.250Z", "2024-05-01T10:30:00Z"},
    {DataType::kDateNoYear, "03-15", "03-15"},
    {DataType::kDateNoYear, "--02-29", "02-29"},
    {DataType::kDateNoYear, "March 15", "03-15"},
    {DataType::kTimeZone, "13", "13"},
    {DataType::kUniqueIdentifier, "{3F2504E0-4F89-11D3-9A0C-0305E82C3301}",
     "3f2504e0-4f89-11d3-9a0c-0305e82c3301"},
};

TEST(PropertyValueTest, AcceptsAndCanonicalizesEveryType) {
  for (const Good& g : kGood) {
    SCOPED_TRACE(std::string(data_type_name(g.type)) + " '" + g.raw + "'");
    auto v = normalize_value(prop(g.type), g.raw);
    ASSERT_TRUE(v) << v.status().to_string();
    EXPECT_EQ(*v, g.canonical);
  }
}

struct Bad {
  DataType type;
  const char* raw;
  const char* why;  // expected in the message, beside the property, type and value
};

constexpr Bad kBad[] = {
    {DataType::kPerson, "i:0#.x|membership|bob", "position"},
    {DataType::kPerson, "bob smith", ""},
    {DataType::kEmail, "bob", ""},
    {DataType::kEmail, "bob@@contoso.com", ""},
    {DataType::kEmail, "bob@contoso..com", "malformed domain"},
    {DataType::kUrl, "not a url", "spaces"},
    {DataType::kUrl, "contoso.com/x", ""},
    {DataType::kUrl, "https:///path", "no host"},
    {DataType::kBinary, "AQI", "multiple of 4"},
    {DataType::kBinary, "AQ*D", "position 3"},
    {DataType::kInteger, "12x", ""},
    {DataType::kInteger, "2147483648", "out of range"},
    {DataType::kInteger, "", ""},
    {DataType::kBigInteger, "99999999999999999999", "out of range"},
    {DataType::kFloat, "1e999", ""},
    {DataType::kFloat, "nan", ""},
    {DataType::kBoolean, "maybe", ""},
    {DataType::kDate, "2023-02-29", "day 29 is out of range for month 2"},
    {DataType::kDate, "2020-13-01", "month 13 is out of range"},
    {DataType::kDate, "15.03.2020", ""},
    {DataType::kDateTime, "2024-05-01T10:30:00", "time zone"},
    {DataType::kDateTime, "2024-05-01T25:30:00Z", "time of day"},
    {DataType::kDateNoYear, "02-30", "day 30 is out of range for month 2"},
    {DataType::kDateNoYear, "Smarch 3", ""},
    {DataType::kTimeZone, "1000", "out of range"},
    {DataType::kUniqueIdentifier, "3f2504e0-4f89-11d3-9a0c-0305e82c330", ""},
    {DataType::kUniqueIdentifier, "3f2504e0x4f89-11d3-9a0c-0305e82c3301", "position 9"},
    {DataType::kString, "bad \xC3\x28 utf8", "invalid UTF-8 at byte 5"},
};

TEST(PropertyValueTest, RefusesWrongValuesNamingPropertyTypeAndValue) {
  for (const Bad& b : kBad) {
    SCOPED_TRACE(std::string(data_type_name(b.type)) + " '" + b.raw + "'");
    PropertyDefinition d = prop(b.type);
    d.name = "SPS-Test";
    auto v = normalize_value(d, b.raw);
    ASSERT_FALSE(v) << "accepted as '" << *v << "'";
    EXPECT_EQ(v.status().code(), StatusCode::kInvalidArgument);
    const std::string& m = v.status().message();
    EXPECT_NE(m.find("property 'SPS-Test' expects " + std::string(expected_value_form(b.type))),
              std::string::npos)
        << m;
    EXPECT_NE(m.find(b.why), std::string::npos) << m;
  }
}

TEST(PropertyValueTest, ErrorMessageQuotesTheBadValue) {
  PropertyDefinition d = prop(DataType::kDate);
  d.name = "SPS-HireDate";
  auto v = normalize_value(d, "2020-13-01");
  ASSERT_FALSE(v);
  EXPECT_EQ(v.status().message(),
            "property 'SPS-HireDate' expects a date (YYYY-MM-DD), got '2020-13-01': month 13 "
            "is out of range");
}

TEST(PropertyValueTest, LengthLimitCountsCharactersNotBytes) {
  PropertyDefinition d = prop(DataType::kString);
  d.max_length = 3;
  EXPECT_TRUE(normalize_value(d, "äöü"));
  auto v = normalize_value(d, "abcd");
  ASSERT_FALSE(v);
  EXPECT_NE(v.status().message().find("4 characters is longer than the limit of 3"),
            std::string::npos);
}

TEST(PropertyValueTest, SingleValuePropertiesTakeOneValueAndEmptyClears) {
  PropertyDefinition d = prop(DataType::kString);
  std::vector<std::string> two = {"a", "b"};
  auto r = normalize_values(d, two);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.status().message(), "property 'P' takes a single value, got 2");
  std::vector<std::string> empty = {""};
  auto cleared = normalize_values(d, empty);
  ASSERT_TRUE(cleared);
  EXPECT_TRUE(cleared->empty());
}

TEST(PropertyValueTest, MultiValueDropsRepeatsAndRefusesEmptyEntries) {
  PropertyDefinition d = prop(DataType::kString, /*multi=*/true);
  std::vector<std::string> raw = {"C++", "SQL", "C++"};
  auto r = normalize_values(d, raw);
  ASSERT_TRUE(r);
  EXPECT_EQ(*r, (PropertyValues{"C++", "SQL"}));
  std::vector<std::string> with_empty = {"C++", ""};
  auto bad = normalize_values(d, with_empty);
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.status().message(), "property 'P': value 2 of 2 is empty");
}

}  // namespace
}  // namespace upsync
