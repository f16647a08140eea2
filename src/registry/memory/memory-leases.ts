/**
 * The memory backend's leases: a Map from (name, url) to a deadline on the process clock, kept
 * apart from the apps so that renewing a lease writes nothing to the feed.
 */
import type { ExpiredLease } from "../change-feed.js";
import { expiredLimit, leaseKey, leaseTtl } from "../feed-gap.js";

interface Lease extends ExpiredLease {
  /** `Date.now()` after which the lease is over. */
  deadline: number;
}

/** Leases of one memory registry. */
export class MemoryLeases {
  private readonly leases = new Map<string, Lease>();

  /** Creates the lease, or moves its deadline to `ttlMs` from now. */
  lease(name: string, url: string, ttlMs: number): void {
    const deadline = Date.now() + leaseTtl(ttlMs);
    this.leases.set(leaseKey(name, url), { name, url, deadline });
  }

  /** Moves the deadline of a lease still running; false when there is none or it is past. */
  renew(name: string, url: string, ttlMs: number): boolean {
    const ttl = leaseTtl(ttlMs);
    const lease = this.leases.get(leaseKey(name, url));
    const now = Date.now();
    if (lease === undefined || lease.deadline <= now) return false;
    lease.deadline = now + ttl;
    return true;
  }

  /** Forgets the lease, if any. */
  drop(name: string, url: string): void {
    this.leases.delete(leaseKey(name, url));
  }

  /** Forgets the lease only if its deadline has passed; true when it did. */
  claimExpired(name: string, url: string): boolean {
    const key = leaseKey(name, url);
    const lease = this.leases.get(key);
    if (lease === undefined || lease.deadline > Date.now()) return false;
    return this.leases.delete(key);
  }

  /** Leases past their deadline, oldest first (a scan: a process holds few leases). */
  expired(limit?: number): ExpiredLease[] {
    const now = Date.now();
    return [...this.leases.values()]
      .filter((lease) => lease.deadline <= now)
      .sort((a, b) => a.deadline - b.deadline)
      .slice(0, expiredLimit(limit))
      .map(({ name, url }) => ({ name, url }));
  }
}
