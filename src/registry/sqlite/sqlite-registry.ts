/**
 * `sqlite:///abs/path.db`, `sqlite:./rel.db`: the change feed in a SQLite file (better-sqlite3,
 * WAL mode). Durable across restarts, shared by the processes that open the same file (gateway
 * workers on one machine): tickets, revisions and history live in the file, and watchers learn
 * of other processes' commits by polling the revision.
 */
import { RegistryUnavailableError } from "../../errors.js";
import type {
  Change,
  ChangeFeedRegistry,
  ChangeRequest,
  ExpiredLease,
  FeedEvent,
  Snapshot,
  StoredApp,
  Ticket,
} from "../change-feed.js";
import { historySize, mustResync } from "../feed-gap.js";
import { openDatabase, sqliteFilename } from "./sqlite-driver.js";
import type { SqliteDatabase } from "./sqlite-driver.js";
import { RevisionPoller } from "./revision-poller.js";
import { SqliteLeases } from "./sqlite-leases.js";
import { SqliteFeedStore } from "./sqlite-store.js";

/** Options of a SQLite registry. */
export interface SqliteFeedOptions {
  /** Changes kept for replay (default 10,000); a watcher further behind gets `resync`. */
  history?: number;
  /** How long a write waits for another process's write lock, in ms (default 2,000). */
  busyTimeout?: number;
  /** How often watchers read the revision to see other processes' commits, in ms (default 25). */
  pollInterval?: number;
}

/** Changes read per query while replaying. */
const BATCH = 256;

/**
 * A change feed in a SQLite file. better-sqlite3 is synchronous: each operation is one short
 * transaction (well under a millisecond), and a write that meets another process's lock waits
 * at most `busyTimeout`, then fails with REGISTRY_UNAVAILABLE.
 *
 * @example
 * const registry = await SqliteFeedRegistry.open("sqlite:./portico.db");
 * const { ticket } = await registry.begin("billing");
 * await registry.apply({ op: "put", app, ticket });
 */
export class SqliteFeedRegistry implements ChangeFeedRegistry {
  private readonly store: SqliteFeedStore;
  private readonly leases: SqliteLeases;
  private readonly poller: RevisionPoller;
  private closed = false;

  private constructor(
    readonly url: string,
    private readonly db: SqliteDatabase,
    options: SqliteFeedOptions,
  ) {
    this.store = new SqliteFeedStore(db, historySize(options.history));
    this.leases = new SqliteLeases(db);
    this.poller = new RevisionPoller(() => this.store.revision(), options.pollInterval ?? 25);
  }

  /** Opens (creating if needed) the file a `sqlite:` URL names; loads better-sqlite3 on first use. */
  static async open(url: string, options: SqliteFeedOptions = {}): Promise<SqliteFeedRegistry> {
    historySize(options.history);
    const db = await openDatabase(sqliteFilename(url), options.busyTimeout ?? 2_000);
    try {
      return new SqliteFeedRegistry(url, db, options);
    } catch (error) {
      db.close();
      throw unavailable(error);
    }
  }

  begin(name: string): Promise<Ticket> {
    return this.run(() => this.store.begin(name));
  }

  apply(request: ChangeRequest): Promise<Change | undefined> {
    return this.run(() => {
      const change = this.store.apply(request);
      if (change) this.poller.wakeAll();
      return change;
    });
  }

  get(name: string): Promise<StoredApp | undefined> {
    return this.run(() => this.store.get(name));
  }

  lease(name: string, url: string, ttlMs: number): Promise<void> {
    return this.run(() => this.leases.lease(name, url, ttlMs));
  }

  renewLease(name: string, url: string, ttlMs: number): Promise<boolean> {
    return this.run(() => this.leases.renew(name, url, ttlMs));
  }

  dropLease(name: string, url: string): Promise<void> {
    return this.run(() => this.leases.drop(name, url));
  }

  claimExpiredLease(name: string, url: string): Promise<boolean> {
    return this.run(() => this.leases.claimExpired(name, url));
  }

  expiredLeases(limit?: number): Promise<ExpiredLease[]> {
    return this.run(() => this.leases.expired(limit));
  }

  snapshot(): Promise<Snapshot> {
    return this.run(() => this.store.snapshot());
  }

  revision(): Promise<number> {
    return this.run(() => this.store.revision());
  }

  async *watch(fromRevision: number, signal: AbortSignal): AsyncIterable<FeedEvent> {
    let at = fromRevision;
    while (!signal.aborted && !this.closed) {
      const batch = this.store.changesAfter(at, BATCH);
      if (batch.length > 0 && batch[0]!.revision === at + 1) {
        for (const change of batch) {
          at = change.revision;
          yield change;
          if (signal.aborted || this.closed) return;
        }
        continue;
      }
      const position = this.store.state();
      if (mustResync(at, position)) {
        at = position.revision;
        yield { type: "resync", revision: at };
      } else {
        await this.poller.wait(at, signal);
      }
    }
  }

  close(): Promise<void> {
    if (this.closed) return Promise.resolve();
    this.closed = true;
    this.poller.wakeAll();
    this.db.close();
    return Promise.resolve();
  }

  private run<T>(operation: () => T): Promise<T> {
    try {
      return Promise.resolve(operation());
    } catch (error) {
      return Promise.reject(unavailable(error));
    }
  }
}

/** Lock and I/O failures become REGISTRY_UNAVAILABLE; anything else (a bug) stays as it is. */
function unavailable(error: unknown): Error {
  const code = (error as { code?: unknown } | undefined)?.code;
  if (
    typeof code !== "string" ||
    !/^SQLITE_(BUSY|LOCKED|IOERR|FULL|CANTOPEN|READONLY)/.test(code)
  ) {
    return error instanceof Error ? error : new Error(String(error));
  }
  return new RegistryUnavailableError(`The SQLite registry could not take the change (${code})`, {
    cause: error,
    data: { code },
  });
}
