/**
 * A durable gateway: a gateway process on a SQLite file (and on Redis) with an app registered is
 * stopped with SIGTERM or SIGKILL and started again on the same port and store. It serves the
 * same apps with no re-registration: forwarding works, `list_apps` has them, and gateway clients
 * connected before the restart get their next call through (their pools find the old sockets
 * closed and open new ones; a call made while no gateway runs fails with SERVICE_UNAVAILABLE).
 * The built `portico gateway --state` does the same, and `portico events` follows it across the
 * restart.
 */
import { spawn } from "node:child_process";
import type { ChildProcess } from "node:child_process";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { Gateway } from "../../src/gateway/gateway.js";
import type { GatewayClient } from "../../src/gateway/gateway-client.js";
import { launchService } from "../../src/launcher/launch.js";
import type { LaunchedService } from "../../src/launcher/launch.js";
import type { EchoService } from "../../src/samples/echo-service.js";
import { ServiceUnavailableError } from "../../src/errors.js";
import { expectRejects } from "../helpers/expect-error.js";
import { startEcho, waitFor } from "../helpers/fixtures.js";
import type { Running } from "../helpers/fixtures.js";
import { expectNoChildProcesses, killIfRunning, liveChildPids } from "../helpers/processes.js";
import { postJson } from "../helpers/raw-http.js";
import { freePort, redisForTests, startRedisServer } from "../helpers/redis-server.js";
import type { RedisServer } from "../helpers/redis-server.js";

const installed = redisForTests("the durable gateway test on Redis");

let echo: Running<EchoService>;
const scratch = mkdtempSync(join(tmpdir(), "portico-durable-"));
const clients: GatewayClient[] = [];

beforeAll(async () => {
  echo = await startEcho();
});

afterEach(async () => {
  await Promise.all(clients.splice(0).map((client) => client.close()));
  killIfRunning(...liveChildPids(process.pid, "node")); // after a failure; not redis-server
});

afterAll(async () => {
  await echo?.close();
  rmSync(scratch, { recursive: true, force: true });
  await expectNoChildProcesses();
});

const ROOT = fileURLToPath(new URL("../..", import.meta.url));
const BIN = "dist/cli/bin.js";

/** A `portico` command run from the built binary. */
interface Bin {
  child: ChildProcess;
  stdout: () => string;
  stderr: () => string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

function startBin(...args: string[]): Bin {
  const child = spawn(process.execPath, [BIN, ...args], { cwd: ROOT, stdio: "pipe" });
  let out = "";
  let err = "";
  child.stdout.setEncoding("utf8").on("data", (chunk: string) => (out += chunk));
  child.stderr.setEncoding("utf8").on("data", (chunk: string) => (err += chunk));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once("exit", (code, signal) => resolve({ code, signal })),
  );
  return { child, stdout: () => out, stderr: () => err, exited };
}

/** Waits (bounded) until `check` holds; fails the test if it never does. */
async function until(check: () => boolean): Promise<void> {
  expect(await waitFor(check, 20_000)).toBe(true);
}

/** A gateway process on `registry`, on `port` (default: a free one). */
function startGatewayProcess(registry: string, port?: number): Promise<LaunchedService> {
  return launchService(Gateway, { registry, timeout: 20_000, ...(port ? { port } : {}) });
}

/** Stops the process with `signal` and waits until it has exited. */
async function stopWith(gateway: LaunchedService, signal: NodeJS.Signals): Promise<void> {
  process.kill(gateway.process.pid as number, signal);
  await gateway.process.exited;
}

async function connect(url: string): Promise<GatewayClient> {
  const client = await Gateway.connect(url);
  clients.push(client);
  return client;
}

/** One call to the app through the gateway on a fresh connection. */
async function echoThrough(url: string, app: string, message: string): Promise<unknown> {
  const reply = await postJson(`${url}/${app}/echo`, { message });
  return { status: reply.status, body: reply.json() as unknown };
}

async function listApps(url: string): Promise<string[]> {
  return ((await postJson(`${url}/list_apps`, {})).json() as { apps: string[] }).apps;
}

/**
 * Registers an app, restarts the gateway process after `signal` on the same port and store, and
 * checks what it serves and what clients connected before the restart get.
 */
