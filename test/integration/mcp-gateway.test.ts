/**
 * The gateway as one MCP server (issue 9), driven by the official clients of both protocol
 * generations against a real gateway and real apps on 127.0.0.1: the tools of every registered
 * app as `<app>__<endpoint>` in one deterministic order, calls and tool errors through the
 * gateway, `notifications/tools/list_changed` on every change of the tool set (and none for an
 * instance added), pages and cursors, 2025 sessions, and an OpenAPI app's operations as tools.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { z } from "zod";
import { McpError } from "@modelcontextprotocol/sdk/types.js";
import { task } from "../../src/contract/task.js";
import { Gateway } from "../../src/gateway/gateway.js";
import { Service } from "../../src/service/service.js";
import { isolateEnv } from "../helpers/env.js";
import { serveOn, startEcho, waitFor } from "../helpers/fixtures.js";
import type { Running } from "../helpers/fixtures.js";
import {
  GENERATIONS,
  connect2025,
  connect2026,
  connectMcp,
  mcpUrl,
  toolError,
  toolNames,
  toolsWhen,
} from "../helpers/mcp-clients.js";
import { rawRequest } from "../helpers/raw-http.js";
import { sendJson, startPlainApp } from "../helpers/plain-app.js";
import { startOpenApiApp } from "../fixtures/openapi-app.js";
import type { EchoService } from "../../src/samples/echo-service.js";

const pairTasks = {
  zulu: task({ name: "zulu", output: z.object({ last: z.boolean() }) }),
  alpha: task({
    name: "alpha",
    input: z.object({ n: z.number() }),
    output: z.object({ doubled: z.number() }),
  }),
  wipe: task({ name: "wipe", output: z.object({ wiped: z.boolean() }) }),
};

/**
 * Endpoints added out of order (tools come sorted within an app too), and an admin endpoint of
 * its own, guarded by its own admin token.
 */
class PairService extends Service {
  static override tasks = pairTasks;
  constructor() {
    super({ adminToken: "pair-admin" });
    this.addEndpoint(pairTasks.zulu, () => ({ last: true }));
    this.addEndpoint(pairTasks.alpha, ({ n }) => ({ doubled: n * 2 }));
    this.addEndpoint(pairTasks.wipe, () => ({ wiped: true }), { access: "admin" });
  }
}

/** A served gateway without active health checks (tests that need them say so). */
function startGateway(options: ConstructorParameters<typeof Gateway>[0] = {}) {
  return serveOn(new Gateway({ health: false, ...options }));
}

/** A JSON-RPC request of a 2025 session, sent raw. */
function postInSession(url: URL, sessionId: string) {
  return rawRequest(url.href, {
    method: "POST",
    headers: {
      "content-type": "application/json",
      accept: "application/json, text/event-stream",
      "mcp-session-id": sessionId,
      "mcp-protocol-version": "2025-06-18",
    },
    body: JSON.stringify({ jsonrpc: "2.0", id: 7, method: "tools/list", params: {} }),
  });
}

isolateEnv();

