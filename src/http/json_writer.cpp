#include "http/json_writer.h"

#include <cstring>
#include <nlohmann/json.hpp>

#include "core/text.h"

namespace upsync {

void JsonWriter::before_value() {
  if (!first_) out_.push_back(',');
  first_ = false;
}

void JsonWriter::append_string(std::string_view s) {
  if (!json_plain(s)) {
    // Escapes and UTF-8 checks: exactly as nlohmann::json prints them.
    out_ += nlohmann::json(std::string(s))
                .dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
    return;
  }
  out_.push_back('"');
  out_.append(s);
  out_.push_back('"');
}

JsonWriter& JsonWriter::begin_object() {
  before_value();
  out_.push_back('{');
  first_ = true;
  return *this;
}

JsonWriter& JsonWriter::end_object() {
  out_.push_back('}');
  first_ = false;
  return *this;
}

JsonWriter& JsonWriter::begin_array() {
  before_value();
  out_.push_back('[');
  first_ = true;
  return *this;
}

JsonWriter& JsonWriter::end_array() {
  out_.push_back(']');
  first_ = false;
  return *this;
}

JsonWriter& JsonWriter::key(std::string_view name) {
  before_value();
  append_string(name);
  out_.push_back(':');
  first_ = true;  // the value follows without a comma
  return *this;
}

JsonWriter& JsonWriter::str(std::string_view value) {
  before_value();
  append_string(value);
  return *this;
}

JsonWriter& JsonWriter::str_or_null(std::string_view value) {
  return value.empty() ? null() : str(value);
}

JsonWriter& JsonWriter::boolean(bool value) {
  before_value();
  out_.append(value ? "true" : "false");
  return *this;
}

JsonWriter& JsonWriter::number(int64_t value) {
  before_value();
  out_.append(std::to_string(value));
  return *this;
}

JsonWriter& JsonWriter::null() {
  before_value();
  out_.append("null");
  return *this;
}

JsonWriter& JsonWriter::strings(const std::vector<std::string>& values) {
  begin_array();
  for (const std::string& v : values) str(v);
  return end_array();
}

}  // namespace upsync
