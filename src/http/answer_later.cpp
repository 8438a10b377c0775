#include "http/answer_later.h"

#include <utility>

namespace upsync {

Status answer_on_pool(Call& call, HashPool& pool, std::function<Status(Call&)> work,
                      std::function<void(const HttpRequest&, HttpResponse&)> busy) {
  ServerContext& server = call.server;
  const HttpRequest* req = &call.req;  // held by the engine until the answer is sent
  Tenant tenant = call.tenant;
  std::optional<Principal> principal = call.principal;
  std::optional<BrowserSession> session = call.session;
  std::string origin = call.origin, tenant_base = call.tenant_base, path = call.path;
  Surface surface = call.surface;
  call.res.later = [=, &server, &pool](FinishAnswer finish) {
    auto job = [=, &server] {
      HttpResponse res;
      auto store = server.thread_store();
      if (!store) {
        write_error(*req, res, surface, unavailable(store.status().message()));
      } else {
        Call c{*req,        res,  server, **store, tenant, principal, origin,
               tenant_base, path, {},     surface, {},     session,   {}};
        Status st = work(c);
        if (!st.is_ok()) write_error(*req, res, surface, st, c.error_code);
      }
      finish(std::move(res));
    };
    if (pool.try_submit(job)) return;
    HttpResponse answer;
    answer.set_header("Retry-After", "1");
    busy(*req, answer);
    finish(std::move(answer));
  };
  return Status::ok();
}

}  // namespace upsync
