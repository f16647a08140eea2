// The one place where the benchmark touches the Portico API (besides bench/lib/portico-wide.js,
// the 20-endpoint service of the discovery figures). If the API changes, adapt these files only.
//
//   import { Gateway } from "portico";          // after `npm run build`
//   import { EchoService } from "portico/samples";
//   new EchoService().serve({ host, port }) -> Promise<{ url, close() }>   POST /echo {message} -> {echoed}
//   new Gateway({ adminToken?, callToken?, registry? }).serve({ host, port }) -> Promise<{ url, close() }>
//     registry: "memory://" | "sqlite:///abs/file.db" | "redis://127.0.0.1:PORT/DB"
//   Gateway.launch({ numWorkers, registry, pidDir }) -> gateway client once Available (every
//     worker listening); client.url, client.shutdown()
//   GET {gatewayUrl}/events: server-sent events (app_registered ... with the Change as JSON data)
//   Gateway.connect(url).on("change", fn): push (when the client has it) with the same Changes
//   POST {gatewayUrl}/register_app {"name","url","mode"?} (+ `Authorization: Bearer <adminToken>`);
//     mode "add": one more instance of the app (issue 8)
//   forwarded: POST {gatewayUrl}/<name>/<path> (+ `Authorization: Bearer <callToken>`)
//   Gateway options (issue 8): balance "least-in-flight" | "round-robin", health { intervalMs,
//     timeoutMs, unhealthyAfter, healthyAfter } | false, passiveHealth { ... } | false
//   GET {gatewayUrl}/events also carries `app_health_changed` { name, url, health, ... } (no id)
//   Service#handleRaw(req, res) (protected hook, before routing; false = route it as usual):
//     the prefixed echo below rewrites req.url there
//   EchoService.connect(url) -> typed client, client.echo({ message, delay }) -> { echoed }
//   Gateway.connect(url) -> gateway client: registerApp(name, url), unregisterApp(name),
//     app(name).echo(input) (refreshes its view once for an unknown app), close()
//   EchoService.launch() -> client once the child answers Available; client.shutdown()

/** Import the built package, or throw one clear error saying what is missing. */
export async function loadPortico() {
  let core;
  let samples;
  try {
    core = await import("portico");
    samples = await import("portico/samples");
  } catch (err) {
    throw new Error(
      `the Portico core is not available (${err.code ?? err.message}); run "npm run build" first ` +
        `(bench needs dist/index.js exporting Gateway and dist/samples/index.js exporting EchoService)`,
    );
  }
  const { Gateway } = core;
  const { EchoService } = samples;
  if (typeof Gateway !== "function") throw new Error(`"portico" does not export a Gateway class`);
  if (typeof EchoService !== "function") {
    throw new Error(`"portico/samples" does not export an EchoService class`);
  }
  return { Gateway, EchoService, core, samples };
}

/** Start the sample echo service; resolves to { url, close }. */
export async function serveEcho(host, port) {
  const { EchoService } = await loadPortico();
  return new EchoService().serve({ host, port });
}

/**
 * Start a gateway and register `backends` (echo backend URLs, when given) as the instances of app
 * `name`: the first replaces, the others are added (mode "add"). Resolves to { url, close }.
 * `security` ({ adminToken, callToken }) goes to the Gateway's options, with `options` (balance,
 * health, passiveHealth); registering then sends the admin token.
 * @param {{ host: string, port: number, name: string, backends?: string[], security?: object,
 *   registry?: string, options?: object }} o
 */
export async function serveGateway({ host, port, name, backends = [], security = {}, ...o }) {
  const { Gateway } = await loadPortico();
  // Always explicit: a $PORTICO_REGISTRY in the harness's environment must not change a contender.
  const options = { ...o.options, ...security, registry: o.registry ?? "memory://" };
  const gateway = await new Gateway(options).serve({ host, port });
  try {
    for (const [i, url] of backends.entries()) {
      const extra = i === 0 ? {} : { mode: "add" };
      await registerOver(gateway.url, name, url, security.adminToken, extra);
    }
  } catch (err) {
    await gateway.close();
    throw err;
  }
  return gateway;
}

