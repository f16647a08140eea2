/**
 * Active health checks, per replica: every instance is probed on its own timer (spread with
 * jitter so a thousand apps do not probe at the same moment), through its keep-alive pool and
 * the SSRF guard like every other upstream call. What is probed depends on the app:
 * - a Portico app: `heartbeat` (which also carries `server_id`, so a restart is noticed);
 * - an app with a `health_path`: GET of that path, 2xx or 3xx passes;
 * - any other app: a TCP connect, so an app without a status endpoint is never marked unhealthy
 *   for lacking one.
 * Checks never block forwarding: they only flip the instance's health, which the balancer reads.
 */
import { connect, isIP } from "node:net";
import { InvalidOptionsError } from "../../errors.js";
import { probeHeartbeat } from "../../client/probe.js";
import type { AppInstances } from "./balancer.js";
import type { ActiveThresholds, Instance } from "./instance.js";
import type { UpstreamGuard } from "./guard.js";

/** Options of active checks. */
export interface HealthOptions extends ActiveThresholds {
  /** Milliseconds between two checks of one instance (5 s). */
  intervalMs: number;
  /** Milliseconds a check may take (1 s). */
  timeoutMs: number;
}

/** Defaults of active checks. */
export const HEALTH_DEFAULTS: HealthOptions = {
  intervalMs: 5_000,
  timeoutMs: 1_000,
  unhealthyAfter: 2,
  healthyAfter: 1,
};

/** Validated active-check options (or throws INVALID_OPTIONS). */
export function healthOptions(given: Partial<HealthOptions> | undefined): HealthOptions {
  const options = { ...HEALTH_DEFAULTS, ...given };
  for (const [key, value] of Object.entries(options)) {
    if (!Number.isInteger(value) || value < 1 || value > 2 ** 31 - 1) {
      throw new InvalidOptionsError(`health.${key} must be a positive integer`, {
        data: { [key]: value },
      });
    }
  }
  return options;
}

/** What a check saw. */
export interface CheckResult {
  passed: boolean;
  error?: string;
  /** The `server_id` a Portico app's heartbeat reported. */
  serverId?: string;
}

/** Called after each check of an instance. */
export type CheckListener = (app: AppInstances, instance: Instance, result: CheckResult) => void;

interface Watched {
  app: AppInstances;
  /** When the next check is due (ms since the epoch). */
  due: number;
  running: boolean;
}

/** Longest wait between two looks at what is due, in ms (shorter for short intervals). */
const MAX_TICK_MS = 100;

/** Runs the active checks of every instance it watches. */
export class HealthChecker {
  private readonly watched = new Map<Instance, Watched>();
  private closed = false;
  /**
   * One timer for every instance: each tick starts the checks that are due. A timer per instance
   * woke the gateway 200 times a second for a thousand apps; a tick wakes it ten times, and the
   * checks it starts together come back together.
   */
  private ticker: NodeJS.Timeout | undefined;

  constructor(
    private readonly options: HealthOptions,
    private readonly guard: UpstreamGuard,
    /** This gateway's `Via` entry, so a check that loops back to it is refused. */
    private readonly via: string,
    private readonly listener: CheckListener,
  ) {}

  /** Starts checking `instance` (first check within one interval, at a random moment). */
  watch(app: AppInstances, instance: Instance): void {
    if (this.closed) return;
    const existing = this.watched.get(instance);
    if (existing) {
      existing.app = app;
      return;
    }
    const due = Date.now() + Math.random() * this.options.intervalMs;
    this.watched.set(instance, { app, due, running: false });
    this.ticker ??= setInterval(
      () => this.tick(),
      Math.max(1, Math.min(MAX_TICK_MS, Math.floor(this.options.intervalMs / 4))),
    ).unref();
  }

  /** Stops checking `instance`. */
  unwatch(instance: Instance): void {
    this.watched.delete(instance);
    if (this.watched.size === 0) this.stopTicking();
  }

  /** Instances checked. */
  get size(): number {
    return this.watched.size;
  }

  /** Checks `instance` now (tests and the CLI use it; the timer goes on as before). */
  async checkNow(instance: Instance): Promise<CheckResult | undefined> {
    const watched = this.watched.get(instance);
    return watched ? this.run(instance, watched) : undefined;
  }

