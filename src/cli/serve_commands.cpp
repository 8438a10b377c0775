// upsync serve
#include <CLI/CLI.hpp>
#include <algorithm>
#include <memory>
#include <thread>

#include "cli/context.h"
#include "http/self_signed.h"
#include "http/server.h"

namespace upsync {

void add_serve_commands(CLI::App& app, CliContext& ctx) {
  struct Args {
    std::string listen = "127.0.0.1:8080";
    std::string tls_cert;
    std::string tls_key;
    bool tls_self_signed = false;
    size_t threads = 0;
    size_t max_body = 4 * 1024 * 1024;
    bool no_worker = false;
    double worker_interval = 5;
  };
  auto args = std::make_shared<Args>();
  CLI::App* cmd = app.add_subcommand("serve", "serve the HTTP(S) API until SIGTERM");
  cmd->add_option("--listen", args->listen, "host:port to listen on (port 0: any free port)");
  cmd->add_option("--tls-cert", args->tls_cert, "PEM certificate file (with --tls-key)");
  cmd->add_option("--tls-key", args->tls_key, "PEM private key file (with --tls-cert)");
  cmd->add_flag("--tls-self-signed", args->tls_self_signed,
                "HTTPS with a self-signed certificate kept in <data-dir>/tls (made on first use)");
  cmd->add_option("--threads", args->threads,
                  "request threads (default 0: twice the machine's cores, at least 4)")
      ->check(CLI::Range(0, 256));
  cmd->add_option("--max-body", args->max_body, "largest request body in bytes (else 413)");
  cmd->add_flag("--no-worker", args->no_worker,
                "run neither the bulk import worker nor the sync scheduler here");
  cmd->add_option("--worker-interval", args->worker_interval,
                  "seconds between the import worker's polls")
      ->check(CLI::Range(0.05, 3600.0));
  cmd->callback([&ctx, args] {
    ctx.action = [&ctx, args]() -> Status {
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
      opts.import_worker = !args->no_worker;
      opts.worker_interval = args->worker_interval;
      return serve(opts);
    };
  });
}

}  // namespace upsync
