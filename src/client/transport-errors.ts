/**
 * How a failed HTTP exchange becomes a catalogue error, in one place: the transport of every
 * client and the status probe map timeouts, aborts and refused connections the same way.
 */
import {
  PorticoError,
  RequestAbortedError,
  RequestTimeoutError,
  ServiceUnavailableError,
} from "../errors.js";

/** Abort reason of a call whose deadline passed (a sentinel: tells it from the caller's abort). */
export const TIMEOUT_REASON = new Error("timeout");
/** Abort reason of a call the caller's signal aborted. */
export const ABORT_REASON = new Error("aborted");

const CONNECTION_ERRORS = new Set([
  "ECONNREFUSED",
  "ECONNRESET",
  "EHOSTUNREACH",
  "ENETUNREACH",
  "ENOTFOUND",
  "EAI_AGAIN",
  "EPIPE",
  "UND_ERR_SOCKET",
  "UND_ERR_CLOSED",
  "UND_ERR_CONNECT_TIMEOUT",
]);

/** What failed, for the message: `what` is e.g. `POST http://h:1/echo`, `url` the base URL. */
export interface FailedExchange {
  what: string;
  url: string;
  /** The call's deadline in ms, for the timeout message. */
  timeout: number;
}

/** Maps a transport failure to REQUEST_TIMEOUT, REQUEST_ABORTED or SERVICE_UNAVAILABLE. */
export function toTransportError(
  error: unknown,
  { what, url, timeout }: FailedExchange,
): PorticoError {
  if (error === TIMEOUT_REASON || (error as Error)?.name === "TimeoutError") {
    return new RequestTimeoutError(`${what} did not complete within ${timeout} ms`);
  }
  if (error === ABORT_REASON || (error as Error)?.name === "AbortError") {
    return new RequestAbortedError(`${what} was aborted`, { cause: error });
  }
  if (error instanceof PorticoError) return error;
  const code = (error as { code?: string })?.code ?? "";
  if (CONNECTION_ERRORS.has(code) || CONNECTION_ERRORS.has(causeCode(error))) {
    return new ServiceUnavailableError(`${what}: nothing answers at ${url} (${code})`, {
      cause: error,
    });
  }
  return new ServiceUnavailableError(`${what} failed: ${(error as Error)?.message}`, {
    cause: error,
  });
}

function causeCode(error: unknown): string {
  return (error as { cause?: { code?: string } })?.cause?.code ?? "";
}
