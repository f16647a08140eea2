/**
 * One MCP endpoint over Streamable HTTP, serving both protocol generations from one tool
 * catalogue:
 *
 * - 2026-07-28 requests (they carry the per-request `_meta` envelope) go to the SDK's
 *   `createMcpHandler`, which builds a server per request and keeps `subscriptions/listen`
 *   streams open for change notifications;
 * - 2025 requests (the `initialize` handshake, then `Mcp-Session-Id`) get a session: one server
 *   and transport per client, kept here, so a change can be pushed on the session's GET stream.
 *   The SDK's default stateless fallback cannot push anything to them.
 *
 * The SDK decides which is which (`isLegacyRequest`), so the routing never disagrees with it.
 * Access checks (tokens, Host, Origin, rate limits) ran before: this module only speaks MCP.
 */
import { randomUUID } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";
import {
  ProtocolError,
  ProtocolErrorCode,
  SUPPORTED_PROTOCOL_VERSIONS,
  Server,
  createMcpHandler,
  isLegacyRequest,
} from "@modelcontextprotocol/server";
import type { AuthInfo, McpHttpHandler } from "@modelcontextprotocol/server";
import {
  NodeStreamableHTTPServerTransport,
  toNodeHandler,
  toWebRequest,
} from "@modelcontextprotocol/node";
import type { ToolDefinition, ToolResult } from "./tool-shape.js";
import { ExchangeCaller, signalCaller } from "../net/caller.js";
import type { CallerGone } from "../net/caller.js";

/** One page of `tools/list`. */
export interface ToolPage {
  tools: ToolDefinition[];
  nextCursor?: string;
  /** `tools` as JSON, made on the first list that serves it and kept with the page. */
  json?: string;
}

/** What an MCP endpoint serves: its tools, and how to call one. */
export interface ToolCatalogue {
  /** A page of tools (the first without a cursor); throws `InvalidCursorError` for a bad one. */
  page(cursor: string | undefined): ToolPage;
  /** How long a client may keep the list before asking again (the `ttlMs` cache hint). */
  ttlMs(): number;
  /** Calls a tool; an unknown tool or a failed call is a tool error, not a throw. */
  call(
    name: string,
    args: Record<string, unknown> | undefined,
    call: ToolCall,
  ): Promise<ToolResult>;
}

/** The HTTP request a tool call came in, for headers and cancellation. */
export interface ToolCall {
  readonly req: IncomingMessage;
  /** Aborted when the caller leaves (made on first use: most calls never read it). */
  readonly signal: AbortSignal;
  /** The same, without the cost of a signal: what calls through the gateway listen to. */
  readonly caller: CallerGone;
}

/** Thrown by `page` for a cursor this catalogue did not hand out (or one of an older list). */
export class InvalidCursorError extends Error {}

/** Options of an MCP endpoint. */
export interface McpEndpointOptions {
  /** Server name and version reported to clients. */
  name: string;
  version: string;
  /** Told to clients at `initialize` / `server/discover` (what the server is for). */
  instructions?: string;
  catalogue: ToolCatalogue;
  /** Whether the tool set can change (the gateway: yes; a service: no). */
  listChanged: boolean;
  /**
   * 2025 sessions kept at once (1,000). Over it, the least recently used session with no open
   * stream makes room; when every one has a stream, a new one gets 503.
   */
  maxSessions?: number;
  /** Milliseconds a 2025 session without an open stream is kept after its last request (30 min). */
  sessionIdleMs?: number;
  /** Milliseconds a burst of changes is gathered into one `list_changed` (100). */
  debounceMs?: number;
  /**
   * Answer well-formed `tools/call` and `tools/list` without the SDK's per-request machinery
   * (true). `false` sends everything through the SDK: the tests compare the two.
   */
  fastPath?: boolean;
  /** SSE keep-alive comments on open streams (15 s). */
  keepAliveMs?: number;
  /** Largest request body, as the service's own limit. */
  maxRequestBodySize: number;
  onError?: (error: Error) => void;
}

