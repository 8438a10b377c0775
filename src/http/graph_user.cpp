#include "http/graph_user.h"

#include "core/text.h"
#include "directory/ldif.h"

namespace upsync {

namespace {

enum class Kind { kString, kStrings, kBool };

// One Graph user property: where its value comes from.
struct UserProperty {
  std::string_view name;
  Kind kind;
  std::string_view attribute;  // the cloud directory attribute; "" for derived or not held
  bool filterable;
};

// Graph v1.0 order for the defaults, then the rest.
constexpr UserProperty kProperties[] = {
    {"businessPhones", Kind::kStrings, "telephoneNumber", false},
    {"displayName", Kind::kString, "displayName", true},
    {"givenName", Kind::kString, "givenName", true},
    {"jobTitle", Kind::kString, "jobTitle", true},
    {"mail", Kind::kString, "mail", true},
    {"mobilePhone", Kind::kString, "", true},
    {"officeLocation", Kind::kString, "physicalDeliveryOfficeName", true},
    {"preferredLanguage", Kind::kString, "preferredLanguage", true},
    {"surname", Kind::kString, "surname", true},
    {"userPrincipalName", Kind::kString, "userPrincipalName", true},
    {"id", Kind::kString, "", true},
    {"accountEnabled", Kind::kBool, "accountEnabled", true},
    {"department", Kind::kString, "department", true},
    {"proxyAddresses", Kind::kStrings, "proxyAddresses", false},
    {"onPremisesImmutableId", Kind::kString, "", true},
    {"onPremisesSyncEnabled", Kind::kBool, "", false},
    {"onPremisesSecurityIdentifier", Kind::kString, "", false},
    {"onPremisesDistinguishedName", Kind::kString, "distinguishedName", false},
    // Graph properties the cloud directory does not hold: null (or empty), never invented.
    {"city", Kind::kString, "", false},
    {"companyName", Kind::kString, "", false},
    {"country", Kind::kString, "", false},
    {"employeeId", Kind::kString, "", false},
    {"faxNumber", Kind::kString, "", false},
    {"otherMails", Kind::kStrings, "", false},
    {"postalCode", Kind::kString, "", false},
    {"state", Kind::kString, "", false},
    {"streetAddress", Kind::kString, "", false},
    {"usageLocation", Kind::kString, "", false},
};
constexpr size_t kDefaultCount = 11;  // businessPhones .. id

const UserProperty* find_property(std::string_view name) {
  for (const auto& p : kProperties) {
    if (ascii_iequal(p.name, name)) return &p;
  }
  return nullptr;
}

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

std::optional<std::string> string_value(const DirectoryUser& u, const UserProperty& p) {
  if (p.name == "id") return u.object_id;
  if (p.name == "onPremisesImmutableId") {
    if (u.source_anchor.empty()) return std::nullopt;
    return u.source_anchor;
  }
  if (p.name == "onPremisesSecurityIdentifier") {
    std::string sid = sid_text(u.first("objectSid"));
    if (sid.empty()) return std::nullopt;
    return sid;
  }
  if (p.attribute.empty()) return std::nullopt;
  std::string v = u.first(p.attribute);
  if (v.empty()) return std::nullopt;
  return v;
}

std::optional<bool> bool_value(const DirectoryUser& u, const UserProperty& p) {
  if (p.name == "accountEnabled") return u.flag("accountEnabled", true);
  if (p.name == "onPremisesSyncEnabled") {
    if (u.source_anchor.empty()) return std::nullopt;
    return true;
  }
  return std::nullopt;
}

}  // namespace

const std::vector<std::string>& default_user_select() {
  static const std::vector<std::string> kDefaults = [] {
    std::vector<std::string> out;
    for (size_t i = 0; i < kDefaultCount; ++i) out.emplace_back(kProperties[i].name);
    return out;
  }();
  return kDefaults;
}

Result<std::vector<std::string>> parse_user_select(std::string_view select) {
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
    const UserProperty* p = find_property(name);
    if (!p) {
      return invalid_argument("Could not find a property named '" + quote_for_message(name, 60) +
                              "' on type 'microsoft.graph.user'.");
    }
    if (std::find(out.begin(), out.end(), p->name) == out.end()) out.emplace_back(p->name);
  }
  return out;
}

const std::vector<FilterProperty>& user_filter_properties() {
  static const std::vector<FilterProperty> kFilterable = [] {
    std::vector<FilterProperty> out;
    for (const auto& p : kProperties) {
      if (!p.filterable) continue;
      out.push_back(
          {std::string(p.name), p.kind == Kind::kBool ? FilterType::kBool : FilterType::kString});
    }
    return out;
  }();
  return kFilterable;
}

std::optional<std::string> user_filter_value(const DirectoryUser& user, std::string_view property) {
  const UserProperty* p = find_property(property);
  if (!p) return std::nullopt;
  if (p->kind == Kind::kBool) {
    auto b = bool_value(user, *p);
    if (!b) return std::nullopt;
    return *b ? "true" : "false";
  }
  return string_value(user, *p);
}

nlohmann::ordered_json graph_user_json(const DirectoryUser& user,
                                       const std::vector<std::string>& select) {
  nlohmann::ordered_json j = nlohmann::ordered_json::object();
  for (const std::string& name : select) {
    const UserProperty* p = find_property(name);
    if (!p) continue;  // select lists come from parse_user_select
    switch (p->kind) {
      case Kind::kString: {
        auto v = string_value(user, *p);
        j[name] = v ? nlohmann::ordered_json(*v) : nlohmann::ordered_json(nullptr);
        break;
      }
      case Kind::kStrings: {
        nlohmann::ordered_json arr = nlohmann::ordered_json::array();
        if (!p->attribute.empty()) {
          auto it = user.attributes.find(std::string(p->attribute));
          if (it != user.attributes.end()) {
            for (const auto& v : it->second) arr.push_back(v);
          }
        }
        j[name] = std::move(arr);
        break;
      }
      case Kind::kBool: {
        auto v = bool_value(user, *p);
        j[name] = v ? nlohmann::ordered_json(*v) : nlohmann::ordered_json(nullptr);
        break;
      }
    }
  }
  return j;
}

}  // namespace upsync
