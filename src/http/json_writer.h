// JSON text written straight into a string, for answers made on every request where building
// an nlohmann::json tree first (one allocation per value, then a walk to print it) costs more
// than the answer itself.
//
//   JsonWriter w;
//   w.begin_object().key("Key").str("Department").key("Values").begin_array().end_array();
//   w.end_object();
//   std::string body = std::move(w).text();   // {"Key":"Department","Values":[]}
//
// The text is what nlohmann::json::dump() prints for the same value (no whitespace, UTF-8 as
// is, invalid UTF-8 replaced by U+FFFD, control characters escaped) except for the order of
// members, which is the order they are written: write them sorted by key, as dump() prints
// an nlohmann::json object, where an answer must read the same as one built as a tree.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace upsync {

class JsonWriter {
 public:
  JsonWriter() { out_.reserve(1024); }
  JsonWriter& begin_object();
  JsonWriter& end_object();
  JsonWriter& begin_array();
  JsonWriter& end_array();
  // A member's name; its value comes next.
  JsonWriter& key(std::string_view name);
  JsonWriter& str(std::string_view value);
  // The string, or null when it is empty.
  JsonWriter& str_or_null(std::string_view value);
  JsonWriter& boolean(bool value);
  JsonWriter& number(int64_t value);
  JsonWriter& null();
  // An array of strings.
  JsonWriter& strings(const std::vector<std::string>& values);

  std::string text() && { return std::move(out_); }

 private:
  void before_value();
  void append_string(std::string_view s);

  std::string out_;
  bool first_ = true;  // no value yet in the innermost object or array
};

}  // namespace upsync
