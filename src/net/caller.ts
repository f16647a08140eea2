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

/**
 * The caller of an HTTP exchange: gone when its response closes before it was sent in full, or
 * when told so (`cancel()`: a 2025 client's `notifications/cancelled` for this request).
 */
export class ExchangeCaller implements CallerGone {
  private cancelledNow = false;
  private readonly listeners = new Set<() => void>();

  constructor(private readonly res: ServerResponse) {}

  get gone(): boolean {
    return this.cancelledNow || (this.res.destroyed && !this.res.writableFinished);
  }

  /** Whether `cancel()` was called. */
  get cancelled(): boolean {
    return this.cancelledNow;
  }

  onGone(listener: () => void): () => void {
    const res = this.res;
    const onClose = (): void => {
      if (!res.writableFinished) listener();
    };
    res.once("close", onClose);
    this.listeners.add(listener);
    return () => {
      res.off("close", onClose);
      this.listeners.delete(listener);
    };
  }

  cancel(): void {
    if (this.cancelledNow) return;
    this.cancelledNow = true;
    for (const listener of [...this.listeners]) listener();
    this.listeners.clear();
  }
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
