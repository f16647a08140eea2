/**
 * Leases shared by replicas: two gateways on one SQLite file, and on one Redis. An instance
 * registered with a lease through one replica is renewed through the other, and once nobody
 * renews it, the replica left (the first one gone) removes it within the lease plus a sweep.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Gateway } from "../../src/gateway/gateway.js";
import { serveOn, startEcho, waitFor } from "../helpers/fixtures.js";
import { postJson } from "../helpers/raw-http.js";
import { redisForTests, startRedisServer } from "../helpers/redis-server.js";
import type { RedisServer } from "../helpers/redis-server.js";

const LEASE_MS = 1_000;

async function instances(gatewayUrl: string, name: string): Promise<string[]> {
  const { apps } = (await postJson(`${gatewayUrl}/list_apps_with_schemas`, {})).json() as {
    apps: { name: string; instances?: { url: string }[] }[];
  };
  return apps.find((a) => a.name === name)?.instances?.map((i) => i.url) ?? [];
}

function sharedLeases(registry: () => string): void {
  it("renews through either replica, and expires on the one left", async () => {
    await using echo = await startEcho();
    await using other = await startEcho();
    const first = await serveOn(new Gateway({ registry: registry(), health: false }));
    await using second = await serveOn(new Gateway({ registry: registry(), health: false }));
    try {
      for (const url of [echo.url, other.url]) {
        const reply = await postJson(`${first.url}/register_app`, {
          name: "leased",
          url,
          mode: "add",
          lease_ms: LEASE_MS,
        });
        expect(reply.status).toBe(200);
      }
      expect(await waitFor(async () => (await instances(second.url, "leased")).length === 2)).toBe(
        true,
      );
      // The lease is the store's: the other replica renews it.
      const renewed = await postJson(`${second.url}/renew_lease`, {
        name: "leased",
        url: echo.url,
      });
      expect(renewed.json()).toEqual({ renewed: true });
    } finally {
      await first.close();
    }
    // Keep `echo` renewed through the replica left; `other` lapses and is removed by it.
    const timer = setInterval(() => {
      void postJson(`${second.url}/renew_lease`, { name: "leased", url: echo.url });
    }, LEASE_MS / 4);
    try {
      expect(
        await waitFor(async () => (await instances(second.url, "leased")).length === 1, 5_000),
      ).toBe(true);
      expect(await instances(second.url, "leased")).toEqual([echo.url]);
    } finally {
      clearInterval(timer);
    }
    // Nobody renews `echo` now: the app goes with its last instance.
    expect(
      await waitFor(async () => (await instances(second.url, "leased")).length === 0, 5_000),
    ).toBe(true);
    const gone = await postJson(`${second.url}/renew_lease`, { name: "leased", url: echo.url });
    expect(gone.json()).toEqual({ renewed: false });
  });
}

describe("leases on one SQLite file", () => {
  const dir = mkdtempSync(join(tmpdir(), "portico-leases-"));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  sharedLeases(() => `sqlite://${join(dir, "registry.db")}`);
});

const installed = redisForTests("the Redis lease tests");

describe.skipIf(!installed)("leases on one Redis", () => {
  let server: RedisServer;
  beforeAll(async () => {
    server = await startRedisServer();
  });
  afterAll(async () => {
    await server?.[Symbol.asyncDispose]();
  });
  sharedLeases(() => server.url);
});