describe.each(GENERATIONS)("the gateway's tools, %s client", (generation) => {
  let gateway: Running<Gateway>;
  const apps: Running<Service>[] = [];
  beforeAll(async () => {
    gateway = await startGateway();
    const zeta = await startEcho();
    const mid = await serveOn(new PairService());
    const alpha = await startEcho();
    apps.push(zeta, mid, alpha);
    // Registered in reverse alphabetical order: the list is sorted all the same.
    await gateway.service.registerApp("zeta", zeta.url);
    await gateway.service.registerApp("mid", mid.url);
    await gateway.service.registerApp("alpha", alpha.url);
  });
  afterAll(async () => {
    await gateway.close();
    await Promise.all(apps.map((app) => app.close()));
  });

  it("lists <app>__<endpoint> sorted by app then endpoint, without built-ins", async () => {
    await using client = await connectMcp(generation, gateway.url);
    const tools = await client.listTools();
    expect(toolNames(tools)).toEqual(["alpha__echo", "mid__alpha", "mid__zulu", "zeta__echo"]);
    const doubled = tools.find((t) => t.name === "mid__alpha")!;
    expect(doubled.inputSchema).toMatchObject({
      type: "object",
      properties: { n: { type: "number" } },
      required: ["n"],
    });
    expect(doubled.outputSchema).toMatchObject({ properties: { doubled: { type: "number" } } });
    // A second client, or a second list, gets the very same list.
    expect(await client.listTools({ fresh: true })).toEqual(tools);
  });

  it("calls a tool through the gateway: structuredContent and text", async () => {
    await using client = await connectMcp(generation, gateway.url);
    const result = await client.callTool("alpha__echo", { message: "via gateway" });
    expect(result.isError ?? false).toBe(false);
    expect(result.structuredContent).toEqual({ echoed: "via gateway" });
    expect(JSON.parse(result.content[0]!.text!)).toEqual({ echoed: "via gateway" });
    expect((await client.callTool("mid__alpha", { n: 21 })).structuredContent).toEqual({
      doubled: 42,
    });
    expect((await client.callTool("mid__zulu")).structuredContent).toEqual({ last: true });
  });

  it("bad arguments through the gateway are a VALIDATION_FAILED tool error", async () => {
    await using client = await connectMcp(generation, gateway.url);
    const error = toolError(await client.callTool("zeta__echo", { message: 12 }));
    expect(error.code).toBe("VALIDATION_FAILED");
    expect(error.data).toMatchObject({ issues: [{ path: ["message"] }] });
  });

  it("an unknown tool, a built-in or a Portico admin endpoint is ENDPOINT_NOT_FOUND", async () => {
    await using client = await connectMcp(generation, gateway.url);
    for (const name of [
      "nope",
      "alpha__status",
      "alpha__shutdown",
      "mid__shutdown",
      "register_app",
    ]) {
      expect(toolError(await client.callTool(name)).code, name).toBe("ENDPOINT_NOT_FOUND");
    }
  });

  it("an app's own admin endpoint is no tool, and forwarded HTTP keeps it to the gateway's admin", async () => {
    // Its descriptor says `access: "admin"`: never a tool; a forwarded call needs the gateway's
    // admin token, and this gateway has none, so it is refused before reaching the app.
    await using client = await connectMcp(generation, gateway.url);
    expect(toolError(await client.callTool("mid__wipe")).code).toBe("ENDPOINT_NOT_FOUND");
    const forwarded = await fetch(`${gateway.url}/mid/wipe`, { method: "POST" });
    expect(forwarded.status).toBe(403);
    expect(((await forwarded.json()) as { error: { code: string } }).error.code).toBe("FORBIDDEN");
  });
});

describe.each(GENERATIONS)("list_changed from the gateway, %s client", (generation) => {
  it("a registration while connected: the notification, then the new tool; same for unregister", async () => {
    await using gateway = await startGateway();
    await using echo = await startEcho();
    await using client = await connectMcp(generation, gateway.url);
    expect(await client.listTools()).toEqual([]);

    let seen = client.changes;
    await gateway.service.registerApp("echoer", echo.url);
    await client.listChanged(seen);
    expect(toolNames(await client.listTools())).toEqual(["echoer__echo"]);
    expect((await client.callTool("echoer__echo", { message: "new" })).structuredContent).toEqual({
      echoed: "new",
    });

    seen = client.changes;
    await gateway.service.unregisterApp("echoer");
    await client.listChanged(seen);
    expect(await client.listTools()).toEqual([]);
    // The app is gone: its tool is no more.
    expect(toolError(await client.callTool("echoer__echo", { message: "x" })).code).toBe(
      "ENDPOINT_NOT_FOUND",
    );
  });

  it("a burst of five registrations: at least one notification, then all five tools", async () => {
    await using gateway = await startGateway();
    await using echo = await startEcho();
    await using client = await connectMcp(generation, gateway.url);
    const seen = client.changes;
    const names = ["e1", "e2", "e3", "e4", "e5"];
    await Promise.all(names.map((name) => gateway.service.registerApp(name, echo.url)));
    await client.listChanged(seen);
    const tools = await toolsWhen(client, (list) => list.length === 5);
    expect(toolNames(tools)).toEqual(names.map((name) => `${name}__echo`));
    expect(client.changes).toBeGreaterThan(seen);
  });

  it("an instance added to an app changes no tool and sends no notification", async () => {
    // No debounce: every change of the tool set is its own notification, so counts are exact.
    await using gateway = await startGateway({ mcp: { debounceMs: 0 } });
    await using first = await startEcho();
    await using second = await startEcho();
    await using other = await startEcho();
    await using client = await connectMcp(generation, gateway.url);
    let seen = client.changes;
    await gateway.service.registerApp("echoer", first.url);
    await client.listChanged(seen);
    const before = await client.listTools();

    seen = client.changes;
    await gateway.service.registerApp("echoer", second.url, { mode: "add" });
    // Applied on this replica (the catalogue saw the change in the same step).
    expect(await waitFor(() => gateway.service.instancesOf("echoer").length === 2)).toBe(true);
    expect(await client.listTools({ fresh: true })).toEqual(before);
    // A real change afterwards: one notification, for it alone.
    await gateway.service.registerApp("marker", other.url);
    await client.listChanged(seen);
    expect(toolNames(await client.listTools())).toEqual(["echoer__echo", "marker__echo"]);
    expect(client.changes - seen).toBe(1);
  });
});

