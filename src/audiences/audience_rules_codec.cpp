#include "audiences/audience_rules_codec.h"

#include <nlohmann/json.hpp>

namespace upsync {

std::string encode_audience_rules(const std::vector<AudienceRule>& rules) {
  nlohmann::json arr = nlohmann::json::array();
  for (const AudienceRule& r : rules) {
    nlohmann::json j = {{"kind", std::string(audience_rule_kind_name(r.kind))}};
    if (!r.group.empty()) j["group"] = r.group;
    if (!r.property.empty()) j["property"] = r.property;
    if (!r.value.empty()) j["value"] = r.value;
    if (!r.manager.empty()) j["manager"] = r.manager;
    arr.push_back(std::move(j));
  }
  return arr.dump();
}

Result<std::vector<AudienceRule>> decode_audience_rules(std::string_view text,
                                                        std::string_view audience) {
  auto corrupt = [&] {
    return data_loss("the stored rules of audience '" + std::string(audience) +
                     "' are not readable");
  };
  nlohmann::json arr = nlohmann::json::parse(text, nullptr, false);
  if (!arr.is_array()) return corrupt();
  std::vector<AudienceRule> out;
  for (const auto& j : arr) {
    if (!j.is_object() || !j.contains("kind") || !j["kind"].is_string()) return corrupt();
    auto kind = parse_audience_rule_kind(j["kind"].get<std::string>());
    if (!kind) return corrupt();
    AudienceRule r;
    r.kind = *kind;
    r.group = j.value("group", "");
    r.property = j.value("property", "");
    r.value = j.value("value", "");
    r.manager = j.value("manager", "");
    out.push_back(std::move(r));
  }
  return out;
}

}  // namespace upsync
