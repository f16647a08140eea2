/**
 * The rules every backend shares, written once so that SQLite and Redis agree with the memory
 * reference: when a watcher must resync, and how options and lease arguments are checked.
 */
import { InvalidOptionsError } from "../errors.js";

/** Where a store's feed stands: its newest revision and the oldest change it still keeps. */
export interface FeedPosition {
  revision: number;
  oldest: number | undefined;
}

/**
 * True when a watcher that has seen everything up to `at` cannot be brought up to date from the
 * kept history: changes after `at` were pruned, or the store is behind `at` (it was reset or
 * replaced, e.g. a Redis restarted without persistence), so its revisions no longer mean the same.
 */
export function mustResync(at: number, position: FeedPosition): boolean {
  if (at > position.revision) return true;
  if (at === position.revision) return false;
  return position.oldest === undefined || position.oldest > at + 1;
}

/** Changes a backend keeps for replay unless told otherwise. */
export const DEFAULT_HISTORY = 10_000;

/** The `history` option, checked: a positive integer (a feed that keeps nothing cannot replay). */
export function historySize(history: number | undefined): number {
  if (history === undefined) return DEFAULT_HISTORY;
  if (Number.isSafeInteger(history) && history > 0) return history;
  throw new InvalidOptionsError(`history must be a positive integer, not ${history}`, {
    data: { history },
  });
}

/** The `ttlMs` of a lease, checked: positive and finite, rounded up to whole milliseconds. */
export function leaseTtl(ttlMs: number): number {
  if (Number.isFinite(ttlMs) && ttlMs > 0) return Math.ceil(ttlMs);
  throw new InvalidOptionsError(`A lease's ttlMs must be a positive number, not ${ttlMs}`, {
    data: { ttlMs },
  });
}

/** Expired leases listed per call unless told otherwise. */
export const DEFAULT_EXPIRED_LIMIT = 100;

/** The `limit` of `expiredLeases` as a whole number of at least 0 (the default when absent). */
export function expiredLimit(limit: number | undefined): number {
  if (limit === undefined || Number.isNaN(limit)) return DEFAULT_EXPIRED_LIMIT;
  return Math.max(0, Math.min(Math.floor(limit), Number.MAX_SAFE_INTEGER));
}

/**
 * One key for the lease of instance `url` of app `name`. Both may hold any character, so they are
 * joined as a JSON array: no separator can make two different pairs meet on one key.
 */
export function leaseKey(name: string, url: string): string {
  return JSON.stringify([name, url]);
}

/** The name and URL a `leaseKey` was made of. */
export function fromLeaseKey(key: string): { name: string; url: string } {
  const [name, url] = JSON.parse(key) as [string, string];
  return { name, url };
}
