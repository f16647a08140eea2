/**
 * Forwarding, in one place: `/<app>/<path>?<query>` goes to the app's keep-alive undici Pool with
 * method, query, headers (minus hop-by-hop, plus the gateway's own `X-Forwarded-*` and `Via`) and
 * body passed through as bytes, and the reply's status, headers and body streamed back untouched.
 * Route lookup is one Map lookup, before any framework routing; the access policy runs here too,
 * since fastify's hooks never see this traffic.
 */
import type { IncomingHttpHeaders, IncomingMessage, ServerResponse } from "node:http";
import { PassThrough, Transform } from "node:stream";
import type { TransformCallback } from "node:stream";
import type { Dispatcher, Pool } from "undici";
import {
  PorticoError,
  AppNotRegisteredError,
  BadRequestError,
  ForbiddenError,
  MethodNotAllowedError,
  PayloadTooLargeError,
  UpstreamBusyError,
  UpstreamTimeoutError,
  UpstreamUnreachableError,
} from "../errors.js";
import { listHasAddress } from "../net/address.js";
import { clipText } from "../net/url.js";
import { FORWARDED_METHODS } from "../contract/endpoint.js";
import { carriesOwnCredential } from "../security/policy.js";
import type { AccessPolicy } from "../security/policy.js";
import type { AccessAction } from "../security/options.js";
import { drainBody, sendError } from "../service/http/send-error.js";
import type { Upstreams } from "./upstream/upstreams.js";

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
  "via", // rewritten with this gateway's entry
]);

/** What a client says about earlier hops: dropped unless it is a trusted proxy. */
const CLIENT_FORWARDING = new Set([
  "x-forwarded-for",
  "x-forwarded-proto",
  "x-forwarded-host",
  "forwarded",
  "x-real-ip",
]);

const ALLOWED_METHODS = new Set<string>(FORWARDED_METHODS);
const ALLOW_HEADER = FORWARDED_METHODS.join(", ");

/** Bodies up to this size are buffered (faster for small JSON); larger ones are streamed. */
const BUFFER_LIMIT = 64 * 1024;

/** Options of the forwarder. */
export interface ForwarderOptions {
  upstreams: Upstreams;
  policy: AccessPolicy;
  /** Largest forwarded request body in bytes. */
  maxBodyBytes: number;
  /** Requests in flight per app before 503 UPSTREAM_BUSY (0: no cap). */
  maxInFlightPerApp: number;
  /** Endpoint names that stop or reconfigure a service: forwarded only with the admin token. */
  adminEndpoints: ReadonlySet<string>;
  /**
   * Called when a request names an app this gateway does not know: resolves true once it is
   * known (registered on another replica a moment ago), false for a 404.
   */
  onUnknownApp?: (name: string) => Promise<boolean>;
}

interface Route {
  name: string;
  url: string;
  origin: string;
  basePath: string;
  pool: Pool;
  inFlight: number;
}

/** Routes requests to registered apps. */
export class Forwarder {
  private readonly routes = new Map<string, Route>();
  private readonly upstreams: Upstreams;
  private readonly policy: AccessPolicy;

  constructor(private readonly options: ForwarderOptions) {
    this.upstreams = options.upstreams;
    this.policy = options.policy;
  }

  /** Adds or replaces the route of an app; apps at a known origin reuse its warm pool. */
  set(name: string, url: string): void {
    const existing = this.routes.get(name);
    if (existing?.url === url) return;
    const parsed = new URL(url);
    this.routes.set(name, {
      name,
      url,
      origin: parsed.origin,
      basePath: parsed.pathname === "/" ? "" : parsed.pathname,
      pool: this.upstreams.acquire(parsed.origin),
      inFlight: 0,
    });
    if (existing) this.upstreams.release(existing.origin);
  }

  /** Removes the route of an app, letting its in-flight requests finish. */
  delete(name: string): void {
    const route = this.routes.get(name);
    this.routes.delete(name);
    if (route) this.upstreams.release(route.origin);
  }

