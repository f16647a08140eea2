// Portico gateway process. With --backend: registers the echo backend as app "echoer" (the
// contender; forwarded call POST <url>/echoer/echo). Without it: an empty gateway, for the
// discovery figures, whose apps the harness registers over HTTP with the gateway client.
// Usage: node bench/servers/portico-gateway.js [--backend http://127.0.0.1:PORT] [--port 0]
import { flags, main, onShutdown, ready } from "./common.js";
import { serveGateway } from "../lib/portico.js";

const args = flags(["backend", "port"]);

main("portico gateway", async () => {
  const port = Number(args.port ?? 0);
  const gateway = await serveGateway("127.0.0.1", port, "echoer", args.backend ?? null);
  onShutdown(() => gateway.close());
  ready(gateway.url);
});
