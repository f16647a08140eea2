/**
 * Reads a raw request body (routes served before fastify: the MCP POST path, HTTP calls of MCP
 * apps) with the same limit fastify would apply.
 */
import type { IncomingMessage } from "node:http";
import { PayloadTooLargeError } from "../../errors.js";

/** The request body as text, up to `limit` bytes (413 past it). */
export function readBody(req: IncomingMessage, limit: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const declared = Number(req.headers["content-length"] ?? NaN);
    const tooLarge = (): PayloadTooLargeError =>
      new PayloadTooLargeError(`Request body is larger than ${limit} bytes`);
    if (declared > limit) return reject(tooLarge());
    const chunks: Buffer[] = [];
    let size = 0;
    const onData = (chunk: Buffer): void => {
      size += chunk.length;
      if (size > limit) {
        req.off("data", onData);
        reject(tooLarge());
        return;
      }
      chunks.push(chunk);
    };
    req.on("data", onData);
    req.once("end", () =>
      resolve(chunks.length === 1 ? chunks[0]!.toString() : Buffer.concat(chunks).toString()),
    );
    req.once("error", reject);
  });
}
