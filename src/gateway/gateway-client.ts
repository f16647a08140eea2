/**
 * GatewayClient: the client of a Gateway. Its view of the registered apps comes from the gateway
 * (not from what this client registered): by default it follows the gateway's `/events` push, so
 * it stays current with no calls; it is also refreshed on demand, and once automatically when an
 * unknown app is called. `gw.<app>` and `gw.app(name)` are app proxies.
 */
import { ConnectionManager } from "../client/connection-manager.js";
import type { ClientInit } from "../client/connection-manager.js";
import { ENDPOINT_SPECS, attachEndpoints, specsFromTasks } from "../client/create-client.js";
import { createEndpointFunction } from "../client/endpoint-method.js";
import type { EndpointFunction, EndpointSpec } from "../client/endpoint-method.js";
import type { CallOptions } from "../client/transport.js";
import type { ShutdownOptions } from "../client/connection-manager.js";
import type { TasksOf } from "../client/types.js";
import { AppNotRegisteredError, EndpointNotFoundError, PorticoError } from "../errors.js";
import { createAppClient } from "./app-client.js";
import type { AppCallOptions, AppClient, AppInvoker } from "./app-client.js";
import { assertAppName, isValidAppName } from "./app-name.js";
import { ChangeHub } from "./client/change-hub.js";
import type { ChangeListener, GatewayChange } from "./client/change-hub.js";
import type { GatewayClient, GatewayClientMembers, RegisterAppOptions } from "./client/members.js";
import { LiveView } from "./client/live-view.js";
import type { AppEntry } from "./client/live-view.js";
import { Subscription } from "./client/subscription.js";
import { ViewLoader } from "./client/view-loader.js";
import { gatewayTasks } from "./tasks.js";
import type { AppInfo, RegisteredApp } from "./tasks.js";

export type { GatewayChange } from "./client/change-hub.js";

export type { GatewayClient, GatewayClientMembers, RegisterAppOptions } from "./client/members.js";

/** Specs of the gateway's own endpoints, built once (their zod validators are reused). */
const GATEWAY_SPECS = specsFromTasks(gatewayTasks);

// Members that are not public API start with "_": app names start with a letter, so no app can
// ever shadow them through `gw.<name>` (the public ones are in RESERVED_APP_NAMES).
class GatewayConnection extends ConnectionManager implements GatewayClientMembers, AppInvoker {
  private readonly _view = new LiveView();
  private readonly _hub = new ChangeHub();
  private _push: Subscription | undefined;
  private readonly _proxies = new Map<string, AppClient>();
  private readonly _gateway: Record<keyof typeof gatewayTasks, EndpointFunction>;
  private readonly _loader: ViewLoader;

  constructor(init: ClientInit) {
    super(init);
    // The gateway's own endpoints become methods (`gw.register_app(...)`), which the
    // camelCase members call in turn.
    attachEndpoints(this, GATEWAY_SPECS);
    this._gateway = this as unknown as Record<keyof typeof gatewayTasks, EndpointFunction>;
    this._loader = new ViewLoader(this._view, this._gateway, () => this._push?.revision ?? 0);
  }

  /**
   * Subscribes first (so no change can fall between the names and the feed), then asks for the
   * app names only: a handshake that stays cheap with thousands of apps.
   */
  async _connect(subscribe: boolean, waitMs: number): Promise<void> {
    if (subscribe) {
      this._push = new Subscription({
        transport: this.transport,
        view: this._view,
        hub: this._hub,
        reload: () => this._loader.list(),
      });
      await this._push.open(waitMs);
    }
    await this._loader.names(subscribe);
  }

  async registerApp(
    name: string,
    url: string | URL,
    options?: ConnectionManager | RegisterAppOptions,
  ): Promise<RegisteredApp> {
    assertAppName(name);
    // A client passed directly (the signature of earlier versions) keeps working.
    const given: RegisterAppOptions =
      options instanceof ConnectionManager ? { client: options } : (options ?? {});
    const info = (await this._gateway.register_app({
      name,
      url: String(url),
      ...(given.mode ? { mode: given.mode } : {}),
      ...(given.leaseMs !== undefined ? { lease_ms: given.leaseMs } : {}),
      ...(given.openapi !== undefined ? { openapi: String(given.openapi) } : {}),
      ...(given.healthPath !== undefined ? { health_path: given.healthPath } : {}),
      ...(given.kind !== undefined ? { kind: given.kind } : {}),
    })) as RegisteredApp;
    const client = given.client;
    const local = (client as { [ENDPOINT_SPECS]?: EndpointSpec[] } | undefined)?.[ENDPOINT_SPECS];
    this._view.lend(name, info.url, local);
    // Without a revision a later operation on the name superseded this one: the view waits for it.
    if (info.revision !== undefined) this._view.store(info, info.revision);
    return info;
  }

