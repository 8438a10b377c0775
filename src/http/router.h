// How `upsync serve` finds the tenant, the caller and the handler of a request.
//
// Every request goes through Router::dispatch:
//   0. the Host: one of the server's public hosts (public_hosts.h), else 400; every URL the
//      handlers write starts with the origin it names;
//   1. the tenant: a path prefix /tenants/<name>/... (one host serving all tenants), else the
//      host name's first label (<name>.example.com or SharePoint's <name>-admin.example.com),
//      else the tenant a bearer token was issued for (Graph style: one host, many tenants);
//   2. the caller: "Authorization: Bearer <jwt>" checked against the server's signing key,
//      issued for that tenant and one of its resources (aud), and checked against the store
//      (access_token.h: the app or the person's password still there, the token's generation
//      current, the role the store's), through the thread's CredentialCache, so a change
//      reaches every request within its bound. Without a bearer token, the session cookie of
//      upsync's pages (browser_session.h) names the caller instead: the same Principal as a
//      bearer token of that person, from a live server-side session whose token generation is
//      still the person's; a write with the cookie must carry the session's CSRF token
//      (X-RequestDigest) or is refused with 403 before any handler runs. A bearer token, when
//      present, always wins: the cookie is then not read, so it neither weakens nor widens
//      bearer auth, and clients that send tokens never meet the CSRF rule. Routes marked
//      kSignedIn refuse a request without a caller (401 with WWW-Authenticate);
//   3. the route: the first whose method matches and whose regex (case-insensitive, as
//      SharePoint treats method names) matches the percent-decoded path after the tenant
//      prefix. A path that matches with another method is a 405.
//   4. the OData query options: every parameter whose name starts with '$' must be one the
//      route declares (spelled as declared, once), else 400 in the surface's words before the
//      handler runs (SharePoint's InvalidClientQueryException, Graph's
//      Request_UnsupportedQuery, the admin API's InvalidArgument): an option is applied or
//      refused, never ignored. A route declared without options takes none.
// A handler returns a Status; an error is answered in the route's surface's own shape
// (SharePoint's odata.error, Graph's error, Azure AD's token error, the admin API's) with the
// HTTP status of its code: InvalidArgument 400, Unauthenticated 401, PermissionDenied 403,
// NotFound 404, AlreadyExists/FailedPrecondition 409, Unavailable 503, else 500.
#pragma once

#include <functional>
#include <initializer_list>
#include <memory>
#include <optional>
#include <regex>
#include <string>
#include <string_view>
#include <vector>

#include "auth/browser_sign_in.h"
#include "auth/credential_cache.h"
#include "auth/hash_pool.h"
#include "auth/principal.h"
#include "auth/sign_in_throttle.h"
#include "auth/token_signer.h"
#include "core/status.h"
#include "core/tenant.h"
#include "http/http_message.h"
#include "http/public_hosts.h"
#include "store/store.h"

namespace upsync {

enum class Surface { kSharePoint, kGraph, kAdmin, kOAuth, kPlain };
// kSignIn: public, and the session cookie is not read: the sign-in form's own routes, which
// replace the session (a form post there carries no CSRF header, and needs none: it proves
// itself with the form's own token, authorize_routes.cpp).
enum class Access { kPublic, kSignedIn, kSignIn };

// What every handler may use: fixed once the server starts, shared by all threads.
struct ServerContext {
  std::string data_dir;
  bool tls = false;
  // The largest file a client may store (--max-file-size; seed 003's import takes 2 GB), and
  // how long an upload session may sit idle before it is removed (--upload-expiry).
  uint64_t max_file_bytes = uint64_t{2} * 1024 * 1024 * 1024;
  int64_t upload_expiry_seconds = 3600;
  std::unique_ptr<TokenSigner> signer;
  int64_t token_lifetime_seconds = 3599;  // Azure AD's expires_in
  // The calling thread's own Store (SQLite connections are not shared between threads).
  std::function<Result<Store*>()> thread_store;
  // The calling thread's own CredentialCache (a request thread's, beside its Store).
  std::function<CredentialCache&()> thread_credentials;
  // The Host names the server answers to; the port of the listen address is set once bound.
  PublicHosts public_hosts;
  // Password sign-in: hashing off the request loops, and smart lockout (oauth_routes.cpp).
  std::unique_ptr<HashPool> sign_in_pool;
  std::unique_ptr<SignInThrottle> sign_in_throttle;
  // Work that waits on a directory server (a sync run, a connection test), off the request
  // loops (answer_later.h): runs of two tenants at once, more queued.
  std::unique_ptr<HashPool> directory_pool;
  // Answers one request of a batch through the router, as if it had come alone, and writes it
  // to the access log with `part`, its id in the batch (batch.h); set by the server.
  std::function<void(const HttpRequest&, HttpResponse&, std::string_view part)> dispatch_part;
  // The cookie sessions of upsync's pages (browser_session.h).
  SessionPolicy session_policy;
};

// One request on its way through a handler.
struct Call {
  const HttpRequest& req;
  HttpResponse& res;
  ServerContext& server;
  Store& store;
  Tenant tenant;
  std::optional<Principal> principal;  // set for kSignedIn routes
  std::string origin;                  // "https://host:port": the public host the Host header named
  std::string tenant_base;  // origin, plus "/tenants/<name>" when the tenant came by path
  std::string path;         // percent-decoded path after the tenant prefix
  std::smatch match;        // the route's captures, on `path`
  Surface surface = Surface::kPlain;
  // When set, the error a handler returns is answered with this code of the surface instead of
  // the one its StatusCode maps to (e.g. SharePoint's InvalidClientQueryException).
  std::string error_code;
  // The session, when the caller came by the pages' session cookie rather than a bearer token.
  std::optional<BrowserSession> session;

