/**
 * Small real MCP servers (not Portico services) on 127.0.0.1 free ports, to register with a
 * gateway as apps (`kind: "mcp"`):
 *
 * - "sdk2": an SDK 2.x `McpServer` behind `createMcpHandler(factory)` (its defaults: 2026-07-28
 *   per-request traffic, and 2025 traffic served statelessly), on `node:http` via `toNodeHandler`;
 *   `list_changed` goes to the `subscriptions/listen` streams of 2026 clients.
 * - "sdk1": an SDK 1.x `McpServer` with a `StreamableHTTPServerTransport` in session mode (2025
 *   only): one server and transport per `Mcp-Session-Id`, `list_changed` on each session's GET
 *   stream.
 *
 * Both serve the same tools at `/mcp` (404 elsewhere, so Portico and OpenAPI discovery find
 * nothing): `get-forecast` (hyphenated: the gateway makes it `get_forecast`; structured output,
 * annotations), `fail` (always a tool error), `shout` (text content only). `addTool(name)` adds
 * a tool at run time and announces it with `notifications/tools/list_changed`. The fixture counts
 * what tests assert on: requests and long-lived streams open now, live sessions, tools called.
 */
import { randomUUID } from "node:crypto";
import { createServer } from "node:http";
import type { IncomingMessage, Server, ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { z } from "zod";
import { McpServer as McpServer2, createMcpHandler } from "@modelcontextprotocol/server";
import { toNodeHandler } from "@modelcontextprotocol/node";
import { McpServer as McpServer1 } from "@modelcontextprotocol/sdk/server/mcp.js";
import { StreamableHTTPServerTransport } from "@modelcontextprotocol/sdk/server/streamableHttp.js";

/** Which server: SDK 2.x (2026 + stateless 2025) or SDK 1.x (2025 sessions). */
export type McpFixtureKind = "sdk2" | "sdk1";

/** Both, for `describe.each`. */
export const MCP_FIXTURE_KINDS: readonly McpFixtureKind[] = ["sdk2", "sdk1"];

/** A running MCP server; closed by `await using` or `close()`. */
export interface McpFixture extends AsyncDisposable {
  readonly kind: McpFixtureKind;
  /** `http://127.0.0.1:<port>` (no path: discovery tries `<url>/mcp`). */
  readonly url: string;
  /** `http://127.0.0.1:<port>/mcp`, the MCP endpoint itself. */
  readonly mcpUrl: string;
  /** Requests whose response is still open (long-lived streams included). */
  readonly openRequests: number;
  /**
   * Notification streams open now: `subscriptions/listen` POSTs (sdk2), session GET streams
   * (sdk1). A connected gateway holds one; it is gone once the gateway let go.
   */
  readonly streams: number;
  /** sdk1: sessions live now (a DELETE or the transport's close ends one). sdk2: always 0. */
  readonly sessions: number;
  /**
   * sdk1: live sessions a client completed the handshake of (`notifications/initialized`): an
   * SDK client's, not a bare `initialize` probe's. sdk2: always 0.
   */
  readonly clientSessions: number;
  /** The `tools/call` requests received, by tool name, in order. */
  readonly calls: readonly string[];
  /** The `authorization` header of every request, in order (undefined when none). */
  readonly authorizations: readonly (string | undefined)[];
  /**
   * The client names requests carried, in order: `initialize`'s `clientInfo` (2025) and the
   * per-request `_meta` client info (2026).
   */
  readonly clientNames: readonly string[];
  /**
   * While set, every `tools/call` is answered with this JSON-RPC error instead of a result (as a
   * server that rejects the request itself, before any tool runs, answers).
   */
  rejectCalls: { code: number; message: string } | undefined;
  /**
   * While true, every `tools/call` has its connection closed with no answer (as a server that
   * dies while the call runs does).
   */
  dropCalls: boolean;
  /** Adds a tool `name` (structured result `{ added: name }`) and announces `list_changed`. */
  addTool(name: string): void;
  close(): Promise<void>;
}

/** What the forecast tool answers for `city`. */
export function forecastOf(city: string): { city: string; sky: string } {
  return { city, sky: city === "Bergen" ? "rain" : "sunny" };
}

/** The error text of the `fail` tool. */
export const FAIL_TEXT = "no such city";

const forecastInput = z.object({ city: z.string().min(1) });
const forecastOutput = z.object({ city: z.string(), sky: z.string() });
const shoutInput = z.object({ text: z.string() });

/** A tool result both SDKs accept (a type alias: an interface lacks the index signature). */
type ToolResult = {
  content: { type: "text"; text: string }[];
  structuredContent?: Record<string, unknown>;
  isError?: boolean;
};

/** `get-forecast` as both servers describe it (each adds the schemas in its SDK's form). */
const FORECAST_TOOL = {
  title: "Forecast",
  description: "The sky over a city",
  annotations: { readOnlyHint: true, openWorldHint: false },
};

/** The tools' answers, the same on both servers. */
const answers = {
  forecast: ({ city }: { city: string }): ToolResult => {
    const forecast = forecastOf(city);
    return {
      content: [{ type: "text", text: JSON.stringify(forecast) }],
      structuredContent: forecast,
    };
  },
  fail: (): ToolResult => ({ isError: true, content: [{ type: "text", text: FAIL_TEXT }] }),
  shout: ({ text }: { text: string }): ToolResult => ({
    content: [{ type: "text", text: `${text.toUpperCase()}!` }],
  }),
  added: (name: string): ToolResult => ({
    content: [{ type: "text", text: JSON.stringify({ added: name }) }],
    structuredContent: { added: name },
  }),
};

/** Options of a fixture server. */
export interface McpFixtureOptions {
  /** The port (a server that comes back where one was before); a free one by default. */
  port?: number;
}

/** Starts an MCP server of `kind` on a free loopback port (or `options.port`). */
export function startMcpServer(
  kind: McpFixtureKind,
  options: McpFixtureOptions = {},
): Promise<McpFixture> {
  const port = options.port ?? 0;
  return kind === "sdk2" ? startSdk2(port) : startSdk1(port);
}

/** Where a 2026-07-28 request carries its client's name and version. */
const CLIENT_INFO_META_KEY = "io.modelcontextprotocol/clientInfo";

/** The fields of a JSON-RPC message the fixtures read. */
interface Message {
  method?: string;
  params?: {
    name?: string;
    clientInfo?: { name?: unknown };
    _meta?: Record<string, { name?: unknown } | undefined>;
  };
}

/** Bookkeeping both fixtures share. */
class Counters {
  openRequests = 0;
  streams = 0;
  readonly calls: string[] = [];
  readonly authorizations: (string | undefined)[] = [];
  readonly clientNames: string[] = [];
  rejectCalls: { code: number; message: string } | undefined;
  dropCalls = false;

  /** Counts `req` open until its response closes; a stream when `isStream`. */
  track(req: IncomingMessage, res: ServerResponse, body: unknown): void {
    this.openRequests++;
    this.authorizations.push(req.headers.authorization);
    const messages = Array.isArray(body) ? body : [body];
    for (const message of messages as Message[]) {
      if (message?.method === "tools/call" && typeof message.params?.name === "string") {
        this.calls.push(message.params.name);
      }
      const info = message?.params?.clientInfo ?? message?.params?._meta?.[CLIENT_INFO_META_KEY];
      if (typeof info?.name === "string") this.clientNames.push(info.name);
    }
    const isStream =
      req.method === "GET" ||
      messages.some((m) => (m as { method?: string })?.method === "subscriptions/listen");
    if (isStream) this.streams++;
    res.once("close", () => {
      this.openRequests--;
      if (isStream) this.streams--;
    });
  }

  /**
   * Answers a `tools/call` with the JSON-RPC error of `rejectCalls`, or closes its connection
   * (`dropCalls`); true when it did.
   */
  rejected(res: ServerResponse, body: unknown): boolean {
    const call = body as { method?: string; id?: unknown } | undefined;
    if (call?.method !== "tools/call") return false;
    if (this.dropCalls) {
      res.socket?.destroy();
      return true;
    }
    if (!this.rejectCalls) return false;
    res
      .writeHead(200, { "content-type": "application/json" })
      .end(JSON.stringify({ jsonrpc: "2.0", id: call.id, error: this.rejectCalls }));
    return true;
  }
}

/** The body of a POST as JSON (undefined when empty or not JSON: the SDK then answers it). */
async function readBody(req: IncomingMessage): Promise<unknown> {
  if (req.method !== "POST") return undefined;
  const chunks: Buffer[] = [];
  for await (const chunk of req as AsyncIterable<Buffer>) chunks.push(chunk);
  const text = Buffer.concat(chunks).toString("utf8");
  try {
    return text === "" ? undefined : (JSON.parse(text) as unknown);
  } catch {
    return undefined;
  }
}

async function listen(
  server: Server,
  port: number,
): Promise<{ url: string; close: () => Promise<void> }> {
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, "127.0.0.1", resolve);
  });
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** What differs between the two servers' fixture objects. */
interface FixtureParts {
  kind: McpFixtureKind;
  url: string;
  counters: Counters;
  sessions: () => number;
  clientSessions: () => number;
  addTool: (name: string) => void;
  close: () => Promise<void>;
}

