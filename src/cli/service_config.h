// The configuration file of `upsync serve` and `upsync worker` (--config FILE, e.g.
// /etc/upsync/upsync.toml; packaging/upsync.toml is the commented example). TOML:
//
//   data_dir = "/var/lib/upsync"          # --data-dir
//   database = ""                         # --db: a data folder, sqlite:FILE or postgresql://...
//   [serve]
//   listen = "127.0.0.1:8080"             # --listen
//   tls_cert = "/etc/upsync/tls/cert.pem" # --tls-cert (with tls_key)
//   tls_key = "/etc/upsync/tls/key.pem"   # --tls-key
//   threads = 0                           # --threads
//   public_hosts = ["upsync.example.com"] # --public-host, repeated
//   worker = false                        # false: --no-worker (imports and syncs run elsewhere)
//   worker_interval = 5.0                 # --worker-interval
//   [worker]
//   interval = 5.0                        # --interval
//   scheduler = "1"                       # the `upsync worker --name` that runs scheduled
//                                         # syncs ("" none)
//
// A flag given on the command line wins over the file. Every key is checked: an unknown key
// or table, or a value of the wrong type or out of range, is refused with the file, line and
// column, and nothing runs.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"

namespace upsync {

struct ServiceConfig {
  std::optional<std::string> data_dir;
  std::optional<std::string> database;
  struct Serve {
    std::optional<std::string> listen;
    std::optional<std::string> tls_cert;
    std::optional<std::string> tls_key;
    std::optional<int64_t> threads;  // 0 to 256
    std::optional<std::vector<std::string>> public_hosts;
    std::optional<bool> worker;
    std::optional<double> worker_interval;  // seconds, 0.05 to 3600
  } serve;
  struct Worker {
    std::optional<double> interval;  // seconds, 0.05 to 3600
    std::optional<std::string> scheduler;
  } worker;
};

// Parses the text of a configuration file named `file` (for messages). InvalidArgument as
// "FILE: line L, column C: ..." for a TOML error, an unknown key or table, a wrong type or a
// value out of range.
Result<ServiceConfig> parse_service_config(std::string_view text, std::string_view file);

// Reads and parses the file at `path`; NotFound when it cannot be read.
Result<ServiceConfig> load_service_config(const std::string& path);

}  // namespace upsync
