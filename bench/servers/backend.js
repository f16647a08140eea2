// Echo backend for the benchmark: POST /echo {"message","delay"} -> {"echoed": message}.
// Default: plain fastify. `--impl portico` serves the Portico sample EchoService instead;
// `--impl portico-prefixed` the same under any base path `/a<digits>` (many apps with distinct
// URLs in one process, for the health-check figure; see servePrefixedEcho in bench/lib/portico.js).
// `--listen N` (fastify only): the same app on N ports of this one process (N origins, hence N
// instances with a pool each at the gateway, served by one event loop: the balance figure), READY
// with the N URLs comma-separated. With `--listen` (even 1) it counts the requests each port
// served: GET /bench_counts -> { counts: [per port] }.
// Usage: node bench/servers/backend.js [--impl fastify|portico|portico-prefixed] [--port 0]
//          [--listen N]
import http from "node:http";
import { setTimeout as sleep } from "node:timers/promises";
import Fastify from "fastify";
import { fail, flags, main, onShutdown, ready } from "./common.js";
import { serveEcho, servePrefixedEcho } from "../lib/portico.js";

const args = flags(["impl", "port", "listen"]);
const impl = args.impl ?? "fastify";
const port = Number(args.port ?? 0);
const listen = Number(args.listen ?? 1);
if (!Number.isInteger(listen) || listen < 1) fail("--listen: a positive integer");
/** Requests per port with `--listen N`; [0] counts them all (the other ports pass there). */
const counts = Array(listen).fill(0);
const perPort = () => [counts[0] - counts.slice(1).reduce((s, n) => s + n, 0), ...counts.slice(1)];

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
  const counting = args.listen !== undefined;
  if (counting) app.get("/bench_counts", async () => ({ counts: perPort() }));
  await app.listen({ host: "127.0.0.1", port });
  const { port: bound } = app.server.address();
  const url = `http://127.0.0.1:${bound}`;
  if (!counting) return { url, close: () => app.close() };
  return moreListeners(app, url);
}

/** `listen` - 1 more servers handing their requests to the app's server; each port counts. */
async function moreListeners(app, url) {
  app.server.on("request", () => counts[0]++);
  const extra = [];
  for (let i = 1; i < listen; i++) {
    const server = http.createServer((req, res) => {
      counts[i]++;
      app.server.emit("request", req, res);
    });
    server.keepAliveTimeout = app.server.keepAliveTimeout;
    await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
    extra.push(server);
  }
  const urls = [url, ...extra.map((s) => `http://127.0.0.1:${s.address().port}`)];
  const close = async () => {
    for (const s of extra) s.closeAllConnections();
    await Promise.all(extra.map((s) => new Promise((resolve) => s.close(resolve))));
    await app.close();
  };
  return { url: urls.join(","), close };
}

main(`backend (${impl})`, async () => {
  if (listen !== 1 && impl !== "fastify") throw new Error("--listen: fastify only");
  let server;
  if (impl === "fastify") server = await serveFastify();
  else if (impl === "portico") server = await serveEcho("127.0.0.1", port);
  else if (impl === "portico-prefixed") server = await servePrefixedEcho("127.0.0.1", port);
  else throw new Error(`unknown --impl ${impl} (expected fastify, portico or portico-prefixed)`);
  onShutdown(() => server.close());
  ready(server.url);
});
