/**
 * A service's MCP endpoint (issue 9), driven by the official clients of both protocol
 * generations against a real service on 127.0.0.1: which endpoints are tools, their schemas and
 * annotations, results and tool errors with our error codes, `mcp: false`, a custom path, the
 * caller token, and the handler context of a call that came over MCP.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { z } from "zod";
import { task } from "../../src/contract/task.js";
import { ForbiddenError } from "../../src/errors.js";
import { Service } from "../../src/service/service.js";
import type { ServiceOptions } from "../../src/service/service.js";
import { isolateEnv } from "../helpers/env.js";
import { serveOn } from "../helpers/fixtures.js";
import type { Running } from "../helpers/fixtures.js";
import { GENERATIONS, connectMcp, toolError, toolNames, toolText } from "../helpers/mcp-clients.js";
import { rawRequest } from "../helpers/raw-http.js";

const tasks = {
  echo: task({
    name: "echo",
    description: "Echoes a message back",
    annotations: { title: "Echo", read_only: true, idempotent: true },
    input: z.object({ message: z.string(), times: z.number().int().optional() }),
    output: z.object({ echoed: z.string() }),
  }),
  square: task({ name: "square", input: z.number(), output: z.number() }),
  refuse: task({
    name: "refuse",
    annotations: { destructive: true, open_world: false },
    input: z.object({ why: z.string() }),
    output: z.object({ done: z.boolean() }),
  }),
  whoami: task({
    name: "whoami",
    output: z.object({ transport: z.string(), header: z.string().nullable() }),
  }),
  purge: task({ name: "purge", output: z.object({ purged: z.boolean() }) }),
};

/** Endpoints of every kind a tool list must sort out. */
class ToolService extends Service {
  static override tasks = tasks;
  constructor(options?: ServiceOptions) {
    super(options);
    this.addEndpoint(tasks.echo, ({ message, times }) => ({
      echoed: message.repeat(times ?? 1),
    }));
    this.addEndpoint(tasks.square, (n) => n * n);
    this.addEndpoint(tasks.refuse, ({ why }) => {
      throw new ForbiddenError(`refused: ${why}`, { data: { why } });
    });
    this.addEndpoint(tasks.whoami, (_input, context) => {
      const header = context.headers["x-portico-test"];
      return {
        transport: context.transport,
        header: typeof header === "string" ? header : null,
      };
    });
    this.addEndpoint(tasks.purge, () => ({ purged: true }), { access: "admin" });
  }
}

interface TreeNode {
  name: string;
  children: TreeNode[];
}
const treeNode: z.ZodType<TreeNode> = z.object({
  name: z.string(),
  get children() {
    return z.array(treeNode);
  },
});
const forestTask = task({ name: "forest", input: z.array(treeNode), output: z.array(treeNode) });

/** A non-object input and output whose JSON Schemas use `$defs` (a recursive type). */
class ForestService extends Service {
  static override tasks = { forest: forestTask };
  constructor() {
    super();
    this.addEndpoint(forestTask, (trees) => trees);
  }
}

const MCP_INIT = {
  jsonrpc: "2.0",
  id: 1,
  method: "initialize",
  params: {
    protocolVersion: "2025-06-18",
    capabilities: {},
    clientInfo: { name: "raw", version: "1" },
  },
};

/** A raw MCP `initialize` POST (what any client sends first). */
function postInitialize(url: string, headers: Record<string, string> = {}) {
  return rawRequest(url, {
    method: "POST",
    headers: {
      "content-type": "application/json",
      accept: "application/json, text/event-stream",
      ...headers,
    },
    body: JSON.stringify(MCP_INIT),
  });
}

isolateEnv();