interface Session {
  readonly server: Server;
  readonly transport: NodeStreamableHTTPServerTransport;
  lastSeen: number;
  /** Open GET streams: a session that can still be pushed to is never idle. */
  streams: number;
  /** Its calls the fast path serves, by JSON-RPC id: `notifications/cancelled` reaches them here. */
  readonly inFlight: Map<string | number, ExchangeCaller>;
}

/** The AuthInfo slot carries the HTTP request through the SDK to our tool handlers. */
type WithAuth = IncomingMessage & { auth?: AuthInfo };

/** An MCP endpoint: hand it every request of its path, tell it when the tools change. */
export class McpEndpoint {
  private readonly modern: McpHttpHandler;
  private readonly modernNode: ReturnType<typeof toNodeHandler>;
  private readonly sessions = new Map<string, Session>();
  private readonly sweepTimer: NodeJS.Timeout;
  private debounce: NodeJS.Timeout | undefined;
  private closed = false;
  /** The `_meta` of every 2026 result: who answered (the SDK stamps the same). */
  private readonly serverMeta: Record<string, unknown>;
  private readonly serverMetaJson: string;

  constructor(private readonly options: McpEndpointOptions) {
    const onerror = (error: Error): void => options.onError?.(error);
    this.modern = createMcpHandler(() => this.createServer(), {
      legacy: "reject",
      onerror,
      keepAliveMs: options.keepAliveMs ?? 15_000,
      maxRequestBodySize: options.maxRequestBodySize,
    });
    this.modernNode = toNodeHandler(this.modern, {
      onerror,
      maxRequestBodySize: options.maxRequestBodySize,
    });
    this.serverMeta = {
      "io.modelcontextprotocol/serverInfo": { name: options.name, version: options.version },
    };
    this.serverMetaJson = JSON.stringify(this.serverMeta);
    const idle = options.sessionIdleMs ?? 30 * 60_000;
    this.sweepTimer = setInterval(() => this.sweep(idle), Math.min(idle, 60_000));
    this.sweepTimer.unref();
  }

  /** Open 2025 sessions. */
  get sessionCount(): number {
    return this.sessions.size;
  }

  /** Clients that can be told of tool changes: 2025 session streams, 2026 subscriptions. */
  get subscriberCount(): number {
    let streams = 0;
    for (const session of this.sessions.values()) streams += session.streams;
    // The SDK's in-process bus counts its open `subscriptions/listen` streams.
    const bus = this.modern.bus as { listenerCount?: number };
    return streams + (bus.listenerCount ?? 0);
  }

  /** Serves one request of the endpoint's path (`body`: the parsed JSON of a POST). */
  async handle(req: IncomingMessage, res: ServerResponse, body: unknown): Promise<void> {
    const plain = this.options.fastPath === false ? undefined : plainRequest(req, body);
    if (plain) {
      const session = plain.era === "legacy" ? this.sessions.get(plain.session) : undefined;
      if (session) session.lastSeen = Date.now();
      if (plain.era === "modern" || session) {
        if (plain.method === "tools/call") {
          return this.callFast(req, res, plain, plain.era === "modern", session);
        }
        if (this.listFast(res, plain)) return;
      }
    } else if (this.cancelsFastCall(req, res, body)) {
      return;
    }
    (req as WithAuth).auth = { token: "", clientId: "portico", scopes: [], extra: { req } };
    const web = await toWebRequest(req, body, {
      maxRequestBodySize: this.options.maxRequestBodySize,
    });
    if (!(await isLegacyRequest(web, body))) return this.modernNode(req, res, body);
    const id = req.headers["mcp-session-id"];
    if (typeof id === "string") return this.inSession(id, req, res, body);
    if (req.method !== "POST") {
      return rpcError(res, 400, "Bad Request: no Mcp-Session-Id (send initialize first)");
    }
    return this.open(req, res, body);
  }

