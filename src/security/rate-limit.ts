/**
 * A token bucket per client address: `max` requests per window, refilled continuously. The same
 * limiter counts requests to the server's own routes and forwarded ones.
 */
import type { RateLimitOptions } from "./options.js";

interface Bucket {
  tokens: number;
  updated: number;
}

/** Clients remembered at most; past it, full buckets are dropped (they hold no information). */
const MAX_CLIENTS = 10_000;

/** The limiter. */
export class RateLimiter {
  private readonly buckets = new Map<string, Bucket>();
  private readonly max: number;
  private readonly perMs: number;

  constructor(options: RateLimitOptions) {
    this.max = options.max;
    this.perMs = options.max / (options.windowMs ?? 60_000);
  }

  /** Takes one request from `client`'s bucket: 0 when allowed, else seconds until it would be. */
  take(client: string, now = Date.now()): number {
    let bucket = this.buckets.get(client);
    if (!bucket) {
      if (this.buckets.size >= MAX_CLIENTS) this.sweep(now);
      bucket = { tokens: this.max, updated: now };
      this.buckets.set(client, bucket);
    } else {
      bucket.tokens = Math.min(this.max, bucket.tokens + (now - bucket.updated) * this.perMs);
      bucket.updated = now;
    }
    if (bucket.tokens >= 1) {
      bucket.tokens -= 1;
      return 0;
    }
    return Math.max(1, Math.ceil((1 - bucket.tokens) / this.perMs / 1000));
  }

  private sweep(now: number): void {
    for (const [client, bucket] of this.buckets) {
      if (bucket.tokens + (now - bucket.updated) * this.perMs >= this.max)
        this.buckets.delete(client);
    }
    // Everyone is mid-burst: forget the oldest half rather than grow without bound.
    if (this.buckets.size >= MAX_CLIENTS) {
      let drop = this.buckets.size / 2;
      for (const client of this.buckets.keys()) {
        if (drop-- <= 0) break;
        this.buckets.delete(client);
      }
    }
  }
}
