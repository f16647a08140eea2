/**
 * Forwarding, in one place: `/<app>/<path>?<query>` goes to the app's keep-alive undici Pool with
 * method, query, headers (minus hop-by-hop) and body passed through as bytes, and the reply's
 * status, headers and body streamed back untouched. Route lookup is one Map lookup, before any
 * framework routing.
 */
import type { IncomingHttpHeaders, IncomingMessage, ServerResponse } from "node:http";
import { Pool } from "undici";
import type { Dispatcher } from "undici";
import type { PorticoError } from "../errors.js";
import {
  AppNotRegisteredError,
  BadRequestError,
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
  "expect", // Node has answered 100-continue already; undici refuses the header
]);

/** A `.` or `..` path segment, plain or percent-encoded, before any query string. */
const DOT_SEGMENT = /^[^?]*\/(?:\.|%2e){1,2}(?:[/?]|$)/i;

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
  origin: string;
  basePath: string;
  pool: Pool;
}

/** Routes requests to registered apps. */
export class Forwarder {
  private readonly routes = new Map<string, Route>();
  /** One keep-alive pool per upstream origin, shared by the apps there, closed with the last. */
  private readonly pools = new Map<string, { pool: Pool; users: number }>();

  constructor(private readonly options: ForwarderOptions) {}

  /** Adds or replaces the route of an app; apps at a known origin reuse its warm pool. */
  set(name: string, url: string): void {
    const existing = this.routes.get(name);
    if (existing?.url === url) return;
    const parsed = new URL(url);
    this.routes.set(name, {
      url,
      origin: parsed.origin,
      basePath: parsed.pathname === "/" ? "" : parsed.pathname,
      pool: this.acquire(parsed.origin),
    });
    if (existing) this.release(existing.origin);
  }

  /** Removes the route of an app, letting its in-flight requests finish. */
  delete(name: string): void {
    const route = this.routes.get(name);
    this.routes.delete(name);
    if (route) this.release(route.origin);
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
    if (DOT_SEGMENT.test(rest)) {
      // `/app/../admin` must not reach the upstream's paths outside the app's base path.
      sendError(res, new BadRequestError("Paths with . or .. segments are not forwarded"));
      return true;
    }
    const path = route.basePath + (rest === "" || rest[0] === "?" ? `/${rest}` : rest);
    this.forward(req, res, route, path);
    return true;
  }

  /** Closes every pool. */
  async close(): Promise<void> {
    const pools = [...this.pools.values()].map((p) => p.pool.close());
    this.routes.clear();
    this.pools.clear();
    await Promise.allSettled(pools);
  }

  private acquire(origin: string): Pool {
    let shared = this.pools.get(origin);
    if (!shared) {
      const pool = new Pool(origin, {
        connections: this.options.connections,
        pipelining: 1,
        // Set once here rather than in every request's options.
        headersTimeout: this.options.upstreamTimeout,
        bodyTimeout: this.options.upstreamTimeout,
      });
      shared = { pool, users: 0 };
      this.pools.set(origin, shared);
    }
    shared.users++;
    return shared.pool;
  }

  private release(origin: string): void {
    const shared = this.pools.get(origin);
    if (!shared || --shared.users > 0) return;
    this.pools.delete(origin);
    void shared.pool.close();
  }

  private forward(req: IncomingMessage, res: ServerResponse, route: Route, path: string): void {
    const method = req.method as Dispatcher.HttpMethod;
    const length = Number(req.headers["content-length"] ?? NaN);
    const send = (body: Dispatcher.DispatchOptions["body"]): void => {
      if (req.socket.destroyed) return; // the caller left while its body was arriving
      const handler = new ForwardHandler(req, res, route.url, this.options.upstreamTimeout);
      route.pool.dispatch(
        {
          method,
          path,
          headers: requestHeaders(req),
          body,
        },
        handler,
      );
    };
    const chunked = req.headers["transfer-encoding"] !== undefined;
    if (length === 0 || (Number.isNaN(length) && !chunked)) return send(null);
    if (length <= BUFFER_LIMIT) return bufferBody(req, send);
    send(req);
  }
}

