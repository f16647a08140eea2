/**
 * The instances of one app and how a call picks one. Picking is O(1): the routable instances are
 * kept in an array rebuilt only when an instance's health changes (rare), never per request.
 */
import { NoHealthyInstanceError } from "../../errors.js";
import type { AppKind } from "../tasks.js";
import type { Instance } from "./instance.js";

/**
 * How calls spread over an app's healthy instances. `least-in-flight` (the default) compares two
 * instances picked at random and takes the one with fewer requests in flight ("power of two
 * choices"): it steers around a slow instance and costs the same as round robin (see the bench).
 */
export type BalanceStrategy = "least-in-flight" | "round-robin";

/** One app: its instances, the routable ones, and the app-wide in-flight count. */
export class AppInstances {
  /** Every instance, in registration order. */
  instances: Instance[] = [];
  /** The routable ones (healthy and not ejected). */
  private routable: Instance[] = [];
  private next = 0;
  /** Forwarded requests in flight to the app (for `maxInFlightPerApp`). */
  inFlight = 0;
  kind: AppKind | undefined;
  /** The app's own admin endpoints (lower case), as its descriptors say, besides the usual ones. */
  adminEndpoints: ReadonlySet<string> | undefined;
  healthPath: string | undefined;

  constructor(
    readonly name: string,
    private readonly strategy: BalanceStrategy,
  ) {}

  /** Rebuilds the routable list after a health change or a new set of instances. */
  refresh(): void {
    this.routable = this.instances.filter((instance) => instance.routable);
  }

  /** Whether any instance takes calls. */
  get available(): boolean {
    return this.routable.length > 0;
  }

  /** An instance for the next call, other than `not` when another is routable; undefined if none. */
  pick(not?: Instance): Instance | undefined {
    const routable = this.routable;
    const n = routable.length;
    if (n <= 1) {
      const only = routable[0];
      return only === not ? undefined : only;
    }
    if (this.strategy === "round-robin") {
      let chosen = routable[this.next++ % n]!;
      if (chosen === not) chosen = routable[this.next++ % n]!;
      if (this.next > 1e9) this.next = 0;
      return chosen;
    }
    // Two distinct instances at random: the second index skips the first.
    const i = (Math.random() * n) | 0;
    const a = routable[i]!;
    const b = routable[(i + 1 + ((Math.random() * (n - 1)) | 0)) % n]!;
    if (a === not) return b;
    if (b === not) return a;
    return b.inFlight < a.inFlight ? b : a;
  }
}

/** 503 NO_HEALTHY_INSTANCE for `app`: every call path (forwarded, MCP, MCP apps) says it alike. */
export function noHealthyInstance(app: AppInstances): NoHealthyInstanceError {
  const count = app.instances.length;
  return new NoHealthyInstanceError(
    `App "${app.name}" has no healthy instance (${count} registered, all unhealthy or ejected)`,
    { data: { name: app.name, instances: count } },
  );
}
