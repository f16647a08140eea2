/**
 * Bytes on a bare TCP socket that stays open after writing, for requests no HTTP client will send
 * and that need the server to act first: a body shorter than its Content-Length, headers that
 * never end, a malformed request line, oversized headers, an absolute-form target. The reply is
 * read until it is complete, the connection closes, or a deadline passes (then `timedOut`).
 * (socket-exchange.ts half-closes after writing, which a server may take as the client leaving.)
 */
import { connect } from "node:net";

/** One reply as read off the socket (status 0 when nothing parsable arrived). */
export interface OpenSocketReply {
  status: number;
  /** Header names in lower case; repeated headers joined with ", ". */
  headers: Record<string, string>;
  body: Buffer;
  /** True when the deadline passed before a complete reply. */
  timedOut: boolean;
  /** The body parsed as JSON. */
  json(): any;
}

/** Options of `sendRaw`. */
export interface SendRawOptions {
  /** Milliseconds to wait for a complete reply (10 000). */
  deadline?: number;
}

/**
 * Opens a connection to `url`'s host and port, writes `bytes` without ending the connection, and
 * resolves with the first reply.
 */
export function sendRaw(
  url: string,
  bytes: string | Buffer,
  options: SendRawOptions = {},
): Promise<OpenSocketReply> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    const socket = connect(Number(port), hostname);
    const chunks: Buffer[] = [];
    let settled = false;
    const finish = (timedOut: boolean, error?: Error): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.destroy();
      const parsed = parseReply(Buffer.concat(chunks));
      if (parsed) resolve({ ...parsed.reply, timedOut: timedOut && !parsed.complete });
      else if (error) reject(error);
      else resolve(emptyReply(timedOut));
    };
    const timer = setTimeout(() => finish(true), options.deadline ?? 10_000);
    socket.on("data", (chunk: Buffer) => {
      chunks.push(chunk);
      if (parseReply(Buffer.concat(chunks))?.complete) finish(false);
    });
    socket.once("end", () => finish(false));
    socket.once("close", () => finish(false));
    socket.once("error", (error) => finish(false, error));
    socket.write(bytes);
  });
}

/** `METHOD target HTTP/1.1`, a Host header for `url` and `extra` lines, ending the header block. */
export function requestHead(
  url: string,
  method: string,
  target: string,
  extra: string[] = [],
): string {
  const host = new URL(url).host;
  return [`${method} ${target} HTTP/1.1`, `Host: ${host}`, ...extra, "", ""].join("\r\n");
}

function emptyReply(timedOut: boolean): OpenSocketReply {
  return { status: 0, headers: {}, body: Buffer.alloc(0), timedOut, json: () => undefined };
}

/** Parses what has arrived so far; undefined until the header block is complete. */
function parseReply(bytes: Buffer): { reply: OpenSocketReply; complete: boolean } | undefined {
  const end = bytes.indexOf("\r\n\r\n");
  if (end === -1) return undefined;
  const [statusLine = "", ...lines] = bytes.subarray(0, end).toString("latin1").split("\r\n");
  const status = Number(/^HTTP\/\d\.\d (\d{3})/.exec(statusLine)?.[1] ?? 0);
  const headers: Record<string, string> = {};
  for (const line of lines) {
    const colon = line.indexOf(":");
    if (colon === -1) continue;
    const name = line.slice(0, colon).trim().toLowerCase();
    const value = line.slice(colon + 1).trim();
    headers[name] = headers[name] === undefined ? value : `${headers[name]}, ${value}`;
  }
  const rest = bytes.subarray(end + 4);
  let body = rest;
  let complete = false;
  if (headers["content-length"] !== undefined) {
    const length = Number(headers["content-length"]);
    complete = rest.length >= length;
    body = rest.subarray(0, length);
  } else if (/chunked/i.test(headers["transfer-encoding"] ?? "")) {
    ({ body, complete } = dechunk(rest));
  }
  const reply: OpenSocketReply = {
    status,
    headers,
    body,
    timedOut: false,
    json: () => JSON.parse(body.toString("utf8")),
  };
  return { reply, complete };
}

function dechunk(bytes: Buffer): { body: Buffer; complete: boolean } {
  const parts: Buffer[] = [];
  let offset = 0;
  for (;;) {
    const lineEnd = bytes.indexOf("\r\n", offset);
    if (lineEnd === -1) break;
    const size = parseInt(bytes.subarray(offset, lineEnd).toString("latin1"), 16);
    if (Number.isNaN(size)) break;
    if (size === 0) return { body: Buffer.concat(parts), complete: true };
    const start = lineEnd + 2;
    if (bytes.length < start + size + 2) break;
    parts.push(bytes.subarray(start, start + size));
    offset = start + size + 2;
  }
  return { body: Buffer.concat(parts), complete: false };
}
