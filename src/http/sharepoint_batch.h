// SharePoint's REST batching: POST {web}/_api/$batch with a multipart/mixed body of requests
// and changesets (batch_multipart.h), as PnPjs's createBatch / sp.batched() sends it.
//
// Each request runs in the order of the body, through the router, exactly as if it had come
// alone (batch.h): the batch's token is the caller of every part, and a part it may not call
// gets its own 401/403 while the others succeed. Its URL must be on this server (the batch's
// origin; a path is taken as one) and under /_api/, and in the batch's tenant; a GET inside a
// changeset is refused (reads go directly in the batch). As in SharePoint, a changeset is not a
// transaction: its requests are applied one after the other and a failed one rolls nothing
// back, nor stops the rest. The answer is SharePoint's: 200, multipart/mixed with boundary
// batchresponse_<guid>, one part per request (changesets' too, flat) with "HTTP/1.1 <status>
// <reason>", the request's answer headers and body. At most 100 requests in one batch, and the
// server's --max-body for the whole body; a body that cannot be read as a batch (no boundary,
// a truncated or malformed part, too many requests) is a 400 naming the line.
#pragma once

#include <cstddef>

#include "http/router.h"

namespace upsync {

inline constexpr size_t kMaxSharePointBatchRequests = 100;

void add_sharepoint_batch_routes(Router& router);

}  // namespace upsync
