/**
 * Reads a registry's `watch` one event at a time in tests: each read has a deadline (a guard
 * against a hang, not a timing assertion) and the watch is aborted on dispose.
 */
import type { AppRecord } from "../../src/registry/change-feed.js";
import type { ChangeFeedRegistry, FeedEvent } from "../../src/registry/change-feed.js";

/** A started watch. */
export interface FeedReader extends AsyncDisposable {
  /** The next `count` events, in order; rejects when they do not come within `ms`. */
  next(count?: number, ms?: number): Promise<FeedEvent[]>;
  /** Resolves true when the watch ends (its iterator is done) within `ms`. */
  ended(ms?: number): Promise<boolean>;
  /** Aborts the watch. */
  stop(): void;
}

/** Starts `registry.watch(from)` under a controller of its own. */
export function readFeed(registry: ChangeFeedRegistry, from: number): FeedReader {
  const controller = new AbortController();
  const iterator = registry.watch(from, controller.signal)[Symbol.asyncIterator]();
  const pull = (ms: number): Promise<IteratorResult<FeedEvent>> =>
    withDeadline(iterator.next(), ms, `no event from ${registry.url} within ${ms} ms`);
  return {
    async next(count = 1, ms = 5_000) {
      const events: FeedEvent[] = [];
      while (events.length < count) {
        const result = await pull(ms);
        if (result.done) throw new Error(`the watch of ${registry.url} ended early`);
        events.push(result.value);
      }
      return events;
    },
    async ended(ms = 5_000) {
      return (await pull(ms)).done === true;
    },
    stop: () => controller.abort(),
    [Symbol.asyncDispose]: async () => {
      controller.abort();
      if (iterator.return) await withDeadline(iterator.return(), 5_000, "watch did not stop");
    },
  };
}

function withDeadline<T>(promise: Promise<T>, ms: number, message: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(message)), ms);
  });
  return Promise.race([promise, deadline]).finally(() => clearTimeout(timer));
}

/** A record with a non-trivial endpoints map, as the gateway stores it. */
export function appRecord(name: string, url = `http://127.0.0.1:1/${name}`): AppRecord {
  return {
    name,
    url,
    endpoints: {
      echo: {
        name: "echo",
        path: "/echo",
        methods: ["POST"],
        input_schema: { type: "object", properties: { message: { type: "string" } } },
        output_schema: null,
        description: `echo of ${name}`,
      },
    },
  };
}

/** Names of the apps a registry lists, in order. */
export async function appNames(registry: ChangeFeedRegistry): Promise<string[]> {
  return (await registry.snapshot()).apps.map((app) => app.name);
}
