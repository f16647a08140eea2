// @fastify/http-proxy contender: fastify with the proxy plugin (default undici agent via
// @fastify/reply-from) mapping /echoer/* to the backend's /*.
// Usage: node bench/servers/fastify-proxy.js --backend http://127.0.0.1:PORT [--port 0]
import Fastify from "fastify";
import proxy from "@fastify/http-proxy";
import { flags, main, onShutdown, ready, required } from "./common.js";

const args = flags(["backend", "port"]);
const backend = required(args, "backend");

main("fastify-proxy", async () => {
  const app = Fastify({ logger: false });
  await app.register(proxy, { upstream: backend, prefix: "/echoer", rewritePrefix: "" });
  await app.listen({ host: "127.0.0.1", port: Number(args.port ?? 0) });
  onShutdown(() => app.close());
  ready(`http://127.0.0.1:${app.server.address().port}`);
});
