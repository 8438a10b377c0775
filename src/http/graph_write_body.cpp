#include "http/graph_write_body.h"

#include <algorithm>
#include <span>

#include "core/text.h"
#include "http/graph_group.h"
#include "http/graph_user.h"

namespace upsync {

namespace {

using Refusal = GraphRefusal;
using Changes = GraphChanges;

enum class ValueKind { kString, kBool, kOneString /* a list of at most one string */ };

struct Writable {
  std::string_view name;       // Graph's
  std::string_view attribute;  // the cloud directory's
  ValueKind kind;
  size_t max_length = 256;
};

constexpr Writable kUserWritable[] = {
    {"accountEnabled", "accountEnabled", ValueKind::kBool},
    {"businessPhones", "telephoneNumber", ValueKind::kOneString, 64},
    {"department", "department", ValueKind::kString, 64},
    {"displayName", "displayName", ValueKind::kString},
    {"givenName", "givenName", ValueKind::kString, 64},
    {"jobTitle", "jobTitle", ValueKind::kString, 128},
    {"mail", "mail", ValueKind::kString},
    {"mailNickname", "mailNickname", ValueKind::kString, 64},
    {"officeLocation", "physicalDeliveryOfficeName", ValueKind::kString, 128},
    {"preferredLanguage", "preferredLanguage", ValueKind::kString, 32},
    {"surname", "surname", ValueKind::kString, 64},
    {"userPrincipalName", "userPrincipalName", ValueKind::kString, 113},
};

constexpr Writable kGroupWritable[] = {
    {"description", "description", ValueKind::kString, 1024},
    {"displayName", "displayName", ValueKind::kString},
    {"mailEnabled", "mailEnabled", ValueKind::kBool},
    {"mailNickname", "mailNickname", ValueKind::kString, 64},
    {"securityEnabled", "securityEnabled", ValueKind::kBool},
};

// Graph computes these or takes them from on premises.
constexpr std::string_view kReadOnly[] = {
    "id",
    "deletedDateTime",
    "createdDateTime",
    "onPremisesImmutableId",
    "onPremisesSyncEnabled",
    "onPremisesSecurityIdentifier",
    "onPremisesDistinguishedName",
    "onPremisesSamAccountName",
    "proxyAddresses",
};

const Writable* find_writable(std::span<const Writable> table, std::string_view name) {
  for (const Writable& w : table) {
    if (ascii_iequal(w.name, name)) return &w;
  }
  return nullptr;
}

bool valid_upn(std::string_view upn) {
  size_t at = upn.find('@');
  if (at == 0 || at == std::string_view::npos || at + 1 >= upn.size() ||
      upn.find('@', at + 1) != std::string_view::npos) {
    return false;
  }
  return std::none_of(upn.begin(), upn.end(), [](char c) {
    return std::isspace(static_cast<unsigned char>(c)) || c == '"' || c == '\\' || c == '<' ||
           c == '>' || c == '(' || c == ')' || c == ',' || c == ';' || c == ':';
  });
}

bool valid_mail_nickname(std::string_view n) {
  constexpr std::string_view kForbidden = "@()\\[]\";:<>, ";
  return !n.empty() && std::none_of(n.begin(), n.end(), [&](char c) {
    return kForbidden.find(c) != std::string_view::npos || static_cast<unsigned char>(c) > 127;
  });
}

// Graph's complexity rule: 8 to 256 characters, three of lower, upper, digit and symbol.
bool complex_enough(std::string_view pw) {
  if (pw.size() < 8 || pw.size() > 256) return false;
  bool lower = false, upper = false, digit = false, symbol = false;
  for (unsigned char c : pw) {
    lower |= std::islower(c) != 0;
    upper |= std::isupper(c) != 0;
    digit |= std::isdigit(c) != 0;
    symbol |= !std::isalnum(c);
  }
  return lower + upper + digit + symbol >= 3;
}

std::optional<Refusal> read_value(const Writable& w, const nlohmann::json& v, bool creating,
                                  std::string_view resource, Changes& out) {
  std::vector<std::string> values;
  if (v.is_null()) {
    // null clears a property on PATCH; on creation it is as good as absent.
    if (creating) return std::nullopt;
  } else if (w.kind == ValueKind::kBool) {
    if (!v.is_boolean()) return graph_invalid_value(w.name, resource);
    values.push_back(v.get<bool>() ? "true" : "false");
  } else if (w.kind == ValueKind::kString) {
    if (!v.is_string() || v.get<std::string>().size() > w.max_length) {
      return graph_invalid_value(w.name, resource);
    }
    std::string s = v.get<std::string>();
    if (!s.empty()) values.push_back(std::move(s));
  } else {
    if (!v.is_array() || v.size() > 1) return graph_invalid_value(w.name, resource);
    for (const auto& e : v) {
      if (!e.is_string() || e.get<std::string>().size() > w.max_length) {
        return graph_invalid_value(w.name, resource);
      }
      values.push_back(e.get<std::string>());
    }
  }
  if (w.name == "userPrincipalName" && (values.empty() || !valid_upn(values[0]))) {
    return graph_invalid_value(w.name, resource);
  }
  if (w.name == "mailNickname" && (values.empty() || !valid_mail_nickname(values[0]))) {
    return graph_invalid_value(w.name, resource);
  }
  if (w.name == "displayName" && values.empty()) return graph_invalid_value(w.name, resource);
  if (w.kind == ValueKind::kBool && values.empty()) return graph_invalid_value(w.name, resource);
  out.set[std::string(w.attribute)] = std::move(values);
  out.given.emplace_back(w.name);
  return std::nullopt;
}

std::optional<Refusal> read_password_profile(const nlohmann::json& v, Changes& out) {
  if (!v.is_object()) return graph_invalid_value("passwordProfile", "User");
  for (const auto& [key, value] : v.items()) {
    if (key == "password") {
      if (!value.is_string()) return graph_invalid_value("passwordProfile", "User");
      if (!complex_enough(value.get<std::string>())) {
        return Refusal{400, "Request_BadRequest",
                       "The specified password does not comply with password complexity "
                       "requirements. Please provide a different password."};
      }
      out.password = value.get<std::string>();
    } else if (key == "forceChangePasswordNextSignIn" ||
               key == "forceChangePasswordNextSignInWithMfa") {
      if (!value.is_boolean()) return graph_invalid_value("passwordProfile", "User");
      if (value.get<bool>()) {
        return Refusal{400, "Request_BadRequest",
                       "Property '" + key +
                           "' set to true is not supported by upsync: its sign-in has no "
                           "password change. Send false."};
      }
    } else {
      return Refusal{
          400, "Request_BadRequest",
          "Property '" + key + "' does not exist as a declared property or extension property."};
    }
  }
  if (!out.password) return graph_invalid_value("passwordProfile", "User");
  out.given.emplace_back("passwordProfile");
  return std::nullopt;
}

}  // namespace

// The object ids of "members@odata.bind" / "@odata.id" URLs: the last path segment, a GUID.
std::optional<std::string> referenced_object_id(const nlohmann::json& url) {
  if (!url.is_string()) return std::nullopt;
  std::string_view s = url.get_ref<const std::string&>();
  size_t slash = s.rfind('/');
  std::string_view id = slash == std::string_view::npos ? s : s.substr(slash + 1);
  std::string_view kind = slash == std::string_view::npos ? "" : s.substr(0, slash);
  if (!kind.ends_with("/directoryObjects") && !kind.ends_with("/users") &&
      !kind.ends_with("/groups")) {
    return std::nullopt;
  }
  if (id.size() != 36) return std::nullopt;
  for (size_t i = 0; i < id.size(); ++i) {
    bool dash = i == 8 || i == 13 || i == 18 || i == 23;
    if (dash ? id[i] != '-' : !std::isxdigit(static_cast<unsigned char>(id[i]))) {
      return std::nullopt;
    }
  }
  return ascii_lower(id);
}

// Checks every property of `body` against the resource's writable table.
std::optional<GraphRefusal> read_graph_body(const nlohmann::json& body, bool creating, bool user,
                                            GraphChanges& out) {
  const std::string_view resource = user ? "User" : "Group";
  const GraphObjectType& type = user ? user_type() : group_type();
  std::span<const Writable> table =
      user ? std::span<const Writable>(kUserWritable) : std::span<const Writable>(kGroupWritable);
  if (!body.is_object()) {
    return Refusal{400, "BadRequest", "The request body must be a JSON object."};
  }
  for (const auto& [key, value] : body.items()) {
    if (key == "@odata.type") {
      if (!value.is_string() || value.get<std::string>() != "#" + std::string(type.type_name())) {
        return Refusal{400, "BadRequest",
                       "A type named '" + (value.is_string() ? value.get<std::string>() : "") +
                           "' could not be resolved here: expected #" +
                           std::string(type.type_name()) + "."};
      }
      continue;
    }
    if (user && key == "passwordProfile") {
      if (auto no = read_password_profile(value, out)) return no;
      continue;
    }
    if (!user && !creating && (key == "members@odata.bind" || key == "owners@odata.bind")) {
      return Refusal{400, "Request_BadRequest",
                     "Property '" + key +
                         "' is not supported by upsync on PATCH: add members with POST "
                         "/groups/{id}/members/$ref and remove them with DELETE "
                         "/groups/{id}/members/{id}/$ref."};
    }
    if (!user && creating && key == "members@odata.bind") {
      if (!value.is_array()) return graph_invalid_value("members", resource);
      for (const auto& url : value) {
        auto id = referenced_object_id(url);
        if (!id) {
          return Refusal{
              400, "Request_BadRequest",
              "Invalid object identifier '" +
                  quote_for_message(url.is_string() ? url.get<std::string>() : url.dump(), 200) +
                  "'."};
        }
        out.members.push_back(*id);
      }
      continue;
    }
    if (!user && key == "groupTypes") {
      // Only security and distribution groups: Microsoft 365 ("Unified") groups have a
      // mailbox and a site that upsync does not make.
      if (!value.is_array() || !value.empty()) {
        return Refusal{400, "Request_BadRequest",
                       "Property 'groupTypes' other than [] is not supported by upsync: it "
                       "makes security and distribution groups, not Microsoft 365 groups."};
      }
      continue;
    }
    if (const Writable* w = find_writable(table, key)) {
      if (auto no = read_value(*w, value, creating, resource, out)) return no;
      continue;
    }
    auto known = type.parse_select(key);
    for (std::string_view ro : kReadOnly) {
      if (ascii_iequal(ro, key) || (key == "mail" && !user)) {
        return Refusal{400, "Request_BadRequest",
                       "Property '" + key + "' is read-only and cannot be set."};
      }
    }
    if (known) {
      return Refusal{400, "Request_BadRequest",
                     "Property '" + key +
                         "' is not supported by upsync: the cloud directory does not hold it."};
    }
    return Refusal{
        400, "Request_BadRequest",
        "Property '" + key + "' does not exist as a declared property or extension property."};
  }
  return std::nullopt;
}

std::optional<GraphRefusal> check_graph_required(const GraphChanges& c,
                                                 std::initializer_list<const char*> names,
                                                 std::string_view resource) {
  for (const char* n : names) {
    if (!graph_body_gave(c, n)) return graph_invalid_value(n, resource);
  }
  return std::nullopt;
}

GraphRefusal graph_invalid_value(std::string_view property, std::string_view resource) {
  return {400, "Request_BadRequest",
          "Invalid value specified for property '" + std::string(property) + "' of resource '" +
              std::string(resource) + "'."};
}

bool graph_body_gave(const GraphChanges& c, std::string_view name) {
  return std::find(c.given.begin(), c.given.end(), name) != c.given.end();
}

}  // namespace upsync
