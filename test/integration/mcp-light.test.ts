/**
 * The MCP SDK is loaded only by an MCP request (issue 9): importing the built root entry
 * (`dist/index.js`) or the client entry loads no module of `@modelcontextprotocol`, nor does a
 * served service or gateway answering HTTP calls; the first request to `/mcp` does (the control,
 * proving the probe sees them).
 *
 * How the child knows: the SDK is ESM, which `require.cache` does not list, so the child
 * registers a module resolve hook (`module.register`) that appends every resolved URL to a file,
 * synchronously, before the import it belongs to completes; CommonJS files are read from
 * `require.cache` as well. Run against `dist/` (`npm run build` first).
 */
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { childReport } from "../helpers/child-report.js";
import { SECURITY_ENV } from "../helpers/env.js";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));
const DIST = join(ROOT, "dist");

/** Records every URL the ESM loader resolves, in the file the main thread names. */
const HOOKS = `
import { appendFileSync } from "node:fs";
let log;
export async function initialize(data) { log = data.log; }
export async function resolve(specifier, context, next) {
  const result = await next(specifier, context);
  appendFileSync(log, result.url + "\\n");
  return result;
}
`;

/** The child: import, serve, call over HTTP, then the control MCP request. */
const CHILD = `
import { register, createRequire } from "node:module";
import { readFileSync, writeFileSync } from "node:fs";
import { pathToFileURL } from "node:url";
const { LOG, DIST, HOOKS } = process.env;
writeFileSync(LOG, "");
register("data:text/javascript," + encodeURIComponent(HOOKS), { data: { log: LOG } });
const require = createRequire(pathToFileURL(DIST + "/index.js"));
const mcp = () => {
  const urls = readFileSync(LOG, "utf8").split("\\n");
  const files = Object.keys(require.cache);
  return [...urls, ...files].filter((f) => f.includes("/node_modules/@modelcontextprotocol/"));
};
const dist = (path) => pathToFileURL(DIST + path).href;
const steps = {};
const root = await import(dist("/index.js"));
await import(dist("/client/index.js"));
steps.imports = mcp();
const { EchoService } = await import(dist("/samples/index.js"));
const service = await new EchoService().serve({ host: "127.0.0.1", port: 0 });
const gw = new root.Gateway({ health: false });
const gateway = await gw.serve({ host: "127.0.0.1", port: 0 });
await gw.registerApp("echoer", service.url);
const post = (url, body, headers = {}) =>
  fetch(url, { method: "POST", headers: { "content-type": "application/json", ...headers }, body: JSON.stringify(body) });
const echoed = [
  await (await post(service.url + "/echo", { message: "http" })).json(),
  await (await post(gateway.url + "/echoer/echo", { message: "forwarded" })).json(),
];
const client = await root.connect(service.url);
echoed.push(await client.call("echo", { message: "client" }));
await client.close();
steps.served = mcp();
const init = {
  jsonrpc: "2.0", id: 1, method: "initialize",
  params: { protocolVersion: "2025-06-18", capabilities: {}, clientInfo: { name: "light", version: "1" } },
};
const reply = await post(service.url + "/mcp", init, { accept: "application/json, text/event-stream" });
await reply.text();
steps.control = mcp();
await gateway.close();
await service.close();
console.log(JSON.stringify({ steps, echoed, controlStatus: reply.status }));
`;

interface Report {
  steps: Record<"imports" | "served" | "control", string[]>;
  echoed: unknown[];
  controlStatus: number;
}

/** The runner's environment without the variables that would change what a server reads. */
function cleanEnv(): NodeJS.ProcessEnv {
  const env = { ...process.env };
  for (const name of SECURITY_ENV) delete env[name];
  return env;
}

async function runChild(): Promise<Report> {
  const dir = mkdtempSync(join(tmpdir(), "portico-mcp-light-"));
  try {
    return await childReport<Report>("the child", ["--input-type=module", "-e", CHILD], {
      cwd: ROOT,
      env: { ...cleanEnv(), LOG: join(dir, "resolved.log"), DIST, HOOKS },
    });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

describe("the MCP SDK loads on the first MCP request only", () => {
  it("not by importing dist/index.js or the client entry, nor by serving HTTP calls", async () => {
    expect(existsSync(join(DIST, "index.js")), "run `npm run build` first").toBe(true);
    const report = await runChild();
    expect(report.echoed).toEqual([
      { echoed: "http" },
      { echoed: "forwarded" },
      { echoed: "client" },
    ]);
    expect(report.steps.imports).toEqual([]);
    expect(report.steps.served).toEqual([]);
    // The control: one MCP request loads the SDK, so the probe would have seen it before.
    expect(report.controlStatus).toBe(200);
    expect(report.steps.control.some((url) => url.includes("@modelcontextprotocol/server"))).toBe(
      true,
    );
  }, 30_000);
});
