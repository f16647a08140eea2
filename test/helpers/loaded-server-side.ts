/**
 * Run as a child process (`node --import tsx loaded-server-side.ts URL`): imports the client entry
 * and a contract module, connects to the Portico service at URL (typed and discovered clients)
 * and calls it, then imports the Service class as a control; prints as JSON which server-side
 * packages (fastify and its plugins, pino) are loaded after each step.
 *
 * How it knows: those packages are CommonJS, and Node loads CommonJS through one module cache
 * (`require.cache`) even when ESM imports it, so a file of theirs in that cache means it was
 * loaded. The control step proves the probe sees them.
 */
import { createRequire } from "node:module";

const SERVER_SIDE = ["fastify", "@fastify", "pino", "avvio", "light-my-request"];

function loadedServerSide(): string[] {
  const files = Object.keys(createRequire(import.meta.url).cache);
  return SERVER_SIDE.filter((name) =>
    files.some((file) => file.includes(`/node_modules/${name}/`)),
  );
}

const url = process.argv[2] ?? "";
const client = await import("../../src/client/index.js");
const { echoTasks } = await import("../../src/samples/contract.js");
const steps: Record<string, string[]> = { imports: loadedServerSide() };

const typed = await client.connect(url, { tasks: echoTasks });
const discovered = await client.connect(url);
const echoed = [
  await typed.echo({ message: "typed" }),
  await discovered.call("echo", { message: "discovered" }),
];
const probe = await typed.transport.probe();
await Promise.all([typed.close(), discovered.close()]);
steps.calls = loadedServerSide();

await import("../../src/service/service.js");
steps.control = loadedServerSide();
console.log(JSON.stringify({ steps, echoed, probe: { ok: probe.ok, serverId: probe.serverId } }));
