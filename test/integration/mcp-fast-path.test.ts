/**
 * The MCP fast paths (issue 9, performance changes): POSTs to `/mcp` served before fastify
 * routing (`rawMcpPost` in src/service/http-app.ts: access policy, 415, 413, -32700), and plain
 * `tools/call` requests answered without the SDK (`plainToolCall` + `callFast` in
 * src/mcp/mcp-endpoint.ts). Every request here goes over a real socket, so it takes the raw path,
 * never `inject()`.
 *
 * The fast path must answer exactly as the SDK would: its replies are compared byte for byte with
 * the SDK's, either from a reference `createMcpHandler` server or from our own endpoint with the
 * request steered onto the SDK path (an `Mcp-Name` header in the SDK's Base64 sentinel form, which
 * the SDK decodes and the fast path does not take; a one-element batch for 2025 sessions), and what
 * the SDK refuses must not be served by it (the refusal tests are regressions of a review).
 */
import { createServer, request } from "node:http";
import type { ClientRequest, OutgoingHttpHeaders, Server as HttpServer } from "node:http";
import type { AddressInfo } from "node:net";
import { describe, expect, it } from "vitest";
import { z } from "zod";
import { Server as SdkServer, createMcpHandler } from "@modelcontextprotocol/server";
import { toNodeHandler } from "@modelcontextprotocol/node";
import { task } from "../../src/contract/task.js";
import { Gateway } from "../../src/gateway/gateway.js";
import { Service } from "../../src/service/service.js";
import type { ServiceOptions } from "../../src/service/service.js";
import { packageVersion } from "../../src/version.js";
import { isolateEnv } from "../helpers/env.js";
import { serveOn } from "../helpers/fixtures.js";
import { rawRequest } from "../helpers/raw-http.js";
import type { RawReply } from "../helpers/raw-http.js";

const tasks = {
  greet: task({
    name: "greet",
    input: z.object({ name: z.string() }),
    output: z.object({ greeting: z.string() }),
  }),
  hold: task({
    name: "hold",
    input: z.object({ tag: z.string() }),
    output: z.object({ released: z.boolean() }),
  }),
};

/** A promise with its resolver. */
class Deferred {
  resolve!: () => void;
  readonly promise = new Promise<void>((resolve) => (this.resolve = resolve));
}

/** One `hold` call: it started, its signal aborted, or the test released it. */
interface Hold {
  started: Deferred;
  aborted: Deferred;
  release: Deferred;
}

/**
 * `greet` records who it greeted (to show a tool did not run); `hold` waits until its signal
 * aborts (the caller left) or the test releases it.
 */
class FastService extends Service {
  static override tasks = tasks;
  readonly greeted: string[] = [];
  private readonly holds = new Map<string, Hold>();

  constructor(options?: ServiceOptions) {
    super(options);
    this.addEndpoint(tasks.greet, ({ name }) => {
      this.greeted.push(name);
      return { greeting: `hello ${name}` };
    });
    this.addEndpoint(tasks.hold, async ({ tag }, context) => {
      const hold = this.hold(tag);
      const signal = context.signal;
      hold.started.resolve();
      const aborted = new Promise<"aborted">((resolve) => {
        if (signal.aborted) resolve("aborted");
        else signal.addEventListener("abort", () => resolve("aborted"), { once: true });
      });
      const outcome = await Promise.race([aborted, hold.release.promise.then(() => "released")]);
      if (outcome === "aborted") hold.aborted.resolve();
      return { released: outcome === "released" };
    });
  }

  /** The `hold` call tagged `tag` (made on first mention, by the test or the call). */
  hold(tag: string): Hold {
    let hold = this.holds.get(tag);
    if (!hold) {
      hold = { started: new Deferred(), aborted: new Deferred(), release: new Deferred() };
      this.holds.set(tag, hold);
    }
    return hold;
  }

  releaseAll(): void {
    for (const hold of this.holds.values()) hold.release.resolve();
  }
}

const MODERN = "2026-07-28";
const ENVELOPE = {
  "io.modelcontextprotocol/protocolVersion": MODERN,
  "io.modelcontextprotocol/clientInfo": { name: "fast-path-test", version: "1.0.0" },
  "io.modelcontextprotocol/clientCapabilities": {},
};
const SERVER_INFO = "io.modelcontextprotocol/serverInfo";

