/**
 * `memory://`: the change feed in this process's memory (lost on restart; one process only). The
 * reference backend: a Map of apps and an array of recent changes.
 */
import { historySize, mustResync } from "../feed-gap.js";
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
import type { AppRecord } from "../registry.js";
import { MemoryLeases } from "./memory-leases.js";

interface NameTickets {
  last: number;
  committed: number;
}

/** An app as kept: its JSON and the revision of the change that last wrote it. */
interface StoredJson {
  json: Buffer;
  revision: number;
}

/**
 * In-memory feed. Apps are kept as JSON in Buffers: a copy the caller cannot change afterwards,
 * held outside the JavaScript heap so that many large schemas cost the garbage collector nothing.
 */
export class MemoryFeedRegistry implements ChangeFeedRegistry {
  readonly url = "memory://";
  private readonly apps = new Map<string, StoredJson>();
  private readonly leases = new MemoryLeases();
  private readonly history: Change[] = [];
  private readonly tickets = new Map<string, NameTickets>();
  private readonly wakers = new Set<() => void>();
  private current = 0;
  private lastTicket = 0;
  private closed = false;

  private readonly historySize: number;

  /** `history`: changes kept for replay (10,000); a watcher further behind gets `resync`. */
  constructor(history?: number) {
    this.historySize = historySize(history);
  }

  begin(name: string): Promise<Ticket> {
    const tickets = this.tickets.get(name) ?? { last: 0, committed: 0 };
    const superseded = tickets.last > tickets.committed;
    tickets.last = ++this.lastTicket;
    this.tickets.set(name, tickets);
    return Promise.resolve({ ticket: tickets.last, superseded });
  }

  apply(request: ChangeRequest): Promise<Change | undefined> {
    const name = request.op === "put" ? request.app.name : request.name;
    const tickets = this.tickets.get(name);
    if (request.ticket !== undefined && tickets?.last !== request.ticket) {
      return Promise.resolve(undefined);
    }
    // A failed compare-and-set writes nothing, the ticket included: the operation may retry.
    const stored = this.apps.get(name);
    if (request.expect !== undefined && request.expect !== (stored?.revision ?? 0)) {
      return Promise.resolve(undefined);
    }
    if (tickets && request.ticket !== undefined) tickets.committed = request.ticket;
    let change: Change;
    if (request.op === "put") {
      const type = stored ? "app_updated" : "app_registered";
      const revision = ++this.current;
      // Setting an existing key keeps its place: an update keeps the app's registration order.
      this.apps.set(name, { json: Buffer.from(JSON.stringify(request.app)), revision });
      change = { type, revision, name, app: request.app };
    } else {
      if (!this.apps.delete(name)) return Promise.resolve(undefined);
      change = { type: "app_unregistered", revision: ++this.current, name };
    }
    this.history.push(change);
    if (this.history.length > this.historySize) this.history.shift();
    for (const wake of this.wakers) wake();
    return Promise.resolve(change);
  }

  get(name: string): Promise<StoredApp | undefined> {
    const stored = this.apps.get(name);
    if (!stored) return Promise.resolve(undefined);
    return Promise.resolve({ app: parse(stored.json), revision: stored.revision });
  }

  lease(name: string, url: string, ttlMs: number): Promise<void> {
    return settle(() => this.leases.lease(name, url, ttlMs));
  }

  renewLease(name: string, url: string, ttlMs: number): Promise<boolean> {
    return settle(() => this.leases.renew(name, url, ttlMs));
  }

  dropLease(name: string, url: string): Promise<void> {
    this.leases.drop(name, url);
    return Promise.resolve();
  }

  claimExpiredLease(name: string, url: string): Promise<boolean> {
    return Promise.resolve(this.leases.claimExpired(name, url));
  }

  expiredLeases(limit?: number): Promise<ExpiredLease[]> {
    return Promise.resolve(this.leases.expired(limit));
  }

  snapshot(): Promise<Snapshot> {
    const apps = [...this.apps.values()].map((stored) => parse(stored.json));
    return Promise.resolve({ revision: this.current, apps });
  }

  revision(): Promise<number> {
    return Promise.resolve(this.current);
  }

  async *watch(fromRevision: number, signal: AbortSignal): AsyncIterable<FeedEvent> {
    let at = fromRevision;
    if (mustResync(at, { revision: this.current, oldest: this.history[0]?.revision })) {
      // Taken before the yield: changes committed while the consumer reloads must still come.
      at = this.current;
      yield { type: "resync", revision: at };
    }
    while (!signal.aborted && !this.closed) {
      const first = this.history.findIndex((change) => change.revision > at);
      if (first !== -1) {
        for (const change of this.history.slice(first)) {
          at = change.revision;
          yield change;
        }
        continue;
      }
      await this.nextChange(signal);
    }
  }

  close(): Promise<void> {
    this.closed = true;
    for (const wake of this.wakers) wake();
    return Promise.resolve();
  }

  private nextChange(signal: AbortSignal): Promise<void> {
    return new Promise((resolve) => {
      const wake = (): void => {
        this.wakers.delete(wake);
        signal.removeEventListener("abort", wake);
        resolve();
      };
      this.wakers.add(wake);
      signal.addEventListener("abort", wake, { once: true });
    });
  }
}

function parse(json: Buffer): AppRecord {
  return JSON.parse(json.toString()) as AppRecord;
}

/** `operation`'s result, or its error (an invalid ttl) as a rejection, as the other backends give. */
function settle<T>(operation: () => T): Promise<T> {
  try {
    return Promise.resolve(operation());
  } catch (error) {
    return Promise.reject(error instanceof Error ? error : new Error(String(error)));
  }
}
