/**
 * The one status probe: `POST <base>/heartbeat` through a connection pool, read as "is a Portico
 * service Available here, and which server is it". Launch readiness, `connect()`, the wait in
 * `shutdown()` and the gateway's health checks all ask it, so they agree on what "up" means.
 * It never rejects: the caller decides what a failure means (not yet up, down, not ours).
 */
import type { Dispatcher } from "undici";
import type { PorticoError } from "../errors.js";
import { ResponseInvalidError, ServiceUnavailableError, errorFromWire } from "../errors.js";
import { ABORT_REASON, TIMEOUT_REASON, toTransportError } from "./transport-errors.js";

/** Options of `probeHeartbeat`. */
export interface ProbeOptions {
  /** Path of the heartbeat on the dispatcher's origin (`/heartbeat`; prefix a base path). */
  path?: string;
  /** Milliseconds for the whole exchange, reply body included (1 000). */
  timeout?: number;
  /** Aborts the probe (its result then carries REQUEST_ABORTED). */
  signal?: AbortSignal;
  /** Extra request headers (a bearer token, a gateway's `Via`). */
  headers?: Record<string, string>;
  /** The origin (`http://10.0.0.5:8080`): needed by an Agent, and named in messages. */
  origin?: string;
  /** Largest reply body read, in bytes (64 KiB): a heartbeat is small, a foreign reply may not be. */
  maxBytes?: number;
}

/** What a probe found. */
export interface ProbeResult {
  /** True when a Portico service answered with status Available. */
  ok: boolean;
  /** The heartbeat's status (`Available`, `Stopping`...) when one came back. */
  status?: string;
  /** The heartbeat's `server_id`: it changes when the instance restarts. */
  serverId?: string;
  /** The HTTP status when anything answered at all (absent: nothing answered in time). */
  httpStatus?: number;
  /**
   * Why `ok` is false: SERVICE_UNAVAILABLE (nothing answers, or a status other than Available),
   * REQUEST_TIMEOUT, REQUEST_ABORTED, RESPONSE_INVALID (not a Portico heartbeat), or the error
   * the server sent (e.g. 404 ENDPOINT_NOT_FOUND, 403 FORBIDDEN_HOST).
   */
  error?: PorticoError;
}

const DEFAULT_TIMEOUT_MS = 1_000;
const DEFAULT_MAX_BYTES = 64 * 1024;

/**
 * Probes the heartbeat of the service behind `dispatcher` (a Pool bound to its origin).
 * @example
 * const pool = new Pool("http://127.0.0.1:8080");
 * const { ok, serverId, error } = await probeHeartbeat(pool, { timeout: 1_000 });
 */
export async function probeHeartbeat(
  dispatcher: Dispatcher,
  options: ProbeOptions = {},
): Promise<ProbeResult> {
  const path = options.path ?? "/heartbeat";
  const timeout = options.timeout ?? DEFAULT_TIMEOUT_MS;
  const what = `POST ${options.origin ?? ""}${path}`;
  try {
    const { status, text } = await exchange(dispatcher, path, timeout, options);
    return readHeartbeat(status, text, what);
  } catch (error) {
    return {
      ok: false,
      error: toTransportError(error, { what, url: options.origin ?? path, timeout }),
    };
  }
}

/**
 * One POST through `dispatch` with a handler of our own: no reply stream, no async iterator, no
 * AbortController. A gateway runs a thousand of these every five seconds (its health checks), so
 * each costs about what a forwarded request does. Rejects with TIMEOUT_REASON, ABORT_REASON or
 * the transport's error; resolves with the status and the body (undefined when over the cap).
 */
function exchange(
  dispatcher: Dispatcher,
  path: string,
  timeout: number,
  options: ProbeOptions,
): Promise<{ status: number; text: string | undefined }> {
  return new Promise((resolve, reject) => {
    const signal = options.signal;
    if (signal?.aborted) return reject(ABORT_REASON);
    const maxBytes = options.maxBytes ?? DEFAULT_MAX_BYTES;
    let controller: Dispatcher.DispatchController | undefined;
    let reason: Error | undefined;
    let settled = false;
    let status = 0;
    let size = 0;
    let chunks: Buffer[] | undefined = [];
    // The deadline holds even while the request waits in a busy pool: undici rejects an aborted
    // request only once it leaves the queue, so the probe settles here, and the request is
    // aborted as soon as it starts.
    const stop = (why: Error): void => {
      reason = why;
      controller?.abort(why);
      settle(why);
    };
    const timer = setTimeout(() => stop(TIMEOUT_REASON), timeout);
    const onAbort = (): void => stop(ABORT_REASON);
    signal?.addEventListener("abort", onAbort, { once: true });
    const settle = (error: unknown, text?: string): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      signal?.removeEventListener("abort", onAbort);
      if (error === undefined) resolve({ status, text });
      else reject(reason ?? (error as Error));
    };
    const dispatch = dispatcher.dispatch.bind(dispatcher);
    try {
      dispatch(
        {
          method: "POST",
          path,
          ...(options.origin === undefined ? {} : { origin: options.origin }),
          ...(options.headers === undefined ? {} : { headers: options.headers }),
        },
        {
          onRequestStart(started) {
            controller = started;
            if (reason) started.abort(reason);
          },
          onResponseStart(_controller, statusCode) {
            status = statusCode;
          },
          onResponseData(active, chunk: Buffer) {
            if (!chunks) return;
            size += chunk.length;
            if (size > maxBytes) {
              // Not a heartbeat: stop reading rather than buffer whatever this server sends.
              chunks = undefined;
              settle(undefined, undefined);
              return active.abort(new Error("reply over the probe's size cap"));
            }
            chunks.push(chunk);
          },
          onResponseEnd() {
            settle(undefined, chunks ? Buffer.concat(chunks).toString("utf8") : undefined);
          },
          onResponseError(_controller, error) {
            settle(error);
          },
        },
      );
    } catch (error) {
      settle(error); // bad arguments, a closed pool: no callback will come
    }
  });
}

/** True when the probe found nothing answering: the service is down (not merely unhealthy). */
export function isDown(result: ProbeResult): boolean {
  return result.httpStatus === undefined && result.error?.code === "SERVICE_UNAVAILABLE";
}

function readHeartbeat(httpStatus: number, text: string | undefined, what: string): ProbeResult {
  const body = parseJson(text);
  if (httpStatus < 200 || httpStatus >= 300) {
    return { ok: false, httpStatus, error: errorFromWire(httpStatus, body, what) };
  }
  const heartbeat = (body as { heartbeat?: { status?: unknown; server_id?: unknown } } | undefined)
    ?.heartbeat;
  const status = heartbeat?.status;
  const serverId = heartbeat?.server_id;
  if (typeof status !== "string" || typeof serverId !== "string") {
    const error = new ResponseInvalidError(`${what} did not answer a Portico heartbeat`, {
      data: { httpStatus, tooLarge: text === undefined },
    });
    return { ok: false, httpStatus, error };
  }
  if (status === "Available") return { ok: true, status, serverId, httpStatus };
  const error = new ServiceUnavailableError(`${what}: the service is ${status}`, {
    data: { status, server_id: serverId },
  });
  return { ok: false, status, serverId, httpStatus, error };
}

function parseJson(text: string | undefined): unknown {
  if (text === undefined || text === "") return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}
