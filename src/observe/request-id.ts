/**
 * Request ids: every request a service or gateway receives gets one, taken from its
 * `X-Request-Id` header when that is a sane token, else made here. It is fastify's `reqId` in the
 * logs, echoed in the reply, and passed on with forwarded requests, so one id follows a call
 * through the gateway into the app's logs.
 */
import type { IncomingHttpHeaders } from "node:http";
import { randomBytes } from "node:crypto";

/** The header that carries a request's id (lower case, as Node keys headers). */
export const REQUEST_ID_HEADER = "x-request-id";

/**
 * What a kept id may look like: short, and nothing a log line or a header could be abused with
 * (no spaces, quotes, control characters or separators other than `._:-`).
 */
const SANE_ID = /^[A-Za-z0-9._:-]{1,128}$/;

// Unique enough across processes (40 random bits) and costs a counter step per request, where a
// UUID per request would cost a random draw and formatting.
const PREFIX = randomBytes(5).toString("hex");
let counter = 0;

/** A new request id: this process's random prefix and a counter. */
export function newRequestId(): string {
  counter = (counter + 1) % Number.MAX_SAFE_INTEGER;
  return `${PREFIX}-${counter.toString(36)}`;
}

/** True when `value` may be kept as a request id. */
export function isSaneRequestId(value: unknown): value is string {
  return typeof value === "string" && SANE_ID.test(value);
}

/**
 * The request's id: its sane `X-Request-Id`, else a new one, written back into `headers` so that
 * every later reader (fastify's `genReqId`, the forwarder's upstream headers, the log lines) sees
 * the same id without checking it again.
 */
export function requestIdOf(headers: IncomingHttpHeaders): string {
  const given = headers[REQUEST_ID_HEADER];
  if (isSaneRequestId(given)) return given;
  const made = newRequestId();
  headers[REQUEST_ID_HEADER] = made;
  return made;
}
