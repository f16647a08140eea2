/**
 * Forwarding, in one place: `/<app>/<path>?<query>` goes to the app's keep-alive undici Pool with
 * method, query, headers (minus hop-by-hop) and body passed through as bytes, and the reply's
 * status, headers and body streamed back untouched. Route lookup is one Map lookup, before any
 * framework routing.
 */
import type { IncomingHttpHeaders, IncomingMessage, ServerResponse } from "node:http";
import { EventEmitter } from "node:events";
import { pipeline } from "node:stream";
import { Pool } from "undici";
import type { Dispatcher } from "undici";
import type { PorticoError } from "../errors.js";
import {
  AppNotRegisteredError,
  UpstreamTimeoutError,
  UpstreamUnreachableError,
} from "../errors.js";

/** Hop-by-hop headers (RFC 9110 §7.6.1) and `host`, never passed on. */
const HOP_BY_HOP = new Set([
  "connection",
  "keep-alive",
  "proxy-connection",
  "proxy-authenticate",
  "proxy-authorization",
  "te",
  "trailer",
  "transfer-encoding",
  "upgrade",
  "host",
]);

/** Bodies up to this size are buffered (faster for small JSON); larger ones are streamed. */
const BUFFER_LIMIT = 64 * 1024;

/** Options of the forwarder. */
export interface ForwarderOptions {
  /** Milliseconds the app may take to send headers, and between body chunks (30 s). */
  upstreamTimeout: number;
  /** Sockets per app (128). */
  connections: number;
}

interface Route {
  url: string;
  basePath: string;
  pool: Pool;
}

/** Routes requests to registered apps. */
export class Forwarder {
  private readonly routes = new Map<string, Route>();

  constructor(private readonly options: ForwarderOptions) {}

  /** Adds or replaces the route of an app; an unchanged URL keeps its warm pool. */
  set(name: string, url: string): void {
    const existing = this.routes.get(name);
    if (existing?.url === url) return;
    const parsed = new URL(url);
    this.routes.set(name, {
      url,
      basePath: parsed.pathname === "/" ? "" : parsed.pathname,
      pool: new Pool(parsed.origin, { connections: this.options.connections, pipelining: 1 }),
    });
    if (existing) void existing.pool.close();
  }

  /** Removes the route of an app, letting its in-flight requests finish. */
  delete(name: string): void {
    const route = this.routes.get(name);
    this.routes.delete(name);
    if (route) void route.pool.close();
  }

  /**
   * Handles `req` when its first path segment names an app, or when it has two or more segments
   * (an unknown app then gets 404 APP_NOT_REGISTERED). Returns false to let the service route it.
   */
  handle(req: IncomingMessage, res: ServerResponse): boolean {
    const url = req.url ?? "/";
    let end = url.indexOf("/", 1);
    const query = url.indexOf("?");
    const nested = end !== -1 && (query === -1 || end < query);
    if (!nested) end = query === -1 ? url.length : query;
    const name = url.slice(1, end);
    const route = this.routes.get(name);
    if (!route) {
      if (!nested) return false;
      const error = new AppNotRegisteredError(`App "${decodeSafe(name)}" is not registered`, {
        data: { name: decodeSafe(name) },
      });
      sendError(res, error);
      return true;
    }
    const rest = url.slice(end);
    const path = route.basePath + (rest === "" || rest[0] === "?" ? `/${rest}` : rest);
    this.forward(req, res, route, path);
    return true;
  }

  /** Closes every pool. */
  async close(): Promise<void> {
    const pools = [...this.routes.values()].map((r) => r.pool.close());
    this.routes.clear();
    await Promise.allSettled(pools);
  }

