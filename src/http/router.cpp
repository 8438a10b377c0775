#include "http/router.h"

#include <nlohmann/json.hpp>

#include "auth/access_token.h"
#include "auth/credentials.h"
#include "core/clock.h"
#include "core/text.h"
#include "http/browser_session.h"
#include "http/oauth_routes.h"

namespace upsync {

namespace {

bool is_ip_literal(std::string_view host) {
  if (!host.empty() && host.front() == '[') return true;  // IPv6
  for (char c : host) {
    if (!(std::isdigit(static_cast<unsigned char>(c)) || c == '.')) return false;
  }
  return true;
}

// The tenant name a host name implies: "contoso" for contoso.example.com and
// contoso-admin.example.com; nothing for an IP address or a single label.
std::vector<std::string> tenant_names_from_host(std::string_view host) {
  size_t colon = host.rfind(':');
  if (colon != std::string_view::npos && host.find(']') == std::string_view::npos) {
    host = host.substr(0, colon);
  }
  if (is_ip_literal(host)) return {};
  size_t dot = host.find('.');
  if (dot == std::string_view::npos) return {};
  std::string label = ascii_lower(host.substr(0, dot));
  std::vector<std::string> out = {label};
  constexpr std::string_view kAdmin = "-admin";
  if (label.size() > kAdmin.size() && label.ends_with(kAdmin)) {
    out.push_back(label.substr(0, label.size() - kAdmin.size()));
  }
  return out;
}

std::string bearer_token(const HttpRequest& req) {
  std::string auth = req.get_header_value("Authorization");
  constexpr std::string_view kBearer = "bearer ";
  if (auth.size() > kBearer.size() && ascii_iequal(auth.substr(0, kBearer.size()), kBearer)) {
    return std::string(trim(std::string_view(auth).substr(kBearer.size())));
  }
  return "";
}

bool wants_verbose(const HttpRequest& req) {
  return ascii_lower(req.get_header_value("Accept")).find("odata=verbose") != std::string::npos;
}

std::string sharepoint_code(const Status& s) {
  switch (s.code()) {
    case StatusCode::kInvalidArgument:
      return "-2147024809, System.ArgumentException";
    case StatusCode::kUnauthenticated:
    case StatusCode::kPermissionDenied:
      return "-2147024891, System.UnauthorizedAccessException";
    case StatusCode::kNotFound:
    case StatusCode::kAlreadyExists:
    case StatusCode::kFailedPrecondition:
      return "-2146232832, Microsoft.SharePoint.SPException";
    default:
      return "-1, System.InvalidOperationException";
  }
}

std::string graph_code(const Status& s) {
  switch (s.code()) {
    case StatusCode::kInvalidArgument:
      return "Request_BadRequest";
    case StatusCode::kUnauthenticated:
      return "InvalidAuthenticationToken";
    case StatusCode::kPermissionDenied:
      return "Authorization_RequestDenied";
    case StatusCode::kNotFound:
      return "Request_ResourceNotFound";
    case StatusCode::kAlreadyExists:
    case StatusCode::kFailedPrecondition:
      return "Request_BadRequest";
    case StatusCode::kUnavailable:
    case StatusCode::kAborted:
      return "serviceNotAvailable";
    default:
      return "generalException";
  }
}

// The longest run of plain characters that every match of `pattern` contains, lower-cased:
// taken outside groups only, and none when the pattern has a top-level alternative. A route
// whose literal is not in the path is passed over without running its regex.
std::string required_literal(std::string_view pattern) {
  std::string best;
  std::string run;
  int depth = 0;
  auto end_run = [&] {
    if (run.size() > best.size()) best = run;
    run.clear();
  };
  for (size_t i = 0; i < pattern.size(); ++i) {
    char c = pattern[i];
    bool quantified = i + 1 < pattern.size() &&
                      (pattern[i + 1] == '?' || pattern[i + 1] == '*' || pattern[i + 1] == '{');
    if (c == '\\' && i + 1 < pattern.size()) {
      char e = pattern[++i];
      quantified = i + 1 < pattern.size() &&
                   (pattern[i + 1] == '?' || pattern[i + 1] == '*' || pattern[i + 1] == '{');
      if (depth == 0 && !quantified && std::ispunct(static_cast<unsigned char>(e))) {
        run.push_back(e);
      } else {
        end_run();
      }
      continue;
    }
    if (c == '(') ++depth;
    if (c == ')') --depth;
    if (c == '|' && depth == 0) return "";
    if (c == '[') {  // a class: skip to its end
      while (i + 1 < pattern.size() && pattern[i + 1] != ']') i += pattern[i + 1] == '\\' ? 2 : 1;
      ++i;
      end_run();
      continue;
    }
    if (depth == 0 && !quantified &&
        std::string_view(".()*+?{}^$|").find(c) == std::string_view::npos) {
      run.push_back(static_cast<char>(std::tolower(static_cast<unsigned char>(c))));
    } else {
      end_run();
    }
  }
  end_run();
  return best;
}

bool contains_lowered(std::string_view haystack_lower, std::string_view needle_lower) {
  return needle_lower.empty() || haystack_lower.find(needle_lower) != std::string_view::npos;
}

// The first '$' parameter of `req` that `applied` does not name (compared as spelled: a
// handler reads "$select", so "$Select" would be ignored), or that is given twice (a handler
// reads the first): the message refusing it, or "" when every one is applied.
template <typename Names>
std::string refused_query_option(const HttpRequest& req, const Names& applied) {
  std::string_view previous;
  for (const auto& [key, value] : req.params) {
    if (!key.starts_with('$')) continue;
    if (key == previous) {
      return "The query option '" + quote_for_message(key, 40) + "' is given more than once.";
    }
    previous = key;
    bool ok = false;
    for (const auto& a : applied) ok = ok || key == a;
    if (ok) continue;
    std::string served;
    for (const auto& a : applied) served += (served.empty() ? "" : ", ") + std::string(a);
    return "The query option '" + quote_for_message(key, 40) + "' is not supported on " + req.path +
           (served.empty() ? "; it takes no query option." : "; it applies " + served + ".");
  }
  return "";
}

}  // namespace

int http_status_for(const Status& status) {
  switch (status.code()) {
    case StatusCode::kOk:
      return 200;
    case StatusCode::kInvalidArgument:
      return 400;
    case StatusCode::kUnauthenticated:
      return 401;
    case StatusCode::kPermissionDenied:
      return 403;
    case StatusCode::kNotFound:
      return 404;
    case StatusCode::kAlreadyExists:
    case StatusCode::kFailedPrecondition:
      return 409;
    case StatusCode::kUnavailable:
    case StatusCode::kAborted:  // a conflict with a concurrent writer: retry later
      return 503;
    case StatusCode::kDataLoss:
    case StatusCode::kInternal:
      return 500;
  }
  return 500;
}

void write_json(HttpResponse& res, int http_status, const nlohmann::json& body,
                std::string_view content_type) {
  res.status = http_status;
  res.set_content(body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace),
                  std::string(content_type));
}

