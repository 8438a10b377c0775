// The HTTP(S) engine under `upsync serve`: GNU libmicrohttpd with a pool of threads, each
// running its own epoll loop over many connections.
//
// An event loop per thread, rather than a thread per connection, lets idle kept-alive clients
// (browsers, PnPjs, the Graph SDK) stay connected without holding a thread, and answers a
// request in a few system calls (one read, one write of headers and body together). Handlers
// run on the loop's thread: a slow one delays the other connections of that thread only, so a
// handler that must wait (password hashing) answers later instead (HttpResponse::later): the
// engine suspends the connection, the loop goes on with the others, and the answer is queued
// when the handler's work calls `finish`.
//
// The engine reads a whole request (headers, then the body up to `max_body_bytes`; beyond it
// the answer is 413 from `on_error`) into an HttpRequest, calls the handler, logs, and sends
// the HttpResponse.
//
// Bodies of any size (a file's content): once the headers of a request with a body are in,
// the engine asks `plan_body` what to do with it. The planner (the router) finds the route and
// checks the caller and what it asks for from the headers alone, then either answers (the body
// goes nowhere: no anonymous or unauthorized caller fills a disk; one no larger than
// `max_body_bytes` is read and dropped first, so that closing with it unread cannot reset the
// connection under the answer, a larger one is never read) or hands back a
// BodySink, which then gets every piece of the body as it arrives, with no --max-body limit
// (the route enforces its own, e.g. a file's size, from Content-Length). Memory stays one read
// buffer per connection whatever the size. While a body streams, the request's deadline moves
// on with every kMinUploadRate bytes received, so that a big upload at a fair speed is not cut
// off while a trickle still is. It refuses, before reading a body, a request whose body length is
// ambiguous (two Content-Length headers, or Content-Length with Transfer-Encoding: a proxy in
// front may frame it otherwise, which smuggles a second request inside the body) with 400,
// and a chunked body with 411 (the engine answers a chunk line longer than its buffer, e.g.
// a flood of chunk extensions, with its own 500; clients send Content-Length).
//
// Connections (issue 15: 1,030 slow connections from one address stopped the server):
// - The engine has no listening socket of its own: one acceptor thread accepts every
//   connection and admits it (MHD_add_connection) only under two limits, per client address
//   and in total; a connection over a limit is answered at once with a short 429 (its
//   address) or 503 (the total) with Retry-After, and closed. libmicrohttpd's own limits would
//   close it without a word, and its accept-policy callback gets no socket to answer on.
//   Because the acceptor drains the listen backlog as fast as connections come, the backlog
//   (sized to the limits) never sits full: a client is answered or refused, never left waiting
//   for a SYN to be retried. Over TLS a refused connection is only closed (a plain-text answer
//   would be noise to a TLS client, and a handshake is the cost the limit saves).
// - The total limit stays below the open-file limit, which start() raises from its soft to
//   its hard value; a --max-connections the process cannot open is refused at start.
// - A request must be whole (line, headers and body) within `request_deadline` of the moment
//   its connection began waiting for it (accepted, or its previous answer sent). The engine's
//   own timeout is an idle timeout that every byte resets, so a byte every few seconds held a
//   connection forever. A reaper thread checks the deadlines every quarter second and shuts
//   down the socket of a late request; the loop then closes it as a connection the client
//   ended. A deadline per connection set from the URI callback would still be per byte; a
//   reaper needs no engine change and costs one scan of a table of small records.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <unordered_map>
#include <unordered_set>

#include "core/status.h"
#include "http/http_message.h"

struct MHD_Daemon;

namespace upsync {

// Decides, from the request's line and headers (path and query parsed, no body), whether its
// body streams to a sink or is answered now (BodyPlan); leaving the plan empty keeps the body
// in memory under max_body_bytes.
using HttpBodyPlanner = std::function<void(const HttpRequest&, BodyPlan&)>;

struct HttpServerOptions {
  std::string host = "127.0.0.1";
  int port = 0;  // 0: any free port (see HttpServer::port)
  size_t threads = 2;
  size_t max_body_bytes = 4 * 1024 * 1024;
  // Connections open at once, in total (0: 1,000, or fewer when the open-file limit is lower)
  // and from one client address; over them a new connection gets 503 / 429 and is closed.
  size_t max_connections = 0;
  size_t max_connections_per_address = 64;
  // Seconds a request has to arrive whole (see above).
  unsigned request_deadline_seconds = 30;
  // Called for every request with a non-empty body (see above); may be empty.
  HttpBodyPlanner plan_body;
  // Both set: HTTPS with this PEM certificate (chain) and private key.
  std::string tls_cert_pem;
  std::string tls_key_pem;
};

using HttpHandler = std::function<void(const HttpRequest&, HttpResponse&)>;
using HttpLogger = std::function<void(const HttpRequest&, const HttpResponse&)>;

class HttpServer {
 public:
  // Binds and starts serving. `handler` answers every well-formed request; `on_error` rewrites
  // an answer the engine decides itself (400 / 411 for a body's framing, 413 for a body over
  // the limit, 500 when a handler throws), whose body is a plain sentence saying why, into the
  // server's error shape; `log` sees every answered request.
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
  struct Connection;
  void request_started() { in_flight_.fetch_add(1); }
  void request_ended();
  // Runs the handler; false when it answers later (the exchange then holds `res`).
  bool answer(Exchange& exchange, HttpResponse& res);
  // Logs and passes through on_error an answer the engine decided, or a later one.
  void finish_answer(Exchange& exchange, HttpResponse& res, bool engine_error);
  const HttpServerOptions& options() const { return options_; }
  void connection_opened(Connection* c);
  void connection_closed(Connection* c);
  // Requests waiting for a later answer: the engine may stop only when none is left.
  void answer_suspended() { suspended_.fetch_add(1); }
  void answer_resumed();

 private:
  HttpServer(HttpServerOptions options, HttpHandler handler, HttpHandler on_error, HttpLogger log)
      : options_(std::move(options)),
        handler_(std::move(handler)),
        on_error_(std::move(on_error)),
        log_(std::move(log)) {}

  void accept_loop();
  void reap_loop();
  // Why a new connection from `address` may not be admitted ("" when it may); counts it if so.
  std::string admit(const std::string& address, int* status);
  void release(const std::string& address);

  HttpServerOptions options_;
  HttpHandler handler_;
  HttpHandler on_error_;
  HttpLogger log_;
  MHD_Daemon* daemon_ = nullptr;
  int port_ = 0;
  int listen_fd_ = -1;
  std::atomic<bool> stopping_{false};
  std::thread acceptor_;
  std::thread reaper_;
  std::atomic<int64_t> in_flight_{0};
  std::atomic<int64_t> suspended_{0};
  std::mutex mu_;
  std::condition_variable idle_;
  // Admitted connections, by client address, and those the engine has started (for the
  // reaper); under connections_mu_.
  std::mutex connections_mu_;
  std::condition_variable reaper_wake_;
  size_t open_connections_ = 0;
  std::unordered_map<std::string, size_t> open_by_address_;
  std::unordered_set<Connection*> connections_;
};

}  // namespace upsync
