/**
 * Merging cluster workers' counters into one server's `app_stats`: windows add up (percentiles
 * from the merged histogram, the longest span), apps by name, subscribers summed, newest revision.
 * And the primary's side of a merge (ClusterReports, with stand-in workers): `/metrics` summed
 * per bucket, gauges by their aggregator; a worker that exits or cannot be asked fails the merge
 * at once, leaving no pending entry nor timer behind.
 */
import { EventEmitter } from "node:events";
import type { Worker } from "node:cluster";
import { afterEach, describe, expect, it, vi } from "vitest";
import { ClusterReports } from "../../src/observe/cluster-primary.js";
import type { ReportReply, ReportRequest } from "../../src/observe/cluster-reports.js";
import { ServerMetrics } from "../../src/observe/metrics.js";
import {
  appStatsFromCounts,
  appStatsReply,
  mergeAppStatsCounts,
} from "../../src/observe/app-stats.js";
import type { AppStatsCounts } from "../../src/observe/app-stats.js";
import { AppMetrics } from "../../src/observe/app-metrics.js";
import { SlidingWindow, mergeWindowCounts, summarize } from "../../src/observe/window.js";

const EMPTY = { requests: 0, errors: 0, seconds: 1, bins: [] };

describe("mergeWindowCounts", () => {
  it("gives the same summary as one window that saw every request", () => {
    const a = new SlidingWindow(0);
    const b = new SlidingWindow(10_000);
    const all = new SlidingWindow(0);
    const now = 50_000;
    for (let i = 1; i <= 100; i++) {
      // The slow requests all went to worker b: its share alone would misplace p50 and p99.
      (i > 60 ? b : a).record(now, i, i > 95);
      all.record(now, i, i > 95);
    }
    const merged = summarize(mergeWindowCounts([a.counts(now), b.counts(now)]));
    expect(merged).toEqual(all.summary(now));
    expect(merged).toMatchObject({ requests: 100, errors: 5, seconds: 50 });
    expect(summarize(b.counts(now)).p50_ms).not.toBe(merged.p50_ms);
  });

  it("adds empty windows as nothing, and merges no window into an empty one", () => {
    const a = new SlidingWindow(0);
    a.record(5_000, 3, false);
    expect(summarize(mergeWindowCounts([a.counts(5_000), EMPTY]))).toEqual(a.summary(5_000));
    expect(summarize(mergeWindowCounts([]))).toEqual({
      requests: 0,
      errors: 0,
      seconds: 1,
      p50_ms: null,
      p99_ms: null,
    });
  });
});

describe("mergeAppStatsCounts", () => {
  const worker = (
    revision: number,
    events: number,
    apps: [string, number, number][],
  ): AppStatsCounts => ({
    backend: "sqlite",
    revision,
    subscribers: { events, mcp: 1 },
    apps: apps.map(([name, requests, errors]) => ({
      name,
      requests,
      errors,
      window: { requests, errors, seconds: 60, bins: [requests] },
    })),
  });

  it("sums each app's totals and window, the subscribers, and keeps the newest revision", () => {
    const merged = mergeAppStatsCounts([
      worker(7, 2, [
        ["echo", 3, 1],
        ["calc", 2, 0],
      ]),
      worker(8, 1, [
        ["echo", 4, 0],
        ["late", 6, 6],
      ]),
    ]);
    expect(merged).toMatchObject({
      backend: "sqlite",
      revision: 8,
      subscribers: { events: 3, mcp: 2 },
    });
    const reply = appStatsFromCounts(merged);
    expect(reply.registry).toEqual({ backend: "sqlite", revision: 8 });
    expect(reply.apps.map(({ name, requests, errors }) => [name, requests, errors])).toEqual([
      ["echo", 7, 1],
      ["calc", 2, 0],
      ["late", 6, 6],
    ]);
    expect(reply.apps[0]).toMatchObject({ rate: 0.117, error_rate: 0.143 });
    expect(reply.apps[2]).toMatchObject({ error_rate: 1 });
  });

  it("keeps a single server's reply as it was: counts taken then built give appStatsReply", () => {
    const metrics = new AppMetrics();
    const observation = metrics.start({} as never, "echo");
    observation.end(200);
    const source = {
      metrics,
      names: ["echo", "idle"],
      backend: "memory",
      revision: 2,
      subscribers: { events: 0, mcp: 0 },
    };
    const reply = appStatsReply(source);
    expect(reply.apps).toMatchObject([
      { name: "echo", requests: 1, errors: 0 },
      { name: "idle", requests: 0, rate: 0, error_rate: 0, p50_ms: null, p99_ms: null },
    ]);
    expect(reply.apps[0]!.p50_ms).not.toBeNull();
    expect(appStatsFromCounts(mergeAppStatsCounts([]))).toEqual({
      window_s: 60,
      registry: { backend: "custom", revision: 0 },
      subscribers: { events: 0, mcp: 0 },
      apps: [],
    });
  });
});

/** A cluster worker as the primary sees it: what it was sent, and whether its channel is open. */
class FakeWorker extends EventEmitter {
  readonly sent: unknown[] = [];
  connected = true;
  /** The channel closes as a message is sent: the send's callback gets the error. */
  failSends = false;

  isConnected(): boolean {
    return this.connected;
  }

