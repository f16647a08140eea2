/**
 * Which Redis failures mean "the store cannot take this now" (REGISTRY_UNAVAILABLE, retryable)
 * and which are bugs to surface as they are.
 */
import { RegistryUnavailableError } from "../../errors.js";

/** Replies of a server that is up but cannot serve writes now. */
const TRANSIENT_REPLY = /^(LOADING|READONLY|OOM|BUSY|MASTERDOWN|TRYAGAIN|CLUSTERDOWN|NOREPLICAS)\b/;

/**
 * Connection failures, timeouts and transient replies become REGISTRY_UNAVAILABLE; any other
 * error reply (a script or a key of the wrong type) is returned unchanged.
 */
export function unavailable(error: unknown, url: string): unknown {
  const { name, message } = (error ?? {}) as { name?: unknown; message?: unknown };
  const text = typeof message === "string" ? message : "";
  if (name === "ReplyError" && !TRANSIENT_REPLY.test(text)) return error;
  return new RegistryUnavailableError(`The Redis registry at ${url} is unavailable: ${text}`, {
    cause: error,
    data: { url },
  });
}
