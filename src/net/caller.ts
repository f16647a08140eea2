/**
 * How a call learns that its caller left, for calls made on a caller's behalf (an MCP tool call
 * the gateway sends on to an app).
 */
import type { ServerResponse } from "node:http";

/**
 * How a call learns that its caller left. Cheaper than an AbortSignal, whose controller and
 * EventTarget listeners cost more per call than a small tool call itself.
 */
export interface CallerGone {
  /** True once the caller left. */
  readonly gone: boolean;
  /** Calls `listener` when the caller leaves; returns the function that stops listening. */
  onGone(listener: () => void): () => void;
}

/** The caller of an HTTP exchange: gone when its response closes before it was sent in full. */
export function responseCaller(res: ServerResponse): CallerGone {
  return {
    get gone() {
      return res.destroyed && !res.writableFinished;
    },
    onGone(listener) {
      const onClose = (): void => {
        if (!res.writableFinished) listener();
      };
      res.once("close", onClose);
      return () => res.off("close", onClose);
    },
  };
}

/** The caller behind an AbortSignal. */
export function signalCaller(signal: AbortSignal): CallerGone {
  return {
    get gone() {
      return signal.aborted;
    },
    onGone(listener) {
      signal.addEventListener("abort", listener, { once: true });
      return () => signal.removeEventListener("abort", listener);
    },
  };
}
