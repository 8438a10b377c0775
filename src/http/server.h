// upsync serve: the HTTP(S) server.
//
// One HttpServer (http_server.h: libmicrohttpd, a pool of event-loop threads); every engine
// thread connects its own Store to the Storage the caller opened (store/storage.h). /healthz and
// /metrics (Prometheus text) are answered here, everything else by the Router (router.h).
// Requests above `max_body_bytes` get 413 (a file's content: above `max_file_bytes`); every request
// is written to the access log (stderr). SIGTERM or SIGINT stops accepting, lets running requests
// finish and returns.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include "core/status.h"

namespace upsync {

class Router;
class Storage;

struct ServeOptions {
  // The database (must outlive serve()); the data folder holds the rest: document libraries'
  // files, the token signing keys, TLS files.
  Storage* storage = nullptr;
  std::string data_dir;
  std::string host = "127.0.0.1";
  int port = 8080;  // 0: any free port (the bound port is printed)
  std::string tls_cert;
  std::string tls_key;
  size_t threads = 8;
  size_t max_body_bytes = 4 * 1024 * 1024;
  // A file's content (files/add, $value, chunked uploads) streams to disk under this limit
  // instead of max_body_bytes; idle upload sessions are removed after upload_expiry_seconds.
  uint64_t max_file_bytes = uint64_t{2} * 1024 * 1024 * 1024;
  int64_t upload_expiry_seconds = 3600;
  // The names clients reach the server by (--public-host, public_hosts.h), besides the listen
  // address: "example.com", "example.com:8443", "https://example.com".
  std::vector<std::string> public_hosts;
  // Connections and requests (http_server.h): 0 connections is the engine's default.
  size_t max_connections = 0;
  size_t max_connections_per_address = 64;
  unsigned request_deadline_seconds = 30;
  // Password sign-in (auth/hash_pool.h, auth/sign_in_throttle.h): hashing threads (0: half
  // the machine's cores, at least 1), their queue, and the smart lockout's threshold and
  // first window.
  size_t sign_in_threads = 0;
  size_t sign_in_queue = 16;
  int lockout_threshold = 10;
  int lockout_seconds = 60;
  // The cookie sessions of upsync's pages (auth/browser_sign_in.h SessionPolicy).
  int64_t session_idle_seconds = 3600;
  int64_t session_max_seconds = 8 * 3600;
  bool import_worker = true;   // run queued bulk imports inside the server
  double worker_interval = 5;  // seconds between the worker's polls
};

// Parses "host:port" (e.g. "127.0.0.1:8080"); the where is the --listen option.
Status parse_listen(std::string_view listen, ServeOptions& opts);

// Registers every route the server answers (the table tests walk).
void add_routes(Router& router);

// Serves until SIGTERM/SIGINT. Prints "listening on <scheme>://host:port" to stdout once bound.
Status serve(const ServeOptions& opts);

}  // namespace upsync