describe.each(GENERATIONS)("a service's tools, %s client", (generation) => {
  let served: Running<ToolService>;
  beforeAll(async () => {
    served = await serveOn(new ToolService());
  });
  afterAll(async () => {
    await served.close();
  });

  it("negotiates its own protocol generation", async () => {
    await using client = await connectMcp(generation, served.url);
    if (generation === "2026") expect(client.protocolVersion).toBe("2026-07-28");
    else expect(client.protocolVersion).toMatch(/^2025-/);
  });

  it("lists the user endpoints plus status and heartbeat, never admin or other built-ins", async () => {
    await using client = await connectMcp(generation, served.url);
    const names = toolNames(await client.listTools());
    expect([...names].sort()).toEqual([
      "echo",
      "heartbeat",
      "refuse",
      "square",
      "status",
      "whoami",
    ]);
    for (const hidden of ["shutdown", "purge", "detailed_endpoints", "endpoints", "server_id"]) {
      expect(names).not.toContain(hidden);
    }
  });

  it("gives the task's input JSON Schema itself, its output schema and its annotations", async () => {
    await using client = await connectMcp(generation, served.url);
    const tools = new Map((await client.listTools()).map((t) => [t.name, t]));
    const echo = tools.get("echo")!;
    // The fields themselves, no wrapper, in JSON Schema 2020-12 (MCP's dialect) as zod writes it.
    expect(echo.inputSchema).toMatchObject({
      type: "object",
      properties: { message: { type: "string" }, times: { type: "integer" } },
      required: ["message"],
    });
    expect(echo.inputSchema.$schema).toBe("https://json-schema.org/draft/2020-12/schema");
    expect(echo.inputSchema.properties).not.toHaveProperty("input");
    expect(echo.outputSchema).toMatchObject({
      type: "object",
      properties: { echoed: { type: "string" } },
      required: ["echoed"],
    });
    expect(echo.description).toBe("Echoes a message back");
    expect(echo.annotations).toMatchObject({
      title: "Echo",
      readOnlyHint: true,
      idempotentHint: true,
    });
    expect(tools.get("refuse")!.annotations).toEqual({
      destructiveHint: true,
      openWorldHint: false,
    });
    // A number is not an object: wrapped as { input } and { result }.
    const square = tools.get("square")!;
    const dialect = { $schema: "https://json-schema.org/draft/2020-12/schema" };
    expect(square.inputSchema).toEqual({
      ...dialect,
      type: "object",
      properties: { input: { type: "number" } },
      required: ["input"],
    });
    expect(square.outputSchema).toEqual({
      ...dialect,
      type: "object",
      properties: { result: { type: "number" } },
      required: ["result"],
    });
    // No input at all: an empty object.
    expect(tools.get("whoami")!.inputSchema).toEqual({ type: "object", properties: {} });
    expect(tools.get("status")!.annotations).toMatchObject({ readOnlyHint: true });
  });

  it("returns structuredContent and the same value as text", async () => {
    await using client = await connectMcp(generation, served.url);
    const result = await client.callTool("echo", { message: "ab", times: 2 });
    expect(result.structuredContent).toEqual({ echoed: "abab" });
    expect(toolText(result)).toEqual({ echoed: "abab" });
    const squared = await client.callTool("square", { input: 7 });
    expect(squared.structuredContent).toEqual({ result: 49 });
    expect(toolText(squared)).toBe(49);
    const status = await client.callTool("status");
    expect(status.isError ?? false).toBe(false);
    expect(status.structuredContent).toBeDefined();
  });

  it("bad arguments are a tool error with VALIDATION_FAILED and the issues", async () => {
    await using client = await connectMcp(generation, served.url);
    const error = toolError(await client.callTool("echo", { message: 5 }));
    expect(error.code).toBe("VALIDATION_FAILED");
    expect(error.data).toMatchObject({ issues: [{ path: ["message"] }] });
    expect(toolError(await client.callTool("square", { input: "seven" })).code).toBe(
      "VALIDATION_FAILED",
    );
  });

  it("a catalogue error thrown by the handler is a tool error with its code and data", async () => {
    await using client = await connectMcp(generation, served.url);
    const error = toolError(await client.callTool("refuse", { why: "because" }));
    expect(error).toMatchObject({
      code: "FORBIDDEN",
      message: "refused: because",
      data: { why: "because" },
    });
  });

  it("an unknown tool, or a hidden endpoint called by name, is ENDPOINT_NOT_FOUND", async () => {
    await using client = await connectMcp(generation, served.url);
    expect(toolError(await client.callTool("nope")).code).toBe("ENDPOINT_NOT_FOUND");
    expect(toolError(await client.callTool("shutdown")).code).toBe("ENDPOINT_NOT_FOUND");
    expect(toolError(await client.callTool("purge")).code).toBe("ENDPOINT_NOT_FOUND");
    // The service is still up: shutdown was not run.
    expect((await client.callTool("echo", { message: "still here" })).structuredContent).toEqual({
      echoed: "still here",
    });
  });

  it("the handler sees transport 'mcp' and the HTTP request's headers", async () => {
    await using client = await connectMcp(generation, served.url, {
      headers: { "x-portico-test": `from-${generation}` },
    });
    const result = await client.callTool("whoami");
    expect(result.structuredContent).toEqual({ transport: "mcp", header: `from-${generation}` });
  });
});

