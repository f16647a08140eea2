/**
 * The gateway's view of its apps: what forwarding and the list endpoints read, built only from
 * the registry's feed. Changes apply idempotently and in revision order; a stale one (a revision
 * already applied) is dropped, so a replayed or duplicated change can never undo a newer one.
 */
import type { AppRecord, Change, Snapshot } from "../../registry/registry.js";
import { JsonText } from "../../service/json-text.js";

/** Where route changes go (the fleet of instances the forwarder reads). */
export interface RouteSink {
  set(name: string, app: AppRecord): void;
  delete(name: string): void;
}

/** Adds what this replica knows of an app (its instances' health) to the record it lists. */
export type Decorate = (app: AppRecord) => AppRecord;

const LIST_OPEN = Buffer.from('{"apps":[');
const LIST_SEPARATOR = Buffer.from(",");

/** `{"apps":[...],"revision":N}`: the revision lets clients order a list against pushed changes. */
function listText(apps: Iterable<Buffer>, revision: number): JsonText {
  const parts: Buffer[] = [LIST_OPEN];
  for (const app of apps) parts.push(app, LIST_SEPARATOR);
  if (parts.length > 1) parts.pop();
  parts.push(Buffer.from(`],"revision":${revision}}`));
  return new JsonText(Buffer.concat(parts));
}

/** Apps by name, in registration order, with the revision they reflect. */
export class AppTable {
  /** The newest revision applied. */
  revision = 0;
  /**
   * Apps as their JSON, in Buffers: a thousand apps with twenty schemas each are megabytes that
   * live outside the JavaScript heap, so garbage collection never walks them and forwarding
   * stays as fast with a thousand apps as with one.
   */
  private readonly apps = new Map<string, Buffer>();
  private listCache: JsonText | undefined;
  /** Apps whose health changed since their JSON was encoded. */
  private readonly stale = new Set<string>();
  /** Told of every change applied (`reset`: everything may differ), e.g. the MCP tool list. */
  private readonly listeners = new Set<(change: Change | "reset") => void>();

  constructor(
    private readonly routes: RouteSink,
    private readonly decorate: Decorate = (app) => app,
  ) {}

  /**
   * Marks `name` to be listed again with its instances' current health. Cheap: checks touch
   * apps all the time (a thousand apps checked every 5 s), lists are rare, so the JSON is
   * rebuilt on the next list rather than on every check.
   */
  touch(name: string): void {
    if (!this.apps.has(name)) return;
    this.stale.add(name);
    this.listCache = undefined;
  }

  /** The app as listed (with this replica's health of its instances). */
  get(name: string): AppRecord | undefined {
    const json = this.fresh(name);
    return json ? (JSON.parse(json.toString()) as AppRecord) : undefined;
  }

  /** The app's JSON, rebuilt first when its health changed since it was encoded. */
  private fresh(name: string): Buffer | undefined {
    const json = this.apps.get(name);
    if (!json || !this.stale.delete(name)) return json;
    const rebuilt = this.encode(JSON.parse(json.toString()) as AppRecord);
    this.apps.set(name, rebuilt);
    return rebuilt;
  }

  private encode(app: AppRecord): Buffer {
    return Buffer.from(JSON.stringify(this.decorate(app)));
  }

  /** Applies one change; false when it is stale (already reflected). */
  apply(change: Change): boolean {
    if (change.revision <= this.revision) return false;
    this.revision = change.revision;
    if (change.type === "app_unregistered") {
      this.stale.delete(change.name);
      if (this.apps.delete(change.name)) this.routes.delete(change.name);
    } else {
      this.routes.set(change.name, change.app);
      this.apps.set(change.name, this.encode(change.app));
      this.stale.delete(change.name);
    }
    this.listCache = undefined;
    for (const listener of this.listeners) listener(change);
    return true;
  }

  /** Calls `listener` after every change applied; returns the unsubscribe function. */
  onChange(listener: (change: Change | "reset") => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Every app as stored (without this replica's health), in registration order. */
  records(): AppRecord[] {
    return [...this.apps.keys()].map((name) => this.get(name)!);
  }

  /** Replaces everything with a snapshot (at start, and after a gap in the feed). */
  reset(snapshot: Snapshot): void {
    const keep = new Set(snapshot.apps.map((app) => app.name));
    for (const name of this.apps.keys()) {
      if (!keep.has(name)) this.routes.delete(name);
    }
    this.apps.clear();
    this.stale.clear();
    for (const app of snapshot.apps) {
      this.routes.set(app.name, app);
      this.apps.set(app.name, this.encode(app));
    }
    this.revision = snapshot.revision;
    this.listCache = undefined;
    for (const listener of this.listeners) listener("reset");
  }

  has(name: string): boolean {
    return this.apps.has(name);
  }

  get size(): number {
    return this.apps.size;
  }

  /** Names in registration order. */
  names(): string[] {
    return [...this.apps.keys()];
  }

  /** `{"apps": [...], "revision"}` of every app (cached until the next change), or of those named. */
  list(names?: string[]): JsonText {
    if (names === undefined) {
      for (const name of this.stale) this.fresh(name);
      return (this.listCache ??= listText(this.apps.values(), this.revision));
    }
    const named = [...new Set(names)].flatMap((name) => this.fresh(name) ?? []);
    return listText(named, this.revision);
  }
}
