/**
 * The metrics of one server (service or gateway), served as Prometheus text at `GET /metrics`.
 * Requests are counted in plain objects (metrics-counts.ts); prom-client is loaded on the first
 * scrape, never on the request path, and reads those counters through metrics whose samples are
 * taken at scrape time. Each server has its own prom-client Registry (several servers may share
 * a process, and must not share series); the process metrics (`process_*`, `nodejs_*`) describe
 * the process, so they are collected once per process and appended to every server's text.
 * In a launched cluster worker the text is the primary's merge of every worker's metrics
 * (cluster-reports.ts), each metric adding up as its `aggregator` says.
 */
import type { Aggregator, Metric, Registry } from "prom-client";
import type { FastifyInstance } from "fastify";
import { askPrimary, inCluster, reportTo } from "./cluster-reports.js";
import { DURATION_BUCKETS, RequestCounts, STATUS_CLASSES } from "./metrics-counts.js";

/** One sample of a metric: its value, labels, and for histograms the line's own name. */
export interface Sample {
  value: number;
  labels?: Record<string, string | number>;
  metricName?: string;
}

/** A metric whose samples are read from plain counters when it is scraped. */
export interface MetricSpec {
  name: string;
  help: string;
  type: "counter" | "gauge" | "histogram";
  /** How cluster workers' values add up into the server's (default "sum"). */
  aggregator?: Aggregator;
  samples(): Sample[];
}

/** How an endpoint was called. */
export type Transport = "http" | "mcp";

interface EndpointSeries {
  endpoint: string;
  transport: Transport;
  counts: RequestCounts;
}

/** The metrics of one server. */
export class ServerMetrics {
  private readonly specs: MetricSpec[] = [];
  private readonly endpoints = new Map<string, EndpointSeries>();
  private registry: Promise<Registry> | undefined;

  constructor() {
    const series = (): Iterable<EndpointSeries> => this.endpoints.values();
    this.add(
      {
        name: "portico_endpoint_requests_total",
        help: "Requests answered by each endpoint of this server, by status class.",
        type: "counter",
        samples: () =>
          classSamples(series(), (s) => ({ endpoint: s.endpoint, transport: s.transport })),
      },
      {
        name: "portico_endpoint_duration_seconds",
        help: "Seconds from a request's arrival to its reply, per endpoint of this server.",
        type: "histogram",
        samples: () =>
          histogramSamples("portico_endpoint_duration_seconds", series(), (s) => ({
            endpoint: s.endpoint,
            transport: s.transport,
          })),
      },
    );
  }

  /** The counters of `endpoint` called over `transport` (made on first use; keep the result). */
  endpoint(endpoint: string, transport: Transport): RequestCounts {
    const key = `${transport} ${endpoint}`;
    let series = this.endpoints.get(key);
    if (!series) {
      series = { endpoint, transport, counts: new RequestCounts() };
      this.endpoints.set(key, series);
    }
    return series.counts;
  }

  /** Adds metrics (before the first scrape). */
  add(...specs: MetricSpec[]): void {
    this.specs.push(...specs);
  }

  /**
   * The exposition: its content type and text (this server's metrics, then the process's). In a
   * launched cluster worker, the merge of every worker's, made by the primary.
   */
  async scrape(): Promise<{ contentType: string; text: string }> {
    const registry = await (this.registry ??= this.createRegistry());
    if (inCluster())
      return { contentType: registry.contentType, text: await askPrimary("metrics") };
    const [own, process] = await Promise.all([
      registry.metrics(),
      (await processRegistry()).metrics(),
    ]);
    return { contentType: registry.contentType, text: `${own}\n${process}` };
  }

  /** This server's and the process's metrics as prom-client JSON (what the primary merges). */
  async json(): Promise<Awaited<ReturnType<Registry["getMetricsAsJSON"]>>> {
    const registry = await (this.registry ??= this.createRegistry());
    const [own, process] = await Promise.all([
      registry.getMetricsAsJSON(),
      (await processRegistry()).getMetricsAsJSON(),
    ]);
    return [...own, ...process];
  }

  /**
   * In a launched cluster worker: reports this server's metrics to the primary's merges, with
   * prom-client loaded now (the process metrics start counting from the start, and the first
   * merge does not wait for the import).
   */
  shareWithCluster(): void {
    if (!inCluster()) return;
    reportTo("metrics", () => this.json());
    // Failures surface at the first merge; here they must not be unhandled rejections.
    (this.registry ??= this.createRegistry()).catch(() => undefined);
    processRegistry().catch(() => undefined);
  }

  private async createRegistry(): Promise<Registry> {
    const { Registry } = await import("prom-client");
    const registry = new Registry();
    // prom-client formats whatever `get()` returns: these metrics take their values from the
    // plain counters at that moment instead of keeping labelled children of their own.
    for (const spec of this.specs) registry.registerMetric(asMetric(spec));
    return registry;
  }
}

/** Serves `GET /metrics` (access "call": behind the caller token when one is configured). */
export function registerMetricsRoute(app: FastifyInstance, metrics: ServerMetrics): void {
  metrics.shareWithCluster();
  app.get("/metrics", { config: { access: "call" } }, async (_request, reply) => {
    const { contentType, text } = await metrics.scrape();
    return reply.type(contentType).send(text);
  });
}

/** `<name>_total` samples of each series' non-empty status classes. */
export function classSamples<T extends { counts: RequestCounts }>(
  series: Iterable<T>,
  labelsOf: (series: T) => Record<string, string>,
): Sample[] {
  const samples: Sample[] = [];
  for (const s of series) {
    const labels = labelsOf(s);
    s.counts.classes.forEach((value, i) => {
      if (value > 0)
        samples.push({ value, labels: { ...labels, status_class: STATUS_CLASSES[i]! } });
    });
  }
  return samples;
}

/** Histogram lines (cumulative `_bucket`s, `_sum`, `_count`) of each series that counted any. */
export function histogramSamples<T extends { counts: RequestCounts }>(
  name: string,
  series: Iterable<T>,
  labelsOf: (series: T) => Record<string, string>,
): Sample[] {
  const samples: Sample[] = [];
  for (const s of series) {
    const counts = s.counts;
    if (counts.count === 0) continue;
    const labels = labelsOf(s);
    let cumulative = 0;
    DURATION_BUCKETS.forEach((le, i) => {
      cumulative += counts.buckets[i]!;
      samples.push({ metricName: `${name}_bucket`, value: cumulative, labels: { ...labels, le } });
    });
    const all = { ...labels, le: "+Inf" };
    samples.push({ metricName: `${name}_bucket`, value: counts.count, labels: all });
    samples.push({ metricName: `${name}_sum`, value: counts.sum, labels });
    samples.push({ metricName: `${name}_count`, value: counts.count, labels });
  }
  return samples;
}

/** A spec in the shape prom-client's Registry reads (`get()`, `reset()`, name, help, type). */
function asMetric(spec: MetricSpec): Metric {
  const metric = {
    name: spec.name,
    help: spec.help,
    type: spec.type,
    aggregator: spec.aggregator ?? "sum",
    get: () =>
      Promise.resolve({ ...metric, values: spec.samples().map((s) => ({ labels: {}, ...s })) }),
    reset: () => undefined,
  };
  return metric as unknown as Metric;
}

let processMetrics: Promise<Registry> | undefined;

/** The process metrics, collected once per process whatever number of servers it holds. */
function processRegistry(): Promise<Registry> {
  return (processMetrics ??= import("prom-client").then(({ Registry, collectDefaultMetrics }) => {
    const registry = new Registry();
    collectDefaultMetrics({ register: registry });
    return registry;
  }));
}