async function survivesRestart(registry: string, signal: NodeJS.Signals): Promise<void> {
  const first = await startGatewayProcess(registry);
  const port = Number(new URL(first.url).port);
  // `used` has called the app (its schemas are loaded); `idle` has only connected.
  const used = await connect(first.url);
  const idle = await connect(first.url);
  const registered = await used.registerApp("echoer", echo.url);
  expect(registered.revision).toBeGreaterThan(0);
  expect(await used.app<typeof EchoService>("echoer").echo({ message: "before" })).toEqual({
    echoed: "before",
  });

  await stopWith(first, signal);
  // While no gateway runs, a call fails with SERVICE_UNAVAILABLE (retryable), nothing worse.
  await expectRejects(
    used.app<typeof EchoService>("echoer").echo({ message: "down" }),
    ServiceUnavailableError,
    "SERVICE_UNAVAILABLE",
  );
  const second = await startGatewayProcess(registry, port);
  try {
    expect(second.url).toBe(first.url);
    expect(await listApps(second.url)).toEqual(["echoer"]);
    expect(await echoThrough(second.url, "echoer", "after")).toEqual({
      status: 200,
      body: { echoed: "after" },
    });
    // Clients connected to the first process: their pools find the old sockets closed.
    for (const client of [used, idle]) {
      expect(await client.app<typeof EchoService>("echoer").echo({ message: "again" })).toEqual({
        echoed: "again",
      });
    }
    expect(await idle.listApps()).toEqual(["echoer"]);
  } finally {
    await second.process.stop(5_000);
  }
}

describe("a gateway on a SQLite file", () => {
  it("serves its apps again after SIGTERM and a restart, with no re-registration", async () => {
    await survivesRestart(`sqlite://${join(scratch, "term.db")}`, "SIGTERM");
  }, 45_000);

  it("serves its apps again after SIGKILL and a restart, with no re-registration", async () => {
    await survivesRestart(`sqlite://${join(scratch, "kill.db")}`, "SIGKILL");
  }, 45_000);
});

describe("portico gateway --state (the built binary)", () => {
  it("serves its apps again after SIGKILL, and `portico events` follows it across the restart until SIGINT", async () => {
    if (!existsSync(join(ROOT, BIN))) throw new Error(`${BIN} is missing: run npm run build`);
    const port = String(await freePort());
    const url = `http://127.0.0.1:${port}`;
    const state = join(scratch, "bin.db");
    const bins: Bin[] = [];
    const start = (...args: string[]): Bin => {
      const bin = startBin(...args);
      bins.push(bin);
      return bin;
    };
    try {
      const first = start("gateway", "--state", state, "--port", port);
      await until(() => first.stdout().includes("Serving Gateway"));
      const events = start("events", "--gateway", url, "--json");
      await until(() => events.stderr().includes("Following"));
      expect((await postJson(`${url}/register_app`, { name: "one", url: echo.url })).status).toBe(
        200,
      );
      await until(() => events.stdout().includes("\n"));

      first.child.kill("SIGKILL");
      await first.exited;
      const second = start("gateway", "--state", state, "--port", port);
      await until(() => second.stdout().includes("Serving Gateway"));
      expect(await listApps(url)).toEqual(["one"]);
      await until(() => events.stderr().split("Following").length === 3);
      expect((await postJson(`${url}/register_app`, { name: "two", url: echo.url })).status).toBe(
        200,
      );
      await until(() => events.stdout().trimEnd().split("\n").length === 2);
      const lines = events
        .stdout()
        .trimEnd()
        .split("\n")
        .map((line) => JSON.parse(line) as unknown);
      expect(lines).toMatchObject([
        { type: "app_registered", name: "one", revision: 1 },
        { type: "app_registered", name: "two", revision: 2 },
      ]);

      events.child.kill("SIGINT");
      expect(await events.exited).toEqual({ code: 0, signal: null });
      second.child.kill("SIGTERM");
      expect(await second.exited).toEqual({ code: 0, signal: null });
    } finally {
      for (const bin of bins) bin.child.kill("SIGKILL");
    }
  }, 45_000);
});

describe.skipIf(!installed)("a gateway on Redis", () => {
  let redis: RedisServer;
  beforeAll(async () => {
    redis = await startRedisServer();
  });
  afterAll(async () => {
    await redis?.[Symbol.asyncDispose]();
  });

  it("serves its apps again after SIGKILL and a restart, with no re-registration", async () => {
    await survivesRestart(redis.url, "SIGKILL");
  }, 45_000);
});
