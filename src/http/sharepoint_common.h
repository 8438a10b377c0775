// What the SharePoint route files (sharepoint_routes.cpp, sharepoint_files.cpp,
// sharepoint_tenant.cpp) share: the web a request addresses, its REST path, JSON bodies,
// URLs of the tenant's document libraries, and the 501 answer for what upsync has no data
// for. Internal to src/http.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "http/odata.h"
#include "http/router.h"
#include "http/sp_query.h"
#include "sites/sites.h"

namespace upsync {

// Every SharePoint route's regex starts with this: an optional site collection, captured as
// the route's first group (so that call.match[1] is "" or "/sites/hr").
inline constexpr std::string_view kSitePrefix = R"(^((?:/(?:sites|teams)/[^/]+)?)/_api/)";

// The web the request addresses: "https://host[/tenants/x]/sites/hr" (no trailing slash).
std::string sp_web_url(const Call& call);
// "<web url>/_api/": the OData service root of that web.
std::string sp_service_root(const Call& call);

// The segments of the REST path after "/_api/", parsed from the request target as sent
// (before percent-decoding, so that an encoded '/' inside a quoted path stays inside it).
Result<std::vector<ODataSegment>> sp_api_segments(const Call& call);

// The request body as a JSON object; a malformed body is InvalidArgument naming the line and
// column; an empty body is {}.
Result<nlohmann::json> sp_json_body(const Call& call);
// A string member of a JSON body: missing (when required) or of another type is
// InvalidArgument naming the member.
Result<std::string> sp_string_member(const nlohmann::json& body, std::string_view name);

// The request's query options against `schema` (sp_query.h); a bad one is answered with
// SharePoint's InvalidClientQueryException.
Result<SpQuery> sp_query(Call& call, const SpSchema& schema);

// Answers a collection of `schema`'s items after the request's query options, with the
// __next / odata.nextLink of a list items page that $top cut short.
Status sp_write_collection(Call& call, const SpSchema& schema, const ODataEntity& e,
                           std::vector<nlohmann::json> items);
// Answers one entity with the request's $select, the only query option an entity takes.
Status sp_write_entity(Call& call, const SpSchema& schema, const ODataEntity& e,
                       nlohmann::json neutral);

// Answers 501 with an odata.error saying that upsync does not support `what`, and why.
Status sp_not_supported(Call& call, std::string_view what, std::string_view why);

// A URL a client sent (server-relative, with or without /tenants/<name>, or absolute on
// this server or the tenant's own host), seen from the request's tenant.
struct TenantUrl {
  bool in_tenant = false;
  std::string server_relative;  // "/sites/hr/Shared Documents/a.json" (as sent, not decoded)
  // When the URL names another tenant of this server (/tenants/<other>/...): its name.
  std::string other_tenant;
};
Result<TenantUrl> sp_resolve_url(const Call& call, std::string_view url);

// A document library path given already decoded (decodedUrl='...', or a legacy
// '...Url(...)' argument): a FileUrl of the request's tenant through the door
// (parse_decoded_file_url, which decodes nothing more), or InvalidArgument naming the problem
// (a dot segment, a backslash, a control character, another tenant's URL, ...).
Result<FileUrl> sp_file_url(const Call& call, std::string_view decoded);

// Answers 405 with an odata.error carrying `message`.
Status sp_wrong_method(Call& call, std::string message);

// A stable GUID for a name (RFC 4122 version 5), for ids SharePoint gives objects that
// upsync keeps no id for (webs, files).
std::string sp_name_guid(std::string_view name);

// Case-insensitive comparison of a segment name.
bool sp_is(const ODataSegment& seg, std::string_view name);

// The method a request means: POST with X-HTTP-Method (DELETE, PUT, MERGE) stands for it.
std::string sp_effective_method(const Call& call);

// SharePoint's NotFound for an account: "The specified user <account> could not be found."
Status sp_user_not_found(std::string_view account);
// A profile by the account name a client sent: a claim (i:0#.f|membership|upn), a UPN or
// work email, or DOMAIN\user (SharePoint Server's Windows accounts). Text shaped like a claim
// ("x:...", anything with '|') that the claims parser refuses is an InvalidArgument with its
// reason (400); a well-formed name of nobody is sp_user_not_found() (404).
Result<Profile> sp_find_account(Call& call, std::string_view account);
// The signed-in person's own profile; NotFound for apps and for people without one, except
// in an education tenant, where the first access makes a stub profile (seed 002).
Result<Profile> sp_own_profile(Call& call, const Principal& who);
// Whether `p` is the signed-in person's own profile.
bool sp_is_own_profile(const Principal& who, const Profile& p);

}  // namespace upsync

namespace upsync {

// The route groups of sharepoint_files.cpp, sharepoint_site_users.cpp and
// sharepoint_tenant.cpp.
void add_sharepoint_file_routes(Router& router);
void add_sharepoint_site_user_routes(Router& router);
void add_sharepoint_tenant_routes(Router& router);

}  // namespace upsync