  close(): void {
    this.closed = true;
    this.watched.clear();
    this.stopTicking();
  }

  private stopTicking(): void {
    clearInterval(this.ticker);
    this.ticker = undefined;
  }

  /** Starts every check that is due; the next one of an instance is an interval later. */
  private tick(): void {
    const now = Date.now();
    const interval = this.options.intervalMs;
    for (const [instance, watched] of this.watched) {
      if (watched.running || watched.due > now) continue;
      // From the due time, not from now, so ticks do not drift the schedule; after a long stall
      // (the gateway was blocked) from now, so the missed checks do not all come at once.
      const next = watched.due + interval;
      watched.due = next > now ? next : now + interval;
      void this.run(instance, watched);
    }
  }

  private async run(instance: Instance, watched: Watched): Promise<CheckResult | undefined> {
    if (watched.running) return undefined; // a check already in progress counts for both
    watched.running = true;
    try {
      const result = await this.check(watched.app, instance);
      if (this.watched.get(instance) === watched) this.listener(watched.app, instance, result);
      return result;
    } finally {
      watched.running = false;
    }
  }

  private async check(app: AppInstances, instance: Instance): Promise<CheckResult> {
    const timeoutMs = this.options.timeoutMs;
    if (app.kind === "portico") {
      // The one status probe (launch and connect use it too): Available and a server_id.
      const probe = await probeHeartbeat(instance.checkPool, {
        path: `${instance.basePath}/heartbeat`,
        timeout: timeoutMs,
        headers: { via: this.via },
        origin: instance.origin,
      });
      return probe.ok
        ? { passed: true, ...(probe.serverId ? { serverId: probe.serverId } : {}) }
        : { passed: false, error: probe.error?.message ?? "heartbeat failed" };
    }
    if (app.healthPath !== undefined) return this.checkPath(instance, app.healthPath, timeoutMs);
    return this.checkConnect(instance, timeoutMs);
  }

  private async checkPath(
    instance: Instance,
    path: string,
    timeoutMs: number,
  ): Promise<CheckResult> {
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(), timeoutMs);
    try {
      const res = await instance.checkPool.request({
        method: "GET",
        path: instance.basePath + (path.startsWith("/") ? path : `/${path}`),
        headers: { via: this.via },
        signal: controller.signal,
      });
      await res.body.dump();
      return res.statusCode >= 200 && res.statusCode < 400
        ? { passed: true }
        : { passed: false, error: `health path answered ${res.statusCode}` };
    } catch (error) {
      return { passed: false, error: describe(error, controller.signal.aborted, timeoutMs) };
    } finally {
      clearTimeout(timer);
    }
  }

  /** A TCP connect to the instance's address, checked by the guard like any connection. */
  private checkConnect(instance: Instance, timeoutMs: number): Promise<CheckResult> {
    const url = new URL(instance.url);
    const port = Number(url.port || (url.protocol === "https:" ? 443 : 80));
    const host = url.hostname.replace(/^\[|\]$/g, "");
    if (isIP(host) !== 0 && !this.guard.allowsAddress(host)) {
      return Promise.resolve({ passed: false, error: this.guard.refusal(host).message });
    }
    return new Promise((resolve) => {
      const socket = connect({ host, port, lookup: this.guard.lookup, timeout: timeoutMs });
      const done = (result: CheckResult): void => {
        socket.destroy();
        resolve(result);
      };
      socket.once("connect", () => done({ passed: true }));
      socket.once("timeout", () =>
        done({ passed: false, error: `no connection within ${timeoutMs} ms` }),
      );
      socket.once("error", (error) =>
        done({ passed: false, error: describe(error, false, timeoutMs) }),
      );
    });
  }
}

function describe(error: unknown, timedOut: boolean, timeoutMs: number): string {
  if (timedOut) return `no answer within ${timeoutMs} ms`;
  const code = (error as { code?: string }).code;
  const message = error instanceof Error ? error.message : String(error);
  return code && !message.includes(code) ? `${code}: ${message}` : message;
}
