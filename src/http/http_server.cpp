#include "http/http_server.h"

#include <microhttpd.h>
#include <netdb.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <exception>

#include "http/http_engine.h"

namespace upsync {

using http_engine::address_text;
using http_engine::client_left;
using http_engine::kConnectionMemory;
using http_engine::kDefaultMaxConnections;
using http_engine::kIdleSeconds;
using http_engine::kReservedFiles;
using http_engine::kRetryAfterSeconds;
using http_engine::on_completed;
using http_engine::on_connection;
using http_engine::on_request;
using http_engine::on_uri;
using http_engine::raise_open_file_limit;
using http_engine::steady_ms;

namespace {

// A listening socket on `address`, its backlog sized to the connection limits.
Result<int> listen_on(const sockaddr_storage& address, socklen_t length, size_t backlog,
                      const std::string& where) {
  int fd = socket(address.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return unavailable("cannot listen on " + where + ": " + std::strerror(errno));
  int on = 1;
  setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof on);
  if (bind(fd, reinterpret_cast<const sockaddr*>(&address), length) != 0 ||
      listen(fd, static_cast<int>(backlog)) != 0) {
    std::string why = std::strerror(errno);
    close(fd);
    return unavailable("cannot listen on " + where + ": " + why);
  }
  return fd;
}

// The whole answer to a connection refused at accept: status line, Retry-After, a sentence.
std::string refusal(int status, const std::string& why) {
  std::string body = why + "\n";
  return "HTTP/1.1 " + std::to_string(status) +
         (status == 429 ? " Too Many Requests" : " Service Unavailable") +
         "\r\nRetry-After: " + std::to_string(kRetryAfterSeconds) +
         "\r\nConnection: close\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: " +
         std::to_string(body.size()) + "\r\n\r\n" + body;
}

}  // namespace

Result<std::unique_ptr<HttpServer>> HttpServer::start(HttpServerOptions options,
                                                      HttpHandler handler, HttpHandler on_error,
                                                      HttpLogger log) {
  const std::string where = options.host + ":" + std::to_string(options.port);
  size_t open_files = raise_open_file_limit();
  size_t most = open_files > kReservedFiles ? open_files - kReservedFiles : 0;
  if (options.max_connections == 0)
    options.max_connections = std::min(kDefaultMaxConnections, most);
  if (options.max_connections == 0 || options.max_connections > most) {
    return invalid_argument("--max-connections " + std::to_string(options.max_connections) +
                            " needs " + std::to_string(options.max_connections + kReservedFiles) +
                            " open files, and this process may open " + std::to_string(open_files) +
                            " (ulimit -n)");
  }
  if (options.max_connections_per_address == 0) {
    return invalid_argument("--max-connections-per-address must be at least 1");
  }
  if (options.request_deadline_seconds == 0) {
    return invalid_argument("--request-deadline must be at least 1 second");
  }
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
  addrinfo* found = nullptr;
  std::string port_text = std::to_string(options.port);
  if (int rc = getaddrinfo(options.host.c_str(), port_text.c_str(), &hints, &found); rc != 0) {
    return unavailable("cannot listen on " + where + ": " + gai_strerror(rc));
  }
  sockaddr_storage address{};
  std::memcpy(&address, found->ai_addr, found->ai_addrlen);
  socklen_t address_length = found->ai_addrlen;
  bool ipv6 = found->ai_family == AF_INET6;
  freeaddrinfo(found);

  std::unique_ptr<HttpServer> server(
      new HttpServer(std::move(options), std::move(handler), std::move(on_error), std::move(log)));
  const HttpServerOptions& o = server->options_;
  UPSYNC_ASSIGN_OR_RETURN(
      server->listen_fd_,
      listen_on(address, address_length, std::clamp<size_t>(o.max_connections, 16, 4096), where));
  sockaddr_storage bound{};
  socklen_t bound_length = sizeof bound;
  getsockname(server->listen_fd_, reinterpret_cast<sockaddr*>(&bound), &bound_length);
  server->port_ =
      ntohs(bound.ss_family == AF_INET6 ? reinterpret_cast<sockaddr_in6*>(&bound)->sin6_port
                                        : reinterpret_cast<sockaddr_in*>(&bound)->sin_port);

  bool tls = !o.tls_cert_pem.empty();
  unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL | MHD_USE_TURBO | MHD_USE_ITC |
                   MHD_USE_NO_LISTEN_SOCKET | MHD_ALLOW_SUSPEND_RESUME;
  if (tls) flags |= MHD_USE_TLS;
  if (ipv6) flags |= MHD_USE_IPv6;
  unsigned threads = static_cast<unsigned>(o.threads == 0 ? 1 : o.threads);
  // The engine divides its connection limit between its threads and adds a connection to a
  // thread below its share: each thread may hold every admitted connection, so the acceptor's
  // count is the one limit that ever refuses.
  unsigned engine_limit = static_cast<unsigned>(o.max_connections * threads + threads);
  // TLS options last: without TLS the list ends before them.
  server->daemon_ = MHD_start_daemon(
      flags, 0, nullptr, nullptr, &on_request, server.get(), MHD_OPTION_THREAD_POOL_SIZE, threads,
      MHD_OPTION_CONNECTION_LIMIT, engine_limit, MHD_OPTION_CONNECTION_TIMEOUT, kIdleSeconds,
      MHD_OPTION_CONNECTION_MEMORY_LIMIT, kConnectionMemory, MHD_OPTION_NOTIFY_CONNECTION,
      &on_connection, server.get(), MHD_OPTION_URI_LOG_CALLBACK, &on_uri, nullptr,
      MHD_OPTION_NOTIFY_COMPLETED, &on_completed, server.get(),
      tls ? MHD_OPTION_HTTPS_MEM_CERT : MHD_OPTION_END, o.tls_cert_pem.c_str(),
      MHD_OPTION_HTTPS_MEM_KEY, o.tls_key_pem.c_str(), MHD_OPTION_END);
  if (!server->daemon_) {
    close(server->listen_fd_);
    server->listen_fd_ = -1;
    return unavailable("cannot serve on " + where +
                       (tls ? " (a TLS certificate and key that do not load?)" : ""));
  }
  HttpServer* s = server.get();
  server->acceptor_ = std::thread([s] { s->accept_loop(); });
  server->reaper_ = std::thread([s] { s->reap_loop(); });
  return server;
}

std::string HttpServer::admit(const std::string& address, int* status) {
  std::lock_guard lock(connections_mu_);
  if (open_connections_ >= options_.max_connections) {
    *status = 503;
    return "This server has " + std::to_string(open_connections_) +
           " connections open, its limit; try again in a few seconds.";
  }
  size_t& mine = open_by_address_[address];
  if (mine >= options_.max_connections_per_address) {
    *status = 429;
    return "There are " + std::to_string(mine) + " connections from " + address +
           " open, the limit for one address; reuse one, or try again in a few seconds.";
  }
  ++mine;
  ++open_connections_;
  return "";
}

void HttpServer::release(const std::string& address) {
  std::lock_guard lock(connections_mu_);
  auto it = open_by_address_.find(address);
  if (it != open_by_address_.end() && --it->second == 0) open_by_address_.erase(it);
  if (open_connections_ > 0) --open_connections_;
}

void HttpServer::connection_opened(Connection* c) {
  std::lock_guard lock(connections_mu_);
  connections_.insert(c);
}

void HttpServer::connection_closed(Connection* c) {
  {
    std::lock_guard lock(connections_mu_);
    connections_.erase(c);
  }
  release(c->address);
}

void HttpServer::accept_loop() {
  bool told_out_of_files = false;
  for (;;) {
    sockaddr_storage addr{};
    socklen_t length = sizeof addr;
    int fd = accept4(listen_fd_, reinterpret_cast<sockaddr*>(&addr), &length,
                     SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (stopping_) {
      if (fd >= 0) close(fd);
      return;
    }
    if (fd < 0) {
      if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM) {
        // Only when the host, not this process's limit, runs out: the connection waits in the
        // backlog until a descriptor is free.
        if (!told_out_of_files) {
          std::fprintf(stderr, "upsync serve: cannot accept a connection: %s\n",
                       std::strerror(errno));
          told_out_of_files = true;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
      }
      continue;
    }
    told_out_of_files = false;
    std::string address = address_text(reinterpret_cast<sockaddr*>(&addr));
    int status = 0;
    std::string why = admit(address, &status);
    if (why.empty()) {
      // On failure the engine has closed the socket.
      if (MHD_add_connection(daemon_, fd, reinterpret_cast<sockaddr*>(&addr), length) != MHD_YES) {
        release(address);
      }
      continue;
    }
    if (options_.tls_cert_pem.empty()) {
      // One write into an empty socket buffer; what the client sent is read and dropped so
      // that closing sends a FIN rather than a reset that could discard the answer.
      std::string text = refusal(status, why);
      ssize_t sent = send(fd, text.data(), text.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
      (void)sent;  // a client gone already needs no answer
      shutdown(fd, SHUT_WR);
      char drain[4096];
      while (recv(fd, drain, sizeof drain, MSG_DONTWAIT) > 0) {
      }
    }
    close(fd);
  }
}

void HttpServer::reap_loop() {
  std::unique_lock lock(connections_mu_);
  while (!stopping_) {
    reaper_wake_.wait_for(lock, std::chrono::milliseconds(250));
    int64_t now = steady_ms();
    for (Connection* c : connections_) {
      int64_t d = c->deadline_ms.load();
      if (d > 0 && now > d && c->deadline_ms.compare_exchange_strong(d, Connection::kCut)) {
        shutdown(c->fd, SHUT_RDWR);
      } else if (d > 0 && c->streaming && client_left(c->fd) &&
                 c->deadline_ms.compare_exchange_strong(d, Connection::kCut)) {
        // The engine may not see this close: it read the last bytes and the FIN in one
        // wake-up of its edge-triggered loop, and waits for another that never comes.
        shutdown(c->fd, SHUT_RDWR);
      }
    }
  }
}

HttpServer::~HttpServer() { stop(std::chrono::milliseconds(0)); }

void HttpServer::answer_resumed() {
  if (suspended_.fetch_sub(1) == 1) {
    std::lock_guard lock(mu_);
    idle_.notify_all();
  }
}

void HttpServer::request_ended() {
  if (in_flight_.fetch_sub(1) == 1) {
    std::lock_guard lock(mu_);
    idle_.notify_all();
  }
}

bool HttpServer::answer(Exchange& exchange, HttpResponse& res) {
  exchange.answered = true;
  try {
    handler_(exchange.req, res);
  } catch (...) {
    res = HttpResponse();
    res.status = 500;
    res.body = "HTTP 500 for " + exchange.req.path + ".";
    finish_answer(exchange, res, true);
    return true;
  }
  if (res.later) return false;
  finish_answer(exchange, res, false);
  return true;
}

void HttpServer::finish_answer(Exchange& exchange, HttpResponse& res, bool engine_error) {
  if (engine_error) on_error_(exchange.req, res);
  if (log_) log_(exchange.req, res);
}

void HttpServer::stop(std::chrono::milliseconds grace) {
  if (!daemon_) return;
  // Stop accepting: shutting the listening socket down wakes the acceptor from accept().
  stopping_ = true;
  shutdown(listen_fd_, SHUT_RDWR);
  if (acceptor_.joinable()) acceptor_.join();
  close(listen_fd_);
  listen_fd_ = -1;
  {
    std::unique_lock lock(mu_);
    idle_.wait_for(lock, grace, [this] { return in_flight_.load() == 0; });
    // A later answer is bounded work (a password's hashing, a sync run or a connection test,
    // each within its timeouts; answer_later.h): the engine must not stop with a connection
    // suspended, so its answer is awaited.
    idle_.wait(lock, [this] { return suspended_.load() == 0; });
  }
  {
    std::lock_guard lock(connections_mu_);
    reaper_wake_.notify_all();
  }
  if (reaper_.joinable()) reaper_.join();
  MHD_stop_daemon(daemon_);
  daemon_ = nullptr;
}

}  // namespace upsync
