/**
 * Merging cluster workers' counters into one server's `app_stats`: windows add up (percentiles
 * from the merged histogram, the longest span), apps by name, subscribers summed, newest revision.
 */
import { describe, expect, it } from "vitest";
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
