// OData v3 as SharePoint's REST API speaks it: the three answer modes, and the parsing of
// REST paths such as
//
//   getuserprofilepropertyfor(accountname=@v, propertyname='Department')?@v='i:0#.f|...'
//   getFolderByServerRelativePath(decodedUrl='/sites/hr/Shared Documents')/files
//
// Answer modes come from the Accept header (reference/client-wire-formats.md §1.1):
//   application/json;odata=verbose      {"d":{...,"__metadata":{...}}}, collections
//                                        {"d":{"results":[...]}}, nested arrays {"results":[...]}
//   application/json (or minimalmetadata) JSON light: odata.metadata / odata.type / odata.id /
//                                        odata.editLink beside the properties
//   application/json;odata=nometadata   the bare properties
// Scalars are {"value":...} (verbose: {"d":{"<Method>":...}}); void and null results are
// 200 {"odata.null":true} in every mode (trap 5).
//
// Handlers build answers in one neutral form: plain JSON arrays, and nested complex values
// that carry their OData type as "__type" (e.g. SP.KeyValue); the writers turn that into the
// requested mode.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/status.h"
#include "http/http_message.h"

namespace upsync {

enum class ODataMode { kMinimalMetadata, kNoMetadata, kVerbose };

ODataMode odata_mode(const HttpRequest& req);
// The Content-Type of answers in `mode`.
std::string_view odata_content_type(ODataMode mode);

// Where an entity lives, for the metadata of minimal and verbose answers. `service_root` is
// the web's "<web url>/_api/".
struct ODataEntity {
  std::string type;          // "SP.UserProfiles.PersonProperties"
  std::string service_root;  // "https://host/sites/hr/_api/"
  std::string edit_link;     // relative to service_root: "SP.UserProfiles.PersonProperties<id>"
};

// The body of each answer (exposed for tests of the shapes; the write_* functions use them).
nlohmann::json odata_entity_body(ODataMode mode, const ODataEntity& e, nlohmann::json neutral);
// `next_link`, when given, is the URL of the next page: "__next" (verbose) or
// "odata.nextLink" beside the items, as SharePoint pages list items.
nlohmann::json odata_collection_body(ODataMode mode, const ODataEntity& e,
                                     std::vector<nlohmann::json> items,
                                     std::string_view next_link = {});
nlohmann::json odata_value_body(ODataMode mode, std::string_view service_root,
                                std::string_view method, std::string_view edm_type,
                                nlohmann::json value);

void write_odata_entity(const HttpRequest& req, HttpResponse& res, const ODataEntity& e,
                        nlohmann::json neutral);
// A collection of entities of type e.type (e.edit_link unused).
void write_odata_collection(const HttpRequest& req, HttpResponse& res, const ODataEntity& e,
                            std::vector<nlohmann::json> items, std::string_view next_link = {});
// A scalar result of the function `method` (verbose wraps it in the method's name).
void write_odata_value(const HttpRequest& req, HttpResponse& res, std::string_view service_root,
                       std::string_view method, std::string_view edm_type, nlohmann::json value);
// Void or null: 200 {"odata.null":true}.
void write_odata_null(HttpResponse& res);

// One segment of a REST path: a name, and the arguments in parentheses when it has them.
// Argument values stay OData literals ('text', @alias, 42, true, guid'...'); read them with
// odata_string() and friends.
struct ODataSegment {
  std::string name;
  bool call = false;                                      // had parentheses
  std::vector<std::pair<std::string, std::string>> args;  // name ("" when positional), literal

  // The literal of the argument `name` (case-insensitive), else of the positional argument
  // `position`, else nullptr.
  const std::string* arg(std::string_view name, size_t position = 0) const;
};

// Splits a REST path (the part after "/_api/", still percent-encoded as sent) into segments
// on the '/' outside quoted literals, then decodes each segment. Quotes inside literals are
// doubled (''), as OData escapes them. Errors name the position.
Result<std::vector<ODataSegment>> parse_odata_path(std::string_view raw);

// The text of a string literal: '...' with '' undone, or @alias looked up in the query
// (whose keys and values arrive percent-decoded). `what` names the parameter for messages.
Result<std::string> odata_string(const HttpRequest& req, std::string_view literal,
                                 std::string_view what);
// true/false (also a quoted 'true').
Result<bool> odata_bool(const HttpRequest& req, std::string_view literal, std::string_view what);

}  // namespace upsync
