/**
 * The gateway's per-app counters, fed by the forwarder through the ForwardObserver seam: for each
 * app, replies by status class with a latency histogram (for `/metrics`), gateway-made errors by
 * code, lifetime totals and the last minute's window (for `app_stats`). One Map lookup by app
 * name per request, then plain increments.
 */
import type { IncomingMessage } from "node:http";
import type { ForwardObservation, ForwardObserver } from "./forward-observer.js";
import { RequestCounts } from "./metrics-counts.js";
import { SlidingWindow } from "./window.js";

/** Status the forwarder reports when the caller went away before any reply. */
export const CALLER_GONE_STATUS = 499;

/** Everything counted for one app. */
export class AppStats {
  /** Replies by status class and latency, since the gateway started. */
  readonly counts = new RequestCounts();
  /** Replies the gateway made itself (UPSTREAM_TIMEOUT, NO_HEALTHY_INSTANCE...), by code. */
  readonly errorCodes = new Map<string, number>();
  /** Replies with status >= 500 or made by the gateway, since the gateway started. */
  errors = 0;
  readonly window: SlidingWindow;

  constructor(now: number) {
    this.window = new SlidingWindow(now);
  }

  /** Counts one request that ended at `now` after `ms` with `status` (and `code` for our own). */
  record(status: number, code: string | undefined, ms: number, now: number): void {
    const error = status >= 500 || code !== undefined;
    this.counts.observe(status, ms / 1000);
    if (error) this.errors++;
    if (code !== undefined) this.errorCodes.set(code, (this.errorCodes.get(code) ?? 0) + 1);
    this.window.record(now, ms, error);
  }
}

/** One forwarded request being counted. */
class Observation implements ForwardObservation {
  private readonly started = performance.now();
  private ended = false;

  constructor(private readonly stats: AppStats) {}

  end(status: number, code?: string): void {
    if (this.ended) return; // a second report of the same request must not count twice
    this.ended = true;
    const now = performance.now();
    this.stats.record(status, code, now - this.started, now);
  }
}

/** The per-app counters, and the observer that feeds them. */
export class AppMetrics implements ForwardObserver {
  /** Counters by app name (an app appears with its first request). */
  readonly apps = new Map<string, AppStats>();

  start(_req: IncomingMessage, app: string): ForwardObservation {
    return new Observation(this.stats(app));
  }

  /** The counters of `app`, made on first use. */
  stats(app: string): AppStats {
    let stats = this.apps.get(app);
    if (!stats) {
      stats = new AppStats(performance.now());
      this.apps.set(app, stats);
    }
    return stats;
  }

  /** Drops the counters of apps that left (their series leave `/metrics` with them). */
  prune(known: ReadonlyMap<string, unknown>): void {
    for (const name of this.apps.keys()) if (!known.has(name)) this.apps.delete(name);
  }
}
