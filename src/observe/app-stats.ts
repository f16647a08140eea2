/**
 * The reply of the gateway's `app_stats` endpoint, built from its per-app counters: lifetime
 * totals, and rate, error rate and p50/p99 over the last minute. With metrics off nothing is
 * counted: every app then shows zeros and null percentiles.
 */
import type { Registry } from "../registry/registry.js";
import { MemoryFeedRegistry } from "../registry/memory/memory-registry.js";
import type { AppMetrics } from "./app-metrics.js";
import type { AppStatsReply } from "../gateway/tasks.js";
import { WINDOW_S } from "./window.js";

/** One app's line of `app_stats`. */
type AppStatsLine = AppStatsReply["apps"][number];

/** What the reply is made of. */
export interface AppStatsSource {
  /** The counters (undefined: metrics are off). */
  metrics: AppMetrics | undefined;
  /** The registered apps, in the route table's order. */
  names: Iterable<string>;
  backend: string;
  revision: number;
  subscribers: { events: number; mcp: number };
}

/** Builds the `app_stats` reply. */
export function appStatsReply(source: AppStatsSource): AppStatsReply {
  const now = performance.now();
  const apps: AppStatsLine[] = [];
  for (const name of source.names) {
    const stats = source.metrics?.apps.get(name);
    if (!stats) {
      apps.push({
        name,
        requests: 0,
        errors: 0,
        rate: 0,
        error_rate: 0,
        p50_ms: null,
        p99_ms: null,
      });
      continue;
    }
    const window = stats.window.summary(now);
    apps.push({
      name,
      requests: stats.counts.count,
      errors: stats.errors,
      rate: round(window.requests / window.seconds),
      error_rate: window.requests === 0 ? 0 : round(window.errors / window.requests),
      p50_ms: window.p50_ms,
      p99_ms: window.p99_ms,
    });
  }
  return {
    window_s: WINDOW_S,
    registry: { backend: source.backend, revision: source.revision },
    subscribers: source.subscribers,
    apps,
  };
}

/**
 * The registry's backend, by the URL it was opened from or the class of the instance given:
 * `memory`, `sqlite`, `redis`, else `custom`.
 */
export function registryBackend(source: string | Registry): string {
  if (typeof source === "string") {
    const scheme = /^([a-z][a-z0-9+.-]*):/i.exec(source)?.[1]?.toLowerCase();
    if (scheme === "memory" || scheme === "sqlite") return scheme;
    return scheme === "redis" || scheme === "rediss" ? "redis" : "custom";
  }
  if (source instanceof MemoryFeedRegistry) return "memory";
  // The durable backends are not imported here (their drivers load only when used): by name.
  const name = (source as { constructor?: { name?: string } }).constructor?.name;
  if (name === "SqliteFeedRegistry") return "sqlite";
  return name === "RedisFeedRegistry" ? "redis" : "custom";
}

function round(value: number): number {
  return Math.round(value * 1000) / 1000;
}