  send(message: unknown, _handle?: unknown, _options?: unknown, cb?: (e: Error | null) => void) {
    this.sent.push(message);
    const error = this.failSends ? new Error("Channel closed") : null;
    queueMicrotask(() => cb?.(error));
    return true;
  }

  /** The report requests this worker was sent. */
  requests(): ReportRequest[] {
    return this.sent.filter((m) => (m as ReportRequest).type === "portico:report") as never;
  }

  /** The merged answers (or errors) this worker was sent. */
  answers(): ReportReply[] {
    return this.sent.filter((m) => (m as ReportReply).type === "portico:collected") as never;
  }
}

const settle = async (): Promise<void> => {
  for (let i = 0; i < 20; i++) await Promise.resolve();
};

describe("ClusterReports (the primary's merge)", () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  const setup = () => {
    const workers = [new FakeWorker(), new FakeWorker()];
    const reports = new ClusterReports(() => workers as unknown as Worker[]);
    const [a, b] = workers as [FakeWorker, FakeWorker];
    const w = (fake: FakeWorker) => fake as unknown as Worker;
    return { reports, a, b, w };
  };

  it("sums counters and histogram buckets per le, and takes each gauge's aggregator", async () => {
    const { reports, a, b, w } = setup();
    const parts = [new ServerMetrics(), new ServerMetrics()];
    parts.forEach((metrics, i) => {
      const counts = metrics.endpoint("echo", "http");
      counts.observe(200, 0.002); // le 0.0025 in both
      if (i === 1) counts.observe(500, 3); // le 5 in one
      metrics.add(
        {
          name: "t_max",
          help: "h",
          type: "gauge",
          aggregator: "max",
          samples: () => [{ value: 4 + i }],
        },
        { name: "t_sum", help: "h", type: "gauge", samples: () => [{ value: 4 + i }] },
      );
    });
    reports.onMessage(w(a), { type: "portico:collect", id: 7, kind: "metrics" });
    for (const [i, worker] of [a, b].entries()) {
      const data = JSON.parse(JSON.stringify(await parts[i]!.json())) as unknown;
      reports.onMessage(w(worker), {
        type: "portico:report-reply",
        id: worker.requests()[0]!.id,
        data,
      });
    }
    await vi.waitFor(() => expect(a.answers()).toHaveLength(1));
    const text = a.answers()[0]!.data as string;
    const labels = 'endpoint="echo",transport="http"';
    expect(text).toContain(`portico_endpoint_duration_seconds_bucket{${labels},le="0.001"} 0`);
    expect(text).toContain(`portico_endpoint_duration_seconds_bucket{${labels},le="0.0025"} 2`);
    expect(text).toContain(`portico_endpoint_duration_seconds_bucket{${labels},le="2.5"} 2`);
    expect(text).toContain(`portico_endpoint_duration_seconds_bucket{${labels},le="5"} 3`);
    expect(text).toContain(`portico_endpoint_duration_seconds_count{${labels}} 3`);
    expect(text).toContain(`portico_endpoint_requests_total{${labels},status_class="2xx"} 2`);
    expect(text).toContain(`portico_endpoint_requests_total{${labels},status_class="5xx"} 1`);
    expect(text).toMatch(/^t_max 5$/m);
    expect(text).toMatch(/^t_sum 9$/m);
    expect(reports.pendingCount).toBe(0);
  });

  it("fails a merge at once when an asked worker exits before it reports, and cleans up", async () => {
    vi.useFakeTimers();
    const { reports, a, b, w } = setup();
    reports.onMessage(w(a), { type: "portico:collect", id: 1, kind: "app_stats" });
    const id = a.requests()[0]!.id;
    expect(b.requests()[0]!.id).toBe(id);
    reports.onMessage(w(a), { type: "portico:report-reply", id, data: mergeAppStatsCounts([]) });
    expect(reports.pendingCount).toBe(1);
    // An exit of a worker that already reported, or was not asked, changes nothing.
    reports.workerExited(w(a));
    reports.workerExited(w(new FakeWorker()));
    expect(reports.pendingCount).toBe(1);
    b.connected = false;
    reports.workerExited(w(b));
    await settle();
    expect(a.answers()).toEqual([
      { type: "portico:collected", id: 1, error: "a worker stopped before it reported" },
    ]);
    expect(reports.pendingCount).toBe(0);
    expect(vi.getTimerCount()).toBe(0);
    // Its late reply (it cannot come, but a stray one) is no answer to anything.
    reports.onMessage(w(b), { type: "portico:report-reply", id, data: null });
    await settle();
    expect(a.answers()).toHaveLength(1);
  });

  it("fails a merge at once when a worker cannot be asked, and when one times out", async () => {
    vi.useFakeTimers();
    const { reports, a, b, w } = setup();
    b.failSends = true;
    reports.onMessage(w(a), { type: "portico:collect", id: 1, kind: "app_stats" });
    await settle();
    expect(a.answers()[0]?.error).toMatch(/cannot be asked: Channel closed/);
    expect([reports.pendingCount, vi.getTimerCount()]).toEqual([0, 0]);

    b.failSends = false;
    reports.onMessage(w(a), { type: "portico:collect", id: 2, kind: "app_stats" });
    await vi.advanceTimersByTimeAsync(1_500);
    expect(a.answers()[1]).toMatchObject({ id: 2, error: "2 of 2 workers did not report in time" });
    expect([reports.pendingCount, vi.getTimerCount()]).toEqual([0, 0]);
  });
});
