/**
 * A gateway client's view of the gateway's apps, fed by pushed changes, list replies and the
 * client's own register and unregister replies, in whatever order they arrive. Revisions keep it
 * monotonic: each name remembers the newest revision that touched it (a removal included), so a
 * reply computed before a newer change never undoes it: a late list cannot resurrect an app that
 * a newer event removed.
 */
import { specsFromDescriptors } from "../../client/create-client.js";
import type { EndpointFunction, EndpointSpec } from "../../client/endpoint-method.js";
import type { AppInfo } from "../tasks.js";
import type { GatewayChange } from "./change-hub.js";

/** One app as the client knows it: its info, endpoint specs, and the functions built from them. */
export interface AppEntry {
  info: AppInfo;
  specs: Map<string, EndpointSpec>;
  functions: Map<string, EndpointFunction>;
}

/** Specs lent by a typed client at registration; they describe the app at `url` only. */
interface LentSpecs {
  url: string;
  specs: EndpointSpec[];
}

/** The apps of one gateway, as one client sees them. */
export class LiveView {
  /** Bumped when the view is rebuilt after a resync: replies asked for before it are dropped. */
  epoch = 0;
  /** The newest revision this view reflects. */
  revision = 0;
  private readonly entries = new Map<string, AppEntry>();
  /** Per name, the newest revision known to have touched it (a removal is remembered here). */
  private readonly touched = new Map<string, number>();
  /** Every change at or below it is reflected (the last full list or names). */
  private floor = 0;
  /** Names the gateway has whose schemas this client has not loaded (connect asks for names). */
  private readonly unloaded = new Set<string>();
  private readonly lent = new Map<string, LentSpecs>();
  /** True while every app's name is known (after a full list, until a removal by hint). */
  private whole = false;

  /** True when `apps()` holds every app with its schemas, so no call is needed to list them. */
  get complete(): boolean {
    return this.whole && this.unloaded.size === 0;
  }

  get(name: string): AppEntry | undefined {
    return this.entries.get(name);
  }

  /** Every loaded app, in registration order. */
  apps(): AppInfo[] {
    return [...this.entries.values()].map((entry) => entry.info);
  }

  /** Keeps a typed client's specs for `name` at `url` (none: forgets earlier ones). */
  lend(name: string, url: string, specs: EndpointSpec[] | undefined): void {
    if (specs) this.lent.set(name, { url, specs });
    else this.lent.delete(name);
  }

  /** Applies a pushed change; false when the view already reflects it or something newer. */
  change(change: GatewayChange): boolean {
    if (change.type === "resync" || change.type === "app_health_changed") return false;
    if (change.revision <= this.known(change.name)) return false;
    this.touch(change.name, change.revision);
    if (change.type === "app_unregistered") this.drop(change.name);
    else this.put(change.app);
    return true;
  }

  /** Updates an instance's health from an `app_health_changed` event (not a revisioned change). */
  health(event: Extract<GatewayChange, { type: "app_health_changed" }>): void {
    const entry = this.entries.get(event.name);
    const instances = entry?.info.instances;
    if (!entry || !instances?.some((i) => i.url === event.url)) return;
    const { url, health, last_check, last_error } = event;
    entry.info = {
      ...entry.info,
      instances: instances.map((i) => {
        if (i.url !== url) return i;
        const { last_error: _old, ...rest } = i;
        return {
          ...rest,
          health,
          ...(last_check !== undefined ? { last_check } : {}),
          ...(last_error !== undefined ? { last_error } : {}),
        };
      }),
    };
  }

  /** Stores an app as of `revision`, unless newer news of it came; returns what the view holds. */
  store(info: AppInfo, revision: number): AppEntry | undefined {
    if (revision >= this.known(info.name)) {
      this.touch(info.name, revision);
      return this.put(info);
    }
    return this.entries.get(info.name);
  }

  /** Removes an app as of `revision`, unless newer news of it came. */
  remove(name: string, revision: number): void {
    if (revision < this.known(name)) return;
    this.touch(name, revision);
    this.drop(name);
  }

  /** Applies a full list as of `revision`: apps changed after it keep their newer state. */
  list(apps: AppInfo[], revision: number): void {
    const before = new Map(this.entries);
    this.entries.clear();
    for (const info of apps) {
      if (revision >= this.known(info.name)) this.put(info);
      else this.keep(before.get(info.name));
    }
    for (const [name, entry] of before) {
      if (!this.entries.has(name) && this.known(name) > revision) this.keep(entry);
    }
    this.unloaded.clear(); // every app came with its schemas
    this.settle(revision);
  }

  /** Applies the names of every app as of `revision`; their schemas load on first use. */
  names(names: string[], revision: number): void {
    const listed = new Set(names);
    for (const name of [...this.entries.keys()]) {
      if (!listed.has(name) && this.known(name) <= revision) this.drop(name);
    }
    for (const name of names) {
      if (!this.entries.has(name) && this.known(name) <= revision) this.unloaded.add(name);
    }
    this.settle(revision);
  }

  /**
   * Forgets what is known of `name` without a revision (a call answered APP_NOT_REGISTERED): the
   * view may be wrong now, so listing asks the gateway again.
   */
  forget(name: string): void {
    this.drop(name);
    this.whole = false;
  }

  /** The view can no longer be trusted to hold every app (changes may have been missed). */
  invalidate(): void {
    this.whole = false;
  }

  /**
   * Starts over after a resync: revisions are forgotten (the store may even have gone back in
   * time) and replies asked for before are dropped; the entries stay until the next `list`.
   */
  restart(): void {
    this.epoch++;
    this.touched.clear();
    this.floor = 0;
    this.revision = 0;
    this.whole = false;
  }

  /** An entry for `info` that the view does not keep (a reply that arrived after a restart). */
  build(info: AppInfo): AppEntry {
    let lent = this.lent.get(info.name);
    if (lent && lent.url !== info.url) {
      // Registered again at another URL: the typed client describes some other app.
      this.lent.delete(info.name);
      lent = undefined;
    }
    const specs = lent?.specs ?? specsFromDescriptors(info.endpoints);
    return { info, specs: new Map(specs.map((s) => [s.name, s])), functions: new Map() };
  }

  private known(name: string): number {
    return Math.max(this.floor, this.touched.get(name) ?? 0);
  }

  private touch(name: string, revision: number): void {
    this.touched.set(name, revision);
    if (revision > this.revision) this.revision = revision;
  }

  private put(info: AppInfo): AppEntry {
    // A registration's reply also carries `discovered`, `discovery_error` and `revision`: not
    // part of the app.
    const {
      discovered: _d,
      discovery_error: _e,
      revision: _r,
      ...app
    } = info as AppInfo & {
      discovered?: unknown;
      discovery_error?: unknown;
      revision?: unknown;
    };
    const entry = this.build(app);
    this.entries.set(app.name, entry);
    this.unloaded.delete(app.name);
    return entry;
  }

  private keep(entry: AppEntry | undefined): void {
    if (entry) this.entries.set(entry.info.name, entry);
  }

  private drop(name: string): void {
    this.entries.delete(name);
    this.unloaded.delete(name);
    this.lent.delete(name);
  }

  /** After a full list or names at `revision`: everything up to it is reflected. */
  private settle(revision: number): void {
    if (revision > this.floor) this.floor = revision;
    if (revision > this.revision) this.revision = revision;
    for (const [name, at] of this.touched) if (at <= this.floor) this.touched.delete(name);
    this.whole = true;
  }
}