  /**
   * Handles `req` when its first path segment names an app, or when it has two or more segments
   * (an unknown app then gets 404 APP_NOT_REGISTERED). Returns false to let the service route it.
   */
  handle(req: IncomingMessage, res: ServerResponse): boolean {
    const url = req.url ?? "/";
    if (url.charCodeAt(0) !== 47 /* "/" */) {
      // An absolute-form target (`GET http://x/y`) or `*`: not a path of ours.
      sendError(res, new BadRequestError("Only origin-form request targets (/path) are served"));
      return true;
    }
    let end = url.indexOf("/", 1);
    const query = url.indexOf("?");
    const nested = end !== -1 && (query === -1 || end < query);
    if (!nested) end = query === -1 ? url.length : query;
    const route = this.routes.get(url.slice(1, end));
    if (!route && !nested) return false;
    const rest = url.slice(end);
    const restPath = query === -1 ? rest : url.slice(end, query < end ? end : query);
    const refusal = this.refuse(req, res, rest, restPath);
    if (refusal === true) return true;
    const action: AccessAction = refusal;
    const denied =
      this.policy.check(req, action) ??
      (action === "admin" && !this.policy.hasAdminToken
        ? new ForbiddenError(
            "Forwarded calls to an app's admin endpoints need the gateway's adminToken, and none is configured",
          )
        : undefined);
    if (denied) {
      sendError(res, denied);
      return true;
    }
    if (!route) {
      this.unknownApp(req, res, url.slice(1, end), rest, action);
      return true;
    }
    this.proceed(req, res, route, rest, action);
    return true;
  }

  /** Closes every route (the pools belong to the upstream module). */
  close(): void {
    for (const name of [...this.routes.keys()]) this.delete(name);
  }

  /** A request for an app not in the table: wait for the feed (bounded), then 404 or forward. */
  private unknownApp(
    req: IncomingMessage,
    res: ServerResponse,
    raw: string,
    rest: string,
    action: AccessAction,
  ): void {
    const notFound = (): void => {
      const name = clipText(decodeSafe(raw));
      sendError(
        res,
        new AppNotRegisteredError(`App "${name}" is not registered`, { data: { name } }),
      );
    };
    const wait = this.options.onUnknownApp;
    if (!wait) return notFound();
    void wait(raw).then((known) => {
      const route = known ? this.routes.get(raw) : undefined;
      if (!route) return notFound();
      this.proceed(req, res, route, rest, action);
    }, notFound);
  }

  private proceed(
    req: IncomingMessage,
    res: ServerResponse,
    route: Route,
    rest: string,
    action: AccessAction,
  ): void {
    const path = route.basePath + (rest === "" || rest[0] === "?" ? `/${rest}` : rest);
    const hook = this.policy.authorize(req, action, route.name);
    if (hook === undefined) {
      this.forward(req, res, route, path);
    } else {
      void hook.then((error) => {
        if (error) sendError(res, error);
        else this.forward(req, res, route, path);
      });
    }
  }

  /**
   * Refuses what is never forwarded (sending the error and returning true), else returns the
   * request's access action: `admin` when it reaches one of the app's admin endpoints.
   */
  private refuse(
    req: IncomingMessage,
    res: ServerResponse,
    rest: string,
    restPath: string,
  ): AccessAction | true {
    const method = req.method ?? "GET";
    if (!ALLOWED_METHODS.has(method)) {
      res.setHeader("allow", ALLOW_HEADER);
      sendError(
        res,
        new MethodNotAllowedError(
          `${clipText(method)} is not forwarded (allowed: ${ALLOW_HEADER})`,
        ),
      );
      return true;
    }
    if (unsafePath(restPath)) {
      // `/app/..%2Fadmin` must not reach the upstream's paths outside the app's base path.
      sendError(
        res,
        new BadRequestError(
          "Paths with . or .. segments, encoded slashes (%2F, %5C) or bad percent-encoding are not forwarded",
        ),
      );
      return true;
    }
    const length = Number(req.headers["content-length"] ?? 0);
    if (length > this.options.maxBodyBytes) {
      sendError(res, tooLarge(this.options.maxBodyBytes));
      return true;
    }
    return this.options.adminEndpoints.has(firstSegment(rest)) ? "admin" : "call";
  }

