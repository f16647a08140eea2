/**
 * The reply of the gateway's `app_stats` endpoint, built from its per-app counters: lifetime
 * totals, and rate, error rate and p50/p99 over the last minute. With metrics off nothing is
 * counted: every app then shows zeros and null percentiles. With several cluster workers, each
 * sends its raw counts (`AppStatsCounts`) and the reply is built from their merge.
 */
import type { Registry } from "../registry/registry.js";
import { MemoryFeedRegistry } from "../registry/memory/memory-registry.js";
import type { AppMetrics } from "./app-metrics.js";
import { askPrimary, inCluster, reportTo } from "./cluster-reports.js";
import type { AppStatsReply } from "../gateway/tasks.js";
import { WINDOW_S, mergeWindowCounts, summarize } from "./window.js";
import type { WindowCounts } from "./window.js";

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

/** One app's raw counts: lifetime totals and its window's counts. */
export interface AppCounts {
  name: string;
  requests: number;
  errors: number;
  window: WindowCounts;
}

/**
 * What `app_stats` is made from, as plain JSON: with several cluster workers each sends its own
 * and the primary merges them (`mergeAppStatsCounts`) before the reply is built.
 */
export interface AppStatsCounts {
  backend: string;
  revision: number;
  subscribers: { events: number; mcp: number };
  apps: AppCounts[];
}

/** Builds the `app_stats` reply. */
export function appStatsReply(source: AppStatsSource): AppStatsReply {
  return appStatsFromCounts(appStatsCounts(source));
}

/**
 * The `app_stats` handler: this server's counts; in a launched cluster worker, the merge of every
 * worker's (this one reports its own to the primary's merges).
 */
export function appStatsHandler(
  source: () => AppStatsSource,
): () => AppStatsReply | Promise<AppStatsReply> {
  if (!inCluster()) return () => appStatsReply(source());
  reportTo("app_stats", () => appStatsCounts(source()));
  return async () => appStatsFromCounts(await askPrimary<AppStatsCounts>("app_stats"));
}

/** The raw counts of `source`, taken now. */
export function appStatsCounts(source: AppStatsSource): AppStatsCounts {
  const now = performance.now();
  const apps: AppCounts[] = [];
  for (const name of source.names) {
    const stats = source.metrics?.apps.get(name);
    apps.push(
      stats
        ? {
            name,
            requests: stats.counts.count,
            errors: stats.errors,
            window: stats.window.counts(now),
          }
        : {
            name,
            requests: 0,
            errors: 0,
            window: { requests: 0, errors: 0, seconds: 1, bins: [] },
          },
    );
  }
  const { backend, revision, subscribers } = source;
  return { backend, revision, subscribers: { ...subscribers }, apps };
}

/**
 * The counts of several cluster workers as those of one server: per app (by name, in order of
 * first appearance) totals and windows add up; subscribers add up (each worker holds its own
 * streams); the revision is the newest seen (the workers share one registry).
 */
export function mergeAppStatsCounts(parts: readonly AppStatsCounts[]): AppStatsCounts {
  const apps = new Map<string, AppCounts[]>();
  for (const part of parts) {
    for (const app of part.apps) {
      const seen = apps.get(app.name);
      if (seen) seen.push(app);
      else apps.set(app.name, [app]);
    }
  }
  return {
    backend: parts[0]?.backend ?? "custom",
    revision: Math.max(0, ...parts.map((part) => part.revision)),
    subscribers: {
      events: sum(parts.map((part) => part.subscribers.events)),
      mcp: sum(parts.map((part) => part.subscribers.mcp)),
    },
    apps: [...apps].map(([name, counts]) => ({
      name,
      requests: sum(counts.map((app) => app.requests)),
      errors: sum(counts.map((app) => app.errors)),
      window: mergeWindowCounts(counts.map((app) => app.window)),
    })),
  };
}

/** The `app_stats` reply of raw counts: rates over the window, percentiles from its histogram. */
export function appStatsFromCounts(counts: AppStatsCounts): AppStatsReply {
  const apps: AppStatsLine[] = counts.apps.map((app) => {
    const window = summarize(app.window);
    return {
      name: app.name,
      requests: app.requests,
      errors: app.errors,
      rate: round(window.requests / window.seconds),
      error_rate: window.requests === 0 ? 0 : round(window.errors / window.requests),
      p50_ms: window.p50_ms,
      p99_ms: window.p99_ms,
    };
  });
  return {
    window_s: WINDOW_S,
    registry: { backend: counts.backend, revision: counts.revision },
    subscribers: counts.subscribers,
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

function sum(values: readonly number[]): number {
  return values.reduce((total, value) => total + value, 0);
}

function round(value: number): number {
  return Math.round(value * 1000) / 1000;
}