Result<nlohmann::json> json_body(const HttpRequest& req) {
  if (trim(req.body).empty()) return nlohmann::json::object();
  try {
    return nlohmann::json::parse(req.body);
  } catch (const nlohmann::json::parse_error& e) {
    // e.byte is 1-based; give line and column too, as editors count them.
    size_t line = 1, column = 1;
    for (size_t i = 0; i + 1 < e.byte && i < req.body.size(); ++i) {
      if (req.body[i] == '\n') {
        ++line;
        column = 1;
      } else {
        ++column;
      }
    }
    std::string what = e.what();
    size_t colon = what.find(": ", what.find("parse error"));
    return invalid_argument("request body: invalid JSON at line " + std::to_string(line) +
                            ", column " + std::to_string(column) + " (byte " +
                            std::to_string(e.byte) + ")" +
                            (colon == std::string::npos ? "" : ": " + what.substr(colon + 2)));
  }
}

void write_graph_error(const HttpRequest& req, HttpResponse& res, int http_status,
                       std::string_view code, std::string_view message) {
  std::string request_id = new_guid();
  std::string client_request_id = req.get_header_value("client-request-id");
  nlohmann::json inner = {{"date", utc_now_iso().substr(0, 19)}, {"request-id", request_id}};
  inner["client-request-id"] = client_request_id.empty() ? request_id : client_request_id;
  res.set_header("request-id", request_id);
  write_json(
      res, http_status,
      {{"error",
        {{"code", std::string(code)}, {"message", std::string(message)}, {"innerError", inner}}}});
}

