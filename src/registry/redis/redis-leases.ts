/**
 * The Redis feed's leases, shared by every replica: one key per lease set with PX ttl, so that
 * it expires on its own, and a sorted set of deadlines for listing the expired ones. Deadlines
 * are read from Redis's clock (TIME, inside the scripts), so that replicas whose clocks differ
 * still agree on which leases are over. Renewing writes no change to the feed.
 */
import type { ExpiredLease } from "../change-feed.js";
import { expiredLimit, fromLeaseKey, leaseKey, leaseTtl } from "../feed-gap.js";
import type { FeedClient } from "./redis-registry.js";
import type { FeedKeys } from "./redis-scripts.js";

/** Lua: `now`, Redis's clock in ms. */
const NOW = `
local time = redis.call('TIME')
local now = tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000)
`;

/** KEYS: lease key, leases. ARGV: member, ttl ms. Creates the lease or moves its deadline. */
const LEASE = `${NOW}
redis.call('SET', KEYS[1], '1', 'PX', ARGV[2])
redis.call('ZADD', KEYS[2], now + tonumber(ARGV[2]), ARGV[1])
return 1
`;

/**
 * KEYS: lease key, leases. ARGV: member, ttl ms. Returns 1 when the lease was running and now
 * ends `ttl` from now; 0 when it is gone or past its deadline (a key may outlive its deadline by
 * a millisecond: the deadline decides, as it does for `expiredLeases`).
 */
const RENEW = `${NOW}
local deadline = redis.call('ZSCORE', KEYS[2], ARGV[1])
if redis.call('EXISTS', KEYS[1]) == 0 or not deadline or tonumber(deadline) <= now then
  return 0
end
redis.call('PEXPIRE', KEYS[1], ARGV[2])
redis.call('ZADD', KEYS[2], now + tonumber(ARGV[2]), ARGV[1])
return 1
`;

/** KEYS: lease key, leases. ARGV: member. */
const DROP = `
redis.call('DEL', KEYS[1])
redis.call('ZREM', KEYS[2], ARGV[1])
return 1
`;

/**
 * KEYS: lease key, leases. ARGV: member. Drops the lease and returns 1 only when it is listed
 * and over: past its deadline, or its key already expired (as RENEW would refuse it). A lease
 * renewed or made again meanwhile has a later deadline and a live key, so it stays (0).
 */
const CLAIM = `${NOW}
local deadline = redis.call('ZSCORE', KEYS[2], ARGV[1])
if not deadline then
  return 0
end
if tonumber(deadline) > now and redis.call('EXISTS', KEYS[1]) == 1 then
  return 0
end
redis.call('ZREM', KEYS[2], ARGV[1])
redis.call('DEL', KEYS[1])
return 1
`;

/** KEYS: leases. ARGV: limit. Returns the members whose deadline is past, oldest first. */
const EXPIRED = `${NOW}
return redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', now, 'LIMIT', 0, ARGV[1])
`;

/** The lease scripts, as ioredis's `scripts` option defines them. */
export const LEASE_SCRIPTS = {
  porticoLease: { lua: LEASE, numberOfKeys: 2 },
  porticoRenewLease: { lua: RENEW, numberOfKeys: 2 },
  porticoDropLease: { lua: DROP, numberOfKeys: 2 },
  porticoClaimExpiredLease: { lua: CLAIM, numberOfKeys: 2 },
  porticoExpiredLeases: { lua: EXPIRED, numberOfKeys: 1 },
};

type Arg = string | number;

/** The commands the lease scripts add to a client. */
export interface LeaseCommands {
  porticoLease(...args: Arg[]): Promise<number>;
  porticoRenewLease(...args: Arg[]): Promise<number>;
  porticoDropLease(...args: Arg[]): Promise<number>;
  porticoClaimExpiredLease(...args: Arg[]): Promise<number>;
  porticoExpiredLeases(...args: Arg[]): Promise<string[]>;
}

/** Runs a command, turning connection failures into REGISTRY_UNAVAILABLE. */
type Runner = <T>(command: () => Promise<T>) => Promise<T>;

/** The leases of one Redis feed, through the registry's client. */
export class RedisLeases {
  constructor(
    private readonly client: FeedClient,
    private readonly keys: FeedKeys,
    private readonly run: Runner,
  ) {}

  /** Creates the lease, or moves its deadline to `ttlMs` from now. */
  async lease(name: string, url: string, ttlMs: number): Promise<void> {
    const ttl = leaseTtl(ttlMs);
    await this.run(() => this.client.porticoLease(...this.leaseKeys(name, url), ttl));
  }

  /** Moves the deadline of a lease still running; false when there is none or it is past. */
  async renew(name: string, url: string, ttlMs: number): Promise<boolean> {
    const ttl = leaseTtl(ttlMs);
    const renewed = await this.run(() =>
      this.client.porticoRenewLease(...this.leaseKeys(name, url), ttl),
    );
    return renewed === 1;
  }

  /** Forgets the lease, if any. */
  async drop(name: string, url: string): Promise<void> {
    await this.run(() => this.client.porticoDropLease(...this.leaseKeys(name, url)));
  }

  /** Forgets the lease only if it is over by Redis's clock; true when it did. */
  async claimExpired(name: string, url: string): Promise<boolean> {
    const claimed = await this.run(() =>
      this.client.porticoClaimExpiredLease(...this.leaseKeys(name, url)),
    );
    return claimed === 1;
  }

  /** Leases past their deadline by Redis's clock, oldest first. */
  async expired(limit?: number): Promise<ExpiredLease[]> {
    const count = expiredLimit(limit);
    if (count === 0) return [];
    const members = await this.run(() => this.client.porticoExpiredLeases(this.keys.leases, count));
    return members.map(fromLeaseKey);
  }

  /** KEYS lease key, leases and ARGV member, in the order the scripts take them. */
  private leaseKeys(name: string, url: string): [string, string, string] {
    const member = leaseKey(name, url);
    return [`${this.keys.leasePrefix}${member}`, this.keys.leases, member];
  }
}
