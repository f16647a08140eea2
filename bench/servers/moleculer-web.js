// moleculer-web contender: an API gateway node whose route POST /echoer/echo calls the
// "echoer.echo" action living in the other process (moleculer-echo.js) over TCP.
// Prints READY only once the remote echoer service has been discovered.
// Usage: node bench/servers/moleculer-web.js --tcp-echo PORT --tcp-gateway PORT [--port 0]
import ApiGateway from "moleculer-web";
import { flags, main, onShutdown, ready } from "./common.js";
import { GATEWAY_NODE, createBroker, tcpPorts } from "./moleculer-common.js";

const args = flags(["tcp-echo", "tcp-gateway", "port"]);

main("moleculer-web gateway", async () => {
  const broker = createBroker(GATEWAY_NODE, tcpPorts(args));
  const api = broker.createService({
    name: "api",
    mixins: [ApiGateway],
    settings: {
      ip: "127.0.0.1",
      port: Number(args.port ?? 0),
      logRequest: null,
      logResponse: null,
      routes: [
        {
          path: "/echoer",
          mappingPolicy: "restrict",
          aliases: { "POST echo": "echoer.echo" },
          bodyParsers: { json: true },
        },
      ],
    },
  });
  await broker.start();
  onShutdown(() => broker.stop());
  await broker.waitForServices(["echoer"], 15_000);
  ready(`http://127.0.0.1:${api.server.address().port}`);
});
