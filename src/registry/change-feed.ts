/**
 * The gateway's state as a revisioned change feed. A Registry is the source of truth: a gateway
 * writes a change to it first, then applies the change to its in-memory route table from the
 * feed, like every other replica or worker does. Backends (memory, SQLite, Redis) implement this
 * one interface and pass one conformance suite (`test/helpers/feed-conformance.ts`).
 */
import type { AppInfo } from "../gateway/tasks.js";

/** One registered app, as stored. */
export type AppRecord = AppInfo;

/** One entry of the feed; `revision` numbers entries 1, 2, 3, ... across all names. */
export type Change =
  | { type: "app_registered"; revision: number; name: string; app: AppRecord }
  | { type: "app_updated"; revision: number; name: string; app: AppRecord }
  | { type: "app_unregistered"; revision: number; name: string };

/** What `watch` yields: changes in revision order, or `resync` when the history asked for is gone. */
export type FeedEvent = Change | { type: "resync"; revision: number };

/** Every app (in registration order) and the revision they reflect. */
export interface Snapshot {
  revision: number;
  apps: AppRecord[];
}

/** What `begin` returns: a ticket for the operation, and whether an earlier one was still open. */
export interface Ticket {
  ticket: number;
  /** True when an operation on this name had begun and was neither committed nor superseded. */
  superseded: boolean;
}

/**
 * A write. With a `ticket` from `begin(name)` it is conditional: it applies only if no later
 * operation on that name began since, so the latest operation wins even when an earlier one
 * (a registration still discovering) finishes last.
 */
export type ChangeRequest =
  | { op: "put"; app: AppRecord; ticket?: number; expect?: number }
  | { op: "delete"; name: string; ticket?: number; expect?: number };

/**
 * One app as stored, with the revision of the change that last wrote it: pass that revision as
 * `expect` to make a read-modify-write (adding or removing one instance) a compare-and-set.
 */
export interface StoredApp {
  app: AppRecord;
  revision: number;
}

/** A lease whose deadline passed: the instance it kept registered is due for removal. */
export interface ExpiredLease {
  name: string;
  url: string;
}

/** Storage of registered apps, as a feed of changes. */
export interface ChangeFeedRegistry {
  /** The URL it was opened from (`memory://`, `sqlite:///...`, `redis://...`), for reports. */
  readonly url: string;
  /** Starts an operation on `name`: any later `begin` on that name supersedes this ticket. */
  begin(name: string): Promise<Ticket>;
  /**
   * Writes one change atomically and resolves with it (its revision assigned); resolves
   * undefined when the ticket was superseded, when `expect` is given and differs from the
   * revision of the name's last change (0: the name must not be registered), or for a delete of
   * a name that is not registered.
   */
  apply(request: ChangeRequest): Promise<Change | undefined>;
  /** One app and the revision of its last change, or undefined when it is not registered. */
  get(name: string): Promise<StoredApp | undefined>;
  /**
   * Creates or extends the lease of instance `url` of app `name` to `ttlMs` from now. Leases are
   * kept apart from the apps (renewing one writes no change to the feed). Times are the store's
   * clock: Redis's TIME for Redis (shared by replicas; the lease key expires on its own), the
   * process clock for memory and SQLite.
   */
  lease(name: string, url: string, ttlMs: number): Promise<void>;
  /**
   * Extends a lease that is still running; false when there is none (never made, dropped, or
   * already past its deadline): the instance must register again.
   */
  renewLease(name: string, url: string, ttlMs: number): Promise<boolean>;
  /** Removes a lease (the instance unregistered, or its expiry was handled); idempotent. */
  dropLease(name: string, url: string): Promise<void>;
  /**
   * Drops the lease of instance `url` of app `name` only if its deadline has passed (atomically:
   * a lease renewed or created again meanwhile stays); true when it dropped one. Of replicas
   * handling the same expired lease, exactly one gets true.
   */
  claimExpiredLease(name: string, url: string): Promise<boolean>;
  /**
   * Leases past their deadline, oldest first, at most `limit` (100). They stay listed until
   * dropped: every replica may see the same ones, so removing an instance must be idempotent.
   */
  expiredLeases(limit?: number): Promise<ExpiredLease[]>;
  /** Every app and the current revision. */
  snapshot(): Promise<Snapshot>;
  /** The newest revision committed (cheap: one read), for replicas catching up. */
  revision(): Promise<number>;
  /**
   * Changes after `fromRevision`, in order, then live ones as they are committed, until `signal`
   * aborts. When changes after `fromRevision` are no longer kept, yields `resync` first: reload
   * the snapshot, then watch from its revision.
   */
  watch(fromRevision: number, signal: AbortSignal): AsyncIterable<FeedEvent>;
  /** Releases the backend's connections; idempotent. */
  close(): Promise<void>;
}
