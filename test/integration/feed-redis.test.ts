import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { ChangeFeedRegistry } from "../../src/registry/change-feed.js";
import { createRegistry } from "../../src/registry/create-registry.js";
import { RedisFeedRegistry } from "../../src/registry/redis/redis-registry.js";
import { describeFeedConformance } from "../helpers/feed-conformance.js";
import { appRecord, readFeed } from "../helpers/feed-reader.js";
import type { FeedEvent } from "../../src/registry/change-feed.js";
import { waitFor } from "../helpers/fixtures.js";
import { freePort, redisForTests, startRedisServer } from "../helpers/redis-server.js";
import type { RedisServer } from "../helpers/redis-server.js";

const installed = redisForTests("the Redis registry tests");

describe.skipIf(!installed)("RedisFeedRegistry on a real redis-server", () => {
  let server: RedisServer;
  beforeAll(async () => {
    server = await startRedisServer();
  });
  afterAll(async () => {
    await server?.[Symbol.asyncDispose]();
  });

  // Each store is its own key prefix on the one server; reopen uses the same prefix.
  const prefixes = new WeakMap<ChangeFeedRegistry, string>();
  let stores = 0;
  describeFeedConformance("RedisFeedRegistry", {
    create: async (options) => {
      const prefix = `test${++stores}:`;
      const registry = await RedisFeedRegistry.open(server.url, { ...options, prefix });
      prefixes.set(registry, prefix);
      return registry;
    },
    reopen: (registry) => RedisFeedRegistry.open(server.url, { prefix: prefixes.get(registry) }),
  });

  it("is what createRegistry opens for a redis:// URL", async () => {
    const registry = await createRegistry(server.url, { history: 5 });
    try {
      expect(registry).toBeInstanceOf(RedisFeedRegistry);
      expect(registry.url).toBe(server.url);
    } finally {
      await registry.close();
    }
  });

  it("opens data of the version before app revisions: its apps take the newest revision", async () => {
    const prefix = "legacy:";
    const raw = new Redis(server.url);
    try {
      await raw.hset(`${prefix}apps`, "alpha", JSON.stringify(appRecord("alpha")));
      await raw.zadd(`${prefix}order`, 1, "alpha");
      await raw.set(`${prefix}revision`, 7);
    } finally {
      raw.disconnect();
    }
    const registry = await RedisFeedRegistry.open(server.url, { prefix });
    try {
      expect(await registry.get("alpha")).toEqual({ app: appRecord("alpha"), revision: 7 });
      await registry.apply({ op: "put", app: appRecord("bravo") });
      expect(await registry.get("alpha")).toMatchObject({ revision: 7 });
      const moved = appRecord("alpha", "http://127.0.0.1:2/alpha");
      expect(await registry.apply({ op: "put", app: moved, expect: 7 })).toMatchObject({
        revision: 9,
      });
      expect(await registry.get("alpha")).toEqual({ app: moved, revision: 9 });
    } finally {
      await registry.close();
    }
  });

  it("refuses a URL that is not redis:// with INVALID_OPTIONS", async () => {
    await expect(RedisFeedRegistry.open("http://127.0.0.1:6379")).rejects.toMatchObject({
      code: "INVALID_OPTIONS",
    });
  });

  it("fails to open with REGISTRY_UNAVAILABLE when nothing listens at the URL", async () => {
    const url = `redis://127.0.0.1:${await freePort()}/0`;
    await expect(RedisFeedRegistry.open(url)).rejects.toMatchObject({
      code: "REGISTRY_UNAVAILABLE",
      status: 503,
      retryable: true,
    });
  });
});

describe.skipIf(!installed)("RedisFeedRegistry when Redis goes away", () => {
  it("fails writes at once while Redis is down; after a restart, writes work and watchers resync", async () => {
    await using server = await startRedisServer();
    const registry = await RedisFeedRegistry.open(server.url, { blockTimeout: 500 });
    try {
      await using feed = readFeed(registry, 0);
      const first = await registry.apply({ op: "put", app: appRecord("alpha") });
      expect(await feed.next()).toEqual([first]);
      const begunBefore = await registry.begin("delta");

      await server.kill();
      const started = Date.now();
      const unavailable = { code: "REGISTRY_UNAVAILABLE", status: 503 };
      await expect(registry.apply({ op: "put", app: appRecord("bravo") })).rejects.toMatchObject(
        unavailable,
      );
      await expect(registry.begin("bravo")).rejects.toMatchObject(unavailable);
      await expect(registry.snapshot()).rejects.toMatchObject(unavailable);
      await expect(registry.revision()).rejects.toMatchObject(unavailable);
      expect(Date.now() - started).toBeLessThan(2_000);

      await server.restart();
      let change: Awaited<ReturnType<typeof registry.apply>>;
      const put = () => registry.apply({ op: "put", app: appRecord("bravo") });
      expect(
        await waitFor(async () => (change = await put().catch(() => undefined)) !== undefined),
      ).toBe(true);
      // --save "": the restarted server is empty, so the feed starts again at 1.
      expect(change).toMatchObject({ type: "app_registered", revision: 1 });
      const [signal] = await feed.next(1, 10_000);
      expect(signal).toMatchObject({ type: "resync" });
      const third = await registry.apply({ op: "put", app: appRecord("charlie") });
      const after: FeedEvent[] = [];
      while (after.at(-1)?.revision !== third?.revision) after.push(...(await feed.next()));
      expect(after.at(-1)).toEqual(third);
      expect((await registry.snapshot()).apps.map((app) => app.name)).toEqual(["bravo", "charlie"]);
      // Tickets go on growing across the lost data: one begun before cannot pass for a new one.
      const begunAfter = await registry.begin("delta");
      expect(begunAfter.ticket).toBeGreaterThan(begunBefore.ticket);
      const stale = { op: "put", app: appRecord("delta"), ticket: begunBefore.ticket } as const;
      expect(await registry.apply(stale)).toBeUndefined();
    } finally {
      await registry.close();
    }
  });

  it("fails a write with REGISTRY_UNAVAILABLE when Redis stops answering (command timeout)", async () => {
    await using server = await startRedisServer();
    const registry = await RedisFeedRegistry.open(server.url, { commandTimeout: 300 });
    try {
      server.pause();
      await expect(registry.apply({ op: "put", app: appRecord("alpha") })).rejects.toMatchObject({
        code: "REGISTRY_UNAVAILABLE",
      });
    } finally {
      server.resume();
      await registry.close();
    }
  });
});