/** A service with one endpoint of the given name, answering which one it is. */
function oneEndpoint(name: string): Service {
  const t = task({ name, output: z.object({ which: z.string() }) });
  return new (class extends Service {
    constructor() {
      super();
      this.addEndpoint(t, () => ({ which: name }));
    }
  })();
}

describe("tool names at the gateway", () => {
  it("a + b__c and a__b + c both get a tool, and long names are cut to 128 with a hash", async () => {
    await using gateway = await startGateway();
    await using first = await serveOn(oneEndpoint("b__c"));
    await using second = await serveOn(oneEndpoint("c"));
    const longName = `fetch_${"everything_".repeat(12)}now`;
    await using long = await serveOn(oneEndpoint(longName));
    // Registered in the order that would give the later app the plain name if order did not count.
    await gateway.service.registerApp("long", long.url);
    await gateway.service.registerApp("a__b", second.url);
    await gateway.service.registerApp("a", first.url);
    for (const generation of GENERATIONS) {
      await using client = await connectMcp(generation, gateway.url);
      const names = toolNames(await client.listTools());
      expect(names).toHaveLength(3);
      expect(new Set(names).size).toBe(3);
      expect(names[0]).toBe("a__b__c");
      expect(names[1]).toMatch(/^a__b__c_[0-9a-f]{8}$/);
      expect(names[2]).toMatch(/^long__fetch_everything_.*_[0-9a-f]{8}$/);
      for (const name of names) {
        expect(name.length).toBeLessThanOrEqual(128);
        expect(name).toMatch(/^[A-Za-z0-9_.-]+$/);
      }
      expect((await client.callTool(names[0]!)).structuredContent).toEqual({ which: "b__c" });
      expect((await client.callTool(names[1]!)).structuredContent).toEqual({ which: "c" });
      expect((await client.callTool(names[2]!)).structuredContent).toEqual({ which: longName });
    }
  });

  it("the name mcp is reserved for apps", async () => {
    await using gateway = await startGateway();
    await using echo = await startEcho();
    await expect(gateway.service.registerApp("mcp", echo.url)).rejects.toMatchObject({
      code: "INVALID_APP_NAME",
    });
  });
});

describe("the access policy at the gateway's tools", () => {
  it("each tool call is authorized as a call of its app: a refused app is a FORBIDDEN tool error", async () => {
    await using gateway = await startGateway({
      authorize: (request) => request.app !== "secret",
    });
    await using echo = await startEcho();
    await gateway.service.registerApp("open", echo.url);
    await gateway.service.registerApp("secret", echo.url);
    for (const generation of GENERATIONS) {
      await using client = await connectMcp(generation, gateway.url);
      expect(toolNames(await client.listTools())).toEqual(["open__echo", "secret__echo"]);
      expect((await client.callTool("open__echo", { message: "ok" })).structuredContent).toEqual({
        echoed: "ok",
      });
      expect(toolError(await client.callTool("secret__echo", { message: "no" })).code).toBe(
        "FORBIDDEN",
      );
    }
  });

  it("with a caller token, the gateway's /mcp needs it", async () => {
    await using gateway = await startGateway({ callToken: "gw-secret" });
    await using echo = await startEcho();
    await gateway.service.registerApp("echoer", echo.url);
    for (const generation of GENERATIONS) {
      await expect(connectMcp(generation, gateway.url)).rejects.toThrow();
      await using client = await connectMcp(generation, gateway.url, { token: "gw-secret" });
      expect((await client.callTool("echoer__echo", { message: "t" })).structuredContent).toEqual({
        echoed: "t",
      });
    }
  });
});

