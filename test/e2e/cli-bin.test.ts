/**
 * The built `portico` executable, run as `node dist/cli/bin.js ...`: help, exit codes, and real
 * servers stopped by signals. Every spawned process is killed in `afterEach`; waits are bounded.
 */
import { execFile, spawn } from "node:child_process";
import type { ChildProcess } from "node:child_process";
import { existsSync } from "node:fs";
import { createServer } from "node:net";
import { fileURLToPath } from "node:url";
import { afterEach, beforeAll, describe, expect, it } from "vitest";
import { isAlive, waitFor } from "../helpers/fixtures.js";
import { liveChildPids } from "../helpers/processes.js";

const ROOT = fileURLToPath(new URL("../..", import.meta.url));
const BIN = "dist/cli/bin.js";
const ECHO = "dist/samples/index.js#EchoService";

interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

/** A long-running CLI process (serve, gateway). */
interface Server {
  child: ChildProcess;
  url: string;
  exit: Promise<Exit>;
  /** What it wrote to stderr so far (says how far a stop got). */
  stderr(): string;
}

const spawned: ChildProcess[] = [];

// Detached servers do not get the terminal's Ctrl-C: stop whatever is left when this file's
// process exits (afterEach has done it already on a normal run).
process.once("exit", () => {
  for (const child of spawned) if (child.exitCode === null) child.kill("SIGKILL");
});

beforeAll(() => {
  // `npm test` builds first; run `npm run build` before running this file alone.
  if (!existsSync(`${ROOT}/${BIN}`)) throw new Error(`${BIN} is missing: run npm run build`);
});

afterEach(async () => {
  for (const child of spawned.splice(0)) {
    if (child.exitCode === null && child.signalCode === null) {
      const gone = new Promise((resolve) => child.once("exit", resolve));
      child.kill("SIGKILL");
      await gone;
    }
  }
});

/** Runs the CLI to completion (20 s at most). */
function run(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [BIN, ...args],
      { cwd: ROOT, timeout: 20_000 },
      (error, stdout, stderr) => {
        const code = error ? (typeof error.code === "number" ? error.code : -1) : 0;
        resolve({ code, stdout, stderr });
      },
    );
  });
}

/** Starts a server command and waits (bounded) for its `Serving ... at <url>` line. */
async function start(...args: string[]): Promise<Server> {
  // Its own process group, so that only the signals this file sends reach it: in one CI run a
  // server here died of a SIGTERM this test never sent (its source was not found; the runner's
  // group is shared by every process any test file starts). Killed on exit below.
  const child = spawn(process.execPath, [BIN, ...args], {
    cwd: ROOT,
    stdio: "pipe",
    detached: true,
  });
  spawned.push(child);
  const exit = new Promise<Exit>((resolve) =>
    child.once("exit", (code, signal) => resolve({ code, signal })),
  );
  let out = "";
  let err = "";
  child.stdout?.on("data", (chunk: Buffer) => (out += chunk.toString()));
  child.stderr?.on("data", (chunk: Buffer) => (err += chunk.toString()));
  await waitFor(() => /Serving \S+ at http:\S+/.test(out) || child.exitCode !== null, 20_000);
  const url = /Serving \S+ at (http:\/\/\S+)/.exec(out)?.[1];
  if (!url) throw new Error(`no Serving line from portico ${args.join(" ")}: ${out} ${err}`);
  return { child, url, exit, stderr: () => err };
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer().listen(0, "127.0.0.1", () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
    server.once("error", reject);
  });
}

describe("portico (built binary)", () => {
  it("prints help and exits 0", async () => {
    const help = await run("--help");
    expect(help.code).toBe(0);
    expect(help.stdout).toContain("Usage: portico");
    expect(help.stdout).toContain("Examples:");
    const serveHelp = await run("serve", "--help");
    expect(serveHelp.code).toBe(0);
    expect(serveHelp.stdout).toContain("--workers");
  });

  it("exits 2 on a usage error and 1 on a runtime error, with the code and no stack", async () => {
    const usage = await run("call", "http://127.0.0.1:1");
    expect(usage.code).toBe(2);
    expect(usage.stderr).toContain("error INVALID_OPTIONS:");
    const runtime = await run("call", "http://127.0.0.1:1", "echo", '{"message":"x"}');
    expect(runtime.code).toBe(1);
    expect(runtime.stderr).toContain("error SERVICE_UNAVAILABLE:");
    for (const stderr of [usage.stderr, runtime.stderr]) expect(stderr).not.toMatch(/^\s+at /m);
  });

  it("serves EchoService on a free port until SIGTERM, then exits 0", async () => {
    const port = await freePort();
    const echo = await start("serve", ECHO, "--port", String(port));
    expect(echo.url).toBe(`http://127.0.0.1:${port}`);
    const call = await run("call", echo.url, "echo", '{"message":"hi"}');
    expect(call.code).toBe(0);
    expect(JSON.parse(call.stdout)).toEqual({ echoed: "hi" });
    echo.child.kill("SIGTERM");
    expect(await echo.exit, echo.stderr()).toEqual({ code: 0, signal: null });
  });

  it("serves a gateway that forwards to a registered app; both stop on signals", async () => {
    const gateway = await start("gateway", "--port", "0");
    const echo = await start("serve", ECHO);
    const registered = await run("register", "echoer", echo.url, "--gateway", gateway.url);
    expect(registered.code).toBe(0);
    const apps = await run("apps", "--gateway", gateway.url, "--json");
    expect(JSON.parse(apps.stdout)).toMatchObject([
      { name: "echoer", url: echo.url, endpoints: ["echo"], instances: [{ url: echo.url }] },
    ]);
    const call = await run("call", `${gateway.url}/echoer`, "echo", '{"message":"via"}');
    expect(JSON.parse(call.stdout)).toEqual({ echoed: "via" });
    gateway.child.kill("SIGINT");
    echo.child.kill("SIGTERM");
    expect(await gateway.exit, gateway.stderr()).toEqual({ code: 0, signal: null });
    expect(await echo.exit, echo.stderr()).toEqual({ code: 0, signal: null });
  });

  it("stops a worker group on SIGTERM and leaves no orphan", async () => {
    const echo = await start("serve", ECHO, "--workers", "2");
    const pid = echo.child.pid as number;
    const primary = liveChildPids(pid);
    expect(primary.length).toBeGreaterThan(0);
    const group = [...primary, ...primary.flatMap((p) => liveChildPids(p))];
    echo.child.kill("SIGTERM");
    expect(await echo.exit, echo.stderr()).toEqual({ code: 0, signal: null });
    expect(await waitFor(() => !group.some(isAlive))).toBe(true);
  });
});
