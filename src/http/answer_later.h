// Handlers that wait on something slow answer later (http_server.h, HttpResponse::later): a
// password's hashing, a directory server's answers during a sync run or a connection test. The
// work runs on a pool of its own with a Call over the pool thread's own Store, and the answer
// goes out when it is done; the request loop meanwhile serves its other connections, which a
// handler running there would hold up (a sync run of a large directory takes minutes).
//
//   return answer_on_pool(call, *call.server.directory_pool, run_now, busy_answer);
//
// The Call the work gets has the request, tenant, principal, session, origin and path of the
// original, not its route captures (call.match): a handler that needs them reads them first
// and captures them in `work`. A full pool answers with `busy` (a 503 with Retry-After in the
// surface's words), and the work does not run.
#pragma once

#include <functional>

#include "auth/hash_pool.h"
#include "http/router.h"

namespace upsync {

Status answer_on_pool(Call& call, HashPool& pool, std::function<Status(Call&)> work,
                      std::function<void(const HttpRequest&, HttpResponse&)> busy);

}  // namespace upsync
