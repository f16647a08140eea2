/**
 * The gateway's own metrics, on top of every server's: per app, forwarded requests by status
 * class, their latency, gateway-made errors by code; and gauges read from the gateway's state at
 * scrape time (instance health, registry revision, subscribers, apps).
 */
import type { AppMetrics, AppStats } from "./app-metrics.js";
import { classSamples, histogramSamples } from "./metrics.js";
import type { MetricSpec, Sample, ServerMetrics } from "./metrics.js";

/** One instance as the gauges see it. */
export interface InstanceState {
  url: string;
  /** Takes calls (healthy and not ejected). */
  routable: boolean;
}

/** What the gauges read from the gateway when scraped. */
export interface GatewayState {
  /** Every app with its instances. */
  apps(): Iterable<{ name: string; instances: readonly InstanceState[] }>;
  appCount(): number;
  revision(): number;
  eventSubscribers(): number;
  mcpSubscribers(): number;
}

/** Adds the gateway's metrics to `metrics`. */
export function addGatewayMetrics(
  metrics: ServerMetrics,
  apps: AppMetrics,
  state: GatewayState,
): void {
  // Registered apps only: a call that passed the policy just as its app left counts into a
  // fresh entry, which must not bring the app's series back (the next table change drops it).
  const series = (): Iterable<{ app: string; counts: AppStats["counts"]; stats: AppStats }> => {
    const known = new Set<string>();
    for (const app of state.apps()) known.add(app.name);
    return [...apps.apps]
      .filter(([app]) => known.has(app))
      .map(([app, stats]) => ({ app, counts: stats.counts, stats }));
  };
  const byApp = (s: { app: string }): Record<string, string> => ({ app: s.app });
  // Across cluster workers: per-worker state (subscribers) adds up; shared state (the registry's
  // revision and apps, seen by every worker) takes the newest/largest worker's view.
  const gauge = (
    name: string,
    help: string,
    aggregator: "sum" | "max",
    value: () => number,
  ): MetricSpec => ({
    name,
    help,
    type: "gauge",
    aggregator,
    samples: () => [{ value: value() }],
  });
  metrics.add(
    {
      name: "portico_app_requests_total",
      help: "Requests forwarded to each app (HTTP and MCP tool calls), by status class of the reply.",
      type: "counter",
      samples: () => classSamples(series(), byApp),
    },
    {
      name: "portico_app_duration_seconds",
      help: "Seconds from a forwarded request to its reply's headers (or the gateway's error), per app.",
      type: "histogram",
      samples: () => histogramSamples("portico_app_duration_seconds", series(), byApp),
    },
    {
      name: "portico_upstream_errors_total",
      help: "Error replies the gateway made itself for an app (UPSTREAM_TIMEOUT, NO_HEALTHY_INSTANCE...), by code.",
      type: "counter",
      samples: () => {
        const samples: Sample[] = [];
        for (const s of series()) {
          for (const [code, value] of s.stats.errorCodes) {
            samples.push({ value, labels: { app: s.app, code } });
          }
        }
        return samples;
      },
    },
    {
      name: "portico_instance_healthy",
      help: "1 when an app's instance takes calls (healthy and not ejected) on this replica, else 0.",
      type: "gauge",
      // Each worker checks and ejects on its own: 1 while any worker routes calls to it.
      aggregator: "max",
      samples: () => {
        const samples: Sample[] = [];
        for (const app of state.apps()) {
          for (const instance of app.instances) {
            const labels = { app: app.name, instance: instance.url };
            samples.push({ value: instance.routable ? 1 : 0, labels });
          }
        }
        return samples;
      },
    },
    gauge(
      "portico_registry_revision",
      "The registry revision this gateway's route table reflects.",
      "max",
      () => state.revision(),
    ),
    gauge("portico_events_subscribers", "Open /events streams.", "sum", () =>
      state.eventSubscribers(),
    ),
    gauge(
      "portico_mcp_subscribers",
      "MCP clients listening for tool list changes (2025 session streams and 2026 subscriptions).",
      "sum",
      () => state.mcpSubscribers(),
    ),
    gauge("portico_apps", "Apps registered.", "max", () => state.appCount()),
  );
}
