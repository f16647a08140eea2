// Portico gateway contender definitions (the pluggable slot). The server process is
// bench/servers/portico-gateway.js, which uses the Portico API through bench/lib/portico.js;
// until the core library is built it fails to start and the harness reports an error row.
// `portico-secured` is the same process with adminToken and callToken set (Host checks are
// always on for a loopback bind): the load generator sends `headers` (the caller token), and
// start() fails unless the gateway refuses calls without it (bench/lib/secured.js).
// `portico-sqlite` and `portico-redis` are the same process with its registry in a SQLite file
// (this run's temp folder) or in the run's redis-server (bench/lib/shared.js): forwarding reads
// only the in-memory route table, so they must match `portico`; redis-server's CPU time per
// request is reported as the store's (it should be ~0: the hot path never touches the store).
import { fileURLToPath } from "node:url";
import { stopChild } from "../lib/procs.js";
import { NO_REDIS, hasRedisServer } from "../lib/shared.js";
import { BODY } from "../lib/setup.js";
import { callerHeaders, checkSecured, newTokens, securedEnv } from "../lib/secured.js";

const SCRIPT = fileURLToPath(new URL("../servers/portico-gateway.js", import.meta.url));
const PATH = "/echoer/echo";

/** @type {{ adminToken: string, callToken: string }} one pair per harness run */
const tokens = newTokens();

export default {
  name: "portico",
  aliases: ["portico-gateway"],
  label: "Portico gateway",
  path: PATH,
  /** @param {{ backendUrl: string, startServer: Function }} ctx */
  async start({ backendUrl, startServer }) {
    const server = await startServer("portico gateway", SCRIPT, ["--backend", backendUrl]);
    return { url: server.url, pids: [server.child.pid] };
  },
};

export const secured = {
  name: "portico-secured",
  label: "Portico gateway, admin + caller tokens, Host check",
  path: PATH,
  note: "caller sends Authorization: Bearer <callToken>; startup checks that 401/403 are enforced",
  headers: callerHeaders(tokens),
  /** @param {{ backendUrl: string, startServer: Function }} ctx */
  async start({ backendUrl, startServer }) {
    const args = ["--backend", backendUrl, "--secured"];
    const server = await startServer(
      "portico gateway (secured)",
      SCRIPT,
      args,
      20_000,
      securedEnv(tokens),
    );
    try {
      await checkSecured({ origin: server.url, path: PATH, body: BODY, backendUrl, tokens });
    } catch (err) {
      await stopChild(server.child);
      throw err;
    }
    return { url: server.url, pids: [server.child.pid] };
  },
};

export const sqlite = {
  name: "portico-sqlite",
  label: "Portico gateway, SQLite registry (temp file)",
  path: PATH,
  note: "registry sqlite:///<temp>/contender.db; forwarding reads the in-memory table only",
  /** @param {{ backendUrl: string, startServer: Function, shared: object }} ctx */
  async start({ backendUrl, startServer, shared }) {
    const args = ["--backend", backendUrl, "--registry", shared.sqliteUrl("contender")];
    const server = await startServer("portico gateway (sqlite)", SCRIPT, args);
    return { url: server.url, pids: [server.child.pid] };
  },
};

export const redis = {
  name: "portico-redis",
  label: "Portico gateway, Redis registry",
  path: PATH,
  note:
    "registry redis://127.0.0.1:<port>/0 on a redis-server the harness starts " +
    '(--save "" --appendonly no); store CPU = that redis-server',
  available: () => (hasRedisServer() ? null : NO_REDIS),
  /** @param {{ backendUrl: string, startServer: Function, shared: object }} ctx */
  async start({ backendUrl, startServer, shared }) {
    const store = await shared.redis();
    const args = ["--backend", backendUrl, "--registry", store.url(0)];
    const server = await startServer("portico gateway (redis)", SCRIPT, args);
    return { url: server.url, pids: [server.child.pid], storePids: [store.pid] };
  },
};
