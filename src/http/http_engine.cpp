// HttpServer's requests (http_engine.h): libmicrohttpd's callbacks, from a connection's
// first line to the answer sent, with each request's deadline and its body, read whole or
// streamed to a sink.
#include "http/http_engine.h"

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

namespace upsync::http_engine {
namespace {

constexpr size_t kStreamBlock = 64 * 1024;
// The slowest a streamed body may arrive: each such many bytes buy a second more of deadline.
constexpr uint64_t kMinUploadRate = 64 * 1024;

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

HttpServer::Connection* connection_state(MHD_Connection* connection) {
  const MHD_ConnectionInfo* info =
      MHD_get_connection_info(connection, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
  return info ? static_cast<HttpServer::Connection*>(info->socket_context) : nullptr;
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

}  // namespace

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

void* on_uri(void*, const char* uri, MHD_Connection* connection) {
  if (HttpServer::Connection* state = connection_state(connection)) {
    state->target = uri ? uri : "";
  }
  return nullptr;
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

}  // namespace upsync::http_engine