  private forward(req: IncomingMessage, res: ServerResponse, route: Route, path: string): void {
    const method = req.method as Dispatcher.HttpMethod;
    const headers = requestHeaders(req);
    const length = Number(req.headers["content-length"] ?? NaN);
    // A caller that goes away cancels the upstream request: otherwise it would hold one of the
    // app's pooled sockets until upstreamTimeout, queueing the callers behind it.
    const caller = callerOf(req);
    const send = (body: Dispatcher.DispatchOptions["body"]): void => {
      if (caller.aborted) return;
      route.pool
        .request({
          method,
          path,
          headers,
          body,
          signal: caller,
          headersTimeout: this.options.upstreamTimeout,
          bodyTimeout: this.options.upstreamTimeout,
        })
        .then(
          (upstream) => reply(res, upstream),
          (error) => {
            if (caller.aborted) return; // nobody is left to answer
            sendError(res, upstreamError(error, route.url, this.options.upstreamTimeout));
          },
        );
    };
    if (method === "GET" || method === "HEAD" || length === 0) return send(null);
    if (length <= BUFFER_LIMIT) return bufferBody(req, send);
    send(req);
  }
}

/**
 * Aborts when the caller's connection closes: an HTTP/1.1 caller gives up only by closing it. One
 * per connection, shared by its keep-alive requests (undici takes an EventEmitter as a signal),
 * because an AbortController and a listener per request cost several percent of throughput.
 */
class CallerGone extends EventEmitter {
  aborted = false;

  abort(): void {
    this.aborted = true;
    this.emit("abort");
  }
}

const CALLER = Symbol("portico.caller");

function callerOf(req: IncomingMessage): CallerGone {
  const socket = req.socket as IncomingMessage["socket"] & { [CALLER]?: CallerGone };
  let caller = socket[CALLER];
  if (!caller) {
    const created = new CallerGone();
    socket[CALLER] = caller = created;
    socket.once("close", () => created.abort());
  }
  return caller;
}

function bufferBody(req: IncomingMessage, send: (body: Buffer) => void): void {
  const chunks: Buffer[] = [];
  req.on("data", (chunk: Buffer) => chunks.push(chunk));
  req.on("end", () => send(chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks)));
}

function requestHeaders(req: IncomingMessage): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {};
  const listed = connectionTokens(req.headers);
  for (const key in req.headers) {
    const value = req.headers[key];
    if (value === undefined || HOP_BY_HOP.has(key) || listed?.has(key)) continue;
    out[key] = value;
  }
  const forwarded = req.headers["x-forwarded-for"];
  const client = req.socket.remoteAddress ?? "";
  out["x-forwarded-for"] = forwarded ? `${String(forwarded)}, ${client}` : client;
  if (req.headers.host) out["x-forwarded-host"] = req.headers.host;
  return out;
}

/** Header names listed in `Connection` (RFC 9110 §7.6.1): they concern this hop only. */
function connectionTokens(
  headers: IncomingHttpHeaders | Dispatcher.ResponseData["headers"],
): Set<string> | undefined {
  const value = headers.connection;
  if (!value || value === "keep-alive" || value === "close") return undefined;
  const list = Array.isArray(value) ? value.join(",") : value;
  return new Set(list.split(",").map((t) => t.trim().toLowerCase()));
}

function reply(res: ServerResponse, upstream: Dispatcher.ResponseData): void {
  const headers: Record<string, string | string[]> = {};
  const listed = connectionTokens(upstream.headers);
  for (const key in upstream.headers) {
    const value = upstream.headers[key];
    if (value !== undefined && !HOP_BY_HOP.has(key) && !listed?.has(key)) headers[key] = value;
  }
  res.writeHead(upstream.statusCode, headers);
  pipeline(upstream.body, res, () => undefined);
}

function upstreamError(error: unknown, url: string, timeout: number): PorticoError {
  const code = (error as { code?: string }).code;
  if (code === "UND_ERR_HEADERS_TIMEOUT" || code === "UND_ERR_BODY_TIMEOUT") {
    return new UpstreamTimeoutError(`App at ${url} did not answer within ${timeout} ms`, {
      cause: error,
      data: { url, timeout },
    });
  }
  return new UpstreamUnreachableError(`App at ${url} is unreachable: ${(error as Error).message}`, {
    cause: error,
    data: { url, cause: code },
  });
}

function sendError(res: ServerResponse, error: PorticoError): void {
  if (res.headersSent) {
    res.destroy(error);
    return;
  }
  const body = JSON.stringify(error.toJSON());
  res.writeHead(error.status, {
    "content-type": "application/json; charset=utf-8",
    "content-length": Buffer.byteLength(body),
  });
  res.end(body);
}

function decodeSafe(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}