/** The fixture object over `counters`: its numbers are read live (getters), not copied. */
function fixture(p: FixtureParts): McpFixture {
  const { counters } = p;
  return {
    kind: p.kind,
    url: p.url,
    mcpUrl: `${p.url}/mcp`,
    get openRequests() {
      return counters.openRequests;
    },
    get streams() {
      return counters.streams;
    },
    get sessions() {
      return p.sessions();
    },
    get clientSessions() {
      return p.clientSessions();
    },
    get rejectCalls() {
      return counters.rejectCalls;
    },
    set rejectCalls(value) {
      counters.rejectCalls = value;
    },
    get dropCalls() {
      return counters.dropCalls;
    },
    set dropCalls(value) {
      counters.dropCalls = value;
    },
    calls: counters.calls,
    authorizations: counters.authorizations,
    clientNames: counters.clientNames,
    addTool: p.addTool,
    close: p.close,
    [Symbol.asyncDispose]: p.close,
  };
}

function notFound(res: ServerResponse): void {
  res.writeHead(404, { "content-type": "text/plain" }).end("not found");
}

/** SDK 2.x: a fresh McpServer per request (`createMcpHandler`), its tools from one list. */
async function startSdk2(port: number): Promise<McpFixture> {
  const counters = new Counters();
  const added: string[] = [];
  const factory = (): McpServer2 => {
    const server = new McpServer2(
      { name: "weather-sdk2", version: "1.0.0" },
      { capabilities: { tools: { listChanged: true } } },
    );
    server.registerTool(
      "get-forecast",
      { ...FORECAST_TOOL, inputSchema: forecastInput, outputSchema: forecastOutput },
      answers.forecast,
    );
    const none = z.object({});
    server.registerTool("fail", { description: "Always fails", inputSchema: none }, answers.fail);
    server.registerTool(
      "shout",
      { description: "Text only", inputSchema: shoutInput },
      answers.shout,
    );
    for (const name of added) {
      server.registerTool(name, { description: `added ${name}`, inputSchema: none }, () =>
        answers.added(name),
      );
    }
    return server;
  };
  const handler = createMcpHandler(factory);
  const node = toNodeHandler(handler);
  const server = createServer((req, res) => {
    if (!req.url?.startsWith("/mcp")) return notFound(res);
    void readBody(req).then((body) => {
      counters.track(req, res, body);
      if (counters.rejected(res, body)) return;
      return node(req, res, body);
    });
  });
  const listening = await listen(server, port);
  const close = async (): Promise<void> => {
    await handler.close().catch(() => undefined);
    await listening.close();
  };
  return fixture({
    kind: "sdk2",
    url: listening.url,
    counters,
    sessions: () => 0,
    clientSessions: () => 0,
    addTool(name) {
      added.push(name);
      void handler.notify.toolsChanged();
    },
    close,
  });
}

