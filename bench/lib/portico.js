// The one place where the benchmark touches the Portico API (besides bench/lib/portico-wide.js,
// the 20-endpoint service of the discovery figures). If the API changes, adapt these files only.
//
//   import { Gateway } from "portico";          // after `npm run build`
//   import { EchoService } from "portico/samples";
//   new EchoService().serve({ host, port }) -> Promise<{ url, close() }>   POST /echo {message} -> {echoed}
//   new Gateway({ adminToken?, callToken? }).serve({ host, port }) -> Promise<{ url, close() }>
//   POST {gatewayUrl}/register_app {"name","url"} (+ `Authorization: Bearer <adminToken>`);
//   forwarded: POST {gatewayUrl}/<name>/<path> (+ `Authorization: Bearer <callToken>`)
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
 * Start a gateway and register `backendUrl` (when given) under `name`; resolves to { url, close }.
 * `security` ({ adminToken, callToken }) goes to the Gateway's options; registering then sends
 * the admin token.
 */
export async function serveGateway(host, port, name, backendUrl, security = {}) {
  const { Gateway } = await loadPortico();
  const gateway = await new Gateway({ ...security }).serve({ host, port });
  if (!backendUrl) return gateway;
  const headers = { "content-type": "application/json" };
  if (security.adminToken) headers.authorization = `Bearer ${security.adminToken}`;
  const res = await fetch(`${gateway.url}/register_app`, {
    method: "POST",
    headers,
    body: JSON.stringify({ name, url: backendUrl }),
  });
  if (!res.ok) {
    await gateway.close();
    throw new Error(`register_app answered ${res.status}: ${await res.text()}`);
  }
  return gateway;
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
export async function gatewayClient(url) {
  const { Gateway } = await loadPortico();
  const client = await Gateway.connect(url, { timeout: 30_000 });
  return {
    registerApp: (name, appUrl) => client.registerApp(name, appUrl),
    unregisterApp: (name) => client.unregisterApp(name),
    echo: (app, input) => client.app(app).echo(input),
    close: () => client.close(),
  };
}

/** EchoService.launch({ pidDir }): resolves to { url, shutdown() } once Available. */
export async function launchEcho({ pidDir } = {}) {
  const { EchoService } = await loadPortico();
  const client = await EchoService.launch(pidDir ? { pidDir } : {});
  return { url: client.url, shutdown: () => client.shutdown() };
}
