/**
 * The failover rule of the gateway's calls to apps: a call that never reached its instance (the
 * connection could not be made) is made once more on another instance; a call that reached one
 * is never repeated by this rule, since it may have had effects. Forwarded traffic applies the
 * same rule inside its streaming handler (src/gateway/forward/forwarder.ts), which may also
 * replay an idempotent call reset before any reply byte; the gateway's own calls (`call_app`,
 * HTTP calls of MCP apps, MCP tool calls) go through `withFailover`.
 */
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

/** How deep a chain of `cause`s is searched (fetch wraps undici's error; SDKs may wrap fetch's). */
const CAUSE_DEPTH = 4;

/**
 * Whether `error`, or one of the errors it wraps (`cause`), says the connection was never made.
 * Codes only: a message such as fetch's "fetch failed" says nothing of whether the request left.
 */
export function isConnectFailure(error: unknown): boolean {
  let current = error;
  for (let depth = 0; depth < CAUSE_DEPTH && typeof current === "object" && current; depth++) {
    const code = (current as { code?: unknown }).code;
    if (typeof code === "string" && CONNECT_FAILED.has(code)) return true;
    current = (current as { cause?: unknown }).cause;
  }
  return false;
}

/**
 * Runs `attempt` on `first`; when it could not connect, once more on another routable instance
 * of `app` (when there is one). Whatever fails last is rejected as `toError(error, instance)`.
 */
export async function withFailover<T>(
  app: AppInstances,
  first: Instance,
  attempt: (instance: Instance) => Promise<T>,
  toError: (error: unknown, instance: Instance) => unknown,
): Promise<T> {
  try {
    return await attempt(first);
  } catch (error) {
    const other = isConnectFailure(error) ? app.pick(first) : undefined;
    if (!other) throw toError(error, first);
    try {
      return await attempt(other);
    } catch (again) {
      throw toError(again, other);
    }
  }
}
