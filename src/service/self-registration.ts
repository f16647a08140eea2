/**
 * Self-registration: a service told its gateway and name registers itself there as one instance
 * of the app, with a lease it renews every third of its length, and unregisters when it stops
 * gracefully. A crashed service simply stops renewing and the gateway drops it when the lease
 * runs out. Renewal never crashes the service: failures are retried with backoff, and reported
 * once per outage. The requests are the gateway's own contract (`gatewayTasks`).
 */
import { HttpTransport, assertToken, normalizeUrl } from "../client/transport.js";
import type { InferInput } from "../contract/task.js";
import {
  InvalidOptionsError,
  PorticoError,
  ResponseInvalidError,
  ServiceStoppingError,
  ServiceUnavailableError,
} from "../errors.js";
import type { ErrorClass } from "../errors.js";
import { gatewayTasks } from "../gateway/tasks.js";
import type { RegisteredApp } from "../gateway/tasks.js";
import { sleep } from "../net/timers.js";

/** How a service registers itself with a gateway while it serves. */
export interface SelfRegistrationOptions {
  /** The gateway's base URL, e.g. `http://127.0.0.1:8081`. */
  gateway: string | URL;
  /** The app name to register under: every instance of one app uses the same name. */
  name: string;
  /**
   * Lease in ms (15 000; 1 000 to 86 400 000): the gateway drops the instance unless it is
   * renewed within this time. It is renewed every third of it.
   */
  leaseMs?: number;
  /**
   * The gateway's admin token, sent as `Authorization: Bearer` (`$PORTICO_GATEWAY_TOKEN`). Never
   * the service's own tokens: those are for its callers.
   */
  gatewayToken?: string;
  /**
   * The URL the gateway reaches this service at (default: the served URL, with an unspecified
   * bind address such as 0.0.0.0 replaced by loopback). Set it when the gateway runs elsewhere.
   */
  advertiseUrl?: string | URL;
  /** Milliseconds to keep retrying the first registration while the gateway is unreachable (10 000). */
  registrationTimeout?: number;
  /**
   * Told when renewing fails (once per outage) and when unregistering fails; the service keeps
   * serving. Default: `process.emitWarning`.
   */
  onRegistrationWarning?: (error: PorticoError) => void;
}

/** Where a running registration stands. */
export interface RegistrationInfo {
  /** The gateway's base URL. */
  readonly gateway: string;
  /** The app name. */
  readonly name: string;
  /** The URL registered (advertised) for this instance. */
  readonly url: string;
  /** The lease in ms. */
  readonly leaseMs: number;
}

type RegisterInput = InferInput<typeof gatewayTasks.register_app>;
type RenewInput = InferInput<typeof gatewayTasks.renew_lease>;
type UnregisterInput = InferInput<typeof gatewayTasks.unregister_app>;

const DEFAULT_LEASE_MS = 15_000;
const MIN_LEASE_MS = 1_000;
const MAX_LEASE_MS = 86_400_000;
/** The gateway discovers the instance while registering it (5 s by default): wait for longer. */
const REGISTER_TIMEOUT_MS = 10_000;
const STOP_TIMEOUT_MS = 2_000;
const FIRST_BACKOFF_MS = 250;

/** A service's registration with its gateway, kept alive by renewing its lease. */
export class SelfRegistration implements RegistrationInfo {
  readonly gateway: string;
  readonly name: string;
  readonly leaseMs: number;
  /** The URL registered, known once `start()` was given the served one. */
  url = "";
  /** What the gateway answered to the latest registration. */
  registered: RegisteredApp | undefined;
  private transport: HttpTransport | undefined;
  private readonly options: SelfRegistrationOptions;
  private readonly token: string;
  private readonly renewEveryMs: number;
  private readonly onWarning: (error: PorticoError) => void;
  /** Aborts renewals and retry waits when stopping: a late renewal must not register again. */
  private readonly abort = new AbortController();
  /**
   * Aborts a register_app in flight, but only once stop() has waited for its reply: the gateway
   * finishes a registration even when its caller goes away, so only the reply tells whether
   * there is an instance to take back.
   */
  private readonly abortRegister = new AbortController();
  /** The register_app call in flight, if any. */
  private registering: Promise<unknown> | undefined;
  /** The registration in progress in `start()`. */
  private starting: Promise<void> | undefined;
  private timer: NodeJS.Timeout | undefined;
  private cycle: Promise<void> | undefined;
  private failures = 0;
  private halted = false;
  /** True once a register_app succeeded: the gateway has (or had) this instance. */
  private landed = false;
  private stopping: Promise<void> | undefined;

