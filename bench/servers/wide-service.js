// The 20-endpoint Portico service of the discovery figures (bench/lib/portico-wide.js) in its own
// process. Forwarded benchmark call: POST <gateway>/<app>/echo with the benchmark body.
// Usage: node bench/servers/wide-service.js [--port 0]
import { flags, main, onShutdown, ready } from "./common.js";
import { serveWide } from "../lib/portico-wide.js";

const args = flags(["port"]);

main("wide service", async () => {
  const server = await serveWide("127.0.0.1", Number(args.port ?? 0));
  onShutdown(() => server.close());
  ready(server.url);
});
