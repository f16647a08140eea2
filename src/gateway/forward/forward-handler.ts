/**
 * Writes one upstream reply to the caller straight from undici's dispatch callbacks, and maps
 * upstream failures onto the catalogue.
 */
import type { IncomingHttpHeaders, IncomingMessage, ServerResponse } from "node:http";
import type { Dispatcher } from "undici";
import { PorticoError, UpstreamTimeoutError, UpstreamUnreachableError } from "../../errors.js";
import { drainBody, sendError } from "../../service/http/send-error.js";
import { CONNECT_FAILED, CONNECTION_BROKE } from "../upstream/failover.js";
import type { Instance, PassiveOptions } from "../upstream/instance.js";
import { responseHeaders } from "./headers.js";
import type { ForwardObservation } from "../../observe/forward-observer.js";
import { CALLER_GONE_STATUS } from "../../observe/app-metrics.js";

/**
 * Tries the call on another instance; `connectFailed` tells a call that never reached the app
 * from one reset before any reply byte. Returns false when it cannot be retried.
 */
export type Retry = (connectFailed: boolean) => boolean;

/** Replies up to this size are buffered and sent with one write; larger ones are streamed. */
export const BUFFER_LIMIT = 64 * 1024;

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
export class ForwardHandler implements Dispatcher.DispatchHandler {
  private readonly socket: Socket;
  private status = 0;
  private headers: Record<string, string | string[]> = {};
  private chunks: Buffer[] | undefined;
  private expected = NaN;
  private received = 0;
  private done = false;
  /**
   * The forwarded request's observers (metrics, logs): told once, when the reply's headers
   * come or the gateway answers an error. A retry hands it on to the next attempt's handler.
   */
  observation: ForwardObservation | undefined = undefined;

  constructor(
    private readonly req: IncomingMessage,
    private readonly res: ServerResponse,
    private readonly instance: Instance,
    private readonly timeout: number,
    private readonly passive: PassiveOptions | undefined,
    private readonly retry: Retry | undefined,
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
    if (this.observation) {
      this.observation.end(statusCode);
      this.observation = undefined;
    }
    // 502/503/504 from an app are gateway failures (its own upstream is down, it is
    // overloaded): they count towards ejection. A 500 is the app's answer to this call.
    if (statusCode >= 502 && statusCode <= 504) {
      this.instance.failed(this.passive, `answered ${statusCode}`);
    } else {
      this.instance.passed();
    }
    this.headers = responseHeaders(headers, this.req);
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
    this.finish();
    // The app answered in full before taking the whole body (a 413, say): drop the rest of it.
    drainBody(this.req);
    const chunks = this.chunks;
    if (!chunks) {
      this.res.end();
      return;
    }
    this.res.writeHead(this.status, this.headers);
    this.res.end(chunks.length === 1 ? chunks[0] : Buffer.concat(chunks));
  }

  onResponseError(_controller: Dispatcher.DispatchController, error: Error): void {
    this.finish();
    if (this.callerGone) return this.observation?.end(CALLER_GONE_STATUS); // nobody to answer
    const code = (error as { code?: string }).code ?? "";
    const connectFailed = CONNECT_FAILED.has(code);
    if (this.status === 0 && !(error instanceof PorticoError)) {
      this.instance.failed(this.passive, error.message);
      // Before any reply byte: a broken connection may still be retried (idempotent methods).
      if ((connectFailed || CONNECTION_BROKE.has(code)) && this.retry?.(connectFailed)) return;
    }
    // An app that replied in full and then closed while the body was still being sent (EPIPE,
    // ECONNRESET): its reply is the answer, not the broken pipe.
    if (this.chunks && this.status !== 0 && this.received === this.expected) {
      return this.onResponseEnd();
    }
    const reply = upstreamError(error, this.instance.url, this.timeout);
    this.observation?.end(reply.status, reply.code);
    sendError(this.res, reply);
  }

  /** Once per call, however it ends: the call no longer counts as in flight. */
  private finish(): void {
    this.socket[IN_FLIGHT] = null;
    if (this.done) return;
    this.done = true;
    this.instance.inFlight--;
  }
}

export function upstreamError(error: unknown, url: string, timeout: number): PorticoError {
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
