/**
 * The official MCP clients of both protocol generations, connected to a Portico server's MCP
 * endpoint over Streamable HTTP, behind one small interface so a test runs the same steps with
 * each:
 *
 * - "2025": `@modelcontextprotocol/sdk` 1.x (the `initialize` handshake, an `Mcp-Session-Id`
 *   session and a GET stream on which the server pushes `notifications/tools/list_changed`);
 * - "2026": `@modelcontextprotocol/client` 2.x with version negotiation on (2026-07-28: per-request
 *   `_meta`, `subscriptions/listen` opened by the client itself for `list_changed`).
 *
 * Each client counts the `list_changed` notifications it received; `listChanged(seen)` resolves
 * on the next one (no polling, no sleeps). Closed by `await using` or `close()`.
 */
import {
  Client as ModernClient,
  StreamableHTTPClientTransport as ModernTransport,
} from "@modelcontextprotocol/client";
import { Client as LegacyClient } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport as LegacyTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { ToolListChangedNotificationSchema } from "@modelcontextprotocol/sdk/types.js";
import { expect } from "vitest";

/** Which client: the 2025-revision SDK 1.x, or the 2026-07-28 SDK 2.x. */
export type Generation = "2025" | "2026";

/** Both, for `describe.each`. */
export const GENERATIONS: readonly Generation[] = ["2025", "2026"];

/** A tool as `tools/list` gives it (the fields the tests read). */
export interface ListedTool {
  name: string;
  title?: string;
  description?: string;
  inputSchema: Record<string, unknown>;
  outputSchema?: Record<string, unknown>;
  annotations?: Record<string, unknown>;
}

/** A `tools/call` result (the fields the tests read). */
export interface ToolCallResult {
  content: { type: string; text?: string }[];
  structuredContent?: Record<string, unknown>;
  isError?: boolean;
}

/** Options of a connection. */
export interface McpConnectOptions {
  /** Sent as `Authorization: Bearer <token>` on every request. */
  token?: string;
  /** Extra headers sent on every request. */
  headers?: Record<string, string>;
  /** The endpoint's path (`/mcp`). */
  path?: string;
}

/** A connected client of either generation. */
export interface McpClient extends AsyncDisposable {
  readonly generation: Generation;
  /** The protocol revision the connection negotiated. */
  readonly protocolVersion: string | undefined;
  /** `notifications/tools/list_changed` received so far. */
  readonly changes: number;
  /**
   * Every tool, all pages walked. `fresh`: ask the server even when the 2026 client holds a list
   * it may still serve from its cache (the server's `ttlMs` hint).
   */
  listTools(options?: { fresh?: boolean }): Promise<ListedTool[]>;
  callTool(name: string, args?: Record<string, unknown>): Promise<ToolCallResult>;
  /**
   * Resolves once more than `seen` notifications arrived (pass `changes` read before the action
   * that should cause one). The deadline only turns a missing notification into a clear failure.
   */
  listChanged(seen: number, ms?: number): Promise<void>;
  close(): Promise<void>;
}

/** A 2025 client with its raw SDK objects (sessions, pages by cursor). */
export interface LegacyMcpClient extends McpClient {
  readonly client: LegacyClient;
  readonly transport: LegacyTransport;
}

/** A 2026 client with its raw SDK object. */
export interface ModernMcpClient extends McpClient {
  readonly client: ModernClient;
}

/** The URL of the MCP endpoint of the server at `baseUrl`. */
export function mcpUrl(baseUrl: string, path = "/mcp"): URL {
  return new URL(`${baseUrl}${path}`);
}

/** Connects a client of `generation` to the server at `baseUrl`. */
export function connectMcp(
  generation: Generation,
  baseUrl: string,
  options: McpConnectOptions = {},
): Promise<McpClient> {
  return generation === "2025" ? connect2025(baseUrl, options) : connect2026(baseUrl, options);
}

/** Counts notifications and wakes whoever waits for the next one. */
class ChangeCounter {
  count = 0;
  private waiters: { seen: number; resolve: () => void }[] = [];

  heard(): void {
    this.count++;
    const ready = this.waiters.filter((w) => this.count > w.seen);
    this.waiters = this.waiters.filter((w) => this.count <= w.seen);
    for (const waiter of ready) waiter.resolve();
  }

  after(seen: number, ms: number, label: string): Promise<void> {
    if (this.count > seen) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiters = this.waiters.filter((w) => w.resolve !== done);
        reject(
          new Error(`${label}: no notifications/tools/list_changed after ${seen} within ${ms} ms`),
        );
      }, ms);
      const done = (): void => {
        clearTimeout(timer);
        resolve();
      };
      this.waiters.push({ seen, resolve: done });
    });
  }
}

function headersOf(options: McpConnectOptions): Record<string, string> {
  return {
    ...options.headers,
    ...(options.token !== undefined ? { authorization: `Bearer ${options.token}` } : {}),
  };
}

/**
 * SDK 1.x. `connect()` returns before the client's GET stream is open on the server, and a
 * notification sent before it is lost; so this waits for the GET's response headers, which the
 * server writes only once the stream is registered for its session.
 */
