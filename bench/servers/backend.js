// Echo backend for the benchmark: POST /echo {"message","delay"} -> {"echoed": message}.
// Default: plain fastify. `--impl portico` serves the Portico sample EchoService instead.
// Usage: node bench/servers/backend.js [--impl fastify|portico] [--port 0]
import { setTimeout as sleep } from "node:timers/promises";
import Fastify from "fastify";
import { flags, main, onShutdown, ready } from "./common.js";
import { serveEcho } from "../lib/portico.js";

const args = flags(["impl", "port"]);
const impl = args.impl ?? "fastify";
const port = Number(args.port ?? 0);

async function serveFastify() {
  const app = Fastify({ logger: false });
  app.post(
    "/echo",
    {
      schema: {
        body: {
          type: "object",
          required: ["message"],
          properties: { message: { type: "string" }, delay: { type: "number" } },
        },
        response: {
          200: { type: "object", properties: { echoed: { type: "string" } } },
        },
      },
    },
    async (req) => {
      const { message, delay } = req.body;
      if (delay > 0) await sleep(delay);
      return { echoed: message };
    },
  );
  await app.listen({ host: "127.0.0.1", port });
  const { port: bound } = app.server.address();
  return { url: `http://127.0.0.1:${bound}`, close: () => app.close() };
}

main(`backend (${impl})`, async () => {
  let server;
  if (impl === "fastify") server = await serveFastify();
  else if (impl === "portico") server = await serveEcho("127.0.0.1", port);
  else throw new Error(`unknown --impl ${impl} (expected fastify or portico)`);
  onShutdown(() => server.close());
  ready(server.url);
});