describe("tool errors of apps that cannot answer", () => {
  it("NO_HEALTHY_INSTANCE when the app's only instance is down", async () => {
    await using gateway = await startGateway({
      health: { intervalMs: 50, timeoutMs: 500, unhealthyAfter: 1, healthyAfter: 1 },
    });
    const echo = await startEcho();
    await gateway.service.registerApp("echoer", echo.url);
    await echo.close();
    expect(
      await waitFor(() => gateway.service.instancesOf("echoer")[0]?.health === "unhealthy"),
    ).toBe(true);
    for (const generation of GENERATIONS) {
      await using client = await connectMcp(generation, gateway.url);
      expect(toolNames(await client.listTools())).toEqual(["echoer__echo"]);
      const error = toolError(await client.callTool("echoer__echo", { message: "anyone?" }));
      expect(error.code, generation).toBe("NO_HEALTHY_INSTANCE");
    }
  });

  it("a tool call that finds one instance down is made on another (no health checks)", async () => {
    await using gateway = await startGateway({ passiveHealth: false });
    const down = await startEcho();
    await using up = await startEcho();
    await gateway.service.registerApp("echoer", down.url);
    await gateway.service.registerApp("echoer", up.url, { mode: "add" });
    await down.close();
    for (const generation of GENERATIONS) {
      await using client = await connectMcp(generation, gateway.url);
      // Balanced over both: half of the calls pick the dead one first.
      for (let i = 0; i < 4; i++) {
        const result = await client.callTool("echoer__echo", { message: `try ${i}` });
        expect(result.isError ?? false, generation).toBe(false);
        expect(result.structuredContent).toEqual({ echoed: `try ${i}` });
      }
    }
  });

  it("a call whose connection breaks is made again elsewhere only when its endpoint says it is idempotent", async () => {
    // Two instances of one described app; the bad one closes the connection of every call.
    const endpoint = (name: string, annotations?: object) => ({
      name,
      path: `/${name}`,
      methods: ["POST"],
      description: name,
      input_schema: { type: "object" },
      output_schema: null,
      ...(annotations ? { annotations } : {}),
    });
    const endpoints = {
      lookup: endpoint("lookup", { idempotent: true }),
      store: endpoint("store"),
    };
    const instance = (breaks: boolean) =>
      startPlainApp((req, res) => {
        if (req.url === "/detailed_endpoints") return sendJson(res, 200, { endpoints });
        if (breaks) return void res.socket?.destroy();
        sendJson(res, 200, { at: req.url });
      });
    await using bad = await instance(true);
    await using good = await instance(false);
    await using gateway = await startGateway({ passiveHealth: false, balance: "round-robin" });
    await gateway.service.registerApp("kv", bad.url);
    await gateway.service.registerApp("kv", good.url, { mode: "add" });
    await using client = await connectMcp("2026", gateway.url);
    for (let i = 0; i < 4; i++) {
      const result = await client.callTool("kv__lookup", {});
      expect(result.isError ?? false).toBe(false);
    }
    const codes: string[] = [];
    for (let i = 0; i < 6; i++) {
      const result = await client.callTool("kv__store", {});
      if (result.isError) codes.push(toolError(result).code);
    }
    // Round robin: three of six reach the bad instance first, and are not repeated.
    expect(codes).toEqual(["UPSTREAM_UNREACHABLE", "UPSTREAM_UNREACHABLE", "UPSTREAM_UNREACHABLE"]);
    expect(bad.received.filter((r) => r.url === "/store")).toHaveLength(3);
  });

  it("an app whose process is gone (no health checks) is an UPSTREAM_UNREACHABLE tool error", async () => {
    await using gateway = await startGateway();
    const echo = await startEcho();
    await gateway.service.registerApp("echoer", echo.url);
    await echo.close();
    for (const generation of GENERATIONS) {
      await using client = await connectMcp(generation, gateway.url);
      const error = toolError(await client.callTool("echoer__echo", { message: "anyone?" }));
      expect(error.code, generation).toBe("UPSTREAM_UNREACHABLE");
    }
  });
});

