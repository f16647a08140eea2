// Portico gateway process. With --backend: registers the echo backend as app "echoer" (the
// contender; forwarded call POST <url>/echoer/echo); a comma-separated list registers each URL as
// one instance of "echoer" (the first replaces, the others are added: mode "add"). Without it:
// an empty gateway, for the discovery, change-feed and instance figures, whose apps the harness
// registers over HTTP.
// --registry URL: where registrations are kept (memory:// by default, also when
// $PORTICO_REGISTRY is set: a contender never changes with the harness's environment):
// sqlite:///abs/file.db or redis://127.0.0.1:PORT/DB for the portico-sqlite and portico-redis
// contenders and the propagation figures.
// --options JSON: more Gateway options (the instance figures: balance, health, passiveHealth;
// the metrics figure: metrics).
// With --secured: adminToken and callToken from $PORTICO_ADMIN_TOKEN and $PORTICO_CALL_TOKEN
// (both required; never on the command line), registration with the admin token. Without it
// those variables are removed first, so that the plain gateway is never secured by accident.
// Usage: node bench/servers/portico-gateway.js [--backend http://127.0.0.1:PORT[,URL...]]
//          [--port 0] [--registry URL] [--options JSON] [--secured]
import { fail, flags, main, onShutdown, ready } from "./common.js";
import { serveGateway } from "../lib/portico.js";

const args = flags(["backend", "port", "registry", "options"], ["secured"]);
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

/** Only the options the instance figures vary: the rest stays as every contender has it. */
function gatewayOptions() {
  if (args.options === undefined) return {};
  const given = JSON.parse(args.options);
  const allowed = ["balance", "health", "passiveHealth", "metrics"];
  const unknown = Object.keys(given).filter((key) => !allowed.includes(key));
  if (unknown.length > 0) fail(`--options: only ${allowed.join(", ")} (got ${unknown.join(", ")})`);
  return given;
}

main("portico gateway", async () => {
  const gateway = await serveGateway({
    host: "127.0.0.1",
    port: Number(args.port ?? 0),
    name: "echoer",
    backends: args.backend ? args.backend.split(",") : [],
    security: security(),
    registry: args.registry ?? "memory://",
    options: gatewayOptions(),
  });
  onShutdown(() => gateway.close());
  ready(gateway.url);
});
