#include "audiences/audience_json.h"

#include <set>

#include "core/text.h"

namespace upsync {

namespace {

Result<std::string> string_member(const nlohmann::json& j, const std::string& name,
                                  const std::string& where) {
  if (!j.contains(name)) return invalid_argument(where + ": '" + name + "' is missing");
  if (!j[name].is_string()) return invalid_argument(where + ": '" + name + "' must be a string");
  return j[name].get<std::string>();
}

Status only_members(const nlohmann::json& j, const std::set<std::string>& allowed,
                    const std::string& where) {
  for (const auto& [key, value] : j.items()) {
    if (!allowed.contains(key)) {
      return invalid_argument(where + ": '" + quote_for_message(key, 40) +
                              "' is not a member this accepts");
    }
  }
  return Status::ok();
}

Result<AudienceRule> rule_from_json(const nlohmann::json& j, const std::string& where) {
  if (!j.is_object()) return invalid_argument(where + " must be an object");
  UPSYNC_ASSIGN_OR_RETURN(std::string kind_name, string_member(j, "kind", where));
  auto kind = parse_audience_rule_kind(kind_name);
  if (!kind) {
    return invalid_argument(where + ": kind '" + quote_for_message(kind_name, 40) +
                            "' is none of memberOf, propertyEquals, propertyContains, "
                            "reportsUnder");
  }
  AudienceRule r;
  r.kind = *kind;
  switch (r.kind) {
    case AudienceRuleKind::kMemberOf: {
      UPSYNC_RETURN_IF_ERROR(only_members(j, {"kind", "group"}, where));
      UPSYNC_ASSIGN_OR_RETURN(r.group, string_member(j, "group", where));
      break;
    }
    case AudienceRuleKind::kPropertyEquals:
    case AudienceRuleKind::kPropertyContains: {
      UPSYNC_RETURN_IF_ERROR(only_members(j, {"kind", "property", "value"}, where));
      UPSYNC_ASSIGN_OR_RETURN(r.property, string_member(j, "property", where));
      UPSYNC_ASSIGN_OR_RETURN(r.value, string_member(j, "value", where));
      break;
    }
    case AudienceRuleKind::kReportsUnder: {
      UPSYNC_RETURN_IF_ERROR(only_members(j, {"kind", "manager"}, where));
      UPSYNC_ASSIGN_OR_RETURN(r.manager, string_member(j, "manager", where));
      break;
    }
  }
  return r;
}

}  // namespace

nlohmann::json audience_json(const Audience& a) {
  nlohmann::json rules = nlohmann::json::array();
  for (const AudienceRule& r : a.rules) {
    nlohmann::json j = {{"kind", std::string(audience_rule_kind_name(r.kind))}};
    switch (r.kind) {
      case AudienceRuleKind::kMemberOf:
        j["group"] = r.group;
        break;
      case AudienceRuleKind::kPropertyEquals:
      case AudienceRuleKind::kPropertyContains:
        j["property"] = r.property;
        j["value"] = r.value;
        break;
      case AudienceRuleKind::kReportsUnder:
        j["manager"] = r.manager;
        break;
    }
    rules.push_back(std::move(j));
  }
  return {{"id", a.id},
          {"name", a.name},
          {"description", a.description},
          {"match", std::string(audience_match_name(a.match))},
          {"rules", rules},
          {"memberCount", a.member_count},
          {"compiledAt", a.compiled_at}};
}

nlohmann::json hybrid_settings_json(const Tenant& tenant, const std::optional<HybridSettings>& s) {
  if (!s) {
    return {{"tenant", tenant.name},
            {"onlineUrl", nullptr},
            {"audience", nullptr},
            {"updatedAt", nullptr}};
  }
  return {{"tenant", tenant.name},
          {"onlineUrl", s->online_url},
          {"audience", s->audience_id ? nlohmann::json(s->audience_name) : nlohmann::json()},
          {"updatedAt", s->updated_at}};
}

Result<NewAudience> new_audience_from_json(const nlohmann::json& body) {
  if (!body.is_object()) {
    return invalid_argument("request body: expected {\"name\", \"match\", \"rules\": [...]}");
  }
  UPSYNC_RETURN_IF_ERROR(
      only_members(body, {"name", "description", "match", "rules"}, "request body"));
  NewAudience a;
  UPSYNC_ASSIGN_OR_RETURN(a.name, string_member(body, "name", "request body"));
  if (body.contains("description")) {
    UPSYNC_ASSIGN_OR_RETURN(a.description, string_member(body, "description", "request body"));
  }
  if (body.contains("match")) {
    UPSYNC_ASSIGN_OR_RETURN(std::string m, string_member(body, "match", "request body"));
    auto match = parse_audience_match(m);
    if (!match) {
      return invalid_argument("request body: match '" + quote_for_message(m, 40) +
                              "' is neither all nor any");
    }
    a.match = *match;
  }
  if (!body.contains("rules") || !body["rules"].is_array()) {
    return invalid_argument("request body: 'rules' must be an array of rules");
  }
  for (size_t i = 0; i < body["rules"].size(); ++i) {
    UPSYNC_ASSIGN_OR_RETURN(AudienceRule r,
                            rule_from_json(body["rules"][i], "rules[" + std::to_string(i) + "]"));
    a.rules.push_back(std::move(r));
  }
  return a;
}

}  // namespace upsync
