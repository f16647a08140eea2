/**
 * `memory://`: the change feed in this process's memory (lost on restart; one process only). The
 * reference backend: a Map of apps and an array of recent changes.
 */
import { historySize, mustResync } from "../feed-gap.js";
import type {
  Change,
  ChangeFeedRegistry,
  ChangeRequest,
  FeedEvent,
  Snapshot,
  Ticket,
} from "../change-feed.js";
import type { AppRecord } from "../registry.js";

interface NameTickets {
  last: number;
  committed: number;
}

/**
 * In-memory feed. Apps are kept as JSON in Buffers: a copy the caller cannot change afterwards,
 * held outside the JavaScript heap so that many large schemas cost the garbage collector nothing.
 */
export class MemoryFeedRegistry implements ChangeFeedRegistry {
  readonly url = "memory://";
  private readonly apps = new Map<string, Buffer>();
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
    if (request.ticket !== undefined) {
      if (tickets?.last !== request.ticket) return Promise.resolve(undefined);
      tickets.committed = request.ticket;
    }
    let change: Change;
    if (request.op === "put") {
      const type = this.apps.has(name) ? "app_updated" : "app_registered";
      this.apps.set(name, Buffer.from(JSON.stringify(request.app)));
      change = { type, revision: ++this.current, name, app: request.app };
    } else {
      if (!this.apps.delete(name)) return Promise.resolve(undefined);
      change = { type: "app_unregistered", revision: ++this.current, name };
    }
    this.history.push(change);
    if (this.history.length > this.historySize) this.history.shift();
    for (const wake of this.wakers) wake();
    return Promise.resolve(change);
  }

  snapshot(): Promise<Snapshot> {
    const apps = [...this.apps.values()].map((json) => JSON.parse(json.toString()) as AppRecord);
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
