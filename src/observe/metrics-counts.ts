/**
 * The plain counters behind every request metric: replies by status class and a latency
 * histogram with fixed buckets. Counting is a few increments and one short bucket scan, with no
 * label lookup and no allocation; prom-client reads these numbers only when `/metrics` is scraped.
 */

/** Upper bounds (seconds) of every latency histogram: fixed, so the hot path scans a short array. */
export const DURATION_BUCKETS: readonly number[] = [
  0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10,
];

/** The `status_class` label of each slot of `RequestCounts.classes`. */
export const STATUS_CLASSES: readonly string[] = ["1xx", "2xx", "3xx", "4xx", "5xx"];

/** Requests counted by status class, with their latency histogram. */
export class RequestCounts {
  /** Replies by status class: slot 0 is 1xx, slot 4 is 5xx (anything out of range counts as 5xx). */
  readonly classes = [0, 0, 0, 0, 0];
  /** Requests per latency bucket (not cumulative); the last slot is the +Inf bucket. */
  readonly buckets: number[] = new Array<number>(DURATION_BUCKETS.length + 1).fill(0);
  /** Seconds of every request, added up. */
  sum = 0;
  /** Requests counted. */
  count = 0;

  /** Counts one reply of `status` that took `seconds`. */
  observe(status: number, seconds: number): void {
    const cls = (status / 100) | 0;
    this.classes[cls >= 1 && cls <= 5 ? cls - 1 : 4]!++;
    let i = 0;
    // Most requests are fast: the scan stops in the first few buckets.
    while (i < DURATION_BUCKETS.length && seconds > DURATION_BUCKETS[i]!) i++;
    this.buckets[i]!++;
    this.sum += seconds;
    this.count++;
  }
}
