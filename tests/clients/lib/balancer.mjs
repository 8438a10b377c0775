// A round-robin HTTPS load balancer in front of several `upsync serve` processes, as nginx or
// HAProxy would stand in a deployment: it ends TLS, keeps the client's Host header (the
// servers answer to it through --public-host) and sends each request, not each connection, to
// the next server, so consecutive requests of one client alternate between them. Bodies
// stream both ways. It counts what each server answered, for tests to show both served.
//
//   const lb = await Balancer.start();            // listens on a free port first
//   ... start the servers with --public-host https://127.0.0.1:<lb.port> ...
//   await lb.setBackends([portA, portB]);
//   ... clients talk to https://127.0.0.1:<lb.port> ...
//   const counts = await lb.stop();               // [requests answered by A, by B]
//
// It runs in a worker thread of its own: the tests run the CLI with execFileSync, which
// blocks the test's thread, and a CLI command that talks HTTP (hybrid push) must still get
// through the balancer meanwhile.
import https from "node:https";
import { readFileSync } from "node:fs";
import { Worker, isMainThread, parentPort, workerData } from "node:worker_threads";

// Headers that belong to one hop (RFC 9110 §7.6.1) and are not forwarded.
const HOP_BY_HOP = ["connection", "keep-alive", "proxy-connection", "transfer-encoding",
  "upgrade", "te", "trailer"];

function forwardable(headers) {
  const out = { ...headers };
  for (const name of HOP_BY_HOP) delete out[name];
  return out;
}

// The test's side: the worker, spoken to by messages, each answered once.
export class Balancer {
  static async start() {
    const lb = new Balancer();
    lb.worker = new Worker(new URL(import.meta.url), { workerData: { balancer: true } });
    lb.port = (await lb.next()).port;
    return lb;
  }

  next() {
    return new Promise((resolve, reject) => {
      const onError = (err) => reject(err);
      this.worker.once("error", onError);
      this.worker.once("message", (m) => {
        this.worker.off("error", onError);
        resolve(m);
      });
    });
  }

  async setBackends(ports) {
    this.worker.postMessage({ backends: ports });
    await this.next();
  }

  // Stops it; resolves to the count of requests each server answered.
  async stop() {
    this.worker.postMessage({ stop: true });
    const { counts } = await this.next();
    await this.worker.terminate();
    return counts;
  }
}

// The worker's side: the HTTPS server itself.
class BalancingServer {
  static async start() {
    const lb = new BalancingServer();
    await new Promise((resolve, reject) => {
      lb.server.once("error", reject);
      lb.server.listen(0, "127.0.0.1", resolve);
    });
    lb.port = lb.server.address().port;
    return lb;
  }

  constructor() {
    this.backends = [];
    this.counts = [];
    this.next = 0;
    this.agent = new https.Agent({ keepAlive: true, ca: readFileSync(process.env.UPSYNC_TEST_CERT) });
    this.server = https.createServer({
      cert: readFileSync(process.env.UPSYNC_TEST_CERT),
      key: readFileSync(process.env.UPSYNC_TEST_KEY),
    }, (req, res) => this.forward(req, res));
    // An idle client connection is kept 30 s, as `upsync serve` keeps one. Node's 5 s default
    // (announced as "Keep-Alive: timeout=5", which fetch reads as 4 s) left a 1 s margin that a
    // loaded machine ate: fetch sent a request on a connection the balancer was closing, and a
    // token request of clients_sp_two_servers failed with "fetch failed" under the sanitizers.
    this.server.keepAliveTimeout = 30_000;
  }

  setBackends(ports) {
    this.backends = ports;
    this.counts = ports.map(() => 0);
  }

  forward(req, res) {
    if (this.backends.length === 0) {
      res.writeHead(503).end("no servers yet");
      return;
    }
    const index = this.next++ % this.backends.length;
    const upstream = https.request({
      host: "127.0.0.1", port: this.backends[index], method: req.method, path: req.url,
      headers: forwardable(req.headers), agent: this.agent,
    }, (answer) => {
      this.counts[index]++;
      res.writeHead(answer.statusCode, answer.statusMessage, forwardable(answer.headers));
      answer.pipe(res);
    });
    upstream.on("error", (err) => {
      // A server that is gone is the test's failure to see, not something to retry.
      if (!res.headersSent) res.writeHead(502, { "Content-Type": "text/plain" });
      res.end(`balancer: server ${index} (port ${this.backends[index]}): ${err.message}`);
    });
    req.pipe(upstream);
  }

  async stop() {
    this.agent.destroy();
    this.server.closeAllConnections();
    await new Promise((resolve) => this.server.close(resolve));
  }
}

if (!isMainThread && workerData?.balancer) {
  const lb = await BalancingServer.start();
  parentPort.on("message", async (m) => {
    if (m.backends) {
      lb.setBackends(m.backends);
      parentPort.postMessage({ ok: true });
    } else if (m.stop) {
      await lb.stop();
      parentPort.postMessage({ counts: lb.counts });
    }
  });
  parentPort.postMessage({ port: lb.port });
}
