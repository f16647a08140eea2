/**
 * Gateways that share a registry, as real processes: two replicas on one Redis, and gateways of
 * two workers (node:cluster, one port) on SQLite and on Redis. Each checks the consistency
 * guarantee over at least 200 trials: once `register_app` has answered on one replica (or
 * worker), the very next call through another one reaches the app, in 100% of the trials. Then a
 * Redis restart: forwarding goes on from memory, a registration during the outage fails with 503
 * REGISTRY_UNAVAILABLE and is never half-applied, and registrations work again afterwards.
 *
 * Every request goes out on a fresh connection (`postJson`), so with workers the cluster primary
 * hands each one to the next worker in turn: a registration and the call after it land on
 * different workers (round-robin), which is the case the guarantee is about.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { Gateway } from "../../src/gateway/gateway.js";
import { launchService } from "../../src/launcher/launch.js";
import type { LaunchedService } from "../../src/launcher/launch.js";
import { InvalidOptionsError } from "../../src/errors.js";
import { MemoryFeedRegistry } from "../../src/registry/memory/memory-registry.js";
import { expectRejects } from "../helpers/expect-error.js";
import type { EchoService } from "../../src/samples/echo-service.js";
import { startEcho, waitFor } from "../helpers/fixtures.js";
import type { Running } from "../helpers/fixtures.js";
import { expectNoChildProcesses, liveChildPids } from "../helpers/processes.js";
import { postJson } from "../helpers/raw-http.js";
import { redisForTests, startRedisServer } from "../helpers/redis-server.js";
import type { RedisServer } from "../helpers/redis-server.js";

const installed = redisForTests("the gateway replica and Redis worker tests");

/** Trials of the consistency guarantee per setup. */
const TRIALS = 200;

let echo: Running<EchoService>;
const scratch = mkdtempSync(join(tmpdir(), "portico-replicas-"));
const running: LaunchedService[] = [];
let trialNames = 0;

beforeAll(async () => {
  echo = await startEcho();
});

afterEach(async () => {
  await Promise.all(running.splice(0).map((gateway) => gateway.process.stop(5_000)));
});

afterAll(async () => {
  await echo?.close();
  rmSync(scratch, { recursive: true, force: true });
  await expectNoChildProcesses();
});

/** How a test hands the registry URL to the launched gateway: each way `launch()` accepts. */
type RegistryVia = "option" | "serviceOptions" | "env";

/** A gateway process (or worker group) on `registry`. */
function launchGateway(
  registry: string,
  numWorkers = 1,
  via: RegistryVia = "option",
): Promise<LaunchedService> {
  const given =
    via === "option"
      ? { registry }
      : via === "serviceOptions"
        ? { serviceOptions: { registry } }
        : { env: { PORTICO_REGISTRY: registry } };
  return launchService(Gateway, { ...given, numWorkers, timeout: 20_000 });
}

/** A gateway process (or worker group) on `registry`, stopped after the test. */
async function startGatewayProcess(
  registry: string,
  numWorkers = 1,
  via: RegistryVia = "option",
): Promise<LaunchedService> {
  const gateway = await launchGateway(registry, numWorkers, via);
  running.push(gateway);
  return gateway;
}

interface Reply {
  status: number;
  body: { error?: { code?: string }; echoed?: string; revision?: number; apps?: string[] };
}

async function post(url: string, body: unknown): Promise<Reply> {
  const reply = await postJson(url, body);
  return { status: reply.status, body: reply.json() as Reply["body"] };
}

const register = (gateway: string, name: string): Promise<Reply> =>
  post(`${gateway}/register_app`, { name, url: echo.url });
const unregister = (gateway: string, name: string): Promise<Reply> =>
  post(`${gateway}/unregister_app`, { name });
const echoThrough = (gateway: string, name: string): Promise<Reply> =>
  post(`${gateway}/${name}/echo`, { message: name });
const listApps = async (gateway: string): Promise<string[]> =>
  (await post(`${gateway}/list_apps`, {})).body.apps ?? [];

interface Failure {
  trial: number;
  step: "register" | "call";
  status: number;
  code: string | undefined;
  revision: number | undefined;
}

/**
 * Runs `count` trials: a fresh app name registered through `registerAt(i)`, then one call to it
 * through `callAt(i)`. Returns the failures (none expected) and how long the trials took.
 */
async function consistencyTrials(
  count: number,
  registerAt: (trial: number) => string,
  callAt: (trial: number) => string,
): Promise<{ failures: Failure[]; ms: number }> {
  const failures: Failure[] = [];
  const started = Date.now();
  for (let trial = 0; trial < count; trial++) {
    const name = `trial${++trialNames}`;
    const registered = await register(registerAt(trial), name);
    const revision = registered.body.revision;
    if (registered.status !== 200) {
      const code = registered.body.error?.code;
      failures.push({ trial, step: "register", status: registered.status, code, revision });
      continue;
    }
    const called = await echoThrough(callAt(trial), name);
    if (called.status !== 200 || called.body.echoed !== name) {
      const code = called.body.error?.code;
      failures.push({ trial, step: "call", status: called.status, code, revision });
    }
  }
  return { failures, ms: Date.now() - started };
}