/** A 2026-07-28 `tools/call` body. */
function modernCall(
  name: string,
  args: Record<string, unknown>,
  options: { id?: unknown; meta?: Record<string, unknown> } = {},
): Record<string, unknown> {
  const { id = 1, meta = ENVELOPE } = options;
  return {
    jsonrpc: "2.0",
    id,
    method: "tools/call",
    params: { name, arguments: args, _meta: meta },
  };
}

/** The headers of a 2026-07-28 `tools/call` of `name`, as the SDK 2.x client sends them. */
function modernHeaders(name: string, extra: OutgoingHttpHeaders = {}): OutgoingHttpHeaders {
  return {
    "content-type": "application/json",
    accept: "application/json, text/event-stream",
    "mcp-protocol-version": MODERN,
    "mcp-method": "tools/call",
    "mcp-name": name,
    ...extra,
  };
}

/**
 * `name` in the SDK's Base64 sentinel form: the SDK decodes it and serves the call, the fast path
 * compares the raw header and leaves it to the SDK. The same request, on the SDK path.
 */
function sdkPathName(name: string): string {
  return `=?base64?${Buffer.from(name).toString("base64")}?=`;
}

/** POSTs `body` (a string is sent verbatim) to the MCP endpoint of `baseUrl`. */
function postMcp(baseUrl: string, body: unknown, headers: OutgoingHttpHeaders): Promise<RawReply> {
  return rawRequest(`${baseUrl}/mcp`, {
    method: "POST",
    headers,
    body: typeof body === "string" ? body : JSON.stringify(body),
  });
}

/** Starts a POST whose reply the test does not wait for (it destroys the request instead). */
function startPost(url: string, headers: OutgoingHttpHeaders, body: unknown): ClientRequest {
  const text = JSON.stringify(body);
  const req = request(url, {
    method: "POST",
    agent: false,
    headers: { ...headers, "content-length": Buffer.byteLength(text) },
  });
  req.on("error", () => undefined); // destroyed on purpose
  req.on("response", (res) => res.resume());
  req.end(text);
  return req;
}

