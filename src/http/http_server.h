// The HTTP(S) engine under `upsync serve`: GNU libmicrohttpd with a pool of threads, each
// running its own epoll loop over many connections.
//
// An event loop per thread, rather than a thread per connection, lets idle kept-alive clients
// (browsers, PnPjs, the Graph SDK) stay connected without holding a thread, and answers a
// request in a few system calls (one read, one write of headers and body together). Handlers
// run on the loop's thread: a slow one delays the other connections of that thread only.
//
// The engine reads a whole request (headers, then the body up to `max_body_bytes`; beyond it
// the answer is 413 from `on_error`) into an HttpRequest, calls the handler, logs, and sends
// the HttpResponse.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <string>

#include "core/status.h"
#include "http/http_message.h"

struct MHD_Daemon;

namespace upsync {

struct HttpServerOptions {
  std::string host = "127.0.0.1";
  int port = 0;  // 0: any free port (see HttpServer::port)
  size_t threads = 2;
  size_t max_body_bytes = 4 * 1024 * 1024;
  // Both set: HTTPS with this PEM certificate (chain) and private key.
  std::string tls_cert_pem;
  std::string tls_key_pem;
};

using HttpHandler = std::function<void(const HttpRequest&, HttpResponse&)>;
using HttpLogger = std::function<void(const HttpRequest&, const HttpResponse&)>;

class HttpServer {
 public:
  // Binds and starts serving. `handler` answers every well-formed request; `on_error` fills
  // the body of an answer the engine decides itself (413 for a body over the limit, 500 when
  // a handler throws) and may rewrite it; `log` sees every answered request.
  static Result<std::unique_ptr<HttpServer>> start(HttpServerOptions options, HttpHandler handler,
                                                   HttpHandler on_error, HttpLogger log);
  ~HttpServer();
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  int port() const { return port_; }
  // Stops accepting connections, lets requests being answered finish (waiting at most
  // `grace`), then closes every connection. Idempotent.
  void stop(std::chrono::milliseconds grace = std::chrono::seconds(30));

  // The engine's callbacks (libmicrohttpd calls them with this server as context).
  struct Exchange;
  void request_started() { in_flight_.fetch_add(1); }
  void request_ended();
  void answer(Exchange& exchange, HttpResponse& res);
  const HttpServerOptions& options() const { return options_; }

 private:
  HttpServer(HttpServerOptions options, HttpHandler handler, HttpHandler on_error, HttpLogger log)
      : options_(std::move(options)),
        handler_(std::move(handler)),
        on_error_(std::move(on_error)),
        log_(std::move(log)) {}

  HttpServerOptions options_;
  HttpHandler handler_;
  HttpHandler on_error_;
  HttpLogger log_;
  MHD_Daemon* daemon_ = nullptr;
  int port_ = 0;
  std::atomic<int64_t> in_flight_{0};
  std::mutex mu_;
  std::condition_variable idle_;
};

}  // namespace upsync