std::string_view query_option_error_code(Surface surface) {
  switch (surface) {
    case Surface::kSharePoint:
      return "-1, Microsoft.SharePoint.Client.InvalidClientQueryException";
    case Surface::kGraph:
      return "Request_UnsupportedQuery";
    default:
      return "";  // the code of InvalidArgument
  }
}

Status only_query_options(Call& call, std::initializer_list<std::string_view> applied) {
  std::string refused = refused_query_option(call.req, applied);
  if (refused.empty()) return Status::ok();
  call.error_code = std::string(query_option_error_code(call.surface));
  return invalid_argument(std::move(refused));
}

void write_error(const HttpRequest& req, HttpResponse& res, Surface surface, const Status& status,
                 std::string_view code) {
  int http = http_status_for(status);
  if (http == 401) {
    res.set_header("WWW-Authenticate",
                   "Bearer realm=\"upsync\", error=\"invalid_token\", error_description=\"" +
                       status.message() + "\"");
  }
  switch (surface) {
    case Surface::kSharePoint: {
      nlohmann::json error = {{"code", code.empty() ? sharepoint_code(status) : std::string(code)},
                              {"message", {{"lang", "en-US"}, {"value", status.message()}}}};
      if (wants_verbose(req)) {
        write_json(res, http, {{"error", error}}, "application/json;odata=verbose;charset=utf-8");
      } else {
        write_json(res, http, {{"odata.error", error}},
                   "application/json;odata=minimalmetadata;charset=utf-8");
      }
      return;
    }
    case Surface::kGraph:
      write_graph_error(req, res, http, code.empty() ? graph_code(status) : std::string(code),
                        status.message());
      return;
    case Surface::kOAuth:
      // Azure AD answers an unknown tenant (AADSTS90002) with 400, not 404.
      write_json(res, http == 404 ? 400 : http, oauth_error_body(status));
      return;
    case Surface::kAdmin:
    case Surface::kPlain:
      write_json(res, http,
                 {{"error",
                   {{"code", std::string(code.empty() ? status_code_name(status.code()) : code)},
                    {"message", status.message()}}}});
      return;
  }
}

Result<Principal> Call::caller() const {
  if (!principal) {
    return unauthenticated("this request needs a bearer token (Authorization: Bearer ...) from " +
                           origin + "/" + tenant.name +
                           "/oauth2/v2.0/token, or the session cookie of a signed-in browser");
  }
  return *principal;
}

Result<const ProfileSchema*> Call::read_schema() {
  if (!schema_read) {
    UPSYNC_ASSIGN_OR_RETURN(schema_read, store.shared_schema(tenant.id));
  }
  return schema_read.get();
}

void Router::add(std::string method, std::string pattern, Surface surface, Access access,
                 Handler handler, QueryOptions options, BodyPlanner planner) {
  std::string literal = required_literal(pattern);
  std::regex regex(pattern, std::regex::ECMAScript | std::regex::icase);
  routes_.push_back({std::move(method), std::move(pattern), std::move(literal), std::move(regex),
                     surface, access, std::move(handler), false, std::move(options),
                     std::move(planner)});
}

void Router::add_tenant_in_path(std::string method, std::string pattern, Surface surface,
                                Handler handler) {
  std::string literal = required_literal(pattern);
  std::regex regex(pattern, std::regex::ECMAScript | std::regex::icase);
  routes_.push_back({std::move(method),
                     std::move(pattern),
                     std::move(literal),
                     std::move(regex),
                     surface,
                     Access::kPublic,
                     std::move(handler),
                     true,
                     {},
                     nullptr});
}