  /** Checks the options (INVALID_OPTIONS) without any I/O: call it before listening. */
  constructor(options: SelfRegistrationOptions) {
    if (typeof options.name !== "string" || options.name === "") {
      throw new InvalidOptionsError("Self-registration needs the app name to register under");
    }
    this.options = options;
    this.name = options.name;
    this.gateway = normalizeUrl(options.gateway).href.replace(/\/+$/, "");
    this.leaseMs = checkLease(options.leaseMs);
    this.renewEveryMs = Math.floor(this.leaseMs / 3);
    if (options.advertiseUrl !== undefined) advertisedUrl(options.advertiseUrl, "");
    this.token = options.gatewayToken ?? process.env.PORTICO_GATEWAY_TOKEN ?? "";
    if (this.token !== "") assertToken(this.token, "gatewayToken");
    this.onWarning = options.onRegistrationWarning ?? emitWarning;
  }

  /**
   * Registers the instance served at `servedUrl` (retrying transient failures for
   * `registrationTimeout` ms) and starts renewing its lease. Rejects with the gateway's error when
   * it refuses (401, 403, 409 INSTANCE_MISMATCH...), or SERVICE_UNAVAILABLE when it stayed
   * unreachable, or SERVICE_STOPPING when `stop()` was called first or meanwhile; nothing is left
   * running then.
   */
  async start(servedUrl: string): Promise<void> {
    if (this.halted) throw this.stopped();
    this.url = advertisedUrl(this.options.advertiseUrl, servedUrl);
    // `token: ""` when there is none: never fall back on $PORTICO_TOKEN, this process's own.
    this.transport = new HttpTransport(this.gateway, { token: this.token, connections: 2 });
    this.starting = this.registerAtStart(this.options.registrationTimeout ?? 10_000);
    try {
      await this.starting;
      // Registered, but stop() began meanwhile: it takes the instance back.
      if (this.halted) throw this.stopped();
    } catch (error) {
      this.halted = true;
      // A stop() in progress still needs the transport to unregister; it closes it after.
      if (!this.stopping) await this.transport.close();
      throw error;
    }
    this.schedule(this.renewEveryMs);
  }

  /**
   * Stops renewing and unregisters the instance (bounded by `timeout`); never rejects; idempotent.
   * Called while `start()` is in progress, it ends its retries at once and waits up to `timeout`
   * for a register_app in flight, then unregisters what it registered; a registration the gateway
   * finishes later than that is left to its lease.
   */
  stop(timeout = STOP_TIMEOUT_MS): Promise<void> {
    this.halted = true;
    this.abort.abort();
    return (this.stopping ??= this.unregister(timeout));
  }

  /** The transport to the gateway (open between `start()` and `stop()`). */
  private get gatewayTransport(): HttpTransport {
    if (!this.transport) throw new InvalidOptionsError("The registration has not started");
    return this.transport;
  }

  private async registerAtStart(timeout: number): Promise<void> {
    const deadline = Date.now() + timeout;
    for (let attempt = 0; ; attempt++) {
      try {
        await this.register(Math.max(1_000, Math.min(REGISTER_TIMEOUT_MS, deadline - Date.now())));
        return;
      } catch (error) {
        if (this.halted) throw this.stopped(error);
        if (!(error instanceof PorticoError) || !error.retryable) {
          throw this.explain(error, "refused the registration");
        }
        const wait = backoff(attempt, 2_000);
        if (Date.now() + wait >= deadline) {
          throw new ServiceUnavailableError(
            `Gateway at ${this.gateway} did not take the registration of "${this.name}" (${this.url}) within ${timeout} ms: ${error.message}`,
            { cause: error, data: { gateway: this.gateway, name: this.name, url: this.url } },
          );
        }
        await sleep(wait, this.abort.signal);
        if (this.halted) throw this.stopped();
      }
    }
  }

  private async register(timeout = REGISTER_TIMEOUT_MS): Promise<void> {
    const input: RegisterInput = {
      name: this.name,
      url: this.url,
      mode: "add",
      lease_ms: this.leaseMs,
    };
    const call = this.gatewayTransport.call("POST", "/register_app", input, {
      timeout,
      signal: this.abortRegister.signal,
    });
    this.registering = call;
    const reply = await call.finally(() => (this.registering = undefined));
    this.landed = true;
    const parsed = gatewayTasks.register_app.output.safeParse(reply);
    this.registered = parsed.success ? parsed.data : undefined;
  }

  private schedule(ms: number): void {
    if (this.halted) return;
    this.timer = setTimeout(() => {
      this.cycle = this.renew().finally(() => (this.cycle = undefined));
    }, ms);
    // The server keeps the process alive while it serves; this timer must not on its own.
    this.timer.unref();
  }