  // The principal, or Unauthenticated (for handlers of kPublic routes that need one).
  Result<Principal> caller() const;

  // The tenant's profile schema as this call first read it, read once per call: for what a
  // call reads many times (the policies of each profile or user it answers with). A handler
  // that changes the schema reads it from the store instead.
  Result<const ProfileSchema*> read_schema();

  std::shared_ptr<const ProfileSchema> schema_read;  // read_schema()'s
};

using Handler = std::function<Status(Call&)>;
// A route that takes a file's content plans its body from the headers (http_server.h): with the
// caller known and checked, it refuses the request (an error: answered at once, the body
// unread) or returns where the body goes (nullptr: kept in memory under --max-body). The
// handler then finds the sink in call.req.body_sink.
using BodyPlanner = std::function<Result<std::shared_ptr<BodySink>>(Call&)>;

// The OData system query options a route's handler applies: {"$select", "$filter", ...}.
using QueryOptions = std::vector<std::string>;

// A route as registered, for tools and tests that walk the route table.
struct RouteInfo {
  std::string method;
  std::string pattern;  // the regex as given to Router::add
  Surface surface;
  Access access;
  bool tenant_in_path;
  QueryOptions query_options;
};

// The error code of a refused query option in `surface`'s words ("Request_UnsupportedQuery").
std::string_view query_option_error_code(Surface surface);
// For handlers of a route that serves several resources, some of which apply fewer options
// than the route declares: InvalidArgument naming the first '$' option of the request not in
// `applied`, after setting call.error_code so that it is answered as the router answers one.
Status only_query_options(Call& call, std::initializer_list<std::string_view> applied);

class Router {
 public:
  // `pattern` is an ECMAScript regex matched against the whole path after the tenant prefix;
  // `options` the OData query options the handler applies (none by default); `planner`, for a
  // route that takes a file's content, where its body goes.
  void add(std::string method, std::string pattern, Surface surface, Access access, Handler handler,
           QueryOptions options = {}, BodyPlanner planner = nullptr);
  // Routes that carry the tenant in their first path segment (/{tenant}/oauth2/v2.0/token):
  // the first capture of `pattern` (on the full path) names the tenant.
  void add_tenant_in_path(std::string method, std::string pattern, Surface surface,
                          Handler handler);
  void dispatch(ServerContext& server, const HttpRequest& req, HttpResponse& res) const;
  // The engine's body planner: for a route with a BodyPlanner, steps 0 to 2 above and the
  // planner, on the headers alone; any refusal becomes plan.answer.
  void plan_body(ServerContext& server, const HttpRequest& req, BodyPlan& plan) const;
  // The route table, in matching order.
  std::vector<RouteInfo> routes() const;

 private:
  struct Route {
    std::string method;
    std::string source;   // the pattern as given
    std::string literal;  // lower case; every path the pattern matches contains it
    std::regex pattern;
    Surface surface;
    Access access;
    Handler handler;
    bool tenant_in_path;
    QueryOptions query_options;
    BodyPlanner planner;
  };
  // dispatch, or (with `plan`) plan_body.
  void resolve(ServerContext& server, const HttpRequest& req, HttpResponse& res,
               BodyPlan* plan) const;
  std::vector<Route> routes_;
};

int http_status_for(const Status& status);

// Writes `status` as an error in the shape of `surface` (verbose SharePoint answers when the
// request's Accept asks for odata=verbose); `code`, when given, replaces the surface's code
// for the status.
void write_error(const HttpRequest& req, HttpResponse& res, Surface surface, const Status& status,
                 std::string_view code = {});
// Graph's error shape with an explicit code (e.g. "syncStateNotFound").
void write_graph_error(const HttpRequest& req, HttpResponse& res, int http_status,
                       std::string_view code, std::string_view message);
// The request body as JSON; an empty body is an empty object. Malformed JSON is refused with
// InvalidArgument naming the byte (and line and column) where it went wrong.
Result<nlohmann::json> json_body(const HttpRequest& req);

void write_json(HttpResponse& res, int http_status, const nlohmann::json& body,
                std::string_view content_type = "application/json; charset=utf-8");

}  // namespace upsync
