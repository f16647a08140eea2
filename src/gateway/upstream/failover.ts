/**
 * The failover rule of the gateway's calls to apps: a call that never reached its instance (the
 * connection could not be made) is made once more on another instance; a call whose connection
 * broke (reset, closed) is made again only when it is safe to repeat (an idempotent HTTP method,
 * an endpoint or tool that says it is idempotent or read-only), since it may have had effects.
 * Forwarded traffic applies the same rule inside its streaming handler
 * (src/gateway/forward/forwarder.ts), only before any reply byte has reached the caller; the
 * gateway's own calls (MCP `tools/call` of any app, HTTP calls of MCP apps) hold the whole reply
 * and go through `withFailover`.
 */
import type { EndpointDescriptor } from "../../contract/endpoint.js";
import type { AppInstances } from "./balancer.js";
import type { Instance } from "./instance.js";

/** Error codes of a connection that was never established: nothing reached the app. */
export const CONNECT_FAILED: ReadonlySet<string> = new Set([
  "ECONNREFUSED",
  "EHOSTUNREACH",
  "ENETUNREACH",
  "ENOTFOUND",
  "EAI_AGAIN",
  "UND_ERR_CONNECT_TIMEOUT",
  // The pool was closed (the instance left its app) before the request was sent.
  "UND_ERR_DESTROYED",
  "UND_ERR_CLOSED",
]);

/** Error codes of a connection that broke after the request may have reached the app. */
export const CONNECTION_BROKE: ReadonlySet<string> = new Set([
  "ECONNRESET",
  "EPIPE",
  "UND_ERR_SOCKET",
]);

/** HTTP methods whose calls may be repeated (RFC 9110, 9.2.2), whatever the app. */
export const IDEMPOTENT_METHODS: ReadonlySet<string> = new Set([
  "GET",
  "HEAD",
  "PUT",
  "DELETE",
  "OPTIONS",
]);

/** How deep a chain of `cause`s is searched (fetch wraps undici's error; SDKs may wrap fetch's). */
const CAUSE_DEPTH = 4;

/**
 * Whether `error`, or one of the errors it wraps (`cause`), has a code of `codes`. Codes only: a
 * message such as fetch's "fetch failed" says nothing of whether the request left.
 */
function hasCode(error: unknown, codes: ReadonlySet<string>): boolean {
  let current = error;
  for (let depth = 0; depth < CAUSE_DEPTH && typeof current === "object" && current; depth++) {
    const code = (current as { code?: unknown }).code;
    if (typeof code === "string" && codes.has(code)) return true;
    current = (current as { cause?: unknown }).cause;
  }
  return false;
}

/** Whether `error` (or one it wraps) says the connection was never made. */
export function isConnectFailure(error: unknown): boolean {
  return hasCode(error, CONNECT_FAILED);
}

/** Whether `error` (or one it wraps) says the connection broke (reset, closed by the app). */
export function isConnectionBroken(error: unknown): boolean {
  return hasCode(error, CONNECTION_BROKE);
}

/**
 * Whether a call of `endpoint` may be repeated: it says it is idempotent or read-only, or says
 * nothing and its HTTP `method` (when given) is idempotent. An endpoint that says it is not
 * idempotent is believed over its method.
 */
export function isReplayable(
  endpoint: Pick<EndpointDescriptor, "annotations">,
  method?: string,
): boolean {
  const hints = endpoint.annotations;
  if (hints?.idempotent === false) return false;
  if (hints?.idempotent === true || hints?.read_only === true) return true;
  return method !== undefined && IDEMPOTENT_METHODS.has(method);
}

/**
 * Runs `attempt` on `first`; once more on another routable instance of `app` (when there is
 * one) when it could not connect, or when its connection broke and the call is `replayable`.
 * Whatever fails last is rejected as `toError(error, instance)`.
 */
export async function withFailover<T>(
  app: AppInstances,
  first: Instance,
  attempt: (instance: Instance) => Promise<T>,
  toError: (error: unknown, instance: Instance) => unknown,
  replayable = false,
): Promise<T> {
  try {
    return await attempt(first);
  } catch (error) {
    const again = isConnectFailure(error) || (replayable && isConnectionBroken(error));
    const other = again ? app.pick(first) : undefined;
    if (!other) throw toError(error, first);
    try {
      return await attempt(other);
    } catch (again) {
      throw toError(again, other);
    }
  }
}
