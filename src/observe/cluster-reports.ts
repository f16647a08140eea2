/**
 * The worker side of cluster-wide `/metrics` and `app_stats`. Workers of one launched server
 * (node:cluster, one port) each count what they serve; a request lands on one of them, which asks
 * the primary (`askPrimary`); the primary asks every listening worker for its raw counts (what
 * `reportTo` registered), merges them and answers (see cluster-primary.ts). Nothing here is active
 * outside a launched worker: a single-process server never uses IPC for its counters.
 */
import { WorkersUnavailableError } from "../errors.js";

/** What the primary collects from the workers. */
export type ReportKind = "metrics" | "app_stats";

/** Milliseconds a worker waits for the primary's merged answer. */
export const ASK_TIMEOUT_MS = 2_000;

/** Worker to primary: merge every worker's `kind` and answer `id`. */
export interface CollectMessage {
  type: "portico:collect";
  id: number;
  kind: ReportKind;
}

/** Primary to worker: send your own `kind` (answered with a `ReportReply` of the same `id`). */
export interface ReportRequest {
  type: "portico:report";
  id: number;
  kind: ReportKind;
}

/** Either direction's answer: the data, or why there is none. */
export interface ReportReply {
  type: "portico:report-reply" | "portico:collected";
  id: number;
  data?: unknown;
  error?: string;
}

type Reporter = () => unknown;

/** Set by `joinCluster()`: this process is a launched cluster worker. */
let reporters: Map<ReportKind, Reporter> | undefined;
const pending = new Map<number, (reply: ReportReply) => void>();
let lastId = 0;

/**
 * Makes this process a worker whose counters the primary merges: it answers the primary's report
 * requests from now on. Called by the launcher in each worker before its server is built.
 */
export function joinCluster(): void {
  if (reporters) return;
  reporters = new Map();
  process.on("message", (message: unknown) => {
    const m = message as { type?: unknown; id?: number } | null;
    if (m?.type === "portico:report") void answer(m as ReportRequest);
    else if (m?.type === "portico:collected") pending.get(m.id ?? -1)?.(m as ReportReply);
  });
}

/** True in a launched cluster worker: `/metrics` and `app_stats` answer for all workers. */
export function inCluster(): boolean {
  return reporters !== undefined;
}

/** What this worker sends when the primary collects `kind` (one server per worker process). */
export function reportTo(kind: ReportKind, reporter: Reporter): void {
  reporters?.set(kind, reporter);
}

/** The primary's merge of every worker's `kind`; WORKERS_UNAVAILABLE when it does not come. */
export function askPrimary<T>(kind: ReportKind): Promise<T> {
  const id = ++lastId;
  return new Promise<T>((resolve, reject) => {
    const fail = (why: string): void => {
      pending.delete(id);
      clearTimeout(timer);
      reject(new WorkersUnavailableError(`Cannot merge the workers' ${kind}: ${why}`));
    };
    const timer = setTimeout(() => fail(`no answer in ${ASK_TIMEOUT_MS} ms`), ASK_TIMEOUT_MS);
    pending.set(id, (reply) => {
      if (reply.error !== undefined) return fail(reply.error);
      pending.delete(id);
      clearTimeout(timer);
      resolve(reply.data as T);
    });
    const message: CollectMessage = { type: "portico:collect", id, kind };
    try {
      process.send?.(message, undefined, {}, (error) => error && fail(error.message));
    } catch (error) {
      fail((error as Error).message);
    }
  });
}

async function answer(request: ReportRequest): Promise<void> {
  const reply: ReportReply = { type: "portico:report-reply", id: request.id };
  try {
    // A kind this server does not have (app_stats of a plain service) reports nothing.
    reply.data = (await reporters?.get(request.kind)?.()) ?? null;
  } catch (error) {
    reply.error = (error as Error).message;
  }
  try {
    // With a callback: a channel closed meanwhile is no 'error' event (which would throw).
    process.send?.(reply, undefined, {}, () => undefined);
  } catch {
    // The primary is gone (the group is stopping): nobody waits for this reply.
  }
}