  async unregisterApp(name: string, options: { url?: string | URL } = {}): Promise<void> {
    if (options.url !== undefined) {
      // One instance: the app may stay, with fewer instances; the push brings the new record.
      await this._gateway.unregister_app({ name, url: String(options.url) });
      return;
    }
    let reply: { revision?: number };
    try {
      reply = (await this._gateway.unregister_app({ name })) as { revision?: number };
    } catch (error) {
      this._view.forget(name);
      throw error;
    }
    if (reply.revision === undefined) this._view.forget(name);
    else this._view.remove(name, reply.revision);
  }

  async listApps(): Promise<string[]> {
    return ((await this._gateway.list_apps()) as { apps: string[] }).apps;
  }

  listAppsWithSchemas(): Promise<AppInfo[]> {
    return this.refresh();
  }

  registeredApps(): Promise<AppInfo[]> {
    if (this._push?.live && this._view.complete) return Promise.resolve(this._view.apps());
    return this.refresh();
  }

  reconnect(): Promise<AppInfo[]> {
    return this.refresh();
  }

  refresh(): Promise<AppInfo[]> {
    return this._loader.refresh();
  }

  on(event: "change", listener: ChangeListener): () => void {
    return this._hub.on(event, listener);
  }

  off(event: "change", listener: ChangeListener): void {
    this._hub.off(event, listener);
  }

  changes(): AsyncIterableIterator<GatewayChange> {
    return this._hub.changes();
  }

  override async shutdown(options?: ShutdownOptions): Promise<{ shutdown: true }> {
    await this._push?.close(); // no reconnecting to a gateway asked to stop
    return super.shutdown(options);
  }

  override async close(): Promise<void> {
    await this._push?.close();
    this._hub.close();
    await super.close();
  }

  app<S = unknown>(name: string): AppClient<TasksOf<S>> {
    let proxy = this._proxies.get(name);
    if (!proxy) {
      proxy = createAppClient(this, name);
      this._proxies.set(name, proxy);
    }
    return proxy as AppClient<TasksOf<S>>;
  }

  async _invoke(
    app: string,
    endpoint: string,
    input: unknown,
    options?: CallOptions,
  ): Promise<unknown> {
    let entry = this._view.get(app);
    let fn = entry && this._resolve(entry, endpoint);
    if (!fn) {
      // An app this client has not loaded yet, or an endpoint its loaded schemas lack (the app
      // may have been re-registered): ask the gateway about this one app, once.
      entry = await this._loader.load(app);
      if (!entry) {
        throw new AppNotRegisteredError(`App "${app}" is not registered`, { data: { name: app } });
      }
      fn = this._resolve(entry, endpoint);
      if (!fn) {
        throw new EndpointNotFoundError(`App "${app}" has no endpoint "${endpoint}"`, {
          data: { app, endpoint, endpoints: Object.keys(entry.info.endpoints) },
        });
      }
    }
    try {
      return await fn(input, options);
    } catch (error) {
      if (error instanceof PorticoError && error.code === "APP_NOT_REGISTERED") {
        this._view.forget(app);
      }
      throw error;
    }
  }

  _callApp(
    app: string,
    path: string,
    body: unknown,
    options: AppCallOptions = {},
  ): Promise<unknown> {
    const method = options.method ?? "POST";
    const rest = path.startsWith("/") ? path : `/${path}`;
    return this.transport.call(
      method,
      `/${app}${rest}`,
      method === "GET" ? undefined : body,
      options,
    );
  }

  private _resolve(entry: AppEntry, endpoint: string): EndpointFunction | undefined {
    let fn = entry.functions.get(endpoint);
    if (fn) return fn;
    const spec = entry.specs.get(endpoint);
    // An app that published no schemas still gets raw forwarding of any endpoint name.
    if (!spec && entry.specs.size > 0) return undefined;
    fn = createEndpointFunction(
      this.transport,
      spec ?? { name: endpoint, path: `/${endpoint}`, method: "POST" },
      `/${entry.info.name}`,
    );
    entry.functions.set(endpoint, fn);
    return fn;
  }
}

/**
 * Connects a gateway client. It subscribes to the gateway's changes (unless `subscribe: false`)
 * and asks for the app names only; each app's schemas come with its pushed changes, or load on
 * its first call, or all at once by `refresh()`.
 */
export async function createGatewayClient(init: ClientInit): Promise<GatewayClient> {
  const connection = new GatewayConnection(init);
  try {
    await connection._connect(init.subscribe !== false, init.timeout ?? 5_000);
  } catch (error) {
    await connection.close();
    throw error;
  }
  return new Proxy(connection, {
    get(target, prop, receiver) {
      if (typeof prop !== "string" || prop in target || !isValidAppName(prop)) {
        return Reflect.get(target, prop, receiver);
      }
      return target.app(prop);
    },
  }) as unknown as GatewayClient;
}
