/**
 * HTTP over a bare TCP socket, for requests no HTTP client would send: any bytes in the request
 * target (unicode, `\`, `#`), no Host header, HTTP/1.0. The reply is read until the server
 * closes the connection, then parsed (Content-Length, chunked or close-delimited bodies).
 */
import { connect } from "node:net";

/** A reply read off the socket. */
export interface SocketReply {
  status: number;
  /** Header names in lower case; repeated headers joined with ", ". */
  headers: Record<string, string>;
  body: Buffer;
  /** The `error.code` of a JSON error body, else undefined. */
  code: string | undefined;
}

/** Options of one exchange. */
export interface ExchangeOptions {
  /** Milliseconds before the socket is destroyed and the exchange rejects (10 000). */
  timeout?: number;
}

/**
 * Sends `request` (the exact bytes) to the server at `url` (`http://127.0.0.1:P`) and resolves with
 * the reply once the server closes the connection: send `Connection: close` or HTTP/1.0. The
 * socket stays open for writing meanwhile.
 */
export function exchange(
  url: string,
  request: string | Buffer,
  options: ExchangeOptions = {},
): Promise<SocketReply> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    const socket = connect({ host: hostname.replace(/^\[|\]$/g, ""), port: Number(port) });
    const chunks: Buffer[] = [];
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`no complete reply within ${options.timeout ?? 10_000} ms`));
    }, options.timeout ?? 10_000);
    socket.on("data", (chunk: Buffer) => chunks.push(chunk));
    socket.once("error", (error) => {
      clearTimeout(timer);
      reject(error);
    });
    socket.once("close", () => {
      clearTimeout(timer);
      try {
        resolve(parseReply(Buffer.concat(chunks)));
      } catch (error) {
        reject(error instanceof Error ? error : new Error(String(error)));
      }
    });
    // Not end(): a half-closed client is one that left, and a server may drop its request.
    socket.write(request);
  });
}

/** `METHOD target HTTP/1.1` with a Host header (`host`, unless null) and `Connection: close`. */
export function requestBytes(
  method: string,
  target: string,
  host: string | null,
  headers: Record<string, string> = {},
): Buffer {
  const lines = [`${method} ${target} HTTP/1.1`];
  if (host !== null) lines.push(`Host: ${host}`);
  for (const [name, value] of Object.entries(headers)) lines.push(`${name}: ${value}`);
  lines.push("Connection: close", "Content-Length: 0", "", "");
  return Buffer.from(lines.join("\r\n"), "utf8");
}

/** Parses one HTTP/1.x reply (the first, if several arrived). */
export function parseReply(raw: Buffer): SocketReply {
  const end = raw.indexOf("\r\n\r\n");
  if (end === -1) throw new Error(`no complete reply head in ${raw.length} bytes`);
  const [statusLine = "", ...lines] = raw.subarray(0, end).toString("latin1").split("\r\n");
  const status = Number(/^HTTP\/1\.[01] (\d{3})/.exec(statusLine)?.[1] ?? NaN);
  const headers: Record<string, string> = {};
  for (const line of lines) {
    const colon = line.indexOf(":");
    const name = line.slice(0, colon).trim().toLowerCase();
    const value = line.slice(colon + 1).trim();
    headers[name] = headers[name] === undefined ? value : `${headers[name]}, ${value}`;
  }
  let body = raw.subarray(end + 4);
  if (/chunked/i.test(headers["transfer-encoding"] ?? "")) body = dechunk(body);
  else if (headers["content-length"] !== undefined) {
    body = body.subarray(0, Number(headers["content-length"]));
  }
  return { status, headers, body, code: errorCode(headers, body) };
}

function dechunk(body: Buffer): Buffer {
  const parts: Buffer[] = [];
  let offset = 0;
  for (;;) {
    const lineEnd = body.indexOf("\r\n", offset);
    if (lineEnd === -1) break;
    const size = parseInt(body.subarray(offset, lineEnd).toString("latin1"), 16);
    if (!(size > 0)) break;
    parts.push(body.subarray(lineEnd + 2, lineEnd + 2 + size));
    offset = lineEnd + 2 + size + 2;
  }
  return Buffer.concat(parts);
}

function errorCode(headers: Record<string, string>, body: Buffer): string | undefined {
  if (!(headers["content-type"] ?? "").includes("json")) return undefined;
  try {
    const parsed = JSON.parse(body.toString("utf8")) as { error?: { code?: unknown } };
    return typeof parsed.error?.code === "string" ? parsed.error.code : undefined;
  } catch {
    return undefined;
  }
}
