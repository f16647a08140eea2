// Moleculer echo node for the moleculer-web contender: service "echoer" with action "echo"
// (params {message, delay} -> {echoed}), reachable only over the TCP transporter.
// Usage: node bench/servers/moleculer-echo.js --tcp-echo PORT --tcp-gateway PORT
import { setTimeout as sleep } from "node:timers/promises";
import { flags, main, onShutdown, ready } from "./common.js";
import { ECHO_NODE, createBroker, tcpPorts } from "./moleculer-common.js";

const args = flags(["tcp-echo", "tcp-gateway"]);

main("moleculer echo node", async () => {
  const ports = tcpPorts(args);
  const broker = createBroker(ECHO_NODE, ports);
  broker.createService({
    name: "echoer",
    actions: {
      async echo(ctx) {
        const { message, delay } = ctx.params;
        if (delay > 0) await sleep(delay);
        return { echoed: message };
      },
    },
  });
  await broker.start();
  onShutdown(() => broker.stop());
  ready(`tcp://127.0.0.1:${ports.echo}`);
});