describe("pages of tools (mcp.pageSize 2)", () => {
  let gateway: Running<Gateway>;
  let echo: Running<EchoService>;
  const names = ["p1", "p2", "p3", "p4", "p5"];
  beforeAll(async () => {
    gateway = await startGateway({ mcp: { pageSize: 2 } });
    echo = await startEcho();
    for (const name of names) await gateway.service.registerApp(name, echo.url);
  });
  afterAll(async () => {
    await gateway.close();
    await echo.close();
  });

  it("the 2025 client walks the pages with the cursors", async () => {
    await using client = await connect2025(gateway.url);
    const pages: string[][] = [];
    let cursor: string | undefined;
    do {
      const page = await client.client.listTools(cursor === undefined ? {} : { cursor });
      pages.push(page.tools.map((t) => t.name));
      cursor = page.nextCursor;
    } while (cursor !== undefined && pages.length < 10);
    expect(pages).toEqual([["p1__echo", "p2__echo"], ["p3__echo", "p4__echo"], ["p5__echo"]]);
  });

  it("the 2026 client gets every page in one listTools", async () => {
    await using client = await connect2026(gateway.url);
    expect(toolNames(await client.listTools())).toEqual(names.map((name) => `${name}__echo`));
  });

  it("a bogus cursor is a JSON-RPC invalid params error (-32602)", async () => {
    await using client = await connect2025(gateway.url);
    for (const cursor of ["bogus", Buffer.from("gateway-0:99").toString("base64url")]) {
      const error = await client.client.listTools({ cursor }).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(error).toBeInstanceOf(McpError);
      expect((error as McpError).code).toBe(-32602);
    }
  });

  it("a cursor of a list that changed since is refused (-32602): list again from the start", async () => {
    await using client = await connect2025(gateway.url);
    const first = await client.client.listTools({});
    expect(first.nextCursor).toBeDefined();
    const seen = client.changes;
    await gateway.service.registerApp("p6", echo.url);
    await client.listChanged(seen);
    const error = await client.client.listTools({ cursor: first.nextCursor! }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect((error as McpError).code).toBe(-32602);
    expect(toolNames(await client.listTools())).toContain("p6__echo");
  });
});

describe("2025 sessions", () => {
  it("DELETE ends a session: a later request with its id gets 404", async () => {
    await using gateway = await startGateway();
    await using client = await connect2025(gateway.url);
    const sessionId = client.transport.sessionId!;
    expect(sessionId).toEqual(expect.any(String));
    // The session works before.
    const alive = await postInSession(mcpUrl(gateway.url), sessionId);
    expect(alive.status).toBe(200);
    await client.transport.terminateSession();
    const after = await postInSession(mcpUrl(gateway.url), sessionId);
    expect(after.status).toBe(404);
    expect(after.json()).toMatchObject({ jsonrpc: "2.0", error: { code: -32000 } });
  });

  it("an unknown session id gets 404", async () => {
    await using gateway = await startGateway();
    const reply = await postInSession(mcpUrl(gateway.url), "00000000-0000-0000-0000-000000000000");
    expect(reply.status).toBe(404);
    expect(reply.json()).toMatchObject({ jsonrpc: "2.0", error: { code: -32000 } });
  });
});

describe("an OpenAPI app's operations as tools", () => {
  it("lists its operations and calls one, for both generations", async () => {
    await using gateway = await startGateway();
    await using api = await startOpenApiApp();
    await gateway.service.registerApp("items", api.url);
    for (const generation of GENERATIONS) {
      await using client = await connectMcp(generation, gateway.url);
      const tools = await client.listTools();
      expect(toolNames(tools)).toEqual([
        "items__create_item",
        "items__delete_items_id",
        "items__getItem",
        "items__setTags",
      ]);
      const getItem = tools.find((t) => t.name === "items__getItem")!;
      expect(getItem.inputSchema).toMatchObject({
        type: "object",
        properties: { id: { type: "integer" } },
        required: ["id"],
      });
      const result = await client.callTool("items__getItem", { id: 1 });
      expect(result.structuredContent).toEqual({ id: 1, name: "kettle", price: 20, note: null });
      const tagged = await client.callTool("items__setTags", { id: "7", body: ["a", "b"] });
      expect(tagged.structuredContent).toEqual({ id: "7", tags: ["a", "b"] });
      // Checked at the gateway against the derived schema, before the app sees anything.
      const seen = api.seen.length;
      expect(toolError(await client.callTool("items__create_item", { name: "" })).code).toBe(
        "VALIDATION_FAILED",
      );
      expect(api.seen.length).toBe(seen);
      // A non-Portico error reply: REMOTE_ERROR with the app's body.
      const missing = toolError(await client.callTool("items__getItem", { id: 99 }));
      expect(missing).toMatchObject({
        code: "REMOTE_ERROR",
        data: { body: { message: "no item 99" } },
      });
    }
    expect(api.seen.filter((r) => r.url === "/items/1")).toHaveLength(2);
  });
});
