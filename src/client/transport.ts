/**
 * HTTP transport of every client: one keep-alive undici Pool per origin, JSON in and out, and
 * the mapping of transport failures and error replies onto the error catalogue.
 */
import { setImmediate as nextTurn } from "node:timers/promises";
import { Client, Pool } from "undici";
import type { Dispatcher } from "undici";
import { parseHttpUrl } from "../net/url.js";
import { probeHeartbeat } from "./probe.js";
import type { ProbeOptions, ProbeResult } from "./probe.js";
import { ReplyCollector } from "./reply-collector.js";
import type { RawReply } from "./reply-collector.js";
import type { PorticoError } from "../errors.js";
import {
  InvalidOptionsError,
  RequestAbortedError,
  ServiceUnavailableError,
  errorFromWire,
} from "../errors.js";
import { ABORT_REASON, TIMEOUT_REASON, toTransportError } from "./transport-errors.js";

/** Per-call options accepted by every client method. */
export interface CallOptions {
  /** Milliseconds before the call rejects with `REQUEST_TIMEOUT` (default: the client's). */
  timeout?: number;
  /** Aborts the call (`REQUEST_ABORTED`). */
  signal?: AbortSignal;
  /** Validate input before sending (default true). */
  validateInput?: boolean;
  /** Parse the reply with the output schema (default true). */
  validateOutput?: boolean;
  /** Extra request headers. */
  headers?: Record<string, string>;
}

/** Options of a transport. */
export interface TransportOptions {
  /** Default per-call timeout in ms (60 s). */
  timeout?: number;
  /** Maximum sockets to the origin (default 64). */
  connections?: number;
  /**
   * Sent as `Authorization: Bearer <token>` with every request (`$PORTICO_TOKEN`, read once when
   * the transport is built; `""` sends none even when that is set). A per-call header wins.
   */
  token?: string;
}

/** Normalises a base URL: absolute http(s), no trailing slash. */
export function normalizeUrl(url: string | URL): URL {
  const parsed = parseHttpUrl(
    String(url),
    (message, cause) => new InvalidOptionsError(message, { cause }),
  );
  parsed.pathname = parsed.pathname.replace(/\/+$/, "");
  parsed.search = "";
  parsed.hash = "";
  return parsed;
}

/** One HTTP reply, its body parsed as JSON when it says it is JSON. */
export interface TransportReply {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: unknown;
}

/** A keep-alive connection pool to one service (or gateway). */
export class HttpTransport {
  /** Base URL without trailing slash, e.g. `http://127.0.0.1:8080`. */
  readonly url: string;
  readonly basePath: string;
  readonly defaultTimeout: number;
  private readonly origin: string;
  private readonly pool: Pool;
  /** The connection of `openStream` (made on first use). */
  private streams: Client | undefined;
  private closed = false;
  // Built once, shared by every request (undici only reads them); `#` keeps the token out of
  // `util.inspect` and logs of this object.
  readonly #bareHeaders: Record<string, string> | undefined;
  readonly #jsonHeaders: Record<string, string>;

  /** @internal The `Authorization` header of this client's token (for `mcp()`), if any. */
  authHeaders(): Record<string, string> | undefined {
    return this.#bareHeaders && { ...this.#bareHeaders };
  }

  constructor(url: string | URL, options: TransportOptions = {}) {
    const parsed = normalizeUrl(url);
    this.url = parsed.href.replace(/\/+$/, "");
    this.basePath = parsed.pathname === "/" ? "" : parsed.pathname;
    this.defaultTimeout = options.timeout ?? 60_000;
    const token = options.token ?? process.env.PORTICO_TOKEN;
    if (token) {
      assertToken(token, "The client token");
      const authorization = `Bearer ${token}`;
      this.#bareHeaders = { authorization };
      this.#jsonHeaders = { ...JSON_HEADERS, authorization };
    } else {
      this.#bareHeaders = undefined;
      this.#jsonHeaders = JSON_HEADERS;
    }
    this.origin = parsed.origin;
    this.pool = new Pool(parsed.origin, {
      connections: options.connections ?? 64,
      keepAliveTimeout: 4_000,
    });
  }

