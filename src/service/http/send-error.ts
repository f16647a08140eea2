/**
 * Writes a catalogue error as the JSON reply of a raw Node response: used where fastify's reply
 * object does not exist (forwarded traffic, parser errors). fastify's error handler uses
 * `errorHeaders` too, so both planes answer alike.
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import type { PorticoError } from "../../errors.js";

/** Headers an error reply carries besides its body (RFC 9110: 401 and 429 say what to do). */
export function errorHeaders(error: PorticoError): Record<string, string> | undefined {
  if (error.code === "UNAUTHORIZED") return { "www-authenticate": 'Bearer realm="portico"' };
  if (error.code === "RATE_LIMITED") {
    return { "retry-after": String((error.data as { retryAfter?: number }).retryAfter ?? 1) };
  }
  return undefined;
}

/** Bytes of an unread request body read and dropped so a reply reaches the client; past it, cut. */
const LINGER_BYTES = 64 * 1024 * 1024;

/**
 * Reads and drops the rest of a request body that will not be used. Answering early and closing
 * with body bytes unread makes the kernel reset the connection, so a client still sending sees a
 * broken pipe instead of the reply (a 413, say). Draining, bounded like nginx's lingering close,
 * lets the reply arrive and keeps the connection usable; `requestTimeout` bounds a slow sender.
 */
export function drainBody(req: IncomingMessage): void {
  if (req.complete || req.destroyed) return;
  req.unpipe(); // from a forwarded body's stream that the upstream client gave up on
  let dropped = 0;
  req.removeAllListeners("data");
  req.on("data", (chunk: Buffer) => {
    dropped += chunk.length;
    if (dropped > LINGER_BYTES) req.socket.destroy();
  });
  req.resume();
}

/**
 * Sends `error` as `{ "error": { code, message, data } }` with its status; after the headers are
 * out it can only cut the connection. A request body not read yet is drained (see `drainBody`).
 */
export function sendError(res: ServerResponse, error: PorticoError): void {
  if (res.headersSent) {
    res.destroy(error);
    return;
  }
  const body = JSON.stringify(error.toJSON());
  const extra = errorHeaders(error);
  if (extra) for (const name in extra) res.setHeader(name, extra[name]!);
  drainBody(res.req);
  const id = res.req.headers["x-request-id"]; // stamped when the request arrived
  res.writeHead(error.status, {
    "content-type": "application/json; charset=utf-8",
    "content-length": Buffer.byteLength(body),
    ...(id === undefined ? {} : { "x-request-id": id }),
  });
  res.end(body);
}
