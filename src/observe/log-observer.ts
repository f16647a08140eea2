/**
 * Log lines of forwarded requests, which never pass fastify's hooks: one at debug level per
 * request (app, method, path, status, duration, request id, trace ids), and one at warn level
 * instead when the reply is an error (the gateway's own error reply, or an app's 5xx).
 */
import type { IncomingMessage } from "node:http";
import { performance } from "node:perf_hooks";
import type { Logger } from "pino";
import type { ForwardObservation, ForwardObserver } from "./forward-observer.js";
import { REQUEST_ID_HEADER } from "./request-id.js";
import { hopOf } from "./trace-context.js";

/**
 * The logging observer of a gateway with logger `log`; undefined when nothing would be logged
 * (no logger, or one quieter than warn), so forwarding pays nothing for it. The level is read
 * once, here: changing it later does not add or remove debug lines.
 */
export function createLogObserver(log: Logger | undefined): ForwardObserver | undefined {
  if (!log?.isLevelEnabled("warn")) return undefined;
  const debug = log.isLevelEnabled("debug");
  return { start: (req, app) => new ForwardLogLine(log, debug, req, app) };
}

/** One forwarded request being timed. */
class ForwardLogLine implements ForwardObservation {
  private readonly started = performance.now();

  constructor(
    private readonly log: Logger,
    private readonly debug: boolean,
    private readonly req: IncomingMessage,
    private readonly app: string,
  ) {}

  end(status: number, code?: string): void {
    const failed = code !== undefined || status >= 500;
    if (!failed && !this.debug) return;
    const req = this.req;
    const hop = hopOf(req);
    const line = {
      reqId: req.headers[REQUEST_ID_HEADER],
      app: this.app,
      method: req.method,
      path: pathOf(req.url),
      status,
      ...(code === undefined ? {} : { code }),
      durationMs: Math.round((performance.now() - this.started) * 100) / 100,
      traceId: hop.traceId,
      spanId: hop.spanId,
    };
    if (!failed) this.log.debug(line, "forwarded");
    else this.log.warn(line, code === undefined ? "app answered with an error" : "gateway error");
  }
}

/** The path of a request target without its query string (which may hold secrets). */
export function pathOf(url: string | undefined): string {
  const target = url ?? "/";
  const query = target.indexOf("?");
  return query === -1 ? target : target.slice(0, query);
}