/** Turns a missing event into a clear failure instead of the test's own timeout. */
async function within<T>(promise: Promise<T>, what: string, ms = 5_000): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} (not within ${ms} ms)`)), ms);
  });
  try {
    return await Promise.race([promise, deadline]);
  } finally {
    clearTimeout(timer);
  }
}

const SESSION_HEADERS = {
  "content-type": "application/json",
  accept: "application/json, text/event-stream",
};

/** Opens a 2025 session with a raw `initialize` + `notifications/initialized`; its id. */
async function openSession(baseUrl: string): Promise<string> {
  const init = await postMcp(
    baseUrl,
    {
      jsonrpc: "2.0",
      id: 0,
      method: "initialize",
      params: {
        protocolVersion: "2025-06-18",
        capabilities: {},
        clientInfo: { name: "fast-path-test", version: "1.0.0" },
      },
    },
    SESSION_HEADERS,
  );
  expect(init.status).toBe(200);
  const id = init.headers["mcp-session-id"];
  expect(typeof id).toBe("string");
  const initialized = await postMcp(
    baseUrl,
    { jsonrpc: "2.0", method: "notifications/initialized" },
    sessionHeaders(id as string),
  );
  expect(initialized.status).toBe(202);
  return id as string;
}

function sessionHeaders(sessionId: string, extra: OutgoingHttpHeaders = {}): OutgoingHttpHeaders {
  return {
    ...SESSION_HEADERS,
    "mcp-session-id": sessionId,
    "mcp-protocol-version": "2025-06-18",
    ...extra,
  };
}

/** A 2025 `tools/call` body (no envelope). */
function legacyCall(name: string, args: Record<string, unknown>, id: number): object {
  return { jsonrpc: "2.0", id, method: "tools/call", params: { name, arguments: args } };
}

/** The JSON-RPC messages of an SSE reply body, as the texts of their `data:` lines. */
function sseMessages(body: string): string[] {
  return body
    .split("\n")
    .filter((line) => line.startsWith("data: ") && line.length > 6)
    .map((line) => line.slice(6));
}

/**
 * A reference 2026-07-28 server built straight on the SDK (as /work/proto does): same name and
 * version as FastService, and a `tools/call` handler that returns what our catalogue returns for
 * `greet`, so any difference in the reply comes from the serving, not the tool.
 */
async function startReference(): Promise<{ url: string; close(): Promise<void> }> {
  const handler = createMcpHandler(
    () => {
      const server = new SdkServer(
        { name: "FastService", version: packageVersion() },
        { capabilities: { tools: { listChanged: false } } },
      );
      server.setRequestHandler("tools/list", () => ({ tools: [] }));
      server.setRequestHandler("tools/call", (req) => {
        const args = req.params.arguments as { name: string };
        const output = { greeting: `hello ${args.name}` };
        return {
          content: [{ type: "text", text: JSON.stringify(output) }],
          structuredContent: output,
        };
      });
      return server;
    },
    { legacy: "reject" },
  );
  const node = toNodeHandler(handler);
  const http: HttpServer = createServer((req, res) => void node(req, res));
  await new Promise<void>((resolve) => http.listen(0, "127.0.0.1", resolve));
  const { port } = http.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close: async () => {
      http.closeAllConnections();
      await new Promise((resolve) => http.close(resolve));
      await handler.close();
    },
  };
}

isolateEnv();

describe("MCP POSTs served before routing", () => {
  it("refuses a call without the call token (401) or with a wrong one (403), serves the right one", async () => {
    await using served = await serveOn(new FastService({ callToken: "call-secret" }));
    const body = modernCall("greet", { name: "token" });
    const none = await postMcp(served.url, body, modernHeaders("greet"));
    expect(none.status).toBe(401);
    expect(none.json().error.code).toBe("UNAUTHORIZED");
    expect(none.headers["www-authenticate"]).toMatch(/^Bearer/);
    const wrong = await postMcp(
      served.url,
      body,
      modernHeaders("greet", { authorization: "Bearer not-it" }),
    );
    expect(wrong.status).toBe(403);
    expect(wrong.json().error.code).toBe("FORBIDDEN");
    expect(served.service.greeted).toEqual([]);
    const right = await postMcp(
      served.url,
      body,
      modernHeaders("greet", { authorization: "Bearer call-secret" }),
    );
    expect(right.status).toBe(200);
    expect(right.json().result.structuredContent).toEqual({ greeting: "hello token" });
    expect(served.service.greeted).toEqual(["token"]);
  });

  it("rate-limits MCP POSTs like any call: 429 RATE_LIMITED with retry-after", async () => {
    await using served = await serveOn(
      new FastService({ rateLimit: { max: 3, windowMs: 60_000 } }),
    );
    const replies: RawReply[] = [];
    for (let i = 0; i < 5; i++) {
      replies.push(
        await postMcp(served.url, modernCall("greet", { name: `n${i}` }), modernHeaders("greet")),
      );
    }
    const limited = replies.filter((reply) => reply.status === 429);
    expect(replies[0]!.status).toBe(200);
    expect(limited.length).toBeGreaterThan(0);
    for (const reply of limited) {
      expect(reply.json().error.code).toBe("RATE_LIMITED");
      expect(Number(reply.headers["retry-after"])).toBeGreaterThan(0);
    }
    // A refused call runs no tool.
    expect(served.service.greeted.length).toBe(replies.length - limited.length);
  });

  it("refuses a body that is not application/json with 415, before any tool runs", async () => {
    await using served = await serveOn(new FastService());
    const reply = await postMcp(
      served.url,
      modernCall("greet", { name: "plain" }),
      modernHeaders("greet", { "content-type": "text/plain" }),
    );
    expect(reply.status).toBe(415);
    expect(reply.json().error.code).toBe("UNSUPPORTED_MEDIA_TYPE");
    expect(served.service.greeted).toEqual([]);
  });

  it("refuses a body over bodyLimit with 413, whether declared or sent chunked", async () => {
    await using served = await serveOn(new FastService({ bodyLimit: 1024 }));
    const big = modernCall("greet", { name: "x".repeat(4096) });
    const declared = await postMcp(served.url, big, modernHeaders("greet"));
    expect(declared.status).toBe(413);
    expect(declared.json().error.code).toBe("PAYLOAD_TOO_LARGE");
    const chunked = await postMcp(
      served.url,
      big,
      modernHeaders("greet", { "transfer-encoding": "chunked" }),
    );
    expect(chunked.status).toBe(413);
    expect(chunked.json().error.code).toBe("PAYLOAD_TOO_LARGE");
    expect(served.service.greeted).toEqual([]);
    // Under the limit, the same service serves the call.
    const small = await postMcp(
      served.url,
      modernCall("greet", { name: "s" }),
      modernHeaders("greet"),
    );
    expect(small.status).toBe(200);
  });

  it("answers a body that is not JSON with JSON-RPC's parse error (-32700)", async () => {
    await using served = await serveOn(new FastService());
    const reply = await postMcp(served.url, '{"jsonrpc":"2.0","id":1,', modernHeaders("greet"));
    expect(reply.status).toBe(400);
    expect(reply.json()).toMatchObject({ jsonrpc: "2.0", error: { code: -32700 }, id: null });
  });
});

describe("the fast path's replies (2026-07-28)", () => {
  it("answers a tools/call byte for byte as the SDK does: resultType and serverInfo in _meta", async () => {
    await using served = await serveOn(new FastService());
    const reference = await startReference();
    try {
      const body = modernCall("greet", { name: "bytes" }, { id: "call-7" });
      const fast = await postMcp(served.url, body, modernHeaders("greet"));
      const sdk = await postMcp(reference.url, body, modernHeaders("greet"));
      const ours = await postMcp(served.url, body, modernHeaders(sdkPathName("greet")));
      expect(fast.status).toBe(200);
      expect(sdk.status).toBe(200);
      expect(fast.headers["content-type"]).toMatch(/^application\/json/);
      expect(fast.body.toString()).toBe(sdk.body.toString());
      expect(fast.body.toString()).toBe(ours.body.toString());

      const reply = fast.json();
      expect(Object.keys(reply).sort()).toEqual(["id", "jsonrpc", "result"]);
      expect(reply).toMatchObject({ jsonrpc: "2.0", id: "call-7" });
      expect(Object.keys(reply.result).sort()).toEqual(
        ["_meta", "content", "resultType", "structuredContent"].sort(),
      );
      expect(reply.result.resultType).toBe("complete");
      expect(reply.result._meta).toEqual({
        [SERVER_INFO]: { name: "FastService", version: packageVersion() },
      });
      expect(reply.result.structuredContent).toEqual({ greeting: "hello bytes" });
      // The fast path and our SDK path each ran the tool once.
      expect(served.service.greeted).toEqual(["bytes", "bytes"]);
    } finally {
      await reference.close();
    }
  });

  it("answers a tool error (an unknown tool) as the SDK path does", async () => {
    await using served = await serveOn(new FastService());
    const body = modernCall("nope", {}, { id: 3 });
    const fast = await postMcp(served.url, body, modernHeaders("nope"));
    const sdk = await postMcp(served.url, body, modernHeaders(sdkPathName("nope")));
    expect(fast.status).toBe(200);
    expect(fast.body.toString()).toBe(sdk.body.toString());
    const result = fast.json().result;
    expect(result).toMatchObject({ isError: true, resultType: "complete" });
    expect(JSON.parse(result.content[0].text).error.code).toBe("ENDPOINT_NOT_FOUND");
  });

  it("leaves a call whose Mcp-Name disagrees with the body to the SDK: an error, no tool runs", async () => {
    await using served = await serveOn(new FastService());
    for (const header of ["other", "heartbeat"]) {
      const reply = await postMcp(
        served.url,
        modernCall("greet", { name: "mismatch" }),
        modernHeaders(header),
      );
      expect(reply.status).toBeGreaterThanOrEqual(400);
      const body = reply.json();
      expect(body.jsonrpc).toBe("2.0");
      expect(body.result).toBeUndefined();
      expect(body.error.code).toBe(-32020); // HeaderMismatch
    }
    expect(served.service.greeted).toEqual([]);
  });

  it("refuses a tools/call inside a JSON-RPC batch array, and runs no tool", async () => {
    await using served = await serveOn(new FastService());
    const reply = await postMcp(
      served.url,
      [modernCall("greet", { name: "batched" })],
      modernHeaders("greet"),
    );
    expect(reply.status).toBe(400);
    expect(reply.json().error.code).toBe(-32600);
    expect(served.service.greeted).toEqual([]);
  });

  const noCapabilities: Record<string, unknown> = { ...ENVELOPE };
  delete noCapabilities["io.modelcontextprotocol/clientCapabilities"];
  it.each([
    ["an envelope without clientCapabilities", { meta: noCapabilities }],
    [
      "an envelope whose clientInfo is not an object",
      { meta: { ...ENVELOPE, "io.modelcontextprotocol/clientInfo": 5 } },
    ],
    ["a request id that is not an integer", { id: 1.5 }],
  ])(
    "refuses %s as the SDK does (the fast path once served it)",
    async (_case, options: { id?: unknown; meta?: Record<string, unknown> }) => {
      await using served = await serveOn(new FastService());
      const body = modernCall("greet", { name: "invalid" }, options);
      const sdk = await postMcp(served.url, body, modernHeaders(sdkPathName("greet")));
      expect(sdk.status).toBe(400); // what the SDK answers, for reference
      const fast = await postMcp(served.url, body, modernHeaders("greet"));
      expect({ status: fast.status, error: fast.json().error?.code }).toEqual({
        status: sdk.status,
        error: sdk.json().error.code,
      });
      expect(served.service.greeted).toEqual([]);
    },
  );

  it("answers a tools/call with `params: null` with a JSON-RPC error, not a 500", async () => {
    await using served = await serveOn(new FastService());
    // plainToolCall reads `params.name` of null (typeof null is "object") and throws.
    const reply = await postMcp(
      served.url,
      { jsonrpc: "2.0", id: 1, method: "tools/call", params: null },
      modernHeaders("greet"),
    );
    expect(reply.status).toBeLessThan(500);
    expect(reply.json()).toMatchObject({ jsonrpc: "2.0", error: { code: expect.any(Number) } });
  });
});

describe("2025 sessions on the fast path", () => {
  it("a call of a live session gets a JSON result: the message the SDK sends on its stream", async () => {
    await using served = await serveOn(new FastService());
    const session = await openSession(served.url);
    const fast = await postMcp(
      served.url,
      legacyCall("greet", { name: "legacy" }, 5),
      sessionHeaders(session),
    );
    expect(fast.status).toBe(200);
    expect(fast.headers["content-type"]).toMatch(/^application\/json/);
    const reply = fast.json();
    expect(reply).toEqual({
      jsonrpc: "2.0",
      id: 5,
      result: {
        content: [{ type: "text", text: JSON.stringify({ greeting: "hello legacy" }) }],
        structuredContent: { greeting: "hello legacy" },
      },
    });
    // The same call as a one-element batch takes the SDK's transport, which answers on SSE.
    const sdk = await postMcp(
      served.url,
      [legacyCall("greet", { name: "legacy" }, 5)],
      sessionHeaders(session),
    );
    expect(sdk.status).toBe(200);
    expect(sseMessages(sdk.body.toString())).toEqual([fast.body.toString()]);
    expect(served.service.greeted).toEqual(["legacy", "legacy"]);
  });

  it("a call with a closed or unknown session id gets 404 and a JSON-RPC error, no tool runs", async () => {
    await using served = await serveOn(new FastService());
    const session = await openSession(served.url);
    const ended = await rawRequest(`${served.url}/mcp`, {
      method: "DELETE",
      headers: sessionHeaders(session),
    });
    expect(ended.status).toBe(200);
    for (const id of [session, "00000000-0000-4000-8000-000000000000"]) {
      const reply = await postMcp(
        served.url,
        legacyCall("greet", { name: "gone" }, 6),
        sessionHeaders(id),
      );
      expect(reply.status).toBe(404);
      expect(reply.json()).toMatchObject({ jsonrpc: "2.0", error: { code: -32000 }, id: null });
    }
    expect(served.service.greeted).toEqual([]);
  });

  it("refuses a session call whose Accept lacks text/event-stream (406), as the SDK does", async () => {
    await using served = await serveOn(new FastService());
    const session = await openSession(served.url);
    const headers = sessionHeaders(session, { accept: "application/json" });
    const sdk = await postMcp(served.url, [legacyCall("greet", { name: "a" }, 8)], headers);
    expect(sdk.status).toBe(406); // the SDK transport requires both media types
    const fast = await postMcp(served.url, legacyCall("greet", { name: "a" }, 8), headers);
    expect(fast.status).toBe(sdk.status);
  });

  it("notifications/cancelled aborts a session's call on the fast path as on the SDK's", async () => {
    await using served = await serveOn(new FastService());
    const session = await openSession(served.url);
    const url = `${served.url}/mcp`;
    const cancel = (requestId: number) =>
      postMcp(
        served.url,
        { jsonrpc: "2.0", method: "notifications/cancelled", params: { requestId, reason: "t" } },
        sessionHeaders(session),
      );
    const pending: ClientRequest[] = [];
    try {
      // The SDK path (a one-element batch): the cancellation aborts the handler's signal.
      pending.push(
        startPost(url, sessionHeaders(session), [legacyCall("hold", { tag: "sdk" }, 11)]),
      );
      await within(served.service.hold("sdk").started.promise, "the SDK-path call did not start");
      expect((await cancel(11)).status).toBe(202);
      await within(served.service.hold("sdk").aborted.promise, "SDK path: signal not aborted");

      // The fast path: the same cancellation never reaches the call.
      pending.push(
        startPost(url, sessionHeaders(session), legacyCall("hold", { tag: "fast" }, 12)),
      );
      await within(served.service.hold("fast").started.promise, "the fast-path call did not start");
      expect((await cancel(12)).status).toBe(202);
      await within(
        served.service.hold("fast").aborted.promise,
        "fast path: notifications/cancelled did not abort the handler's signal",
        3_000,
      );
    } finally {
      served.service.releaseAll();
      for (const req of pending) req.destroy();
    }
  });
});

describe("a caller that leaves mid-call", () => {
  it("aborts the handler's context.signal (service, fast path)", async () => {
    await using served = await serveOn(new FastService());
    const hold = served.service.hold("direct");
    const req = startPost(
      `${served.url}/mcp`,
      modernHeaders("hold"),
      modernCall("hold", { tag: "direct" }),
    );
    try {
      await within(hold.started.promise, "the call did not start");
      req.destroy();
      await within(hold.aborted.promise, "the handler's signal did not abort");
    } finally {
      served.service.releaseAll();
      req.destroy();
    }
  });

  it("does not count against the app's instance through a gateway: healthy after 6 aborts", async () => {
    await using app = await serveOn(new FastService());
    await using gateway = await serveOn(new Gateway({ health: false }));
    await gateway.service.registerApp("slow", app.url);
    try {
      // Passive ejection takes an instance out after 5 failures in a row (the default).
      for (let i = 0; i < 6; i++) {
        const tag = `gw-${i}`;
        const hold = app.service.hold(tag);
        const req = startPost(
          `${gateway.url}/mcp`,
          modernHeaders("slow__hold"),
          modernCall("slow__hold", { tag }),
        );
        await within(hold.started.promise, `call ${i} did not reach the app`);
        req.destroy();
        // The gateway cancelled its call to the app: the app's handler saw it.
        await within(hold.aborted.promise, `call ${i} was not cancelled at the app`);
        expect(gateway.service.instancesOf("slow")[0]?.health).toBe("healthy");
      }
      const listed = await rawRequest(`${gateway.url}/list_apps_with_schemas`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: "{}",
      });
      expect(listed.status).toBe(200);
      const slow = (listed.json().apps as { name: string; instances: { health: string }[] }[]).find(
        (entry) => entry.name === "slow",
      );
      expect(slow?.instances.map((instance) => instance.health)).toEqual(["healthy"]);
      // And the app still takes calls through the gateway's fast path.
      const ok = await postMcp(
        gateway.url,
        modernCall("slow__greet", { name: "after" }),
        modernHeaders("slow__greet"),
      );
      expect(ok.json().result.structuredContent).toEqual({ greeting: "hello after" });
    } finally {
      app.service.releaseAll();
    }
  });
});
