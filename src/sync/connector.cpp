#include "sync/connector.h"

#include <toml++/toml.h>

#include <cctype>
#include <charconv>
#include <cstdlib>
#include <set>

#include "core/clock.h"
#include "core/files.h"
#include "core/text.h"
#include "directory/directory_store.h"
#include "sync/scheduler.h"
#include "sync/server_import.h"

namespace upsync {
namespace {

// Cloud attributes whose flow is fixed: the anchor and DN stage 0 keeps, and what the cloud
// directory owns (licenses, blocked sign-in).
const std::set<std::string> kFixedAttributes = {"objectGuid", "objectGuidBytes",
                                                "distinguishedName", "licensed", "signInBlocked"};

const std::set<std::string> kKeys = {
    "type",         "url",         "start_tls", "bind_dn",         "password_file",
    "password_env", "base",        "filter",    "scope",           "delta",
    "include_ous",  "exclude_ous", "page_size", "timeout_seconds", "full_compare_hours",
    "flows"};

std::string where(const toml::node& n) {
  const auto& src = n.source();
  return "line " + std::to_string(src.begin.line) + ", column " + std::to_string(src.begin.column);
}

Status key_error(const toml::node& n, std::string_view key, const std::string& what) {
  return invalid_argument("'" + std::string(key) + "' (" + where(n) + "): " + what);
}

Result<std::string> string_at(const toml::table& t, std::string_view key) {
  const toml::node* n = t.get(key);
  if (!n) return std::string();
  if (auto v = n->value<std::string>(); v && n->is_string()) return *v;
  return key_error(*n, key, "expected a string");
}

Result<std::vector<std::string>> dn_list(const toml::table& t, std::string_view key) {
  std::vector<std::string> out;
  const toml::node* n = t.get(key);
  if (!n) return out;
  const toml::array* a = n->as_array();
  if (!a) return key_error(*n, key, "expected a list of distinguished names");
  for (const toml::node& item : *a) {
    auto s = item.value<std::string>();
    if (!item.is_string() || !s || s->find('=') == std::string::npos) {
      return key_error(item, key, "expected a distinguished name such as \"OU=Staff,DC=x,DC=com\"");
    }
    out.push_back(*s);
  }
  return out;
}

// An LDAP attribute description: a letter, then letters, digits and '-' (RFC 4512 §2.5), or
// a numeric OID.
bool is_attribute_name(std::string_view s) {
  if (s.empty()) return false;
  if (std::isdigit(static_cast<unsigned char>(s[0]))) {
    return std::all_of(s.begin(), s.end(),
                       [](unsigned char c) { return std::isdigit(c) || c == '.'; });
  }
  if (!std::isalpha(static_cast<unsigned char>(s[0]))) return false;
  return std::all_of(s.begin(), s.end(),
                     [](unsigned char c) { return std::isalnum(c) || c == '-'; });
}

}  // namespace

Status check_connector_name(std::string_view name) {
  if (name.empty() || name.size() > 64 ||
      !std::all_of(name.begin(), name.end(), [](unsigned char c) {
        return std::isalnum(c) || c == '-' || c == '_' || c == '.';
      })) {
    return invalid_argument("connector name '" + quote_for_message(name) +
                            "': use 1-64 letters, digits, '-', '_' and '.'");
  }
  return Status::ok();
}

Result<Connector> parse_connector(std::string_view name, std::string_view text) {
  UPSYNC_RETURN_IF_ERROR(check_connector_name(name));
  toml::table t;
  try {
    t = toml::parse(text);
  } catch (const toml::parse_error& e) {
    const auto& b = e.source().begin;
    return invalid_argument("connector '" + std::string(name) + "': TOML line " +
                            std::to_string(b.line) + ", column " + std::to_string(b.column) + ": " +
                            std::string(e.description()));
  }
  Connector c;
  c.name = name;
  c.toml = text;
  auto fail = [&](const Status& s) {
    return invalid_argument("connector '" + std::string(name) + "': " + s.message());
  };
  for (const auto& [key, node] : t) {
    if (!kKeys.contains(std::string(key.str()))) {
      return fail(key_error(node, key.str(),
                            "unknown key (known: type, url, start_tls, bind_dn, password_file, "
                            "password_env, base, filter, scope, delta, include_ous, exclude_ous, "
                            "page_size, timeout_seconds, full_compare_hours, [flows])"));
    }
  }
  auto str = [&](std::string_view key, std::string& out) -> Status {
    auto v = string_at(t, key);
    if (!v) return fail(v.status());
    if (t.get(key)) out = *v;
    return Status::ok();
  };
  std::string type = "ldap", scope = "subtree", delta = "auto";
  UPSYNC_RETURN_IF_ERROR(str("type", type));
  if (type != "ldap") {
    return fail(key_error(*t.get("type"), "type", "'" + type + "' is not a connector type (ldap)"));
  }
  UPSYNC_RETURN_IF_ERROR(str("url", c.ldap.url));
  if (!c.ldap.url.starts_with("ldap://") && !c.ldap.url.starts_with("ldaps://")) {
    if (!t.get("url")) return fail(invalid_argument("'url' is missing, e.g. \"ldap://dc1:389\""));
    return fail(
        key_error(*t.get("url"), "url", "expected ldap://host[:port] or ldaps://host[:port]"));
  }
  UPSYNC_RETURN_IF_ERROR(str("bind_dn", c.ldap.bind_dn));
  UPSYNC_RETURN_IF_ERROR(str("password_file", c.password_file));
  UPSYNC_RETURN_IF_ERROR(str("password_env", c.password_env));
  if (!c.password_file.empty() && !c.password_env.empty()) {
    return fail(invalid_argument("give password_file or password_env, not both"));
  }
  UPSYNC_RETURN_IF_ERROR(str("base", c.ldap.base));
  if (c.ldap.base.empty()) {
    return fail(invalid_argument("'base' is missing, e.g. \"DC=contoso,DC=com\""));
  }
  UPSYNC_RETURN_IF_ERROR(str("filter", c.ldap.filter));
  if (c.ldap.filter.empty() || c.ldap.filter.front() != '(' || c.ldap.filter.back() != ')') {
    return fail(key_error(*t.get("filter"), "filter", "expected an LDAP filter in parentheses"));
  }
  UPSYNC_RETURN_IF_ERROR(str("scope", scope));
  if (scope != "subtree" && scope != "one") {
    return fail(key_error(*t.get("scope"), "scope", "expected \"subtree\" or \"one\""));
  }
  c.ldap.one_level = scope == "one";
  UPSYNC_RETURN_IF_ERROR(str("delta", delta));
  auto method = parse_delta_method(delta);
  if (!method) return fail(key_error(*t.get("delta"), "delta", method.status().message()));
  c.delta = *method;
  if (const toml::node* n = t.get("start_tls")) {
    if (!n->is_boolean()) return fail(key_error(*n, "start_tls", "expected true or false"));
    c.ldap.start_tls = n->value<bool>().value_or(false);
  }
  for (auto [key, field, lo, hi] : {std::tuple{"page_size", &c.ldap.page_size, 1, 100000},
                                    {"timeout_seconds", &c.ldap.timeout_seconds, 1, 3600},
                                    {"full_compare_hours", &c.full_compare_hours, 0, 8760}}) {
    const toml::node* n = t.get(key);
    if (!n) continue;
    // The integer node itself: value<int64_t>() would convert a float too, and one out of
    // int64_t's range is undefined behaviour (found by fuzz/connector_fuzzer.cpp).
    const toml::value<int64_t>* v = n->as_integer();
    if (!v || v->get() < lo || v->get() > hi) {
      return fail(key_error(
          *n, key,
          "expected a whole number from " + std::to_string(lo) + " to " + std::to_string(hi)));
    }
    *field = static_cast<int>(v->get());
  }
  auto include = dn_list(t, "include_ous");
  if (!include) return fail(include.status());
  c.include_ous = std::move(*include);
  auto exclude = dn_list(t, "exclude_ous");
  if (!exclude) return fail(exclude.status());
  c.exclude_ous = std::move(*exclude);
  if (const toml::node* n = t.get("flows")) {
    const toml::table* flows = n->as_table();
    if (!flows) return fail(key_error(*n, "flows", "expected a table: [flows]"));
    for (const auto& [key, value] : *flows) {
      auto cloud = cloud_attribute_name(key.str());
      if (!cloud) return fail(key_error(value, key.str(), cloud.status().message()));
      if (kFixedAttributes.contains(*cloud)) {
        return fail(key_error(value, key.str(),
                              "the flow of " + *cloud +
                                  " is fixed (the source anchor, the DN, and what the cloud "
                                  "directory owns)"));
      }
      auto from = value.value<std::string>();
      if (!value.is_string() || !from || (!from->empty() && !is_attribute_name(*from))) {
        return fail(key_error(value, key.str(),
                              "expected the name of a directory attribute, e.g. \"title\", or "
                              "\"\" for none"));
      }
      c.flows[*cloud] = *from;
    }
  }
  return c;
}

Result<LdapSourceConfig> connector_ldap_config(const Connector& connector) {
  LdapSourceConfig ldap = connector.ldap;
  if (!connector.password_file.empty()) {
    auto password = read_whole_file(connector.password_file);
    if (!password) {
      return failed_precondition("connector '" + connector.name +
                                 "': cannot read its password_file '" + connector.password_file +
                                 "'");
    }
    ldap.password = std::move(*password);
    while (!ldap.password.empty() &&
           (ldap.password.back() == '\n' || ldap.password.back() == '\r')) {
      ldap.password.pop_back();
    }
  } else if (!connector.password_env.empty()) {
    const char* pw = std::getenv(connector.password_env.c_str());
    if (!pw) {
      return failed_precondition("connector '" + connector.name + "': its password_env " +
                                 connector.password_env + " is not set");
    }
    ldap.password = pw;
  }
  return ldap;
}

Status add_tenant_connector(Store& store, const Tenant& tenant, const Connector& connector) {
  UPSYNC_ASSIGN_OR_RETURN(auto connectors, open_connector_store(store));
  return store.in_tenant_turn(tenant.id, [&]() -> Status {
    UPSYNC_ASSIGN_OR_RETURN(auto all, connectors->list(tenant.id));
    if (!all.empty()) {
      return already_exists("tenant '" + tenant.name + "' has connector '" + all.front().name +
                            "'; a tenant syncs from one directory: change it with upsync "
                            "connector set, or remove it first");
    }
    return connectors->add(tenant.id, connector);
  });
}

Result<bool> remove_tenant_connector(Store& store, const Tenant& tenant, std::string_view name) {
  UPSYNC_ASSIGN_OR_RETURN(auto connectors, open_connector_store(store));
  UPSYNC_ASSIGN_OR_RETURN(auto schedules, open_schedule_store(store));
  bool cleared = false;
  UPSYNC_RETURN_IF_ERROR(store.in_tenant_turn(tenant.id, [&]() -> Status {
    cleared = false;  // the body may run again (a retried transaction)
    UPSYNC_RETURN_IF_ERROR(connectors->remove(tenant.id, name));
    if (tenant.kind == TenantKind::kOnline) return Status::ok();
    UPSYNC_ASSIGN_OR_RETURN(auto left, connectors->list(tenant.id));
    if (!left.empty()) return Status::ok();
    UPSYNC_ASSIGN_OR_RETURN(auto every, schedules->get(tenant));
    if (!every) return Status::ok();
    cleared = true;
    return schedules->clear(tenant);
  }));
  return cleared;
}

Result<SyncReport> run_connector(Store& store, const Tenant& tenant, const Connector& connector,
                                 SyncOptions options) {
  UPSYNC_ASSIGN_OR_RETURN(LdapSourceConfig ldap, connector_ldap_config(connector));
  options.attribute_flows = connector.flows;
  options.include_ous = connector.include_ous;
  options.exclude_ous = connector.exclude_ous;
  if (tenant.kind == TenantKind::kServer) {
    UPSYNC_ASSIGN_OR_RETURN(auto entries, read_ldap_entries(ldap));
    std::erase_if(entries, [&](const LdifRecord& e) {
      return (!connector.include_ous.empty() && !dn_within(e.dn, connector.include_ous)) ||
             dn_within(e.dn, connector.exclude_ous);
    });
    return import_server_profiles(store, tenant, entries, options);
  }
  // A changed document (scope, flows) applies to every entry, not only to changed ones: the
  // first run after a change reads everything, as Azure AD Connect asks for a full import.
  const std::string prefix = "connector." + ascii_lower(connector.name);
  const std::string state = prefix + ".document";
  UPSYNC_ASSIGN_OR_RETURN(auto applied, store.source_state(tenant.id, state));
  const bool changed = applied != connector.toml;
  if (changed) options.full = true;
  // A usn or timestamp delta cannot see deletions and moves out of scope: a complete read
  // every full_compare_hours finds them (the delta method that auto picked is remembered).
  const std::string last_complete = prefix + ".last_complete_read";
  const std::string last_method = prefix + ".method";
  std::string compare_note;
  if (!options.full && connector.full_compare_hours > 0 &&
      connector.delta != DeltaMethod::kSyncrepl && connector.delta != DeltaMethod::kNone) {
    UPSYNC_ASSIGN_OR_RETURN(auto method, store.source_state(tenant.id, last_method));
    const bool sees_deletions = connector.delta == DeltaMethod::kAuto && method &&
                                *method == delta_method_name(DeltaMethod::kSyncrepl);
    UPSYNC_ASSIGN_OR_RETURN(auto at, store.source_state(tenant.id, last_complete));
    int64_t since = 0;  // none, or not a number: as long ago as can be
    if (at) std::from_chars(at->data(), at->data() + at->size(), since);
    if (!sees_deletions && unix_now() - since >= int64_t{connector.full_compare_hours} * 3600) {
      options.full = true;
      compare_note = "no complete read in the last " +
                     std::to_string(connector.full_compare_hours) +
                     " hours, and this directory's deltas do not show deletions: everything was "
                     "read and compared";
    }
  }
  UPSYNC_ASSIGN_OR_RETURN(SyncReport report,
                          run_ldap_sync(store, tenant, ldap, connector.delta, options));
  if (changed) report.notes.push_back("the connector's document changed: everything was read");
  if (!compare_note.empty()) report.notes.push_back(compare_note);
  if (!options.dry_run) {
    if (changed) UPSYNC_RETURN_IF_ERROR(store.set_source_state(tenant.id, state, connector.toml));
    const std::string method = report.source_method.substr(0, report.source_method.find(' '));
    UPSYNC_RETURN_IF_ERROR(store.set_source_state(tenant.id, last_method, method));
    if (report.source_method.ends_with(" full")) {
      UPSYNC_RETURN_IF_ERROR(
          store.set_source_state(tenant.id, last_complete, std::to_string(unix_now())));
    }
  }
  return report;
}

}  // namespace upsync
