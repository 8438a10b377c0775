#include "store/profile_codec.h"

#include <rapidjson/document.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

namespace upsync {

std::string encode_properties(const PropertyMap& props, const ProfileSchema& schema) {
  rapidjson::StringBuffer buf;
  rapidjson::Writer<rapidjson::StringBuffer> w(buf);
  w.StartObject();
  for (const auto& [name, values] : props) {
    if (values.empty()) continue;
    w.Key(name.data(), static_cast<rapidjson::SizeType>(name.size()));
    const PropertyDefinition* def = schema.find(name);
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

}  // namespace upsync
