/**
 * The counters behind `/metrics` and `app_stats`: status classes and histogram buckets, the
 * one-minute window (slots expire, percentiles within a bin), and the registry backend's name.
 */
import { describe, expect, it } from "vitest";
import { MemoryFeedRegistry } from "../../src/registry/memory/memory-registry.js";
import type { Registry } from "../../src/registry/registry.js";
import { AppMetrics } from "../../src/observe/app-metrics.js";
import { registryBackend } from "../../src/observe/app-stats.js";
import { DURATION_BUCKETS, RequestCounts } from "../../src/observe/metrics-counts.js";
import { SlidingWindow } from "../../src/observe/window.js";

describe("RequestCounts", () => {
  it("counts status classes and puts each latency in the first bucket that holds it", () => {
    const counts = new RequestCounts();
    counts.observe(200, 0.0005);
    counts.observe(204, 0.001); // on the bound: le="0.001" holds it
    counts.observe(422, 0.3);
    counts.observe(503, 60);
    counts.observe(999, 0.002);
    expect(counts.classes).toEqual([0, 2, 0, 1, 2]);
    expect(counts.buckets[0]).toBe(2);
    expect(counts.buckets[DURATION_BUCKETS.indexOf(0.5)]).toBe(1);
    expect(counts.buckets[DURATION_BUCKETS.length]).toBe(1); // +Inf
    expect(counts.count).toBe(5);
  });
});

describe("SlidingWindow", () => {
  it("gives p50 and p99 within a bin (about 9 %) of the true values", () => {
    const window = new SlidingWindow(0);
    const now = 100_000;
    for (let i = 1; i <= 100; i++) window.record(now, i, i > 95);
    const summary = window.summary(now);
    expect(summary).toMatchObject({ requests: 100, errors: 5 });
    expect(summary.p50_ms! / 50).toBeGreaterThan(0.91);
    expect(summary.p50_ms! / 50).toBeLessThan(1.1);
    expect(summary.p99_ms! / 99).toBeGreaterThan(0.91);
    expect(summary.p99_ms! / 99).toBeLessThan(1.1);
  });

  it("forgets requests older than a minute, and divides the rate by its age while young", () => {
    const window = new SlidingWindow(0);
    window.record(1_000, 5, false);
    window.record(30_000, 5, true);
    expect(window.summary(30_000)).toMatchObject({ requests: 2, errors: 1, seconds: 30 });
    const later = window.summary(61_000);
    expect(later).toMatchObject({ requests: 1, errors: 1 });
    expect(later.seconds).toBeCloseTo(56, 5);
    const gone = window.summary(200_000);
    expect(gone).toMatchObject({ requests: 0, errors: 0, p50_ms: null, p99_ms: null });
  });
});

describe("AppMetrics", () => {
  it("counts a request once however often its end is reported, and gateway errors by code", () => {
    const metrics = new AppMetrics();
    const req = {} as Parameters<AppMetrics["start"]>[0];
    const first = metrics.start(req, "a");
    first.end(200);
    first.end(200);
    metrics.start(req, "a").end(503, "NO_HEALTHY_INSTANCE");
    metrics.start(req, "a").end(499);
    const stats = metrics.apps.get("a")!;
    expect(stats.counts.count).toBe(3);
    expect(stats.errors).toBe(1);
    expect([...stats.errorCodes]).toEqual([["NO_HEALTHY_INSTANCE", 1]]);
    metrics.prune(new Map());
    expect(metrics.apps.size).toBe(0);
  });
});

describe("registryBackend", () => {
  it("names the backend from the URL's scheme or the instance's class", () => {
    expect(registryBackend("memory://")).toBe("memory");
    expect(registryBackend("sqlite:///tmp/x.db")).toBe("sqlite");
    expect(registryBackend("sqlite:./x.db")).toBe("sqlite");
    expect(registryBackend("redis://127.0.0.1:6379/0")).toBe("redis");
    expect(registryBackend("rediss://cache.example:6380/0")).toBe("redis");
    expect(registryBackend(new MemoryFeedRegistry())).toBe("memory");
    class SqliteFeedRegistry {}
    expect(registryBackend(new SqliteFeedRegistry() as unknown as Registry)).toBe("sqlite");
    expect(registryBackend({} as Registry)).toBe("custom");
  });
});