  /**
   * A well-formed `tools/call`, answered without the SDK's per-request machinery (a server and a
   * web Request per call cost ten times the call itself): the same catalogue call, and the reply
   * the SDK would give, byte for byte in shape (2026: `resultType` and our `serverInfo` in
   * `_meta`; 2025: the bare result). Anything unusual takes the SDK path, which validates it.
   */
  private async callFast(
    req: IncomingMessage,
    res: ServerResponse,
    call: PlainToolCall,
    modern: boolean,
    session?: Session,
  ): Promise<void> {
    const caller = new ExchangeCaller(res);
    session?.inFlight.set(call.id, caller);
    let controller: AbortController | undefined;
    let result: ToolResult;
    try {
      result = await this.options.catalogue.call(call.name, call.args, {
        req,
        caller,
        get signal() {
          if (!controller) {
            const made = new AbortController();
            if (caller.gone) made.abort();
            else caller.onGone(() => made.abort());
            controller = made;
          }
          return controller.signal;
        },
      });
    } finally {
      if (session?.inFlight.get(call.id) === caller) session.inFlight.delete(call.id);
    }
    // Cancelled by its client: no result (the spec's rule), just the end of this exchange.
    if (caller.cancelled) return void res.writeHead(202).end();
    // The result is this call's own object: completed in place rather than copied.
    if (modern) {
      result.resultType = "complete";
      result._meta = this.serverMeta;
    }
    const text = JSON.stringify({ result, jsonrpc: "2.0", id: call.id });
    res.writeHead(200, { "content-type": "application/json" }).end(text);
  }

  /**
   * A page of `tools/list` from its cached JSON (built once per change of the tool set, never per
   * request or session), with the 2026 cache hints. False for a cursor the catalogue refuses: the
   * SDK then answers with its error.
   */
  private listFast(res: ServerResponse, request: PlainRequest & { method: "tools/list" }): boolean {
    let page: ToolPage;
    try {
      page = this.options.catalogue.page(request.cursor);
    } catch (error) {
      if (error instanceof InvalidCursorError) return false;
      throw error;
    }
    page.json ??= JSON.stringify(page.tools);
    const next =
      page.nextCursor === undefined ? "" : `,"nextCursor":${JSON.stringify(page.nextCursor)}`;
    const hints =
      request.era === "modern"
        ? `,"resultType":"complete","ttlMs":${this.options.catalogue.ttlMs()},"cacheScope":"public","_meta":${this.serverMetaJson}`
        : "";
    const text = `{"result":{"tools":${page.json}${next}${hints}},"jsonrpc":"2.0","id":${JSON.stringify(request.id)}}`;
    res.writeHead(200, { "content-type": "application/json" }).end(text);
    return true;
  }

  /**
   * A 2025 `notifications/cancelled` for a call the fast path is serving: cancels it and answers
   * 202 (true). Any other message is left to the SDK (false).
   */
  private cancelsFastCall(req: IncomingMessage, res: ServerResponse, body: unknown): boolean {
    if (req.method !== "POST" || !isRecord(body) || body.method !== "notifications/cancelled") {
      return false;
    }
    const id = req.headers["mcp-session-id"];
    const session = typeof id === "string" ? this.sessions.get(id) : undefined;
    const params = body.params;
    const requestId = isRecord(params) ? params.requestId : undefined;
    if (!session || (typeof requestId !== "string" && typeof requestId !== "number")) return false;
    const caller = session.inFlight.get(requestId);
    if (!caller) return false;
    session.lastSeen = Date.now();
    caller.cancel();
    res.writeHead(202).end();
    return true;
  }

  /**
   * The tool set changed: tell every client, once per burst, on its subscription stream (2026)
   * or its session's GET stream (2025).
   */
  toolsChanged(): void {
    if (this.closed || this.debounce) return;
    this.debounce = setTimeout(() => {
      this.debounce = undefined;
      this.modern.notify.toolsChanged();
      for (const session of this.sessions.values()) {
        session.server.sendToolListChanged().catch(() => undefined); // its stream went away
      }
    }, this.options.debounceMs ?? 100);
  }

  async close(): Promise<void> {
    this.closed = true;
    clearTimeout(this.debounce);
    clearInterval(this.sweepTimer);
    const sessions = [...this.sessions.values()];
    this.sessions.clear();
    await Promise.allSettled(sessions.map((s) => s.transport.close()));
    await this.modern.close();
  }

