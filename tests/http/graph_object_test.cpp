// A Graph object written straight as text (GraphObjectType::write, what a collection's page
// uses) reads exactly as the tree GraphObjectType::json builds prints, blanked fields
// included, for random objects and selections.
#include "http/graph_object.h"

#include <gtest/gtest.h>

#include <random>

#include "http/graph_group.h"
#include "http/graph_user.h"
#include "http/json_writer.h"

namespace upsync {
namespace {

// Values that need escaping, non-ASCII text, invalid UTF-8 and values that look like others.
const std::vector<std::string> kValues = {
    "Adele Vance",      "",       "say \"hi\"",         "back\\slash", "tab\tnew\nline", "\x01\x1f",
    "Zoë Ödegaard",     "日本語", "bad \xff\xfe utf-8", "true",        "FALSE",          "null",
    "AQUAAAAAAAUVAAAA", "/"};

std::string pick(std::mt19937& rng, const std::vector<std::string>& from) {
  return from[rng() % from.size()];
}

TEST(GraphObjectTest, WritesAnObjectAsItsTreePrints) {
  std::mt19937 rng(11);
  for (const GraphObjectType* type : {&user_type(), &group_type()}) {
    std::vector<std::string> names;
    std::vector<std::string> attributes = {"objectSid", "proxyAddresses", "telephoneNumber"};
    for (const GraphProperty& p : type->properties()) {
      names.emplace_back(p.name);
      if (!p.attribute.empty()) attributes.emplace_back(p.attribute);
    }
    for (int i = 1; i <= 15; ++i) attributes.push_back("extensionAttribute" + std::to_string(i));
    for (int round = 0; round < 400; ++round) {
      DirectoryUser u;
      u.object_id = "0a1b2c3d-0000-0000-0000-00000000000" + std::to_string(round % 10);
      if (rng() % 2) u.source_anchor = pick(rng, kValues);
      for (const std::string& a : attributes) {
        if (rng() % 3 == 0) continue;
        const size_t n = 1 + rng() % 3;
        for (size_t k = 0; k < n; ++k) u.attributes[a].push_back(pick(rng, kValues));
      }
      // Every property, or a random few in a random order.
      std::vector<std::string> select = names;
      std::shuffle(select.begin(), select.end(), rng);
      if (round % 2) select.resize(1 + rng() % select.size());
      std::vector<std::string_view> blank;
      for (const std::string& name : select) {
        if (rng() % 4 == 0) blank.push_back(name);
      }
      const GraphObjectView view = view_of(u);
      nlohmann::ordered_json tree = type->json(view, select);
      for (std::string_view name : blank) {
        const bool collection = tree[std::string(name)].is_array();
        tree[std::string(name)] =
            collection ? nlohmann::ordered_json::array() : nlohmann::ordered_json(nullptr);
      }
      JsonWriter w;
      type->write(view, type->resolve(select), blank, w);
      ASSERT_EQ(std::move(w).text(),
                tree.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace))
          << type->type_name() << " round " << round;
    }
  }
}

}  // namespace
}  // namespace upsync
