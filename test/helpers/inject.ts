/**
 * Requests through fastify's `inject()` (no socket) for unit tests of a service's wire.
 */
import type { Service } from "../../src/service/service.js";

/** What to send. */
export interface InjectInit {
  method?: "GET" | "POST" | "PUT" | "DELETE" | "PATCH" | "HEAD" | "OPTIONS";
  /** An object is sent as JSON; a string is sent verbatim. */
  body?: unknown;
  headers?: Record<string, string>;
}

/** A reply, its body parsed when it is JSON. */
export interface InjectReply {
  status: number;
  headers: Record<string, string | string[] | number | undefined>;
  body: any;
  text: string;
}

/** Sends one request to `service` and parses the reply. */
export async function inject(
  service: Service,
  path: string,
  init: InjectInit = {},
): Promise<InjectReply> {
  const res = await service.app.inject({
    method: init.method ?? "POST",
    url: path,
    headers: init.headers,
    payload: init.body as string | object | undefined,
  });
  const json = String(res.headers["content-type"] ?? "").includes("json") && res.body !== "";
  return {
    status: res.statusCode,
    headers: res.headers,
    body: json ? JSON.parse(res.body) : undefined,
    text: res.body,
  };
}

/** The wire error body of a reply: `{ code, message, data }`. */
export function wireError(reply: InjectReply): { code: string; message: string; data?: any } {
  return (reply.body as { error: { code: string; message: string; data?: any } }).error;
}
