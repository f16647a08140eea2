/**
 * One instance (URL) of an app as this replica sees it: where it lives, its keep-alive pool, the
 * requests in flight on it, and its health from active checks and passive ejection. Health is
 * per replica and never stored: every replica watches the instances it forwards to.
 */
import type { Pool } from "undici";
import type { InstanceInfo } from "../tasks.js";

/** This replica's view of an instance. */
export type InstanceHealth = "healthy" | "unhealthy" | "ejected";

/** Passive ejection (Envoy's outlier detection): gateway failures in a row take an instance out. */
export interface PassiveOptions {
  /** Connect errors, resets or 502/503/504 replies in a row that eject an instance (5). */
  consecutiveFailures: number;
  /** Milliseconds of the first ejection; each one after doubles it (10 s). */
  ejectMs: number;
  /** Longest ejection in milliseconds (5 min). */
  maxEjectMs: number;
}

/** Active check thresholds. */
export interface ActiveThresholds {
  /** Failed checks in a row that mark a healthy instance unhealthy (2). */
  unhealthyAfter: number;
  /** Passed checks in a row that bring an unhealthy instance back (1). */
  healthyAfter: number;
}

/** One instance of an app, shared by the balancer, the forwarder and the health checker. */
export class Instance {
  readonly origin: string;
  /** The URL's path without its trailing slash ("" for a bare origin). */
  readonly basePath: string;
  /** Forwarded requests in flight on this instance (the least-in-flight balancer reads it). */
  inFlight = 0;
  /** `server_id` of the Portico service behind it, as stored or last seen by a check. */
  serverId: string | undefined;
  /** Lease of a self-registered instance (ms), as stored. */
  leaseMs: number | undefined;
  private activeHealthy = true;
  private passes = 0;
  private failures = 0;
  private passiveFailures = 0;
  private ejections = 0;
  private ejectedUntil = 0;
  private ejectTimer: NodeJS.Timeout | undefined;
  private checkedAt: number | undefined;
  private lastError: string | undefined;
  private lastEjectionEnd = 0;
  /** Set when the instance left its app: it takes no calls and no longer changes health. */
  private disposed = false;

  constructor(
    readonly url: string,
    readonly pool: Pool,
    /** A small pool of its own for health checks: they never queue behind forwarded calls. */
    readonly checkPool: Pool,
    /** Called when `health` changes (the balancer rebuilds its list, an event goes out). */
    private readonly onHealth: (instance: Instance) => void,
  ) {
    const parsed = new URL(url);
    this.origin = parsed.origin;
    this.basePath = parsed.pathname === "/" ? "" : parsed.pathname.replace(/\/+$/, "");
  }

  get health(): InstanceHealth {
    if (!this.activeHealthy) return "unhealthy";
    return this.ejectTimer !== undefined ? "ejected" : "healthy";
  }

  /** Whether forwarded calls may go here. */
  get routable(): boolean {
    return this.activeHealthy && this.ejectTimer === undefined && !this.disposed;
  }

  /** The instance as `list_apps_with_schemas` shows it. */
  info(): InstanceInfo {
    const info: InstanceInfo = { url: this.url };
    if (this.leaseMs !== undefined) info.lease_ms = this.leaseMs;
    if (this.serverId !== undefined) info.server_id = this.serverId;
    info.health = this.health;
    if (this.checkedAt !== undefined) info.last_check = new Date(this.checkedAt).toISOString();
    if (this.lastError !== undefined) info.last_error = this.lastError;
    return info;
  }

  /** Records an active check; returns true when the health changed. */
  checked(passed: boolean, thresholds: ActiveThresholds, error?: string): boolean {
    if (this.disposed) return false;
    this.checkedAt = Date.now();
    const before = this.health;
    if (passed) {
      this.failures = 0;
      this.passes++;
      // Down by both measures and now answering its checks: the app restarted. Its ejection ends
      // here rather than keep it (often the only instance) out for the rest of its back-off.
      // An instance whose checks pass while its calls fail stays ejected.
      if (this.ejectTimer && !this.activeHealthy) this.endEjection();
      if (!this.activeHealthy && this.passes >= thresholds.healthyAfter) {
        this.activeHealthy = true;
        this.lastError = undefined;
      }
    } else {
      this.passes = 0;
      this.failures++;
      this.lastError = error;
      if (this.activeHealthy && this.failures >= thresholds.unhealthyAfter) {
        this.activeHealthy = false;
      }
    }
    return this.changedFrom(before);
  }

  /** A forwarded call got an answer that is not a gateway failure: the failure run ends. */
  passed(): void {
    this.passiveFailures = 0;
  }

  /**
   * A forwarded call failed to connect, was reset, or got 502/503/504. Enough in a row eject the
   * instance for a back-off period that doubles with each ejection (reset by a passed check).
   */
  failed(options: PassiveOptions | undefined, error: string): void {
    if (!options || this.disposed) return;
    this.lastError = error;
    if (++this.passiveFailures < options.consecutiveFailures || this.ejectTimer) return;
    this.passiveFailures = 0;
    const ms = Math.min(options.ejectMs * 2 ** this.ejections, options.maxEjectMs);
    this.ejections++;
    this.ejectedUntil = Date.now() + ms;
    this.ejectTimer = setTimeout(() => {
      this.endEjection();
      this.onHealth(this);
    }, ms).unref();
    this.onHealth(this);
  }

  private endEjection(): void {
    clearTimeout(this.ejectTimer);
    this.ejectTimer = undefined;
    this.lastEjectionEnd = Date.now();
  }

  /** When an ejection ends (0 when not ejected). */
  get ejectedUntilMs(): number {
    return this.ejectTimer ? this.ejectedUntil : 0;
  }

  /**
   * A passed check: the back-off shrinks one step for each base ejection time the instance has
   * spent back in service (as Envoy's ejection count does), so an instance that keeps failing its
   * calls is ejected for longer each time, and one that recovered starts short again.
   */
  forgive(options: PassiveOptions | undefined): void {
    if (!options || this.ejectTimer || this.ejections === 0) return;
    if (Date.now() - this.lastEjectionEnd < options.ejectMs) return;
    this.ejections--;
    this.lastEjectionEnd = Date.now();
  }

  /** Stops the ejection timer: the instance left its app and changes no more. */
  dispose(): void {
    this.disposed = true;
    clearTimeout(this.ejectTimer);
    this.ejectTimer = undefined;
  }

  private changedFrom(before: InstanceHealth): boolean {
    if (this.health === before) return false;
    this.onHealth(this);
    return true;
  }
}