/** SDK 1.x in session mode: one McpServer and transport per session. */
async function startSdk1(port: number): Promise<McpFixture> {
  const counters = new Counters();
  const added: string[] = [];
  const sessions = new Map<
    string,
    { transport: StreamableHTTPServerTransport; server: McpServer1 }
  >();
  const initialized = new Set<string>();

  const addTo = (server: McpServer1, name: string): void => {
    // Registering on a connected server sends notifications/tools/list_changed itself.
    server.registerTool(name, { description: `added ${name}`, inputSchema: {} }, () =>
      answers.added(name),
    );
  };

  const newServer = (): McpServer1 => {
    const server = new McpServer1({ name: "weather-sdk1", version: "1.0.0" });
    server.registerTool(
      "get-forecast",
      { ...FORECAST_TOOL, inputSchema: forecastInput.shape, outputSchema: forecastOutput.shape },
      answers.forecast,
    );
    server.registerTool("fail", { description: "Always fails", inputSchema: {} }, answers.fail);
    server.registerTool(
      "shout",
      { description: "Text only", inputSchema: shoutInput.shape },
      answers.shout,
    );
    for (const name of added) addTo(server, name);
    return server;
  };

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const body = await readBody(req);
    counters.track(req, res, body);
    if (counters.rejected(res, body)) return;
    const id = req.headers["mcp-session-id"];
    const existing = typeof id === "string" ? sessions.get(id) : undefined;
    if (existing) {
      const method = (body as { method?: string } | undefined)?.method;
      if (method === "notifications/initialized") initialized.add(id as string);
      return existing.transport.handleRequest(req, res, body);
    }
    const isInitialize =
      req.method === "POST" && (body as { method?: string } | undefined)?.method === "initialize";
    if (!isInitialize) {
      const status = typeof id === "string" ? 404 : 400;
      res.writeHead(status, { "content-type": "application/json" }).end(
        JSON.stringify({
          jsonrpc: "2.0",
          error: { code: -32000, message: status === 404 ? "Session not found" : "No session" },
          id: null,
        }),
      );
      return;
    }
    const server = newServer();
    const transport: StreamableHTTPServerTransport = new StreamableHTTPServerTransport({
      sessionIdGenerator: () => randomUUID(),
      onsessioninitialized: (sessionId) => {
        sessions.set(sessionId, { transport, server });
      },
    });
    transport.onclose = () => {
      if (transport.sessionId) sessions.delete(transport.sessionId);
    };
    await server.connect(transport);
    await transport.handleRequest(req, res, body);
  };

  const server = createServer((req, res) => {
    if (!req.url?.startsWith("/mcp")) return notFound(res);
    handle(req, res).catch(() => {
      if (!res.headersSent) res.writeHead(500).end();
    });
  });
  const listening = await listen(server, port);
  const close = async (): Promise<void> => {
    const all = [...sessions.values()];
    sessions.clear();
    await Promise.allSettled(all.map(({ server: s }) => s.close()));
    await listening.close();
  };
  return fixture({
    kind: "sdk1",
    url: listening.url,
    counters,
    sessions: () => sessions.size,
    clientSessions: () => [...sessions.keys()].filter((id) => initialized.has(id)).length,
    addTool(name) {
      added.push(name);
      for (const { server: s } of sessions.values()) addTo(s, name);
    },
    close,
  });
}
