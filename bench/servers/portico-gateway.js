// Portico gateway contender: starts a Gateway on loopback, registers the echo backend as app
// "echoer", then prints READY. Forwarded call: POST <url>/echoer/echo.
// Usage: node bench/servers/portico-gateway.js --backend http://127.0.0.1:PORT [--port 0]
import { flags, main, onShutdown, ready, required } from "./common.js";
import { serveGateway } from "../lib/portico.js";

const args = flags(["backend", "port"]);
const backend = required(args, "backend");

main("portico gateway", async () => {
  const gateway = await serveGateway("127.0.0.1", Number(args.port ?? 0), "echoer", backend);
  onShutdown(() => gateway.close());
  ready(gateway.url);
});
