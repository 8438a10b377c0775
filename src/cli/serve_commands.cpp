// upsync serve
#include <CLI/CLI.hpp>
#include <algorithm>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "cli/context.h"
#include "http/self_signed.h"
#include "http/server.h"

namespace upsync {

namespace {

// Sets `target` from the file's value when the command line did not give `flag`.
template <typename T, typename V>
void from_config(CLI::App* cmd, const char* flag, const std::optional<V>& value, T& target) {
  if (value && cmd->get_option(flag)->count() == 0) target = static_cast<T>(*value);
}

}  // namespace

void add_serve_commands(CLI::App& app, CliContext& ctx) {
  struct Args {
    std::string listen = "127.0.0.1:8080";
    std::string tls_cert;
    std::string tls_key;
    bool tls_self_signed = false;
    size_t threads = 0;
    size_t max_body = 4 * 1024 * 1024;
    uint64_t max_file_size = uint64_t{2} * 1024 * 1024 * 1024;
    int64_t upload_expiry = 3600;
    bool no_worker = false;
    double worker_interval = 5;
    std::vector<std::string> public_hosts;
    // Connections, and password sign-in (issue 15).
    size_t max_connections = 0;
    size_t max_connections_per_address = 64;
    unsigned request_deadline = 30;
    size_t sign_in_threads = 0;
    size_t sign_in_queue = 16;
    int lockout_threshold = 10;
    int lockout_seconds = 60;
    int64_t session_idle_seconds = 3600;
    int64_t session_max_seconds = 8 * 3600;
    std::string config;
  };
  auto args = std::make_shared<Args>();
  CLI::App* cmd = app.add_subcommand("serve", "serve the HTTP(S) API until SIGTERM");
  cmd->add_option("--config", args->config,
                  "a configuration file (e.g. /etc/upsync/upsync.toml); flags given here win");
  cmd->add_option("--listen", args->listen, "host:port to listen on (port 0: any free port)");
  cmd->add_option("--tls-cert", args->tls_cert, "PEM certificate file (with --tls-key)");
  cmd->add_option("--tls-key", args->tls_key, "PEM private key file (with --tls-cert)");
  cmd->add_flag("--tls-self-signed", args->tls_self_signed,
                "HTTPS with a self-signed certificate kept in <data-dir>/tls (made on first use)");
  cmd->add_option("--threads", args->threads,
                  "request threads (default 0: twice the machine's cores, at least 4)")
      ->check(CLI::Range(0, 256));
  cmd->add_option("--max-body", args->max_body,
                  "largest request body in bytes (else 413), but for a file's content");
  cmd->add_option("--max-file-size", args->max_file_size,
                  "largest file in bytes a client may store (files/add, $value, chunked uploads; "
                  "else 413); its content streams to disk")
      ->check(CLI::PositiveNumber);
  cmd->add_option("--upload-expiry", args->upload_expiry,
                  "seconds an unfinished chunked upload may sit idle before it is removed")
      ->check(CLI::Range(int64_t{1}, int64_t{30} * 24 * 3600));
  cmd->add_flag("--no-worker", args->no_worker,
                "run neither the bulk import worker nor the sync scheduler here");
  cmd->add_option("--worker-interval", args->worker_interval,
                  "seconds between the import worker's polls")
      ->check(CLI::Range(0.05, 3600.0));
  // Which Host names the server answers to (http/public_hosts.h).
  cmd->add_option("--public-host", args->public_hosts,
                  "a name clients reach the server by, with its subdomains (tenant by host: "
                  "contoso.example.com): example.com, example.com:8443 or https://example.com "
                  "behind a TLS proxy; repeat for more. The listen address is always one; any "
                  "other Host is answered with 400. The first is the canonical one")
      ->take_all()
      ->allow_extra_args(false);
  // Connections, and password sign-in: the limits that keep one client from taking the server.
  cmd->add_option("--max-connections", args->max_connections,
                  "connections open at once; a new one over it gets 503 with Retry-After "
                  "(default 0: 1000, or fewer when the open-file limit is lower)");
  cmd->add_option("--max-connections-per-address", args->max_connections_per_address,
                  "connections open at once from one client address; a new one over it gets "
                  "429 with Retry-After")
      ->check(CLI::Range(size_t{1}, size_t{1000000}));
  cmd->add_option("--request-deadline", args->request_deadline,
                  "seconds a request has to arrive whole (headers and body), however steadily "
                  "its bytes come; then its connection is closed")
      ->check(CLI::Range(1u, 86400u));
  cmd->add_option("--sign-in-threads", args->sign_in_threads,
                  "threads that hash passwords and client secrets, at a lower priority than "
                  "requests (default 0: half the machine's cores, at least 1)")
      ->check(CLI::Range(size_t{0}, size_t{64}));
  cmd->add_option("--sign-in-queue", args->sign_in_queue,
                  "sign-ins waiting for a hashing thread; beyond, 503 with Retry-After")
      ->check(CLI::Range(size_t{1}, size_t{100000}));
  cmd->add_option("--lockout-threshold", args->lockout_threshold,
                  "failed password sign-ins in a row that lock an account (an address: 5 times "
                  "as many) out (AADSTS50053)")
      ->check(CLI::Range(1, 1000));
  cmd->add_option("--lockout-seconds", args->lockout_seconds,
                  "the first lockout's length in seconds; each further lockout doubles it")
      ->check(CLI::Range(1, 86400));
  cmd->add_option("--session-idle-seconds", args->session_idle_seconds,
                  "a signed-in browser's session ends after this long unused (default 3600)")
      ->check(CLI::Range(int64_t{1}, int64_t{7} * 86400));
  cmd->add_option("--session-max-seconds", args->session_max_seconds,
                  "and this long after its sign-in, used or not (default 28800)")
      ->check(CLI::Range(int64_t{1}, int64_t{30} * 86400));
  cmd->callback([&ctx, args, cmd] {
    ctx.action = [&ctx, args, cmd]() -> Status {
      if (!args->config.empty()) {
        UPSYNC_ASSIGN_OR_RETURN(ServiceConfig config, load_service_config(args->config));
        UPSYNC_RETURN_IF_ERROR(ctx.use_config(config));
        const ServiceConfig::Serve& s = config.serve;
        from_config(cmd, "--listen", s.listen, args->listen);
        from_config(cmd, "--tls-cert", s.tls_cert, args->tls_cert);
        from_config(cmd, "--tls-key", s.tls_key, args->tls_key);
        from_config(cmd, "--threads", s.threads, args->threads);
        from_config(cmd, "--public-host", s.public_hosts, args->public_hosts);
        from_config(cmd, "--worker-interval", s.worker_interval, args->worker_interval);
        if (s.worker && cmd->get_option("--no-worker")->count() == 0) args->no_worker = !*s.worker;
      }
      ServeOptions opts;
      opts.data_dir = ctx.data_dir;
      UPSYNC_RETURN_IF_ERROR(parse_listen(args->listen, opts));
      UPSYNC_ASSIGN_OR_RETURN(opts.storage, ctx.storage());
      opts.tls_cert = args->tls_cert;
      opts.tls_key = args->tls_key;
      if (args->tls_self_signed) {
        if (!args->tls_cert.empty() || !args->tls_key.empty()) {
          return invalid_argument("--tls-self-signed excludes --tls-cert and --tls-key");
        }
        UPSYNC_ASSIGN_OR_RETURN(TlsFiles files, ensure_self_signed(ctx.data_dir + "/tls"));
        opts.tls_cert = files.cert;
        opts.tls_key = files.key;
      }
      opts.threads = args->threads != 0
                         ? args->threads
                         : std::max<size_t>(4, 2 * std::thread::hardware_concurrency());
      opts.max_body_bytes = args->max_body;
      opts.max_file_bytes = args->max_file_size;
      opts.upload_expiry_seconds = args->upload_expiry;
      opts.import_worker = !args->no_worker;
      opts.worker_interval = args->worker_interval;
      opts.public_hosts = args->public_hosts;
      opts.max_connections = args->max_connections;
      opts.max_connections_per_address = args->max_connections_per_address;
      opts.request_deadline_seconds = args->request_deadline;
      opts.sign_in_threads = args->sign_in_threads;
      opts.sign_in_queue = args->sign_in_queue;
      opts.lockout_threshold = args->lockout_threshold;
      opts.lockout_seconds = args->lockout_seconds;
      opts.session_idle_seconds = args->session_idle_seconds;
      opts.session_max_seconds = args->session_max_seconds;
      return serve(opts);
    };
  });
}

}  // namespace upsync
