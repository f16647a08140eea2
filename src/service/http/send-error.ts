/**
 * Writes a catalogue error as the JSON reply of a raw Node response: used where fastify's reply
 * object does not exist (forwarded traffic, parser errors). fastify's error handler uses
 * `errorHeaders` too, so both planes answer alike.
 */
import type { ServerResponse } from "node:http";
import type { PorticoError } from "../../errors.js";

/** Headers an error reply carries besides its body (RFC 9110: 401 and 429 say what to do). */
export function errorHeaders(error: PorticoError): Record<string, string> | undefined {
  if (error.code === "UNAUTHORIZED") return { "www-authenticate": 'Bearer realm="portico"' };
  if (error.code === "RATE_LIMITED") {
    return { "retry-after": String((error.data as { retryAfter?: number }).retryAfter ?? 1) };
  }
  return undefined;
}

/**
 * Sends `error` as `{ "error": { code, message, data } }` with its status; after the headers are
 * out it can only cut the connection. `close` ends the connection after the reply (a request
 * body still arriving makes it unusable).
 */
export function sendError(res: ServerResponse, error: PorticoError, close = false): void {
  if (res.headersSent) {
    res.destroy(error);
    return;
  }
  const body = JSON.stringify(error.toJSON());
  const extra = errorHeaders(error);
  if (extra) for (const name in extra) res.setHeader(name, extra[name]!);
  if (close) res.setHeader("connection", "close");
  res.writeHead(error.status, {
    "content-type": "application/json; charset=utf-8",
    "content-length": Buffer.byteLength(body),
  });
  res.end(body);
}
