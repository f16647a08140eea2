// Portico gateway contender definition (the pluggable slot). The server process is
// bench/servers/portico-gateway.js, which uses the Portico API through bench/lib/portico.js;
// until the core library is built it fails to start and the harness reports an error row.
import { fileURLToPath } from "node:url";

const SCRIPT = fileURLToPath(new URL("../servers/portico-gateway.js", import.meta.url));

export default {
  name: "portico",
  aliases: ["portico-gateway"],
  label: "Portico gateway",
  path: "/echoer/echo",
  /** @param {{ backendUrl: string, startServer: Function }} ctx */
  async start({ backendUrl, startServer }) {
    const server = await startServer("portico gateway", SCRIPT, ["--backend", backendUrl]);
    return { url: server.url };
  },
};
