/**
 * Removes self-registered instances whose lease ran out (a SIGKILLed service, a lost host). Every
 * replica sweeps: the store lists the expired leases (Redis by its own clock, where the lease
 * keys also expire by themselves); a replica claims an expired lease atomically before it removes
 * the instance, so one replica does it, and a lease renewed or re-created meanwhile is left alone.
 */
import type { Registry } from "../../registry/registry.js";
import { sleep } from "../../net/timers.js";

/** How often the store is asked for expired leases (an instance goes within TTL + this). */
export const SWEEP_MS = 250;

/** Sweeps expired leases until stopped. */
export class LeaseSweeper {
  private readonly stop = new AbortController();
  private loop: Promise<void> | undefined;

  constructor(
    private readonly registry: Registry,
    /** Removes the instance if it is still registered with a lease; idempotent. */
    private readonly expire: (name: string, url: string) => Promise<void>,
    private readonly intervalMs: number = SWEEP_MS,
  ) {}

  start(): void {
    this.loop ??= this.run();
  }

  async close(): Promise<void> {
    this.stop.abort();
    await this.loop;
  }

  /** One sweep (the loop runs it every interval; tests may call it). */
  async sweep(): Promise<number> {
    const expired = await this.registry.expiredLeases(100);
    for (const { name, url } of expired) {
      if (this.stop.signal.aborted) break;
      // Claim first, atomically: a lease renewed or made again since the listing stays, and so
      // does its instance; of two replicas sweeping, one claims it.
      if (await this.registry.claimExpiredLease(name, url)) await this.expire(name, url);
    }
    return expired.length;
  }

  private async run(): Promise<void> {
    while (!this.stop.signal.aborted) {
      try {
        // A full page means more are waiting: go on at once.
        if ((await this.sweep()) >= 100) continue;
      } catch {
        // The store is unreachable: leases are swept once it is back.
      }
      await sleep(this.intervalMs, this.stop.signal);
    }
  }
}
