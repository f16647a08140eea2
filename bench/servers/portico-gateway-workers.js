// A Portico gateway with N workers, for the workers figure: this process calls
// Gateway.launch({ numWorkers, registry, pidDir }) (the gateway runs in its own child, a
// node:cluster primary with N workers when N > 1), registers the echo backend as "echoer"
// through it, and prints READY <gateway url>. The harness's CPU meter counts this process and
// all its descendants (primary and workers). Stops the gateway on SIGTERM or when stdin closes.
// Usage: node bench/servers/portico-gateway-workers.js --workers N --registry sqlite:///f.db
//          --backend http://127.0.0.1:PORT --pid-dir DIR
import { flags, main, onShutdown, ready, required } from "./common.js";
import { launchGateway, registerOver } from "../lib/portico.js";

const args = flags(["workers", "registry", "backend", "pid-dir"]);
for (const name of ["PORTICO_ADMIN_TOKEN", "PORTICO_CALL_TOKEN", "PORTICO_TOKEN"]) {
  delete process.env[name];
}

main("portico gateway (workers)", async () => {
  const gateway = await launchGateway({
    numWorkers: Number(required(args, "workers")),
    registry: required(args, "registry"),
    pidDir: required(args, "pid-dir"),
  });
  onShutdown(() => gateway.shutdown());
  await registerOver(gateway.url, "echoer", required(args, "backend"));
  ready(gateway.url);
});
