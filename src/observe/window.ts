/**
 * A sliding window of the last minute of one app's requests, for the console's rate, error rate
 * and p50/p99: 12 slots of 5 s, each with a request count, an error count and a log-scale latency
 * histogram (4 bins per doubling, about ±9 % on a percentile). Recording is one slot lookup and
 * three increments; percentiles are computed only when asked for.
 */

/** Seconds the window covers. */
export const WINDOW_S = 60;
const SLOT_MS = 5_000;
const SLOTS = (WINDOW_S * 1000) / SLOT_MS;
/** The smallest latency told apart (10 µs), and bins per doubling above it. */
const MIN_MS = 0.01;
const BINS_PER_DOUBLING = 4;
/** 10 µs doubled 24 times is about 168 s: anything slower lands in the last bin. */
const BINS = 24 * BINS_PER_DOUBLING;

interface Slot {
  /** Which 5 s period of the clock the slot holds (-1: none yet). */
  period: number;
  requests: number;
  errors: number;
  bins: Uint32Array;
}

/** What the window saw. */
export interface WindowSummary {
  requests: number;
  errors: number;
  /** Seconds the counts cover (less than the window while it is younger than that). */
  seconds: number;
  p50_ms: number | null;
  p99_ms: number | null;
}

/** The last minute of one app's requests. */
export class SlidingWindow {
  /** Made on the first request: an app nobody calls costs no histogram memory. */
  private slots: Slot[] | undefined;

  /** @param createdAt when counting began (ms on the `performance.now()` clock) */
  constructor(private readonly createdAt: number) {}

  /** Counts one request that took `ms`, ended at `now` (ms on the `performance.now()` clock). */
  record(now: number, ms: number, error: boolean): void {
    const slots = (this.slots ??= newSlots());
    const period = Math.floor(now / SLOT_MS);
    const slot = slots[period % SLOTS]!;
    if (slot.period !== period) {
      // A slot last used a minute (or more) ago: it starts over.
      slot.period = period;
      slot.requests = 0;
      slot.errors = 0;
      slot.bins.fill(0);
    }
    slot.requests++;
    if (error) slot.errors++;
    slot.bins[bin(ms)]!++;
  }

  /** Counts and percentiles over the slots of the last minute before `now`. */
  summary(now: number): WindowSummary {
    return summarize(this.counts(now));
  }

  /** The raw counts of the last minute before `now` (what cluster workers send to be merged). */
  counts(now: number): WindowCounts {
    const period = Math.floor(now / SLOT_MS);
    // The current slot is partly over: the window spans 11 whole slots and that part.
    const span = ((SLOTS - 1) * SLOT_MS + (now - period * SLOT_MS)) / 1000;
    const seconds = Math.max(1, Math.min(span, (now - this.createdAt) / 1000));
    const counts: WindowCounts = { requests: 0, errors: 0, seconds, bins: [] };
    if (!this.slots) return counts;
    const bins = new Array<number>(BINS).fill(0);
    for (const slot of this.slots) {
      if (slot.period <= period - SLOTS || slot.period > period) continue;
      counts.requests += slot.requests;
      counts.errors += slot.errors;
      for (let i = 0; i < BINS; i++) bins[i]! += slot.bins[i]!;
    }
    if (counts.requests > 0) counts.bins = bins;
    return counts;
  }
}

/**
 * The raw counts of a window: requests, errors, the seconds they cover and the latency histogram
 * (`bins`: empty when no request was counted). Plain JSON, so it travels over IPC.
 */
export interface WindowCounts {
  requests: number;
  errors: number;
  seconds: number;
  bins: number[];
}

/**
 * The counts of several windows over the same minute (one per cluster worker) as one: requests,
 * errors and histogram bins add up; the span is the longest (a worker started later covers less).
 */
export function mergeWindowCounts(parts: readonly WindowCounts[]): WindowCounts {
  const merged: WindowCounts = { requests: 0, errors: 0, seconds: 1, bins: [] };
  for (const part of parts) {
    merged.requests += part.requests;
    merged.errors += part.errors;
    merged.seconds = Math.max(merged.seconds, part.seconds);
    part.bins.forEach((count, i) => {
      merged.bins[i] = (merged.bins[i] ?? 0) + count;
    });
  }
  return merged;
}

/** Rate inputs and percentiles of window counts (percentiles from the histogram). */
export function summarize(counts: WindowCounts): WindowSummary {
  const { requests, errors, seconds } = counts;
  const summary: WindowSummary = { requests, errors, seconds, p50_ms: null, p99_ms: null };
  if (requests > 0) {
    summary.p50_ms = percentile(counts.bins, requests, 0.5);
    summary.p99_ms = percentile(counts.bins, requests, 0.99);
  }
  return summary;
}

function newSlots(): Slot[] {
  return Array.from({ length: SLOTS }, () => ({
    period: -1,
    requests: 0,
    errors: 0,
    bins: new Uint32Array(BINS),
  }));
}

/** The histogram bin of a latency of `ms`. */
function bin(ms: number): number {
  if (!(ms > MIN_MS)) return 0;
  const i = Math.floor(Math.log2(ms / MIN_MS) * BINS_PER_DOUBLING);
  return i < BINS ? i : BINS - 1;
}

/** The latency (ms, 3 decimals) below which a share `q` of `total` requests fell. */
function percentile(bins: readonly number[], total: number, q: number): number {
  const rank = Math.max(1, Math.ceil(q * total));
  let seen = 0;
  let i = 0;
  for (; i < BINS - 1; i++) {
    seen += bins[i] ?? 0;
    if (seen >= rank) break;
  }
  // The bin's geometric middle: within half a bin (about 9 %) of any latency in it.
  const ms = MIN_MS * 2 ** ((i + 0.5) / BINS_PER_DOUBLING);
  return Math.round(ms * 1000) / 1000;
}