  /** A request of an open 2025 session (404 for one this replica does not hold: re-initialize). */
  private async inSession(
    id: string,
    req: IncomingMessage,
    res: ServerResponse,
    body: unknown,
  ): Promise<void> {
    const session = this.sessions.get(id);
    if (!session) return rpcError(res, 404, "Session not found: initialize a new session");
    session.lastSeen = Date.now();
    if (req.method === "GET") {
      session.streams++;
      res.once("close", () => {
        session.streams--;
        session.lastSeen = Date.now();
      });
    }
    await session.transport.handleRequest(req, res, body);
  }

  /** A 2025 `initialize`: a new session with its own server. */
  private async open(req: IncomingMessage, res: ServerResponse, body: unknown): Promise<void> {
    const max = this.options.maxSessions ?? 1_000;
    if (this.sessions.size >= max) {
      if (!this.evictOne()) {
        res.setHeader("retry-after", "5");
        return rpcError(res, 503, `Too many MCP sessions (${max}); try again later`);
      }
    }
    const server = this.createServer();
    const transport: NodeStreamableHTTPServerTransport = new NodeStreamableHTTPServerTransport({
      sessionIdGenerator: randomUUID,
      onsessioninitialized: (sessionId) => {
        this.sessions.set(sessionId, {
          server,
          transport,
          lastSeen: Date.now(),
          streams: 0,
          inFlight: new Map(),
        });
      },
      onsessionclosed: (sessionId) => {
        this.sessions.delete(sessionId);
      },
    });
    transport.onclose = () => {
      const id = transport.sessionId;
      if (id !== undefined) this.sessions.delete(id);
    };
    await server.connect(transport);
    await transport.handleRequest(req, res, body);
    // An `initialize` that failed (bad version, bad body) opened no session: drop its server.
    if (transport.sessionId === undefined || !this.sessions.has(transport.sessionId)) {
      await transport.close();
    }
  }

  /** Ends sessions with no open stream whose last request is `idleMs` old. */
  private sweep(idleMs: number): void {
    const now = Date.now();
    for (const [id, session] of this.sessions) {
      if (session.streams > 0 || now - session.lastSeen < idleMs) continue;
      this.sessions.delete(id);
      void session.transport.close().catch(() => undefined);
    }
  }

  /**
   * Makes room for one session by ending the least recently used one that has no open stream
   * (its client starts a new one on its next request); false when every session has a stream.
   */
  private evictOne(): boolean {
    let oldest: [string, Session] | undefined;
    for (const entry of this.sessions) {
      if (entry[1].streams === 0 && (!oldest || entry[1].lastSeen < oldest[1].lastSeen)) {
        oldest = entry;
      }
    }
    if (!oldest) return false;
    this.sessions.delete(oldest[0]);
    void oldest[1].transport.close().catch(() => undefined);
    return true;
  }

  /** A server for one 2026 request or one 2025 session: tools only. */
  private createServer(): Server {
    const { catalogue } = this.options;
    const server = new Server(
      { name: this.options.name, version: this.options.version },
      {
        capabilities: { tools: { listChanged: this.options.listChanged } },
        ...(this.options.instructions ? { instructions: this.options.instructions } : {}),
        cacheHints: { "tools/list": { ttlMs: catalogue.ttlMs(), cacheScope: "public" } },
      },
    );
    server.setRequestHandler("tools/list", (request) => {
      try {
        const page = catalogue.page(request.params?.cursor);
        // A new object each time: the SDK adds its own fields to what a handler returns.
        return page.nextCursor === undefined
          ? { tools: page.tools }
          : { tools: page.tools, nextCursor: page.nextCursor };
      } catch (error) {
        if (error instanceof InvalidCursorError) {
          throw new ProtocolError(ProtocolErrorCode.InvalidParams, error.message);
        }
        throw error;
      }
    });
    server.setRequestHandler("tools/call", async (request, ctx) => {
      const req = ctx.http?.authInfo?.extra?.req as IncomingMessage;
      const { name, arguments: args } = request.params;
      const signal = ctx.mcpReq.signal;
      return catalogue.call(name, args, { req, signal, caller: signalCaller(signal) });
    });
    return server;
  }
}

/** A `tools/call` the fast path answers: its era (and session), id, tool and arguments. */
type PlainRequest = { id: string | number } & (
  | { method: "tools/call"; name: string; args: Record<string, unknown> | undefined }
  | { method: "tools/list"; cursor: string | undefined }
) &
  ({ era: "modern" } | { era: "legacy"; session: string });