  /** Sends one request and returns the reply, whatever its status. */
  async send(
    method: Dispatcher.HttpMethod,
    path: string,
    body: string | undefined,
    options: CallOptions = {},
  ): Promise<TransportReply> {
    if (this.closed) throw new ServiceUnavailableError(`Client for ${this.url} is closed`);
    const timeout = options.timeout ?? this.defaultTimeout;
    if (options.signal?.aborted) {
      throw new RequestAbortedError(`${method} ${this.url}${path} was aborted before it was sent`);
    }
    const collector = new ReplyCollector();
    const timer = setTimeout(() => collector.abort(TIMEOUT_REASON), timeout);
    const signal = options.signal;
    const onAbort = (): void => collector.abort(ABORT_REASON);
    signal?.addEventListener("abort", onAbort, { once: true });
    const own = body === undefined ? this.#bareHeaders : this.#jsonHeaders;
    const headers = options.headers === undefined ? own : mergeHeaders(own, options.headers);
    try {
      this.pool.dispatch({ method, path: this.basePath + path, headers, body }, collector);
      const reply = await collector.done;
      // undici (pipelining 1) hands the socket back to the pool one event-loop turn after the
      // reply: wait for it, or a caller's next call finds it busy and the pool opens another.
      await nextTurn();
      return { status: reply.status, headers: reply.headers, body: decodeBody(reply) };
    } catch (error) {
      throw this.mapError(error, `${method} ${this.url}${path}`, timeout);
    } finally {
      clearTimeout(timer);
      signal?.removeEventListener("abort", onAbort);
    }
  }

  /** Sends JSON, returns the parsed JSON reply, and throws the rebuilt error on a non-2xx reply. */
  async call(
    method: Dispatcher.HttpMethod,
    path: string,
    payload: unknown,
    options: CallOptions = {},
  ): Promise<unknown> {
    const body = payload === undefined ? undefined : JSON.stringify(payload);
    const reply = await this.send(method, path, body, options);
    if (reply.status >= 200 && reply.status < 300) return reply.body;
    throw errorFromWire(reply.status, reply.body, `${method} ${this.url}${path}`);
  }

  /**
   * Probes the service's heartbeat over this transport's pool, with its token (a warm socket
   * stays for the calls that follow). Never rejects.
   */
  probe(options: Omit<ProbeOptions, "path" | "origin"> = {}): Promise<ProbeResult> {
    if (this.closed) {
      const error = new ServiceUnavailableError(`Client for ${this.url} is closed`);
      return Promise.resolve({ ok: false, error });
    }
    const headers = mergeHeaders(this.#bareHeaders, options.headers ?? {});
    return probeHeartbeat(this.pool, {
      ...options,
      headers,
      path: `${this.basePath}/heartbeat`,
      origin: this.origin,
    });
  }

  /**
   * Opens a GET whose body arrives over time (a gateway's `/events`), with the client's token. It
   * gets a connection of its own rather than one of the pool's: it holds it for as long as it
   * lives (with `connections: 1`, calls would wait behind it forever), and `close()` ends it
   * rather than wait for a stream that never ends by itself.
   */
  async openStream(
    path: string,
    options: { signal: AbortSignal; headers?: Record<string, string>; bodyTimeout?: number },
  ): Promise<Dispatcher.ResponseData> {
    if (this.closed) throw new ServiceUnavailableError(`Client for ${this.url} is closed`);
    const { signal, bodyTimeout } = options;
    const headers = mergeHeaders(this.#bareHeaders, options.headers ?? {});
    try {
      this.streams ??= new Client(this.origin, { keepAliveTimeout: 1_000 });
      return await this.streams.request({
        method: "GET",
        path: this.basePath + path,
        headers,
        signal,
        bodyTimeout,
      });
    } catch (error) {
      throw this.mapError(error, `GET ${this.url}${path}`, this.defaultTimeout);
    }
  }

  /** Closes the pool's sockets (and ends an open stream); idempotent. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await Promise.all([this.pool.close(), this.streams?.destroy()]);
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }

  private mapError(error: unknown, what: string, timeout: number): PorticoError {
    return toTransportError(error, { what, url: this.url, timeout });
  }
}

const JSON_HEADERS = { "content-type": "application/json" };

/**
 * Refuses a bearer token that cannot travel in an `Authorization` header (empty, spaces, control
 * or non-ASCII characters) with INVALID_OPTIONS; the message never shows the token.
 */
export function assertToken(token: string, what = "The token"): void {
  if (!/^[\x21-\x7e]+$/.test(token)) {
    throw new InvalidOptionsError(
      `${what} must be visible ASCII characters without spaces (the value is not shown)`,
    );
  }
}

/** The transport's headers overridden by a call's own, whatever case the call spells them in. */
function mergeHeaders(
  own: Record<string, string> | undefined,
  extra: Record<string, string>,
): Record<string, string> {
  const merged: Record<string, string> = { ...own };
  for (const [name, value] of Object.entries(extra)) {
    const lower = name.toLowerCase();
    if (lower !== name) delete merged[lower];
    merged[name] = value;
  }
  return merged;
}

function decodeBody(reply: RawReply): unknown {
  const type = reply.headers["content-type"];
  const text = reply.body.toString("utf8");
  if (text.length === 0) return undefined;
  if (typeof type === "string" && type.includes("json")) {
    try {
      return JSON.parse(text);
    } catch {
      return text;
    }
  }
  return text;
}
