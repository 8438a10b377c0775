// The multipart/mixed body of SharePoint's `_api/$batch` (OData v3 batching), read and written.
//
// A request body, as PnPjs's createBatch / sp.batched() sends it:
//
//   --batch_<guid>                                 a read, directly in the batch
//   Content-Type: application/http
//   Content-Transfer-Encoding: binary
//
//   GET https://host/tenants/contoso/_api/web HTTP/1.1
//   Accept: application/json
//
//   --batch_<guid>                                 writes, in a changeset
//   Content-Type: multipart/mixed; boundary="changeset_<guid>"
//
//   --changeset_<guid>
//   Content-Type: application/http
//   Content-Transfer-Encoding: binary
//
//   POST https://host/... HTTP/1.1
//   Content-Type: application/json;charset=utf-8
//
//   {"accountName": ...}
//   --changeset_<guid>--
//   --batch_<guid>--
//
// parse_batch_request turns it into its requests, in order, each with the index of its
// changeset (or none); lines end in LF or CRLF alike. Everything else is refused with
// InvalidArgument naming the line: no boundary, a part that is not application/http or a
// changeset, a changeset inside a changeset, a transfer encoding other than binary, a header
// that is not "Name: value" (a folded line, a bare CR, a NUL: header injection), a request line
// that is not "METHOD target HTTP/1.x", a missing closing delimiter (a truncated body), more
// than `max_requests` requests. A request's body is its lines up to the next delimiter, the
// line break before the delimiter (and, as PnPjs writes one more, trailing empty lines) left
// out, as RFC 2046 gives that break to the delimiter.
//
// write_batch_response writes SharePoint's answer: one `--batchresponse_<guid>` part per
// request, changesets' requests included (SharePoint answers them flat, which is what PnPjs's
// parser counts), each "HTTP/1.1 <status> <reason>", its headers and its body, in CRLF lines.
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/status.h"

namespace upsync {

// Headers in the order written; names compared without case by their readers.
using PartHeaders = std::vector<std::pair<std::string, std::string>>;

struct BatchPartRequest {
  std::string method;
  std::string target;  // the request line's target, as written (PnPjs: an absolute URL)
  PartHeaders headers;
  std::string body;
  int changeset = -1;  // 0, 1, ... for the changesets of the batch in order; -1 for none
  size_t line = 0;     // the line of the body where the part starts (1-based), for messages
};

// The boundary of a `multipart/mixed; boundary=...` Content-Type (quoted or not).
Result<std::string> multipart_boundary(std::string_view content_type);

Result<std::vector<BatchPartRequest>> parse_batch_request(std::string_view content_type,
                                                          std::string_view body,
                                                          size_t max_requests);

struct BatchPartResponse {
  int status = 200;
  PartHeaders headers;
  std::string body;
};

// The reason phrase of an HTTP status ("OK", "Not Found", ...; "Unknown" for others).
std::string_view http_reason(int status);

// The multipart answer; `boundary` is e.g. "batchresponse_<guid>". Fails only when a body
// holds the delimiter itself (the caller picks another boundary and writes again).
Result<std::string> write_batch_response(std::string_view boundary,
                                         const std::vector<BatchPartResponse>& parts);

}  // namespace upsync
