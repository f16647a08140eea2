/**
 * Raw HTTP requests for tests that must bypass every Portico client check (names, methods, hop-by-hop
 * headers): one fresh connection per request, the reply buffered with its exact bytes.
 */
import { createHash } from "node:crypto";
import { request } from "node:http";
import type { IncomingHttpHeaders, OutgoingHttpHeaders } from "node:http";

/** A reply as received. */
export interface RawReply {
  status: number;
  headers: IncomingHttpHeaders;
  body: Buffer;
  /** The body parsed as JSON. */
  json(): any;
}

/** What to send. */
export interface RawRequest {
  method?: string;
  headers?: OutgoingHttpHeaders;
  body?: string | Buffer;
  /** Request target sent verbatim (a URL string would be normalised, e.g. `/a/../b` to `/b`). */
  path?: string;
}

/** Sends one request to `url` (absolute) and buffers the reply. */
export function rawRequest(url: string, init: RawRequest = {}): Promise<RawReply> {
  return new Promise((resolve, reject) => {
    const headers = { ...init.headers };
    // Node adds no Content-Length to a DELETE body by itself; chunked bodies say so explicitly.
    if (init.body !== undefined && headers["transfer-encoding"] === undefined) {
      headers["content-length"] = Buffer.byteLength(init.body);
    }
    const options = { method: init.method ?? "GET", headers, agent: false };
    const req = request(url, init.path === undefined ? options : { ...options, path: init.path });
    req.once("error", reject);
    req.once("response", (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (chunk: Buffer) => chunks.push(chunk));
      res.once("error", reject);
      res.once("end", () => {
        const body = Buffer.concat(chunks);
        resolve({
          status: res.statusCode ?? 0,
          headers: res.headers,
          body,
          json: () => JSON.parse(body.toString("utf8")),
        });
      });
    });
    try {
      req.end(init.body);
    } catch (error) {
      // A half-sent request would keep the server from closing; destroying it also rejects.
      req.destroy(error as Error);
    }
  });
}

/** POSTs `body` as JSON (a string is sent verbatim, e.g. malformed JSON). */
export function postJson(url: string, body: unknown): Promise<RawReply> {
  return rawRequest(url, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: typeof body === "string" ? body : JSON.stringify(body),
  });
}

/** Hex SHA-256 of some bytes. */
export function sha256(bytes: Buffer): string {
  return createHash("sha256").update(bytes).digest("hex");
}
