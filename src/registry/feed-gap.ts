/**
 * The one rule every durable backend's `watch` uses to decide that a watcher must resync,
 * written once so that SQLite and Redis agree with the memory reference.
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
