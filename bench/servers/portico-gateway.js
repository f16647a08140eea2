// Portico gateway process. With --backend: registers the echo backend as app "echoer" (the
// contender; forwarded call POST <url>/echoer/echo). Without it: an empty gateway, for the
// discovery and change-feed figures, whose apps the harness registers over HTTP.
// --registry URL: where registrations are kept (memory:// by default, also when
// $PORTICO_REGISTRY is set: a contender never changes with the harness's environment):
// sqlite:///abs/file.db or redis://127.0.0.1:PORT/DB for the portico-sqlite and portico-redis
// contenders and the propagation figures.
// With --secured: adminToken and callToken from $PORTICO_ADMIN_TOKEN and $PORTICO_CALL_TOKEN
// (both required; never on the command line), registration with the admin token. Without it
// those variables are removed first, so that the plain gateway is never secured by accident.
// Usage: node bench/servers/portico-gateway.js [--backend http://127.0.0.1:PORT] [--port 0]
//          [--registry URL] [--secured]
import { fail, flags, main, onShutdown, ready } from "./common.js";
import { serveGateway } from "../lib/portico.js";

const args = flags(["backend", "port", "registry"], ["secured"]);
const TOKEN_VARS = ["PORTICO_ADMIN_TOKEN", "PORTICO_CALL_TOKEN", "PORTICO_TOKEN"];

function security() {
  if (!args.secured) {
    for (const name of TOKEN_VARS) delete process.env[name];
    return {};
  }
  const adminToken = process.env.PORTICO_ADMIN_TOKEN;
  const callToken = process.env.PORTICO_CALL_TOKEN;
  if (!adminToken || !callToken) fail("--secured needs PORTICO_ADMIN_TOKEN and PORTICO_CALL_TOKEN");
  return { adminToken, callToken };
}

main("portico gateway", async () => {
  const port = Number(args.port ?? 0);
  const backend = args.backend ?? null;
  const registry = args.registry ?? "memory://";
  const gateway = await serveGateway("127.0.0.1", port, "echoer", backend, security(), registry);
  onShutdown(() => gateway.close());
  ready(gateway.url);
});