export async function connect2025(
  baseUrl: string,
  options: McpConnectOptions = {},
): Promise<LegacyMcpClient> {
  const counter = new ChangeCounter();
  let streamOpen!: () => void;
  const opened = new Promise<void>((resolve) => (streamOpen = resolve));
  const watched: typeof fetch = async (input, init) => {
    const response = await fetch(input, init);
    if ((init?.method ?? "GET") === "GET" && response.ok) streamOpen();
    return response;
  };
  const transport = new LegacyTransport(mcpUrl(baseUrl, options.path), {
    requestInit: { headers: headersOf(options) },
    fetch: watched,
  });
  const client = new LegacyClient({ name: "portico-test-2025", version: "1.0.0" });
  client.setNotificationHandler(ToolListChangedNotificationSchema, () => counter.heard());
  await client.connect(transport);
  await withDeadline(opened, 10_000, "the 2025 client's GET stream did not open");
  const close = async (): Promise<void> => {
    await client.close();
  };
  return {
    generation: "2025",
    client,
    transport,
    get protocolVersion() {
      return transport.protocolVersion;
    },
    get changes() {
      return counter.count;
    },
    listTools: async () => {
      const tools: ListedTool[] = [];
      let cursor: string | undefined;
      do {
        const page = await client.listTools(cursor === undefined ? {} : { cursor });
        tools.push(...(page.tools as ListedTool[]));
        cursor = page.nextCursor;
      } while (cursor !== undefined);
      return tools;
    },
    callTool: async (name, args) =>
      (await client.callTool({ name, arguments: args ?? {} })) as ToolCallResult,
    listChanged: (seen, ms = 10_000) => counter.after(seen, ms, "2025 client"),
    close,
    [Symbol.asyncDispose]: close,
  };
}

/** SDK 2.x with `versionNegotiation: auto`: speaks 2026-07-28 to a Portico server. */
export async function connect2026(
  baseUrl: string,
  options: McpConnectOptions = {},
): Promise<ModernMcpClient> {
  const counter = new ChangeCounter();
  const client = new ModernClient(
    { name: "portico-test-2026", version: "1.0.0" },
    {
      versionNegotiation: { mode: "auto" },
      // Told of every notification, at once: the test lists the tools itself.
      listChanged: {
        tools: { autoRefresh: false, debounceMs: 0, onChanged: () => counter.heard() },
      },
    },
  );
  const transport = new ModernTransport(mcpUrl(baseUrl, options.path), {
    requestInit: { headers: headersOf(options) },
  });
  await client.connect(transport);
  const close = async (): Promise<void> => {
    await client.close();
  };
  return {
    generation: "2026",
    client,
    get protocolVersion() {
      return client.getNegotiatedProtocolVersion();
    },
    get changes() {
      return counter.count;
    },
    listTools: async (listOptions) => {
      const result = await client.listTools(
        undefined,
        listOptions?.fresh ? { cacheMode: "refresh" } : undefined,
      );
      return result.tools;
    },
    callTool: async (name, args) =>
      (await client.callTool({ name, arguments: args ?? {} })) as ToolCallResult,
    listChanged: (seen, ms = 10_000) => counter.after(seen, ms, "2026 client"),
    close,
    [Symbol.asyncDispose]: close,
  };
}

/**
 * Lists the tools until `done` holds of them, listing again only after each `list_changed`
 * (never polling): for changes whose notifications a debounce may merge or split.
 */
export async function toolsWhen(
  client: McpClient,
  done: (tools: ListedTool[]) => boolean,
  ms = 10_000,
): Promise<ListedTool[]> {
  for (;;) {
    const seen = client.changes;
    const tools = await client.listTools();
    if (done(tools)) return tools;
    await client.listChanged(seen, ms);
  }
}

/** The names of `tools`, in the order listed. */
export function toolNames(tools: readonly ListedTool[]): string[] {
  return tools.map((tool) => tool.name);
}

/** The Portico error body a tool error carries as its text: `{ code, message, data }`. */
export function toolError(result: ToolCallResult): {
  code: string;
  message: string;
  data?: unknown;
} {
  expect(result.isError, `expected a tool error, got ${JSON.stringify(result)}`).toBe(true);
  expect(result.structuredContent).toBeUndefined();
  const text = result.content.find((c) => c.type === "text")?.text ?? "";
  const body = JSON.parse(text) as { error: { code: string; message: string; data?: unknown } };
  return body.error;
}

/** The JSON value a successful tool call's text carries. */
export function toolText(result: ToolCallResult): unknown {
  expect(result.isError ?? false, `expected a result, got ${JSON.stringify(result)}`).toBe(false);
  const text = result.content.find((c) => c.type === "text")?.text ?? "";
  return JSON.parse(text);
}

async function withDeadline<T>(promise: Promise<T>, ms: number, message: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(message)), ms);
  });
  try {
    return await Promise.race([promise, deadline]);
  } finally {
    clearTimeout(timer);
  }
}
