/**
 * Follows the registry's feed into the app table: the snapshot at start, then every change in
 * revision order, a fresh snapshot after a gap, and retries with backoff while the store is
 * unreachable (forwarding goes on from memory meanwhile). It is also the gateway's one local
 * fan-out: `/events`, and anything else that wants changes, subscribe here rather than watch the
 * store themselves.
 */
import type { Change, FeedEvent, Registry } from "../../registry/registry.js";
import { sleep } from "../../net/timers.js";
import type { AppTable } from "./app-table.js";

/**
 * How long a request about something this replica does not know yet (an unknown app, a revision
 * ahead of its table) waits for the feed to catch up with the store.
 */
export const CATCH_UP_MS = 250;

/** Changes kept for replay to `/events` subscribers that reconnect. */
const RECENT = 1_024;
const RETRY_FIRST_MS = 100;
const RETRY_MAX_MS = 5_000;
/** How often `catchUp` asks a store that did not answer for its revision again. */
const REVISION_RETRY_MS = 10;

/** A local subscriber: changes as applied, and `resync` after the table was reloaded. */
export type FeedListener = (event: FeedEvent) => void;

interface Waiter {
  revision: number;
  resolve(reached: boolean): void;
  timer: NodeJS.Timeout;
}

/** Keeps one gateway's table in step with the registry. */
export class FeedFollower {
  private readonly recent: Change[] = [];
  private readonly listeners = new Set<FeedListener>();
  private waiters: Waiter[] = [];
  private readonly stop = new AbortController();
  private loop: Promise<void> | undefined;

  constructor(
    private readonly registry: Registry,
    private readonly table: AppTable,
  ) {}

  /** Loads the snapshot, then follows the feed in the background. */
  async start(): Promise<void> {
    this.table.reset(await this.registry.snapshot());
    this.loop = this.follow();
  }

  /** The newest revision applied locally. */
  get revision(): number {
    return this.table.revision;
  }

  /** Resolves true once the table reflects `revision`, false after `timeoutMs`. */
  waitFor(revision: number, timeoutMs: number): Promise<boolean> {
    if (this.table.revision >= revision) return Promise.resolve(true);
    return new Promise((resolve) => {
      const waiter: Waiter = {
        revision,
        resolve,
        timer: setTimeout(() => {
          this.waiters = this.waiters.filter((w) => w !== waiter);
          resolve(false);
        }, timeoutMs),
      };
      this.waiters.push(waiter);
    });
  }

  /**
   * Waits (at most `timeoutMs`) until the table reflects the store's newest revision: how a
   * replica makes a registration made elsewhere a moment ago visible to the very next call.
   */
  async catchUp(timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    const newest = await this.newestRevision(deadline);
    if (newest === undefined) return; // the store did not answer in time: answer from memory
    await this.waitFor(newest, Math.max(0, deadline - Date.now()));
  }

  /** Adds a listener; returns its removal. */
  subscribe(listener: FeedListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Changes after `since` still kept here, or undefined when some are gone (resync). */
  changesSince(since: number): Change[] | undefined {
    if (since >= this.table.revision) return [];
    const first = this.recent[0];
    if (!first || first.revision > since + 1) return undefined;
    return this.recent.slice(this.recent.findIndex((c) => c.revision > since));
  }

  /** Stops following; pending waits resolve false. */
  async close(): Promise<void> {
    this.stop.abort();
    for (const waiter of this.waiters) {
      clearTimeout(waiter.timer);
      waiter.resolve(false);
    }
    this.waiters = [];
    await this.loop;
  }

  /**
   * The store's newest revision, asked again every few milliseconds until `deadline` while the
   * store does not answer, and never waited for past it. Just after a store restart this replica's
   * connection may still be reconnecting while another replica's is back and has registered an
   * app: giving up at the first failure would answer 404 for it on the very next call.
   */
  private async newestRevision(deadline: number): Promise<number | undefined> {
    while (!this.stop.signal.aborted) {
      const left = deadline - Date.now();
      if (left <= 0) return undefined;
      try {
        return await within(this.registry.revision(), left);
      } catch {
        // Unreachable for now (or too slow): ask again while there is time.
      }
      await sleep(
        Math.min(REVISION_RETRY_MS, Math.max(0, deadline - Date.now())),
        this.stop.signal,
      );
    }
    return undefined;
  }

  private async follow(): Promise<void> {
    let delay = RETRY_FIRST_MS;
    while (!this.stop.signal.aborted) {
      try {
        for await (const event of this.registry.watch(this.table.revision, this.stop.signal)) {
          delay = RETRY_FIRST_MS;
          if (event.type === "resync") await this.resync();
          else this.applyChange(event);
        }
      } catch {
        // The store is unreachable: keep serving from memory, retry with backoff.
      }
      if (this.stop.signal.aborted) return;
      await sleep(delay, this.stop.signal);
      delay = Math.min(delay * 2, RETRY_MAX_MS);
    }
  }

  private applyChange(change: Change): void {
    if (!this.table.apply(change)) return;
    this.recent.push(change);
    if (this.recent.length > RECENT) this.recent.shift();
    this.emit(change);
  }

  private async resync(): Promise<void> {
    // The store is the truth, even when it went back in time (a Redis restored from an older
    // save): the table follows it, and subscribers are told to reload.
    const snapshot = await this.registry.snapshot();
    this.table.reset(snapshot);
    this.recent.length = 0;
    this.emit({ type: "resync", revision: snapshot.revision });
  }

  private emit(event: FeedEvent): void {
    for (const listener of this.listeners) listener(event);
    if (this.waiters.length === 0) return;
    const reached = this.waiters.filter((w) => w.revision <= this.table.revision);
    if (reached.length === 0) return;
    this.waiters = this.waiters.filter((w) => w.revision > this.table.revision);
    for (const waiter of reached) {
      clearTimeout(waiter.timer);
      waiter.resolve(true);
    }
  }
}

/** `promise`, or a rejection once `ms` have passed (the store's own timeouts may be longer). */
function within<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
  });
  return Promise.race([promise, late]).finally(() => clearTimeout(timer));
}