const IN_FLIGHT = Symbol("portico.inFlight");
type Socket = IncomingMessage["socket"] & { [IN_FLIGHT]?: Dispatcher.DispatchController | null };

/**
 * Writes one upstream reply to the caller straight from undici's dispatch callbacks (no stream
 * objects per request). Small replies of known length are buffered and sent with one write;
 * others are streamed with backpressure. A caller that goes away cancels the upstream request:
 * an HTTP/1.1 caller gives up only by closing its connection, so one `close` listener per
 * connection aborts whatever request is in flight on it (a listener or AbortController per
 * request costs several percent of throughput).
 */
class ForwardHandler implements Dispatcher.DispatchHandler {
  private readonly socket: Socket;
  private status = 0;
  private headers: Record<string, string | string[]> = {};
  private chunks: Buffer[] | undefined;

  constructor(
    req: IncomingMessage,
    private readonly res: ServerResponse,
    private readonly url: string,
    private readonly timeout: number,
  ) {
    const socket = req.socket as Socket;
    this.socket = socket;
    if (socket[IN_FLIGHT] === undefined) {
      socket[IN_FLIGHT] = null;
      socket.once("close", () => socket[IN_FLIGHT]?.abort(new Error("caller went away")));
    }
  }

  get callerGone(): boolean {
    return this.socket.destroyed;
  }

  onRequestStart(controller: Dispatcher.DispatchController): void {
    // A request that waited in a busy pool may have lost its caller meanwhile.
    if (this.callerGone) return controller.abort(new Error("caller went away"));
    this.socket[IN_FLIGHT] = controller;
  }

  onResponseStart(
    _controller: Dispatcher.DispatchController,
    statusCode: number,
    headers: IncomingHttpHeaders,
  ): void {
    if (statusCode < 200) return; // 1xx informational replies are not passed on
    this.status = statusCode;
    this.headers = responseHeaders(headers);
    const length = Number(headers["content-length"] ?? NaN);
    if (length <= BUFFER_LIMIT) this.chunks = [];
    else this.res.writeHead(statusCode, this.headers);
  }

  onResponseData(controller: Dispatcher.DispatchController, chunk: Buffer): void {
    if (this.chunks) {
      this.chunks.push(chunk);
    } else if (!this.res.write(chunk)) {
      controller.pause();
      this.res.once("drain", () => controller.resume());
    }
  }

  onResponseEnd(): void {
    this.socket[IN_FLIGHT] = null;
    const chunks = this.chunks;
    if (!chunks) {
      this.res.end();
      return;
    }
    this.res.writeHead(this.status, this.headers);
    this.res.end(chunks.length === 1 ? chunks[0] : Buffer.concat(chunks));
  }

  onResponseError(_controller: Dispatcher.DispatchController, error: Error): void {
    this.socket[IN_FLIGHT] = null;
    if (this.callerGone) return; // nobody is left to answer
    sendError(this.res, upstreamError(error, this.url, this.timeout));
  }
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
function connectionTokens(headers: IncomingHttpHeaders): Set<string> | undefined {
  const value = headers.connection;
  if (!value || value === "keep-alive" || value === "close") return undefined;
  const list = Array.isArray(value) ? value.join(",") : value;
  return new Set(list.split(",").map((t) => t.trim().toLowerCase()));
}

function responseHeaders(upstream: IncomingHttpHeaders): Record<string, string | string[]> {
  const headers: Record<string, string | string[]> = {};
  const listed = connectionTokens(upstream);
  for (const key in upstream) {
    const value = upstream[key];
    if (value !== undefined && !HOP_BY_HOP.has(key) && !listed?.has(key)) headers[key] = value;
  }
  return headers;
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