  /** One renewal: extend the lease, or register again when the gateway no longer has it. */
  private async renew(): Promise<void> {
    try {
      const input: RenewInput = { name: this.name, url: this.url, lease_ms: this.leaseMs };
      const reply = await this.gatewayTransport.call("POST", "/renew_lease", input, {
        timeout: Math.min(5_000, Math.max(1_000, this.renewEveryMs)),
        signal: this.abort.signal,
      });
      const parsed = gatewayTasks.renew_lease.output.safeParse(reply);
      if (!parsed.success) {
        throw new ResponseInvalidError("renew_lease answered something else than { renewed }", {
          data: { body: reply },
        });
      }
      // Gone (the lease ran out while the gateway was away, or it restarted): register again.
      if (!parsed.data.renewed && !this.halted) await this.register();
      this.failures = 0;
      this.schedule(this.renewEveryMs);
    } catch (error) {
      if (this.halted) return;
      if (this.failures === 0) this.warn(this.explain(error, "did not renew the lease"));
      this.schedule(backoff(this.failures++, this.renewEveryMs));
    }
  }

  private async unregister(timeout: number): Promise<void> {
    clearTimeout(this.timer);
    await this.settleRegister(timeout);
    // Both settle at once now: their retry waits and renew_lease calls were aborted by stop().
    await Promise.all([this.starting?.catch(() => undefined), this.cycle]);
    if (!this.transport) return;
    try {
      if (!this.landed) return;
      const input: UnregisterInput = { name: this.name, url: this.url };
      await this.transport.call("POST", "/unregister_app", input, { timeout });
    } catch (error) {
      const gone = error instanceof PorticoError && error.code === "APP_NOT_REGISTERED";
      if (!gone) this.warn(this.explain(error, "did not unregister the instance"));
    } finally {
      await this.transport.close();
    }
  }

  /** Waits up to `timeout` for the reply of a register_app in flight, then aborts it. */
  private async settleRegister(timeout: number): Promise<void> {
    const call = this.registering;
    if (call) {
      const timer = setTimeout(() => this.abortRegister.abort(), timeout);
      await call.catch(() => undefined);
      clearTimeout(timer);
    }
    this.abortRegister.abort(); // no register_app after this one
  }

  /** SERVICE_STOPPING: stop() was called before the registration completed. */
  private stopped(cause?: unknown): PorticoError {
    return new ServiceStoppingError(
      `The registration of "${this.name}" (${this.url}) at ${this.gateway} was stopped before it completed`,
      { cause, data: { gateway: this.gateway, name: this.name, url: this.url } },
    );
  }

  /** Reports a warning; a hook that throws must not take the service down with it. */
  private warn(error: PorticoError): void {
    try {
      this.onWarning(error);
    } catch {
      emitWarning(error);
    }
  }

  /** The error again, of the same class and code, its message saying which registration it was. */
  private explain(error: unknown, what: string): PorticoError {
    const context = `Gateway at ${this.gateway} ${what} of "${this.name}" (${this.url})`;
    if (!(error instanceof PorticoError)) {
      return new ServiceUnavailableError(`${context}: ${(error as Error)?.message}`, {
        cause: error,
      });
    }
    const Cls = error.constructor as ErrorClass;
    return new Cls(`${context}: ${error.message}`, {
      cause: error,
      data: error.data,
      status: error.status,
    });
  }
}

/** Exponential backoff from 250 ms, capped, with jitter so restarted services do not march in step. */
function backoff(attempt: number, capMs: number): number {
  const ms = Math.min(capMs, FIRST_BACKOFF_MS * 2 ** Math.min(attempt, 16));
  return Math.round(ms * (0.75 + Math.random() / 4));
}

function checkLease(leaseMs: number | undefined): number {
  const lease = leaseMs ?? DEFAULT_LEASE_MS;
  if (!Number.isInteger(lease) || lease < MIN_LEASE_MS || lease > MAX_LEASE_MS) {
    throw new InvalidOptionsError(
      `leaseMs must be an integer from ${MIN_LEASE_MS} to ${MAX_LEASE_MS}, not ${String(leaseMs)}`,
      { data: { leaseMs } },
    );
  }
  return lease;
}

/** The URL to register: as given, else the served one with an unspecified address as loopback. */
function advertisedUrl(advertise: string | URL | undefined, servedUrl: string): string {
  const url = normalizeUrl(advertise ?? servedUrl);
  if (advertise === undefined) {
    if (url.hostname === "0.0.0.0") url.hostname = "127.0.0.1";
    else if (url.hostname === "[::]") url.hostname = "[::1]";
  }
  return url.href.replace(/\/+$/, "");
}

function emitWarning(error: PorticoError): void {
  process.emitWarning(error.message, { type: "PorticoWarning", code: error.code });
}
