/**
 * The gateway's view of its apps: what forwarding and the list endpoints read, built only from
 * the registry's feed. Changes apply idempotently and in revision order; a stale one (a revision
 * already applied) is dropped, so a replayed or duplicated change can never undo a newer one.
 */
import type { Change, Snapshot } from "../../registry/registry.js";
import { JsonText } from "../../service/json-text.js";

/** Where route changes go (the forwarder). */
export interface RouteSink {
  set(name: string, url: string): void;
  delete(name: string): void;
}

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

  constructor(private readonly routes: RouteSink) {}

  /** Applies one change; false when it is stale (already reflected). */
  apply(change: Change): boolean {
    if (change.revision <= this.revision) return false;
    this.revision = change.revision;
    if (change.type === "app_unregistered") {
      if (this.apps.delete(change.name)) this.routes.delete(change.name);
    } else {
      this.apps.set(change.name, Buffer.from(JSON.stringify(change.app)));
      this.routes.set(change.name, change.app.url);
    }
    this.listCache = undefined;
    return true;
  }

  /** Replaces everything with a snapshot (at start, and after a gap in the feed). */
  reset(snapshot: Snapshot): void {
    const keep = new Set(snapshot.apps.map((app) => app.name));
    for (const name of this.apps.keys()) {
      if (!keep.has(name)) this.routes.delete(name);
    }
    this.apps.clear();
    for (const app of snapshot.apps) {
      this.apps.set(app.name, Buffer.from(JSON.stringify(app)));
      this.routes.set(app.name, app.url);
    }
    this.revision = snapshot.revision;
    this.listCache = undefined;
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
      return (this.listCache ??= listText(this.apps.values(), this.revision));
    }
    const named = [...new Set(names)].flatMap((name) => this.apps.get(name) ?? []);
    return listText(named, this.revision);
  }
}
