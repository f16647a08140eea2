/**
 * Discovery: an app's own endpoints, read from its `detailed_endpoints` through the upstream
 * pools (so the SSRF guard and timeouts apply), with one deadline and a cap on the reply's size.
 */
import type { EndpointDescriptor } from "../../contract/endpoint.js";
import { BUILTIN_WIRE_NAMES } from "../../client/create-client.js";
import type { PorticoError } from "../../errors.js";
import {
  DiscoveryTooLargeError,
  LoopDetectedError,
  UpstreamNotAllowedError,
} from "../../errors.js";
import { gatewayTasks } from "../tasks.js";
import type { Upstreams } from "./upstreams.js";

/** What discovery found: the app's endpoints, or why there are none. */
export interface Discovery {
  endpoints: Record<string, EndpointDescriptor> | undefined;
  /** Set when the app answered but its reply was refused (too large). */
  error?: PorticoError;
}

/** Options of one discovery. */
export interface DiscoverOptions {
  timeout: number;
  maxBytes: number;
  /** This gateway's `Via` entry: a gateway that finds itself gets 508 and the registration fails. */
  via: string;
}

const endpointsSchema =
  gatewayTasks.list_apps_with_schemas.output.shape.apps.element.shape.endpoints;

/**
 * Fetches the app's endpoints (built-ins left out). Unreachable, slow or non-Portico apps give
 * `endpoints: undefined`; a loop or a refused address throws, failing the registration.
 */
export async function discover(
  upstreams: Upstreams,
  url: string,
  options: DiscoverOptions,
): Promise<Discovery> {
  const target = new URL(url);
  const pool = upstreams.acquire(target.origin);
  // A timer cleared on completion rather than AbortSignal.timeout, which keeps every signal
  // alive until its deadline: a thousand registrations left that much garbage behind.
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), options.timeout);
  try {
    const res = await pool.request({
      method: "POST",
      path: `${target.pathname.replace(/\/+$/, "")}/detailed_endpoints`,
      headers: { via: options.via },
      signal: controller.signal,
    });
    const text = await readCapped(
      res.body,
      Number(res.headers["content-length"]),
      options.maxBytes,
    );
    if (text === undefined) {
      const error = new DiscoveryTooLargeError(
        `App at ${url} sent a detailed_endpoints reply over discoveryMaxBytes (${options.maxBytes} bytes)`,
        { data: { url, maxBytes: options.maxBytes } },
      );
      return { endpoints: undefined, error };
    }
    const body = parseJson(text) as { endpoints?: unknown; error?: { code?: unknown } } | undefined;
    if (res.statusCode === 508 && body?.error?.code === "LOOP_DETECTED") {
      throw new LoopDetectedError(`App at ${url} leads back to this gateway`, { data: { url } });
    }
    return { endpoints: res.statusCode === 200 ? ownEndpoints(body?.endpoints) : undefined };
  } catch (error) {
    if (error instanceof LoopDetectedError || error instanceof UpstreamNotAllowedError) throw error;
    return { endpoints: undefined };
  } finally {
    clearTimeout(timer);
    upstreams.release(target.origin);
  }
}

/** The body as text, or undefined (and the stream destroyed) once it exceeds `max` bytes. */
async function readCapped(
  body: AsyncIterable<Buffer> & { destroy(): unknown },
  declared: number,
  max: number,
): Promise<string | undefined> {
  if (declared > max) {
    body.destroy();
    return undefined;
  }
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of body) {
    size += chunk.length;
    if (size > max) {
      body.destroy();
      return undefined;
    }
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString("utf8");
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

function ownEndpoints(endpoints: unknown): Record<string, EndpointDescriptor> | undefined {
  if (!endpoints || typeof endpoints !== "object") return undefined;
  const own = Object.entries(endpoints).filter(([name]) => !BUILTIN_WIRE_NAMES.has(name));
  const parsed = endpointsSchema.safeParse(Object.fromEntries(own));
  return parsed.success ? parsed.data : undefined;
}
