/**
 * Pulls the gateway's apps into a client's view: every app (`refresh`), one app on its first call
 * (`load`), the names at connect. Each reply is applied as of the revision it reflects, so a reply
 * slower than a pushed change can never undo that change.
 */
import type { EndpointFunction } from "../../client/endpoint-method.js";
import type { AppInfo } from "../tasks.js";
import type { AppEntry, LiveView } from "./live-view.js";

/** A list reply; `revision` orders it against pushed changes (older gateways leave it out). */
interface ListReply {
  apps: AppInfo[];
  revision?: number;
}

/** The gateway endpoints a loader calls. */
export type ListEndpoints = Record<"list_apps" | "list_apps_with_schemas", EndpointFunction>;

/** Loads into one view, sharing concurrent requests for the same thing. */
export class ViewLoader {
  private inflight: Promise<AppInfo[]> | undefined;
  private readonly loading = new Map<string, Promise<AppEntry | undefined>>();

  constructor(
    private readonly view: LiveView,
    private readonly gateway: ListEndpoints,
    /** The newest revision the push stream delivered (0 without one). */
    private readonly streamed: () => number,
  ) {}

  /** Every app into the view; concurrent callers share one request. */
  refresh(): Promise<AppInfo[]> {
    this.inflight ??= this.list().finally(() => {
      this.inflight = undefined;
    });
    return this.inflight;
  }

  /** Every app into the view, with a request of its own (a resync must not reuse an older one). */
  async list(): Promise<AppInfo[]> {
    const epoch = this.view.epoch;
    const asOf = this.asOf();
    const reply = (await this.gateway.list_apps_with_schemas()) as ListReply;
    if (epoch === this.view.epoch) this.view.list(reply.apps, reply.revision ?? asOf);
    return this.view.apps();
  }

  /** One app into the view (concurrent callers share the request); undefined when unknown. */
  load(name: string): Promise<AppEntry | undefined> {
    let pending = this.loading.get(name);
    if (!pending) {
      pending = this.loadOne(name).finally(() => this.loading.delete(name));
      this.loading.set(name, pending);
    }
    return pending;
  }

  /** The app names (a handshake that stays cheap with thousands of apps); returns them. */
  async names(keep: boolean): Promise<string[]> {
    const asOf = this.asOf();
    const { apps } = (await this.gateway.list_apps()) as { apps: string[] };
    if (keep) this.view.names(apps, asOf);
    return apps;
  }

  private async loadOne(name: string): Promise<AppEntry | undefined> {
    const epoch = this.view.epoch;
    const asOf = this.asOf();
    const reply = (await this.gateway.list_apps_with_schemas({ names: [name] })) as ListReply;
    const info = reply.apps.find((a) => a.name === name);
    if (epoch !== this.view.epoch) return info && this.view.build(info);
    if (info) return this.view.store(info, reply.revision ?? asOf);
    this.view.remove(name, reply.revision ?? asOf);
    return this.view.get(name); // registered again since, if a newer change says so
  }

  /**
   * The revision a reply to a request sent now reflects at least, when it does not say: the
   * gateway had applied every change the view or the stream has seen before it answered.
   */
  private asOf(): number {
    return Math.max(this.view.revision, this.streamed());
  }
}
