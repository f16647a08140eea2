/**
 * Every app's instances on this replica, built from the route table's changes: the forwarder
 * reads them (one Map lookup per call), the health checker watches them, and an instance that
 * stays across a change (an app updated, an instance added beside it) keeps its pool, its
 * requests in flight and its health.
 */
import type { AppRecord } from "../../registry/registry.js";
import type { InstanceInfo } from "../tasks.js";
import { AppInstances } from "./balancer.js";
import type { BalanceStrategy } from "./balancer.js";
import type { CheckResult, HealthChecker } from "./health.js";
import { Instance } from "./instance.js";
import type { ActiveThresholds, PassiveOptions } from "./instance.js";
import type { Upstreams } from "./upstreams.js";

/** The instances of an app record (records of earlier versions have only `url`). */
export function instancesOf(app: AppRecord): InstanceInfo[] {
  return app.instances && app.instances.length > 0 ? app.instances : [{ url: app.url }];
}

/** Options of the fleet. */
export interface FleetOptions {
  upstreams: Upstreams;
  balance: BalanceStrategy;
  /** Passive ejection, or undefined when off. */
  passive: PassiveOptions | undefined;
  /** Active check thresholds (the checker itself is attached with `useChecker`). */
  thresholds: ActiveThresholds;
  /** An instance's health changed. */
  onHealth(app: AppInstances, instance: Instance): void;
  /**
   * A check saw a `server_id` other than the one stored (the app restarted), or an app without
   * schemas came back (undefined): discover it again.
   */
  onRestart(app: AppInstances, instance: Instance, serverId: string | undefined): void;
}

/** The apps this replica forwards to. */
export class Fleet {
  readonly apps = new Map<string, AppInstances>();
  private checker: HealthChecker | undefined;

  constructor(private readonly options: FleetOptions) {}

  /** Passive ejection settings (the forwarder reports failures with them). */
  get passive(): PassiveOptions | undefined {
    return this.options.passive;
  }

  /** Attaches the active checker (the gateway makes it; off when health checks are disabled). */
  useChecker(checker: HealthChecker): void {
    this.checker = checker;
    for (const app of this.apps.values()) {
      for (const instance of app.instances) checker.watch(app, instance);
    }
  }

  /** What the health checker reports: updates the instance, notices restarts. */
  readonly onCheck = (app: AppInstances, instance: Instance, result: CheckResult): void => {
    const changed = instance.checked(result.passed, this.options.thresholds, result.error);
    if (result.passed) instance.forgive(this.options.passive);
    if (result.serverId === undefined && changed && result.passed && app.kind === "http") {
      // A plain HTTP app back up: perhaps it was a Portico or OpenAPI app that was not running
      // when it registered. Look again (a restart of a Portico app shows as a new server_id).
      this.options.onRestart(app, instance, undefined);
    }
    if (result.serverId !== undefined && result.serverId !== instance.serverId) {
      this.options.onRestart(app, instance, result.serverId);
    }
  };

  /** Adds or updates an app from its record. */
  set(name: string, record: AppRecord): void {
    let app = this.apps.get(name);
    if (!app) {
      app = new AppInstances(name, this.options.balance);
      this.apps.set(name, app);
    }
    app.kind = record.kind ?? (Object.keys(record.endpoints).length > 0 ? "portico" : "http");
    app.healthPath = record.health_path;
    const admin = Object.values(record.endpoints).filter((e) => e.access === "admin");
    app.adminEndpoints =
      admin.length > 0
        ? new Set(admin.map((e) => e.path.replace(/^\/+/, "").toLowerCase()))
        : undefined;
    const old = new Map(app.instances.map((instance) => [instance.url, instance]));
    const next: Instance[] = [];
    for (const info of instancesOf(record)) {
      let instance = old.get(info.url);
      if (instance) old.delete(info.url);
      else instance = this.open(app, info.url);
      instance.serverId = info.server_id;
      instance.leaseMs = info.lease_ms;
      next.push(instance);
    }
    app.instances = next;
    for (const gone of old.values()) this.close(gone);
    app.refresh();
  }

  /** Removes an app; requests in flight finish. */
  delete(name: string): void {
    const app = this.apps.get(name);
    if (!app) return;
    this.apps.delete(name);
    for (const instance of app.instances) this.close(instance);
    app.instances = [];
    app.refresh();
  }

  /** Removes every app. */
  close(): void;
  close(instance: Instance): void;
  close(instance?: Instance): void {
    if (instance) {
      this.checker?.unwatch(instance);
      instance.dispose();
      this.options.upstreams.release(instance.origin);
      this.options.upstreams.release(instance.origin, "check");
      return;
    }
    for (const name of [...this.apps.keys()]) this.delete(name);
  }

  /** An instance of `app` by URL. */
  instance(name: string, url: string): Instance | undefined {
    return this.apps.get(name)?.instances.find((instance) => instance.url === url);
  }

  private open(app: AppInstances, url: string): Instance {
    const origin = new URL(url).origin;
    const upstreams = this.options.upstreams;
    const instance = new Instance(
      url,
      upstreams.acquire(origin),
      upstreams.acquire(origin, "check"),
      (changed) => {
        app.refresh();
        this.options.onHealth(app, changed);
      },
    );
    this.checker?.watch(app, instance);
    return instance;
  }
}
