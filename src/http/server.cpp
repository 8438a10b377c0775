#include "http/server.h"

#include <pthread.h>
#include <signal.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <chrono>
#include <cstdio>
#include <iostream>
#include <map>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <thread>

#include "auth/token_signer.h"
#include "http/access_log.h"
#include "http/admin_pages.h"
#include "http/admin_routes.h"
#include "http/authorize_routes.h"
#include "http/graph_routes.h"
#include "http/http_server.h"
#include "http/import_worker.h"
#include "http/oauth_routes.h"
#include "http/page_routes.h"
#include "http/person_page.h"
#include "http/router.h"
#include "http/self_signed.h"
#include "http/sharepoint_routes.h"
#include "sites/upload_sessions.h"
#include "store/storage.h"
#include "store/store.h"
#include "sync/scheduler.h"

namespace upsync {

Status parse_listen(std::string_view listen, ServeOptions& opts) {
  size_t colon = listen.rfind(':');
  if (colon == std::string_view::npos || colon == 0 || colon + 1 == listen.size()) {
    return invalid_argument("--listen: expected host:port such as 127.0.0.1:8080, got '" +
                            std::string(listen) + "'");
  }
  std::string_view port_text = listen.substr(colon + 1);
  int port = -1;
  auto [ptr, ec] = std::from_chars(port_text.data(), port_text.data() + port_text.size(), port);
  if (ec != std::errc() || ptr != port_text.data() + port_text.size() || port < 0 || port > 65535) {
    return invalid_argument("--listen: port '" + std::string(port_text) +
                            "' is not a number from 0 to 65535");
  }
  opts.host = std::string(listen.substr(0, colon));
  opts.port = port;
  return Status();
}

namespace {

// Request counters for /metrics, by status code.
class Metrics {
 public:
  void count(int status) {
    std::lock_guard lock(mu_);
    ++by_status_[status];
  }
  void job_ended(const ImportJob& job) {
    std::lock_guard lock(mu_);
    ++jobs_by_outcome_[std::string(import_job_state_name(job.state)) + "\",error=\"" +
                       std::string(import_job_error_name(job.error))];
  }
  void sync_run(const SyncRun& run) {
    std::lock_guard lock(mu_);
    ++sync_runs_[run.succeeded ? "succeeded" : "failed"];
  }
  // One routed request's handling time, in seconds.
  void observe(double seconds) {
    std::lock_guard lock(mu_);
    for (size_t i = 0; i < std::size(kBuckets); ++i) {
      if (seconds <= kBuckets[i]) ++bucket_counts_[i];
    }
    ++latency_count_;
    latency_sum_ += seconds;
  }
  std::string render() {
    std::lock_guard lock(mu_);
    std::string out =
        "# HELP upsync_http_requests_total HTTP requests answered, by status code.\n"
        "# TYPE upsync_http_requests_total counter\n";
    for (const auto& [status, n] : by_status_) {
      out += "upsync_http_requests_total{code=\"" + std::to_string(status) + "\"} " +
             std::to_string(n) + "\n";
    }
    out +=
        "# HELP upsync_http_request_duration_seconds Time to answer a routed request.\n"
        "# TYPE upsync_http_request_duration_seconds histogram\n";
    for (size_t i = 0; i < std::size(kBuckets); ++i) {
      char le[32];
      std::snprintf(le, sizeof le, "%g", kBuckets[i]);
      out += "upsync_http_request_duration_seconds_bucket{le=\"" + std::string(le) + "\"} " +
             std::to_string(bucket_counts_[i]) + "\n";
    }
    out += "upsync_http_request_duration_seconds_bucket{le=\"+Inf\"} " +
           std::to_string(latency_count_) + "\n";
    out += "upsync_http_request_duration_seconds_sum " + std::to_string(latency_sum_) + "\n";
    out += "upsync_http_request_duration_seconds_count " + std::to_string(latency_count_) + "\n";
    out +=
        "# HELP upsync_import_jobs_total Bulk import jobs the embedded worker ran, by outcome.\n"
        "# TYPE upsync_import_jobs_total counter\n";
    for (const auto& [outcome, n] : jobs_by_outcome_) {
      out += "upsync_import_jobs_total{state=\"" + outcome + "\"} " + std::to_string(n) + "\n";
    }
    out +=
        "# HELP upsync_sync_runs_total Scheduled sync runs, by outcome.\n"
        "# TYPE upsync_sync_runs_total counter\n";
    for (const auto& [outcome, n] : sync_runs_) {
      out += "upsync_sync_runs_total{status=\"" + outcome + "\"} " + std::to_string(n) + "\n";
    }
    out += "# HELP upsync_up 1 while the server runs.\n# TYPE upsync_up gauge\nupsync_up 1\n";
    return out;
  }

