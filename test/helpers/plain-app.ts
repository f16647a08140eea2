/**
 * A plain node:http app (no Portico, no fastify) for forwarding tests: it records every request
 * exactly as it arrived and answers from a small route table (any content type, 204, a 5 MB
 * stream, a path that never answers). Closed by `await using`.
 */
import { randomBytes } from "node:crypto";
import { createServer } from "node:http";
import type { IncomingHttpHeaders, ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { sha256 } from "./raw-http.js";

/** A request as the app received it. */
export interface ReceivedRequest {
  method: string;
  url: string;
  headers: IncomingHttpHeaders;
  body: Buffer;
}

/** What the `mirror` route answers: the request it saw. */
export interface MirrorReply {
  method: string;
  url: string;
  headers: IncomingHttpHeaders;
  bodyLength: number;
  bodySha256: string;
  body: string;
}

/** Answers one request (leaving `res` open means never answering). */
export type PlainHandler = (req: ReceivedRequest, res: ServerResponse) => void;

/** A running plain app. */
export interface PlainApp extends AsyncDisposable {
  url: string;
  /** Every request received, in order (recorded once its body has fully arrived). */
  received: ReceivedRequest[];
  /** Request body bytes seen so far, counted as they arrive. */
  readonly bytesArrived: number;
  /** Requests whose connection closed before the app replied. */
  readonly abandoned: number;
  close(): Promise<void>;
}

/** Bytes that are not valid UTF-8, so a text round trip would corrupt them. */
export const BINARY_BODY = Buffer.from([0x00, 0xff, 0xfe, 0x80, 0x0a, 0xc3, 0x28, 0x7f]);
/** A 5 MB body, larger than any buffer limit on the way. */
export const LARGE_BODY = randomBytes(5 * 1024 * 1024);

/** Replies with a JSON description of the request it received. */
export const mirror: PlainHandler = (req, res) => {
  const reply: MirrorReply = {
    method: req.method,
    url: req.url,
    headers: req.headers,
    bodyLength: req.body.length,
    bodySha256: sha256(req.body),
    body: req.body.length <= 64 * 1024 ? req.body.toString("utf8") : "",
  };
  sendJson(res, 200, reply);
};

/** Routes by path; anything else is mirrored. */
export const plainRoutes: PlainHandler = (req, res) => {
  const path = req.url.split("?")[0];
  switch (path) {
    case "/text":
      return send(res, 200, { "content-type": "text/plain; charset=utf-8" }, "plain text");
    case "/html":
      return send(res, 200, { "content-type": "text/html; charset=utf-8" }, "<p>html</p>");
    case "/binary":
      return send(res, 200, { "content-type": "application/octet-stream" }, BINARY_BODY);
    case "/empty":
      return send(res, 204, { "x-empty": "yes" });
    case "/teapot":
      return send(res, 418, { "x-upstream": "teapot", "set-cookie": ["a=1", "b=2"] }, "short");
    case "/hop-by-hop":
      // `x-upstream-secret` is named by Connection, so it concerns this hop only.
      return send(res, 200, {
        connection: "keep-alive, x-upstream-secret",
        "keep-alive": "timeout=5",
        "x-upstream-secret": "1",
        "x-visible": "yes",
        "service-worker-allowed": "/",
      });
    case "/large":
      return streamLarge(res);
    case "/drop":
      return void res.socket?.destroy(); // closes the connection without a reply
    case "/hang":
      return; // never answers
    default:
      return mirror(req, res);
  }
};

/** Starts a plain app on a free loopback port. */
export async function startPlainApp(handler: PlainHandler = plainRoutes): Promise<PlainApp> {
  const received: ReceivedRequest[] = [];
  let bytesArrived = 0;
  let abandoned = 0;
  const server = createServer((req, res) => {
    res.once("close", () => {
      if (!res.writableEnded) abandoned++;
    });
    const chunks: Buffer[] = [];
    req.on("data", (chunk: Buffer) => {
      bytesArrived += chunk.length;
      chunks.push(chunk);
    });
    req.once("end", () => {
      const request: ReceivedRequest = {
        method: req.method ?? "",
        url: req.url ?? "/",
        headers: req.headers,
        body: Buffer.concat(chunks),
      };
      received.push(request);
      handler(request, res);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  const close = (): Promise<void> =>
    new Promise((resolve) => {
      server.closeAllConnections(); // hanging requests included
      server.close(() => resolve());
    });
  return {
    url: `http://127.0.0.1:${port}`,
    received,
    get bytesArrived() {
      return bytesArrived;
    },
    get abandoned() {
      return abandoned;
    },
    close,
    [Symbol.asyncDispose]: close,
  };
}

/** Sends a JSON reply. */
export function sendJson(res: ServerResponse, status: number, body: unknown): void {
  send(res, status, { "content-type": "application/json" }, JSON.stringify(body));
}

function send(
  res: ServerResponse,
  status: number,
  headers: Record<string, string | string[]>,
  body?: string | Buffer,
): void {
  res.writeHead(status, headers);
  res.end(body);
}

function streamLarge(res: ServerResponse): void {
  res.writeHead(200, { "content-type": "application/octet-stream" });
  const chunk = 256 * 1024;
  let offset = 0;
  const write = (): void => {
    while (offset < LARGE_BODY.length) {
      const piece = LARGE_BODY.subarray(offset, offset + chunk);
      offset += chunk;
      if (!res.write(piece)) return void res.once("drain", write);
    }
    res.end();
  };
  write();
}
