#include "http/json_writer.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

namespace upsync {
namespace {

std::string dumped(const nlohmann::json& j) {
  return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

TEST(JsonWriter, WritesWhatNlohmannDumpPrints) {
  JsonWriter w;
  w.begin_object();
  w.key("a").str("plain");
  w.key("b").begin_array().end_array();
  w.key("c").begin_object().end_object();
  w.key("d").strings({"x", "y"});
  w.key("e").str_or_null("");
  w.key("f").str_or_null("z");
  w.key("g").boolean(true).key("h").boolean(false).key("i").null();
  w.key("j").number(-42).key("k").begin_array().begin_object().end_object().number(7).end_array();
  w.end_object();
  nlohmann::json expected = {{"a", "plain"},
                             {"b", nlohmann::json::array()},
                             {"c", nlohmann::json::object()},
                             {"d", {"x", "y"}},
                             {"e", nullptr},
                             {"f", "z"},
                             {"g", true},
                             {"h", false},
                             {"i", nullptr},
                             {"j", -42},
                             {"k", {nlohmann::json::object(), 7}}};
  EXPECT_EQ(std::move(w).text(), dumped(expected));
}

TEST(JsonWriter, EscapesStringsAsNlohmannDoes) {
  using namespace std::string_literals;
  const std::string strings[] = {
      "",
      "quote \" backslash \\ slash /",
      "controls \x01\x1f\b\f\n\r\t and NUL \0 end"s,
      "del \x7f",
      "UTF-8: Zoë, 日本, 🙂",
      "invalid UTF-8: \xff\xfe, cut \xe6\x97",
      "lone continuation \x80 and overlong \xc0\xaf",
      "\xe6\x97",
  };
  for (const std::string& s : strings) {
    JsonWriter w;
    w.begin_object().key(s).str(s).end_object();
    EXPECT_EQ(std::move(w).text(), dumped({{s, s}})) << s;
  }
}

}  // namespace
}  // namespace upsync