 private:
  static constexpr double kBuckets[] = {0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5};
  std::mutex mu_;
  std::map<int, uint64_t> by_status_;
  uint64_t bucket_counts_[std::size(kBuckets)] = {};
  std::map<std::string, uint64_t> jobs_by_outcome_;
  std::map<std::string, uint64_t> sync_runs_;
  uint64_t latency_count_ = 0;
  double latency_sum_ = 0;
};

// SharePoint's odata.error shape, used for every error under /tenants/<name>/.
std::string sp_error(std::string_view code, std::string_view message) {
  nlohmann::json j = {{"odata.error",
                       {{"code", std::string(code)},
                        {"message", {{"lang", "en-US"}, {"value", std::string(message)}}}}}};
  return j.dump();
}

void set_json(HttpResponse& res, int status, const std::string& body) {
  res.status = status;
  res.set_content(body, "application/json;odata=minimalmetadata;charset=utf-8");
}

}  // namespace

void add_routes(Router& router) {
  add_oauth_routes(router);
  add_authorize_routes(router);
  add_page_routes(router);
  add_person_page_routes(router);
  add_admin_routes(router);
  add_admin_page_routes(router);
  add_sharepoint_routes(router);
  add_graph_routes(router);
}

Status serve(const ServeOptions& opts) {
  if (!opts.storage) return invalid_argument("serve: no storage given");
  Storage* storage = opts.storage;
  // Connect once on this thread to report missing or broken data before listening.
  {
    auto probe = storage->connect();
    if (!probe) return probe.status();
  }
  if (opts.tls_cert.empty() != opts.tls_key.empty()) {
    return invalid_argument("--tls-cert and --tls-key go together");
  }

  // Block SIGTERM/SIGINT in every thread; this one waits for them with sigtimedwait.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);

  HttpServerOptions http;
  http.host = opts.host;
  http.port = opts.port;
  http.threads = opts.threads;
  http.max_body_bytes = opts.max_body_bytes;
  http.max_connections = opts.max_connections;
  http.max_connections_per_address = opts.max_connections_per_address;
  http.request_deadline_seconds = opts.request_deadline_seconds;
  bool tls = !opts.tls_cert.empty();
  if (tls) {
    UPSYNC_ASSIGN_OR_RETURN(TlsPem pem, read_tls_pair({opts.tls_cert, opts.tls_key}));
    http.tls_cert_pem = std::move(pem.cert);
    http.tls_key_pem = std::move(pem.key);
  }

  auto metrics = std::make_shared<Metrics>();
  // One Store per engine thread.
  auto thread_store = [storage]() -> Result<Store*> {
    thread_local std::unique_ptr<Store> store;
    if (!store) {
      UPSYNC_ASSIGN_OR_RETURN(store, storage->connect());
    }
    return store.get();
  };

  // One cache of the store's word on token principals per engine thread, beside its Store.
  auto thread_credentials = []() -> CredentialCache& {
    thread_local CredentialCache cache;
    return cache;
  };

  auto access_log = std::make_shared<AccessLog>();
  auto log = [metrics, access_log](const HttpRequest& req, const HttpResponse& res) {
    metrics->count(res.status);
    access_log->record(req, res);
  };

  // An answer the engine decides (400 / 411 for a body's framing, 413 for its size, 500 when
  // a handler throws), its body a sentence saying why, in SharePoint's error shape.
  auto on_error = [](const HttpRequest&, HttpResponse& res) {
    std::string code;
    switch (res.status) {
      case 413:
        code = "-2147024809, System.ArgumentException";
        break;
      case 400:
      case 411:
        code = "-1, Microsoft.SharePoint.Client.InvalidClientQueryException";
        break;
      default:
        code = "-1, Microsoft.SharePoint.Client.ClientServiceException";
    }
    int status = res.status;
    std::string msg = std::move(res.body);
    res = HttpResponse();
    set_json(res, status, sp_error(code, msg));
  };

  // Everything but /healthz and /metrics goes through the router: tenant, caller, route
  // (router.h).
  auto context = std::make_shared<ServerContext>();
  context->data_dir = opts.data_dir;
  context->tls = tls;
  context->max_file_bytes = opts.max_file_bytes;
  context->upload_expiry_seconds = opts.upload_expiry_seconds;
  context->thread_store = thread_store;
  context->thread_credentials = thread_credentials;
  for (const auto& text : opts.public_hosts) {
    UPSYNC_ASSIGN_OR_RETURN(PublicHost h, parse_public_host(text, tls ? "https" : "http"));
    context->public_hosts.add(std::move(h));
  }
  context->public_hosts.add_listen_address(opts.host, tls ? "https" : "http");
  if (opts.port != 0) context->public_hosts.set_bound_port(opts.port);
  context->sign_in_pool = std::make_unique<HashPool>(
      opts.sign_in_threads != 0 ? opts.sign_in_threads
                                : std::max(1u, std::thread::hardware_concurrency() / 2),
      opts.sign_in_queue);
  context->directory_pool = std::make_unique<HashPool>(2, 64);
  SignInThrottlePolicy lockout;
  lockout.account_threshold = opts.lockout_threshold;
  lockout.address_threshold = 5 * opts.lockout_threshold;
  lockout.lockout = std::chrono::seconds(opts.lockout_seconds);
  context->sign_in_throttle = std::make_unique<SignInThrottle>(lockout);
  context->session_policy.idle_seconds = opts.session_idle_seconds;
  context->session_policy.absolute_seconds = opts.session_max_seconds;
  {
    auto signer = TokenSigner::open(opts.data_dir);
    if (!signer) return signer.status();
    context->signer = std::move(*signer);
  }
  auto router = std::make_shared<Router>();
  add_routes(*router);
  // A file's content streams to disk from its headers on (router.h BodyPlanner).
  http.plan_body = [context, router](const HttpRequest& req, BodyPlan& plan) {
    router->plan_body(*context, req, plan);
  };
  // Upload sessions left from before the server started, and idle too long, go now.
  if (auto swept = UploadSessions(opts.data_dir)
                       .remove_expired(std::chrono::seconds(opts.upload_expiry_seconds));
      !swept) {
    return swept.status();
  } else if (*swept > 0) {
    std::cerr << "upsync serve: removed " << *swept << " expired upload session(s)" << std::endl;
  }
  // Both live until serve() returns, after the engine has stopped.
  context->dispatch_part = [ctx = context.get(), r = router.get(), access_log](
                               const HttpRequest& req, HttpResponse& res, std::string_view part) {
    r->dispatch(*ctx, req, res);
    access_log->record(req, res, part);
  };
  auto handle = [context, router, metrics, thread_store](const HttpRequest& req,
                                                         HttpResponse& res) {
    if (req.method == "GET" && req.path == "/healthz") {
      auto store = thread_store();
      if (!store) {
        res.status = 503;
        res.set_content(
            nlohmann::json{{"status", "error"}, {"error", store.status().message()}}.dump(),
            "application/json");
        return;
      }
      res.set_content(R"({"status":"ok"})", "application/json");
      return;
    }
    if (req.method == "GET" && req.path == "/metrics") {
      res.set_content(metrics->render(), "text/plain; version=0.0.4");
      return;
    }
    auto started = std::chrono::steady_clock::now();
    try {
      router->dispatch(*context, req, res);
    } catch (const std::exception& e) {
      res = HttpResponse();
      set_json(res, 500, sp_error("-1, System.InvalidOperationException", e.what()));
    }
    metrics->observe(
        std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count());
  };

  std::unique_ptr<ImportWorkerThread> worker;
  std::unique_ptr<SyncSchedulerThread> scheduler;
  if (opts.import_worker) {
    worker = std::make_unique<ImportWorkerThread>(
        *storage, opts.data_dir, opts.worker_interval,
        [metrics](const ImportJob& job) { metrics->job_ended(job); });
    scheduler = std::make_unique<SyncSchedulerThread>(
        *storage, [metrics](const SyncRun& run) { metrics->sync_run(run); });
  }

  UPSYNC_ASSIGN_OR_RETURN(std::unique_ptr<HttpServer> server,
                          HttpServer::start(std::move(http), handle, on_error, log));
  context->public_hosts.set_bound_port(server->port());
  if (worker) worker->start();
  if (scheduler) scheduler->start();
  std::cout << "listening on " << (tls ? "https" : "http") << "://" << opts.host << ":"
            << server->port() << std::endl;
  std::cerr << "upsync serve: answering to the Host names " << context->public_hosts.describe()
            << std::endl;

  // Between signals, every few minutes: upload sessions idle past their expiry are removed.
  const timespec sweep_every{
      std::min<int64_t>(300, std::max<int64_t>(1, opts.upload_expiry_seconds)), 0};
  while (sigtimedwait(&signals, nullptr, &sweep_every) < 0) {
    if (errno != EAGAIN && errno != EINTR) break;
    auto swept = UploadSessions(opts.data_dir)
                     .remove_expired(std::chrono::seconds(opts.upload_expiry_seconds));
    if (!swept) std::cerr << "upsync serve: " << swept.status().message() << std::endl;
  }
  std::fputs("upsync serve: stopping on signal\n", stderr);
  // Requests being answered finish; then a running import stops at its next checkpoint.
  server->stop();
  access_log->flush();
  if (worker) worker->stop();
  if (scheduler) scheduler->stop();
  return Status();
}

}  // namespace upsync