/**
 * POST register_app {name, url, ...extra} to a gateway (with the admin token when given);
 * `extra`: { mode: "add" } for one more instance.
 */
export async function registerOver(gatewayUrl, name, appUrl, adminToken, extra = {}) {
  const headers = { "content-type": "application/json" };
  if (adminToken) headers.authorization = `Bearer ${adminToken}`;
  const res = await fetch(`${gatewayUrl}/register_app`, {
    method: "POST",
    headers,
    body: JSON.stringify({ name, url: appUrl, ...extra }),
  });
  if (!res.ok) throw new Error(`register_app answered ${res.status}: ${await res.text()}`);
  return res.json();
}

/** The first path segment the prefixed echo strips: `/a0001`, `/a0002`, ... */
const BASE_PREFIX = /^\/a\d+(?=[/?]|$)/;

/**
 * The sample EchoService answering under any base path `/a<digits>` as at its root
 * (`/a0007/heartbeat` is its `heartbeat`): many apps with distinct URLs whose health checks are
 * real Portico heartbeats, from one process. It counts heartbeats; `GET /bench_heartbeats`
 * answers { heartbeats }. Resolves to { url, close }.
 */
export async function servePrefixedEcho(host, port) {
  const { EchoService } = await loadPortico();
  class PrefixedEcho extends EchoService {
    heartbeats = 0;

    handleRaw(req, res) {
      const url = req.url ?? "/";
      if (url === "/bench_heartbeats") {
        res.setHeader("content-type", "application/json");
        res.end(JSON.stringify({ heartbeats: this.heartbeats }));
        return true;
      }
      const prefix = BASE_PREFIX.exec(url);
      if (prefix) {
        req.url = url.slice(prefix[0].length) || "/";
        if (req.url.startsWith("/heartbeat")) this.heartbeats++;
      }
      return false; // routed by the service as usual
    }
  }
  return new PrefixedEcho().serve({ host, port });
}

/**
 * Gateway.launch({ numWorkers, registry, pidDir }): a gateway in its own process (workers through
 * node:cluster); resolves to { url, shutdown() } once every worker listens.
 */
export async function launchGateway({ numWorkers, registry, pidDir }) {
  const { Gateway } = await loadPortico();
  const client = await Gateway.launch({ numWorkers, registry, pidDir, timeout: 60_000 });
  return {
    url: client.url,
    shutdown: async () => {
      await client.shutdown();
      await client.close?.();
    },
  };
}

/** A typed echo client bound to `url`: resolves to { call(body), close() }. */
export async function typedEchoClient(url) {
  const { EchoService } = await loadPortico();
  if (typeof EchoService.connect !== "function") {
    throw new Error("EchoService.connect(url) is not available (assumed typed-client entry point)");
  }
  const client = await EchoService.connect(url);
  return {
    call: (body) => client.echo(body),
    close: async () => {
      if (typeof client.close === "function") await client.close();
    },
  };
}

/**
 * A gateway client connected to `url` (Gateway.connect, which loads the gateway's apps): resolves
 * to { registerApp(name, url), unregisterApp(name), echo(app, input), close() }.
 */
export async function gatewayClient(url, options = {}) {
  const { Gateway } = await loadPortico();
  const client = await Gateway.connect(url, { timeout: 30_000, ...options });
  return {
    registerApp: (name, appUrl) => client.registerApp(name, appUrl),
    unregisterApp: (name) => client.unregisterApp(name),
    echo: (app, input) => client.app(app).echo(input),
    close: () => client.close(),
    /**
     * `client.on("change", fn)` when this client has push (a member `on`: `client.<name>` is
     * otherwise an app proxy, hence the `in`); else false and `fn` is never called.
     */
    onChange(fn) {
      if (!("on" in client) || typeof client.on !== "function") return false;
      client.on("change", fn);
      return true;
    },
  };
}

/** EchoService.launch({ pidDir }): resolves to { url, shutdown() } once Available. */
export async function launchEcho({ pidDir } = {}) {
  const { EchoService } = await loadPortico();
  const client = await EchoService.launch(pidDir ? { pidDir } : {});
  return { url: client.url, shutdown: () => client.shutdown() };
}
