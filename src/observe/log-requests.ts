/**
 * One debug line per request a service's fastify app answers, in place of fastify's two info
 * lines ("incoming request", "request completed"), so that info level stays quiet in production.
 */
import type { FastifyInstance } from "fastify";
import type { Logger } from "pino";
import { pathOf } from "./log-observer.js";
import { parseTraceparent } from "./trace-context.js";

/** Adds the per-request debug line to `app` when `log` logs debug (else adds nothing). */
export function logRequests(app: FastifyInstance, log: Logger | undefined): void {
  if (!log?.isLevelEnabled("debug")) return;
  app.addHook("onResponse", (request, reply, done) => {
    const trace = parseTraceparent(request.headers.traceparent);
    request.log.debug(
      {
        method: request.method,
        path: pathOf(request.url),
        status: reply.statusCode,
        durationMs: Math.round(reply.elapsedTime * 100) / 100,
        ...(trace ? { traceId: trace.traceId, parentId: trace.parentId } : {}),
      },
      "request",
    );
    done();
  });
}