type PlainToolCall = PlainRequest & { method: "tools/call" };

const MODERN = "2026-07-28";
const PROTOCOL_VERSION_KEY = "io.modelcontextprotocol/protocolVersion";
const LEGACY_VERSIONS: ReadonlySet<string> = new Set(SUPPORTED_PROTOCOL_VERSIONS);

/**
 * The call when `body` is one plain, well-formed `tools/call`: a 2026-07-28 request (the envelope
 * claim in `_meta`, headers that agree with the body) or a request of a 2025 session. Undefined
 * for anything else, which the SDK then serves (and validates, and rejects where it must).
 */
function plainRequest(req: IncomingMessage, body: unknown): PlainRequest | undefined {
  if (req.method !== "POST" || !isRecord(body)) return undefined;
  const { jsonrpc, method, id, params } = body;
  if (jsonrpc !== "2.0" || (method !== "tools/call" && method !== "tools/list")) return undefined;
  // Exactly a request's members, and an id the SDK takes (a string or a safe integer).
  for (const key in body) if (!MESSAGE_KEYS.has(key)) return undefined;
  if (typeof id !== "string" && !Number.isSafeInteger(id)) return undefined;
  if (params !== undefined && !isRecord(params)) return undefined;
  const meta = params?._meta;
  if (meta !== undefined && !isRecord(meta)) return undefined;
  let request:
    | {
        method: "tools/call";
        id: string | number;
        name: string;
        args: Record<string, unknown> | undefined;
      }
    | { method: "tools/list"; id: string | number; cursor: string | undefined };
  if (method === "tools/call") {
    const name = params?.name;
    const args = params?.arguments;
    if (typeof name !== "string" || (args !== undefined && !isRecord(args))) return undefined;
    request = { method, id: id as string | number, name, args };
  } else {
    const cursor = params?.cursor;
    if (cursor !== undefined && typeof cursor !== "string") return undefined;
    request = { method, id: id as string | number, cursor };
  }
  const headers = req.headers;
  const accept = headers.accept ?? "";
  const version = headers["mcp-protocol-version"];
  const claim = meta?.[PROTOCOL_VERSION_KEY];
  if (claim !== undefined) {
    if (claim !== MODERN || version !== MODERN || headers["mcp-method"] !== method)
      return undefined;
    const name = request.method === "tools/call" ? request.name : undefined;
    if (headers["mcp-name"] !== name) return undefined;
    if (headers["mcp-session-id"] !== undefined) return undefined;
    if (!accept.includes("application/json") && !accept.includes("*/*")) return undefined;
    // The envelope as the SDK requires it: capabilities an object, client info well-formed.
    if (!isRecord(meta![CAPABILITIES_KEY])) return undefined;
    const info = meta![CLIENT_INFO_KEY];
    if (info !== undefined && !isImplementation(info)) return undefined;
    return { ...request, era: "modern" };
  }
  const session = headers["mcp-session-id"];
  if (typeof session !== "string") return undefined;
  // As the SDK's session transport: a POST accepts both JSON and an event stream.
  if (!accept.includes("application/json") || !accept.includes("text/event-stream")) {
    return undefined;
  }
  if (version !== undefined && !LEGACY_VERSIONS.has(version as string)) return undefined;
  return { ...request, era: "legacy", session };
}

const MESSAGE_KEYS: ReadonlySet<string> = new Set(["jsonrpc", "method", "id", "params"]);
const CAPABILITIES_KEY = "io.modelcontextprotocol/clientCapabilities";
const CLIENT_INFO_KEY = "io.modelcontextprotocol/clientInfo";

function isImplementation(value: unknown): boolean {
  return isRecord(value) && typeof value.name === "string" && typeof value.version === "string";
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** A JSON-RPC error reply outside any exchange (no id), with an HTTP status. */
function rpcError(res: ServerResponse, status: number, message: string): void {
  const body = JSON.stringify({ jsonrpc: "2.0", error: { code: -32000, message }, id: null });
  res.writeHead(status, { "content-type": "application/json" }).end(body);
}
