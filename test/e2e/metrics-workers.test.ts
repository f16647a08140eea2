/**
 * A gateway of two workers (node:cluster, one port) answers `/metrics` and `app_stats` for the
 * whole server: every request goes out on a fresh connection, which the cluster primary hands to
 * the workers in turn (round-robin), so the forwarded calls are split between them and so are the
 * scrapes; each scrape and each `app_stats` must still count every call, not one worker's share.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Gateway } from "../../src/gateway/gateway.js";
import { launchService } from "../../src/launcher/launch.js";
import type { LaunchedService } from "../../src/launcher/launch.js";
import type { EchoService } from "../../src/samples/echo-service.js";
import { startEcho } from "../helpers/fixtures.js";
import type { Running } from "../helpers/fixtures.js";
import { expectNoChildProcesses } from "../helpers/processes.js";
import { postJson, rawRequest } from "../helpers/raw-http.js";

/** Forwarded calls: odd, so an even split between two workers cannot hide a wrong sum. */
const CALLS = 9;

const scratch = mkdtempSync(join(tmpdir(), "portico-metrics-workers-"));
let echo: Running<EchoService>;
let gateway: LaunchedService;

beforeAll(async () => {
  echo = await startEcho();
  gateway = await launchService(Gateway, {
    registry: `sqlite://${join(scratch, "registry.db")}`,
    numWorkers: 2,
    timeout: 20_000,
  });
}, 30_000);

afterAll(async () => {
  await gateway?.process.stop(5_000);
  await echo?.close();
  rmSync(scratch, { recursive: true, force: true });
  await expectNoChildProcesses();
});

/** The value of the one sample of `name` whose labels include every one of `labels`. */
function sample(text: string, name: string, labels: Record<string, string>): number | undefined {
  for (const line of text.split("\n")) {
    const match = /^([a-z_]+)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!match || match[1] !== name) continue;
    const given = match[2] ?? "";
    if (Object.entries(labels).every(([key, value]) => given.includes(`${key}="${value}"`))) {
      return Number(match[3]);
    }
  }
  return undefined;
}

describe("a gateway with two workers", () => {
  it("counts every worker's forwarded calls in each /metrics scrape and in app_stats", async () => {
    const registered = await postJson(`${gateway.url}/register_app`, {
      name: "echo",
      url: echo.url,
    });
    expect(registered.status).toBe(200);
    for (let i = 0; i < CALLS; i++) {
      const reply = await postJson(`${gateway.url}/echo/echo`, { message: `m${i}` });
      expect([reply.status, reply.json()]).toEqual([200, { echoed: `m${i}` }]);
    }

    // Four scrapes on fresh connections: both workers answer some; each answers for both.
    for (let scrape = 0; scrape < 4; scrape++) {
      const reply = await rawRequest(`${gateway.url}/metrics`);
      expect(reply.status).toBe(200);
      expect(reply.headers["content-type"]).toMatch(/^text\/plain/);
      const text = reply.body.toString("utf8");
      const app = { app: "echo" };
      expect(sample(text, "portico_app_requests_total", { ...app, status_class: "2xx" })).toBe(
        CALLS,
      );
      expect(sample(text, "portico_app_duration_seconds_count", app)).toBe(CALLS);
      expect(sample(text, "portico_app_duration_seconds_bucket", { ...app, le: "+Inf" })).toBe(
        CALLS,
      );
      // A gauge of the shared registry is not doubled by the number of workers.
      expect(sample(text, "portico_apps", {})).toBe(1);
      expect(sample(text, "portico_instance_healthy", app)).toBe(1);
      expect(sample(text, "process_cpu_user_seconds_total", {})).toBeGreaterThan(0);
    }

    for (let call = 0; call < 4; call++) {
      const reply = await postJson(`${gateway.url}/app_stats`, {});
      expect(reply.status).toBe(200);
      const stats = reply.json() as {
        registry: { backend: string };
        apps: { name: string; requests: number; errors: number; p50_ms: number | null }[];
      };
      expect(stats.registry.backend).toBe("sqlite");
      expect(stats.apps).toHaveLength(1);
      expect(stats.apps[0]).toMatchObject({ name: "echo", requests: CALLS, errors: 0 });
      expect(stats.apps[0]!.p50_ms).toBeGreaterThan(0);
    }
  }, 30_000);
});