describe("launching a gateway with several workers", () => {
  it.each([
    ["no registry", {}],
    ["memory://", { registry: "memory://" }],
    ["memory:// in serviceOptions", { serviceOptions: { registry: "memory://" } }],
    ["a private SQLite memory database", { env: { PORTICO_REGISTRY: "sqlite::memory:" } }],
    ["a Registry instance", { serviceOptions: { registry: new MemoryFeedRegistry() } }],
  ])("is refused with %s (INVALID_OPTIONS), spawning nothing", async (_what, options) => {
    const launched = launchService(Gateway, { ...options, numWorkers: 2 });
    await expectRejects(launched, InvalidOptionsError, "INVALID_OPTIONS");
    expect(liveChildPids(process.pid, "node")).toEqual([]);
  });
});

describe("two gateway workers on one SQLite file", () => {
  it(`reach an app registered through either worker on the very next call (${TRIALS} trials)`, async () => {
    const registry = `sqlite://${join(scratch, "workers.db")}`;
    const gateway = await startGatewayProcess(registry, 2, "serviceOptions");
    const url = () => gateway.url;
    const result = await consistencyTrials(TRIALS, url, url);
    console.info(`SQLite, 2 workers: ${TRIALS} trials in ${result.ms} ms`);
    expect(result.failures).toEqual([]);
  }, 50_000);
});

describe.skipIf(!installed)("gateways sharing one Redis", () => {
  let redis: RedisServer;
  let a: LaunchedService;
  let b: LaunchedService;
  beforeAll(async () => {
    redis = await startRedisServer();
    [a, b] = await Promise.all([launchGateway(redis.url), launchGateway(redis.url)]);
  });
  afterAll(async () => {
    await Promise.all([a, b].map((replica) => replica?.process.stop(5_000)));
    await redis?.[Symbol.asyncDispose]();
  });

  it("see each other's registrations and removals", async () => {
    expect((await register(a.url, "shared")).status).toBe(200);
    expect(await echoThrough(b.url, "shared")).toEqual({
      status: 200,
      body: { echoed: "shared" },
    });
    expect(await listApps(b.url)).toContain("shared");

    expect((await unregister(b.url, "shared")).status).toBe(200);
    expect(await listApps(a.url)).not.toContain("shared");
    const gone = await echoThrough(a.url, "shared");
    expect([gone.status, gone.body.error?.code]).toEqual([404, "APP_NOT_REGISTERED"]);
  });

  it(`reach an app registered on the other replica on the very next call (${TRIALS} trials)`, async () => {
    const replicas = [a, b];
    // Alternate: register on A and call through B, then register on B and call through A.
    const result = await consistencyTrials(
      TRIALS,
      (trial) => replicas[trial % 2]!.url,
      (trial) => replicas[(trial + 1) % 2]!.url,
    );
    console.info(`Redis, 2 replicas: ${TRIALS} trials in ${result.ms} ms`);
    expect(result.failures).toEqual([]);
  }, 40_000);

  it(`reach an app registered through either of two workers on the very next call (${TRIALS} trials)`, async () => {
    const gateway = await startGatewayProcess(redis.url, 2, "env");
    const url = () => gateway.url;
    const result = await consistencyTrials(TRIALS, url, url);
    console.info(`Redis, 2 workers: ${TRIALS} trials in ${result.ms} ms`);
    expect(result.failures).toEqual([]);
  }, 50_000);
});

describe.skipIf(!installed)("gateways whose Redis restarts (with its data)", () => {
  let redis: RedisServer;
  const dir = join(scratch, "redis-data");
  beforeAll(async () => {
    redis = await startRedisServer({ persistDir: mkdtempSync(dir) });
  });
  afterAll(async () => {
    await redis?.[Symbol.asyncDispose]();
  });

  it("forward from memory while it is down, refuse registrations with 503, and resync after", async () => {
    const [a, b] = await Promise.all([
      startGatewayProcess(redis.url),
      startGatewayProcess(redis.url),
    ]);
    expect((await register(a.url, "steady")).status).toBe(200);
    expect((await echoThrough(b.url, "steady")).status).toBe(200);

    await redis.kill();
    for (const gateway of [a, b]) {
      for (let i = 0; i < 10; i++) {
        expect(await echoThrough(gateway.url, "steady")).toEqual({
          status: 200,
          body: { echoed: "steady" },
        });
      }
    }
    const refused = await register(b.url, "lost");
    expect([refused.status, refused.body.error?.code]).toEqual([503, "REGISTRY_UNAVAILABLE"]);
    expect(await listApps(a.url)).toEqual(["steady"]);
    expect(await listApps(b.url)).toEqual(["steady"]);

    await redis.restart();
    // The gateways reconnect with backoff: until then a registration is refused, never parked.
    const codes = new Set<string | undefined>();
    let after: Reply | undefined;
    const registered = await waitFor(async () => {
      after = await register(a.url, "after");
      if (after.status !== 200) codes.add(after.body.error?.code);
      return after.status === 200;
    }, 15_000);
    expect(registered).toBe(true);
    expect([...codes].filter((code) => code !== "REGISTRY_UNAVAILABLE")).toEqual([]);
    // Through the other replica, on the very next call.
    expect(await echoThrough(b.url, "after")).toEqual({ status: 200, body: { echoed: "after" } });
    for (const gateway of [a, b]) {
      expect((await listApps(gateway.url)).sort()).toEqual(["after", "steady"]);
    }
    // And the other way round once more.
    expect((await register(b.url, "later")).status).toBe(200);
    expect((await echoThrough(a.url, "later")).status).toBe(200);
  }, 50_000);
});
