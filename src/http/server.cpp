#include "http/server.h"

#include <httplib.h>
#include <pthread.h>
#include <signal.h>

#include <atomic>
#include <charconv>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <map>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <thread>

#include "auth/token_signer.h"
#include "core/clock.h"
#include "http/admin_routes.h"
#include "http/graph_routes.h"
#include "http/import_worker.h"
#include "http/json_writer.h"
#include "http/oauth_routes.h"
#include "http/router.h"
#include "http/sharepoint_routes.h"
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

constexpr size_t kKeepAliveMaxRequests = 20;

// SharePoint's odata.error shape, used for every error under /tenants/<name>/.
std::string sp_error(std::string_view code, std::string_view message) {
  nlohmann::json j = {{"odata.error",
                       {{"code", std::string(code)},
                        {"message", {{"lang", "en-US"}, {"value", std::string(message)}}}}}};
  return j.dump();
}

void set_json(httplib::Response& res, int status, const std::string& body) {
  res.status = status;
  res.set_content(body, "application/json;odata=minimalmetadata;charset=utf-8");
}

}  // namespace

Status serve(const ServeOptions& opts) {
  if (!std::filesystem::exists(std::filesystem::path(opts.data_dir) / "upsync.db")) {
    return not_found("no data folder at '" + opts.data_dir +
                     "' (create a tenant first: upsync tenant create NAME)");
  }
  if (opts.tls_cert.empty() != opts.tls_key.empty()) {
    return invalid_argument("--tls-cert and --tls-key go together");
  }
  // Open once on this thread to report a broken database before listening.
  {
    auto probe = open_store({.data_dir = opts.data_dir});
    if (!probe) return probe.status();
  }

  // Block SIGTERM/SIGINT in every thread; one thread waits for them with sigwait.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);

  std::unique_ptr<httplib::Server> svr;
  bool tls = !opts.tls_cert.empty();
  if (tls) {
    auto ssl = std::make_unique<httplib::SSLServer>(opts.tls_cert.c_str(), opts.tls_key.c_str());
    if (!ssl->is_valid()) {
      return invalid_argument("cannot load TLS certificate '" + opts.tls_cert + "' or key '" +
                              opts.tls_key + "'");
    }
    svr = std::move(ssl);
  } else {
    svr = std::make_unique<httplib::Server>();
  }

  size_t threads = opts.threads == 0 ? 1 : opts.threads;
  svr->new_task_queue = [threads] { return new httplib::ThreadPool(threads); };
  svr->set_payload_max_length(opts.max_body_bytes);
  // Answers go out as headers then body; without TCP_NODELAY a kept-alive client (PnPjs,
  // Node fetch) waits for its delayed ACK, about 40 ms per request.
  svr->set_tcp_nodelay(true);
  // cpp-httplib closes a kept-alive connection after 5 requests by default: the client then
  // reconnects, and a new connection costs more than the request. Each open connection holds
  // a pool thread while it lives, so connections beyond the pool wait for one to close (after
  // this many requests, or 5 idle seconds): 20 keeps that wait short (bench/http.sh with half
  // as many threads as connections: p99 37-55 ms at 20, 106 ms at 100).
  svr->set_keep_alive_max_count(kKeepAliveMaxRequests);

  auto metrics = std::make_shared<Metrics>();
  std::string data_dir = opts.data_dir;
  // One Store per worker thread.
  auto thread_store = [data_dir]() -> Result<Store*> {
    thread_local std::unique_ptr<Store> store;
    if (!store) {
      UPSYNC_ASSIGN_OR_RETURN(store, open_store({.data_dir = data_dir}));
    }
    return store.get();
  };

  svr->set_logger([metrics](const httplib::Request& req, const httplib::Response& res) {
    metrics->count(res.status);
    // One JSON object per line (structured access log), in a fixed member order.
    JsonWriter entry;
    entry.begin_object();
    entry.key("time").str(utc_now_iso());
    entry.key("remote").str(req.remote_addr);
    entry.key("method").str(req.method);
    entry.key("target").str(req.target);
    entry.key("status").number(res.status);
    entry.key("bytes").number(static_cast<int64_t>(res.body.size()));
    std::string client = req.get_header_value("client-request-id");
    if (!client.empty()) entry.key("clientRequestId").str(client);
    entry.end_object();
    std::string line = std::move(entry).text() + "\n";
    std::fwrite(line.data(), 1, line.size(), stderr);
  });

  svr->set_error_handler([](const httplib::Request& req, httplib::Response& res) {
    if (!res.body.empty()) return;
    std::string msg;
    std::string code;
    switch (res.status) {
      case 404:
        code = "-1, Microsoft.SharePoint.Client.ResourceNotFoundException";
        msg = "Cannot find resource for the request " + req.path + ".";
        break;
      case 405:
        code = "-1, Microsoft.SharePoint.Client.InvalidClientQueryException";
        msg = "The HTTP method " + req.method + " is not allowed on " + req.path + ".";
        break;
      case 413:
        code = "-2147024809, System.ArgumentException";
        msg = "The request body is larger than the limit of this server.";
        break;
      default:
        code = "-1, Microsoft.SharePoint.Client.ClientServiceException";
        msg = "HTTP " + std::to_string(res.status) + " for " + req.path + ".";
    }
    int status = res.status;
    set_json(res, status, sp_error(code, msg));
  });

  svr->set_exception_handler(
      [](const httplib::Request&, httplib::Response& res, std::exception_ptr ep) {
        std::string what = "unknown error";
        try {
          if (ep) std::rethrow_exception(ep);
        } catch (const std::exception& e) {
          what = e.what();
        } catch (...) {
        }
        set_json(res, 500, sp_error("-1, System.InvalidOperationException", what));
      });

  svr->Get("/healthz", [thread_store](const httplib::Request&, httplib::Response& res) {
    auto store = thread_store();
    if (!store) {
      res.status = 503;
      res.set_content(
          nlohmann::json{{"status", "error"}, {"error", store.status().message()}}.dump(),
          "application/json");
      return;
    }
    res.set_content(R"({"status":"ok"})", "application/json");
  });
  svr->Get("/metrics", [metrics](const httplib::Request&, httplib::Response& res) {
    res.set_content(metrics->render(), "text/plain; version=0.0.4");
  });

  // Everything else goes through the router: tenant, caller, route (router.h).
  auto context = std::make_shared<ServerContext>();
  context->data_dir = opts.data_dir;
  context->tls = tls;
  context->thread_store = thread_store;
  {
    auto signer = TokenSigner::open(opts.data_dir);
    if (!signer) return signer.status();
    context->signer = std::move(*signer);
  }
  auto router = std::make_shared<Router>();
  add_oauth_routes(*router);
  add_admin_routes(*router);
  add_sharepoint_routes(*router);
  add_graph_routes(*router);
  auto dispatch = [context, router, metrics](const httplib::Request& req, httplib::Response& res) {
    auto started = std::chrono::steady_clock::now();
    router->dispatch(*context, req, res);
    metrics->observe(
        std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count());
  };
  const char* any = "/.*";
  svr->Get(any, dispatch);
  svr->Post(any, dispatch);
  svr->Put(any, dispatch);
  svr->Patch(any, dispatch);
  svr->Delete(any, dispatch);

  std::unique_ptr<ImportWorkerThread> worker;
  std::unique_ptr<SyncSchedulerThread> scheduler;
  if (opts.import_worker) {
    worker = std::make_unique<ImportWorkerThread>(
        opts.data_dir, opts.worker_interval,
        [metrics](const ImportJob& job) { metrics->job_ended(job); });
    scheduler = std::make_unique<SyncSchedulerThread>(
        opts.data_dir, [metrics](const SyncRun& run) { metrics->sync_run(run); });
  }

  int port = opts.port;
  if (port == 0) {
    port = svr->bind_to_any_port(opts.host.c_str());
    if (port < 0) return unavailable("cannot bind to " + opts.host + ":0");
  } else if (!svr->bind_to_port(opts.host.c_str(), port)) {
    return unavailable("cannot listen on " + opts.host + ":" + std::to_string(port) +
                       " (address in use or not local)");
  }

  std::atomic<bool> done{false};
  httplib::Server* raw = svr.get();
  std::thread waiter([&signals, raw, &done] {
    int sig = 0;
    while (!done.load()) {
      timespec timeout{0, 200 * 1000 * 1000};
      sig = sigtimedwait(&signals, nullptr, &timeout);
      if (sig == SIGTERM || sig == SIGINT) {
        std::fputs("upsync serve: stopping on signal\n", stderr);
        raw->stop();
        return;
      }
    }
  });

  if (worker) worker->start();
  if (scheduler) scheduler->start();
  std::cout << "listening on " << (tls ? "https" : "http") << "://" << opts.host << ":" << port
            << std::endl;
  bool ok = svr->listen_after_bind();
  done = true;
  waiter.join();
  // In-flight requests have finished; a running import stops at its next checkpoint.
  if (worker) worker->stop();
  if (scheduler) scheduler->stop();
  if (!ok)
    return internal_error("the server stopped with an error on port " + std::to_string(port));
  return Status();
}

}  // namespace upsync
