#include "http/sharepoint_common.h"

#include <uuid/uuid.h>

#include "core/claims.h"
#include "core/text.h"

namespace upsync {

namespace {

// Host name of an origin or URL authority, lower-case, without the port.
std::string host_only(std::string_view authority) {
  size_t colon = authority.rfind(':');
  if (colon != std::string_view::npos && authority.find(']') == std::string_view::npos) {
    authority = authority.substr(0, colon);
  }
  return ascii_lower(authority);
}

// "/tenants/<name>/rest" → {name, "/rest"}; anything else → {"", path}.
std::pair<std::string, std::string_view> split_tenant_prefix(std::string_view path) {
  constexpr std::string_view kTenants = "/tenants/";
  if (path.substr(0, kTenants.size()) != kTenants) return {"", path};
  std::string_view rest = path.substr(kTenants.size());
  size_t slash = rest.find('/');
  std::string name = ascii_lower(rest.substr(0, slash));
  return {name, slash == std::string_view::npos ? std::string_view("/") : rest.substr(slash)};
}

}  // namespace

std::string sp_web_url(const Call& call) { return call.tenant_base + call.match[1].str(); }

std::string sp_service_root(const Call& call) { return sp_web_url(call) + "/_api/"; }

bool sp_is(const ODataSegment& seg, std::string_view name) { return ascii_iequal(seg.name, name); }

Result<std::vector<ODataSegment>> sp_api_segments(const Call& call) {
  std::string_view target = call.req.target;
  target = target.substr(0, target.find('?'));
  std::string lower = ascii_lower(target);
  size_t at = lower.find("/_api/");
  if (at == std::string::npos) {
    // "_api" itself was percent-encoded: fall back to the decoded path.
    std::string_view path = call.path;
    size_t p = ascii_lower(path).find("/_api/");
    if (p == std::string::npos) return not_found("No /_api/ in " + call.req.path + ".");
    std::string escaped;
    for (char c : path.substr(p + 6)) {
      if (c == '%') {
        escaped += "%25";
      } else {
        escaped.push_back(c);
      }
    }
    return parse_odata_path(escaped);
  }
  return parse_odata_path(target.substr(at + 6));
}

Result<nlohmann::json> sp_json_body(const Call& call) {
  if (trim(call.req.body).empty()) return nlohmann::json::object();
  try {
    nlohmann::json j = nlohmann::json::parse(call.req.body);
    if (!j.is_object()) {
      return invalid_argument("The request body must be a JSON object, got a JSON " +
                              std::string(j.type_name()) + ".");
    }
    return j;
  } catch (const nlohmann::json::parse_error& e) {
    // e.what() is "[json.exception.parse_error.101] parse error at line 1, column 9: ...".
    std::string what = e.what();
    size_t at = what.find("] ");
    return invalid_argument("The request body is not valid JSON (byte " + std::to_string(e.byte) +
                            "): " + (at == std::string::npos ? what : what.substr(at + 2)));
  }
}

Result<std::string> sp_string_member(const nlohmann::json& body, std::string_view name) {
  auto it = body.find(std::string(name));
  if (it == body.end() || it->is_null()) {
    return invalid_argument("The request body has no '" + std::string(name) + "'.");
  }
  if (!it->is_string()) {
    return invalid_argument("'" + std::string(name) +
                            "' in the request body must be a string, got " +
                            std::string(it->type_name()) + ".");
  }
  return it->get<std::string>();
}

Result<SpQuery> sp_query(Call& call, const SpSchema& schema) {
  auto q = sp_parse_query(call.req.params, schema);
  if (!q) call.error_code = std::string(query_option_error_code(Surface::kSharePoint));
  return q;
}

Status sp_write_collection(Call& call, const SpSchema& schema, const ODataEntity& e,
                           std::vector<nlohmann::json> items) {
  UPSYNC_ASSIGN_OR_RETURN(SpQuery q, sp_query(call, schema));
  SpPage page = sp_apply(q, schema, std::move(items));
  std::string next;
  if (!page.next_skiptoken.empty()) {
    // The same request with the next page's token, as SharePoint links it.
    std::string target = call.req.target.substr(0, call.req.target.find('?'));
    next = call.origin + target + "?";
    for (const auto& [key, value] : call.req.params) {
      if (key == "$skiptoken") continue;
      next += url_encode(key) + "=" + url_encode(value) + "&";
    }
    next += url_encode("$skiptoken") + "=" + url_encode(page.next_skiptoken);
  }
  write_odata_collection(call.req, call.res, e, std::move(page.items), next);
  return Status::ok();
}

Status sp_write_entity(Call& call, const SpSchema& schema, const ODataEntity& e,
                       nlohmann::json neutral) {
  UPSYNC_RETURN_IF_ERROR(only_query_options(call, {"$select"}));
  UPSYNC_ASSIGN_OR_RETURN(SpQuery q, sp_query(call, schema));
  write_odata_entity(call.req, call.res, e, sp_project(std::move(neutral), q.select));
  return Status::ok();
}

Status sp_not_supported(Call& call, std::string_view what, std::string_view why) {
  write_error(call.req, call.res, Surface::kSharePoint,
              failed_precondition("upsync does not support " + std::string(what) + ": " +
                                  std::string(why)));
  call.res.status = 501;
  return Status::ok();
}

Status sp_wrong_method(Call& call, std::string message) {
  write_error(call.req, call.res, Surface::kSharePoint, failed_precondition(std::move(message)));
  call.res.status = 405;
  return Status::ok();
}

Result<TenantUrl> sp_resolve_url(const Call& call, std::string_view url) {
  url = trim(url);
  TenantUrl out;
  std::string_view path = url;
  bool same_server = true;
  for (std::string_view scheme : {"https://", "http://"}) {
    if (ascii_lower(url.substr(0, scheme.size())) != scheme) continue;
    std::string_view rest = url.substr(scheme.size());
    size_t slash = rest.find('/');
    std::string_view authority = rest.substr(0, slash);
    if (!valid_url_host(authority)) {
      return invalid_argument("'" + quote_for_message(url) + "': the host '" +
                              quote_for_message(authority) +
                              "' is not a host name (letters, digits, '.', '-' and a port).");
    }
    std::string host = host_only(authority);
    path = slash == std::string_view::npos ? std::string_view("/") : rest.substr(slash);
    std::string own = host_only(call.req.get_header_value("Host"));
    if (host != own) {
      same_server = false;
      // The tenant's own hosts: contoso.sharepoint.com, and contoso[-admin|-my].<domain>.
      std::string label = host.substr(0, host.find('.'));
      const std::string& t = call.tenant.name;
      out.in_tenant = host == tenant_host(call.tenant) ||
                      (host.find('.') != std::string::npos &&
                       (label == t || label == t + "-admin" || label == t + "-my"));
    }
    break;
  }
  if (path.empty() || path.front() != '/') {
    return invalid_argument("'" + quote_for_message(url) +
                            "' is neither server-relative (/sites/...) nor an absolute URL.");
  }
  auto [prefix_tenant, rest] = split_tenant_prefix(path);
  if (same_server) {
    out.in_tenant = prefix_tenant.empty() || prefix_tenant == call.tenant.name;
    if (!out.in_tenant) out.other_tenant = prefix_tenant;
  }
  out.server_relative = std::string(rest);
  return out;
}

Result<FileUrl> sp_file_url(const Call& call, std::string_view decoded) {
  UPSYNC_ASSIGN_OR_RETURN(TenantUrl where, sp_resolve_url(call, decoded));
  if (!where.in_tenant) {
    return invalid_argument("'" + quote_for_message(decoded) + "' is not in tenant '" +
                            call.tenant.name + "'.");
  }
  // The text was decoded already (an OData literal): the door decodes nothing more.
  return parse_decoded_file_url(where.server_relative);
}

Status sp_user_not_found(std::string_view account) {
  return not_found("The specified user " + std::string(account) + " could not be found.");
}

// A profile by the account name a client sent: a claim (i:0#.f|membership|upn), a UPN or
// work email, or DOMAIN\user (SharePoint Server's Windows accounts).
Result<Profile> sp_find_account(Call& call, std::string_view account) {
  account = trim(account);
  if (account.empty()) return invalid_argument("The account name is empty.");
  std::optional<ProfileKey> key;
  // Claim-shaped text goes to the claims parser, whose reason a malformed one gets as a 400:
  // besides looks_like_claim()'s "i:"/"c:", a letter and ':' (a mistyped issuer, "x:0#.f|")
  // or a '|' anywhere (a claim missing its start): neither is in a UPN, and a lookup as one
  // would answer "could not be found" for what is an error in the name.
  const bool claim_shaped = looks_like_claim(account) ||
                            account.find('|') != std::string_view::npos ||
                            (account.size() >= 2 && account[1] == ':' &&
                             ((account[0] | 0x20) >= 'a' && (account[0] | 0x20) <= 'z'));
  if (claim_shaped) {
    auto claim = parse_claim(account);
    if (!claim) {
      return invalid_argument("The account name '" + quote_for_message(account) +
                              "' is not a valid claim: " + claim.status().message());
    }
    key = ProfileKey{ProfileKeyKind::kAccountName, format_claim(*claim)};
  } else if (account.find('\\') != std::string_view::npos) {
    Claim claim = windows_user(account);
    if (Status st = validate_claim(claim); !st.is_ok()) {
      return invalid_argument("The account name '" + quote_for_message(account) +
                              "' is not DOMAIN\\user: " + st.message());
    }
    key = ProfileKey{ProfileKeyKind::kAccountName, format_claim(claim)};
  }
  if (key) {
    auto p = call.store.profile(call.tenant.id, *key);
    if (!p && p.status().code() == StatusCode::kNotFound) return sp_user_not_found(account);
    return p;
  }
  for (ProfileKeyKind kind : {ProfileKeyKind::kPrincipalName, ProfileKeyKind::kEmail}) {
    auto p = call.store.profile(call.tenant.id, {kind, std::string(account)});
    if (p || p.status().code() != StatusCode::kNotFound) return p;
  }
  return sp_user_not_found(account);
}

Result<Profile> sp_own_profile(Call& call, const Principal& who) {
  if (who.role == Role::kApp || who.upn.empty()) {
    return not_found("an app has no profile");
  }
  auto p = call.store.profile(call.tenant.id, {ProfileKeyKind::kPrincipalName, who.upn});
  if (p || p.status().code() != StatusCode::kNotFound) return p;
  const std::string account = format_claim(membership_user(who.upn));
  p = call.store.profile(call.tenant.id, {ProfileKeyKind::kAccountName, account});
  if (p || p.status().code() != StatusCode::kNotFound || !call.tenant.education) return p;
  // Seed 002: in an education tenant the first access makes a stub profile, which the next
  // sync fills (stage 2 finds it by its account name).
  std::vector<PropertyChange> stub = {{"UserName", {who.upn}},
                                      {"SPS-UserPrincipalName", {who.upn}}};
  if (!who.display_name.empty()) stub.push_back({"PreferredName", {who.display_name}});
  auto created = call.store.create_profile(call.tenant.id, account, stub);
  if (!created && created.status().code() == StatusCode::kAlreadyExists) {
    return call.store.profile(call.tenant.id, {ProfileKeyKind::kAccountName, account});
  }
  return created;
}

bool sp_is_own_profile(const Principal& who, const Profile& p) {
  if (who.role == Role::kApp || who.upn.empty()) return false;
  if (ascii_iequal(p.first("SPS-UserPrincipalName"), who.upn)) return true;
  auto claim = parse_claim(p.account_name);
  return claim && ascii_iequal(claim->value, who.upn);
}

std::string sp_effective_method(const Call& call) {
  std::string tunnel = call.req.get_header_value("X-HTTP-Method");
  if (call.req.method != "POST" || tunnel.empty()) return call.req.method;
  std::string upper;
  for (char c : tunnel)
    upper.push_back(static_cast<char>(std::toupper(static_cast<unsigned char>(c))));
  return upper;
}

std::string sp_name_guid(std::string_view name) {
  // The URL namespace of RFC 4122 appendix C.
  static const uuid_t kUrlNamespace = {0x6b, 0xa7, 0xb8, 0x11, 0x9d, 0xad, 0x11, 0xd1,
                                       0x80, 0xb4, 0x00, 0xc0, 0x4f, 0xd4, 0x30, 0xc8};
  uuid_t out;
  uuid_generate_sha1(out, kUrlNamespace, name.data(), name.size());
  char text[37];
  uuid_unparse_lower(out, text);
  return text;
}

}  // namespace upsync
