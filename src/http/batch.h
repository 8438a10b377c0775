// What Graph's JSON `$batch` (graph_batch.cpp) and SharePoint's multipart `_api/$batch`
// (sharepoint_batch.cpp) share: each request of a batch is answered by the router exactly as
// if it had come alone (router.h), so it passes the same Host, tenant, token and permission
// checks and gets its own status (a part its caller may not call gets its own 401/403 while
// the others succeed).
//
//   InnerRequest inner{"GET", "/tenants/contoso/v1.0/users/x", headers, "", "1"};
//   HttpResponse answer = run_inner_request(call, inner, Surface::kGraph, budget);
//
// The inner request takes the batch's Host and Authorization (a part that carries its own
// Host, Authorization, Content-Length, Transfer-Encoding, Cookie, or a header with a line
// break is refused with 400: they would change who is calling, or where), its client address
// and tenant addressing: a path under /tenants/<another tenant>/, or under /tenants/ when the
// batch named its tenant by host or token, is refused (400), as is a batch inside a batch. A
// streamed answer (a file's content) is read into the body; the answers of one batch together
// may hold `budget` bytes, and a part past that gets 413 (ask for it alone). Every inner
// request is written to the access log with its part's id (ServerContext::dispatch_part).
#pragma once

#include <string>

#include "http/http_message.h"
#include "http/router.h"

namespace upsync {

// Bytes of inner answers one batch may hold together.
inline constexpr size_t kMaxBatchAnswerBytes = 16 * 1024 * 1024;

struct InnerRequest {
  std::string method;
  std::string target;  // path and query, encoded as on a request line, tenant prefix included
  HttpHeaders headers;
  std::string body;
  std::string part;  // the part's id in its batch, for the access log
};

// The answer to `inner`, an error in `surface`'s shape when the request is refused before the
// router sees it. `budget` is what the batch's answers may still take, and is reduced.
HttpResponse run_inner_request(const Call& batch, InnerRequest inner, Surface surface,
                               size_t& budget);

// The first query option of the batch request itself ($batch applies none), or "".
std::string batch_query_option(const Call& batch);

}  // namespace upsync
