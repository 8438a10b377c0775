// Directory attributes as stored (directory/directory_codec.h).
#include "directory/directory_codec.h"

#include <rapidjson/document.h>
#include <rapidjson/error/en.h>

#include <algorithm>
#include <nlohmann/json.hpp>

#include "core/text.h"

namespace upsync {

// Stage 1 copies the cloud directory's fixed attribute set (not configurable, seed 002).
bool in_store_attribute_set(std::string_view name) {
  const auto& names = store_attribute_names();
  return std::find(names.begin(), names.end(), name) != names.end();
}

namespace {

// Appends `text` as a JSON string the way nlohmann::json::dump() writes it: as it is when no
// byte needs escaping (the common case), else through nlohmann itself, which escapes control
// characters and refuses text that is not UTF-8.
void append_json_string(std::string& out, std::string_view text) {
  if (!json_plain(text)) {
    out += nlohmann::json(std::string(text)).dump();
    return;
  }
  out += '"';
  out += text;
  out += '"';
}

}  // namespace

// The attributes as a JSON object of arrays of strings, keys sorted, empty arrays left out:
// the bytes nlohmann::json::dump() gives (stored rows are compared as text), written without
// building its tree.
std::string encode_directory_attributes(const DirectoryAttributes& a) {
  std::string out;
  out.reserve(512);
  out += '{';
  for (const auto& [k, v] : a) {
    if (v.empty()) continue;
    if (out.size() > 1) out += ',';
    append_json_string(out, k);
    out += ":[";
    for (size_t i = 0; i < v.size(); ++i) {
      if (i > 0) out += ',';
      append_json_string(out, v[i]);
    }
    out += ']';
  }
  out += '}';
  return out;
}

// Read with rapidjson (written with nlohmann::json, whose bytes stored rows compare against):
// every user a stage reads is decoded, and rapidjson's in-place reader is several times
// faster than building an nlohmann::json tree first.
Result<DirectoryAttributes> decode_directory_attributes(std::string_view text) {
  rapidjson::Document doc;
  doc.Parse(text.data(), text.size());
  if (doc.HasParseError()) {
    return data_loss(std::string("stored directory attributes are corrupt: ") +
                     rapidjson::GetParseError_En(doc.GetParseError()) + " at offset " +
                     std::to_string(doc.GetErrorOffset()));
  }
  if (!doc.IsObject()) return data_loss("stored directory attributes are not a JSON object");
  DirectoryAttributes a;
  for (const auto& m : doc.GetObject()) {
    std::string name(m.name.GetString(), m.name.GetStringLength());
    if (!m.value.IsArray()) {
      return data_loss("stored directory attribute '" + name + "' is not an array of strings");
    }
    std::vector<std::string> values;
    values.reserve(m.value.Size());
    for (const auto& v : m.value.GetArray()) {
      if (!v.IsString()) {
        return data_loss("stored directory attribute '" + name + "' is not an array of strings");
      }
      values.emplace_back(v.GetString(), v.GetStringLength());
    }
    a[std::move(name)] = std::move(values);
  }
  return a;
}

}  // namespace upsync
