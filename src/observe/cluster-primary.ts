/**
 * The primary side of cluster-wide `/metrics` and `app_stats` (worker side: cluster-reports.ts).
 * A worker asks for a merge; the primary asks every listening worker for its own counts, waits for
 * all of them (a partial sum would make counters go backwards between scrapes, so a worker that
 * does not answer in time fails the merge), merges and answers the asking worker. prom-client is
 * loaded here only on the first `/metrics` merge; its AggregatorRegistry applies each metric's
 * `aggregator` (counters and histograms: sum; gauges: as each declares).
 */
import type { Worker } from "node:cluster";
import { mergeAppStatsCounts } from "./app-stats.js";
import type { AppStatsCounts } from "./app-stats.js";
import { ASK_TIMEOUT_MS } from "./cluster-reports.js";
import type { CollectMessage, ReportKind, ReportReply, ReportRequest } from "./cluster-reports.js";

/** Milliseconds the primary waits for every worker's counts (below the asking worker's wait). */
const COLLECT_TIMEOUT_MS = ASK_TIMEOUT_MS - 500;

/** A merge under way: takes the asked workers' replies, and the exit of any of them. */
interface Collection {
  reply(worker: Worker, reply: ReportReply): void;
  exited(worker: Worker): void;
}

/** Answers the workers' merge requests; `workers()` lists the listening ones, asked each time. */
export class ClusterReports {
  private readonly pending = new Map<number, Collection>();
  private lastId = 0;

  constructor(private readonly workers: () => Iterable<Worker>) {}

  /** Merges under way (each holds a timer until it is answered, fails or times out). */
  get pendingCount(): number {
    return this.pending.size;
  }

  /** Takes a worker's IPC message; true when it was one of ours. */
  onMessage(worker: Worker, message: unknown): boolean {
    const m = message as { type?: unknown; id?: number } | null;
    if (m?.type === "portico:report-reply") {
      this.pending.get(m.id ?? -1)?.reply(worker, m as ReportReply);
      return true;
    }
    if (m?.type !== "portico:collect") return false;
    const request = m as CollectMessage;
    const reply = (fields: Partial<ReportReply>): void => {
      if (!worker.isConnected()) return;
      // With a callback: a channel that closes meanwhile is no 'error' event (which would throw).
      worker.send(
        { type: "portico:collected", id: request.id, ...fields } satisfies ReportReply,
        undefined,
        {},
        () => undefined,
      );
    };
    this.collect(request.kind)
      .then((parts) => merge(request.kind, parts))
      .then(
        (data) => reply({ data }),
        (error: unknown) => reply({ error: (error as Error).message }),
      );
    return true;
  }

  /**
   * A worker exited (or left the cluster): the merges that still wait for its counts fail now,
   * rather than when they time out (its counts will not come).
   */
  workerExited(worker: Worker): void {
    for (const collection of [...this.pending.values()]) collection.exited(worker);
  }

  /** Every listening worker's own `kind` (null from a worker that has none). */
  private collect(kind: ReportKind): Promise<unknown[]> {
    const id = ++this.lastId;
    const workers = [...this.workers()].filter((worker) => worker.isConnected());
    return new Promise((resolve, reject) => {
      const parts = new Map<Worker, unknown>();
      let settled = false;
      const done = (error?: Error): void => {
        if (settled) return;
        settled = true;
        this.pending.delete(id);
        clearTimeout(timer);
        if (error) reject(error);
        else resolve([...parts.values()]);
      };
      const timer = setTimeout(() => {
        const missing = workers.length - parts.size;
        done(new Error(`${missing} of ${workers.length} workers did not report in time`));
      }, COLLECT_TIMEOUT_MS);
      const waitsFor = (worker: Worker): boolean => workers.includes(worker) && !parts.has(worker);
      this.pending.set(id, {
        reply: (worker, reply) => {
          if (!waitsFor(worker)) return;
          if (reply.error !== undefined) return done(new Error(reply.error));
          parts.set(worker, reply.data);
          if (parts.size === workers.length) done();
        },
        exited: (worker) => {
          if (waitsFor(worker)) done(new Error("a worker stopped before it reported"));
        },
      });
      if (workers.length === 0) return done(new Error("no worker is listening"));
      const request: ReportRequest = { type: "portico:report", id, kind };
      for (const worker of workers) {
        worker.send(request, undefined, {}, (error) => {
          if (error) done(new Error(`a worker cannot be asked: ${error.message}`));
        });
      }
    });
  }
}

/** One answer out of the workers' parts: Prometheus text, or the merged app_stats counts. */
async function merge(kind: ReportKind, parts: unknown[]): Promise<unknown> {
  const present = parts.filter((part) => part !== null && part !== undefined);
  if (kind === "app_stats") return mergeAppStatsCounts(present as AppStatsCounts[]);
  const { AggregatorRegistry } = await import("prom-client");
  return AggregatorRegistry.aggregate(present).metrics();
}
