// Portico gateway contender definitions (the pluggable slot). The server process is
// bench/servers/portico-gateway.js, which uses the Portico API through bench/lib/portico.js;
// until the core library is built it fails to start and the harness reports an error row.
// `portico-secured` is the same process with adminToken and callToken set (Host checks are
// always on for a loopback bind): the load generator sends `headers` (the caller token), and
// start() fails unless the gateway refuses calls without it (bench/lib/secured.js).
import { fileURLToPath } from "node:url";
import { stopChild } from "../lib/procs.js";
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