// Regression: the `{ input }` / `{ result }` wrapper once kept zod's `$defs` under the wrapped
// property while the `$ref`s point at the root. SDK 1.x then lost every tool of the service
// ("can't resolve reference #/$defs/__schema0"); SDK 2.x threw "invalid outputSchema" on calls.
describe.each(GENERATIONS)("a recursive non-object type, %s client", (generation) => {
  it("lists the tool and calls it", async () => {
    await using served = await serveOn(new ForestService());
    await using client = await connectMcp(generation, served.url);
    expect(toolNames(await client.listTools())).toContain("forest");
    const forest = [{ name: "root", children: [{ name: "leaf", children: [] }] }];
    const result = await client.callTool("forest", { input: forest });
    expect(result.structuredContent).toEqual({ result: forest });
  });
});

describe("a service's MCP options", () => {
  it("mcp: false serves no /mcp (404) and the endpoints as before", async () => {
    await using served = await serveOn(new ToolService({ mcp: false }));
    const reply = await postInitialize(`${served.url}/mcp`);
    expect(reply.status).toBe(404);
    const echo = await rawRequest(`${served.url}/echo`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ message: "http" }),
    });
    expect(echo.json()).toEqual({ echoed: "http" });
  });

  it("mcp: { path: '/agents' } serves both generations there and nothing at /mcp", async () => {
    await using served = await serveOn(new ToolService({ mcp: { path: "/agents" } }));
    expect((await postInitialize(`${served.url}/mcp`)).status).toBe(404);
    for (const generation of GENERATIONS) {
      await using client = await connectMcp(generation, served.url, { path: "/agents" });
      expect(toolNames(await client.listTools())).toContain("echo");
      expect((await client.callTool("square", { input: 3 })).structuredContent).toEqual({
        result: 9,
      });
    }
  });

  // Regression: a new session once evicted the oldest one even while its client held its GET
  // stream open, so any caller could end everyone's sessions. Only streamless sessions make room.
  it("over maxSessions a new 2025 session gets 503 while every session has a stream, and the open one keeps working", async () => {
    await using served = await serveOn(new ToolService({ mcp: { maxSessions: 1 } }));
    await using first = await connectMcp("2025", served.url);
    const second = await postInitialize(`${served.url}/mcp`);
    expect(second.status).toBe(503);
    expect(second.headers["retry-after"]).toBeDefined();
    expect(toolNames(await first.listTools())).toContain("echo");
  });

  it("with a caller token, /mcp refuses a request without it (401) and serves one with it", async () => {
    await using served = await serveOn(new ToolService({ callToken: "call-secret" }));
    const anonymous = await postInitialize(`${served.url}/mcp`);
    expect(anonymous.status).toBe(401);
    expect(anonymous.json()).toMatchObject({ error: { code: "UNAUTHORIZED" } });
    const wrong = await postInitialize(`${served.url}/mcp`, { authorization: "Bearer nope" });
    expect(wrong.status).toBe(403);
    for (const generation of GENERATIONS) {
      await expect(connectMcp(generation, served.url)).rejects.toThrow();
      await using client = await connectMcp(generation, served.url, { token: "call-secret" });
      expect(toolNames(await client.listTools())).toContain("echo");
      expect((await client.callTool("echo", { message: "ok" })).structuredContent).toEqual({
        echoed: "ok",
      });
    }
  });
});
