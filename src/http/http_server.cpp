#include "http/http_server.h"

#include <arpa/inet.h>
#include <microhttpd.h>
#include <netdb.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/ioctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cstdio>
#include <cstring>
#include <exception>

#include "core/text.h"

namespace upsync {

// One request on its connection, from the first line to the answer sent.
struct HttpServer::Exchange {
  HttpRequest req;
  bool too_large = false;
  // A streamed body (req.body_sink): whether the sink has failed (the rest is dropped), and
  // the bytes received and the deadline time they have earned.
  bool sink_failed = false;
  uint64_t declared = 0;  // the body's Content-Length
  uint64_t streamed = 0;
  int64_t earned_ms = 0;
  bool answered = false;
  // An answer decided from the headers (BodyPlan::answer), sent once the body is read and
  // dropped (see start_exchange).
  std::unique_ptr<HttpResponse> early;
  // A later answer: set by `finish` (any thread), sent by the engine's thread on resume.
  std::mutex mu;
  bool later_ready = false;
  HttpResponse later;
};

// A connection's own state, from the engine's start of it to its close: the raw target of
// its current request (the engine gives it only before the request's headers are read), and
// the deadline of that request.
struct HttpServer::Connection {
  std::string target;
  std::string address;
  int fd = -1;
  // Steady-clock milliseconds by which the current request must be whole; kAnswering while
  // it is answered, kCut once the reaper has cut it off.
  std::atomic<int64_t> deadline_ms{0};
  static constexpr int64_t kAnswering = 0;
  static constexpr int64_t kCut = -1;
  // While a body streams to a sink: the reaper watches for a client gone mid-body.
  std::atomic<bool> streaming{false};
};

namespace {

constexpr unsigned kIdleSeconds = 30;  // a kept-alive connection's idle limit
// Request line and headers, per connection; the engine zeroes it between requests.
constexpr size_t kConnectionMemory = 32 * 1024;
constexpr size_t kStreamBlock = 64 * 1024;
constexpr size_t kDefaultMaxConnections = 1000;
// Open files beyond connections: the listening socket, each thread's SQLite files (database,
// WAL, shared memory), the access log, the signing key, a refused connection's socket.
constexpr size_t kReservedFiles = 256;
constexpr unsigned kRetryAfterSeconds = 5;
// The slowest a streamed body may arrive: each such many bytes buy a second more of deadline.
constexpr uint64_t kMinUploadRate = 64 * 1024;

int64_t steady_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

// The text form of an IPv4 or IPv6 address (an IPv4-mapped IPv6 address as IPv4).
std::string address_text(const sockaddr* addr) {
  char text[INET6_ADDRSTRLEN] = "";
  if (addr->sa_family == AF_INET) {
    inet_ntop(AF_INET, &reinterpret_cast<const sockaddr_in*>(addr)->sin_addr, text, sizeof text);
  } else if (addr->sa_family == AF_INET6) {
    const in6_addr& a = reinterpret_cast<const sockaddr_in6*>(addr)->sin6_addr;
    if (IN6_IS_ADDR_V4MAPPED(&a)) {
      inet_ntop(AF_INET, &a.s6_addr[12], text, sizeof text);
    } else {
      inet_ntop(AF_INET6, &a, text, sizeof text);
    }
  }
  return text;
}

// Whether the client of a socket has closed its side with nothing left unread: a body still
// being received then can never be whole.
bool client_left(int fd) {
  pollfd p{fd, POLLRDHUP, 0};
  if (poll(&p, 1, 0) != 1 || !(p.revents & (POLLRDHUP | POLLHUP))) return false;
  int unread = 0;
  return ioctl(fd, FIONREAD, &unread) == 0 && unread == 0;
}

// Raises the soft open-file limit to the hard one; returns the limit now in force.
size_t raise_open_file_limit() {
  rlimit lim{};
  if (getrlimit(RLIMIT_NOFILE, &lim) != 0) return 1024;
  if (lim.rlim_cur < lim.rlim_max) {
    rlimit raised = lim;
    raised.rlim_cur = lim.rlim_max;
    if (setrlimit(RLIMIT_NOFILE, &raised) == 0) lim = raised;
  }
  return lim.rlim_cur == RLIM_INFINITY ? SIZE_MAX : static_cast<size_t>(lim.rlim_cur);
}

MHD_Result add_header(void* cls, MHD_ValueKind, const char* key, const char* value) {
  static_cast<HttpHeaders*>(cls)->emplace(key, value ? value : "");
  return MHD_YES;
}

std::string client_address(MHD_Connection* connection) {
  const MHD_ConnectionInfo* info =
      MHD_get_connection_info(connection, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
  if (!info || !info->client_addr) return "";
  return address_text(info->client_addr);
}

// The declared body length, when the client sent one.
std::optional<uint64_t> content_length(const HttpRequest& req) {
  auto it = req.headers.find(std::string_view("Content-Length"));
  if (it == req.headers.end()) return std::nullopt;
  uint64_t n = 0;
  const std::string& v = it->second;
  auto [ptr, ec] = std::from_chars(v.data(), v.data() + v.size(), n);
  if (ec != std::errc() || ptr != v.data() + v.size()) return std::nullopt;
  return n;
}

// Why the request's body framing is refused (and with which status), or "" when it is not.
// The engine itself refuses a Content-Length that is not a number (400) before this.
std::string framing_error(const HttpRequest& req, int* status) {
  size_t lengths = req.headers.count(std::string_view("Content-Length"));
  bool transfer_encoding = req.has_header("Transfer-Encoding");
  *status = 400;
  if (lengths > 1) {
    return "A request has at most one Content-Length header; this one has " +
           std::to_string(lengths) + ".";
  }
  if (lengths == 1 && transfer_encoding) {
    return "A request has a Content-Length or a Transfer-Encoding header, not both.";
  }
  if (transfer_encoding) {
    *status = 411;
    return "This server reads a request body of a declared length: send Content-Length "
           "instead of Transfer-Encoding: " +
           req.get_header_value("Transfer-Encoding") + ".";
  }
  return "";
}

// Path and query parameters, from the raw target.
void parse_target(HttpRequest& req) {
  std::string_view target = req.target;
  size_t q = target.find('?');
  req.path = url_decode(target.substr(0, q), false);
  if (q != std::string_view::npos) parse_query(target.substr(q + 1), req.params);
}

// The body's parameters, for a form POST.
void finish_request(HttpRequest& req) {
  if (req.method == "POST" &&
      ascii_lower(req.get_header_value("Content-Type")).find("application/x-www-form-urlencoded") !=
          std::string::npos) {
    parse_query(req.body, req.params);
  }
}

void on_connection(void* cls, MHD_Connection* connection, void** socket_context,
                   MHD_ConnectionNotificationCode code) {
  auto* server = static_cast<HttpServer*>(cls);
  if (code == MHD_CONNECTION_NOTIFY_STARTED) {
    auto* c = new HttpServer::Connection;
    c->address = client_address(connection);
    const MHD_ConnectionInfo* fd =
        MHD_get_connection_info(connection, MHD_CONNECTION_INFO_CONNECTION_FD);
    c->fd = fd ? fd->connect_fd : -1;
    c->deadline_ms = steady_ms() + server->options().request_deadline_seconds * 1000LL;
    *socket_context = c;
    server->connection_opened(c);
  } else if (code == MHD_CONNECTION_NOTIFY_CLOSED) {
    // The engine closes the socket after this: the reaper, which removes nothing but under
    // the same lock, never shuts down a descriptor number the kernel has given to another.
    auto* c = static_cast<HttpServer::Connection*>(*socket_context);
    if (c) server->connection_closed(c);
    delete c;
    *socket_context = nullptr;
  }
}

HttpServer::Connection* connection_state(MHD_Connection* connection) {
  const MHD_ConnectionInfo* info =
      MHD_get_connection_info(connection, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
  return info ? static_cast<HttpServer::Connection*>(info->socket_context) : nullptr;
}

void* on_uri(void*, const char* uri, MHD_Connection* connection) {
  if (HttpServer::Connection* state = connection_state(connection)) {
    state->target = uri ? uri : "";
  }
  return nullptr;
}

// Marks the connection's request as being answered; false when the reaper cut it off first.
bool stop_deadline(MHD_Connection* connection) {
  HttpServer::Connection* state = connection_state(connection);
  if (!state) return true;
  int64_t d = state->deadline_ms.load();
  while (d != HttpServer::Connection::kCut &&
         !state->deadline_ms.compare_exchange_weak(d, HttpServer::Connection::kAnswering)) {
  }
  return d != HttpServer::Connection::kCut;
}

// Moves the deadline of a request whose body streams on by the time its bytes have earned.
void extend_deadline(MHD_Connection* connection, HttpServer::Exchange& exchange, size_t bytes) {
  exchange.streamed += bytes;
  int64_t earned = static_cast<int64_t>(exchange.streamed * 1000 / kMinUploadRate);
  int64_t more = earned - exchange.earned_ms;
  if (more <= 0) return;
  exchange.earned_ms = earned;
  HttpServer::Connection* state = connection_state(connection);
  if (!state) return;
  int64_t d = state->deadline_ms.load();
  while (d > 0 && !state->deadline_ms.compare_exchange_weak(d, d + more)) {
  }
}

// Asks the planner what to do with the body; false when it threw.
bool plan_body(HttpServer& server, HttpServer::Exchange& exchange, BodyPlan& plan) {
  try {
    server.options().plan_body(exchange.req, plan);
    return true;
  } catch (...) {
    plan = BodyPlan();
    return false;
  }
}

// Called for every request the handler saw (and only those), however it ended.
void on_completed(void* cls, MHD_Connection* connection, void** con_cls,
                  MHD_RequestTerminationCode) {
  auto* server = static_cast<HttpServer*>(cls);
  // The connection now waits for its next request, which has its own deadline.
  if (HttpServer::Connection* state = connection_state(connection)) {
    int64_t d = state->deadline_ms.load();
    if (d != HttpServer::Connection::kCut) {
      state->deadline_ms.compare_exchange_strong(
          d, steady_ms() + server->options().request_deadline_seconds * 1000LL);
    }
  }
  if (HttpServer::Connection* state = connection_state(connection)) state->streaming = false;
  auto* exchange = static_cast<HttpServer::Exchange*>(*con_cls);
  if (!exchange) return;
  *con_cls = nullptr;
  delete exchange;
  server->request_ended();
}

ssize_t read_content(void* cls, uint64_t pos, char* buf, size_t max) {
  ssize_t n = (*static_cast<ContentReader*>(cls))(pos, buf, max);
  return n > 0 ? n : MHD_CONTENT_READER_END_WITH_ERROR;
}

void free_content(void* cls) { delete static_cast<ContentReader*>(cls); }

MHD_Result queue(MHD_Connection* connection, HttpResponse& res) {
  MHD_Response* response = nullptr;
  if (res.reader) {
    auto* reader = new ContentReader(std::move(res.reader));
    response = MHD_create_response_from_callback(res.reader_length, kStreamBlock, &read_content,
                                                 reader, &free_content);
    if (!response) delete reader;
  } else {
    auto* body = new std::string(std::move(res.body));
    response = MHD_create_response_from_buffer_with_free_callback_cls(
        body->size(), body->data(), [](void* p) { delete static_cast<std::string*>(p); }, body);
    if (!response) delete body;
  }
  if (!response) return MHD_NO;
  for (const auto& [name, value] : res.headers) {
    if (ascii_iequal(name, "Content-Length")) continue;  // the engine counts the body itself
    MHD_add_response_header(response, name.c_str(), value.c_str());
  }
  MHD_Result queued = MHD_queue_response(connection, static_cast<unsigned>(res.status), response);
  MHD_destroy_response(response);
  return queued;
}

// An answer the engine decides itself, before or instead of the handler's.
MHD_Result queue_engine_error(HttpServer& server, HttpServer::Exchange& exchange,
                              MHD_Connection* connection, int status, std::string reason) {
  exchange.answered = true;
  finish_request(exchange.req);
  HttpResponse res;
  res.status = status;
  res.body = std::move(reason);
  server.finish_answer(exchange, res, true);
  return queue(connection, res);
}

// The headers are in: from here on_completed is sure to run for this request.
MHD_Result start_exchange(HttpServer& server, MHD_Connection* connection, const char* method,
                          void** con_cls) {
  auto* exchange = new HttpServer::Exchange;
  *con_cls = exchange;
  server.request_started();
  HttpRequest& req = exchange->req;
  if (HttpServer::Connection* state = connection_state(connection)) {
    req.target = std::move(state->target);
  }
  // A HEAD request is its GET: every handler serves it as such, and the engine, which
  // knows the request's method, sends the answer's headers (Content-Length included)
  // without its body.
  req.head = std::string_view(method) == MHD_HTTP_METHOD_HEAD;
  req.method = req.head ? MHD_HTTP_METHOD_GET : method;
  req.remote_addr = client_address(connection);
  MHD_get_connection_values(connection, MHD_HEADER_KIND, &add_header, &req.headers);
  parse_target(req);
  // Refused before the body is read; the engine then closes the connection, so that no byte
  // of the body is read as a next request.
  int status = 0;
  std::string framing = framing_error(req, &status);
  if (!framing.empty()) {
    if (!stop_deadline(connection)) return MHD_NO;
    return queue_engine_error(server, *exchange, connection, status, std::move(framing));
  }
  auto declared = content_length(req);
  if (declared && *declared > 0 && server.options().plan_body) {
    BodyPlan plan;
    if (!plan_body(server, *exchange, plan)) {
      if (!stop_deadline(connection)) return MHD_NO;
      return queue_engine_error(server, *exchange, connection, 500,
                                "HTTP 500 for " + req.path + ".");
    }
    if (plan.answer) {
      // A body no larger than one the server takes in memory is read and dropped before the
      // answer: closing a connection with bytes of the body unread makes the kernel reset
      // it, which can destroy the answer on its way, and a browser still sending its body
      // then reports a network error instead of the 413 or 401. Reading it costs no more
      // than an accepted request; a larger body is not read (the answer goes now and the
      // connection closes). The request's deadline still runs while it is dropped.
      if (*declared <= server.options().max_body_bytes) {
        exchange->early = std::move(plan.answer);
        return MHD_YES;
      }
      if (!stop_deadline(connection)) return MHD_NO;
      HttpResponse res = std::move(*plan.answer);
      exchange->answered = true;
      server.finish_answer(*exchange, res, false);
      return queue(connection, res);
    }
    req.body_sink = std::move(plan.sink);
    if (req.body_sink) {
      exchange->declared = *declared;
      if (HttpServer::Connection* state = connection_state(connection)) state->streaming = true;
    }
  }
  if (!req.body_sink && declared && *declared > server.options().max_body_bytes) {
    if (!stop_deadline(connection)) return MHD_NO;
    exchange->too_large = true;
    return queue_engine_error(server, *exchange, connection, 413,
                              "The request body is larger than the limit of this server.");
  }
  return MHD_YES;
}

MHD_Result on_request(void* cls, MHD_Connection* connection, const char*, const char* method,
                      const char*, const char* upload_data, size_t* upload_data_size,
                      void** con_cls) {
  auto* server = static_cast<HttpServer*>(cls);
  auto* exchange = static_cast<HttpServer::Exchange*>(*con_cls);
  if (!exchange) return start_exchange(*server, connection, method, con_cls);

  HttpRequest& req = exchange->req;
  if (exchange->early) {
    if (*upload_data_size > 0) {
      *upload_data_size = 0;  // dropped
      return MHD_YES;
    }
    if (!stop_deadline(connection)) return MHD_NO;
    HttpResponse res = std::move(*exchange->early);
    exchange->early.reset();
    exchange->answered = true;
    server->finish_answer(*exchange, res, false);
    return queue(connection, res);
  }
  if (*upload_data_size > 0 && req.body_sink) {
    if (!exchange->sink_failed &&
        !req.body_sink->write(std::string_view(upload_data, *upload_data_size))) {
      exchange->sink_failed = true;  // the sink keeps why; the rest is read and dropped
    }
    extend_deadline(connection, *exchange, *upload_data_size);
    // Whole: a client that now closes its side (waiting for the answer) has not left.
    if (exchange->streamed >= exchange->declared) {
      if (HttpServer::Connection* state = connection_state(connection)) state->streaming = false;
    }
    *upload_data_size = 0;
    return MHD_YES;
  }
  if (*upload_data_size > 0) {
    if (!exchange->too_large) {
      if (req.body.size() + *upload_data_size > server->options().max_body_bytes) {
        exchange->too_large = true;  // the rest is read and dropped
        req.body.clear();
        req.body.shrink_to_fit();
      } else {
        req.body.append(upload_data, *upload_data_size);
      }
    }
    *upload_data_size = 0;
    return MHD_YES;
  }

  if (req.body_sink) {
    if (HttpServer::Connection* state = connection_state(connection)) state->streaming = false;
  }
  if (exchange->answered) {
    // Resumed: a later answer is ready (or a stray call after an answer was queued).
    std::unique_lock lock(exchange->mu);
    if (!exchange->later_ready) return MHD_YES;
    exchange->later_ready = false;
    HttpResponse res = std::move(exchange->later);
    lock.unlock();
    return queue(connection, res);
  }
  if (!stop_deadline(connection)) return MHD_NO;
  if (exchange->too_large) {
    return queue_engine_error(*server, *exchange, connection, 413,
                              "The request body is larger than the limit of this server.");
  }
  finish_request(req);
  HttpResponse res;
  if (server->answer(*exchange, res)) return queue(connection, res);

  // Answered later: the loop goes on with other connections until `finish` resumes this one.
  server->answer_suspended();
  MHD_suspend_connection(connection);
  res.later([server, exchange, connection](HttpResponse answer) {
    server->finish_answer(*exchange, answer, false);
    {
      std::lock_guard lock(exchange->mu);
      exchange->later = std::move(answer);
      exchange->later_ready = true;
    }
    MHD_resume_connection(connection);
    server->answer_resumed();
  });
  return MHD_YES;
}

}  // namespace

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
