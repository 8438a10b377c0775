// The libmicrohttpd side of HttpServer (http_server.h), shared by its two files:
// http_engine.cpp (a request from its first line to its answer: the engine's callbacks,
// headers, bodies and their deadlines) and http_server.cpp (the server's life: listening,
// admission, the reaper, stop).
#pragma once

#include <microhttpd.h>
#include <sys/socket.h>

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>

#include "http/http_server.h"

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

namespace http_engine {

constexpr unsigned kIdleSeconds = 30;  // a kept-alive connection's idle limit
// Request line and headers, per connection; the engine zeroes it between requests.
constexpr size_t kConnectionMemory = 32 * 1024;
constexpr size_t kDefaultMaxConnections = 1000;
// Open files beyond connections: the listening socket, each thread's SQLite files (database,
// WAL, shared memory), the access log, the signing key, a refused connection's socket.
constexpr size_t kReservedFiles = 256;
constexpr unsigned kRetryAfterSeconds = 5;

int64_t steady_ms();

// The text form of an IPv4 or IPv6 address (an IPv4-mapped IPv6 address as IPv4).
std::string address_text(const sockaddr* addr);

// Whether the client of a socket has closed its side with nothing left unread: a body still
// being received then can never be whole.
bool client_left(int fd);

// Raises the soft open-file limit to the hard one; returns the limit now in force.
size_t raise_open_file_limit();

void on_connection(void* cls, MHD_Connection* connection, void** socket_context,
                   MHD_ConnectionNotificationCode code);

void* on_uri(void*, const char* uri, MHD_Connection* connection);

// Called for every request the handler saw (and only those), however it ended.
void on_completed(void* cls, MHD_Connection* connection, void** con_cls,
                  MHD_RequestTerminationCode);

MHD_Result on_request(void* cls, MHD_Connection* connection, const char*, const char* method,
                      const char*, const char* upload_data, size_t* upload_data_size,
                      void** con_cls);

}  // namespace http_engine
}  // namespace upsync
