#include "http/graph_object.h"

#include <algorithm>

#include "core/text.h"
#include "directory/ldif.h"

namespace upsync {

namespace {

// A binary SID (base64, as the connectors store objectSid) in its text form S-1-5-21-...;
// "" when it is not a well-formed SID.
std::string sid_text(std::string_view stored) {
  auto bytes = base64_decode(stored);
  if (!bytes || bytes->size() < 8) return "";
  const auto* b = reinterpret_cast<const unsigned char*>(bytes->data());
  const size_t count = b[1];
  if (bytes->size() != 8 + 4 * count) return "";
  uint64_t authority = 0;
  for (int i = 2; i < 8; ++i) authority = (authority << 8) | b[i];
  std::string out = "S-" + std::to_string(b[0]) + "-" + std::to_string(authority);
  for (size_t i = 0; i < count; ++i) {
    const unsigned char* s = b + 8 + 4 * i;
    uint32_t sub = s[0] | (s[1] << 8) | (s[2] << 16) | (static_cast<uint32_t>(s[3]) << 24);
    out += "-" + std::to_string(sub);
  }
  return out;
}

const std::vector<std::string>* values_of(const GraphObjectView& o, std::string_view attr) {
  auto it = o.attributes.find(attr);
  if (it == o.attributes.end() || it->second.empty()) return nullptr;
  return &it->second;
}

// A string property's value in place ("" when unset); `scratch` holds a value made here (a
// SID's text).
std::string_view string_view_of(const GraphObjectView& o, const GraphProperty& p,
                                std::string& scratch) {
  switch (p.source) {
    case GraphSource::kId:
      return o.object_id;
    case GraphSource::kAnchor:
      return o.source_anchor;
    case GraphSource::kSid:
      if (const auto* sid = values_of(o, "objectSid")) scratch = sid_text(sid->front());
      return scratch;
    case GraphSource::kAttribute:
      if (const auto* vs = p.attribute.empty() ? nullptr : values_of(o, p.attribute)) {
        return vs->front();
      }
      return {};
    case GraphSource::kSyncEnabled:
    case GraphSource::kNull:
      return {};
  }
  return {};
}

std::optional<std::string> string_value(const GraphObjectView& o, const GraphProperty& p) {
  std::string scratch;
  std::string_view v = string_view_of(o, p, scratch);
  if (v.empty()) return std::nullopt;
  return std::string(v);
}

std::optional<bool> bool_value(const GraphObjectView& o, const GraphProperty& p) {
  if (p.source == GraphSource::kSyncEnabled) {
    if (o.source_anchor.empty()) return std::nullopt;
    return true;
  }
  if (p.source != GraphSource::kAttribute || p.attribute.empty()) return std::nullopt;
  const auto* vs = values_of(o, p.attribute);
  if (!vs) return p.missing_flag;
  return ascii_iequal(vs->front(), "true");
}

}  // namespace

GraphObjectView view_of(const DirectoryUser& u) {
  return {u.object_id, u.source_anchor, u.attributes};
}
GraphObjectView view_of(const DirectoryGroup& g) {
  return {g.object_id, g.source_anchor, g.attributes};
}

GraphObjectType::GraphObjectType(std::string_view type_name,
                                 std::span<const GraphProperty> properties, size_t default_count)
    : type_name_(type_name), properties_(properties) {
  for (size_t i = 0; i < default_count && i < properties.size(); ++i) {
    default_select_.emplace_back(properties[i].name);
  }
  for (const auto& p : properties) {
    if (!p.filterable) continue;
    FilterType type = FilterType::kString;
    if (p.kind == GraphValueKind::kBool) type = FilterType::kBool;
    if (p.kind == GraphValueKind::kStrings) type = FilterType::kStrings;
    filter_properties_.push_back({std::string(p.name), type});
  }
}

const GraphProperty* GraphObjectType::find(std::string_view name) const {
  for (const auto& p : properties_) {
    if (ascii_iequal(p.name, name)) return &p;
  }
  return nullptr;
}

std::optional<AttributeNames> GraphObjectType::attributes_read(
    std::span<const std::string> properties) const {
  AttributeNames out;
  for (const std::string& name : properties) {
    const GraphProperty* p = find(name);
    if (!p) return std::nullopt;
    if (p->kind == GraphValueKind::kExtensionAttributes) {
      for (int i = 1; i <= 15; ++i) out.push_back("extensionAttribute" + std::to_string(i));
    } else if (p->source == GraphSource::kSid) {
      out.emplace_back("objectSid");
    } else if (p->source == GraphSource::kAttribute && !p->attribute.empty()) {
      out.emplace_back(p->attribute);
    }
  }
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return out;
}

Result<std::vector<std::string>> GraphObjectType::parse_select(std::string_view select) const {
  std::vector<std::string> out;
  size_t start = 0;
  while (start <= select.size()) {
    size_t comma = select.find(',', start);
    if (comma == std::string_view::npos) comma = select.size();
    std::string_view name = trim(select.substr(start, comma - start));
    start = comma + 1;
    if (name.empty()) {
      return invalid_argument("$select has an empty property name at position " +
                              std::to_string(comma) + " in '" + quote_for_message(select) + "'.");
    }
    const GraphProperty* p = find(name);
    if (!p) {
      return invalid_argument("Could not find a property named '" + quote_for_message(name, 60) +
                              "' on type '" + type_name_ + "'.");
    }
    if (std::find(out.begin(), out.end(), p->name) == out.end()) out.emplace_back(p->name);
  }
  return out;
}

std::optional<std::string> GraphObjectType::filter_value(const GraphObjectView& o,
                                                         std::string_view name) const {
  const GraphProperty* p = find(name);
  if (!p) return std::nullopt;
  if (p->kind == GraphValueKind::kBool) {
    auto b = bool_value(o, *p);
    if (!b) return std::nullopt;
    return *b ? "true" : "false";
  }
  return string_value(o, *p);
}

std::vector<std::string> GraphObjectType::filter_values(const GraphObjectView& o,
                                                        std::string_view name) const {
  const GraphProperty* p = find(name);
  if (!p || p->kind != GraphValueKind::kStrings || p->source != GraphSource::kAttribute ||
      p->attribute.empty()) {
    return {};
  }
  const auto* vs = values_of(o, p->attribute);
  return vs ? *vs : std::vector<std::string>();
}

nlohmann::ordered_json GraphObjectType::json(const GraphObjectView& o,
                                             const std::vector<std::string>& select) const {
  nlohmann::ordered_json j = nlohmann::ordered_json::object();
  for (const std::string& name : select) {
    const GraphProperty* p = find(name);
    if (!p) continue;  // select lists come from parse_select
    switch (p->kind) {
      case GraphValueKind::kString: {
        auto v = string_value(o, *p);
        j[name] = v ? nlohmann::ordered_json(*v) : nlohmann::ordered_json(nullptr);
        break;
      }
      case GraphValueKind::kStrings: {
        nlohmann::ordered_json arr = nlohmann::ordered_json::array();
        if (p->source == GraphSource::kAttribute && !p->attribute.empty()) {
          if (const auto* vs = values_of(o, p->attribute)) {
            for (const auto& v : *vs) arr.push_back(v);
          }
        }
        j[name] = std::move(arr);
        break;
      }
      case GraphValueKind::kBool: {
        auto v = bool_value(o, *p);
        j[name] = v ? nlohmann::ordered_json(*v) : nlohmann::ordered_json(nullptr);
        break;
      }
      case GraphValueKind::kExtensionAttributes: {
        nlohmann::ordered_json ext = nlohmann::ordered_json::object();
        for (int i = 1; i <= 15; ++i) {
          const std::string key = "extensionAttribute" + std::to_string(i);
          const auto* vs = values_of(o, key);
          ext[key] = vs ? nlohmann::ordered_json(vs->front()) : nlohmann::ordered_json(nullptr);
        }
        j[name] = std::move(ext);
        break;
      }
    }
  }
  return j;
}

std::vector<const GraphProperty*> GraphObjectType::resolve(
    const std::vector<std::string>& select) const {
  std::vector<const GraphProperty*> out;
  for (const std::string& name : select) {
    if (const GraphProperty* p = find(name)) out.push_back(p);  // as json() skips unknown ones
  }
  return out;
}

void GraphObjectType::write(const GraphObjectView& o,
                            std::span<const GraphProperty* const> properties,
                            std::span<const std::string_view> blank, JsonWriter& w) const {
  w.begin_object();
  for (const GraphProperty* p : properties) {
    w.key(p->name);
    if (std::find(blank.begin(), blank.end(), p->name) != blank.end()) {
      if (p->kind == GraphValueKind::kStrings) {
        w.begin_array().end_array();
      } else {
        w.null();
      }
      continue;
    }
    switch (p->kind) {
      case GraphValueKind::kString: {
        std::string scratch;
        w.str_or_null(string_view_of(o, *p, scratch));
        break;
      }
      case GraphValueKind::kStrings: {
        const std::vector<std::string>* vs = nullptr;
        if (p->source == GraphSource::kAttribute && !p->attribute.empty()) {
          vs = values_of(o, p->attribute);
        }
        w.strings(vs ? *vs : std::vector<std::string>());
        break;
      }
      case GraphValueKind::kBool: {
        auto v = bool_value(o, *p);
        if (v) {
          w.boolean(*v);
        } else {
          w.null();
        }
        break;
      }
      case GraphValueKind::kExtensionAttributes: {
        w.begin_object();
        for (int i = 1; i <= 15; ++i) {
          const std::string key = "extensionAttribute" + std::to_string(i);
          w.key(key);
          if (const auto* vs = values_of(o, key)) {
            w.str(vs->front());
          } else {
            w.null();
          }
        }
        w.end_object();
        break;
      }
    }
  }
  w.end_object();
}

}  // namespace upsync