  private forward(req: IncomingMessage, res: ServerResponse, route: Route, path: string): void {
    const cap = this.options.maxInFlightPerApp;
    if (cap > 0) {
      if (route.inFlight >= cap) {
        sendError(
          res,
          new UpstreamBusyError(`App "${route.name}" has ${cap} requests in flight already`, {
            data: { name: route.name, maxInFlight: cap },
          }),
        );
        return;
      }
      route.inFlight++;
      res.once("close", () => route.inFlight--);
    }
    const method = req.method as Dispatcher.HttpMethod;
    const length = Number(req.headers["content-length"] ?? NaN);
    const headers = this.requestHeaders(req);
    const send = (body: Dispatcher.DispatchOptions["body"]): void => {
      if (req.socket.destroyed) return; // the caller left while its body was arriving
      const handler = new ForwardHandler(
        req,
        res,
        route.url,
        this.upstreams.options.upstreamTimeout,
      );
      route.pool.dispatch({ method, path, headers, body }, handler);
    };
    const chunked = req.headers["transfer-encoding"] !== undefined;
    if (length === 0 || (Number.isNaN(length) && !chunked)) return send(null);
    if (length <= BUFFER_LIMIT) return bufferBody(req, send);
    // Node's parser stops a body at its Content-Length; a chunked one is counted as it passes.
    // undici destroys the body it was given when the app answers early: never hand it `req`
    // itself, whose rest must then be drained so the caller's connection stays usable.
    const max = this.options.maxBodyBytes;
    send(req.pipe(Number.isNaN(length) ? new BodyLimit(max) : new PassThrough()));
  }

  private requestHeaders(req: IncomingMessage): Record<string, string | string[]> {
    const out: Record<string, string | string[]> = {};
    const headers = req.headers;
    const listed = connectionTokens(headers);
    const client = req.socket.remoteAddress ?? "";
    const trusted = this.trusts(client);
    const ownCredential = carriesOwnCredential(req);
    for (const key in headers) {
      const value = headers[key];
      if (value === undefined || HOP_BY_HOP.has(key) || listed?.has(key)) continue;
      if (!trusted && CLIENT_FORWARDING.has(key)) continue;
      if (ownCredential && key === "authorization") continue; // the gateway's token stays here
      out[key] = value;
    }
    const earlier = trusted ? headers["x-forwarded-for"] : undefined;
    out["x-forwarded-for"] = earlier ? `${String(earlier)}, ${client}` : client;
    if (!trusted || out["x-forwarded-proto"] === undefined) out["x-forwarded-proto"] = "http";
    if ((!trusted || out["x-forwarded-host"] === undefined) && headers.host) {
      out["x-forwarded-host"] = headers.host;
    }
    const via = headers.via;
    out.via = via ? `${via}, ${this.policy.via}` : this.policy.via;
    return out;
  }

