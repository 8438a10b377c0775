// Microsoft Graph's JSON batching (https://learn.microsoft.com/graph/json-batching), as the
// Graph SDK's BatchRequestContent sends it:
//
//   POST /v1.0/$batch
//   {"requests": [{"id": "1", "method": "GET", "url": "/users/adele@contoso.com"},
//                 {"id": "2", "method": "GET", "url": "/me", "dependsOn": ["1"]}]}
//
// answered 200 with {"responses": [{"id", "status", "headers", "body"}]}, one per request in
// the order given, each with the status its request got alone (batch.h: the same Host, tenant,
// token and permission checks; a body of a JSON type as JSON, any other as base64). Up to 20
// requests; `url` relative to /v1.0/ ("/users/x", "users/x", "/v1.0/users/x", or under the
// batch's own /tenants/<name>/ prefix); `headers` an object of strings; `body` JSON, or base64
// for another Content-Type (which a body needs). A request runs after those its `dependsOn`
// names (else in the order given); when one of them did not succeed (2xx) it is not run and
// gets 424 Failed Dependency. The batch as a whole is refused with 400 BadRequest "Invalid
// batch payload format." and what is wrong when its shape is: no `requests` array, an empty
// one or more than 20, a request without a string id, method or url, an unknown member, a
// repeated id (ids compare without case; Graph's message "Request Id <id> has to be unique in
// a batch."), a dependsOn naming no request of the batch, or a cycle. A request with an
// absolute URL, a beta URL, an unknown method or a bad body gets its own 400.
#pragma once

#include "http/router.h"

namespace upsync {

void add_graph_batch_routes(Router& router);

}  // namespace upsync