std::vector<RouteInfo> Router::routes() const {
  std::vector<RouteInfo> out;
  for (const auto& r : routes_) {
    out.push_back({r.method, r.source, r.surface, r.access, r.tenant_in_path, r.query_options});
  }
  return out;
}

void Router::dispatch(ServerContext& server, const HttpRequest& req, HttpResponse& res) const {
  resolve(server, req, res, nullptr);
}

void Router::plan_body(ServerContext& server, const HttpRequest& req, BodyPlan& plan) const {
  auto answer = std::make_unique<HttpResponse>();
  resolve(server, req, *answer, &plan);
  // Planning writes nothing unless it refuses.
  if (answer->status != 200 || !answer->body.empty()) {
    plan.sink.reset();
    plan.answer = std::move(answer);
  }
}

void Router::resolve(ServerContext& server, const HttpRequest& req, HttpResponse& res,
                     BodyPlan* plan) const {
  // Find the route first (on the path with and without a /tenants/<name> prefix), so that an
  // unknown path is a 404 whatever the tenant.
  std::string path = req.path;
  std::string path_tenant;
  constexpr std::string_view kTenants = "/tenants/";
  if (path.starts_with(kTenants) && path.size() > kTenants.size() && path[kTenants.size()] != '/') {
    size_t slash = path.find('/', kTenants.size());
    path_tenant = path.substr(kTenants.size(), slash - kTenants.size());
    path = slash == std::string::npos ? "/" : path.substr(slash);
  }

  const Route* route = nullptr;
  std::string allowed;  // the methods of the routes whose pattern matches, for a 405
  std::smatch match;
  Surface surface = Surface::kPlain;
  const std::string path_lower = ascii_lower(path);
  const std::string full_lower = ascii_lower(req.path);
  for (const auto& r : routes_) {
    const std::string& subject = r.tenant_in_path ? req.path : path;
    if (!contains_lowered(r.tenant_in_path ? full_lower : path_lower, r.literal)) continue;
    std::smatch m;
    if (!std::regex_match(subject, m, r.pattern)) continue;
    if (r.method != req.method) {
      if (allowed.find(r.method) == std::string::npos) {
        allowed += (allowed.empty() ? "" : ", ") + r.method;
        if (r.method == "GET") allowed += ", HEAD";
      }
      surface = r.surface;
      continue;
    }
    route = &r;
    match = std::move(m);
    surface = r.surface;
    break;
  }
  if (path.find("/_api/") != std::string::npos) surface = Surface::kSharePoint;
  // Planning concerns only routes that stream; the others are answered once the body is in.
  if (plan && (!route || !route->planner)) return;
  if (!route) {
    if (!allowed.empty()) {
      res.set_header("Allow", allowed);
      write_error(req, res, surface,
                  Status(StatusCode::kFailedPrecondition,
                         "The HTTP method " + req.method + " is not allowed on " + req.path + "."));
      res.status = 405;
    } else {
      write_error(req, res, surface,
                  not_found("Cannot find resource for the request " + req.path + "."));
    }
    return;
  }

  // Only a Host the server owns reaches the URLs it writes (public_hosts.h).
  const std::string host_header = req.get_header_value("Host");
  std::optional<std::string> public_origin = server.public_hosts.origin_for(host_header);
  if (!public_origin) {
    std::string message =
        "The Host header '" + host_header + "' names none of this server's public hosts (" +
        server.public_hosts.describe() + "); serve with --public-host <name> to answer to another.";
    if (surface == Surface::kOAuth) {
      // AADSTS90023: InvalidRequest, "The authentication service request isn't valid."
      write_json(res, 400, aad_error("invalid_request", 90023, message));
    } else {
      write_error(req, res, surface, invalid_argument(message));
    }
    return;
  }
  const std::string& origin = *public_origin;
  const std::string host = origin.substr(origin.find("://") + 3);

  auto store = server.thread_store();
  if (!store) {
    write_error(req, res, surface, unavailable(store.status().message()));
    return;
  }

  // Which tenant, and who is calling.
  std::string token = bearer_token(req);
  std::optional<nlohmann::json> claims;
  if (!token.empty()) {
    auto verified = server.signer->verify(token, unix_now());
    if (!verified) {
      write_error(req, res, surface, verified.status());
      return;
    }
    claims = std::move(*verified);
  }

  // The rest reads the store several times (tenant, app, the handler's reads): a GET reads
  // them all from one snapshot. An error answer is written where it is found; the lambda's
  // Status is a failure of the snapshot itself.
  std::optional<std::pair<Tenant, BrowserSession>> session_used;
  auto route_call = [&]() -> Status {
    std::string tenant_name;
    std::string tenant_base = origin;
    if (route->tenant_in_path) {
      tenant_name = match[1].str();
    } else if (!path_tenant.empty()) {
      tenant_name = path_tenant;
      tenant_base = origin + "/tenants/" + path_tenant;
    } else {
      for (const auto& candidate : tenant_names_from_host(host)) {
        if ((*store)->tenant(candidate)) {
          tenant_name = candidate;
          break;
        }
      }
      if (tenant_name.empty() && claims) tenant_name = claims->value("tid", "");
    }
    if (tenant_name.empty()) {
      write_error(req, res, surface,
                  not_found("No tenant in the request: address one as /tenants/<name>/..., by "
                            "host name (<name>.example.com), or send a token issued by one."));
      return Status::ok();
    }
    auto tenant = (*store)->tenant(ascii_lower(tenant_name));
    if (!tenant) {
      write_error(req, res, surface,
                  tenant.status().code() == StatusCode::kNotFound
                      ? not_found("No tenant named '" + tenant_name + "'.")
                      : tenant.status());
      return Status::ok();
    }

    Call call{req,          res,    server,       **store, std::move(*tenant),
              std::nullopt, origin, tenant_base,  path,    std::move(match),
              surface,      {},     std::nullopt, {}};
    if (claims && !route->tenant_in_path) {
      auto principal = principal_from_claims(
          **store, call.tenant, *claims, server.public_hosts.tenant_origins(call.tenant.name),
          server.thread_credentials ? &server.thread_credentials() : nullptr);
      if (!principal) {
        write_error(req, res, surface, principal.status());
        return Status::ok();
      }
      call.principal = std::move(*principal);
    }
    if (!claims && !route->tenant_in_path && route->access != Access::kSignIn) {
      Status session = attach_session_caller(call);
      if (!session.is_ok()) {
        write_error(req, res, surface, session);
        return Status::ok();
      }
      if (call.session) session_used.emplace(call.tenant, *call.session);
    }
    if (route->access == Access::kSignedIn && !call.principal) {
      write_error(req, res, surface, call.caller().status());
      return Status::ok();
    }
    // After the caller is known, so that an anonymous request is still a 401 whatever it asks.
    if (std::string refused = refused_query_option(req, route->query_options); !refused.empty()) {
      write_error(req, res, surface, invalid_argument(std::move(refused)),
                  query_option_error_code(surface));
      return Status::ok();
    }
    if (plan) {
      auto sink = route->planner(call);
      if (!sink) {
        write_error(req, res, surface, sink.status());
      } else {
        plan->sink = std::move(*sink);
      }
      return Status::ok();
    }
    Status st = route->handler(call);
    if (!st.is_ok()) write_error(req, res, surface, st, call.error_code);
    return Status::ok();
  };
  Status st = req.method == "GET" ? (*store)->read_snapshot(route_call) : route_call();
  if (!st.is_ok()) write_error(req, res, surface, st);
  // After the snapshot (a GET's reads write nothing): the session's idle clock.
  if (session_used) {
    Status touched = touch_session_if_stale(**store, session_used->first, session_used->second,
                                            server.session_policy);
    if (!touched.is_ok()) write_error(req, res, surface, touched);
  }
}

}  // namespace upsync
