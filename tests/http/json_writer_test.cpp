#include "http/json_writer.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <random>

#include "core/text.h"

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

// json_plain reads eight bytes at a time: every byte value at every position of strings of
// every length up to five words, and random strings, against the byte-by-byte rule.
TEST(JsonWriter, PlainTextIsToldApartFromTextToEscapeAtEveryPosition) {
  auto special = [](unsigned char c) { return c < 0x20 || c == '"' || c == '\\' || c >= 0x7F; };
  for (size_t length = 1; length <= 40; ++length) {
    for (size_t at = 0; at < length; ++at) {
      for (int c = 0; c < 256; ++c) {
        std::string s(length, 'a');
        s[at] = static_cast<char>(c);
        ASSERT_EQ(json_plain(s), !special(static_cast<unsigned char>(c)))
            << "length " << length << ", byte " << c << " at " << at;
      }
    }
  }
  std::mt19937 rng(5);
  for (int round = 0; round < 20000; ++round) {
    std::string s(rng() % 50, ' ');
    bool plain = true;
    for (char& ch : s) {
      // Mostly printable ASCII, now and then anything.
      ch = static_cast<char>(rng() % 16 ? 0x20 + rng() % 0x5F : rng() % 256);
      plain = plain && !special(static_cast<unsigned char>(ch));
    }
    ASSERT_EQ(json_plain(s), plain) << s;
  }
}

}  // namespace
}  // namespace upsync
