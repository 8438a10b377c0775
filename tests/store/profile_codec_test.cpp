// The stored profile document: patching single values in place must give exactly what
// decoding, editing and encoding gives, and decline what it cannot patch.
#include "store/profile_codec.h"

#include <gtest/gtest.h>

#include <random>

namespace upsync {
namespace {

using Sets = std::vector<std::pair<std::string, std::string>>;

ProfileSchema schema_with_multi() {
  PropertyDefinition multi;
  multi.name = multi.display_name = "Skills";
  multi.multi_value = true;
  multi.custom = true;
  PropertyDefinition single;
  single.name = single.display_name = "Prop1";
  single.custom = true;
  return ProfileSchema({multi, single});
}

// Decode, set in order, encode; changed when the properties differ at the end (setting a
// value and clearing it again in one update changes nothing).
std::pair<bool, std::string> reference(std::string_view json, const Sets& sets,
                                       const ProfileSchema& schema) {
  auto props = decode_properties(json);
  EXPECT_TRUE(props);
  const PropertyMap before = *props;
  for (const auto& [name, value] : sets) {
    if (value.empty()) {
      props->erase(name);
    } else {
      (*props)[name] = PropertyValues{value};
    }
  }
  return {*props != before, encode_properties(*props, schema)};
}

// The store keeps a profile's default and custom properties in two rows: each part is the
// encoding of the properties of that kind alone.
TEST(ProfileCodecTest, EncodesAllOrTheDefaultOrTheCustomProperties) {
  const ProfileSchema schema = schema_with_multi();
  const PropertyMap props{{"AccountName", {"i:0#.f|membership|a@contoso.com"}},
                          {"Prop1", {"custom"}},
                          {"Skills", {"C++"}},
                          {"Unknown", {"kept with the default ones"}},
                          {"WorkEmail", {"a@contoso.com"}}};
  EXPECT_EQ(
      encode_properties(props, schema),
      R"({"AccountName":"i:0#.f|membership|a@contoso.com","Prop1":"custom",)"
      R"("Skills":["C++"],"Unknown":"kept with the default ones","WorkEmail":"a@contoso.com"})");
  EXPECT_EQ(encode_properties(props, schema, PropertyPart::kDefault),
            R"({"AccountName":"i:0#.f|membership|a@contoso.com",)"
            R"("Unknown":"kept with the default ones","WorkEmail":"a@contoso.com"})");
  EXPECT_EQ(encode_properties(props, schema, PropertyPart::kCustom),
            R"({"Prop1":"custom","Skills":["C++"]})");
  EXPECT_EQ(encode_properties({{"AccountName", {"x"}}}, schema, PropertyPart::kCustom), "{}");
}

TEST(ProfileCodecTest, PatchesLikeDecodeEditEncode) {
  const ProfileSchema schema = schema_with_multi();
  PropertyMap base{{"AccountName", {"i:0#.f|membership|a@contoso.com"}},
                   {"Prop1", {"old value"}},
                   {"Quoted", {"old \"quoted\" \\ value"}},
                   {"Skills", {"C++", "SQL"}},
                   {"WorkEmail", {"a@contoso.com"}}};
  const std::string doc = encode_properties(base, schema);
  const std::vector<Sets> cases = {
      {},
      {{"Prop1", "new"}},
      {{"Prop1", "old value"}},                 // the same value: unchanged
      {{"Quoted", "old \"quoted\" \\ value"}},  // the same, with escapes
      {{"Quoted", ""}},
      {{"Prop1", ""}},  // cleared
      {{"AAA", "first"}, {"Zzz", "last"}, {"Prop2", "middle"}},
      {{"Prop2", "x"}, {"Prop2", "y"}},  // a later set of a name wins
      {{"Prop2", "x"}, {"Prop2", ""}},
      {{"Missing", ""}},  // clearing what is not there changes nothing
      {{"Prop1", "tab\there, newline\nthere, \x01 control, é"}},
      {{"AccountName", ""}, {"WorkEmail", ""}, {"Prop1", ""}},
  };
  for (const Sets& sets : cases) {
    std::string out;
    auto changed = patch_single_values(doc, sets, schema, out);
    ASSERT_TRUE(changed.has_value());
    auto [want_changed, want] = reference(doc, sets, schema);
    EXPECT_EQ(*changed, want_changed) << out;
    EXPECT_EQ(out, want);
  }
}

TEST(ProfileCodecTest, PatchesRandomDocumentsLikeDecodeEditEncode) {
  const ProfileSchema schema = schema_with_multi();
  std::mt19937 rng(7);
  const std::vector<std::string> names = {"A", "Prop1", "Prop2", "Prop3", "b", "Skills", "Z-1"};
  const std::vector<std::string> values = {"", "v", "w", "a\"b", "c\\d", "\n", "ü"};
  for (int round = 0; round < 2000; ++round) {
    PropertyMap props;
    for (const auto& n : names) {
      if (rng() % 2 == 0) continue;
      if (n == "Skills") {
        props[n] = {"x", "y"};
      } else {
        std::string v = values[1 + rng() % (values.size() - 1)];
        props[n] = {v};
      }
    }
    const std::string doc = encode_properties(props, schema);
    Sets sets;
    for (int k = rng() % 4; k > 0; --k) {
      std::string n = names[rng() % names.size()];
      if (n == "Skills") continue;
      sets.emplace_back(n, values[rng() % values.size()]);
    }
    std::string out;
    auto changed = patch_single_values(doc, sets, schema, out);
    auto [want_changed, want] = reference(doc, sets, schema);
    if (!changed) {
      // Declined only to replace a stored value written with escapes by another value.
      bool escaped_replaced = false;
      for (const auto& [name, value] : sets) {
        auto it = props.find(name);
        escaped_replaced |=
            !value.empty() && it != props.end() && it->second[0] != value &&
            encode_properties({{name, it->second}}, schema).find('\\') != std::string::npos;
      }
      EXPECT_TRUE(escaped_replaced) << doc;
      continue;
    }
    EXPECT_EQ(*changed, want_changed) << doc;
    EXPECT_EQ(out, want) << doc;
  }
}

TEST(ProfileCodecTest, ReadsOneSinglePropertyLikeTheDecoder) {
  const ProfileSchema schema = schema_with_multi();
  std::mt19937 rng(11);
  const std::vector<std::string> names = {"A", "AccountName", "Prop1", "Skills", "Z-1"};
  const std::vector<std::string> values = {"v", "a\"b", "c\\d", "\n", "ü", "i:0#.f|m|x@y"};
  for (int round = 0; round < 2000; ++round) {
    PropertyMap props;
    for (const auto& n : names) {
      if (rng() % 2 == 0) continue;
      props[n] =
          n == "Skills" ? PropertyValues{"x", "y"} : PropertyValues{values[rng() % values.size()]};
    }
    const std::string doc = encode_properties(props, schema);
    for (const auto& n : {"AccountName", "Prop1", "Z-1", "Missing"}) {
      auto got = single_property(doc, n);
      ASSERT_TRUE(got) << doc << ": " << got.status().message();
      auto it = props.find(n);
      if (it == props.end()) {
        EXPECT_FALSE(*got) << doc << " " << n;
      } else {
        ASSERT_TRUE(*got) << doc << " " << n;
        EXPECT_EQ(**got, it->second[0]) << doc << " " << n;
      }
    }
  }
  // Other writers' spacing and order are read too.
  auto spaced = single_property(
      R"( { "B" : [ "x" ] , "A" : { "n" : 1 } , "AccountName" : "i:0" } )", "AccountName");
  ASSERT_TRUE(spaced);
  EXPECT_EQ(spaced->value_or("?"), "i:0");
  // Not a string, not an object, cut short: DataLoss, never a made-up value.
  for (const char* bad : {R"({"AccountName":["a"]})", R"({"AccountName":1})", "[1]", "",
                          R"({"AccountName")", R"({"B":"x",)"}) {
    auto got = single_property(bad, "AccountName");
    ASSERT_FALSE(got) << bad;
    EXPECT_EQ(got.status().code(), StatusCode::kDataLoss) << bad;
  }
  EXPECT_EQ(single_property(R"({"AccountName":["a"]})", "AccountName").status().message(),
            "stored profile property AccountName is not a string");
}

TEST(ProfileCodecTest, DeclinesWhatItCannotPatch) {
  const ProfileSchema schema = schema_with_multi();
  std::string out;
  const Sets set_prop1 = {{"Prop1", "v"}};
  // Not in encode_properties's form: spaces, keys out of order, not an object, a number.
  for (std::string_view doc : {R"({ "Prop1":"a"})", R"({"b":"1","a":"2"})", R"(["Prop1"])",
                               R"({"Prop1":1})", R"({"Prop1":"a")", R"({"Prop1":"a",})", ""}) {
    EXPECT_FALSE(patch_single_values(doc, set_prop1, schema, out).has_value()) << doc;
  }
  // A value with an escape that differs from the new one: only decoding can compare them.
  EXPECT_FALSE(patch_single_values(R"({"Prop1":"\u0041"})", set_prop1, schema, out));
  // A multi-valued target.
  EXPECT_FALSE(patch_single_values(R"({"Prop1":"a"})", Sets{{"Skills", "x"}}, schema, out));
  // An empty document takes new values.
  auto changed = patch_single_values("{}", set_prop1, schema, out);
  ASSERT_TRUE(changed);
  EXPECT_TRUE(*changed);
  EXPECT_EQ(out, R"({"Prop1":"v"})");
}

}  // namespace
}  // namespace upsync
