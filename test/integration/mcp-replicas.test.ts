/**
 * Gateway replicas and MCP (issue 9): two gateways on one registry (one SQLite file; one Redis
 * when `redis-server` is installed). A client of each protocol generation connected to replica B
 * is told `notifications/tools/list_changed` when an app registers or unregisters through
 * replica A, and then lists (and calls) the tool through B.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Gateway } from "../../src/gateway/gateway.js";
import { isolateEnv } from "../helpers/env.js";
import { serveOn, startEcho } from "../helpers/fixtures.js";
import { GENERATIONS, connectMcp, toolNames } from "../helpers/mcp-clients.js";
import { redisForTests, startRedisServer } from "../helpers/redis-server.js";
import type { RedisServer } from "../helpers/redis-server.js";

isolateEnv();

function sharedTools(registry: () => string): void {
  it.each(GENERATIONS)(
    "a %s client of replica B hears of apps registered through replica A",
    async (generation) => {
      await using echo = await startEcho();
      await using a = await serveOn(new Gateway({ registry: registry(), health: false }));
      await using b = await serveOn(new Gateway({ registry: registry(), health: false }));
      await using client = await connectMcp(generation, b.url);
      // Each test its own app name: the tests of one file share the store.
      const app = `echo${generation}`;
      const tool = `${app}__echo`;
      expect(toolNames(await client.listTools())).not.toContain(tool);

      let seen = client.changes;
      await a.service.registerApp(app, echo.url);
      await client.listChanged(seen);
      expect(toolNames(await client.listTools())).toContain(tool);
      expect((await client.callTool(tool, { message: "across" })).structuredContent).toEqual({
        echoed: "across",
      });

      seen = client.changes;
      await a.service.unregisterApp(app);
      await client.listChanged(seen);
      expect(toolNames(await client.listTools())).not.toContain(tool);
    },
  );
}

describe("MCP tools of replicas on one SQLite file", () => {
  const dir = mkdtempSync(join(tmpdir(), "portico-mcp-replicas-"));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  sharedTools(() => `sqlite://${join(dir, "registry.db")}`);
});

const installed = redisForTests("the Redis MCP replica tests");

describe.skipIf(!installed)("MCP tools of replicas on one Redis", () => {
  let server: RedisServer;
  beforeAll(async () => {
    server = await startRedisServer();
  });
  afterAll(async () => {
    await server?.[Symbol.asyncDispose]();
  });
  sharedTools(() => server.url);
});
