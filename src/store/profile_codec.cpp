#include "store/profile_codec.h"

#include <rapidjson/document.h>
#include <rapidjson/memorystream.h>
#include <rapidjson/reader.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <algorithm>
#include <vector>

namespace upsync {

std::string encode_properties(const PropertyMap& props, const ProfileSchema& schema,
                              PropertyPart part) {
  rapidjson::StringBuffer buf;
  rapidjson::Writer<rapidjson::StringBuffer> w(buf);
  w.StartObject();
  for (const auto& [name, values] : props) {
    if (values.empty()) continue;
    const PropertyDefinition* def = schema.find(name);
    const bool custom = def && def->custom;
    if ((part == PropertyPart::kDefault && custom) || (part == PropertyPart::kCustom && !custom)) {
      continue;
    }
    w.Key(name.data(), static_cast<rapidjson::SizeType>(name.size()));
    if (def && def->multi_value) {
      w.StartArray();
      for (const std::string& v : values) {
        w.String(v.data(), static_cast<rapidjson::SizeType>(v.size()));
      }
      w.EndArray();
    } else {
      w.String(values[0].data(), static_cast<rapidjson::SizeType>(values[0].size()));
    }
  }
  w.EndObject();
  return std::string(buf.GetString(), buf.GetSize());
}

Result<PropertyMap> decode_properties(std::string_view json) {
  rapidjson::Document doc;
  doc.Parse(json.data(), json.size());
  if (doc.HasParseError() || !doc.IsObject()) {
    return data_loss("stored profile properties are not a JSON object");
  }
  PropertyMap out;
  for (auto& m : doc.GetObject()) {
    PropertyValues values;
    if (m.value.IsString()) {
      values.emplace_back(m.value.GetString(), m.value.GetStringLength());
    } else if (m.value.IsArray()) {
      for (auto& v : m.value.GetArray()) {
        if (!v.IsString()) return data_loss("stored profile property holds a non-string value");
        values.emplace_back(v.GetString(), v.GetStringLength());
      }
    } else {
      return data_loss("stored profile property holds a non-string value");
    }
    out.emplace(std::string(m.name.GetString(), m.name.GetStringLength()), std::move(values));
  }
  return out;
}

namespace {

// A SAX handler for single_property: it follows the nesting and stops the reader (returns
// false) once the top-level value named `name` is read.
struct SinglePropertyReader
    : rapidjson::BaseReaderHandler<rapidjson::UTF8<>, SinglePropertyReader> {
  std::string_view name;
  int depth = 0;
  bool at_name = false;  // the last top-level key was `name`
  bool done = false;
  bool not_string = false;
  std::optional<std::string> value;

  bool Default() {  // a number, bool or null
    if (at_name) return stop_not_string();
    return true;
  }
  bool String(const char* s, rapidjson::SizeType n, bool) {
    if (!at_name) return true;
    value.emplace(s, n);
    done = true;
    return false;
  }
  bool Key(const char* s, rapidjson::SizeType n, bool) {
    if (depth == 1) at_name = std::string_view(s, n) == name;
    return true;
  }
  bool StartObject() {
    if (at_name) return stop_not_string();
    ++depth;
    return true;
  }
  bool EndObject(rapidjson::SizeType) {
    --depth;
    return true;
  }
  bool StartArray() {
    if (at_name) return stop_not_string();
    ++depth;
    return true;
  }
  bool EndArray(rapidjson::SizeType) {
    --depth;
    return true;
  }
  bool stop_not_string() {
    not_string = true;
    done = true;
    return false;
  }
};

// The end of the JSON string starting at `i` (on its opening quote): the index past its
// closing quote, or npos. `escaped` tells whether it holds a backslash.
size_t string_end(std::string_view s, size_t i, bool& escaped) {
  escaped = false;
  for (++i; i < s.size(); ++i) {
    if (s[i] == '"') return i + 1;
    if (s[i] == '\\') {
      escaped = true;
      ++i;
    }
  }
  return std::string_view::npos;
}

// The end of the value starting at `i`: a string or an array of strings, else npos.
size_t value_end(std::string_view s, size_t i, bool& escaped) {
  if (i >= s.size()) return std::string_view::npos;
  if (s[i] == '"') return string_end(s, i, escaped);
  if (s[i] != '[') return std::string_view::npos;
  escaped = false;
  for (++i; i < s.size();) {
    if (s[i] == ']') return i + 1;
    bool e = false;
    i = string_end(s, i, e);
    if (i == std::string_view::npos) return i;
    escaped = escaped || e;
    if (i < s.size() && s[i] == ',') ++i;
  }
  return std::string_view::npos;
}

}  // namespace

Result<std::optional<std::string>> single_property(std::string_view json, std::string_view name) {
  // Most documents are in encode_properties's form: the names are walked without a reader,
  // and a value without escapes is the stored bytes. Anything else goes to the reader.
  if (json.starts_with('{')) {
    for (size_t i = 1; i < json.size() && json[i] == '"';) {
      bool escaped = false;
      const size_t key_end = string_end(json, i, escaped);
      if (escaped || key_end == std::string_view::npos || key_end >= json.size() ||
          json[key_end] != ':') {
        break;
      }
      const size_t at = key_end + 1;
      const size_t end = value_end(json, at, escaped);
      if (end == std::string_view::npos) break;
      if (json.substr(i + 1, key_end - i - 2) == name) {
        if (escaped || json[at] != '"') break;
        return std::optional<std::string>(std::string(json.substr(at + 1, end - at - 2)));
      }
      if (end < json.size() && json[end] == '}') return std::optional<std::string>();
      if (end >= json.size() || json[end] != ',') break;
      i = end + 1;
    }
  }
  SinglePropertyReader handler;
  handler.name = name;
  rapidjson::MemoryStream stream(json.data(), json.size());
  rapidjson::Reader reader;
  const auto parsed = reader.Parse(stream, handler);
  if (handler.not_string) {
    return data_loss("stored profile property " + std::string(name) + " is not a string");
  }
  if (handler.done) return std::move(handler.value);
  if (parsed.IsError() || !json.starts_with('{')) {
    return data_loss("stored profile properties are not a JSON object");
  }
  return std::optional<std::string>();
}

std::optional<bool> patch_single_values(std::string_view json,
                                        std::span<const std::pair<std::string, std::string>> sets,
                                        const ProfileSchema& schema, std::string& out) {
  for (const auto& set : sets) {
    const PropertyDefinition* def = schema.find(set.first);
    if (def && def->multi_value) return std::nullopt;
  }
  return patch_single_values(json, sets, out);
}

std::optional<bool> patch_single_values(std::string_view json,
                                        std::span<const std::pair<std::string, std::string>> sets,
                                        std::string& out) {
  // The edits by name, the last of each name winning, with their values as JSON strings
  // (written by the same writer as encode_properties, so the bytes compare).
  struct Edit {
    std::string_view name;
    std::string value;  // JSON text; empty removes the property
  };
  // Reused from call to call: the bulk import patches a profile per user object.
  thread_local std::vector<Edit> edits;
  thread_local rapidjson::StringBuffer buf;
  edits.clear();
  for (const auto& [name, value] : sets) {
    for (char c : name) {
      if (c == '"' || c == '\\' || static_cast<unsigned char>(c) < 0x20) return std::nullopt;
    }
    // An init-capture: clang before 16 cannot capture a structured binding (the fuzzers and
    // their libraries are built with clang).
    auto same = std::find_if(edits.begin(), edits.end(),
                             [&key = name](const Edit& e) { return e.name == key; });
    if (same == edits.end()) same = edits.insert(edits.end(), Edit{name, {}});
    same->value.clear();
    if (!value.empty()) {
      buf.Clear();
      rapidjson::Writer<rapidjson::StringBuffer> w(buf);
      w.String(value.data(), static_cast<rapidjson::SizeType>(value.size()));
      same->value.assign(buf.GetString(), buf.GetSize());
    }
  }
  std::sort(edits.begin(), edits.end(),
            [](const Edit& a, const Edit& b) { return a.name < b.name; });

  out.clear();
  out.reserve(json.size() + 64);
  out += '{';
  bool changed = false;
  size_t next = 0;  // the first edit not yet placed
  auto put = [&](std::string_view name, std::string_view value) {
    if (out.size() > 1) out += ',';
    out += '"';
    out += name;
    out += "\":";
    out += value;
  };
  // Adds the edits that sort before `key` (all of them when key is null): new properties.
  auto place_before = [&](const std::string_view* key) {
    while (next < edits.size() && (!key || edits[next].name < *key)) {
      if (!edits[next].value.empty()) {
        put(edits[next].name, edits[next].value);
        changed = true;
      }
      ++next;
    }
  };

  if (json.size() < 2 || json.front() != '{' || json.back() != '}') return std::nullopt;
  size_t i = 1;
  std::string_view prev_key;
  bool first = true;
  while (i < json.size() - 1) {
    if (!first) {
      if (json[i] != ',') return std::nullopt;
      ++i;
    }
    bool key_escaped = false;
    size_t key_end = json[i] == '"' ? string_end(json, i, key_escaped) : std::string_view::npos;
    if (key_end == std::string_view::npos || key_escaped || key_end >= json.size() ||
        json[key_end] != ':') {
      return std::nullopt;
    }
    std::string_view key = json.substr(i + 1, key_end - i - 2);
    if (!first && !(prev_key < key)) return std::nullopt;  // not in std::map order
    bool value_escaped = false;
    size_t end = value_end(json, key_end + 1, value_escaped);
    if (end == std::string_view::npos || end > json.size() - 1) return std::nullopt;
    std::string_view value = json.substr(key_end + 1, end - key_end - 1);
    place_before(&key);
    if (next < edits.size() && edits[next].name == key) {
      const Edit& e = edits[next++];
      if (e.value.empty()) {
        changed = true;  // removed
      } else if (e.value == value) {
        put(key, value);
      } else {
        // Another spelling of the same value would compare equal once decoded.
        if (value_escaped) return std::nullopt;
        put(key, e.value);
        changed = true;
      }
    } else {
      put(key, value);
    }
    prev_key = key;
    first = false;
    i = end;
  }
  place_before(nullptr);
  out += '}';
  return changed;
}

}  // namespace upsync
