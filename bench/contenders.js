// Contender definitions for bench/run.js. Each has a name (for --only), a label, the request path
// that reaches the backend's POST /echo through it, optional `headers` the load generator sends,
// an optional availability check, and start(ctx) -> { url, pids, backendPids? } which starts its
// own processes via ctx.startServer (READY handshake) and may use ctx.shared (bench/lib/shared.js:
// the run's redis-server and temp folder). `pids`: the proxy's processes (their descendants
// count too), whose CPU time per request is reported; `backendPids` replaces the shared HTTP
// backend when the contender brings its own (moleculer-web's echo node); `storePids`: a store
// process (redis-server) whose CPU time per request is reported on its own.
import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import portico, {
  redis as porticoRedis,
  secured as porticoSecured,
  sqlite as porticoSqlite,
} from "./contenders/portico-gateway.js";
import { freePort } from "./lib/shared.js";

const server = (file) => fileURLToPath(new URL(`./servers/${file}`, import.meta.url));

/** A contender that is one proxy process in front of the shared backend. */
function proxy(name, label, file) {
  return {
    name,
    label,
    path: "/echoer/echo",
    async start({ backendUrl, startServer }) {
      const s = await startServer(name, server(file), ["--backend", backendUrl]);
      return { url: s.url, pids: [s.child.pid] };
    },
  };
}

export const CONTENDERS = [
  {
    name: "direct",
    label: "direct to backend (the limit)",
    path: "/echo",
    note: "no proxy: its CPU figure is the backend's",
    start: async ({ backendUrl }) => ({ url: backendUrl, pids: [] }),
  },
  portico,
  porticoSecured,
  porticoSqlite,
  porticoRedis,
  proxy("fastify-proxy", "@fastify/http-proxy", "fastify-proxy.js"),
  proxy("undici-proxy", "node:http + undici Pool", "undici-proxy.js"),
  {
    name: "moleculer-web",
    label: "moleculer-web, echo node over TCP",
    path: "/echoer/echo",
    note:
      "own echo action in a second moleculer process, not the HTTP backend; " +
      "CPU: proxy = the moleculer-web process, backend = the echo node",
    async start({ startServer }) {
      const ports = ["--tcp-echo", String(await freePort()), "--tcp-gateway"];
      ports.push(String(await freePort()));
      const echo = await startServer("moleculer echo node", server("moleculer-echo.js"), ports);
      const gw = await startServer("moleculer-web", server("moleculer-web.js"), ports, 30_000);
      return { url: gw.url, pids: [gw.child.pid], backendPids: [echo.child.pid] };
    },
  },
  {
    ...proxy("nginx", "nginx, upstream keepalive", "nginx.js"),
    available() {
      const res = spawnSync("nginx", ["-v"], { encoding: "utf8", timeout: 5000 });
      return res.error ? "nginx is not on the PATH: skipped" : null;
    },
  },
];

/** The contenders `--skip-registries` leaves out (unless named with --only). */
export const REGISTRY_CONTENDERS = ["portico-sqlite", "portico-redis"];

/**
 * Resolve `--only a,b` (names or aliases) to contender definitions, in canonical order; without
 * it every contender, less the registry ones when `skipRegistries`.
 */
export function selectContenders(only, skipRegistries = false) {
  if (!only) {
    return CONTENDERS.filter((c) => !skipRegistries || !REGISTRY_CONTENDERS.includes(c.name));
  }
  const wanted = only
    .split(",")
    .map((s) => s.trim())
    .filter(Boolean);
  const matches = (c, w) => c.name === w || (c.aliases ?? []).includes(w);
  const unknown = wanted.filter((w) => !CONTENDERS.some((c) => matches(c, w)));
  if (unknown.length > 0) {
    const names = CONTENDERS.map((c) => c.name).join(", ");
    throw new Error(`unknown contender(s) ${unknown.join(", ")}; known: ${names}`);
  }
  return CONTENDERS.filter((c) => wanted.some((w) => matches(c, w)));
}

/** The version of nginx on the PATH ("1.22.1"), or null. */
export function nginxVersion() {
  const res = spawnSync("nginx", ["-v"], { encoding: "utf8", timeout: 5000 });
  if (res.error) return null;
  return /nginx\/(\S+)/.exec(`${res.stdout}${res.stderr}`)?.[1] ?? "unknown";
}
