/**
 * Every connection the gateway opens to an app comes from here: one keep-alive undici Pool per
 * origin (shared by the apps there, closed with the last), one set of timeouts, and one
 * connector that runs the SSRF guard on the address actually dialled.
 */
import { isIP } from "node:net";
import { Pool, buildConnector } from "undici";
import { plainAddress } from "../../net/address.js";
import type { UpstreamGuard } from "./guard.js";

/** Options of the upstream module. */
export interface UpstreamsOptions {
  guard: UpstreamGuard;
  /** Sockets per origin. */
  connections: number;
  /** Milliseconds to establish a connection. */
  connectTimeout: number;
  /** Milliseconds for an app's reply headers, and between its body chunks. */
  upstreamTimeout: number;
}

/** What a pool is for: forwarded calls and discovery, or health checks. */
export type Purpose = "forward" | "check";

const CHECK_CONNECTIONS = 2;

/** The pools to every app origin. */
export class Upstreams {
  private readonly pools = new Map<string, { pool: Pool; users: number }>();
  private readonly connect: buildConnector.connector;

  constructor(readonly options: UpstreamsOptions) {
    const { guard } = options;
    const dial = buildConnector({ timeout: options.connectTimeout, lookup: guard.lookup });
    // net.connect skips `lookup` for a literal IP: check those here, before any socket exists.
    this.connect = (opts, callback) => {
      const host = plainAddress(opts.hostname);
      if (isIP(host) !== 0 && !guard.allowsAddress(host)) {
        return callback(guard.refusal(host), null);
      }
      return dial(opts, callback);
    };
  }

  /**
   * The pool of `origin`, opened on first use; pair with `release`. Health checks have pools of
   * their own (two sockets per origin): a check queued behind a busy app's forwarded calls would
   * time out and mark the app unhealthy exactly when it is busiest.
   */
  acquire(origin: string, purpose: Purpose = "forward"): Pool {
    const key = purpose === "forward" ? origin : `${purpose} ${origin}`;
    let shared = this.pools.get(key);
    if (!shared) {
      const pool = new Pool(origin, {
        connections: purpose === "forward" ? this.options.connections : CHECK_CONNECTIONS,
        pipelining: 1,
        connect: this.connect,
        // Set once here rather than in every request's options.
        headersTimeout: this.options.upstreamTimeout,
        bodyTimeout: this.options.upstreamTimeout,
      });
      shared = { pool, users: 0 };
      this.pools.set(key, shared);
    }
    shared.users++;
    return shared.pool;
  }

  /** Gives back a pool; the last user closes it (its in-flight requests finish first). */
  release(origin: string, purpose: Purpose = "forward"): void {
    const key = purpose === "forward" ? origin : `${purpose} ${origin}`;
    const shared = this.pools.get(key);
    if (!shared || --shared.users > 0) return;
    this.pools.delete(key);
    void shared.pool.close();
  }

  /** Closes every pool. */
  async close(): Promise<void> {
    const pools = [...this.pools.values()].map((p) => p.pool.close());
    this.pools.clear();
    await Promise.allSettled(pools);
  }
}
