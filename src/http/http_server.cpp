#include "http/http_server.h"

#include <arpa/inet.h>
#include <microhttpd.h>
#include <netdb.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <charconv>
#include <cstring>
#include <exception>

#include "core/text.h"

namespace upsync {

// One request on its connection, from the first line to the answer sent.
struct HttpServer::Exchange {
  HttpRequest req;
  bool too_large = false;
  bool answered = false;
};

namespace {

constexpr unsigned kIdleSeconds = 30;  // a kept-alive connection's idle limit
// Request line and headers, per connection; the engine zeroes it between requests.
constexpr size_t kConnectionMemory = 32 * 1024;
constexpr size_t kStreamBlock = 64 * 1024;

MHD_Result add_header(void* cls, MHD_ValueKind, const char* key, const char* value) {
  static_cast<HttpHeaders*>(cls)->emplace(key, value ? value : "");
  return MHD_YES;
}

std::string client_address(MHD_Connection* connection) {
  const MHD_ConnectionInfo* info =
      MHD_get_connection_info(connection, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
  if (!info || !info->client_addr) return "";
  char text[INET6_ADDRSTRLEN] = "";
  const sockaddr* addr = info->client_addr;
  if (addr->sa_family == AF_INET) {
    inet_ntop(AF_INET, &reinterpret_cast<const sockaddr_in*>(addr)->sin_addr, text, sizeof text);
  } else if (addr->sa_family == AF_INET6) {
    inet_ntop(AF_INET6, &reinterpret_cast<const sockaddr_in6*>(addr)->sin6_addr, text, sizeof text);
  }
  return text;
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

// Path, query parameters and (for a form POST) the body's parameters, from the raw target.
void finish_request(HttpRequest& req) {
  std::string_view target = req.target;
  size_t q = target.find('?');
  req.path = url_decode(target.substr(0, q), false);
  if (q != std::string_view::npos) parse_query(target.substr(q + 1), req.params);
  if (req.method == "POST" &&
      ascii_lower(req.get_header_value("Content-Type")).find("application/x-www-form-urlencoded") !=
          std::string::npos) {
    parse_query(req.body, req.params);
  }
}

// A connection's own state, from accept to close: the raw target of its current request,
// which the engine gives only before the request's headers are read.
struct ConnectionState {
  std::string target;
};

void on_connection(void*, MHD_Connection*, void** socket_context,
                   MHD_ConnectionNotificationCode code) {
  if (code == MHD_CONNECTION_NOTIFY_STARTED) {
    *socket_context = new ConnectionState;
  } else if (code == MHD_CONNECTION_NOTIFY_CLOSED) {
    delete static_cast<ConnectionState*>(*socket_context);
    *socket_context = nullptr;
  }
}

ConnectionState* connection_state(MHD_Connection* connection) {
  const MHD_ConnectionInfo* info =
      MHD_get_connection_info(connection, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
  return info ? static_cast<ConnectionState*>(info->socket_context) : nullptr;
}

void* on_uri(void*, const char* uri, MHD_Connection* connection) {
  if (ConnectionState* state = connection_state(connection)) state->target = uri ? uri : "";
  return nullptr;
}

// Called for every request the handler saw (and only those), however it ended.
void on_completed(void* cls, MHD_Connection*, void** con_cls, MHD_RequestTerminationCode) {
  auto* exchange = static_cast<HttpServer::Exchange*>(*con_cls);
  if (!exchange) return;
  *con_cls = nullptr;
  delete exchange;
  static_cast<HttpServer*>(cls)->request_ended();
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

MHD_Result on_request(void* cls, MHD_Connection* connection, const char*, const char* method,
                      const char*, const char* upload_data, size_t* upload_data_size,
                      void** con_cls) {
  auto* server = static_cast<HttpServer*>(cls);
  auto* exchange = static_cast<HttpServer::Exchange*>(*con_cls);
  if (!exchange) {
    // The headers are in: from here on_completed is sure to run for this request.
    exchange = new HttpServer::Exchange;
    *con_cls = exchange;
    server->request_started();
    HttpRequest& req = exchange->req;
    if (ConnectionState* state = connection_state(connection))
      req.target = std::move(state->target);
    // A HEAD request is its GET: every handler serves it as such, and the engine, which
    // knows the request's method, sends the answer's headers (Content-Length included)
    // without its body.
    req.head = std::string_view(method) == MHD_HTTP_METHOD_HEAD;
    req.method = req.head ? MHD_HTTP_METHOD_GET : method;
    req.remote_addr = client_address(connection);
    MHD_get_connection_values(connection, MHD_HEADER_KIND, &add_header, &req.headers);
    auto declared = content_length(req);
    if (declared && *declared > server->options().max_body_bytes) {
      // Answered before the body is read; the engine then closes the connection.
      exchange->too_large = true;
      finish_request(req);
      HttpResponse res;
      res.status = 413;
      server->answer(*exchange, res);
      return queue(connection, res);
    }
    return MHD_YES;
  }

  HttpRequest& req = exchange->req;
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

  if (exchange->answered) return MHD_YES;
  finish_request(req);
  HttpResponse res;
  if (exchange->too_large) res.status = 413;
  server->answer(*exchange, res);
  return queue(connection, res);
}

}  // namespace

Result<std::unique_ptr<HttpServer>> HttpServer::start(HttpServerOptions options,
                                                      HttpHandler handler, HttpHandler on_error,
                                                      HttpLogger log) {
  const std::string where = options.host + ":" + std::to_string(options.port);
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
  bool ipv6 = found->ai_family == AF_INET6;
  freeaddrinfo(found);

  std::unique_ptr<HttpServer> server(
      new HttpServer(std::move(options), std::move(handler), std::move(on_error), std::move(log)));
  const HttpServerOptions& o = server->options_;
  bool tls = !o.tls_cert_pem.empty();
  unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL | MHD_USE_TURBO | MHD_USE_ITC;
  if (tls) flags |= MHD_USE_TLS;
  if (ipv6) flags |= MHD_USE_IPv6;
  unsigned threads = static_cast<unsigned>(o.threads == 0 ? 1 : o.threads);
  // TLS options last: without TLS the list ends before them.
  server->daemon_ = MHD_start_daemon(
      flags, static_cast<uint16_t>(o.port), nullptr, nullptr, &on_request, server.get(),
      MHD_OPTION_SOCK_ADDR, reinterpret_cast<const sockaddr*>(&address),
      MHD_OPTION_THREAD_POOL_SIZE, threads, MHD_OPTION_CONNECTION_TIMEOUT, kIdleSeconds,
      MHD_OPTION_CONNECTION_MEMORY_LIMIT, kConnectionMemory, MHD_OPTION_NOTIFY_CONNECTION,
      &on_connection, nullptr, MHD_OPTION_URI_LOG_CALLBACK, &on_uri, nullptr,
      MHD_OPTION_NOTIFY_COMPLETED, &on_completed, server.get(),
      tls ? MHD_OPTION_HTTPS_MEM_CERT : MHD_OPTION_END, o.tls_cert_pem.c_str(),
      MHD_OPTION_HTTPS_MEM_KEY, o.tls_key_pem.c_str(), MHD_OPTION_END);
  if (!server->daemon_) {
    return unavailable("cannot listen on " + where + " (address in use or not local" +
                       (tls ? ", or a TLS certificate and key that do not load" : "") + ")");
  }
  const MHD_DaemonInfo* info = MHD_get_daemon_info(server->daemon_, MHD_DAEMON_INFO_BIND_PORT);
  server->port_ = info ? info->port : o.port;
  return server;
}

HttpServer::~HttpServer() { stop(std::chrono::milliseconds(0)); }

void HttpServer::request_ended() {
  if (in_flight_.fetch_sub(1) == 1) {
    std::lock_guard lock(mu_);
    idle_.notify_all();
  }
}

void HttpServer::answer(Exchange& exchange, HttpResponse& res) {
  exchange.answered = true;
  if (res.status == 200) {
    try {
      handler_(exchange.req, res);
    } catch (...) {
      res = HttpResponse();
      res.status = 500;
    }
  }
  if (res.status == 413 || res.status == 500) on_error_(exchange.req, res);
  if (log_) log_(exchange.req, res);
}

void HttpServer::stop(std::chrono::milliseconds grace) {
  if (!daemon_) return;
  MHD_socket listener = MHD_quiesce_daemon(daemon_);
  if (listener != MHD_INVALID_SOCKET) close(listener);
  {
    std::unique_lock lock(mu_);
    idle_.wait_for(lock, grace, [this] { return in_flight_.load() == 0; });
  }
  MHD_stop_daemon(daemon_);
  daemon_ = nullptr;
}

}  // namespace upsync