  private trusts(address: string): boolean {
    const trust = this.policy.trustProxy;
    return trust === true || (trust !== false && listHasAddress(trust, address));
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
  private expected = NaN;
  private received = 0;

  constructor(
    private readonly req: IncomingMessage,
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
    this.expected = length;
    if (length <= BUFFER_LIMIT) this.chunks = [];
    else this.res.writeHead(statusCode, this.headers);
  }

  onResponseData(controller: Dispatcher.DispatchController, chunk: Buffer): void {
    if (this.chunks) {
      this.received += chunk.length;
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
    // The app answered before taking the whole body (a 413, say): drop the rest of it.
    drainBody(this.req);
    this.res.writeHead(this.status, this.headers);
    this.res.end(chunks.length === 1 ? chunks[0] : Buffer.concat(chunks));
  }

  onResponseError(_controller: Dispatcher.DispatchController, error: Error): void {
    this.socket[IN_FLIGHT] = null;
    if (this.callerGone) return; // nobody is left to answer
    // An app that replied in full and then closed while the body was still being sent (EPIPE,
    // ECONNRESET): its reply is the answer, not the broken pipe.
    if (this.chunks && this.status !== 0 && this.received === this.expected) {
      return this.onResponseEnd();
    }
    sendError(this.res, upstreamError(error, this.url, this.timeout));
  }
}

function bufferBody(req: IncomingMessage, send: (body: Buffer) => void): void {
  const chunks: Buffer[] = [];
  req.on("data", (chunk: Buffer) => chunks.push(chunk));
  req.on("end", () => send(chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks)));
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
  if (error instanceof PorticoError) return error; // the guard's refusal, or a body over the limit
  const code = (error as { code?: string }).code;
  if (code === "UND_ERR_HEADERS_TIMEOUT" || code === "UND_ERR_BODY_TIMEOUT") {
    return new UpstreamTimeoutError(`App at ${url} did not answer within ${timeout} ms`, {
      cause: error,
      data: { url, timeout },
    });
  }
  if (code === "UND_ERR_CONNECT_TIMEOUT") {
    return new UpstreamTimeoutError(`App at ${url} did not accept a connection in time`, {
      cause: error,
      data: { url },
    });
  }
  return new UpstreamUnreachableError(`App at ${url} is unreachable: ${(error as Error).message}`, {
    cause: error,
    data: { url, cause: code },
  });
}

/**
 * True when a path (query excluded) could leave the app's base path on some upstream: a `.` or
 * `..` segment once percent-decoded, an encoded `/` or `\` (nginx decodes `%2F`), a literal `\`
 * (some servers read it as `/`), a `#`, or percent-encoding that does not decode. A segment's
 * `;parameters` are ignored first.
 */
export function unsafePath(path: string): boolean {
  const encoded = path.includes("%");
  if (!encoded && !path.includes("/.") && !path.includes("\\") && !path.includes("#")) {
    return false;
  }
  // A `#` is no part of a request target (RFC 9112 §3.2); an upstream may cut the path there.
  if (path.includes("#")) return true;
  if (encoded && /%(?:2f|5c)/i.test(path)) return true;
  if (path.includes("\\")) return true;
  for (const segment of path.split("/")) {
    let decoded = segment;
    if (encoded) {
      try {
        decoded = decodeURIComponent(segment);
      } catch {
        return true;
      }
    }
    // `..;x` is `..` to servers that read `;` as a parameter separator (Tomcat, Jetty).
    const name = decoded.includes(";") ? decoded.slice(0, decoded.indexOf(";")) : decoded;
    if (name === "." || name === "..") return true;
  }
  return false;
}

/** The first non-empty path segment of `rest` (`/x/y?q` -> `x`), decoded, in lower case. */
function firstSegment(rest: string): string {
  let start = 0;
  while (rest.charCodeAt(start) === 47) start++;
  let end = start;
  while (end < rest.length && rest.charCodeAt(end) !== 47 && rest.charCodeAt(end) !== 63) end++;
  return decodeSafe(rest.slice(start, end)).toLowerCase();
}

/** A streamed request body that fails with 413 once it passes `max` bytes. */
class BodyLimit extends Transform {
  private size = 0;

  constructor(private readonly max: number) {
    super();
  }

  override _transform(chunk: Buffer, _encoding: string, callback: TransformCallback): void {
    this.size += chunk.length;
    if (this.size > this.max) return callback(tooLarge(this.max));
    callback(null, chunk);
  }
}

function tooLarge(max: number): PayloadTooLargeError {
  return new PayloadTooLargeError(`Request body exceeds the gateway's limit of ${max} bytes`, {
    data: { maxBodyBytes: max },
  });
}

function decodeSafe(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}
